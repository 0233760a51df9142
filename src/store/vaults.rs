//! Vault operations: create, get, update, list, archive, delete.

use std::collections::BTreeMap;

use super::credentials::new_record;
use super::VaultStore;
use crate::api::id::{Kind, RawId};
use crate::api::model::{Page, Vault};
use crate::api::request::{CreateVault, ListParams, UpdateVault};
use crate::api::validate;
use crate::backend::{ListScope, Reads};
use crate::crypto::seal::Keyring;
use crate::error::{Error, Result};
use crate::store::records::VaultRecord;

impl VaultStore {
    /// Creates a vault with its credentials, all or nothing. The answer lists the
    /// credentials (without tokens).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad field (the message names it), including no
    /// credentials ("At least one credential is required when creating a vault.") or more
    /// than the per-vault limit; [`Error::Conflict`] if two credentials share a URL.
    pub fn create_vault(&self, request: CreateVault) -> Result<Vault> {
        if request.credentials.is_empty() {
            validate::display_name("display_name", &request.display_name)?;
            validate::metadata(&request.metadata)?;
            return Err(Error::invalid(
                "credentials",
                "At least one credential is required when creating a vault.",
            ));
        }
        self.create_vault_with(request)
    }

    /// Creates a vault with no credentials yet: the hosted Anthropic API's create, which
    /// takes only a name and metadata (credentials are added one by one after). Every
    /// other way in keeps [`VaultStore::create_vault`]'s "at least one credential".
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad name or metadata.
    pub fn create_empty_vault(
        &self,
        display_name: impl Into<String>,
        metadata: BTreeMap<String, String>,
    ) -> Result<Vault> {
        self.create_vault_with(CreateVault {
            display_name: display_name.into(),
            credentials: Vec::new(),
            metadata,
        })
    }

    fn create_vault_with(&self, request: CreateVault) -> Result<Vault> {
        validate::display_name("display_name", &request.display_name)?;
        validate::metadata(&request.metadata)?;
        let max = self.inner.max_active_credentials as usize;
        if request.credentials.len() > max {
            return Err(Error::invalid(
                "credentials",
                format!(
                    "credentials: a vault holds at most {max} active credentials, got {}",
                    request.credentials.len()
                ),
            ));
        }
        let now = self.now_micros(0);
        let mut checked: Vec<String> = Vec::with_capacity(request.credentials.len());
        for (i, credential) in request.credentials.iter().enumerate() {
            let url = validate::credential(&format!("credentials[{i}]."), credential, now)?;
            if let Some(j) = checked.iter().position(|u| *u == url) {
                return Err(Error::conflict(format!(
                    "credentials[{i}].mcp_server_url: '{}' is the same server as credentials[{j}]; \
                     a vault holds one active credential per mcp_server_url",
                    credential.mcp_server_url
                )));
            }
            checked.push(url);
        }

        let (vault_id, created_at) = self.next_id();
        let record = VaultRecord {
            display_name: request.display_name,
            metadata: request.metadata,
            created_at,
            updated_at: created_at,
            archived_at: None,
            active_credentials: checked.len() as u32,
        };
        let keys = self.keys();
        // Sealed before the transaction, which may run more than once.
        let mut prepared = Vec::with_capacity(checked.len());
        for (credential, lookup_url) in request.credentials.iter().zip(checked) {
            let (id, created_at) = self.next_id();
            let (cred, secrets) = new_record(credential, lookup_url, created_at);
            let entry = self.seal_secrets(&keys, vault_id, id, &cred, &secrets)?;
            prepared.push((id, cred, entry));
        }
        let last_id = prepared.last().map_or(vault_id, |(id, _, _)| *id);
        self.transact(|tx| {
            self.put_vault(tx, &keys, vault_id, &record)?;
            for (id, cred, entry) in &prepared {
                self.put_new_credential(tx, &keys, vault_id, *id, cred, entry)?;
            }
            tx.note_id(last_id)
        })?;
        drop(keys);
        self.commit()?;
        let mut answer = record.into_public(vault_id);
        answer.credentials = Some(
            prepared
                .into_iter()
                .map(|(id, cred, _)| cred.into_public(vault_id, id))
                .collect(),
        );
        Ok(answer)
    }

    /// A vault, archived or not.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown, malformed or deleted id, or another account's.
    pub fn get_vault(&self, vault_id: impl AsRef<str>) -> Result<Vault> {
        let keys = self.keys();
        let mut reads = self.backend().reads()?;
        let (id, record) = self.load_vault(&mut *reads, &keys, vault_id.as_ref())?;
        Ok(record.into_public(id))
    }

