//! Sessions: the runtime's view of a list of vaults, resolving a bearer token for an
//! MCP server URL.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::api::id::{micros_to_time, Kind, RawId};
use crate::api::model::{CredentialType, Protocol};
use crate::api::validate;
use crate::backend::Reads;
use crate::crypto::seal::Keyring;
use crate::error::{Error, Result};
use crate::store::records::{CredentialRecord, SecretField, TokenEntry};
use crate::store::VaultStore;

/// A runtime's handle on the vaults it names. Each lookup reads the store afresh, so it
/// sees archives, deletes and rotations made since: never a stale or erased token.
#[derive(Clone)]
pub struct Session {
    store: VaultStore,
    vaults: Vec<(RawId, String)>,
    /// URLs asked for, in normal form: parsing a URL cost as much as the read and the
    /// AEAD open together (callgrind), and a runtime asks for the same few servers.
    /// The normal form depends on the text alone, so this never goes stale.
    normal_urls: Arc<RwLock<HashMap<String, String>>>,
}

/// URLs a session keeps in normal form; past this it starts afresh.
const NORMAL_URLS_KEPT: usize = 64;

/// What a session uses for a URL: which credential, and its token.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResolvedCredential {
    /// The vault that holds it (the first named vault that does).
    pub vault_id: String,
    /// The credential.
    pub credential_id: String,
    /// The credential's URL as stored (the lookup may have spelled it differently).
    pub mcp_server_url: String,
    /// Its transport.
    pub protocol: Protocol,
    /// `static_bearer` or `mcp_oauth`.
    pub credential_type: CredentialType,
    /// When the token expires, when known (`mcp_oauth`).
    pub expires_at: Option<DateTime<Utc>>,
    /// The bearer token. `Debug` shows it redacted.
    pub token: SecretString,
}

impl ResolvedCredential {
    pub(crate) fn new(
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
        token: SecretString,
    ) -> Self {
        ResolvedCredential {
            vault_id: vault.format(Kind::Vault),
            credential_id: id.format(Kind::Credential),
            mcp_server_url: record.mcp_server_url.clone(),
            protocol: record.protocol,
            credential_type: record.credential_type,
            expires_at: record
                .oauth
                .as_ref()
                .and_then(|o| o.expires_at)
                .map(micros_to_time),
            token,
        }
    }
}

impl VaultStore {
    /// A session over `vault_ids`, in the order given: for a URL, the first vault with
    /// an active credential for it wins. An empty list gives a session that resolves
    /// nothing.
    ///
    /// # Errors
    /// [`Error::NotFound`] if a vault does not exist in this account;
    /// [`Error::InvalidRequest`] if one is archived.
    pub fn session<S: AsRef<str>>(&self, vault_ids: &[S]) -> Result<Session> {
        let mut vaults = Vec::with_capacity(vault_ids.len());
        for vault_id in vault_ids {
            let vault_id = vault_id.as_ref();
            let (id, record) =
                self.load_vault(&mut *self.backend().reads()?, &self.keys(), vault_id)?;
            if !record.is_active() {
                return Err(Error::invalid(
                    "vault_ids",
                    format!("Vault '{vault_id}' is archived and cannot be used by a session."),
                ));
            }
            vaults.push((id, vault_id.to_owned()));
        }
        Ok(Session {
            store: self.clone(),
            vaults,
            normal_urls: Arc::default(),
        })
    }
}

impl Session {
    /// The bearer token for `mcp_server_url`, or `None` if no named vault holds an
    /// active credential for it. URLs match in normal form (`HTTPS://Example.com:443/mcp`
    /// is `https://example.com/mcp`).
    ///
    /// An `mcp_oauth` token that expires within the refresh margin
    /// ([`Builder::refresh_margin`](crate::Builder::refresh_margin)) is refreshed first,
    /// and the new one stored, before it is returned; a token is never handed out stale.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a URL that is not absolute http(s);
    /// [`Error::Refresh`] if the token is expired (or about to be) and could not be
    /// refreshed; [`Error::Corrupted`] if the stored token or its record fails its
    /// integrity check (edited, moved, or written back after an archive).
    pub fn bearer_token(&self, mcp_server_url: &str) -> Result<Option<SecretString>> {
        Ok(self.resolve(mcp_server_url)?.map(|resolved| resolved.token))
    }

