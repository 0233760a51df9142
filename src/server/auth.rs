//! Who is calling: the API key from `Authorization: Bearer` or `x-api-key`, its role,
//! and the account (`anthropic-workspace-id`, when sent, must name the key's own).

use axum::http::HeaderMap;

use super::api_keys::{ApiKeyInfo, Role};
use super::errors::{log_error, ApiError, Dialect};
use super::App;

/// The header that names the workspace (our account) a request is for.
pub(crate) const WORKSPACE_HEADER: &str = "anthropic-workspace-id";

/// The key presented, if any: `Authorization: Bearer <key>`, else `x-api-key`.
fn presented(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let text = value.to_str().ok()?;
        let (scheme, key) = text.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| key.trim().to_owned());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}

/// The caller's key, checked for `role` and the workspace header. The key file is read
/// on the blocking pool (a `stat` per request, a read when it changed).
pub(crate) async fn authorize(
    app: &App,
    headers: &HeaderMap,
    role: Role,
    dialect: Dialect,
    request_id: &str,
) -> Result<ApiKeyInfo, ApiError> {
    let Some(key) = presented(headers) else {
        return Err(ApiError::unauthenticated(
            dialect,
            request_id,
            "Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
        ));
    };
    let keys = app.api_keys.clone();
    let found = tokio::task::spawn_blocking(move || keys.authenticate(&key))
        .await
        .map_err(|_| ApiError::internal(dialect, request_id))?
        .map_err(|e| {
            log_error(request_id, &e);
            ApiError::internal(dialect, request_id)
        })?;
    let Some(info) = found else {
        return Err(ApiError::unauthenticated(
            dialect,
            request_id,
            "Invalid API key: unknown or revoked.",
        ));
    };
    if let Some(workspace) = headers.get(WORKSPACE_HEADER) {
        let named = workspace.to_str().unwrap_or_default();
        if named != info.account {
            return Err(ApiError::forbidden(
                dialect,
                request_id,
                format!(
                    "This API key belongs to workspace '{}'; the {WORKSPACE_HEADER} header \
                     names another.",
                    info.account
                ),
            ));
        }
    }
    if info.role != role {
        let message = match role {
            Role::Admin => {
                "This API key has the runtime role: it resolves tokens and \
                            cannot manage vaults or credentials. Use an admin key."
            }
            Role::Runtime => {
                "This API key has the admin role, which never reads tokens. \
                              Use a runtime key to resolve."
            }
        };
        return Err(ApiError::forbidden(dialect, request_id, message));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_then_x_api_key() {
        let mut h = HeaderMap::new();
        assert_eq!(presented(&h), None);
        h.insert("x-api-key", "k2".parse().expect("header"));
        assert_eq!(presented(&h).as_deref(), Some("k2"));
        h.insert("authorization", "Bearer k1".parse().expect("header"));
        assert_eq!(presented(&h).as_deref(), Some("k1"));
        h.insert("authorization", "Basic abc".parse().expect("header"));
        assert_eq!(presented(&h), None);
    }
}
