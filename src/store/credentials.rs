//! Credential operations: add, get, list, archive, delete.

use super::list::Records;
use super::{put_index, put_last_id, VaultStore};
use crate::codec::{decode, encode};
use crate::engine::{Engine, TreeId, WriteSet};
use crate::error::{Error, Result};
use crate::id::{Kind, RawId};
use crate::layout::index_key;
use crate::model::{DeletedCredential, DeletedObject, Page, VaultCredential};
use crate::records::{CredentialRecord, TokenEntry};
use crate::request::{CreateCredential, ListParams};
use crate::validate;

impl VaultStore {
    /// Adds a credential to an active vault; its token is sealed and never returned.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown vault; [`Error::InvalidRequest`] for a bad
    /// field, an archived vault, or a vault at its limit of active credentials;
    /// [`Error::Conflict`] if the vault already has an active credential for the URL.
    pub fn add_credential(
        &self,
        vault_id: impl AsRef<str>,
        request: CreateCredential,
    ) -> Result<VaultCredential> {
        let vault_id = vault_id.as_ref();
        let (lookup_url, token) = validate::credential("", &request)?;
        let (id, created_at) = self.next_id();
        let cred = CredentialRecord::new(&request, lookup_url, created_at);
        let keys = self.keys();
        let entry = self.seal_token(&keys, vault_id, id, &cred, token)?;
        let vault = self.apply_checked(|engine| {
            let (vault, mut record) = self.load_vault(engine, vault_id)?;
            if !record.is_active() {
                return Err(Error::invalid(
                    "vault_id",
                    format!("Vault '{vault_id}' is archived and cannot take new credentials."),
                ));
            }
            let max = self.inner.max_active_credentials;
            if record.active_credentials >= max {
                return Err(Error::invalid(
                    "vault_id",
                    format!(
                        "Vault '{vault_id}' already holds {max} active credentials, the limit; \
                         archive or delete one first."
                    ),
                ));
            }
            if engine
                .tokens
                .contains_key(self.account.token(vault, &cred.lookup_url))?
            {
                return Err(Error::conflict(format!(
                    "Vault '{vault_id}' already has an active credential for mcp_server_url '{}'.",
                    cred.mcp_server_url
                )));
            }
            record.active_credentials += 1;
            let mut set = WriteSet::default();
            set.put(TreeId::Vaults, self.account.vault(vault), encode(&record)?);
            self.put_new_credential(&mut set, vault, id, &cred, &entry)?;
            put_last_id(engine, &mut set, id)?;
            Ok((set, vault))
        })?;
        drop(keys);
        self.commit()?;
        Ok(cred.into_public(vault, id))
    }

    /// A credential of a vault, archived or not.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown vault or credential.
    pub fn get_credential(
        &self,
        vault_id: impl AsRef<str>,
        credential_id: impl AsRef<str>,
    ) -> Result<VaultCredential> {
        let (vault, id, record) =
            self.find_credential(self.engine(), vault_id.as_ref(), credential_id.as_ref())?;
        Ok(record.into_public(vault, id))
    }

    /// A page of a vault's credentials, newest first; `name` searches `mcp_server_url`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown vault; [`Error::InvalidRequest`] for bad
    /// parameters.
    pub fn list_credentials(
        &self,
        vault_id: impl AsRef<str>,
        params: &ListParams,
    ) -> Result<Page<VaultCredential>> {
        let vault = self.existing_vault(self.engine(), vault_id.as_ref())?;
        let scope = self.account.credential_scope(vault);
        let decode = |id: RawId, bytes: &[u8]| {
            let record: CredentialRecord = decode(bytes, || credential_name(id))?;
            Ok(record.into_public(vault, id))
        };
        let records = Records {
            tree: &self.engine().credentials,
            prefix: self.account.vault(vault),
            decode: &decode,
        };
        self.list(&scope, Kind::Credential, params, &records)
    }

    /// Archives a credential and erases its sealed token.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] if it is already archived.
    pub fn archive_credential(
        &self,
        vault_id: impl AsRef<str>,
        credential_id: impl AsRef<str>,
    ) -> Result<VaultCredential> {
        let (vault_id, credential_id) = (vault_id.as_ref(), credential_id.as_ref());
        let (vault, id, record) = self.apply_checked(|engine| {
            let (vault, id, mut record) = self.find_credential(engine, vault_id, credential_id)?;
            if !record.is_active() {
                return Err(Error::conflict(format!(
                    "Credential '{credential_id}' is already archived."
                )));
            }
            let now = self.now_micros(record.updated_at);
            record.archived_at = Some(now);
            record.updated_at = now;
            let mut set = WriteSet::default();
            let token_key = self.account.token(vault, &record.lookup_url);
            self.put_archived_credential(&mut set, vault, id, &record, token_key)?;
            self.count_one_less(engine, &mut set, vault)?;
            Ok((set, (vault, id, record)))
        })?;
        self.commit()?;
        Ok(record.into_public(vault, id))
    }

