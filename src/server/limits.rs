//! What one request may cost: body size, JSON nesting, time, and connections.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};

use super::errors::{ApiError, Dialect};

/// The server's limits. `Default` is what `vaultstore serve` uses.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body read, in bytes; more is answered 413.
    /// Default: 1 MiB.
    pub max_body_bytes: usize,
    /// The deepest JSON nesting accepted in a body. Default: 32 (the API's deepest
    /// body, a credential's `auth.refresh.token_endpoint_auth`, is 4 deep).
    pub max_json_depth: usize,
    /// How long one request may take, body included; then 408. A store call already
    /// running finishes (it cannot be interrupted half-way), but the client is
    /// answered. Default: 30 s.
    pub request_timeout: Duration,
    /// How long a client has to send a request's headers. Default: 10 s.
    pub header_read_timeout: Duration,
    /// The largest request head (request line and headers) in bytes; more closes the
    /// connection with 431. Default: 16 KiB.
    pub max_header_bytes: usize,
    /// Open connections at once; a connection past this is closed at once.
    /// Default: 512.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_json_depth: 32,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 << 10,
            max_connections: 512,
        }
    }
}

/// The body, whole, or 413 past the limit.
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limits: &Limits,
    dialect: Dialect,
    request_id: &str,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            dialect,
            request_id,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!(
                "The request body is larger than {} bytes.",
                limits.max_body_bytes
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, limits.max_body_bytes);
    match http_body_util::BodyExt::collect(limited).await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(ApiError::invalid(
            dialect,
            request_id,
            "The request body could not be read.",
        )),
    }
}

/// A body as UTF-8 JSON text no deeper than the limit, ready for the library's parsers
/// (which name the offending field).
pub(crate) fn json_text<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    dialect: Dialect,
    request_id: &str,
) -> Result<&'a str, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid(dialect, request_id, "body: must be UTF-8 JSON"))?;
    if depth(bytes) > limits.max_json_depth {
        return Err(ApiError::invalid(
            dialect,
            request_id,
            format!(
                "body: JSON nested deeper than {} levels",
                limits.max_json_depth
            ),
        ));
    }
    Ok(text)
}

/// The deepest nesting of arrays and objects, strings skipped; a cheap scan before any
/// parser recurses.
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::depth;

    #[test]
    fn depth_counts_nesting_outside_strings() {
        assert_eq!(depth(br#"{}"#), 1);
        assert_eq!(depth(br#"{"a": [{"b": "[[[{{"}]}"#), 3);
        assert_eq!(depth(br#"{"a": "\"[[["}"#), 1);
        assert_eq!(depth("[".repeat(10_000).as_bytes()), 10_000);
    }
}
