//! Key rotation: every live token re-sealed under a new master key, crash-safely.
//!
//! 1. The rotation is recorded durably: the next key's check value, and the current key
//!    sealed under the next one. From here the next key alone can finish the rotation.
//! 2. New seals use the next key; live tokens are re-sealed in batches.
//! 3. The record is replaced by the next key's, durably, and the old key is forgotten.
//!
//! A crash in 1–3 leaves a store that the next key opens (finishing the rotation) and
//! the old key refuses with [`Error::RotationUnfinished`]; before 1 the old key works.

use std::ops::Bound;

use secrecy::SecretString;

use crate::codec::{decode, encode};
use crate::engine::{TreeId, WriteSet};
use crate::error::{Error, Result};
use crate::id::{Kind, RawId};
use crate::key::{KdfParams, MasterKey};
use crate::layout::{Account, META_KEYS};
use crate::records::{KeySlot, KeyState, Rotation, TokenEntry};
use crate::seal::{token_ad, KeyHandle};
use crate::store::VaultStore;

#[derive(Default)]
struct Resealed {
    resealed: u64,
    unreadable: u64,
}

/// Tokens read per write batch.
const BATCH: usize = 512;

/// The outcome of a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationReport {
    /// The new key's id (1 for the key a store was made with, then 2, 3, …).
    pub key_id: u32,
    /// Live tokens re-sealed, across all accounts.
    pub tokens_resealed: u64,
    /// Tokens that failed their integrity check under the old key (tampered or
    /// damaged). They cannot be re-sealed and stay unreadable; [`VaultStore::verify`]
    /// names them. Zero on a healthy store.
    pub tokens_unreadable: u64,
}

impl VaultStore {
    /// Re-seals every live token of every account under `new_key`. The store stays
    /// usable meanwhile; afterwards the old key opens nothing live and no longer opens
    /// the store. Always durable, whatever the store's [`Durability`](crate::Durability).
    ///
    /// A token that fails its integrity check cannot be re-sealed: it is counted in
    /// [`RotationReport::tokens_unreadable`] and left as it is (already lost), rather than
    /// blocking the rotation of every other token.
    ///
    /// # Errors
    /// [`Error::Io`] or a storage failure; the rotation is then unfinished, and a later
    /// call, or opening with the new key, finishes it.
    pub fn rotate_key(&self, new_key: MasterKey) -> Result<RotationReport> {
        self.rotate(new_key, None)
    }

    /// Like [`VaultStore::rotate_key`], to a key derived from `passphrase` (Argon2id,
    /// a fresh salt, the cost from [`Builder::kdf_cost`](crate::Builder::kdf_cost)).
    ///
    /// # Errors
    /// As [`VaultStore::rotate_key`].
    pub fn rotate_to_passphrase(&self, passphrase: SecretString) -> Result<RotationReport> {
        let kdf = KdfParams::fresh(self.inner.kdf_cost);
        let key = MasterKey::derive(&passphrase, &kdf)?;
        self.rotate(key, Some(kdf))
    }

    fn rotate(&self, new_key: MasterKey, kdf: Option<KdfParams>) -> Result<RotationReport> {
        let _one_at_a_time = self
            .inner
            .rotation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if self.keys().previous.is_some() {
            // An earlier rotation stopped on an error: finish it before starting anew.
            self.finish_rotation_locked()?;
        }
        let store_id = &self.inner.store_id;
        let state = self.key_state()?;
        let next = KeyHandle::new(state.current.id + 1, new_key);
        let rotation = Rotation {
            next: KeySlot {
                id: next.id,
                check: next.check_value(store_id)?,
                kdf,
            },
            current_wrapped: next.wrap(&self.keys().current, store_id)?,
        };
        self.write_key_state(&KeyState {
            current: state.current,
            rotation: Some(rotation),
        })?;
        {
            let mut keys = self.inner.keys.write().unwrap_or_else(|p| p.into_inner());
            let current = std::mem::replace(&mut keys.current, next);
            keys.previous = Some(current);
        }
        self.finish_rotation_locked()
    }