    /// Deletes a credential for good, with its token and index entries.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub fn delete_credential(
        &self,
        vault_id: impl AsRef<str>,
        credential_id: impl AsRef<str>,
    ) -> Result<DeletedCredential> {
        let (vault_id, credential_id) = (vault_id.as_ref(), credential_id.as_ref());
        let id = self.apply_checked(|engine| {
            let (vault, id, record) = self.find_credential(engine, vault_id, credential_id)?;
            let mut set = WriteSet::default();
            if record.is_active() {
                set.delete(
                    TreeId::Tokens,
                    self.account.token(vault, &record.lookup_url),
                );
                self.count_one_less(engine, &mut set, vault)?;
            }
            let scope = self.account.credential_scope(vault);
            set.delete(TreeId::Credentials, self.account.credential(vault, id));
            set.delete(TreeId::ListAll, index_key(&scope, id));
            set.delete(TreeId::ListActive, index_key(&scope, id));
            Ok((set, id))
        })?;
        self.commit()?;
        Ok(DeletedCredential {
            id: id.format(Kind::Credential),
            object: DeletedObject::VaultCredentialDeleted,
        })
    }

    /// The credential the ids name. A missing credential of a missing vault reports
    /// the vault.
    fn find_credential(
        &self,
        engine: &Engine,
        vault_id: &str,
        credential_id: &str,
    ) -> Result<(RawId, RawId, CredentialRecord)> {
        let vault =
            RawId::parse(vault_id, Kind::Vault).ok_or_else(|| Error::vault_not_found(vault_id))?;
        let id = RawId::parse(credential_id, Kind::Credential);
        let bytes = match id {
            Some(id) => engine.credentials.get(self.account.credential(vault, id))?,
            None => None,
        };
        match (id, bytes) {
            (Some(id), Some(bytes)) => Ok((vault, id, decode(&bytes, || credential_name(id))?)),
            _ => {
                self.existing_vault(engine, vault_id)?;
                Err(Error::credential_not_found(credential_id))
            }
        }
    }

    pub(crate) fn load_credential(
        &self,
        engine: &Engine,
        vault: RawId,
        id: RawId,
    ) -> Result<CredentialRecord> {
        let bytes = engine
            .credentials
            .get(self.account.credential(vault, id))?
            .ok_or_else(|| {
                Error::corrupted(format!("{} has a token but no record", credential_name(id)))
            })?;
        decode(&bytes, || credential_name(id))
    }

    /// The writes of a new active credential: record, token, index entries.
    pub(crate) fn put_new_credential(
        &self,
        set: &mut WriteSet,
        vault: RawId,
        id: RawId,
        cred: &CredentialRecord,
        token: &TokenEntry,
    ) -> Result<()> {
        set.put(
            TreeId::Credentials,
            self.account.credential(vault, id),
            encode(cred)?,
        );
        set.put(
            TreeId::Tokens,
            self.account.token(vault, &cred.lookup_url),
            encode(token)?,
        );
        put_index(
            set,
            &self.account.credential_scope(vault),
            id,
            &cred.index_entry(),
            true,
        )
    }

    /// The writes of archiving a credential: record, token erased, out of the active list.
    pub(crate) fn put_archived_credential(
        &self,
        set: &mut WriteSet,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
        token_key: Vec<u8>,
    ) -> Result<()> {
        set.put(
            TreeId::Credentials,
            self.account.credential(vault, id),
            encode(record)?,
        );
        set.delete(TreeId::Tokens, token_key);
        set.delete(
            TreeId::ListActive,
            index_key(&self.account.credential_scope(vault), id),
        );
        Ok(())
    }

    fn count_one_less(&self, engine: &Engine, set: &mut WriteSet, vault: RawId) -> Result<()> {
        let mut record = self
            .read_vault(engine, vault)?
            .ok_or_else(|| Error::corrupted(format!("{} is missing", vault.format(Kind::Vault))))?;
        record.active_credentials = record.active_credentials.saturating_sub(1);
        set.put(TreeId::Vaults, self.account.vault(vault), encode(&record)?);
        Ok(())
    }
}

fn credential_name(id: RawId) -> String {
    format!("credential {}", id.format(Kind::Credential))
}
