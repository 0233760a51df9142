//! What is stored in sled, one struct per kind of value (format 2). Ids live in the keys
//! (see `layout`), not in the values. Times are microseconds since the epoch. Format 1's
//! structs, read only to migrate, are in `migrate`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::id::{micros_to_time, Kind, RawId};
use crate::api::model::{
    CredentialType, Protocol, RefreshErrorInfo, RefreshSettings, RefreshState, Status,
    TokenEndpointAuthMethod, Vault, VaultCredential, VaultObject,
};
use crate::crypto::key::KdfParams;
use crate::crypto::owned_text;
use crate::crypto::seal::Sealed;

/// A vault, without its id. Stored signed (see `codec::encode_signed`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VaultRecord {
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) display_name: String,
    #[serde(deserialize_with = "owned_text::map")]
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) archived_at: Option<i64>,
    /// Kept with the vault so the per-vault limit is checked in the same transaction
    /// that adds a credential.
    pub(crate) active_credentials: u32,
}

/// A credential's description: no secret in it (those live in its `TokenEntry`).
/// Stored signed (see `codec::encode_signed`): an edit on disk fails to open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CredentialRecord {
    /// As the caller gave it.
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) mcp_server_url: String,
    /// In normal form: the key of its token entry and part of the secrets' associated
    /// data. Kept rather than recomputed, so a change in URL normalisation between
    /// versions cannot orphan a token.
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) lookup_url: String,
    pub(crate) protocol: Protocol,
    pub(crate) credential_type: CredentialType,
    #[serde(deserialize_with = "owned_text::option")]
    pub(crate) display_name: Option<String>,
    #[serde(deserialize_with = "owned_text::map")]
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) archived_at: Option<i64>,
    /// Random, fixed at creation, bound into the token entry and its secrets' associated
    /// data: a token entry of another (earlier, deleted) credential never matches.
    pub(crate) binding: [u8; 16],
    /// `mcp_oauth` only.
    pub(crate) oauth: Option<OAuthRecord>,
}

/// An `mcp_oauth` credential's non-secret state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OAuthRecord {
    pub(crate) expires_at: Option<i64>,
    pub(crate) refresh: Option<RefreshRecord>,
    pub(crate) state: RefreshStateRecord,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefreshRecord {
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) client_id: String,
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) token_endpoint: String,
    pub(crate) method: AuthMethod,
    #[serde(deserialize_with = "owned_text::option")]
    pub(crate) resource: Option<String>,
    #[serde(deserialize_with = "owned_text::option")]
    pub(crate) scope: Option<String>,
}

/// `TokenEndpointAuthMethod` as stored (bincode cannot read serde's tagged enums).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefreshStateRecord {
    pub(crate) last_refreshed_at: Option<i64>,
    #[serde(deserialize_with = "owned_text::option")]
    pub(crate) granted_scope: Option<String>,
    pub(crate) last_error: Option<RefreshErrorRecord>,
    /// Failures in a row, for the backoff.
    pub(crate) failures: u32,
    pub(crate) next_attempt_at: Option<i64>,
    pub(crate) needs_reauthorization: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefreshErrorRecord {
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) code: String,
    #[serde(deserialize_with = "owned_text::string")]
    pub(crate) message: String,
    pub(crate) at: i64,
}

/// The sealed secrets of an active credential, stored under (vault, URL in normal
/// form) so that a session finds them by URL. Archive and delete remove it. A lookup
/// also reads the credential record and checks that it is active and that its id and
/// binding match, so an entry written back after an archive hands out nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenEntry {
    pub(crate) credential_id: [u8; 16],
    pub(crate) binding: [u8; 16],
    pub(crate) access_token: Sealed,
    pub(crate) refresh_token: Option<Sealed>,
    pub(crate) client_secret: Option<Sealed>,
}

pub(crate) use crate::crypto::seal::SecretField;

pub(crate) use crate::backend::sled::IndexEntry;

/// The store's identity, written once when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoreMeta {
    pub(crate) store_id: [u8; 16],
    pub(crate) created_at: i64,
}

/// Which key opens the store, and an unfinished rotation if there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyState {
    pub(crate) current: KeySlot,
    pub(crate) rotation: Option<Rotation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeySlot {
    pub(crate) id: u32,
    /// Opens only under this key: tells a wrong key at open.
    pub(crate) check: Sealed,
    /// Set when the key comes from a passphrase.
    pub(crate) kdf: Option<KdfParams>,
}

