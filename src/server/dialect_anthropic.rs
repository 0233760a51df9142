//! Anthropic's Managed Agents dialect: `/v1/vaults…`, as the official SDK calls it.
//! Vaults have no `status`; credentials are rendered with an `auth` object; lists take
//! `limit`/`page` and answer `{data, next_page}`; create takes only `{display_name,
//! metadata}` (an empty vault); archive and delete read no body (the SDK sends an empty
//! one with a JSON content type); updates are POSTs; answers are 200. The handlers are
//! the shared skeleton (`handlers.rs`); this module says how answers look and creates
//! (empty) vaults.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use serde_json::Value;

use super::call::{Call, RequestBody, RequestId};
use super::errors::{ApiError, Dialect};
use super::handlers::{self, begin, Answer, Shapes};
use super::query::ListStyle;
use super::render::{anthropic_credential, anthropic_page, anthropic_vault, deleted};
use super::App;
use crate::api::model::{DeletedCredential, Page, Vault, VaultCredential};

/// Anthropic's conventions: its own shapes, 200 on create, `limit`/`page` lists.
pub(crate) struct Anthropic;

impl Shapes for Anthropic {
    const DIALECT: Dialect = Dialect::Anthropic;
    const LIST: ListStyle = ListStyle::Page;
    const CREATED: StatusCode = StatusCode::OK;
    const PATCH_UPDATES: bool = false;

    fn vault(call: &Call, status: StatusCode, vault: &Vault) -> Response {
        call.answer(status, &anthropic_vault(vault))
    }
    fn credential(call: &Call, status: StatusCode, credential: &VaultCredential) -> Response {
        call.answer(status, &anthropic_credential(credential))
    }
    fn vault_page(call: &Call, page: &Page<Vault>) -> Response {
        call.answer(StatusCode::OK, &anthropic_page(page, anthropic_vault))
    }
    fn credential_page(call: &Call, page: &Page<VaultCredential>) -> Response {
        call.answer(StatusCode::OK, &anthropic_page(page, anthropic_credential))
    }
    fn credential_deleted(call: &Call, answer: &DeletedCredential) -> Response {
        call.answer(
            StatusCode::OK,
            &deleted(&answer.id, "vault_credential_deleted"),
        )
    }
}

/// The dialect's routes.
pub(crate) fn routes() -> Router<App> {
    handlers::routes::<Anthropic>("/v1", post(create_vault))
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
    Extension(body): Extension<RequestBody>,
) -> Answer {
    let call = begin::<Anthropic>(&app, &headers, id).await?;
    let text = call.json_body(&body)?;
    let (display_name, metadata) = parse_create(&call, &text)?;
    let vault = call
        .run(move |s| s.create_empty_vault(display_name, metadata))
        .await?;
    Ok(call.answer(StatusCode::OK, &anthropic_vault(&vault)))
}
