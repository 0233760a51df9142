//! What is stored in sled, one struct per kind of value. Ids live in the keys
//! (see `layout`), not in the values. Times are microseconds since the epoch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::{micros_to_time, Kind, RawId};
use crate::key::KdfParams;
use crate::model::{CredentialType, Protocol, Status, Vault, VaultCredential, VaultObject};
use crate::request::CreateCredential;
use crate::seal::Sealed;

/// A vault, without its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VaultRecord {
    pub(crate) display_name: String,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) archived_at: Option<i64>,
    /// Kept with the vault so the per-vault limit is checked in the same transaction
    /// that adds a credential.
    pub(crate) active_credentials: u32,
}

/// A credential's description: no secret in it (the token lives in a `TokenEntry`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CredentialRecord {
    /// As the caller gave it.
    pub(crate) mcp_server_url: String,
    /// In normal form: the key of its token entry and part of the token's associated
    /// data. Kept rather than recomputed, so a change in URL normalisation between
    /// versions cannot orphan a token.
    pub(crate) lookup_url: String,
    pub(crate) protocol: Protocol,
    pub(crate) credential_type: CredentialType,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) archived_at: Option<i64>,
}

/// The sealed token of an active credential, stored under (vault, URL in normal form)
/// so that a session lookup is one point read. Archive and delete remove it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenEntry {
    pub(crate) credential_id: [u8; 16],
    pub(crate) protocol: Protocol,
    pub(crate) credential_type: CredentialType,
    pub(crate) sealed: Sealed,
}

/// A list-index entry: enough to filter by time and name without reading the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    pub(crate) created_at: i64,
    /// `display_name` (credentials: `mcp_server_url`), lower-cased.
    pub(crate) name: String,
}

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
    /// A new active credential as requested, with its URL in normal form.
    pub(crate) fn new(request: &CreateCredential, lookup_url: String, created_at: i64) -> Self {
        CredentialRecord {
            mcp_server_url: request.mcp_server_url.clone(),
            lookup_url,
            protocol: request.protocol,
            credential_type: request.credential_type,
            created_at,
            updated_at: created_at,
            archived_at: None,
        }
    }

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
        VaultCredential {
            id: id.format(Kind::Credential),
            vault_id: vault.format(Kind::Vault),
            mcp_server_url: self.mcp_server_url,
            protocol: self.protocol,
            credential_type: self.credential_type,
            status: status(self.archived_at),
            archived_at: self.archived_at.map(micros_to_time),
            created_at: micros_to_time(self.created_at),
            updated_at: micros_to_time(self.updated_at),
        }
    }
}

fn status(archived_at: Option<i64>) -> Status {
    match archived_at {
        None => Status::Active,
        Some(_) => Status::Archived,
    }
}
