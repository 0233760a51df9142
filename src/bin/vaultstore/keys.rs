//! `init` and `rotate-key`: making a store with its key, and replacing the key.

use std::path::{Path, PathBuf};

use serde_json::json;
use vaultstore::{MasterKey, RotationReport, VaultStore};

use crate::args::RotateArgs;
use crate::exit::{Failure, Outcome};
use crate::open::{self, KeyChoice};
use crate::progress::spin;
use crate::secrets;
use crate::Context;

pub fn init(cx: &mut Context) -> Outcome {
    let global = &cx.global;
    let dir = open::store_dir(global)?;
    if open::is_occupied(&dir) {
        return Err(Failure::Conflict(format!(
            "{} already exists and is not empty; `init` makes a store only in a new or \
             empty directory",
            dir.display()
        )));
    }
    let passphrase = if global.passphrase_stdin {
        Some(cx.stdin.line("the passphrase")?)
    } else if global.passphrase {
        let no_tty = "--passphrase needs a terminal; use --passphrase-stdin";
        Some(secrets::prompt_new_passphrase(no_tty)?)
    } else {
        None
    };
    let (key, key_file) = match passphrase {
        Some(pass) => (KeyChoice::Passphrase(pass), None),
        None => {
            let file = global
                .key_file
                .clone()
                .unwrap_or_else(|| open::default_key_file(&dir));
            new_key_file(&file)?;
            (KeyChoice::File(file.clone()), Some(file))
        }
    };
    let opened = open::with_key(VaultStore::builder(&dir), key).open();
    if let (Err(_), Some(file)) = (&opened, &key_file) {
        // The key guards nothing yet: leave no stray key behind.
        let _ = std::fs::remove_file(file);
    }
    drop(opened?);
    let answer = json!({ "store": dir, "key_file": key_file });
    cx.out.show(&answer, || {
        let mut text = format!("Created a store at {}\n", dir.display());
        match &key_file {
            Some(file) => text.push_str(&format!(
                "Key file: {} (0600). Keep it safe, and apart from copies of the store: \
                 without it the store cannot be opened.",
                file.display()
            )),
            None => text.push_str(
                "Key: your passphrase. Pass --passphrase (or --passphrase-stdin) to every \
                 command.",
            ),
        }
        text
    });
    Ok(())
}

/// Writes a fresh random key to a new 0600 file, refusing to replace one.
fn new_key_file(file: &Path) -> Result<(), Failure> {
    if file.exists() {
        return Err(Failure::Conflict(format!(
            "the key file {} already exists; move it away or pass --key-file PATH",
            file.display()
        )));
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            Failure::Store(vaultstore::Error::Io {
                context: format!("creating {}", parent.display()),
                source: e,
            })
        })?;
    }
    Ok(MasterKey::generate().write_to_file(file)?)
}

pub fn rotate(args: RotateArgs, cx: &mut Context) -> Outcome {
    let store = cx.store()?;
    let old_key_file = open::key_file_in_use(&cx.global, store.path());
    let (report, new_file): (RotationReport, Option<PathBuf>) = match &args.new_key_file {
        Some(file) => {
            // Written (and read back) before anything changes: a rotation cut short is
            // finished by opening the store with this new key.
            new_key_file(file)?;
            let key = MasterKey::from_file(file)?;
            let report = spin("re-sealing tokens", || store.rotate_key(key))?;
            (report, Some(file.clone()))
        }
        None => {
            let pass = if args.new_passphrase_stdin {
                cx.stdin.line("the new passphrase")?
            } else {
                secrets::prompt_new_passphrase(
                    "--new-passphrase needs a terminal; use --new-passphrase-stdin",
                )?
            };
            let report = spin("re-sealing tokens", || store.rotate_to_passphrase(pass))?;
            (report, None)
        }
    };
    let answer = json!({
        "key_id": report.key_id,
        "tokens_resealed": report.tokens_resealed,
        "tokens_unreadable": report.tokens_unreadable,
        "key_file": new_file,
    });
    cx.out.show(&answer, || {
        let old = match &old_key_file {
            Some(file) => format!("The old key file {}", file.display()),
            None => "The old passphrase".to_owned(),
        };
        let keep = match &new_file {
            Some(file) => format!(
                "Keep {}: it is now the only key to the store.",
                file.display()
            ),
            None => "Keep the new passphrase: it is now the only key to the store \
                     (pass --passphrase or --passphrase-stdin)."
                .to_owned(),
        };
        let mut text = format!(
            "Rotated to key {}: {} token(s) re-sealed.\n{keep}\n{old} no longer opens it.",
            report.key_id, report.tokens_resealed
        );
        if report.tokens_unreadable > 0 {
            text.push_str(&format!(
                "\n{} token(s) failed their integrity check and stay unreadable: run \
                 `vaultstore verify` to name them.",
                report.tokens_unreadable
            ));
        }
        if let (Some(new), Some(old)) = (&new_file, &old_key_file) {
            text.push_str(&format!(
                "\nTo keep using the same path: mv {} {}",
                new.display(),
                old.display()
            ));
        }
        text
    });
    Ok(())
}
