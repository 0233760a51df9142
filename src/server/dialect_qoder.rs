//! The seeds' dialect: `/api/v1/cloud/vaults…`, `after_id`/`before_id` lists answering
//! `{data, first_id, last_id, has_more}`, objects as the library serializes them (flat
//! credentials with `status`), 201 on create, and "at least one credential" on create.
//! The handlers are the shared skeleton (`handlers.rs`); this module says how answers
//! look and creates vaults.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

use super::call::{Call, RequestBody, RequestId};
use super::errors::Dialect;
use super::handlers::{self, begin, Answer, Shapes};
use super::query::ListStyle;
use super::{ssrf, App};
use crate::api::model::{DeletedCredential, Page, Vault, VaultCredential};
use crate::api::request::CreateVault;

/// The seeds' conventions: the library's own objects.
pub(crate) struct Qoder;

impl Shapes for Qoder {
    const DIALECT: Dialect = Dialect::Qoder;
    const LIST: ListStyle = ListStyle::Cursor;
    const CREATED: StatusCode = StatusCode::CREATED;
    const PATCH_UPDATES: bool = true;

    fn vault(call: &Call, status: StatusCode, vault: &Vault) -> Response {
        call.answer(status, vault)
    }
    fn credential(call: &Call, status: StatusCode, credential: &VaultCredential) -> Response {
        call.answer(status, credential)
    }
    fn vault_page(call: &Call, page: &Page<Vault>) -> Response {
        call.answer(StatusCode::OK, page)
    }
    fn credential_page(call: &Call, page: &Page<VaultCredential>) -> Response {
        call.answer(StatusCode::OK, page)
    }
    fn credential_deleted(call: &Call, answer: &DeletedCredential) -> Response {
        call.answer(StatusCode::OK, answer)
    }
}

/// The dialect's routes.
pub(crate) fn routes() -> Router<App> {
    handlers::routes::<Qoder>("/api/v1/cloud", post(create_vault))
}

/// A vault with its first credentials (at least one), each token endpoint checked.
async fn create_vault(
    State(app): State<App>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    Extension(body): Extension<RequestBody>,
) -> Answer {
    let call = begin::<Qoder>(&app, &headers, id).await?;
    let text = call.json_body(&body)?;
    let request = call.parsed(CreateVault::from_json(&text))?;
    if !app.allow_private_token_endpoints {
        for (i, credential) in request.credentials.iter().enumerate() {
            ssrf::check(credential, &format!("credentials[{i}].")).map_err(|m| call.invalid(m))?;
        }
    }
    let vault = call.run(move |s| s.create_vault(request)).await?;
    Ok(call.answer(StatusCode::CREATED, &vault))
}
