//! What callers send: the hosted API's request bodies and list parameters.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::{CredentialType, Protocol};
use crate::timestamp;

/// The body of "create vault": a name, at least one credential, optional metadata.
#[derive(Deserialize)]
pub struct CreateVault {
    /// 1–255 characters, not blank.
    pub display_name: String,
    /// At least one; all are stored with the vault, or nothing is.
    #[serde(default)]
    pub credentials: Vec<CreateCredential>,
    /// Up to 16 pairs; keys 1–64 characters, values up to 512.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The body of "add credential" (and each element of [`CreateVault::credentials`]).
#[derive(Deserialize)]
pub struct CreateCredential {
    /// An absolute http or https URL, up to 2048 characters.
    pub mcp_server_url: String,
    /// `sse` or `streamable_http`.
    pub protocol: Protocol,
    /// Only `static_bearer`.
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// Write-only: 1–8192 bytes, required for `static_bearer`. It is sealed before it is
    /// stored and never returned by any call.
    #[serde(default)]
    pub access_token: Option<SecretString>,
}

/// The body of "update vault": each field present changes, each absent stays.
#[derive(Default, Deserialize)]
pub struct UpdateVault {
    /// A new display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// A patch: a value sets the key, `None` (JSON `null`) removes it.
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Parameters of "list vaults" and "list credentials". `Default` lists the first page
/// of active items, 20 at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
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
        access_token: SecretString,
    ) -> Self {
        CreateCredential {
            mcp_server_url: mcp_server_url.into(),
            protocol,
            credential_type: CredentialType::StaticBearer,
            access_token: Some(access_token),
        }
    }

    /// Parses the hosted API's JSON body.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        parse_json(json)
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
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        parse_json(json)
    }
}

impl UpdateVault {
    /// Parses the hosted API's JSON body.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        parse_json(json)
    }
}

impl ListParams {
    /// Parses list parameters given as a JSON object with the query's names
    /// (`limit`, `after_id`, `created_at[gte]`, …).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        parse_json(json)
    }
}

fn parse_json<T: DeserializeOwned>(json: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = match e.path().to_string() {
            root if root == "." => "body".to_owned(),
            path => path,
        };
        let reason = without_position(e.inner());
        Error::invalid(field.clone(), format!("{field}: {reason}"))
    })?;
    de.end()
        .map_err(|e| Error::invalid("body", format!("body: {}", without_position(&e))))?;
    Ok(value)
}

/// serde_json's message without " at line 1 column 9", which means nothing to a caller
/// who did not write the JSON by hand.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

// Requests hold a token: their Debug shows everything but it.
impl fmt::Debug for CreateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateCredential")
            .field("mcp_server_url", &self.mcp_server_url)
            .field("protocol", &self.protocol)
            .field("type", &self.credential_type)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl fmt::Debug for CreateVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateVault")
            .field("display_name", &self.display_name)
            .field("credentials", &self.credentials)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl fmt::Debug for UpdateVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateVault")
            .field("display_name", &self.display_name)
            .field("metadata", &self.metadata)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// The hosted API's create-vault example, as its documentation shows it.
    const SEED_BODY: &str = include_str!("../tests/data/seed_create_vault.json");

    #[test]
    fn the_seed_body_parses_as_is() {
        let req = CreateVault::from_json(SEED_BODY).expect("parses");
        assert_eq!(req.display_name, "my-mcp-vault");
        let cred = &req.credentials[0];
        assert_eq!(cred.protocol, Protocol::Sse);
        let token = cred.access_token.as_ref().expect("token");
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
        assert!(err.to_string().contains("unknown variant `http`"), "{err}");

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
