//! Guards that random damage to any file of a store (flipped bytes, zeroed runs,
//! truncation, deletion) makes open and every operation either work or return an
//! error: never a panic, a hang, or a token other than the one stored for that server.
//!
//! Cases run in child processes (this test binary, re-run), so a panic or a hang is
//! caught and named by its case number. `VAULTSTORE_CORRUPTION_CASES=N` runs N cases
//! (default 240); `VAULTSTORE_CORRUPTION_SEED=S` changes the damage drawn.

mod common_robust;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common_robust::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vaultstore::{ListParams, VaultStore};

const TEST: &str = "random_damage_never_panics_hangs_or_misdirects_a_token";
const DEFAULT_CASES: u64 = 240;
const CASES_PER_CHILD: u64 = 40;
/// A hang guard, far above what a case takes.
const CASE_DEADLINE: Duration = Duration::from_secs(60);

/// (account, vault id, url) → the token stored for it.
type Expected = BTreeMap<(String, String, String), String>;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// A store with active, archived and multi-credential vaults in two accounts.
fn make_template(dir: &Path) {
    let store = open(dir);
    for account in ["default", "acme"] {
        let handle = store.account(account).expect("account");
        for i in 0..6 {
            let urls: Vec<String> = (0..=i % 3)
                .map(|j| format!("https://s{i}-{j}.example/mcp"))
                .collect();
            let creds: Vec<(String, String)> = urls
                .iter()
                .map(|u| (u.clone(), format!("fake-token:{account}:{u}")))
                .collect();
            let creds: Vec<(&str, &str)> = creds.iter().map(|(u, t)| (&**u, &**t)).collect();
            let v = create_vault(&handle, &format!("{account}-{i}"), &creds);
            if i == 4 {
                handle.archive_vault(&v.id).expect("archive");
            }
        }
    }
}

