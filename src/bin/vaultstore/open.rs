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

/// Where earlier versions put the key file: `<store>.key`, beside the store directory.
/// Still used when it exists, so existing stores keep opening.
pub fn legacy_key_file(store: &Path) -> PathBuf {
    let mut name = OsString::from(store.as_os_str());
    name.push(".key");
    PathBuf::from(name)
}

/// Where `init` puts a new store's key file: in the platform config directory, apart
/// from the data directory, so that copying or syncing the data does not take the key:
/// `<config dir>/vaultstore/keys/<store name>-<hash of the store's full path>.key`.
pub fn new_key_file(store: &Path) -> Result<PathBuf, Failure> {
    let config = dirs::config_dir()
        .ok_or_else(|| usage("no platform config directory here: pass --key-file PATH"))?;
    let full = full_path(store);
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".to_owned());
    let hash = fnv1a(full.as_os_str().as_encoded_bytes());
    Ok(config
        .join("vaultstore")
        .join("keys")
        .join(format!("{name}-{hash:016x}.key")))
}

/// The key file an existing store opens with by default: the legacy one beside it if
/// present, else the one `init` would make.
fn default_key_file(store: &Path) -> Option<PathBuf> {
    let legacy = legacy_key_file(store);
    if legacy.exists() {
        return Some(legacy);
    }
    new_key_file(store).ok()
}

/// `store` made absolute with its longest existing ancestor resolved, so the same store
/// gets the same key path before `init` creates it and after.
fn full_path(store: &Path) -> PathBuf {
    let absolute = std::path::absolute(store).unwrap_or_else(|_| store.to_owned());
    let mut rest = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |path, part| path.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// FNV-1a, 64 bits: a stable name for a path (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How the store's key is given.
pub enum KeyChoice {
    File(PathBuf),
    Passphrase(SecretString),
}

/// The key to open an existing store with: a passphrase if asked for, else the key
/// file (`--key-file`, `VAULTSTORE_KEY_FILE`, `<store>.key` if present, or the one in
/// the config directory); with none of these present, a passphrase prompt on a terminal.
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
    let wanted = new_key_file(store)
        .map(|f| format!(" nor {}", f.display()))
        .unwrap_or_default();
    secrets::prompt(
        "Passphrase (hidden): ",
        &format!(
            "no key: neither {}{wanted} exists; pass --key-file PATH, or --passphrase-stdin \
             for a store made with a passphrase",
            legacy_key_file(store).display()
        ),
    )
    .map(KeyChoice::Passphrase)
}

/// The key file an existing store is opened with, if it is opened with one.
pub fn key_file_in_use(global: &Global, store: &Path) -> Option<PathBuf> {
    if global.passphrase || global.passphrase_stdin {
        return None;
    }
    match &global.key_file {
        Some(file) => Some(file.clone()),
        None => default_key_file(store).filter(|file| file.exists()),
    }
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
    let store = match crate::postgres::url(global) {
        Some(url) => {
            let key = crate::postgres::key(global, stdin)?;
            with_key(crate::postgres::builder(&url)?, key).open()?
        }
        None => {
            let (dir, key) = existing_store(global, stdin)?;
            with_key(VaultStore::builder(&dir), key).open()?
        }
    };
    match &global.account {
        Some(name) => Ok(store.account(name)?),
        None => Ok(store),
    }
}

/// An existing store's directory and the key to open it with (not opened yet).
pub fn existing_store(global: &Global, stdin: &mut Stdin) -> Result<(PathBuf, KeyChoice), Failure> {
    if crate::postgres::url(global).is_some() {
        return Err(usage(
            "this command works on a store directory; a PostgreSQL store has no files of \
             its own to compact (the database's VACUUM reclaims space)",
        ));
    }
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
