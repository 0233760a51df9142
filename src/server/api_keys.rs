//! API keys of the server: who may call it, in which account, with which role.
//!
//! Kept in `api-keys.json` in the store directory, not in the sled store: the server
//! holds the store's lock while it runs, and `vaultstore api-key create|revoke` must
//! work then and take effect at once. The file holds no key, only each key's SHA-256:
//! a key is 256 random bits, so a hash cannot be reversed or guessed, and a slow
//! password hash (Argon2) would add nothing but tens of milliseconds and megabytes to
//! every request — a lever for denial of service. Written atomically (a 0600 temporary
//! file, fsync, rename), under a lock file so two writers do not lose each other's key.
//! The server re-reads it when it changes (checked on every authentication).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// The file's name in the store directory.
pub const API_KEYS_FILE: &str = "api-keys.json";
const LOCK_FILE: &str = "api-keys.lock";
const KEY_PREFIX: &str = "vsk_";
const FORMAT_VERSION: u32 = 1;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages vaults and credentials; never reads a token.
    Admin,
    /// Resolves tokens (`POST /vaultstore/v1/resolve`) and nothing else.
    Runtime,
}

impl Role {
    /// `admin` or `runtime`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Runtime => "runtime",
        }
    }
}

/// A key as stored and listed: everything but the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    /// `key_` and 16 hex digits; also part of the key, so a lookup finds the entry.
    pub id: String,
    /// A label for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The store account the key works in.
    pub account: String,
    /// What it may do.
    pub role: Role,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked key authenticates nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key just made: the only time the key itself exists outside its holder.
pub struct NewApiKey {
    /// What is stored about it.
    pub info: ApiKeyInfo,
    /// The key: `vsk_<id digits>_<43 characters>`. Shown once.
    pub key: SecretString,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKey")
            .field("info", &self.info)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    info: ApiKeyInfo,
    /// SHA-256 of the whole key, hex.
    sha256: String,
}

#[derive(Default, Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    keys: Vec<Entry>,
}

/// What identifies a version of the file: a rename gives a new inode, a write a new
/// modification time or length.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

struct Loaded {
    stamp: Option<Stamp>,
    keys: Vec<Entry>,
}

/// The API keys of one store directory. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct ApiKeys {
    dir: PathBuf,
    loaded: Arc<RwLock<Loaded>>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys").field("dir", &self.dir).finish()
    }
}

impl ApiKeys {
    /// The keys kept in `store_dir` (none yet if the file does not exist).
    pub fn new(store_dir: impl AsRef<Path>) -> ApiKeys {
        ApiKeys {
            dir: store_dir.as_ref().to_owned(),
            loaded: Arc::new(RwLock::new(Loaded {
                stamp: None,
                keys: Vec::new(),
            })),
        }
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(API_KEYS_FILE)
    }

