//! Credential operations: add, get, list, archive, delete (update is in `update`).

use rand::RngCore;

use super::records_io::{credential_name, Secrets};
use super::VaultStore;
use crate::api::id::{Kind, RawId};
use crate::api::model::{DeletedCredential, DeletedObject, Page, VaultCredential};
use crate::api::request::{CreateCredential, CredentialAuth, ListParams};
use crate::api::validate;
use crate::backend::{ListScope, Reads, Writes};
use crate::crypto::seal::Keyring;
use crate::error::{Error, Result};
use crate::store::records::{
    CredentialRecord, OAuthRecord, RefreshRecord, RefreshStateRecord, TokenEntry,
};

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
        let lookup_url = validate::credential("", &request, self.now_micros(0))?;
        let (id, created_at) = self.next_id();
        let (cred, secrets) = new_record(&request, lookup_url, created_at);
        let keys = self.keys();
        let vault = self.transact(|tx| {
            let (vault, mut record) = self.load_vault(tx, &keys, vault_id)?;
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
            if tx.token(&self.account, vault, &cred.lookup_url)?.is_some() {
                return Err(Error::conflict(format!(
                    "Vault '{vault_id}' already has an active credential for mcp_server_url '{}'.",
                    cred.mcp_server_url
                )));
            }
            record.active_credentials += 1;
            let entry = self.seal_secrets(&keys, vault, id, &cred, &secrets)?;
            self.put_vault(tx, &keys, vault, &record)?;
            self.put_new_credential(tx, &keys, vault, id, &cred, &entry)?;
            tx.note_id(id)?;
            Ok(vault)
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
        let keys = self.keys();
        let mut reads = self.backend().reads()?;
        let (vault, id, record) = self.find_credential(
            &mut *reads,
            &keys,
            vault_id.as_ref(),
            credential_id.as_ref(),
        )?;
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
        let vault = self.existing_vault(&mut *self.backend().reads()?, vault_id.as_ref())?;
        let keys = self.keys();
        let decode = |id: RawId, bytes: &[u8]| {
            Ok(self
                .decode_credential(&keys, vault, id, bytes)?
                .into_public(vault, id))
        };
        self.list(
            ListScope::Credentials(vault),
            Kind::Credential,
            params,
            &decode,
        )
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
        let _refresh = self.refresh_lock(vault_id, credential_id);
        let keys = self.keys();
        let (vault, id, record) = self.transact(|tx| {
            let (vault, id, mut record) =
                self.find_credential(tx, &keys, vault_id, credential_id)?;
            if !record.is_active() {
                return Err(Error::conflict(format!(
                    "Credential '{credential_id}' is already archived."
                )));
            }
            let now = self.now_micros(record.updated_at);
            record.archived_at = Some(now);
            record.updated_at = now;
            self.put_archived_credential(tx, &keys, vault, id, &record)?;
            self.count_one_less(tx, &keys, vault)?;
            Ok((vault, id, record))
        })?;
        drop(keys);
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
        let _refresh = self.refresh_lock(vault_id, credential_id);
        let keys = self.keys();
        let id = self.transact(|tx| {
            let (vault, id, record) = self.find_credential(tx, &keys, vault_id, credential_id)?;
            if record.is_active() {
                self.delete_own_token(tx, vault, id, &record)?;
                self.count_one_less(tx, &keys, vault)?;
            }
            tx.delete_credential(&self.account, vault, id)?;
            Ok(id)
        })?;
        drop(keys);
        self.commit()?;
        Ok(DeletedCredential {
            id: id.format(Kind::Credential),
            object: DeletedObject::VaultCredentialDeleted,
        })
    }

    /// The credential the ids name. A missing credential of a missing vault reports
    /// the vault.
    pub(crate) fn find_credential(
        &self,
        reads: &mut dyn Reads,
        keys: &Keyring,
        vault_id: &str,
        credential_id: &str,
    ) -> Result<(RawId, RawId, CredentialRecord)> {
        let vault =
            RawId::parse(vault_id, Kind::Vault).ok_or_else(|| Error::vault_not_found(vault_id))?;
        let id = RawId::parse(credential_id, Kind::Credential);
        let record = match id {
            Some(id) => self.read_credential(reads, keys, vault, id)?,
            None => None,
        };
        match (id, record) {
            (Some(id), Some(record)) => Ok((vault, id, record)),
            _ => {
                self.existing_vault(reads, vault_id)?;
                Err(Error::credential_not_found(credential_id))
            }
        }
    }

    /// The writes of a new active credential: record, token entry, list entries.
    pub(crate) fn put_new_credential(
        &self,
        tx: &mut dyn Writes,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        cred: &CredentialRecord,
        token: &TokenEntry,
    ) -> Result<()> {
        self.put_credential(tx, keys, vault, id, cred)?;
        self.put_token(tx, vault, &cred.lookup_url, token)
    }

    /// The writes of archiving a credential: record (out of the active list), token
    /// erased.
    pub(crate) fn put_archived_credential(
        &self,
        tx: &mut dyn Writes,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
    ) -> Result<()> {
        self.put_credential(tx, keys, vault, id, record)?;
        self.delete_own_token(tx, vault, id, record)
    }

    /// Erases the token entry at the credential's URL, after checking that it is this
    /// credential's: a record edited on disk must not make us erase another's token
    /// (the record's MAC already refuses such an edit; this holds even without it).
    fn delete_own_token(
        &self,
        tx: &mut dyn Writes,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
    ) -> Result<()> {
        match self.read_token_entry(tx, vault, &record.lookup_url) {
            Ok(Some(entry)) if entry.credential_id != id.bytes() => Err(Error::corrupted(format!(
                "the token entry at the URL of {} names another credential",
                credential_name(id)
            ))),
            // Ours, missing, or undecodable (damaged): erase what is there.
            _ => tx.delete_token(&self.account, vault, &record.lookup_url),
        }
    }

    pub(crate) fn count_one_less(
        &self,
        tx: &mut dyn Writes,
        keys: &Keyring,
        vault: RawId,
    ) -> Result<()> {
        let mut record = self
            .read_vault(tx, keys, vault)?
            .ok_or_else(|| Error::corrupted(format!("{} is missing", vault.format(Kind::Vault))))?;
        record.active_credentials = record.active_credentials.saturating_sub(1);
        self.put_vault(tx, keys, vault, &record)
    }
}

