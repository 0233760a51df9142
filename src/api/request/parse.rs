//! Request bodies from JSON, by hand rather than by derive: every message names the
//! field by its JSON path (`credentials[1].auth.refresh.client_id`), says the rule in the
//! API's words, refuses unknown fields, and never quotes the value of a secret.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::{Map, Value};

use super::{
    ClientAuth, CreateCredential, CreateVault, CredentialAuth, OAuthRefresh, OAuthTokens, Shape,
    UpdateAuth, UpdateCredential, UpdateOAuth, UpdateRefresh, UpdateVault,
};
use crate::api::model::Protocol;
use crate::error::{shown, Error, Result};

/// Parses a whole body with `parse`.
pub(super) fn body<T>(json: &str, parse: fn(String, Value) -> Result<T>) -> Result<T> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| Error::invalid("body", format!("body: {}", without_position(&e))))?;
    parse(Fields::path_root(), value)
}

/// serde_json's message without " at line 1 column 9", which means nothing to a caller
/// who did not write the JSON by hand.
pub(super) fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// An object's fields, taken one by one; what is left is unknown.
pub(super) struct Fields {
    path: String,
    map: Map<String, Value>,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid(field: String, rule: impl std::fmt::Display) -> Error {
    Error::invalid(field.clone(), format!("{field}: {rule}"))
}

impl Fields {
    /// The path of a body's root: its fields are named bare.
    pub(super) fn path_root() -> String {
        String::new()
    }

    /// `value` as an object at `path` whose keys are all in `known`.
    fn new(path: String, value: Value, known: &[&str]) -> Result<Fields> {
        let Value::Object(map) = value else {
            let field = if path.is_empty() { "body".into() } else { path };
            return Err(invalid(
                field,
                format!("must be a JSON object, got {}", kind(&value)),
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            let field = join(&path, &shown(unknown));
            return Err(invalid(
                field,
                format!("unknown field; expected one of: {}", known.join(", ")),
            ));
        }
        Ok(Fields { path, map })
    }

    fn path(&self, name: &str) -> String {
        join(&self.path, name)
    }

    /// The field, with JSON `null` read as absent.
    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    fn string(&mut self, name: &str) -> Result<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(invalid(
                self.path(name),
                format!("must be a string, got {}", kind(&other)),
            )),
        }
    }

    fn required_string(&mut self, name: &str) -> Result<String> {
        self.string(name)?
            .ok_or_else(|| invalid(self.path(name), "is required"))
    }

    /// A secret: its value never enters a message, whatever its JSON type.
    fn secret(&mut self, name: &str) -> Result<Option<SecretString>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(SecretString::from(s))),
            Some(other) => Err(invalid(
                self.path(name),
                format!("must be a string, got {}", kind(&other)),
            )),
        }
    }

    fn required_secret(&mut self, name: &str) -> Result<SecretString> {
        self.secret(name)?
            .ok_or_else(|| invalid(self.path(name), "is required"))
    }

    fn timestamp(&mut self, name: &str) -> Result<Option<DateTime<Utc>>> {
        let Some(text) = self.string(name)? else {
            return Ok(None);
        };
        crate::api::timestamp::parse(&text)
            .map(|at| Some(crate::api::timestamp::truncate_micros(at)))
            .ok_or_else(|| {
                invalid(
                    self.path(name),
                    format!(
                        "must be an RFC 3339 timestamp such as 2026-05-18T15:34:16Z, got '{}'",
                        shown(&text)
                    ),
                )
            })
    }

    fn object(&mut self, name: &str, known: &[&str]) -> Result<Option<Fields>> {
        match self.take(name) {
            None => Ok(None),
            Some(value) => Fields::new(self.path(name), value, known).map(Some),
        }
    }

    fn protocol(&mut self, default: Option<Protocol>) -> Result<Protocol> {
        match self.string("protocol")?.as_deref() {
            Some("sse") => Ok(Protocol::Sse),
            Some("streamable_http") => Ok(Protocol::StreamableHttp),
            Some(other) => Err(invalid(
                self.path("protocol"),
                format!("must be sse or streamable_http, got '{}'", shown(other)),
            )),
            None => default.ok_or_else(|| invalid(self.path("protocol"), "is required")),
        }
    }

    /// `type`: `static_bearer` or `mcp_oauth`; `true` for mcp_oauth.
    fn is_oauth(&mut self) -> Result<bool> {
        match self.string("type")?.as_deref() {
            Some("static_bearer") => Ok(false),
            Some("mcp_oauth") => Ok(true),
            Some(other) => Err(invalid(
                self.path("type"),
                format!("must be static_bearer or mcp_oauth, got '{}'", shown(other)),
            )),
            None => Err(invalid(self.path("type"), "is required")),
        }
    }

    fn metadata(&mut self) -> Result<BTreeMap<String, String>> {
        let Some(map) = self.metadata_values()? else {
            return Ok(BTreeMap::new());
        };
        map.into_iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key, s)),
                other => Err(invalid(
                    join(&self.path("metadata"), &shown(&key)),
                    format!("must be a string, got {}", kind(&other)),
                )),
            })
            .collect()
    }

    /// A metadata patch: a string sets the key, `null` removes it.
    fn metadata_patch(&mut self) -> Result<Option<BTreeMap<String, Option<String>>>> {
        let Some(map) = self.metadata_values()? else {
            return Ok(None);
        };
        let patch = map
            .into_iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key, Some(s))),
                Value::Null => Ok((key, None)),
                other => Err(invalid(
                    join(&self.path("metadata"), &shown(&key)),
                    format!("must be a string or null, got {}", kind(&other)),
                )),
            })
            .collect::<Result<_>>()?;
        Ok(Some(patch))
    }

    fn metadata_values(&mut self) -> Result<Option<Map<String, Value>>> {
        match self.take("metadata") {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(invalid(
                self.path("metadata"),
                format!("must be an object of strings, got {}", kind(&other)),
            )),
        }
    }

    /// `Some(None)` for an explicit `null`, `None` when absent.
    fn nullable_string(&mut self, name: &str) -> Result<Option<Option<String>>> {
        match self.map.get(name) {
            Some(Value::Null) => {
                self.map.remove(name);
                Ok(Some(None))
            }
            _ => Ok(self.string(name)?.map(Some)),
        }
    }

    fn nullable_timestamp(&mut self, name: &str) -> Result<Option<Option<DateTime<Utc>>>> {
        match self.map.get(name) {
            Some(Value::Null) => {
                self.map.remove(name);
                Ok(Some(None))
            }
            _ => Ok(self.timestamp(name)?.map(Some)),
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

pub(super) fn create_vault(path: String, value: Value) -> Result<CreateVault> {
    let mut f = Fields::new(path, value, &["display_name", "credentials", "metadata"])?;
    let display_name = f.required_string("display_name")?;
    let metadata = f.metadata()?;
    let credentials = match f.take("credentials") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| create_credential(format!("{}[{i}]", f.path("credentials")), item))
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(invalid(
                f.path("credentials"),
                format!("must be an array of credentials, got {}", kind(&other)),
            ))
        }
    };
    Ok(CreateVault {
        display_name,
        credentials,
        metadata,
    })
}

