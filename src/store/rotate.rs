//! Key rotation: every live token re-sealed under a new master key, crash-safely.
//!
//! 1. The rotation is recorded durably: the next key's check value, and the current key
//!    sealed under the next one. From here the next key alone can finish the rotation.
//! 2. New seals use the next key; live tokens are re-sealed in batches.
//! 3. The record is replaced by the next key's, durably, and the old key is forgotten.
//!
//! A crash in 1–3 leaves a store that the next key opens (finishing the rotation) and
//! the old key refuses with [`Error::RotationUnfinished`]; before 1 the old key works.

use secrecy::SecretString;

use crate::backend::{MetaKey, RowItem, RowKey, Table, Writes};
use crate::crypto::codec::{decode, encode, resign, signed_key_id};
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;

use crate::api::id::RawId;
use crate::crypto::key::{KdfParams, MasterKey};
use crate::crypto::seal::{KeyHandle, Keyring};
use crate::store::records::{KeySlot, KeyState, Rotation, SecretField};
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
    /// Live credentials whose secrets were re-sealed, across all accounts. (Every vault
    /// and credential record is re-signed too.)
    pub tokens_resealed: u64,
    /// Records and secrets that failed their integrity check under the old key
    /// (tampered or damaged). They cannot be re-sealed and stay unreadable;
    /// [`VaultStore::verify`] names them. Zero on a healthy store.
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
        {
            // Lock order: `keys`, then `key_switch`, as every writer takes them.
            let mut keys = self.inner.keys.write().unwrap_or_else(|p| p.into_inner());
            let _switch = self
                .inner
                .key_switch
                .write()
                .unwrap_or_else(|p| p.into_inner());
            let bytes = encode(&KeyState {
                current: state.current,
                rotation: Some(rotation),
            })?;
            self.transact_switch_held(|tx| tx.put_meta(MetaKey::Keys, &bytes))?;
            self.backend().sync()?;
            let current = std::mem::replace(&mut keys.current, next);
            keys.previous = Some(current);
            self.inner.key_id.store(keys.current.id, Ordering::Release);
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
        for table in [Table::Credentials, Table::Vaults] {
            let mut after: Option<RowKey> = None;
            loop {
                let (batch, last) = self.reseal_batch(table, after.as_ref())?;
                totals.resealed += batch.resealed;
                totals.unreadable += batch.unreadable;
                match last {
                    Some(last) => after = Some(last),
                    None => break,
                }
            }
        }
        self.backend().sync()?;
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

    /// Re-signs the records of `table` (credentials or vaults) among the `BATCH` after
    /// row `after` that the previous key signed, and re-seals the secrets of each
    /// active credential among them, in one transaction that also reads them (what is
    /// re-signed is what is stored when it commits); returns the counts and the last
    /// row read (`None` at the end of the table).
    fn reseal_batch(
        &self,
        table: Table,
        after: Option<&RowKey>,
    ) -> Result<(Resealed, Option<RowKey>)> {
        let keys = self.keys();
        let Some(previous) = &keys.previous else {
            return Ok((Resealed::default(), None));
        };
        self.transact(|tx| {
            let mut counts = Resealed::default();
            let batch = tx.scan(table, after, BATCH)?;
            for (row, bytes) in &batch {
                let handle = self.for_account(&row.account);
                if signed_key_id(bytes) == Some(previous.id) {
                    match resign(bytes, &keys, &keys.current, &row.place()) {
                        Some(again) => tx.replace_record(row, &again)?,
                        None => counts.unreadable += 1,
                    }
                }
                if let RowItem::Credential(id) = row.item {
                    handle.reseal_token(
                        tx,
                        &keys,
                        row.vault,
                        id,
                        bytes,
                        previous.id,
                        &mut counts,
                    )?;
                }
            }
            let last = match batch.last() {
                Some((key, _)) if batch.len() == BATCH => Some(key.clone()),
                _ => None,
            };
            Ok((counts, last))
        })
    }

    /// Re-seals the secrets of an active credential (record `bytes`) that the previous
    /// key sealed.
    #[allow(clippy::too_many_arguments)]
    fn reseal_token(
        &self,
        tx: &mut dyn Writes,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        bytes: &[u8],
        previous: u32,
        counts: &mut Resealed,
    ) -> Result<()> {
        let Ok(record) = self.decode_credential(keys, vault, id, bytes) else {
            counts.unreadable += 1;
            return Ok(());
        };
        if !record.is_active() {
            return Ok(());
        }
        let entry = match self.read_token_entry(tx, vault, &record.lookup_url) {
            Ok(Some(entry)) if entry.credential_id == id.bytes() => entry,
            Ok(_) => return Ok(()),
            Err(_) => {
                counts.unreadable += 1;
                return Ok(());
            }
        };
        let mut again = entry;
        let fields = [
            (SecretField::AccessToken, Some(&mut again.access_token)),
            (SecretField::RefreshToken, again.refresh_token.as_mut()),
            (SecretField::ClientSecret, again.client_secret.as_mut()),
        ];
        let mut changed = false;
        for (field, sealed) in fields {
            let Some(sealed) = sealed.filter(|s| s.key_id == previous) else {
                continue;
            };
            match self.open_secret(keys, vault, id, &record, field, sealed) {
                Ok(secret) => {
                    *sealed = self.seal_secret(keys, vault, id, &record, field, &secret)?;
                    changed = true;
                }
                Err(_) => counts.unreadable += 1,
            }
        }
        if changed {
            counts.resealed += 1;
            self.put_token(tx, vault, &record.lookup_url, &again)?;
        }
        Ok(())
    }

    pub(crate) fn key_state(&self) -> Result<KeyState> {
        let bytes = self
            .backend()
            .reads()?
            .meta(MetaKey::Keys)?
            .ok_or_else(|| Error::corrupted("the key record is missing"))?;
        decode(&bytes, || "the key record".to_owned())
    }

    /// Writes the key record durably, whatever the store's durability mode.
    fn write_key_state(&self, state: &KeyState) -> Result<()> {
        let bytes = encode(state)?;
        self.transact(|tx| tx.put_meta(MetaKey::Keys, &bytes))?;
        self.backend().sync()
    }
}
