//! What callers send: the hosted API's request bodies and list parameters.

mod parse;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;

use crate::api::model::{CredentialType, Protocol, TokenEndpointAuthMethod};
use crate::api::timestamp;
use crate::error::{Error, Result};

/// The body of "create vault": a name, at least one credential, optional metadata.
// Debug: `SecretString` prints as `[REDACTED]`.
#[derive(Debug)]
pub struct CreateVault {
    /// 1–255 characters, not blank.
    pub display_name: String,
    /// At least one; all are stored with the vault, or nothing is.
    pub credentials: Vec<CreateCredential>,
    /// Up to 16 pairs; keys 1–64 characters, values up to 512.
    pub metadata: BTreeMap<String, String>,
}

/// The body of "add credential" (and each element of [`CreateVault::credentials`]).
///
/// JSON bodies come in two shapes, both accepted by [`CreateCredential::from_json`] and
/// serde: the seeds' flat one (`mcp_server_url`, `protocol`, `type`, `access_token`, and
/// for `mcp_oauth` `expires_at` and `refresh`) and the hosted API's `auth` one
/// (`{"protocol"?, "display_name"?, "metadata"?, "auth": {"type", "mcp_server_url", …}}`,
/// protocol defaulting to `streamable_http`).
#[derive(Debug)]
pub struct CreateCredential {
    /// An absolute http or https URL, up to 2048 characters.
    pub mcp_server_url: String,
    /// `sse` or `streamable_http`.
    pub protocol: Protocol,
    /// Optional, 1–255 characters.
    pub display_name: Option<String>,
    /// Up to 16 pairs, as for a vault.
    pub metadata: BTreeMap<String, String>,
    /// The kind of credential and its secrets.
    pub auth: CredentialAuth,
    /// Which JSON shape it came in: error messages name fields as the caller wrote them.
    pub(crate) shape: Shape,
}

/// The JSON shape a credential request was written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The seeds' flat shape, or built in Rust.
    #[default]
    Flat,
    /// The hosted API's `auth` object.
    Auth,
}

/// A credential's kind and secrets. Secrets are write-only: sealed before they are
/// stored, never returned.
#[derive(Debug)]
pub enum CredentialAuth {
    /// A bearer token that does not expire, 1–8192 bytes.
    StaticBearer {
        /// The token.
        token: SecretString,
    },
    /// An OAuth 2.1 access token, which may expire and be refreshed.
    McpOauth(OAuthTokens),
}

/// An `mcp_oauth` credential's tokens.
#[derive(Debug)]
pub struct OAuthTokens {
    /// The access token, 1–8192 bytes.
    pub access_token: SecretString,
    /// When it expires; must be in the future. `None`: unknown, handed out as it is.
    pub expires_at: Option<DateTime<Utc>>,
    /// How to renew it; without this an expired token cannot be renewed.
    pub refresh: Option<OAuthRefresh>,
}

/// How an `mcp_oauth` access token is renewed (RFC 6749 §6).
#[derive(Debug)]
pub struct OAuthRefresh {
    /// The OAuth client id, 1–255 characters.
    pub client_id: String,
    /// The refresh token, 1–8192 bytes.
    pub refresh_token: SecretString,
    /// https, or http to a loopback host (127.0.0.0/8, ::1, localhost).
    pub token_endpoint: String,
    /// How the client authenticates at the token endpoint.
    pub token_endpoint_auth: ClientAuth,
    /// RFC 8707 resource indicator, sent with each refresh when set.
    pub resource: Option<String>,
    /// Scope sent with each refresh when set.
    pub scope: Option<String>,
}

/// Client authentication at the token endpoint, with its secret.
#[derive(Debug)]
pub enum ClientAuth {
    /// A public client: `client_id` in the body only.
    None,
    /// HTTP Basic with the client id and this secret.
    ClientSecretBasic(SecretString),
    /// `client_id` and this secret in the form body.
    ClientSecretPost(SecretString),
}

/// The body of "update credential": each field present changes, each absent stays.
/// The URL, the type and the OAuth `client_id` cannot change.
#[derive(Debug, Default)]
pub struct UpdateCredential {
    /// `Some(Some(name))` sets it, `Some(None)` (JSON `null`) removes it.
    pub display_name: Option<Option<String>>,
    /// A patch: a value sets the key, `None` (JSON `null`) removes it.
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    /// New secrets; its type must be the credential's.
    pub auth: Option<UpdateAuth>,
}

/// New secrets for a credential, by type.
#[derive(Debug)]
pub enum UpdateAuth {
    /// A new static token.
    StaticBearer {
        /// The new token.
        token: Option<SecretString>,
    },
    /// New OAuth tokens or refresh settings.
    McpOauth(UpdateOAuth),
}

