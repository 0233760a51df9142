//! The handler skeleton both dialects share: parse the ids, query or body → one store
//! call on the blocking pool → render. A dialect supplies only what differs (its
//! error conventions, list parameters, status on create and object shapes) through
//! [`Shapes`]; its module keeps its routes' paths and its own create-vault.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Router};

use super::api_keys::Role;
use super::call::{Call, RequestBody, RequestId};
use super::errors::{ApiError, Dialect};
use super::query::{list_params, ListStyle};
use super::render::deleted;
use super::{ssrf, App};
use crate::api::model::{DeletedCredential, Page, Vault, VaultCredential};
use crate::api::request::{CreateCredential, UpdateCredential, UpdateVault};

pub(crate) type Answer = Result<Response, ApiError>;

/// What one dialect does differently. Renderers build the whole answer so that a
/// dialect answering with the library's own objects serializes them directly (field
/// order as the library declares it), not through a `serde_json::Value`.
pub(crate) trait Shapes: Send + Sync + 'static {
    /// Error conventions.
    const DIALECT: Dialect;
    /// List parameters taken.
    const LIST: ListStyle;
    /// The status of a successful create.
    const CREATED: StatusCode;
    /// Also route PATCH to the updates (the seeds use it).
    const PATCH_UPDATES: bool;

    fn vault(call: &Call, status: StatusCode, vault: &Vault) -> Response;
    fn credential(call: &Call, status: StatusCode, credential: &VaultCredential) -> Response;
    fn vault_page(call: &Call, page: &Page<Vault>) -> Response;
    fn credential_page(call: &Call, page: &Page<VaultCredential>) -> Response;
    fn credential_deleted(call: &Call, answer: &DeletedCredential) -> Response;
}

/// The dialect's routes under `prefix` (`/api/v1/cloud` or `/v1`), with its own
/// `create_vault` (the one handler whose body differs between dialects).
pub(crate) fn routes<S: Shapes>(prefix: &str, create_vault: MethodRouter<App>) -> Router<App> {
    let update_vault_route = get(get_vault::<S>)
        .post(update_vault::<S>)
        .delete(delete_vault::<S>);
    let update_credential_route = get(get_credential::<S>)
        .post(update_credential::<S>)
        .delete(delete_credential::<S>);
    let (vault_route, credential_route) = match S::PATCH_UPDATES {
        true => (
            update_vault_route.patch(update_vault::<S>),
            update_credential_route.patch(update_credential::<S>),
        ),
        false => (update_vault_route, update_credential_route),
    };
    let vaults = format!("{prefix}/vaults");
    let vault = format!("{vaults}/{{vault_id}}");
    let credentials = format!("{vault}/credentials");
    let credential = format!("{credentials}/{{credential_id}}");
    Router::new()
        .route(&vaults, create_vault.get(list_vaults::<S>))
        .route(&vault, vault_route)
        .route(&format!("{vault}/archive"), post(archive_vault::<S>))
        .route(
            &credentials,
            post(add_credential::<S>).get(list_credentials::<S>),
        )
        .route(&credential, credential_route)
        .route(
            &format!("{credential}/archive"),
            post(archive_credential::<S>),
        )
}

/// An admin call in the dialect of `S`.
pub(crate) async fn begin<S: Shapes>(
    app: &App,
    headers: &HeaderMap,
    id: RequestId,
) -> Result<Call, ApiError> {
    Call::begin(app, headers, Role::Admin, S::DIALECT, id.0).await
}

async fn list_vaults<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let params = list_params(query.as_deref(), S::LIST).map_err(|m| call.invalid(m))?;
    let page = call.run(move |s| s.list_vaults(&params)).await?;
    Ok(S::vault_page(&call, &page))
}

async fn get_vault<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let vault = call.run(move |s| s.get_vault(&vault_id)).await?;
    Ok(S::vault(&call, StatusCode::OK, &vault))
}

async fn update_vault<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    Extension(body): Extension<RequestBody>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let text = call.json_body(&body)?;
    let update = call.parsed(UpdateVault::from_json(&text))?;
    let vault = call.run(move |s| s.update_vault(&vault_id, update)).await?;
    Ok(S::vault(&call, StatusCode::OK, &vault))
}

async fn archive_vault<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let vault = call.run(move |s| s.archive_vault(&vault_id)).await?;
    Ok(S::vault(&call, StatusCode::OK, &vault))
}

async fn delete_vault<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let answer_id = vault_id.clone();
    call.run(move |s| s.delete_vault(&vault_id)).await?;
    Ok(call.answer(StatusCode::OK, &deleted(&answer_id, "vault_deleted")))
}

async fn add_credential<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    Extension(body): Extension<RequestBody>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let text = call.json_body(&body)?;
    let request = call.parsed(CreateCredential::from_json(&text))?;
    if !app.allow_private_token_endpoints {
        ssrf::check(&request, "").map_err(|m| call.invalid(m))?;
    }
    let credential = call
        .run(move |s| s.add_credential(&vault_id, request))
        .await?;
    Ok(S::credential(&call, S::CREATED, &credential))
}

async fn list_credentials<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path(vault_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let params = list_params(query.as_deref(), S::LIST).map_err(|m| call.invalid(m))?;
    let page = call
        .run(move |s| s.list_credentials(&vault_id, &params))
        .await?;
    Ok(S::credential_page(&call, &page))
}

async fn get_credential<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let credential = call
        .run(move |s| s.get_credential(&vault_id, &credential_id))
        .await?;
    Ok(S::credential(&call, StatusCode::OK, &credential))
}

async fn update_credential<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
    Extension(body): Extension<RequestBody>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let text = call.json_body(&body)?;
    let update = call.parsed(UpdateCredential::from_json(&text))?;
    let credential = call
        .run(move |s| s.update_credential(&vault_id, &credential_id, update))
        .await?;
    Ok(S::credential(&call, StatusCode::OK, &credential))
}

async fn archive_credential<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let credential = call
        .run(move |s| s.archive_credential(&vault_id, &credential_id))
        .await?;
    Ok(S::credential(&call, StatusCode::OK, &credential))
}

async fn delete_credential<S: Shapes>(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Path((vault_id, credential_id)): Path<(String, String)>,
) -> Answer {
    let call = begin::<S>(&app, &headers, id).await?;
    let answer = call
        .run(move |s| s.delete_credential(&vault_id, &credential_id))
        .await?;
    Ok(S::credential_deleted(&call, &answer))
}
