//! `resolve`: which credential a session over some vaults would use for a URL. The
//! token is printed only with `--reveal`.

use serde_json::{json, Value};
use vaultstore::secrecy::ExposeSecret;
use vaultstore::Error;
use zeroize::Zeroizing;

use crate::args::ResolveArgs;
use crate::exit::Outcome;
use crate::output::fields;
use crate::Context;

pub fn run(args: ResolveArgs, cx: &mut Context) -> Outcome {
    let session = cx.store()?.session(&args.vaults)?;
    let Some(found) = session.resolve(&args.url)? else {
        return Err(Error::NotFound {
            message: format!(
                "No active credential for '{}' in vault(s) {}.",
                args.url,
                args.vaults.join(", ")
            ),
        }
        .into());
    };
    let mut answer = json!({
        "vault_id": found.vault_id,
        "credential_id": found.credential_id,
        "protocol": found.protocol.as_str(),
        "mcp_server_url": args.url,
    });
    if args.reveal {
        answer["access_token"] = Value::String(found.token.expose_secret().to_owned());
    }
    // Every buffer that may hold the token is zeroized once printed.
    let text = Zeroizing::new(match cx.out.json {
        true => serde_json::to_string_pretty(&answer).unwrap_or_default(),
        false => human(&answer),
    });
    println!("{}", text.trim_end());
    if let Some(Value::String(token)) = answer.get_mut("access_token").map(Value::take) {
        drop(Zeroizing::new(token));
    }
    Ok(())
}

fn human(answer: &Value) -> String {
    let keys = ["vault_id", "credential_id", "protocol", "access_token"];
    let pairs: Vec<(&str, String)> = keys
        .iter()
        .filter_map(|&k| answer.get(k)?.as_str().map(|v| (k, v.to_owned())))
        .collect();
    let text = fields(&pairs);
    // `pairs` holds a copy of the token with --reveal.
    for (_, value) in pairs {
        drop(Zeroizing::new(value));
    }
    text
}