    /// Changes a vault's name and metadata; refreshes `updated_at`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::InvalidRequest`] for a bad field, a patch leaving
    /// more than 16 pairs, or an archived vault.
    pub fn update_vault(&self, vault_id: impl AsRef<str>, update: UpdateVault) -> Result<Vault> {
        let vault_id = vault_id.as_ref();
        if let Some(name) = &update.display_name {
            validate::display_name("display_name", name)?;
        }
        let keys = self.keys();
        let (id, record) = self.transact(|tx| {
            let (id, mut record) = self.load_vault(tx, &keys, vault_id)?;
            if !record.is_active() {
                return Err(Error::invalid(
                    "vault_id",
                    format!("Vault '{vault_id}' is archived and cannot be updated."),
                ));
            }
            if let Some(patch) = &update.metadata {
                for (key, value) in patch {
                    match value {
                        Some(value) => record.metadata.insert(key.clone(), value.clone()),
                        None => record.metadata.remove(key),
                    };
                }
                validate::metadata(&record.metadata)?;
            }
            if let Some(name) = &update.display_name {
                record.display_name.clone_from(name);
            }
            record.updated_at = self.now_micros(record.updated_at);
            self.put_vault(tx, &keys, id, &record)?;
            Ok((id, record))
        })?;
        drop(keys);
        self.commit()?;
        Ok(record.into_public(id))
    }

    /// A page of vaults, newest first. Items carry no `credentials`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for bad parameters (see [`ListParams`]).
    pub fn list_vaults(&self, params: &ListParams) -> Result<Page<Vault>> {
        let keys = self.keys();
        let decode =
            |id: RawId, bytes: &[u8]| Ok(self.decode_vault(&keys, id, bytes)?.into_public(id));
        self.list(ListScope::Vaults, Kind::Vault, params, &decode)
    }

    /// Archives a vault and every credential in it, erasing their sealed tokens.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] if it is already archived.
    pub fn archive_vault(&self, vault_id: impl AsRef<str>) -> Result<Vault> {
        let vault_id = vault_id.as_ref();
        let keys = self.keys();
        let (id, record) = self.transact(|tx| {
            let (id, mut record) = self.load_vault(tx, &keys, vault_id)?;
            if !record.is_active() {
                return Err(Error::conflict(format!(
                    "Vault '{vault_id}' is already archived."
                )));
            }
            let now = self.now_micros(record.updated_at);
            // Every credential record, not the token entries: a record is the truth of
            // what is active, and each erases only its own token.
            for cred_id in tx.credential_ids(&self.account, id)? {
                let Some(mut cred) = self.read_credential(tx, &keys, id, cred_id)? else {
                    continue;
                };
                if !cred.is_active() {
                    continue;
                }
                cred.archived_at = Some(now);
                cred.updated_at = now.max(cred.updated_at);
                self.put_archived_credential(tx, &keys, id, cred_id, &cred)?;
            }
            record.archived_at = Some(now);
            record.updated_at = now;
            record.active_credentials = 0;
            self.put_vault(tx, &keys, id, &record)?;
            Ok((id, record))
        })?;
        drop(keys);
        self.commit()?;
        Ok(record.into_public(id))
    }

    /// Deletes a vault for good, with all its credentials, tokens and index entries.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub fn delete_vault(&self, vault_id: impl AsRef<str>) -> Result<()> {
        let vault_id = vault_id.as_ref();
        self.transact(|tx| {
            let id = self.existing_vault(tx, vault_id)?;
            tx.delete_vault(&self.account, id)
        })?;
        self.commit()
    }

    /// The id of an existing vault of this account, or not found; reads no record.
    pub(crate) fn existing_vault(&self, reads: &mut dyn Reads, vault_id: &str) -> Result<RawId> {
        match RawId::parse(vault_id, Kind::Vault) {
            Some(id) if reads.vault_exists(&self.account, id)? => Ok(id),
            _ => Err(Error::vault_not_found(vault_id)),
        }
    }

    /// The vault `vault_id` names in this account, or not found.
    pub(crate) fn load_vault(
        &self,
        reads: &mut dyn Reads,
        keys: &Keyring,
        vault_id: &str,
    ) -> Result<(RawId, VaultRecord)> {
        let id =
            RawId::parse(vault_id, Kind::Vault).ok_or_else(|| Error::vault_not_found(vault_id))?;
        let record = self
            .read_vault(reads, keys, id)?
            .ok_or_else(|| Error::vault_not_found(vault_id))?;
        Ok((id, record))
    }
}
