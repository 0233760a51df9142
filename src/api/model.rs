//! The objects the API answers with, serialized exactly as the hosted API's JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::timestamp;

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

/// The kind of credential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    /// A bearer token sent as is; it does not expire.
    #[default]
    StaticBearer,
    /// An OAuth 2.1 access token (MCP authorization), which may expire and be renewed
    /// with a refresh token.
    McpOauth,
}

impl CredentialType {
    /// The API's name for it: `static_bearer` or `mcp_oauth`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::StaticBearer => "static_bearer",
            CredentialType::McpOauth => "mcp_oauth",
        }
    }
}

/// How the client authenticates to the token endpoint (RFC 6749 §2.3), as answered:
/// `{"type": "none"}`, `{"type": "client_secret_basic"}` or `{"type": "client_secret_post"}`.
/// The client secret itself is write-only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// A public client: `client_id` in the body, no secret.
    #[default]
    None,
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl TokenEndpointAuthMethod {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuthMethod::None => "none",
            TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

/// An `mcp_oauth` credential's refresh settings, without its secrets (the refresh token
/// and client secret are write-only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshSettings {
    /// The OAuth client id. Immutable.
    pub client_id: String,
    /// Where refresh requests go: https, or http to a loopback host.
    pub token_endpoint: String,
    /// How the client authenticates there.
    pub token_endpoint_auth: TokenEndpointAuthMethod,
    /// The RFC 8707 resource indicator sent with each refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The scope requested with each refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// What an operator needs to know about an `mcp_oauth` credential's refreshes, without
/// any secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshState {
    /// The last successful refresh.
    #[serde(
        with = "timestamp::micros_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// The scope the token endpoint granted at the last refresh, when it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_scope: Option<String>,
    /// Why the last refresh failed; cleared by a successful refresh or an update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<RefreshErrorInfo>,
    /// The refresh token was refused (`invalid_grant`) or there is none while the token
    /// expired: a new login is needed, then `update_credential` with the new tokens.
    pub needs_reauthorization: bool,
    /// After a failure that may pass (network, timeout, 5xx, or a configuration error at
    /// the endpoint), no request is made before this time; lookups fail fast meanwhile.
    #[serde(
        with = "timestamp::micros_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A failed refresh as recorded on the credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshErrorInfo {
    /// The OAuth error code (`invalid_grant`, `invalid_client`, …) or one of this
    /// crate's: `network_error`, `timeout`, `server_error`, `invalid_response`,
    /// `no_refresh_token`, `refresher_error`.
    pub code: String,
    /// What happened, for a person; never a secret, never the endpoint's answer body.
    pub message: String,
    /// When it happened.
    #[serde(with = "timestamp::micros")]
    pub at: DateTime<Utc>,
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

/// A credential: one bearer token bound to one MCP server URL. Its secrets (access
/// token, refresh token, client secret) are write-only and never part of this object.
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
    /// `static_bearer` or `mcp_oauth`.
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// 1–255 characters, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Up to 16 pairs of the caller's own; `{}` when empty.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// `mcp_oauth`: when the access token expires, when known.
    #[serde(
        with = "timestamp::micros_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<DateTime<Utc>>,
    /// `mcp_oauth` with a refresh token: the refresh settings, without secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshSettings>,
    /// `mcp_oauth`: the state of its refreshes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_state: Option<RefreshState>,
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