/// What an update may change on an `mcp_oauth` credential.
#[derive(Debug, Default)]
pub struct UpdateOAuth {
    /// A new access token.
    pub access_token: Option<SecretString>,
    /// `Some(Some(t))` sets the expiry (in the future), `Some(None)` makes it unknown.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// New refresh secrets or scope.
    pub refresh: Option<UpdateRefresh>,
}

/// What an update may change in an `mcp_oauth` credential's refresh settings.
#[derive(Debug, Default)]
pub struct UpdateRefresh {
    /// A new refresh token.
    pub refresh_token: Option<SecretString>,
    /// A new scope; an empty string clears it.
    pub scope: Option<String>,
    /// A new client secret, for `client_secret_basic` or `client_secret_post`; the
    /// stored method stays whichever of the two is named.
    pub client_secret: Option<SecretString>,
}

/// The body of "update vault": each field present changes, each absent stays.
#[derive(Debug, Default)]
pub struct UpdateVault {
    /// A new display name.
    pub display_name: Option<String>,
    /// A patch: a value sets the key, `None` (JSON `null`) removes it.
    pub metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Parameters of "list vaults" and "list credentials". `Default` lists the first page
/// of active items, 20 at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Page size, 1–100; above 100 is capped; 0 is an error. Default: 20.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The page after this id (older items).
    #[serde(default)]
    pub after_id: Option<String>,
    /// The page before this id (newer items). Not with `after_id`.
    #[serde(default)]
    pub before_id: Option<String>,
    /// Include archived items. Default: false.
    #[serde(default)]
    pub include_archived: bool,
    /// Case-insensitive substring of `display_name` (credentials: of `mcp_server_url`).
    #[serde(default)]
    pub name: Option<String>,
    /// Only items created at or after this time.
    #[serde(rename = "created_at[gte]", default, with = "timestamp::micros_opt")]
    pub created_at_gte: Option<DateTime<Utc>>,
    /// Only items created at or before this time.
    #[serde(rename = "created_at[lte]", default, with = "timestamp::micros_opt")]
    pub created_at_lte: Option<DateTime<Utc>>,
}

impl CreateCredential {
    /// A `static_bearer` credential for `mcp_server_url`.
    pub fn static_bearer(
        mcp_server_url: impl Into<String>,
        protocol: Protocol,
        token: SecretString,
    ) -> Self {
        Self::new(
            mcp_server_url,
            protocol,
            CredentialAuth::StaticBearer { token },
        )
    }

    /// An `mcp_oauth` credential for `mcp_server_url`.
    pub fn mcp_oauth(
        mcp_server_url: impl Into<String>,
        protocol: Protocol,
        tokens: OAuthTokens,
    ) -> Self {
        Self::new(mcp_server_url, protocol, CredentialAuth::McpOauth(tokens))
    }

    fn new(mcp_server_url: impl Into<String>, protocol: Protocol, auth: CredentialAuth) -> Self {
        CreateCredential {
            mcp_server_url: mcp_server_url.into(),
            protocol,
            display_name: None,
            metadata: BTreeMap::new(),
            auth,
            shape: Shape::Flat,
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Adds a metadata pair.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// The credential's type.
    pub fn credential_type(&self) -> CredentialType {
        match self.auth {
            CredentialAuth::StaticBearer { .. } => CredentialType::StaticBearer,
            CredentialAuth::McpOauth(_) => CredentialType::McpOauth,
        }
    }

    /// Parses a JSON body in either shape (flat or `auth`).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field by its JSON path and the rule.
    pub fn from_json(json: &str) -> Result<Self> {
        parse::body(json, parse::create_credential)
    }
}

impl OAuthTokens {
    /// An access token with no known expiry and no refresh.
    pub fn new(access_token: SecretString) -> Self {
        OAuthTokens {
            access_token,
            expires_at: None,
            refresh: None,
        }
    }

    /// Sets the expiry.
    #[must_use]
    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets how to refresh it.
    #[must_use]
    pub fn refresh(mut self, refresh: OAuthRefresh) -> Self {
        self.refresh = Some(refresh);
        self
    }
}

impl OAuthRefresh {
    /// Refresh settings for a public client (`token_endpoint_auth` `none`).
    pub fn new(
        client_id: impl Into<String>,
        refresh_token: SecretString,
        token_endpoint: impl Into<String>,
    ) -> Self {
        OAuthRefresh {
            client_id: client_id.into(),
            refresh_token,
            token_endpoint: token_endpoint.into(),
            token_endpoint_auth: ClientAuth::None,
            resource: None,
            scope: None,
        }
    }
}

impl ClientAuth {
    /// The method, without its secret.
    pub fn method(&self) -> TokenEndpointAuthMethod {
        match self {
            ClientAuth::None => TokenEndpointAuthMethod::None,
            ClientAuth::ClientSecretBasic(_) => TokenEndpointAuthMethod::ClientSecretBasic,
            ClientAuth::ClientSecretPost(_) => TokenEndpointAuthMethod::ClientSecretPost,
        }
    }

    pub(crate) fn secret(&self) -> Option<&SecretString> {
        match self {
            ClientAuth::None => None,
            ClientAuth::ClientSecretBasic(s) | ClientAuth::ClientSecretPost(s) => Some(s),
        }
    }
}

impl CreateVault {
    /// A request for a vault named `display_name` with these credentials.
    pub fn new(display_name: impl Into<String>, credentials: Vec<CreateCredential>) -> Self {
        CreateVault {
            display_name: display_name.into(),
            credentials,
            metadata: BTreeMap::new(),
        }
    }

    /// Adds a metadata pair.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Parses the hosted API's JSON body; the seeds' examples parse as they are.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field by its JSON path and the rule; an
    /// unknown field is an error too.
    pub fn from_json(json: &str) -> Result<Self> {
        parse::body(json, parse::create_vault)
    }
}

impl UpdateVault {
    /// Parses the hosted API's JSON body.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        parse::body(json, parse::update_vault)
    }
}

impl UpdateCredential {
    /// Parses the hosted API's JSON body: `display_name`, `metadata` and `auth`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        parse::body(json, parse::update_credential)
    }
}

