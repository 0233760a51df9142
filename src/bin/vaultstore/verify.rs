//! `verify`: checks the whole store and reports what it found.

use serde_json::json;

use crate::exit::{Failure, Outcome};
use crate::progress::spin;
use crate::Context;

pub fn run(cx: &mut Context) -> Outcome {
    let store = cx.store()?;
    let report = spin("verifying the store", || store.verify())?;
    let answer = json!({
        "ok": report.is_ok(),
        "vaults": report.vaults,
        "credentials": report.credentials,
        "tokens_opened": report.tokens_opened,
        "problems": report.problems,
    });
    cx.out.show(&answer, || {
        let mut text = format!(
            "{} vault(s), {} credential(s), {} token(s) open: {}\n",
            report.vaults,
            report.credentials,
            report.tokens_opened,
            if report.is_ok() {
                "no problems"
            } else {
                "PROBLEMS"
            }
        );
        for problem in &report.problems {
            text.push_str(&format!("  - {problem}\n"));
        }
        text
    });
    match report.problems.len() {
        0 => Ok(()),
        n => Err(Failure::VerifyProblems(n)),
    }
}