    /// Finishes a rotation found unfinished at open.
    pub(crate) fn finish_rotation(&self) -> Result<RotationReport> {
        let _one_at_a_time = self
            .inner
            .rotation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        self.finish_rotation_locked()
    }

    fn finish_rotation_locked(&self) -> Result<RotationReport> {
        let mut totals = Resealed::default();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let (batch, last) = self.reseal_batch(after.as_deref())?;
            totals.resealed += batch.resealed;
            totals.unreadable += batch.unreadable;
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        self.engine().sync()?;
        let state = self.key_state()?;
        let Some(rotation) = state.rotation else {
            return Err(Error::corrupted(
                "the rotation record vanished during a rotation",
            ));
        };
        let key_id = rotation.next.id;
        self.write_key_state(&KeyState {
            current: rotation.next,
            rotation: None,
        })?;
        self.inner
            .keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .previous = None;
        Ok(RotationReport {
            key_id,
            tokens_resealed: totals.resealed,
            tokens_unreadable: totals.unreadable,
        })
    }

    /// Re-seals the tokens among the `BATCH` after key `after`; returns the counts and
    /// the last key read (`None` at the end of the tree).
    fn reseal_batch(&self, after: Option<&[u8]>) -> Result<(Resealed, Option<Vec<u8>>)> {
        let keys = self.keys();
        let mut counts = Resealed::default();
        let Some(previous) = &keys.previous else {
            return Ok((counts, None));
        };
        // Under the writer lock, nothing changes a token between its read and re-seal.
        let _writer = self.writer();
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut batch = sled::Batch::default();
        let (mut read, mut last) = (0, None);
        for item in self
            .engine()
            .tokens
            .range::<&[u8], _>((start, Bound::Unbounded))
        {
            let (key, bytes) = item?;
            let mut entry: TokenEntry = decode(&bytes, || "a token entry".to_owned())?;
            if entry.sealed.key_id == previous.id {
                let opened = ad_for_token_key(&key, &entry)
                    .ok()
                    .and_then(|ad| Some((previous.open(&entry.sealed, &ad)?, ad)));
                match opened {
                    Some((plain, ad)) => {
                        entry.sealed = keys.current.seal(&plain, &ad)?;
                        batch.insert(key.to_vec(), encode(&entry)?);
                        counts.resealed += 1;
                    }
                    None => counts.unreadable += 1,
                }
            }
            read += 1;
            last = Some(key.to_vec());
            if read == BATCH {
                break;
            }
        }
        self.engine().tokens.apply_batch(batch)?;
        Ok((counts, if read == BATCH { last } else { None }))
    }

    pub(crate) fn key_state(&self) -> Result<KeyState> {
        let bytes = self
            .engine()
            .meta
            .get(META_KEYS)?
            .ok_or_else(|| Error::corrupted("the key record is missing"))?;
        decode(&bytes, || "the key record".to_owned())
    }

    /// Writes the key record durably, whatever the store's durability mode.
    fn write_key_state(&self, state: &KeyState) -> Result<()> {
        let mut set = WriteSet::default();
        set.put(TreeId::Meta, META_KEYS.to_vec(), encode(state)?);
        self.apply_checked(|_| Ok((set, ())))?;
        self.engine().sync()
    }
}

/// The associated data of the token stored under `key` (account, vault, URL).
pub(crate) fn ad_for_token_key(key: &[u8], entry: &TokenEntry) -> Result<Vec<u8>> {
    let (account, vault, url) = Account::split_token_key(key)
        .ok_or_else(|| Error::corrupted("a token key is malformed"))?;
    Ok(token_ad(
        &account,
        &vault.format(Kind::Vault),
        &RawId(u128::from_be_bytes(entry.credential_id)).format(Kind::Credential),
        &url,
        entry.protocol,
        entry.credential_type,
    ))
}
