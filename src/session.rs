//! Sessions: the runtime's view of a list of vaults, resolving a bearer token for an
//! MCP server URL.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use secrecy::SecretString;

use crate::codec::decode;
use crate::error::{Error, Result};
use crate::id::{Kind, RawId};
use crate::model::Protocol;
use crate::records::TokenEntry;
use crate::seal::token_ad;
use crate::store::VaultStore;
use crate::validate;

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
pub struct ResolvedCredential {
    /// The vault that holds it (the first named vault that does).
    pub vault_id: String,
    /// The credential.
    pub credential_id: String,
    /// Its transport.
    pub protocol: Protocol,
    /// The bearer token. `Debug` shows it redacted.
    pub token: SecretString,
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
            let (id, record) = self.load_vault(self.engine(), vault_id)?;
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
    /// # Errors
    /// [`Error::InvalidRequest`] for a URL that is not absolute http(s);
    /// [`Error::Corrupted`] if the sealed token fails its integrity check (edited,
    /// moved to another record, or sealed for another URL).
    pub fn bearer_token(&self, mcp_server_url: &str) -> Result<Option<SecretString>> {
        Ok(self.resolve(mcp_server_url)?.map(|resolved| resolved.token))
    }

    /// Like [`Session::bearer_token`], also naming the credential used.
    ///
    /// # Errors
    /// As [`Session::bearer_token`].
    pub fn resolve(&self, mcp_server_url: &str) -> Result<Option<ResolvedCredential>> {
        let url = self.normal_url(mcp_server_url)?;
        let account = &self.store.account;
        let engine = self.store.engine();
        // Held from the read to the open: a rotation forgets the old key only under the
        // write lock, so a token read here still opens with a key in this ring.
        let keys = self.store.keys();
        for (vault, vault_text) in &self.vaults {
            let Some(bytes) = engine.tokens.get(account.token(*vault, &url))? else {
                continue;
            };
            let entry: TokenEntry = decode(&bytes, || {
                format!("the token for {url} in vault {vault_text}")
            })?;
            let credential_text =
                RawId(u128::from_be_bytes(entry.credential_id)).format(Kind::Credential);
            let what =
                || format!("the token of credential {credential_text} in vault {vault_text}");
            // The associated data is rebuilt from where the token was found: a blob
            // moved here from anywhere else does not open.
            let ad = token_ad(
                &account.name,
                vault_text,
                &credential_text,
                &url,
                entry.protocol,
                entry.credential_type,
            );
            let plain = keys
                .open(&entry.sealed, &ad)
                .ok_or_else(|| Error::corrupted(format!("{} fails its integrity check", what())))?;
            let text = std::str::from_utf8(&plain)
                .map_err(|_| Error::corrupted(format!("{} is not UTF-8", what())))?;
            // Sized exactly, so SecretString's boxing does not reallocate and leave an
            // unzeroized copy behind.
            let mut token = String::with_capacity(text.len());
            token.push_str(text);
            return Ok(Some(ResolvedCredential {
                vault_id: vault_text.clone(),
                credential_id: credential_text,
                protocol: entry.protocol,
                token: SecretString::from(token),
            }));
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
