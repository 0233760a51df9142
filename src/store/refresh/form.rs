//! The refresh request's form and Basic header, and the reading of the token endpoint's
//! answer: shared by every refresher, so a custom one gets the same rules.

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{ClientCredentials, RefreshFailure, RefreshFailureKind, RefreshRequest, TokenAnswer};
use crate::api::validate::TOKEN_MAX_BYTES;

/// RFC 3986 unreserved characters stay; everything else, space included, is `%XX`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `application/x-www-form-urlencoded` body of a refresh (RFC 6749 §6):
/// `grant_type=refresh_token`, the refresh token, `scope` and `resource` when set, and
/// the client per its method (`client_id` for `none`, `client_id` and `client_secret`
/// for post, nothing for Basic). Zeroized when dropped.
pub fn form_body(request: &RefreshRequest<'_>) -> Zeroizing<String> {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", request.refresh_token.expose_secret()),
    ];
    if let Some(scope) = request.scope {
        pairs.push(("scope", scope));
    }
    if let Some(resource) = request.resource {
        pairs.push(("resource", resource));
    }
    match request.client_auth {
        ClientCredentials::None => pairs.push(("client_id", request.client_id)),
        ClientCredentials::Post(secret) => {
            pairs.push(("client_id", request.client_id));
            pairs.push(("client_secret", secret.expose_secret()));
        }
        ClientCredentials::Basic(_) => {}
    }
    // Room for every byte encoded as %XX, so the buffer never grows and never leaves an
    // unzeroized copy of a secret behind.
    let room = pairs.iter().map(|(k, v)| k.len() + 3 * v.len() + 2).sum();
    let mut body = Zeroizing::new(String::with_capacity(room));
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            body.push('&');
        }
        body.push_str(name);
        body.push('=');
        for piece in utf8_percent_encode(value, NOT_UNRESERVED) {
            body.push_str(piece);
        }
    }
    body
}

/// The `Authorization` header value for `client_secret_basic`: `Basic` and the base64
/// of the percent-encoded id, `:`, the percent-encoded secret (RFC 6749 §2.3.1; a space
/// becomes `%20`, which form decoders and plain percent-decoders both read back).
pub fn basic_authorization(client_id: &str, secret: &SecretString) -> Zeroizing<String> {
    let mut pair = Zeroizing::new(String::with_capacity(
        3 * (client_id.len() + secret.expose_secret().len()) + 1,
    ));
    for piece in utf8_percent_encode(client_id, NOT_UNRESERVED) {
        pair.push_str(piece);
    }
    pair.push(':');
    for piece in utf8_percent_encode(secret.expose_secret(), NOT_UNRESERVED) {
        pair.push_str(piece);
    }
    let mut header = Zeroizing::new(String::with_capacity(6 + pair.len().div_ceil(3) * 4 + 4));
    header.push_str("Basic ");
    base64::engine::general_purpose::STANDARD.encode_string(pair.as_bytes(), &mut header);
    header
}

/// What a refresh answer may hold; unknown members are ignored (RFC 6749 §5.1).
#[derive(Deserialize)]
struct Answer {
    access_token: Option<SecretString>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<SecretString>,
    scope: Option<String>,
    error: Option<String>,
}

/// Reads the token endpoint's answer: a 200 with a token, or an OAuth error (400 or
/// 401 with `{"error": …}`), or another status. The body never enters a message.
///
/// # Errors
/// A classified [`RefreshFailure`]: `invalid_grant` →
/// [`RefreshFailureKind::InvalidGrant`]; another OAuth error or 4xx →
/// [`RefreshFailureKind::Configuration`]; 429, 5xx or a malformed answer →
/// [`RefreshFailureKind::Transient`].
pub fn parse_token_answer(status: u16, body: &[u8]) -> Result<TokenAnswer, RefreshFailure> {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    match status {
        200 => {}
        429 | 500..=599 => {
            return Err(RefreshFailure::transient(
                "server_error",
                format!("the token endpoint answered HTTP {status}"),
            ))
        }
        _ => return Err(error_answer(status, answer.and_then(|a| a.error))),
    }
    let invalid = |why: &str| RefreshFailure::transient("invalid_response", why.to_owned());
    let answer =
        answer.ok_or_else(|| invalid("the token endpoint's answer is not a JSON object"))?;
    if let Some(code) = answer.error {
        return Err(error_answer(status, Some(code)));
    }
    let access_token = answer
        .access_token
        .filter(|t| (1..=TOKEN_MAX_BYTES).contains(&t.expose_secret().len()))
        .ok_or_else(|| invalid("the answer has no access_token of 1–8192 bytes"))?;
    if let Some(kind) = &answer.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(invalid("the answer's token_type is not Bearer"));
        }
    }
    let expires_in = match answer.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(seconds(&value).ok_or_else(|| {
            invalid("the answer's expires_in is not a number of seconds up to ten years")
        })?),
    };
    if let Some(token) = &answer.refresh_token {
        if !(1..=TOKEN_MAX_BYTES).contains(&token.expose_secret().len()) {
            return Err(invalid("the answer's refresh_token is not 1–8192 bytes"));
        }
    }
    let scope = answer
        .scope
        .filter(|s| crate::api::validate::scope("scope", s).is_ok() && !s.is_empty());
    Ok(TokenAnswer {
        access_token,
        expires_in,
        refresh_token: answer.refresh_token,
        scope,
    })
}

