//! A credential as human text: every field the JSON answer has (never a secret, which
//! the answer does not hold), and a row for tables.

use vaultstore::{CredentialType, RefreshSettings, RefreshState, VaultCredential};

use super::{metadata, status, time};

/// `name  value` pairs: identity, then the OAuth fields, then the times.
pub fn fields(cred: &VaultCredential) -> Vec<(&'static str, String)> {
    let mut pairs = vec![("id", cred.id.clone()), ("vault_id", cred.vault_id.clone())];
    if let Some(name) = &cred.display_name {
        pairs.push(("display_name", name.clone()));
    }
    pairs.extend([
        ("mcp_server_url", cred.mcp_server_url.clone()),
        ("protocol", cred.protocol.as_str().to_owned()),
        ("type", cred.credential_type.as_str().to_owned()),
        ("status", status(cred.status)),
        ("metadata", metadata(&cred.metadata)),
    ]);
    if cred.credential_type == CredentialType::McpOauth {
        let expiry = cred.expires_at.as_ref().map(time);
        pairs.push(("expires_at", expiry.unwrap_or_else(|| "(unknown)".into())));
        match &cred.refresh {
            Some(refresh) => settings(refresh, &mut pairs),
            None => pairs.push(("refresh", "(none: the token cannot be renewed)".into())),
        }
        if let Some(state) = &cred.refresh_state {
            refresh_state(state, &mut pairs);
        }
    }
    pairs.push(("created_at", time(&cred.created_at)));
    pairs.push(("updated_at", time(&cred.updated_at)));
    if let Some(at) = &cred.archived_at {
        pairs.push(("archived_at", time(at)));
    }
    pairs
}

fn settings(refresh: &RefreshSettings, pairs: &mut Vec<(&'static str, String)>) {
    pairs.extend([
        ("client_id", refresh.client_id.clone()),
        ("token_endpoint", refresh.token_endpoint.clone()),
        (
            "token_endpoint_auth",
            refresh.token_endpoint_auth.as_str().to_owned(),
        ),
    ]);
    if let Some(scope) = &refresh.scope {
        pairs.push(("scope", scope.clone()));
    }
    if let Some(resource) = &refresh.resource {
        pairs.push(("resource", resource.clone()));
    }
}

fn refresh_state(state: &RefreshState, pairs: &mut Vec<(&'static str, String)>) {
    if let Some(at) = &state.last_refreshed_at {
        pairs.push(("last_refreshed_at", time(at)));
    }
    if let Some(scope) = &state.granted_scope {
        pairs.push(("granted_scope", scope.clone()));
    }
    if let Some(error) = &state.last_error {
        let text = format!("{}: {} (at {})", error.code, error.message, time(&error.at));
        pairs.push(("last_error", text));
    }
    let reauth = if state.needs_reauthorization {
        "yes: log in again, then `credential update` with the new tokens"
    } else {
        "no"
    };
    pairs.push(("needs_reauthorization", reauth.to_owned()));
    if let Some(at) = &state.next_attempt_at {
        pairs.push(("next_attempt_at", time(at)));
    }
}

pub const HEADER: [&str; 7] = [
    "ID",
    "STATUS",
    "TYPE",
    "PROTOCOL",
    "EXPIRES_AT",
    "REFRESH",
    "MCP_SERVER_URL",
];

/// A table row; the display name, when set, follows the URL in parentheses.
pub fn row(cred: &VaultCredential) -> Vec<String> {
    let url = match &cred.display_name {
        Some(name) => format!("{} ({name})", cred.mcp_server_url),
        None => cred.mcp_server_url.clone(),
    };
    vec![
        cred.id.clone(),
        status(cred.status),
        cred.credential_type.as_str().to_owned(),
        cred.protocol.as_str().to_owned(),
        cred.expires_at
            .as_ref()
            .map(time)
            .unwrap_or_else(|| "-".into()),
        refresh_summary(cred),
        url,
    ]
}

/// One word on the credential's refreshes: `-` (static or no refresh settings), `ok`,
/// `reauth` (a new login is needed) or the last error's code.
fn refresh_summary(cred: &VaultCredential) -> String {
    let Some(state) = &cred.refresh_state else {
        return "-".into();
    };
    if state.needs_reauthorization {
        return "reauth".into();
    }
    match (&state.last_error, &cred.refresh) {
        (Some(error), _) => error.code.clone(),
        (None, Some(_)) => "ok".into(),
        (None, None) => "-".into(),
    }
}
