//! One request's context: its id, dialect, caller, and the store calls it makes on the
//! blocking pool.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde::Serialize;
use zeroize::{Zeroize, Zeroizing};

use super::api_keys::Role;
use super::auth::authorize;
use super::errors::{ApiError, Dialect};
use super::limits::{json_text, read_body};
use super::render::json_response;
use super::App;
use crate::store::VaultStore;

/// The request's id (`req_` and 24 hex digits), in every answer's `request-id` header.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("req_{hex}")
}

/// The dialect a path belongs to, for answers made before a handler runs.
pub(crate) fn dialect_of(path: &str) -> Dialect {
    if path.starts_with("/api/") {
        Dialect::Qoder
    } else {
        Dialect::Anthropic
    }
}

/// A request's body, read once by the middleware. Bodies carry tokens: the buffer is
/// wiped when the last holder (the middleware, after the answer is made) drops it.
#[derive(Clone)]
pub(crate) struct RequestBody(Arc<Zeroizing<Vec<u8>>>);

impl RequestBody {
    /// Copies `bytes` into a buffer wiped on drop, and wipes `bytes` too when this is
    /// its only handle. What remains unwiped is hyper's: its connection read buffer,
    /// which a body read as one chunk shares, and the chunks it hands out, which are
    /// freed (and reused by later reads) without being wiped.
    fn take(bytes: Bytes) -> RequestBody {
        let mut copy = Zeroizing::new(Vec::with_capacity(bytes.len()));
        copy.extend_from_slice(&bytes);
        if let Ok(mut only) = bytes.try_into_mut() {
            only.as_mut().zeroize();
        }
        RequestBody(Arc::new(copy))
    }
}

/// Middleware: gives the request its id, reads its whole body (up to the limit, else
/// 413) and bounds its time. Reading every body here, whether the route wants it or
/// not, keeps the connection reusable: hyper closes one whose body was left unread.
/// Handlers get the body as a [`RequestBody`] extension.
pub(crate) async fn context(
    axum::extract::State(app): axum::extract::State<App>,
    request: Request,
    next: Next,
) -> Response {
    let id = new_request_id();
    let dialect = dialect_of(request.uri().path());
    let handled = async {
        let (mut parts, body) = request.into_parts();
        let bytes = match read_body(body, &parts.headers, &app.limits, dialect, &id).await {
            Ok(bytes) => bytes,
            Err(e) => return e.into_response(),
        };
        let body = RequestBody::take(bytes);
        parts.extensions.insert(RequestId(id.clone()));
        parts.extensions.insert(body.clone());
        let response = next.run(Request::from_parts(parts, Body::empty())).await;
        // The handler's copy is gone with its future; this drop wipes the buffer.
        drop(body);
        response
    };
    let mut response = match tokio::time::timeout(app.limits.request_timeout, handled).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            dialect,
            &id,
            StatusCode::REQUEST_TIMEOUT,
            "timeout_error",
            format!(
                "The request took longer than {} s.",
                app.limits.request_timeout.as_secs_f32()
            ),
        )
        .into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().entry("request-id").or_insert(value);
    }
    response
}

/// Unknown routes, in the dialect of the path.
pub(crate) async fn not_found(
    axum::Extension(RequestId(id)): axum::Extension<RequestId>,
    request: Request,
) -> Response {
    let path = request.uri().path();
    ApiError::not_found(
        dialect_of(path),
        &id,
        format!(
            "No route for {} {}.",
            request.method(),
            crate::error::shown(path)
        ),
    )
    .into_response()
}

/// An authorized request, ready to call the store in the caller's account.
pub(crate) struct Call {
    pub(crate) dialect: Dialect,
    pub(crate) request_id: String,
    app: App,
    store: VaultStore,
}

impl Call {
    /// Checks the caller's key for `role` and picks its account.
    pub(crate) async fn begin(
        app: &App,
        headers: &HeaderMap,
        role: Role,
        dialect: Dialect,
        request_id: String,
    ) -> Result<Call, ApiError> {
        let key = authorize(app, headers, role, dialect, &request_id).await?;
        let store = app
            .store
            .account(&key.account)
            .map_err(|e| ApiError::from_store(dialect, &request_id, e))?;
        Ok(Call {
            dialect,
            request_id,
            app: app.clone(),
            store,
        })
    }

    /// Runs a store call on the blocking pool (sled reads, fsyncs and OAuth refreshes
    /// block; an async worker never does).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&VaultStore) -> crate::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| {
                super::errors::log_error(&self.request_id, &e);
                ApiError::internal(self.dialect, &self.request_id)
            })?
            .map_err(|e| ApiError::from_store(self.dialect, &self.request_id, e))
    }

    /// The body as JSON text within the limits; wiped when dropped (it may hold tokens).
    pub(crate) fn json_body(&self, body: &RequestBody) -> Result<Zeroizing<String>, ApiError> {
        json_text(&body.0, &self.app.limits, self.dialect, &self.request_id)
            .map(|text| Zeroizing::new(text.to_owned()))
    }

    /// A parsed body, or the parser's error in this request's dialect.
    pub(crate) fn parsed<T>(&self, parsed: crate::Result<T>) -> Result<T, ApiError> {
        parsed.map_err(|e| ApiError::from_store(self.dialect, &self.request_id, e))
    }

    /// A 400 in this request's dialect.
    pub(crate) fn invalid(&self, message: impl Into<String>) -> ApiError {
        ApiError::invalid(self.dialect, &self.request_id, message)
    }

    /// A JSON answer.
    pub(crate) fn answer(&self, status: StatusCode, body: &impl Serialize) -> Response {
        json_response(status, body, &self.request_id)
    }
}