/// A rotation under way: the next key, and the current key sealed under it so the next
/// key alone can finish the rotation after a crash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rotation {
    pub(crate) next: KeySlot,
    pub(crate) current_wrapped: Sealed,
}

impl VaultRecord {
    pub(crate) fn is_active(&self) -> bool {
        self.archived_at.is_none()
    }

    pub(crate) fn index_entry(&self) -> IndexEntry {
        IndexEntry {
            created_at: self.created_at,
            name: self.display_name.to_lowercase(),
        }
    }

    /// By value: reads hand over the decoded record, so its strings and map move
    /// instead of being copied.
    pub(crate) fn into_public(self, id: RawId) -> Vault {
        Vault {
            id: id.format(Kind::Vault),
            object: VaultObject::Vault,
            display_name: self.display_name,
            status: status(self.archived_at),
            metadata: self.metadata,
            created_at: micros_to_time(self.created_at),
            updated_at: micros_to_time(self.updated_at),
            archived_at: self.archived_at.map(micros_to_time),
            credentials: None,
        }
    }
}

impl CredentialRecord {
    pub(crate) fn is_active(&self) -> bool {
        self.archived_at.is_none()
    }

    pub(crate) fn index_entry(&self) -> IndexEntry {
        IndexEntry {
            created_at: self.created_at,
            name: self.mcp_server_url.to_lowercase(),
        }
    }

    pub(crate) fn into_public(self, vault: RawId, id: RawId) -> VaultCredential {
        let oauth = self.oauth;
        VaultCredential {
            id: id.format(Kind::Credential),
            vault_id: vault.format(Kind::Vault),
            mcp_server_url: self.mcp_server_url,
            protocol: self.protocol,
            credential_type: self.credential_type,
            display_name: self.display_name,
            metadata: self.metadata,
            expires_at: oauth
                .as_ref()
                .and_then(|o| o.expires_at)
                .map(micros_to_time),
            refresh: oauth
                .as_ref()
                .and_then(|o| o.refresh.clone())
                .map(RefreshRecord::into_public),
            refresh_state: oauth.map(|o| o.state.into_public()),
            status: status(self.archived_at),
            archived_at: self.archived_at.map(micros_to_time),
            created_at: micros_to_time(self.created_at),
            updated_at: micros_to_time(self.updated_at),
        }
    }
}

impl RefreshRecord {
    fn into_public(self) -> RefreshSettings {
        RefreshSettings {
            client_id: self.client_id,
            token_endpoint: self.token_endpoint,
            token_endpoint_auth: self.method.into(),
            resource: self.resource,
            scope: self.scope,
        }
    }
}

impl RefreshStateRecord {
    fn into_public(self) -> RefreshState {
        RefreshState {
            last_refreshed_at: self.last_refreshed_at.map(micros_to_time),
            granted_scope: self.granted_scope,
            last_error: self.last_error.map(|e| RefreshErrorInfo {
                code: e.code,
                message: e.message,
                at: micros_to_time(e.at),
            }),
            needs_reauthorization: self.needs_reauthorization,
            next_attempt_at: self.next_attempt_at.map(micros_to_time),
        }
    }
}

impl From<AuthMethod> for TokenEndpointAuthMethod {
    fn from(method: AuthMethod) -> Self {
        match method {
            AuthMethod::None => TokenEndpointAuthMethod::None,
            AuthMethod::ClientSecretBasic => TokenEndpointAuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost => TokenEndpointAuthMethod::ClientSecretPost,
        }
    }
}

impl From<TokenEndpointAuthMethod> for AuthMethod {
    fn from(method: TokenEndpointAuthMethod) -> Self {
        match method {
            TokenEndpointAuthMethod::None => AuthMethod::None,
            TokenEndpointAuthMethod::ClientSecretBasic => AuthMethod::ClientSecretBasic,
            TokenEndpointAuthMethod::ClientSecretPost => AuthMethod::ClientSecretPost,
        }
    }
}

fn status(archived_at: Option<i64>) -> Status {
    match archived_at {
        None => Status::Active,
        Some(_) => Status::Archived,
    }
}