/// What the template's sessions should resolve, read back from it.
fn expected_tokens(store: &VaultStore) -> Expected {
    let mut out = Expected::new();
    for account in ["default", "acme"] {
        let handle = store.account(account).expect("account");
        for v in handle
            .list_vaults(&ListParams::default())
            .expect("list")
            .data
        {
            for c in handle
                .list_credentials(&v.id, &ListParams::default())
                .expect("list")
                .data
            {
                let token = bearer(&handle, &v.id, &c.mcp_server_url)
                    .expect("lookup")
                    .expect("token");
                out.insert((account.to_owned(), v.id.clone(), c.mcp_server_url), token);
            }
        }
    }
    out
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Damages one file of `dir`, chosen by `rng` (sled's log, `db`, more often).
fn damage(dir: &Path, rng: &mut StdRng) -> String {
    let files = files_below(dir);
    let db = files
        .iter()
        .find(|f| f.ends_with("data/db"))
        .expect("db file");
    let file = if rng.gen_bool(0.5) {
        db.clone()
    } else {
        files[rng.gen_range(0..files.len())].clone()
    };
    let mut bytes = std::fs::read(&file).expect("read");
    let name = file.strip_prefix(dir).expect("below").display().to_string();
    if bytes.is_empty() {
        std::fs::remove_file(&file).expect("rm");
        return format!("deleted empty {name}");
    }
    let at = rng.gen_range(0..bytes.len());
    let what = match rng.gen_range(0..10) {
        0..=4 => {
            let flips = rng.gen_range(1..=8);
            for _ in 0..flips {
                let i = (at + rng.gen_range(0..64)) % bytes.len();
                bytes[i] ^= 1 << rng.gen_range(0..8);
            }
            format!("{flips} bit flips near {at}")
        }
        5 | 6 => {
            let end = (at + rng.gen_range(1..512)).min(bytes.len());
            bytes[at..end].fill(0);
            format!("zeroed {at}..{end}")
        }
        7 | 8 => {
            bytes.truncate(at);
            format!("truncated to {at}")
        }
        _ => {
            std::fs::remove_file(&file).expect("rm");
            return format!("deleted {name}");
        }
    };
    std::fs::write(&file, bytes).expect("write");
    format!("{name}: {what}")
}

/// Every operation on the damaged store, opened twice; the error of a refused open.
fn exercise(dir: &Path, expected: &Expected) -> Result<(), String> {
    for _ in 0..2 {
        let store = VaultStore::open(dir, key()).map_err(|e| {
            let text = format!("{e:?}");
            text[..text.find([' ', '(']).unwrap_or(text.len())].to_owned()
        })?;
        let _ = store.verify();
        for account in ["default", "acme"] {
            let Ok(handle) = store.account(account) else {
                continue;
            };
            let all = ListParams {
                include_archived: true,
                limit: Some(3),
                ..ListParams::default()
            };
            let _ = handle.list_vaults(&all);
            for ((acct, vault, url), token) in
                expected.range((account.to_owned(), String::new(), String::new())..)
            {
                if acct != account {
                    break;
                }
                let _ = handle.get_vault(vault);
                let _ = handle.list_credentials(vault, &all);
                if let Ok(Some(found)) = bearer(&handle, vault, url) {
                    assert_eq!(&found, token, "a damaged store gave a wrong token");
                }
            }
            let _ = handle.create_vault(vaultstore::CreateVault::new(
                "after damage",
                vec![credential("https://new.example/mcp", "fake-token-new")],
            ));
            if let Some(((_, vault, _), _)) = expected.iter().find(|(k, _)| k.0 == account) {
                let _ = handle.archive_vault(vault);
            }
        }
    }
    Ok(())
}

#[test]
fn random_damage_never_panics_hangs_or_misdirects_a_token() {
    if let Some(role) = child_role() {
        child(&role);
        return;
    }
    let cases = env_number("VAULTSTORE_CORRUPTION_CASES").unwrap_or(DEFAULT_CASES);
    let seed = env_number("VAULTSTORE_CORRUPTION_SEED").unwrap_or(0);
    let template = tempfile::tempdir().expect("tempdir");
    make_template(template.path());
    let mut opened = 0;
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    for first in (0..cases).step_by(CASES_PER_CHILD as usize) {
        let last = (first + CASES_PER_CHILD).min(cases);
        let role = format!("{first} {last}");
        let env = [
            ("CORRUPTION_TEMPLATE", template.path().display().to_string()),
            ("CORRUPTION_SEED", seed.to_string()),
        ];
        let mut child = spawn_child(TEST, &role, &env);
        let lines = child_lines(&mut child);
        let mut current = None;
        loop {
            match lines.recv_timeout(CASE_DEADLINE) {
                Ok(line) => match line.split_once(' ') {
                    Some(("start", case)) => current = Some(case.to_owned()),
                    Some(("opened", _)) => opened += 1,
                    Some(("refused", rest)) => {
                        let error = rest.split(' ').next().unwrap_or_default();
                        *refused.entry(error.to_owned()).or_default() += 1;
                    }
                    _ => {}
                },
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    panic!("case {current:?} (seed {seed}) hung");
                }
            }
        }
        let status = child.wait().expect("wait");
        assert!(
            status.success(),
            "case {current:?} (seed {seed}) failed: {status}"
        );
    }
    eprintln!("corruption: {cases} cases, {opened} opened, refused to open: {refused:?}");
    assert_eq!(
        opened + refused.values().sum::<u64>(),
        cases,
        "cases unaccounted for"
    );
}

/// The child: runs cases `first..last` of the role, one damaged copy each.
fn child(role: &str) {
    let (first, last) = role.split_once(' ').expect("case range");
    let (first, last): (u64, u64) = (first.parse().expect("n"), last.parse().expect("n"));
    let template = PathBuf::from(std::env::var("CORRUPTION_TEMPLATE").expect("template"));
    let seed: u64 = std::env::var("CORRUPTION_SEED")
        .expect("seed")
        .parse()
        .expect("n");
    let expected = expected_tokens(&open(&template));
    for case in first..last {
        say(&format!("start {case}"));
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&template, dir.path());
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(case));
        let what = damage(dir.path(), &mut rng);
        match exercise(dir.path(), &expected) {
            Ok(()) => say(&format!("opened {case}: {what}")),
            Err(error) => say(&format!("refused {error} {case}: {what}")),
        }
    }
}