    /// Like [`Session::bearer_token`], also naming the credential used.
    ///
    /// # Errors
    /// As [`Session::bearer_token`].
    pub fn resolve(&self, mcp_server_url: &str) -> Result<Option<ResolvedCredential>> {
        let url = self.normal_url(mcp_server_url)?;
        let store = &self.store;
        for (vault, _) in &self.vaults {
            // Held from the read to the open: a rotation forgets the old key only under
            // the write lock, so what is read here opens with a key in this ring.
            let keys = store.keys();
            // Dropped before a refresh, which needs connections of its own (PostgreSQL).
            let mut reads = store.backend().reads()?;
            let Some((id, record, entry)) =
                store.checked_entry(&mut *reads, &keys, *vault, &url)?
            else {
                continue;
            };
            drop(reads);
            if store.refresh_due(&record) {
                drop(keys);
                match store.refresh_and_resolve(*vault, id, &url)? {
                    Some(resolved) => return Ok(Some(resolved)),
                    None => continue,
                }
            }
            return store.resolved(&keys, *vault, id, record, &entry).map(Some);
        }
        Ok(None)
    }

    fn normal_url(&self, url: &str) -> Result<String> {
        let cached = self.normal_urls.read().unwrap_or_else(|p| p.into_inner());
        if let Some(normal) = cached.get(url) {
            return Ok(normal.clone());
        }
        drop(cached);
        let normal = validate::mcp_server_url("mcp_server_url", url)?;
        let mut cache = self.normal_urls.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= NORMAL_URLS_KEPT {
            cache.clear();
        }
        cache.insert(url.to_owned(), normal.clone());
        Ok(normal)
    }

    /// The vault ids, in lookup order.
    pub fn vault_ids(&self) -> impl Iterator<Item = &str> {
        self.vaults.iter().map(|(_, text)| text.as_str())
    }
}

impl VaultStore {
    /// The token entry for `url` in `vault` with its credential's record, checked to
    /// belong together: the record exists, is active, and has the entry's credential id,
    /// binding and URL. An entry written back after an archive or delete fails here.
    pub(crate) fn checked_entry(
        &self,
        reads: &mut dyn Reads,
        keys: &Keyring,
        vault: RawId,
        url: &str,
    ) -> Result<Option<(RawId, CredentialRecord, TokenEntry)>> {
        let Some(entry) = self.read_token_entry(reads, vault, url)? else {
            return Ok(None);
        };
        let id = RawId(u128::from_be_bytes(entry.credential_id));
        let what = || {
            format!(
                "the token for {url} in vault {} (credential {})",
                vault.format(Kind::Vault),
                id.format(Kind::Credential)
            )
        };
        let Some(record) = self.read_credential(reads, keys, vault, id)? else {
            return Err(Error::corrupted(format!(
                "{} has no credential record",
                what()
            )));
        };
        if !record.is_active() {
            return Err(Error::corrupted(format!(
                "{} belongs to an archived credential: an erased token was written back",
                what()
            )));
        }
        if record.binding != entry.binding || record.lookup_url != url {
            return Err(Error::corrupted(format!(
                "{} does not match its credential record",
                what()
            )));
        }
        Ok(Some((id, record, entry)))
    }

    /// Opens the access token of a checked entry.
    pub(crate) fn resolved(
        &self,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: CredentialRecord,
        entry: &TokenEntry,
    ) -> Result<ResolvedCredential> {
        let token = self.open_secret(
            keys,
            vault,
            id,
            &record,
            SecretField::AccessToken,
            &entry.access_token,
        )?;
        Ok(ResolvedCredential::new(vault, id, &record, token))
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.store.account.name)
            .field(
                "vault_ids",
                &self.vaults.iter().map(|(_, t)| t).collect::<Vec<_>>(),
            )
            .finish()
    }
}
