//! Anthropic's Managed Agents dialect: `/v1/vaults…`, as the official SDK calls it.
//! Vaults have no `status`; credentials are rendered with an `auth` object; lists take
//! `limit`/`page` and answer `{data, next_page}`; create takes only `{display_name,
//! metadata}` (an empty vault); archive and delete read no body (the SDK sends an empty
//! one with a JSON content type); updates are POSTs; answers are 200.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::Value;

use super::api_keys::Role;
use super::call::{Call, RequestId};
use super::errors::{ApiError, Dialect};
use super::query::{list_params, ListStyle};
use super::render::{anthropic_credential, anthropic_page, anthropic_vault, deleted};
use super::{ssrf, App};
use crate::api::request::{CreateCredential, UpdateCredential, UpdateVault};

type Answer = Result<Response, ApiError>;

/// The dialect's routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/v1/vaults", post(create_vault).get(list_vaults))
        .route(
            "/v1/vaults/{vault_id}",
            get(get_vault).post(update_vault).delete(delete_vault),
        )
        .route("/v1/vaults/{vault_id}/archive", post(archive_vault))
        .route(
            "/v1/vaults/{vault_id}/credentials",
            post(add_credential).get(list_credentials),
        )
        .route(
            "/v1/vaults/{vault_id}/credentials/{credential_id}",
            get(get_credential)
                .post(update_credential)
                .delete(delete_credential),
        )
        .route(
            "/v1/vaults/{vault_id}/credentials/{credential_id}/archive",
            post(archive_credential),
        )
}

async fn begin(app: &App, headers: &HeaderMap, id: RequestId) -> Result<Call, ApiError> {
    Call::begin(app, headers, Role::Admin, Dialect::Anthropic, id.0).await
}

/// `{display_name, metadata?}`: nothing else (credentials are added one by one).
fn parse_create(call: &Call, text: &str) -> Result<(String, BTreeMap<String, String>), ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| call.invalid(format!("body: {}", super::errors::without_position(&e))))?;
    let Value::Object(mut map) = value else {
        return Err(call.invalid("body: must be a JSON object"));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "display_name" | "metadata"))
    {
        return Err(call.invalid(format!(
            "{}: unknown field; expected one of: display_name, metadata",
            crate::error::shown(unknown)
        )));
    }
    let display_name = match map.remove("display_name") {
        Some(Value::String(name)) => name,
        None | Some(Value::Null) => return Err(call.invalid("display_name: is required")),
        Some(_) => return Err(call.invalid("display_name: must be a string")),
    };
    let metadata = match map.remove("metadata") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(pairs)) => pairs
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(v) => Ok((k, v)),
                _ => Err(call.invalid(format!(
                    "metadata.{}: must be a string",
                    crate::error::shown(&k)
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(call.invalid("metadata: must be an object of strings")),
    };
    Ok((display_name, metadata))
}

async fn create_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let text = call.json_body(body, &headers).await?;
    let (display_name, metadata) = parse_create(&call, &text)?;
    let vault = call
        .run(move |s| s.create_empty_vault(display_name, metadata))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_vault(&vault)))
}

async fn list_vaults(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let params = list_params(query.as_deref(), ListStyle::Page).map_err(|m| call.invalid(m))?;
    let page = call.run(move |s| s.list_vaults(&params)).await?;
    Ok(call.answer(StatusCode::OK, &anthropic_page(&page, anthropic_vault)))
}

async fn get_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let vault = call.run(move |s| s.get_vault(&vault_id)).await?;
    Ok(call.answer(StatusCode::OK, &anthropic_vault(&vault)))
}

async fn update_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    body: Body,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let text = call.json_body(body, &headers).await?;
    let update = UpdateVault::from_json(&text)
        .map_err(|e| ApiError::from_store(call.dialect, &call.request_id, e))?;
    let vault = call.run(move |s| s.update_vault(&vault_id, update)).await?;
    Ok(call.answer(StatusCode::OK, &anthropic_vault(&vault)))
}

async fn archive_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let vault = call.run(move |s| s.archive_vault(&vault_id)).await?;
    Ok(call.answer(StatusCode::OK, &anthropic_vault(&vault)))
}

async fn delete_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let answer_id = vault_id.clone();
    call.run(move |s| s.delete_vault(&vault_id)).await?;
    Ok(call.answer(StatusCode::OK, &deleted(&answer_id, "vault_deleted")))
}

async fn add_credential(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    body: Body,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let text = call.json_body(body, &headers).await?;
    let request = CreateCredential::from_json(&text)
        .map_err(|e| ApiError::from_store(call.dialect, &call.request_id, e))?;
    if !app.allow_private_token_endpoints {
        ssrf::check(&request, "").map_err(|m| call.invalid(m))?;
    }
    let credential = call
        .run(move |s| s.add_credential(&vault_id, request))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_credential(&credential)))
}

async fn list_credentials(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let params = list_params(query.as_deref(), ListStyle::Page).map_err(|m| call.invalid(m))?;
    let page = call
        .run(move |s| s.list_credentials(&vault_id, &params))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_page(&page, anthropic_credential)))
}

async fn get_credential(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let credential = call
        .run(move |s| s.get_credential(&vault_id, &credential_id))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_credential(&credential)))
}

async fn update_credential(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
    body: Body,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let text = call.json_body(body, &headers).await?;
    let update = UpdateCredential::from_json(&text)
        .map_err(|e| ApiError::from_store(call.dialect, &call.request_id, e))?;
    let credential = call
        .run(move |s| s.update_credential(&vault_id, &credential_id, update))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_credential(&credential)))
}

async fn archive_credential(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let credential = call
        .run(move |s| s.archive_credential(&vault_id, &credential_id))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_credential(&credential)))
}

async fn delete_credential(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let answer = call
        .run(move |s| s.delete_credential(&vault_id, &credential_id))
        .await?;
    Ok(call.answer(
        StatusCode::OK,
        &deleted(&answer.id, "vault_credential_deleted"),
    ))
}