/// A new active credential as requested (URL already in normal form), and its secrets.
pub(crate) fn new_record(
    request: &CreateCredential,
    lookup_url: String,
    created_at: i64,
) -> (CredentialRecord, Secrets<'_>) {
    let mut binding = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut binding);
    let (oauth, secrets) = match &request.auth {
        CredentialAuth::StaticBearer { token } => (
            None,
            Secrets {
                access_token: token,
                refresh_token: None,
                client_secret: None,
            },
        ),
        CredentialAuth::McpOauth(tokens) => {
            let refresh = tokens.refresh.as_ref();
            let record = OAuthRecord {
                expires_at: tokens.expires_at.map(|at| at.timestamp_micros()),
                refresh: refresh.map(|r| RefreshRecord {
                    client_id: r.client_id.clone(),
                    token_endpoint: r.token_endpoint.clone(),
                    method: r.token_endpoint_auth.method().into(),
                    resource: r.resource.clone(),
                    scope: r.scope.clone().filter(|s| !s.is_empty()),
                }),
                state: RefreshStateRecord::default(),
            };
            let secrets = Secrets {
                access_token: &tokens.access_token,
                refresh_token: refresh.map(|r| &r.refresh_token),
                client_secret: refresh.and_then(|r| r.token_endpoint_auth.secret()),
            };
            (Some(record), secrets)
        }
    };
    let record = CredentialRecord {
        mcp_server_url: request.mcp_server_url.clone(),
        lookup_url,
        protocol: request.protocol,
        credential_type: request.credential_type(),
        display_name: request.display_name.clone(),
        metadata: request.metadata.clone(),
        created_at,
        updated_at: created_at,
        archived_at: None,
        binding,
        oauth,
    };
    (record, secrets)
}
