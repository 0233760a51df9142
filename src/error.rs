//! The one error type, with the hosted API's error types and typed storage outcomes.

use std::path::PathBuf;

/// Everything that can go wrong, one variant per outcome a caller may react to.
///
/// Every message is written for a person and never contains a token or a key.
/// [`Error::api_type`] maps each variant to the hosted API's error type, and
/// [`Error::envelope`] gives the API's JSON error envelope.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input: `field` names what is wrong, `message` the rule it broke.
    #[error("{message}")]
    InvalidRequest {
        /// The offending field, e.g. `display_name` or `credentials[0].mcp_server_url`.
        field: String,
        /// A full sentence naming the field and the rule.
        message: String,
    },
    /// An unknown, malformed or deleted id, or one of another account.
    #[error("{message}")]
    NotFound {
        /// E.g. "Vault 'vault_…' was not found."
        message: String,
    },
    /// A duplicate active URL in a vault, or archiving twice.
    #[error("{message}")]
    Conflict {
        /// What conflicts with what.
        message: String,
    },
    /// Another process or handle holds the store's lock.
    #[error("the store at {path} is open in another process or handle; close it first")]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// The master key, key file or passphrase does not open this store.
    #[error("the master key does not open this store: wrong key, key file or passphrase")]
    WrongKey,
    /// A key rotation was interrupted; only the new key can finish it.
    #[error("a key rotation was interrupted: open the store with the new key to finish it")]
    RotationUnfinished,
    /// Another process sharing the store (PostgreSQL) rotated its key since this handle
    /// opened it: what it reads now is sealed under a key this process does not have.
    #[error(
        "the store's key was rotated by another process (to key {key_id}) since this one \
         opened it: open the store again with the new key"
    )]
    KeyRotated {
        /// The id of the key the store now uses.
        key_id: u32,
    },
    /// Stored bytes fail to decode or to authenticate: damage or tampering.
    #[error("the store is corrupted or was tampered with: {what}")]
    Corrupted {
        /// Which record or file, and what is wrong with it (never its secret).
        what: String,
    },
    /// The store was written by a newer vaultstore.
    #[error(
        "the store has format version {found} but this build reads up to {supported}; \
         upgrade vaultstore"
    )]
    UnsupportedFormat {
        /// The version found on disk.
        found: u8,
        /// The newest version this build reads.
        supported: u8,
    },
    /// An `mcp_oauth` access token expired (or expires within the refresh margin) and
    /// could not be refreshed. The stale token is never returned; the failure is also
    /// recorded on the credential (`refresh_state.last_error`).
    #[error("credential {credential_id}: the access token could not be refreshed: {message}")]
    Refresh {
        /// The credential (`vcred_…`).
        credential_id: String,
        /// The OAuth error code (`invalid_grant`, …) or this crate's (`network_error`,
        /// `timeout`, `server_error`, `invalid_response`, `no_refresh_token`, …).
        code: String,
        /// True when only a new login (and `update_credential` with its tokens) helps.
        needs_reauthorization: bool,
        /// What happened; never a secret or the endpoint's answer.
        message: String,
    },
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. "creating the store directory /srv/vault".
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The storage engine reported an error that is neither I/O nor corruption.
    #[error("storage engine error: {0}")]
    Storage(String),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The hosted API's error type: `invalid_request_error`, `not_found_error`,
    /// `conflict_error` or `api_error`.
    pub fn api_type(&self) -> &'static str {
        match self {
            Error::InvalidRequest { .. } => "invalid_request_error",
            Error::NotFound { .. } => "not_found_error",
            Error::Conflict { .. } => "conflict_error",
            _ => "api_error",
        }
    }

    /// The field an [`Error::InvalidRequest`] names.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidRequest { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The API's JSON error envelope:
    /// `{"type": "error", "error": {"type": "…", "message": "…"}}`.
    pub fn envelope(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "error",
            "error": { "type": self.api_type(), "message": self.to_string() },
        })
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn vault_not_found(id: &str) -> Self {
        Error::NotFound {
            message: format!("Vault '{}' was not found.", shown(id)),
        }
    }

    pub(crate) fn credential_not_found(id: &str) -> Self {
        Error::NotFound {
            message: format!("Credential '{}' was not found.", shown(id)),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict {
            message: message.into(),
        }
    }

    pub(crate) fn corrupted(what: impl Into<String>) -> Self {
        Error::Corrupted { what: what.into() }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// A caller-supplied id as shown in a message: cut short, so that a huge or
/// pasted-by-mistake value does not flood a log.
pub(crate) fn shown(id: &str) -> String {
    const MAX: usize = 80;
    match id.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &id[..cut]),
        None => id.to_owned(),
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(source) => Error::io("storage engine I/O", source),
            sled::Error::Corruption { at, .. } => {
                Error::corrupted(format!("the storage engine found damage at {at:?}"))
            }
            other => Error::Storage(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_types_follow_the_hosted_api() {
        assert_eq!(Error::invalid("x", "m").api_type(), "invalid_request_error");
        assert_eq!(Error::vault_not_found("v").api_type(), "not_found_error");
        assert_eq!(Error::conflict("c").api_type(), "conflict_error");
        assert_eq!(Error::WrongKey.api_type(), "api_error");
        assert_eq!(Error::corrupted("x").api_type(), "api_error");
    }

    #[test]
    fn envelope_has_the_api_shape() {
        let env = Error::vault_not_found("vault_x").envelope();
        assert_eq!(env["type"], "error");
        assert_eq!(env["error"]["type"], "not_found_error");
        assert_eq!(env["error"]["message"], "Vault 'vault_x' was not found.");
    }

    #[test]
    fn long_ids_are_cut_in_messages() {
        let long = "v".repeat(10_000);
        let msg = Error::vault_not_found(&long).to_string();
        assert!(msg.len() < 200, "{msg}");
    }

    fn assert_send_sync<T: Send + Sync + 'static>() {}
    #[test]
    fn error_is_send_sync_static() {
        assert_send_sync::<Error>();
    }
}
