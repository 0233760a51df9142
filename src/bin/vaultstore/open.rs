//! Finding the store and its key, and opening it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use vaultstore::secrecy::SecretString;
use vaultstore::{Builder, VaultStore};

use crate::args::Global;
use crate::exit::{usage, Failure};
use crate::secrets::{self, Stdin};

/// The store directory: `--store`, else `VAULTSTORE_PATH` (clap reads both), else
/// `<platform data dir>/vaultstore/store`.
pub fn store_dir(global: &Global) -> Result<PathBuf, Failure> {
    if let Some(dir) = &global.store {
        return Ok(dir.clone());
    }
    dirs::data_dir()
        .map(|data| data.join("vaultstore").join("store"))
        .ok_or_else(|| usage("no platform data directory here: pass --store DIR"))
}

/// The key file by default: `<store>.key`, a sibling of the store directory, so that
/// copying the directory (a backup) does not copy the key with it.
pub fn default_key_file(store: &Path) -> PathBuf {
    let mut name = OsString::from(store.as_os_str());
    name.push(".key");
    PathBuf::from(name)
}

/// How the store's key is given.
pub enum KeyChoice {
    File(PathBuf),
    Passphrase(SecretString),
}

/// The key to open an existing store with: a passphrase if asked for, else the key
/// file (`--key-file`, `VAULTSTORE_KEY_FILE` or `<store>.key`); with none of these
/// present, a passphrase prompt on a terminal.
fn existing_key(global: &Global, store: &Path, stdin: &mut Stdin) -> Result<KeyChoice, Failure> {
    if global.passphrase_stdin {
        return Ok(KeyChoice::Passphrase(stdin.line("the passphrase")?));
    }
    if global.passphrase {
        return passphrase_prompt().map(KeyChoice::Passphrase);
    }
    if let Some(file) = key_file_in_use(global, store) {
        if global.key_file.is_some() && !file.exists() {
            // A usage mistake, not an I/O failure of the store.
            return Err(usage(format!(
                "the key file {} (from --key-file or VAULTSTORE_KEY_FILE) does not exist; \
                 pass the path of this store's key file",
                file.display()
            )));
        }
        return Ok(KeyChoice::File(file));
    }
    let file = default_key_file(store);
    secrets::prompt(
        "Passphrase (hidden): ",
        &format!(
            "no key: {} does not exist; pass --key-file PATH, or --passphrase-stdin for a \
             store made with a passphrase",
            file.display()
        ),
    )
    .map(KeyChoice::Passphrase)
}

/// The key file an existing store is opened with, if it is opened with one.
pub fn key_file_in_use(global: &Global, store: &Path) -> Option<PathBuf> {
    if global.passphrase || global.passphrase_stdin {
        return None;
    }
    let file = global
        .key_file
        .clone()
        .unwrap_or_else(|| default_key_file(store));
    (global.key_file.is_some() || file.exists()).then_some(file)
}

pub fn passphrase_prompt() -> Result<SecretString, Failure> {
    secrets::prompt(
        "Passphrase (hidden): ",
        "--passphrase needs a terminal; use --passphrase-stdin",
    )
}

/// Opens an existing store in the account asked for. A missing store is a usage
/// error, not a new empty store: a mistyped path must not look like "no vaults".
pub fn open(global: &Global, stdin: &mut Stdin) -> Result<VaultStore, Failure> {
    let (dir, key) = existing_store(global, stdin)?;
    let store = with_key(VaultStore::builder(&dir), key).open()?;
    match &global.account {
        Some(name) => Ok(store.account(name)?),
        None => Ok(store),
    }
}

/// An existing store's directory and the key to open it with (not opened yet).
pub fn existing_store(global: &Global, stdin: &mut Stdin) -> Result<(PathBuf, KeyChoice), Failure> {
    let dir = store_dir(global)?;
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!(
            "{} is a file, not a store directory: pass the store's directory with --store \
             DIR (or VAULTSTORE_PATH)",
            dir.display()
        )));
    }
    if !is_store(&dir) && is_occupied(&dir) {
        return Err(usage(format!(
            "{} is a directory of other files with no store in it (no HEADER or data): \
             pass the store's own directory with --store DIR, or make a store in a new \
             directory with `vaultstore init`",
            dir.display()
        )));
    }
    if !is_store(&dir) {
        return Err(usage(format!(
            "no store at {}: create one with `vaultstore init`, or pass --store DIR \
             (or set VAULTSTORE_PATH)",
            dir.display()
        )));
    }
    let key = existing_key(global, &dir, stdin)?;
    Ok((dir, key))
}

pub fn with_key(builder: Builder, key: KeyChoice) -> Builder {
    match key {
        KeyChoice::File(path) => builder.key_file(path),
        KeyChoice::Passphrase(pass) => builder.passphrase(pass),
    }
}

/// A directory the library has made a store in: it holds the store's header file or
/// its data directory. (Any other directory would be turned into a new store by an
/// open, which only `init` may do; a damaged store still gets the library's message.)
pub fn is_store(dir: &Path) -> bool {
    dir.join("HEADER").exists() || dir.join("data").exists()
}

/// A directory that exists and holds something: `init` makes no store there.
pub fn is_occupied(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}
