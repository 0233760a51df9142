//! A credential's refresh lock held by an owner rather than a borrow, so it can be held
//! across awaits: the rmcp adapter's refresh guard holds it from rmcp's load, through
//! rmcp's own token request, to its save. A session lookup's refresh, an update, an
//! archive or a delete of the credential wait meanwhile, so a refresh token is never
//! spent by both paths.

use secrecy::SecretString;

use super::{RefreshFailure, RefreshFailureKind};
use crate::api::id::RawId;
use crate::api::model::VaultCredential;
use crate::api::request::UpdateCredential;
use crate::error::{Error, Result};
use crate::store::records::SecretField;
use crate::store::VaultStore;

/// Holds the refresh lock of one credential until dropped.
pub(crate) struct HeldRefresh {
    store: VaultStore,
    vault: RawId,
    id: RawId,
    key: Vec<u8>,
    /// Other processes sharing the store (PostgreSQL) wait too. In a mutex only to be
    /// `Sync` (a database connection is not); never locked.
    _across_processes: std::sync::Mutex<Option<Box<dyn crate::backend::CrossProcessGuard>>>,
}

impl VaultStore {
    /// Blocks until no one refreshes, updates, archives or deletes credential `id` of
    /// `vault`, then holds its refresh lock. Blocking: call it off the async runtime.
    pub(crate) fn hold_refresh(&self, vault: RawId, id: RawId) -> Result<HeldRefresh> {
        let key = self.account.credential(vault, id);
        self.inner.refresh_locks.acquire(&key);
        let across = match self.backend().lock_across_processes(&key) {
            Ok(guard) => guard,
            Err(e) => {
                self.inner.refresh_locks.release(&key);
                return Err(e);
            }
        };
        Ok(HeldRefresh {
            store: self.clone(),
            vault,
            id,
            key,
            _across_processes: std::sync::Mutex::new(across),
        })
    }
}

impl HeldRefresh {
    /// The credential held: (vault, credential).
    pub(crate) fn credential(&self) -> (RawId, RawId) {
        (self.vault, self.id)
    }

    /// [`VaultStore::update_credential`] on the held credential, under this lock.
    pub(crate) fn update(&self, update: UpdateCredential) -> Result<VaultCredential> {
        use crate::api::id::Kind;
        self.store.update_credential_held(
            &self.vault.format(Kind::Vault),
            &self.id.format(Kind::Credential),
            update,
        )
    }

    /// Records that the token endpoint refused the credential's refresh token
    /// (`invalid_grant`, seen by another refresher than the session's): the credential
    /// then needs a new login, as after a refused refresh of its own. Does nothing if
    /// the stored refresh token is no longer the one `is_refused` recognises (it was
    /// replaced meanwhile). Returns whether the credential was marked.
    pub(crate) fn refresh_token_refused(
        &self,
        is_refused: impl FnOnce(&SecretString) -> bool,
        message: &str,
    ) -> Result<bool> {
        let store = &self.store;
        let (vault, id) = (self.vault, self.id);
        let record = {
            let keys = store.keys();
            let mut reads = store.backend().reads()?;
            let Some(record) = store.read_credential(&mut *reads, &keys, vault, id)? else {
                return Ok(false);
            };
            if !record.is_active() {
                return Ok(false);
            }
            let entry = store
                .read_token_entry(&mut *reads, vault, &record.lookup_url)?
                .filter(|e| e.credential_id == id.bytes() && e.binding == record.binding);
            let Some(sealed) = entry.and_then(|e| e.refresh_token) else {
                return Ok(false);
            };
            let stored = store.open_secret(
                &keys,
                vault,
                id,
                &record,
                SecretField::RefreshToken,
                &sealed,
            )?;
            if !is_refused(&stored) {
                return Ok(false);
            }
            record
        };
        let failure =
            RefreshFailure::new(RefreshFailureKind::InvalidGrant, "invalid_grant", message);
        match store.record_failure(vault, id, &record, failure) {
            Error::Refresh { .. } => Ok(true),
            other => Err(other),
        }
    }
}

impl Drop for HeldRefresh {
    fn drop(&mut self) {
        self.store.inner.refresh_locks.release(&self.key);
    }
}