const FLAT_FIELDS: &[&str] = &[
    "mcp_server_url",
    "protocol",
    "type",
    "access_token",
    "expires_at",
    "refresh",
    "display_name",
    "metadata",
];
const AUTH_SHAPE_FIELDS: &[&str] = &["auth", "protocol", "display_name", "metadata"];
const REFRESH_FIELDS: &[&str] = &[
    "client_id",
    "refresh_token",
    "token_endpoint",
    "token_endpoint_auth",
    "resource",
    "scope",
];

pub(super) fn create_credential(path: String, value: Value) -> Result<CreateCredential> {
    let is_auth_shape = matches!(&value, Value::Object(map) if map.contains_key("auth"));
    if is_auth_shape {
        return auth_shape(path, value);
    }
    let mut f = Fields::new(path, value, FLAT_FIELDS)?;
    let mcp_server_url = f.required_string("mcp_server_url")?;
    let protocol = f.protocol(None)?;
    let oauth = f.is_oauth()?;
    let auth = if oauth {
        CredentialAuth::McpOauth(oauth_tokens(&mut f)?)
    } else {
        for field in ["expires_at", "refresh"] {
            if f.has(field) {
                return Err(invalid(f.path(field), "is only for type mcp_oauth"));
            }
        }
        let token = f.secret("access_token")?.ok_or_else(|| {
            Error::invalid(
                f.path("access_token"),
                "Field 'access_token' is required for static_bearer type.",
            )
        })?;
        CredentialAuth::StaticBearer { token }
    };
    Ok(CreateCredential {
        mcp_server_url,
        protocol,
        display_name: f.string("display_name")?,
        metadata: f.metadata()?,
        auth,
        shape: Shape::Flat,
    })
}

/// `{"protocol"?, "display_name"?, "metadata"?, "auth": {"type", "mcp_server_url", …}}`.
fn auth_shape(path: String, value: Value) -> Result<CreateCredential> {
    let mut outer = Fields::new(path, value, AUTH_SHAPE_FIELDS)?;
    let protocol = outer.protocol(Some(Protocol::StreamableHttp))?;
    let mut f = outer
        .object(
            "auth",
            &[
                "type",
                "mcp_server_url",
                "token",
                "access_token",
                "expires_at",
                "refresh",
            ],
        )?
        .ok_or_else(|| invalid(outer.path("auth"), "must be an object, got null"))?;
    let mcp_server_url = f.required_string("mcp_server_url")?;
    let auth = if f.is_oauth()? {
        if f.has("token") {
            return Err(invalid(
                f.path("token"),
                "is for static_bearer; mcp_oauth takes access_token",
            ));
        }
        CredentialAuth::McpOauth(oauth_tokens(&mut f)?)
    } else {
        for field in ["access_token", "expires_at", "refresh"] {
            if f.has(field) {
                return Err(invalid(
                    f.path(field),
                    "is only for type mcp_oauth (static_bearer takes token)",
                ));
            }
        }
        CredentialAuth::StaticBearer {
            token: f.required_secret("token")?,
        }
    };
    Ok(CreateCredential {
        mcp_server_url,
        protocol,
        display_name: outer.string("display_name")?,
        metadata: outer.metadata()?,
        auth,
        shape: Shape::Auth,
    })
}

