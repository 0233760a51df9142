//! `POST /vaultstore/v1/resolve`: the runtime's one call. Stateless: a session over the
//! named vaults, one lookup (refreshing an `mcp_oauth` token as the library does), the
//! token in the answer. Runtime keys only.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::api_keys::Role;
use super::call::{Call, RequestBody, RequestId};
use super::errors::{without_position, ApiError, Dialect};
use super::App;

/// The route.
pub(crate) fn routes() -> Router<App> {
    Router::new().route("/vaultstore/v1/resolve", post(resolve))
}

/// `{"vault_ids": [...], "mcp_server_url": "..."}`.
fn parse(call: &Call, text: &str) -> Result<(Vec<String>, String), ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| call.invalid(format!("body: {}", without_position(&e))))?;
    let Value::Object(mut map) = value else {
        return Err(call.invalid("body: must be a JSON object"));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "vault_ids" | "mcp_server_url"))
    {
        return Err(call.invalid(format!(
            "{}: unknown field; expected one of: vault_ids, mcp_server_url",
            crate::error::shown(unknown)
        )));
    }
    let vault_ids = match map.remove("vault_ids") {
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(id) => Ok(id),
                _ => Err(call.invalid(format!("vault_ids[{i}]: must be a string"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        None | Some(Value::Null) => return Err(call.invalid("vault_ids: is required")),
        Some(_) => return Err(call.invalid("vault_ids: must be an array of vault ids")),
    };
    if vault_ids.is_empty() {
        return Err(call.invalid("vault_ids: must name at least one vault"));
    }
    if vault_ids.len() > 100 {
        return Err(call.invalid("vault_ids: at most 100 vaults"));
    }
    let url = match map.remove("mcp_server_url") {
        Some(Value::String(url)) => url,
        None | Some(Value::Null) => return Err(call.invalid("mcp_server_url: is required")),
        Some(_) => return Err(call.invalid("mcp_server_url: must be a string")),
    };
    Ok((vault_ids, url))
}

async fn resolve(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Extension(body): Extension<RequestBody>,
) -> Result<Response, ApiError> {
    let call = Call::begin(&app, &headers, Role::Runtime, Dialect::Anthropic, id.0).await?;
    let text = call.json_body(&body)?;
    let (vault_ids, url) = parse(&call, &text)?;
    let asked = url.clone();
    let found = call
        .run(move |s| s.session(&vault_ids)?.resolve(&url))
        .await?;
    let Some(found) = found else {
        return Err(ApiError::not_found(
            call.dialect,
            &call.request_id,
            format!(
                "No named vault holds an active credential for mcp_server_url '{}'.",
                crate::error::shown(&asked)
            ),
        ));
    };
    let mut answer = json!({
        "vault_id": found.vault_id,
        "credential_id": found.credential_id,
        "mcp_server_url": found.mcp_server_url,
        "protocol": found.protocol.as_str(),
        "type": found.credential_type.as_str(),
        "token": found.token.expose_secret(),
    });
    if let Some(at) = found.expires_at {
        answer["expires_at"] = crate::api::timestamp::to_text(&at).into();
    }
    Ok(call.answer(StatusCode::OK, &answer))
}
