//! `init` and `rotate-key`: making a store with its key, and replacing the key.

use std::path::{Path, PathBuf};

use serde_json::json;
use vaultstore::{MasterKey, RotationReport, VaultStore};

use crate::args::RotateArgs;
use crate::exit::{usage, Failure, Outcome};
use crate::open::{self, KeyChoice};
use crate::progress::spin;
use crate::secrets;
use crate::Context;

pub fn init(cx: &mut Context) -> Outcome {
    if let Some(url) = crate::postgres::url(&cx.global) {
        return init_postgres(&url, cx);
    }
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
            let legacy = open::legacy_key_file(&dir);
            if global.key_file.is_none() && legacy.exists() {
                return Err(Failure::Conflict(format!(
                    "a key file {} already exists beside the store path; move it away or \
                     pass --key-file PATH",
                    legacy.display()
                )));
            }
            let (file, ours) = match &global.key_file {
                Some(file) => (file.clone(), false),
                None => (open::new_key_file(&dir)?, true),
            };
            new_key_file(&file, ours)?;
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
                "Key file: {} (0600), apart from the store's data. Keep it safe and out of \
                 backups of the store: without it the store cannot be opened, and with it \
                 anyone holding a copy can. On the same disk it does not protect against \
                 a stolen disk: use a passphrase or keep the key on other media.",
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

/// `init` of a store in PostgreSQL: a new key file at `--key-file` (required: there
/// is no directory to put it beside) or a passphrase, then the schema and the store.
fn init_postgres(url: &str, cx: &mut Context) -> Outcome {
    let global = &cx.global;
    let (key, key_file) = if global.passphrase_stdin {
        (
            KeyChoice::Passphrase(cx.stdin.line("the passphrase")?),
            None,
        )
    } else if global.passphrase {
        let no_tty = "--passphrase needs a terminal; use --passphrase-stdin";
        (
            KeyChoice::Passphrase(secrets::prompt_new_passphrase(no_tty)?),
            None,
        )
    } else {
        let Some(file) = global.key_file.clone() else {
            return Err(usage(
                "init of a PostgreSQL store writes its new key where you say: pass --key-file \
                 PATH (a new file), or --passphrase-stdin",
            ));
        };
        new_key_file(&file, false)?;
        (KeyChoice::File(file.clone()), Some(file))
    };
    let opened = open::with_key(crate::postgres::builder(url)?, key).open();
    if opened.is_err() {
        if let Some(file) = &key_file {
            // The key guards nothing yet: leave no stray key behind.
            let _ = std::fs::remove_file(file);
        }
    }
    let store = match opened {
        // A store is there already, made with another key.
        Err(vaultstore::Error::WrongKey) => {
            return Err(Failure::Conflict(
                "the database schema already holds a store (made with another key); \
                 `init` makes a new one only in an empty schema"
                    .into(),
            ))
        }
        other => other?,
    };
    drop(store);
    let answer = json!({ "store": "postgresql", "key_file": key_file });
    cx.out.show(&answer, || match &key_file {
        Some(file) => format!(
            "Created a store in PostgreSQL\nKey file: {} (0600). Every process that opens \
             the store needs it; the database holds no key.",
            file.display()
        ),
        None => "Created a store in PostgreSQL\nKey: your passphrase.".to_owned(),
    });
    Ok(())
}

/// Writes a fresh random key to a new 0600 file, refusing to replace one. Missing
/// directories are made (0700) only on the default path (`ours`): a path the user typed
/// must be in an existing directory, so a typo does not create a tree of directories.
fn new_key_file(file: &Path, ours: bool) -> Result<(), Failure> {
    if file.exists() {
        return Err(Failure::Conflict(format!(
            "the key file {} already exists; move it away or pass --key-file PATH",
            file.display()
        )));
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            if !ours {
                return Err(usage(format!(
                    "the directory {} of the key file does not exist; create it \
                     (mkdir -m 700 {}) or choose another path",
                    parent.display(),
                    parent.display()
                )));
            }
            private_dirs(parent).map_err(|e| {
                Failure::Store(vaultstore::Error::Io {
                    context: format!("creating {}", parent.display()),
                    source: e,
                })
            })?;
        }
    }
    Ok(MasterKey::generate().write_to_file(file)?)
}

/// Creates `dir` and its missing parents, each 0700 on Unix.
fn private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

pub fn rotate(args: RotateArgs, cx: &mut Context) -> Outcome {
    let store = cx.store()?;
    let old_key_file = open::key_file_in_use(&cx.global, store.path());
    if args.destroy_old_key && old_key_file.is_none() {
        return Err(usage(
            "--destroy-old-key: the store is opened with a passphrase, so there is no old \
             key file to destroy",
        ));
    }
    let (report, new_file): (RotationReport, Option<PathBuf>) = match &args.new_key_file {
        Some(file) => {
            // Written (and read back) before anything changes: a rotation cut short is
            // finished by opening the store with this new key.
            new_key_file(file, false)?;
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
    let destroyed = match (&old_key_file, args.destroy_old_key) {
        (Some(old), true) => {
            destroy_key_file(old).map_err(|e| {
                Failure::Store(vaultstore::Error::Io {
                    context: format!(
                        "rotated to key {}, but destroying the old key file {} failed",
                        report.key_id,
                        old.display()
                    ),
                    source: e,
                })
            })?;
            true
        }
        _ => false,
    };
    if let (Some(old), false) = (&old_key_file, destroyed) {
        eprintln!(
            "vaultstore: warning: the old key file {} still opens backups and copies of the \
             store made before this rotation (and, until `vaultstore compact`, old \
             ciphertext left in the store's files). Destroy it unless you need those: \
             rotate with --destroy-old-key, or shred it yourself.",
            old.display()
        );
    }
    let answer = json!({
        "key_id": report.key_id,
        "tokens_resealed": report.tokens_resealed,
        "tokens_unreadable": report.tokens_unreadable,
        "key_file": new_file,
        "old_key_file": old_key_file,
        "old_key_file_destroyed": destroyed,
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
        if destroyed {
            text.push_str(" It was overwritten with zeros and removed.");
        }
        text.push_str(
            "\nRun `vaultstore compact` to drop the old ciphertext from the store's files.",
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

/// Overwrites a key file with zeros, fsyncs it, removes it and fsyncs its directory.
/// Best effort against recovery: a copy-on-write file system or an SSD may keep the old
/// blocks.
fn destroy_key_file(path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let len = file.metadata()?.len();
    file.write_all(&vec![0u8; len as usize])?;
    file.sync_all()?;
    drop(file);
    std::fs::remove_file(path)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    std::fs::File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}