fn oauth_tokens(f: &mut Fields) -> Result<OAuthTokens> {
    let access_token = f.required_secret("access_token")?;
    let expires_at = f.timestamp("expires_at")?;
    let refresh = match f.object("refresh", REFRESH_FIELDS)? {
        None => None,
        Some(mut r) => Some(OAuthRefresh {
            client_id: r.required_string("client_id")?,
            refresh_token: r.required_secret("refresh_token")?,
            token_endpoint: r.required_string("token_endpoint")?,
            token_endpoint_auth: client_auth(&mut r)?,
            resource: r.string("resource")?,
            scope: r.string("scope")?,
        }),
    };
    Ok(OAuthTokens {
        access_token,
        expires_at,
        refresh,
    })
}

/// `token_endpoint_auth`: `{"type": "none"}` (the default when absent), or
/// `client_secret_basic` / `client_secret_post` with a `client_secret`.
fn client_auth(r: &mut Fields) -> Result<ClientAuth> {
    let Some(mut a) = r.object("token_endpoint_auth", &["type", "client_secret"])? else {
        return Ok(ClientAuth::None);
    };
    let method = a.required_string("type")?;
    match method.as_str() {
        "none" => {
            if a.has("client_secret") {
                return Err(invalid(
                    a.path("client_secret"),
                    "is not used with type none",
                ));
            }
            Ok(ClientAuth::None)
        }
        "client_secret_basic" => Ok(ClientAuth::ClientSecretBasic(
            a.required_secret("client_secret")?,
        )),
        "client_secret_post" => Ok(ClientAuth::ClientSecretPost(
            a.required_secret("client_secret")?,
        )),
        other => Err(invalid(
            a.path("type"),
            format!(
                "must be none, client_secret_basic or client_secret_post, got '{}'",
                shown(other)
            ),
        )),
    }
}

pub(super) fn update_vault(path: String, value: Value) -> Result<UpdateVault> {
    let mut f = Fields::new(path, value, &["display_name", "metadata"])?;
    Ok(UpdateVault {
        display_name: f.string("display_name")?,
        metadata: f.metadata_patch()?,
    })
}

pub(super) fn update_credential(path: String, value: Value) -> Result<UpdateCredential> {
    let mut f = Fields::new(path, value, &["display_name", "metadata", "auth"])?;
    let display_name = f.nullable_string("display_name")?;
    let metadata = f.metadata_patch()?;
    let auth = match f.object(
        "auth",
        &["type", "token", "access_token", "expires_at", "refresh"],
    )? {
        None => None,
        Some(mut a) => Some(update_auth(&mut a)?),
    };
    Ok(UpdateCredential {
        display_name,
        metadata,
        auth,
    })
}

fn update_auth(a: &mut Fields) -> Result<UpdateAuth> {
    if !a.is_oauth()? {
        for field in ["access_token", "expires_at", "refresh"] {
            if a.has(field) {
                return Err(invalid(
                    a.path(field),
                    "is only for type mcp_oauth (static_bearer takes token)",
                ));
            }
        }
        return Ok(UpdateAuth::StaticBearer {
            token: a.secret("token")?,
        });
    }
    if a.has("token") {
        return Err(invalid(
            a.path("token"),
            "is for static_bearer; mcp_oauth takes access_token",
        ));
    }
    let refresh = match a.object(
        "refresh",
        &["refresh_token", "scope", "token_endpoint_auth"],
    )? {
        None => None,
        Some(mut r) => {
            let client_secret = match r.object("token_endpoint_auth", &["type", "client_secret"])? {
                None => None,
                Some(mut t) => {
                    let method = t.required_string("type")?;
                    match method.as_str() {
                        "none" => None,
                        "client_secret_basic" | "client_secret_post" => {
                            t.secret("client_secret")?
                        }
                        other => {
                            return Err(invalid(
                                t.path("type"),
                                format!(
                                    "must be none, client_secret_basic or client_secret_post, \
                                     got '{}'",
                                    shown(other)
                                ),
                            ))
                        }
                    }
                }
            };
            Some(UpdateRefresh {
                refresh_token: r.secret("refresh_token")?,
                scope: r.string("scope")?,
                client_secret,
            })
        }
    };
    Ok(UpdateAuth::McpOauth(UpdateOAuth {
        access_token: a.secret("access_token")?,
        expires_at: a.nullable_timestamp("expires_at")?,
        refresh,
    }))
}
