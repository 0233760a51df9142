//! The one place an error becomes an HTTP answer, in the dialect of the route.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::render::json_response;
use crate::error::Error;

/// Which API's conventions an answer follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// The seeds' `/api/v1/cloud/…`: `{"type":"error","error":{type,message}}`, a
    /// missing or bad key is `TOKEN_INVALID`.
    Qoder,
    /// Anthropic's `/v1/…` (and `/vaultstore/v1/…`): the same envelope plus
    /// `request_id`, a missing or bad key is `authentication_error`.
    Anthropic,
}

/// An error answer: status, the API's error type, a message for a person.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) dialect: Dialect,
    pub(crate) request_id: String,
}

impl ApiError {
    pub(crate) fn new(
        dialect: Dialect,
        request_id: &str,
        status: StatusCode,
        kind: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            dialect,
            request_id: request_id.to_owned(),
        }
    }

    pub(crate) fn invalid(dialect: Dialect, request_id: &str, message: impl Into<String>) -> Self {
        Self::new(
            dialect,
            request_id,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
        )
    }

    pub(crate) fn unauthenticated(dialect: Dialect, request_id: &str, message: &str) -> Self {
        let kind = match dialect {
            Dialect::Qoder => "TOKEN_INVALID",
            Dialect::Anthropic => "authentication_error",
        };
        Self::new(dialect, request_id, StatusCode::UNAUTHORIZED, kind, message)
    }

    pub(crate) fn forbidden(
        dialect: Dialect,
        request_id: &str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            dialect,
            request_id,
            StatusCode::FORBIDDEN,
            "permission_error",
            message,
        )
    }

    pub(crate) fn not_found(
        dialect: Dialect,
        request_id: &str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            dialect,
            request_id,
            StatusCode::NOT_FOUND,
            "not_found_error",
            message,
        )
    }

    pub(crate) fn internal(dialect: Dialect, request_id: &str) -> Self {
        Self::new(
            dialect,
            request_id,
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            format!("Internal server error; the server log has the details under request id {request_id}."),
        )
    }

    /// A library error as the API answers it. Storage failures are logged here with
    /// the request id and answered without their details (paths, engine messages).
    pub(crate) fn from_store(dialect: Dialect, request_id: &str, e: Error) -> Self {
        let (status, kind) = match &e {
            Error::InvalidRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request_error"),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found_error"),
            Error::Conflict { .. } => (StatusCode::CONFLICT, "conflict_error"),
            // The library's message never holds the endpoint's answer or a secret.
            Error::Refresh { .. } => (StatusCode::BAD_GATEWAY, "api_error"),
            _ => {
                log_error(request_id, &e);
                return Self::internal(dialect, request_id);
            }
        };
        Self::new(dialect, request_id, status, kind, e.to_string())
    }
}

/// serde_json's message without " at line 1 column 9".
pub(crate) fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// One line on stderr: what failed, for the operator. Library errors carry no secret.
pub(crate) fn log_error(request_id: &str, e: &dyn std::fmt::Display) {
    eprintln!("vaultstore serve: request {request_id} failed: {e}");
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
        });
        if self.dialect == Dialect::Anthropic {
            body["request_id"] = self.request_id.clone().into();
        }
        let mut response = json_response(self.status, &body, &self.request_id);
        if self.status == StatusCode::CONFLICT {
            // The SDKs retry a 409 unless told not to; a conflict does not pass by itself.
            response
                .headers_mut()
                .insert("x-should-retry", HeaderValue::from_static("false"));
        }
        response
    }
}
