//! The Vaults API over HTTP (feature `server`): one store behind two dialects, for SDKs,
//! curl and every process that cannot hold the store's lock itself.
//!
//! - The seeds' dialect under `/api/v1/cloud/vaults…` (`after_id`/`before_id` lists,
//!   the library's object shapes, 201 on create, at least one credential per new vault).
//! - Anthropic's Managed Agents dialect under `/v1/vaults…`, as its official SDK calls
//!   it (`limit`/`page` lists answering `{data, next_page}`, credentials with an `auth`
//!   object, vaults without `status`, empty vaults on create, errors with `request_id`).
//! - `POST /vaultstore/v1/resolve` for runtimes: the bearer token for an MCP server URL.
//!
//! Callers authenticate with API keys ([`ApiKeys`]), kept hashed beside the store: an
//! admin key manages vaults and credentials and never reads a token; a runtime key only
//! resolves. Each key works in one account of the store.
//!
//! The library is synchronous; every store call runs on tokio's blocking pool, so an
//! async worker never waits on sled, an fsync or an OAuth refresh.
//!
//! ```no_run
//! use vaultstore::server::{self, ApiKeys, ServeOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = vaultstore::VaultStore::open("/srv/vaultstore", vaultstore::MasterKey::generate())?;
//! let keys = ApiKeys::new(store.path());
//! let running = server::start(store, keys, ServeOptions::default())?;
//! println!("listening on {}", running.endpoint(false));
//! running.run_until_signal()?;
//! # Ok(())
//! # }
//! ```

mod api_keys;
mod auth;
mod call;
mod dialect_anthropic;
mod dialect_qoder;
mod errors;
mod handlers;
mod limits;
mod listen;
mod query;
mod render;
mod resolve;
mod ssrf;

use std::sync::Arc;

use axum::Router;

pub use api_keys::{ApiKeyInfo, ApiKeys, NewApiKey, Role, API_KEYS_FILE};
pub use limits::Limits;
pub use listen::{start, RunningServer, ServeOptions, TlsFiles};

use crate::store::VaultStore;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) store: VaultStore,
    pub(crate) api_keys: ApiKeys,
    pub(crate) limits: Arc<Limits>,
    /// Token endpoints at internal addresses accepted (development only).
    pub(crate) allow_private_token_endpoints: bool,
}

/// The OpenAPI 3.1 document of both dialects and resolve (written by
/// tests/openapi/gen_openapi.py; tests check it against the routes).
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

async fn openapi(
    axum::Extension(call::RequestId(id)): axum::Extension<call::RequestId>,
) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(OPENAPI_JSON));
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
        headers.insert("request-id", value);
    }
    response
}

/// Both dialects and the resolve route, with request ids and the per-request timeout.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .merge(dialect_qoder::routes())
        .merge(dialect_anthropic::routes())
        .merge(resolve::routes())
        .route("/openapi.json", axum::routing::get(openapi))
        .fallback(call::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            call::context,
        ))
        .with_state(app)
}
