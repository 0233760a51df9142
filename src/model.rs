//! The objects the API answers with, serialized exactly as the hosted API's JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::timestamp;

/// A vault's or credential's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In use.
    Active,
    /// Archived: kept for the record, holds no token, usable by no session.
    Archived,
}

/// The MCP transport a credential is used with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Server-sent events.
    Sse,
    /// Streamable HTTP.
    StreamableHttp,
}

impl Protocol {
    /// The API's name for it: `sse` or `streamable_http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sse => "sse",
            Protocol::StreamableHttp => "streamable_http",
        }
    }
}

/// The kind of credential. Only static bearer tokens exist today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    /// A bearer token sent as is.
    #[default]
    StaticBearer,
}

impl CredentialType {
    /// The API's name for it: `static_bearer`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::StaticBearer => "static_bearer",
        }
    }
}

/// The `type` field of a vault: always `"vault"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum VaultObject {
    /// `"vault"`.
    #[default]
    #[serde(rename = "vault")]
    Vault,
}

/// The `type` field of a delete answer: always `"vault_credential_deleted"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeletedObject {
    /// `"vault_credential_deleted"`.
    #[default]
    #[serde(rename = "vault_credential_deleted")]
    VaultCredentialDeleted,
}

/// A vault: a named container of credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    /// `vault_` and 32 hex digits.
    pub id: String,
    /// Always `"vault"`.
    #[serde(rename = "type")]
    pub object: VaultObject,
    /// 1–255 characters.
    pub display_name: String,
    /// Active or archived.
    pub status: Status,
    /// Up to 16 pairs of the caller's own.
    pub metadata: BTreeMap<String, String>,
    /// Creation time, in microseconds.
    #[serde(with = "timestamp::micros")]
    pub created_at: DateTime<Utc>,
    /// Last change to the vault's own fields.
    #[serde(with = "timestamp::micros")]
    pub updated_at: DateTime<Utc>,
    /// Set once archived.
    #[serde(
        with = "timestamp::micros_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub archived_at: Option<DateTime<Utc>>,
    /// Present only in the answer to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<VaultCredential>>,
}

/// A credential: one bearer token bound to one MCP server URL. The token itself is
/// write-only and never part of this object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultCredential {
    /// `vcred_` and 32 hex digits.
    pub id: String,
    /// The vault holding it.
    pub vault_id: String,
    /// The server the token is for, as given at creation.
    pub mcp_server_url: String,
    /// The transport.
    pub protocol: Protocol,
    /// Always `static_bearer` today.
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// Active or archived.
    pub status: Status,
    /// Set once archived.
    #[serde(
        with = "timestamp::micros_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub archived_at: Option<DateTime<Utc>>,
    /// Creation time, in microseconds.
    #[serde(with = "timestamp::micros")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(with = "timestamp::micros")]
    pub updated_at: DateTime<Utc>,
}

/// The answer to deleting a credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedCredential {
    /// The deleted credential's id.
    pub id: String,
    /// Always `"vault_credential_deleted"`.
    #[serde(rename = "type")]
    pub object: DeletedObject,
}

/// One page of a list, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// The first item's id, or `null` on an empty page.
    pub first_id: Option<String>,
    /// The last item's id, or `null` on an empty page.
    pub last_id: Option<String>,
    /// Whether more items exist past this page in the direction travelled.
    pub has_more: bool,
}