impl ListParams {
    /// Parses list parameters given as a JSON object with the query's names
    /// (`limit`, `after_id`, `created_at[gte]`, …).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        let mut de = serde_json::Deserializer::from_str(json);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = match e.path().to_string() {
                root if root == "." => "body".to_owned(),
                path => path,
            };
            let reason = parse::without_position(e.inner());
            Error::invalid(field.clone(), format!("{field}: {reason}"))
        })?;
        de.end().map_err(|e| {
            Error::invalid("body", format!("body: {}", parse::without_position(&e)))
        })?;
        Ok(value)
    }
}

// serde: request bodies parse through the same rules as `from_json`.
macro_rules! deserialize_with {
    ($ty:ty, $parse:path) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(d)?;
                $parse(parse::Fields::path_root(), value)
                    .map_err(|e| serde::de::Error::custom(e.to_string()))
            }
        }
    };
}
deserialize_with!(CreateVault, parse::create_vault);
deserialize_with!(CreateCredential, parse::create_credential);
deserialize_with!(UpdateVault, parse::update_vault);
deserialize_with!(UpdateCredential, parse::update_credential);

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// The hosted API's create-vault example, as its documentation shows it.
    const SEED_BODY: &str = include_str!("../../../tests/data/seed_create_vault.json");

    #[test]
    fn the_seed_body_parses_as_is() {
        let req = CreateVault::from_json(SEED_BODY).expect("parses");
        assert_eq!(req.display_name, "my-mcp-vault");
        let cred = &req.credentials[0];
        assert_eq!(cred.protocol, Protocol::Sse);
        let CredentialAuth::StaticBearer { token } = &cred.auth else {
            panic!("static_bearer expected");
        };
        assert_eq!(token.expose_secret(), "your-access-token");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let req = CreateVault::from_json(SEED_BODY).expect("parses");
        let text = format!("{req:?}");
        assert!(!text.contains("your-access-token"), "{text}");
        assert!(text.contains("REDACTED"));
    }

    #[test]
    fn errors_name_the_field() {
        let body = SEED_BODY.replace("\"sse\"", "\"http\"");
        let err = CreateVault::from_json(&body).expect_err("bad protocol");
        assert_eq!(err.field(), Some("credentials[0].protocol"));
        assert!(
            err.to_string()
                .contains("must be sse or streamable_http, got 'http'"),
            "{err}"
        );

        let body = SEED_BODY.replace("static_bearer", "oauth");
        let err = CreateVault::from_json(&body).expect_err("bad type");
        assert_eq!(err.field(), Some("credentials[0].type"));

        let err = CreateVault::from_json("{").expect_err("truncated");
        assert_eq!(err.api_type(), "invalid_request_error");
        let err = CreateVault::from_json(&format!("{SEED_BODY} trailing")).expect_err("trailing");
        assert_eq!(err.api_type(), "invalid_request_error");
    }

    #[test]
    fn list_params_use_the_query_names() {
        let p = ListParams::from_json(
            r#"{"limit": 5, "created_at[gte]": "2026-05-18T15:34:16Z", "include_archived": true}"#,
        )
        .expect("parses");
        assert_eq!(p.limit, Some(5));
        assert!(p.include_archived);
        assert!(p.created_at_gte.is_some());
        assert!(ListParams::from_json(r#"{"limit": -1}"#).is_err());
    }

    #[test]
    fn update_metadata_null_means_remove() {
        let u = UpdateVault::from_json(r#"{"metadata": {"a": "1", "b": null}}"#).expect("parses");
        let m = u.metadata.expect("patch");
        assert_eq!(m["a"].as_deref(), Some("1"));
        assert_eq!(m["b"], None);
    }
}