/// `expires_in` as a number (or, leniently, a string of digits), at most ten years.
fn seconds(value: &serde_json::Value) -> Option<u64> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }?;
    (n <= 10 * 366 * 24 * 3600).then_some(n)
}

fn error_answer(status: u16, code: Option<String>) -> RefreshFailure {
    let code = code
        .filter(|c| {
            !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .unwrap_or_else(|| format!("http_{status}"));
    let kind = if code == "invalid_grant" {
        RefreshFailureKind::InvalidGrant
    } else {
        RefreshFailureKind::Configuration
    };
    let message = match kind {
        RefreshFailureKind::InvalidGrant => format!(
            "the token endpoint refused the refresh token (HTTP {status}, invalid_grant): \
             a new login is needed"
        ),
        _ => format!("the token endpoint refused the request (HTTP {status}, {code})"),
    };
    RefreshFailure::new(kind, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(token: &'a SecretString, auth: ClientCredentials<'a>) -> RefreshRequest<'a> {
        RefreshRequest {
            credential_id: "vcred_x",
            token_endpoint: "https://auth.example/token",
            client_id: "my client",
            client_auth: auth,
            refresh_token: token,
            scope: Some("read write"),
            resource: Some("https://mcp.example/"),
        }
    }

    #[test]
    fn the_form_carries_one_client_method() {
        let token = SecretString::from("r/t+1".to_owned());
        let secret = SecretString::from("s e".to_owned());
        let none = form_body(&request(&token, ClientCredentials::None));
        assert_eq!(
            none.as_str(),
            "grant_type=refresh_token&refresh_token=r%2Ft%2B1&scope=read%20write\
             &resource=https%3A%2F%2Fmcp.example%2F&client_id=my%20client"
        );
        let post = form_body(&request(&token, ClientCredentials::Post(&secret)));
        assert!(
            post.ends_with("&client_id=my%20client&client_secret=s%20e"),
            "{}",
            post.as_str()
        );
        let basic = form_body(&request(&token, ClientCredentials::Basic(&secret)));
        assert!(!basic.contains("client_id") && !basic.contains("client_secret"));
    }

    #[test]
    fn basic_encodes_before_base64() {
        let secret = SecretString::from("p:ss word".to_owned());
        let header = basic_authorization("id:1", &secret);
        let b64 = header.strip_prefix("Basic ").expect("prefix");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        assert_eq!(decoded, b"id%3A1:p%3Ass%20word");
    }

    #[test]
    fn answers_are_classified() {
        let ok = parse_token_answer(
            200,
            br#"{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r2","scope":"read"}"#,
        )
        .expect("ok");
        assert_eq!(ok.access_token.expose_secret(), "a");
        assert_eq!(ok.expires_in, Some(3600));
        assert_eq!(ok.scope.as_deref(), Some("read"));
        let kind = |status, body: &[u8]| parse_token_answer(status, body).expect_err("fails").kind;
        assert_eq!(
            kind(400, br#"{"error":"invalid_grant"}"#),
            RefreshFailureKind::InvalidGrant
        );
        assert_eq!(
            kind(401, br#"{"error":"invalid_client"}"#),
            RefreshFailureKind::Configuration
        );
        assert_eq!(kind(400, b"<html>"), RefreshFailureKind::Configuration);
        assert_eq!(kind(503, b""), RefreshFailureKind::Transient);
        assert_eq!(kind(429, b""), RefreshFailureKind::Transient);
        assert_eq!(kind(200, b"not json"), RefreshFailureKind::Transient);
        assert_eq!(
            kind(200, br#"{"token_type":"bearer"}"#),
            RefreshFailureKind::Transient
        );
        assert_eq!(
            kind(200, br#"{"access_token":"a","token_type":"DPoP"}"#),
            RefreshFailureKind::Transient
        );
        assert_eq!(
            kind(200, br#"{"access_token":"a","expires_in":-5}"#),
            RefreshFailureKind::Transient
        );
    }

    #[test]
    fn failures_never_echo_the_body() {
        let err = parse_token_answer(
            400,
            br#"{"error":"invalid_grant","error_description":"secret-ish"}"#,
        )
        .expect_err("fails");
        assert!(!err.message.contains("secret-ish"));
        let err = parse_token_answer(400, br#"{"error":"EVIL <script>"}"#).expect_err("fails");
        assert_eq!(err.code, "http_400");
    }
}
