//! The seeds' dialect: `/api/v1/cloud/vaults…`, `after_id`/`before_id` lists answering
//! `{data, first_id, last_id, has_more}`, objects as the library serializes them (flat
//! credentials with `status`), 201 on create, and "at least one credential" on create.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::api_keys::Role;
use super::call::{Call, RequestId};
use super::errors::{ApiError, Dialect};
use super::query::{list_params, ListStyle};
use super::render::deleted;
use super::{ssrf, App};
use crate::api::request::{CreateCredential, CreateVault, UpdateCredential, UpdateVault};

type Answer = Result<Response, ApiError>;

/// The dialect's routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/cloud/vaults", post(create_vault).get(list_vaults))
        .route(
            "/api/v1/cloud/vaults/{vault_id}",
            get(get_vault)
                .post(update_vault)
                .patch(update_vault)
                .delete(delete_vault),
        )
        .route(
            "/api/v1/cloud/vaults/{vault_id}/archive",
            post(archive_vault),
        )
        .route(
            "/api/v1/cloud/vaults/{vault_id}/credentials",
            post(add_credential).get(list_credentials),
        )
        .route(
            "/api/v1/cloud/vaults/{vault_id}/credentials/{credential_id}",
            get(get_credential)
                .post(update_credential)
                .patch(update_credential)
                .delete(delete_credential),
        )
        .route(
            "/api/v1/cloud/vaults/{vault_id}/credentials/{credential_id}/archive",
            post(archive_credential),
        )
}

async fn begin(app: &App, headers: &HeaderMap, id: RequestId) -> Result<Call, ApiError> {
    Call::begin(app, headers, Role::Admin, Dialect::Qoder, id.0).await
}

async fn create_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let text = call.json_body(body, &headers).await?;
    let request = CreateVault::from_json(&text)
        .map_err(|e| ApiError::from_store(call.dialect, &call.request_id, e))?;
    if !app.allow_private_token_endpoints {
        for (i, credential) in request.credentials.iter().enumerate() {
            ssrf::check(credential, &format!("credentials[{i}].")).map_err(|m| call.invalid(m))?;
        }
    }
    let vault = call.run(move |s| s.create_vault(request)).await?;
    Ok(call.answer(StatusCode::CREATED, &vault))
}

async fn list_vaults(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let params = list_params(query.as_deref(), ListStyle::Cursor).map_err(|m| call.invalid(m))?;
    let page = call.run(move |s| s.list_vaults(&params)).await?;
    Ok(call.answer(StatusCode::OK, &page))
}

async fn get_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let vault = call.run(move |s| s.get_vault(&vault_id)).await?;
    Ok(call.answer(StatusCode::OK, &vault))
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
    Ok(call.answer(StatusCode::OK, &vault))
}

async fn archive_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let vault = call.run(move |s| s.archive_vault(&vault_id)).await?;
    Ok(call.answer(StatusCode::OK, &vault))
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
    Ok(call.answer(StatusCode::CREATED, &credential))
}

async fn list_credentials(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let call = begin(&app, &headers, id).await?;
    let params = list_params(query.as_deref(), ListStyle::Cursor).map_err(|m| call.invalid(m))?;
    let page = call
        .run(move |s| s.list_credentials(&vault_id, &params))
        .await?;
    Ok(call.answer(StatusCode::OK, &page))
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
    Ok(call.answer(StatusCode::OK, &credential))
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
    Ok(call.answer(StatusCode::OK, &credential))
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
    Ok(call.answer(StatusCode::OK, &credential))
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
    Ok(call.answer(StatusCode::OK, &answer))
}
