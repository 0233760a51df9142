//! The spelling rules and normal form of an MCP server URL. The normal form is the key a
//! session looks up and "one active credential per URL" compares, so every spelling of
//! one resource must reach the same form, and a spelling the WHATWG parser (the `url`
//! crate) would silently rewrite is refused rather than guessed at.

use url::{Host, Url};

/// Rules on the text as written, checked before parsing: the parser drops tabs and
/// newlines, reads `\` as `/`, and accepts `https:host`, `https:///host` and an empty
/// `user:@`, so what it returns would not be what the caller wrote.
pub(super) fn check_spelling(text: &str) -> Result<(), String> {
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters (tab, newline, …)".into());
    }
    if text.contains('\\') {
        return Err("must not contain '\\'; use '/'".into());
    }
    Ok(())
}

/// Rules on the authority as written, once the scheme is known to be http(s).
pub(super) fn check_authority(text: &str) -> Result<(), String> {
    let rest = text.split_once(':').map_or("", |(_, rest)| rest);
    let Some(rest) = rest.strip_prefix("//") else {
        return Err("must be written scheme://host/…".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "must not embed a user name or password; put the secret in access_token".into(),
        );
    }
    if authority.is_empty() {
        return Err("must name a host".into());
    }
    Ok(())
}

/// RFC 3986 §6.2.2–6.2.3 on top of the parser's own normalisation (scheme and host case,
/// default port, dot segments, empty path): no trailing dot on the host, percent-encoded
/// unreserved characters decoded, other escapes in upper case, characters a URI may not
/// hold raw escaped, and an empty query dropped.
pub(super) fn normal(url: &Url) -> Result<String, String> {
    let host = match url.host() {
        Some(Host::Domain(name)) => domain(name)?,
        Some(_) => url.host_str().unwrap_or_default().to_owned(),
        None => return Err("must name a host".into()),
    };
    let mut text = format!("{}://{host}", url.scheme());
    if let Some(port) = url.port() {
        text.push_str(&format!(":{port}"));
    }
    text.push_str(&component(url.path())?);
    if let Some(query) = url.query().filter(|q| !q.is_empty()) {
        text.push('?');
        text.push_str(&component(query)?);
    }
    Ok(text)
}

/// A DNS name without its root dot: `example.com.` is `example.com`.
fn domain(name: &str) -> Result<String, String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.split('.').any(str::is_empty) {
        return Err("must name a host without empty labels ('..')".into());
    }
    Ok(name.to_owned())
}

/// A path or query with each character in one spelling: unreserved ones raw, reserved
/// ones as written (escaping one can change its meaning), all others escaped.
fn component(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let value = bytes.get(i + 1..i + 3).and_then(hex_pair).ok_or_else(|| {
                "must follow every '%' with two hex digits (write '%' itself as %25)".to_owned()
            })?;
            match is_unreserved(value) {
                true => out.push(char::from(value)),
                false => escape(&mut out, value),
            }
            i += 3;
            continue;
        }
        match is_unreserved(byte) || b"!$&'()*+,;=:@/?".contains(&byte) {
            true => out.push(char::from(byte)),
            false => escape(&mut out, byte),
        }
        i += 1;
    }
    Ok(out)
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let &[high, low] = pair else { return None };
    let digit = |b: u8| char::from(b).to_digit(16);
    u8::try_from(digit(high)? * 16 + digit(low)?).ok()
}

fn escape(out: &mut String, byte: u8) {
    out.push_str(&format!("%{byte:02X}"));
}
