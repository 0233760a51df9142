//! JSON answers: the common response builder, and the Anthropic dialect's shapes (the
//! seeds' dialect answers with the library's own serialization).

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::api::model::{CredentialType, Page, Vault, VaultCredential};
use crate::api::timestamp::to_text;

/// A JSON answer with the request id in the `request-id` header.
pub(crate) fn json_response(
    status: StatusCode,
    body: &impl Serialize,
    request_id: &str,
) -> Response {
    // Serializing the library's objects cannot fail (string keys, no secrets).
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", id);
    }
    response
}

fn time_or_null(at: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::String(to_text(&at)))
}

/// `{id, type: "vault", display_name, metadata, created_at, updated_at, archived_at}`:
/// no `status` (archived_at says it), no credentials.
pub(crate) fn anthropic_vault(v: &Vault) -> Value {
    json!({
        "id": v.id,
        "type": "vault",
        "display_name": v.display_name,
        "metadata": v.metadata,
        "created_at": to_text(&v.created_at),
        "updated_at": to_text(&v.updated_at),
        "archived_at": time_or_null(v.archived_at),
    })
}

/// `{id, type: "vault_credential", vault_id, display_name, metadata, auth: {type,
/// mcp_server_url, …}, created_at, updated_at, archived_at}`; never a secret.
pub(crate) fn anthropic_credential(c: &VaultCredential) -> Value {
    let mut auth = Map::new();
    auth.insert("type".into(), c.credential_type.as_str().into());
    auth.insert("mcp_server_url".into(), c.mcp_server_url.clone().into());
    if c.credential_type == CredentialType::McpOauth {
        if let Some(at) = c.expires_at {
            auth.insert("expires_at".into(), to_text(&at).into());
        }
        if let Some(refresh) = &c.refresh {
            auth.insert("refresh".into(), json!(refresh));
        }
    }
    let mut answer = json!({
        "id": c.id,
        "type": "vault_credential",
        "vault_id": c.vault_id,
        "display_name": c.display_name,
        "metadata": c.metadata,
        "auth": Value::Object(auth),
        "created_at": to_text(&c.created_at),
        "updated_at": to_text(&c.updated_at),
        "archived_at": time_or_null(c.archived_at),
    });
    // mcp_oauth: why refreshes fail, without a secret (this crate's addition).
    if let Some(state) = &c.refresh_state {
        answer["refresh_state"] = json!(state);
    }
    answer
}

/// `{data, next_page}`: `next_page` is the cursor of the following page, and `null`
/// on the last one (the SDK's auto-pagination stops only on `null`).
pub(crate) fn anthropic_page<T>(page: &Page<T>, item: fn(&T) -> Value) -> Value {
    let next = match (&page.last_id, page.has_more) {
        (Some(last), true) => Value::String(last.clone()),
        _ => Value::Null,
    };
    json!({
        "data": page.data.iter().map(item).collect::<Vec<_>>(),
        "next_page": next,
    })
}

/// A delete's answer: `{id, type}`.
pub(crate) fn deleted(id: &str, kind: &str) -> Value {
    json!({ "id": id, "type": kind })
}
