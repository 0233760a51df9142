//! A server's refusal, or no answer at all, as the CLI reports it: the exit code a
//! local call would have given for the same error type, and the server's own error
//! envelope under `--json`.

use crate::exit;

/// What went wrong at (or on the way to) the server.
#[derive(Debug)]
pub struct RemoteError {
    /// The API's error type (`not_found_error`, …); `api_error` without an answer.
    pub kind: String,
    /// The server's message, for a person.
    pub message: String,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The server's request id, for its log.
    pub request_id: Option<String>,
    /// Where the command was sent.
    pub url: String,
}

impl RemoteError {
    /// No usable answer: the connection, TLS or the read failed. ureq's messages name
    /// the host and the failure, never a header.
    pub fn unreachable(url: &str, e: &ureq::Error) -> RemoteError {
        RemoteError {
            kind: "api_error".into(),
            message: format!("cannot reach the server at {url}: {e}"),
            status: None,
            request_id: None,
            url: url.into(),
        }
    }

    /// A 2xx answer this CLI cannot read (another program on the port, or a version
    /// mismatch).
    pub fn unexpected(
        url: &str,
        status: u16,
        e: &serde_json::Error,
        request_id: Option<String>,
    ) -> RemoteError {
        RemoteError {
            kind: "api_error".into(),
            message: format!("the answer of the server at {url} is not what this CLI expects: {e}"),
            status: Some(status),
            request_id,
            url: url.into(),
        }
    }

    /// An error answer: the API's envelope `{"type":"error","error":{type,message}}`,
    /// or, from something else on the port, just the status.
    pub fn from_answer(
        url: &str,
        status: u16,
        body: &[u8],
        request_id: Option<String>,
    ) -> RemoteError {
        let envelope: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            envelope
                .as_ref()
                .and_then(|e| e["error"][name].as_str())
                .map(str::to_owned)
        };
        let (kind, message) = match (field("type"), field("message")) {
            (Some(kind), Some(message)) => (kind, message),
            _ => (
                "api_error".to_owned(),
                format!("the server at {url} answered HTTP {status} without an API error"),
            ),
        };
        RemoteError {
            kind,
            message,
            status: Some(status),
            request_id,
            url: url.into(),
        }
    }

    /// The exit code a local call gives for the same error type. A key the server
    /// refuses (401, 403) is the CLI's "wrong key"; a failed OAuth refresh at the
    /// server (502) is "refresh failed"; anything else unknown is "other".
    pub fn code(&self) -> u8 {
        match (self.kind.as_str(), self.status) {
            ("invalid_request_error", _) | (_, Some(413)) => exit::INVALID_REQUEST,
            ("not_found_error", _) => exit::NOT_FOUND,
            ("conflict_error", _) => exit::CONFLICT,
            ("authentication_error" | "TOKEN_INVALID" | "permission_error", _) => exit::WRONG_KEY,
            (_, Some(502)) => exit::REFRESH_FAILED,
            _ => exit::OTHER,
        }
    }

    /// The envelope as a local call writes it under `--json`.
    pub fn envelope(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
        })
    }
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        match (&self.status, &self.request_id) {
            (Some(status), Some(id)) => {
                write!(f, " (server {}: HTTP {status}, request {id})", self.url)
            }
            (Some(status), None) => write!(f, " (server {}: HTTP {status})", self.url),
            (None, _) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> RemoteError {
        RemoteError::from_answer("http://127.0.0.1:1", status, body.as_bytes(), None)
    }

    #[test]
    fn error_types_map_to_the_local_exit_codes() {
        let envelope =
            |kind: &str| format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"m"}}}}"#);
        assert_eq!(
            answer(400, &envelope("invalid_request_error")).code(),
            exit::INVALID_REQUEST
        );
        assert_eq!(
            answer(404, &envelope("not_found_error")).code(),
            exit::NOT_FOUND
        );
        assert_eq!(
            answer(409, &envelope("conflict_error")).code(),
            exit::CONFLICT
        );
        assert_eq!(
            answer(401, &envelope("TOKEN_INVALID")).code(),
            exit::WRONG_KEY
        );
        assert_eq!(
            answer(403, &envelope("permission_error")).code(),
            exit::WRONG_KEY
        );
        assert_eq!(
            answer(413, &envelope("request_too_large")).code(),
            exit::INVALID_REQUEST
        );
        assert_eq!(
            answer(502, &envelope("api_error")).code(),
            exit::REFRESH_FAILED
        );
        assert_eq!(answer(500, &envelope("api_error")).code(), exit::OTHER);
        let other = answer(404, "<html>nope</html>");
        assert_eq!(other.code(), exit::OTHER);
        assert!(other.message.contains("HTTP 404"), "{}", other.message);
    }
}