    /// Makes a key for `account` with `role`; the answer holds the key, shown once.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad account or name; [`Error::Io`] if the file
    /// cannot be written; [`Error::Corrupted`] if the existing file does not parse.
    pub fn create(&self, account: &str, role: Role, name: Option<String>) -> Result<NewApiKey> {
        crate::api::validate::account_name(account)?;
        if let Some(name) = &name {
            crate::api::validate::display_name("name", name)?;
        }
        let mut id_bytes = [0u8; 8];
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut id_bytes);
        rand::rngs::OsRng.fill_bytes(secret.as_mut());
        let id_hex = hex(&id_bytes);
        let key = SecretString::from(format!(
            "{KEY_PREFIX}{id_hex}_{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                secret.as_ref()
            )
        ));
        let info = ApiKeyInfo {
            id: format!("key_{id_hex}"),
            name,
            account: account.to_owned(),
            role,
            created_at: crate::api::timestamp::truncate_micros(Utc::now()),
            revoked_at: None,
        };
        let entry = Entry {
            info: info.clone(),
            sha256: hex(&digest(key.expose_secret())),
        };
        self.change(|file| {
            file.keys.push(entry);
            Ok(())
        })?;
        Ok(NewApiKey { info, key })
    }

    /// Every key, revoked ones too, oldest first.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Corrupted`] if the file cannot be read.
    pub fn list(&self) -> Result<Vec<ApiKeyInfo>> {
        Ok(read_file(&self.path())?
            .keys
            .into_iter()
            .map(|e| e.info)
            .collect())
    }

    /// Revokes the key with this id (`key_…`); from then on it authenticates nothing.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::Conflict`] if already revoked.
    pub fn revoke(&self, id: &str) -> Result<ApiKeyInfo> {
        let mut revoked = None;
        self.change(|file| {
            let entry = file
                .keys
                .iter_mut()
                .find(|e| e.info.id == id)
                .ok_or_else(|| Error::NotFound {
                    message: format!("API key '{}' was not found.", crate::error::shown(id)),
                })?;
            if entry.info.revoked_at.is_some() {
                return Err(Error::conflict(format!(
                    "API key '{id}' is already revoked."
                )));
            }
            entry.info.revoked_at = Some(crate::api::timestamp::truncate_micros(Utc::now()));
            revoked = Some(entry.info.clone());
            Ok(())
        })?;
        revoked.ok_or_else(|| Error::Storage("revoke found no key".into()))
    }

    /// The live key that `presented` is, if any. Re-reads the file if it changed since
    /// the last call, so keys made or revoked meanwhile count at once. Blocking (a
    /// `stat`, sometimes a read): call it off async worker threads.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Corrupted`] if the file cannot be read.
    pub fn authenticate(&self, presented: &str) -> Result<Option<ApiKeyInfo>> {
        self.refresh()?;
        let Some(id_hex) = presented
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
        else {
            return Ok(None);
        };
        let wanted = digest(presented);
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        let id = format!("key_{id_hex}");
        let Some(entry) = loaded.keys.iter().find(|e| e.info.id == id) else {
            return Ok(None);
        };
        let stored = unhex(&entry.sha256).unwrap_or_default();
        let same: bool = stored.as_slice().ct_eq(wanted.as_slice()).into();
        Ok((same && entry.info.revoked_at.is_none()).then(|| entry.info.clone()))
    }

    fn refresh(&self) -> Result<()> {
        let path = self.path();
        let now = stamp(&path)?;
        {
            let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
            if loaded.stamp == now && (now.is_some() || loaded.keys.is_empty()) {
                return Ok(());
            }
        }
        let file = read_file(&path)?;
        let mut loaded = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        loaded.stamp = now;
        loaded.keys = file.keys;
        Ok(())
    }

    /// Read, change and write the file under the lock file.
    fn change(&self, f: impl FnOnce(&mut KeyFile) -> Result<()>) -> Result<()> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("creating {}", self.dir.display()), e))?;
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = crate::fsutil::open_private_file(&lock_path)
            .map_err(|e| Error::io(format!("opening {}", lock_path.display()), e))?;
        lock.lock()
            .map_err(|e| Error::io(format!("locking {}", lock_path.display()), e))?;
        let path = self.path();
        let mut file = read_file(&path)?;
        f(&mut file)?;
        file.version = FORMAT_VERSION;
        write_atomically(&path, &file)
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn stamp(path: &Path) -> Result<Option<Stamp>> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// The file's content; none yet is an empty list. A file others may write is refused:
/// whoever can add a line there could add a key.
fn read_file(path: &Path) -> Result<KeyFile> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(KeyFile::default()),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            fs::metadata(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if meta.permissions().mode() & 0o022 != 0 {
            return Err(Error::corrupted(format!(
                "{} may be written by other users; make it private with chmod 600",
                path.display()
            )));
        }
    }
    let file: KeyFile = serde_json::from_slice(&bytes)
        .map_err(|e| Error::corrupted(format!("{} does not parse: {e}", path.display())))?;
    if file.version != FORMAT_VERSION {
        return Err(Error::corrupted(format!(
            "{} has version {}, this build reads {FORMAT_VERSION}",
            path.display(),
            file.version
        )));
    }
    Ok(file)
}

fn write_atomically(path: &Path, file: &KeyFile) -> Result<()> {
    let text = serde_json::to_vec_pretty(file)
        .map_err(|e| Error::Storage(format!("encoding the API keys: {e}")))?;
    let tmp = path.with_extension("json.tmp");
    let io = |what: &str, e| Error::io(format!("{what} {}", tmp.display()), e);
    let _ = fs::remove_file(&tmp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out: File = options.open(&tmp).map_err(|e| io("creating", e))?;
    out.write_all(&text).map_err(|e| io("writing", e))?;
    out.sync_all().map_err(|e| io("syncing", e))?;
    drop(out);
    fs::rename(&tmp, path).map_err(|e| io("renaming", e))?;
    if let Some(dir) = path.parent() {
        crate::fsutil::sync_dir(dir)
            .map_err(|e| Error::io(format!("syncing {}", dir.display()), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_authenticates_until_revoked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keys = ApiKeys::new(dir.path());
        let new = keys
            .create("default", Role::Admin, Some("ci".into()))
            .expect("creates");
        let text = fs::read_to_string(keys.path()).expect("file");
        assert!(!text.contains(new.key.expose_secret()), "never the key");
        let found = keys
            .authenticate(new.key.expose_secret())
            .expect("reads")
            .expect("valid");
        assert_eq!(found.role, Role::Admin);
        assert!(keys.authenticate("vsk_00_nope").expect("reads").is_none());
        let mut wrong = new.key.expose_secret().to_owned();
        wrong.push('x');
        assert!(keys.authenticate(&wrong).expect("reads").is_none());

        // Another handle (as the CLI is) revokes; the first sees it at once.
        ApiKeys::new(dir.path())
            .revoke(&new.info.id)
            .expect("revokes");
        assert!(keys
            .authenticate(new.key.expose_secret())
            .expect("reads")
            .is_none());
        assert!(matches!(
            keys.revoke(&new.info.id),
            Err(Error::Conflict { .. })
        ));
        assert_eq!(keys.list().expect("lists").len(), 1);
    }

    #[test]
    fn bad_accounts_are_refused_and_debug_hides_the_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keys = ApiKeys::new(dir.path());
        assert!(keys.create("no spaces", Role::Runtime, None).is_err());
        let new = keys.create("acme", Role::Runtime, None).expect("creates");
        assert!(!format!("{new:?}").contains(new.key.expose_secret()));
    }
}
