//! Input rules from the specification. Each failure names the field and the rule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::api::request::{CreateCredential, CredentialAuth, OAuthTokens, Shape};
use crate::error::{Error, Result};

mod url_form;

pub(crate) const DISPLAY_NAME_MAX_CHARS: usize = 255;
pub(crate) const METADATA_MAX_PAIRS: usize = 16;
pub(crate) const METADATA_KEY_MAX_CHARS: usize = 64;
pub(crate) const METADATA_VALUE_MAX_CHARS: usize = 512;
pub(crate) const URL_MAX_CHARS: usize = 2048;
pub(crate) const TOKEN_MAX_BYTES: usize = 8192;
pub(crate) const ACCOUNT_MAX_CHARS: usize = 64;

pub(crate) fn display_name(field: &str, name: &str) -> Result<()> {
    let chars = name.chars().count();
    if name.trim().is_empty() {
        return Err(Error::invalid(
            field,
            format!("{field}: must not be empty or blank"),
        ));
    }
    if chars > DISPLAY_NAME_MAX_CHARS {
        return Err(Error::invalid(
            field,
            format!("{field}: must be at most {DISPLAY_NAME_MAX_CHARS} characters, got {chars}"),
        ));
    }
    Ok(())
}

pub(crate) fn metadata(map: &BTreeMap<String, String>) -> Result<()> {
    metadata_at("metadata", map)
}

/// Metadata at `at` (`metadata`, `credentials[0].metadata`).
pub(crate) fn metadata_at(at: &str, map: &BTreeMap<String, String>) -> Result<()> {
    if map.len() > METADATA_MAX_PAIRS {
        return Err(Error::invalid(
            at,
            format!(
                "{at}: at most {METADATA_MAX_PAIRS} pairs are allowed, got {}",
                map.len()
            ),
        ));
    }
    for (key, value) in map {
        metadata_pair(at, key, value)?;
    }
    Ok(())
}

fn metadata_pair(at: &str, key: &str, value: &str) -> Result<()> {
    let key_chars = key.chars().count();
    if key_chars == 0 || key_chars > METADATA_KEY_MAX_CHARS {
        return Err(Error::invalid(
            at,
            format!(
                "{at}: keys must be 1–{METADATA_KEY_MAX_CHARS} characters, \
                 got {key_chars} in '{}'",
                crate::error::shown(key)
            ),
        ));
    }
    let value_chars = value.chars().count();
    if value_chars > METADATA_VALUE_MAX_CHARS {
        let field = format!("{at}.{}", crate::error::shown(key));
        return Err(Error::invalid(
            field.clone(),
            format!("{field}: values must be at most {METADATA_VALUE_MAX_CHARS} characters, got {value_chars}"),
        ));
    }
    Ok(())
}

/// Checks a credential request; returns its URL in normal form (the key a session
/// looks up: scheme and host lower-cased, default port dropped, path resolved). `prefix`
/// is its place in the body (`credentials[1].`); fields are named as the caller wrote
/// them, in the flat or the `auth` shape.
pub(crate) fn credential(prefix: &str, cred: &CreateCredential, now: i64) -> Result<String> {
    let auth = match cred.shape {
        Shape::Flat => prefix.to_owned(),
        Shape::Auth => format!("{prefix}auth."),
    };
    let url = mcp_server_url(&format!("{auth}mcp_server_url"), &cred.mcp_server_url)?;
    if let Some(name) = &cred.display_name {
        display_name(&format!("{prefix}display_name"), name)?;
    }
    metadata_at(&format!("{prefix}metadata"), &cred.metadata)?;
    match &cred.auth {
        CredentialAuth::StaticBearer { token } => {
            let field = match cred.shape {
                Shape::Flat => "access_token",
                Shape::Auth => "token",
            };
            secret(&format!("{auth}{field}"), token)?;
        }
        CredentialAuth::McpOauth(tokens) => oauth_tokens(&auth, tokens, now)?,
    }
    Ok(url)
}

fn oauth_tokens(at: &str, tokens: &OAuthTokens, now: i64) -> Result<()> {
    secret(&[at, "access_token"].concat(), &tokens.access_token)?;
    if let Some(expires_at) = tokens.expires_at {
        future(&format!("{at}expires_at"), expires_at, now)?;
    }
    let Some(refresh) = &tokens.refresh else {
        return Ok(());
    };
    let at = format!("{at}refresh.");
    short_text(&format!("{at}client_id"), &refresh.client_id)?;
    secret(&format!("{at}refresh_token"), &refresh.refresh_token)?;
    token_endpoint(&format!("{at}token_endpoint"), &refresh.token_endpoint)?;
    if let Some(secret_value) = refresh.token_endpoint_auth.secret() {
        secret(
            &format!("{at}token_endpoint_auth.client_secret"),
            secret_value,
        )?;
    }
    if let Some(resource) = &refresh.resource {
        resource_uri(&format!("{at}resource"), resource)?;
    }
    if let Some(scope_text) = &refresh.scope {
        scope(&format!("{at}scope"), scope_text)?;
    }
    Ok(())
}

/// A secret: 1–8192 bytes. Only its length ever enters a message.
pub(crate) fn secret(field: &str, value: &SecretString) -> Result<()> {
    let len = value.expose_secret().len();
    if len == 0 || len > TOKEN_MAX_BYTES {
        return Err(Error::invalid(
            field,
            format!("{field}: must be 1–{TOKEN_MAX_BYTES} bytes, got {len}"),
        ));
    }
    Ok(())
}

/// A time that must be after `now` (microseconds).
pub(crate) fn future(field: &str, at: DateTime<Utc>, now: i64) -> Result<()> {
    if at.timestamp_micros() <= now {
        return Err(Error::invalid(
            field,
            format!(
                "{field}: must be in the future, got {}",
                crate::api::timestamp::to_text(&at)
            ),
        ));
    }
    Ok(())
}

/// A client id: 1–255 characters, not blank, no control characters.
fn short_text(field: &str, text: &str) -> Result<()> {
    let chars = text.chars().count();
    if text.trim().is_empty()
        || chars > DISPLAY_NAME_MAX_CHARS
        || text.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            field,
            format!(
                "{field}: must be 1–{DISPLAY_NAME_MAX_CHARS} characters, not blank, without \
                 control characters"
            ),
        ));
    }
    Ok(())
}

/// Where refresh requests go: https, or http to a loopback host only (127.0.0.0/8,
/// ::1, localhost), for local development and tests. No user, password or fragment.
pub(crate) fn token_endpoint(field: &str, text: &str) -> Result<url::Url> {
    let bad = |rule: &str| Error::invalid(field, format!("{field}: {rule}"));
    let url = absolute_url(field, text)?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "must use https (http only to a loopback host: 127.0.0.1, ::1, localhost)",
            ))
        }
        other => return Err(bad(&format!("must use https, not '{other}'"))),
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    Ok(url)
}

/// Whether `url` names a loopback host.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// RFC 8707: an absolute URI without a fragment.
fn resource_uri(field: &str, text: &str) -> Result<()> {
    let url = url::Url::parse(text).map_err(|_| {
        Error::invalid(
            field,
            format!("{field}: must be an absolute URI (RFC 8707)"),
        )
    })?;
    if url.fragment().is_some() || text.chars().count() > URL_MAX_CHARS {
        return Err(Error::invalid(
            field,
            format!("{field}: must be an absolute URI without a fragment, up to {URL_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

/// RFC 6749 §3.3: scope tokens of printable ASCII except `"` and `\`, separated by
/// spaces; up to 2048 characters. Empty is allowed (no scope).
pub(crate) fn scope(field: &str, text: &str) -> Result<()> {
    let ok = |c: char| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\');
    if text.len() > URL_MAX_CHARS || !text.chars().all(ok) {
        return Err(Error::invalid(
            field,
            format!(
                "{field}: must be space-separated scope tokens of printable ASCII (no '\"' or \
                 '\\'), up to {URL_MAX_CHARS} characters"
            ),
        ));
    }
    Ok(())
}

/// The rules every URL field's text meets before it is parsed: its length, and no
/// white space around it.
fn url_text(text: &str) -> std::result::Result<(), String> {
    let chars = text.chars().count();
    if chars == 0 || chars > URL_MAX_CHARS {
        return Err(format!("must be 1–{URL_MAX_CHARS} characters, got {chars}"));
    }
    if text.trim() != text {
        return Err("must not start or end with white space".to_owned());
    }
    Ok(())
}

fn absolute_url(field: &str, text: &str) -> Result<url::Url> {
    let bad = |rule: &str| Error::invalid(field, format!("{field}: {rule}"));
    url_text(text).map_err(|rule| bad(&rule))?;
    let url =
        url::Url::parse(text).map_err(|e| bad(&format!("must be an absolute https URL ({e})")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not embed a user name or password"));
    }
    Ok(url)
}

/// An absolute http(s) URL with a host and no embedded user or password, returned in
/// normal form (see `url_form`): every spelling of one resource gives one normal form.
pub(crate) fn mcp_server_url(field: &str, text: &str) -> Result<String> {
    let bad = |rule: &str| Error::invalid(field, format!("{field}: {rule}"));
    url_text(text).map_err(|rule| bad(&rule))?;
    url_form::check_spelling(text).map_err(|rule| bad(&rule))?;
    let url = url::Url::parse(text)
        .map_err(|e| bad(&format!("must be an absolute http or https URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(&format!(
            "must use http or https, not '{}'",
            url.scheme()
        )));
    }
    url_form::check_authority(text).map_err(|rule| bad(&rule))?;
    if url.fragment().is_some() {
        // A fragment never reaches the server: two URLs differing in one are one server.
        return Err(bad("must not have a fragment ('#…')"));
    }
    url_form::normal(&url).map_err(|rule| bad(&rule))
}

pub(crate) fn account_name(name: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > ACCOUNT_MAX_CHARS || !name.chars().all(ok_char) {
        return Err(Error::invalid(
            "account",
            format!(
                "account: must be 1–{ACCOUNT_MAX_CHARS} characters of A–Z, a–z, 0–9, '-', '_' \
                 or '.', got '{}'",
                crate::error::shown(name)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised_for_lookup() {
        let n = |u| mcp_server_url("u", u).expect("valid");
        assert_eq!(n("HTTPS://Example.COM:443/mcp"), "https://example.com/mcp");
        assert_eq!(n("https://example.com"), "https://example.com/");
        assert_eq!(n("http://example.com/a/../mcp"), "http://example.com/mcp");
    }

    #[test]
    fn bad_urls_are_refused_with_the_rule() {
        for (bad, rule) in [
            ("", "1–2048"),
            ("example.com/mcp", "absolute"),
            ("ftp://example.com", "http or https"),
            ("https://user:pw@example.com", "password"),
            (" https://example.com", "white space"),
            ("file:///etc/passwd", "http or https"),
        ] {
            let err = mcp_server_url("mcp_server_url", bad).expect_err(bad);
            assert!(err.to_string().contains(rule), "{bad:?}: {err}");
            assert_eq!(err.field(), Some("mcp_server_url"));
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX_CHARS));
        assert!(mcp_server_url("u", &long).is_err());
    }

    #[test]
    fn spellings_of_one_resource_share_a_normal_form() {
        let n = |u| mcp_server_url("u", u).expect(u);
        for same in [
            "https://good.example/mcp?",
            "https://good.example./mcp",
            "https://good.example/%6Dcp",
            "https://good.example/%6dcp",
            "https://good.example/m%63p",
            "https://good.example:/mcp",
        ] {
            assert_eq!(n(same), "https://good.example/mcp", "{same}");
        }
        // Escapes of other characters keep their meaning, in upper case.
        assert_eq!(n("https://h/a%2fb?q=%3d%7e"), "https://h/a%2Fb?q=%3D~");
        assert_ne!(n("https://h/a%2Fb"), n("https://h/a/b"));
        // Characters a URI may not hold raw are escaped, so both spellings meet.
        assert_eq!(n("https://h/a|b?x=^"), n("https://h/a%7cb?x=%5E"));
        assert_eq!(n("https://h/a?q=1&r"), "https://h/a?q=1&r");
        assert_eq!(n("http://[::1]:8080/mcp"), "http://[::1]:8080/mcp");
        assert_eq!(
            n("https://bücher.example./mcp"),
            "https://xn--bcher-kva.example/mcp"
        );
    }

    #[test]
    fn the_normal_form_is_its_own_normal_form() {
        for url in [
            "https://Good.example./%6dcp?",
            "https://h/a|b?x=^&y=%7e",
            "http://[::1]:8080/%2e%2E/x",
            "https://h/a%2fb",
        ] {
            let once = mcp_server_url("u", url).expect(url);
            assert_eq!(mcp_server_url("u", &once).expect(url), once, "{url}");
        }
    }

    #[test]
    fn spellings_a_parser_would_rewrite_are_refused() {
        for (bad, rule) in [
            ("https://good.example/mcp#x", "fragment"),
            ("https://good.example/mcp#", "fragment"),
            ("https://good.example/m\tcp", "control"),
            ("https://good.example/m\ncp", "control"),
            ("https://good.example\\mcp", "'\\'"),
            ("https:good.example/mcp", "scheme://host"),
            ("https:/good.example/mcp", "scheme://host"),
            ("https://:@good.example/mcp", "user name"),
            ("https://@good.example/mcp", "user name"),
            ("https:///nohost", "host"),
            ("https://a..b/mcp", "empty labels"),
            ("https://./mcp", "host"),
            ("https://h/100%", "two hex digits"),
            ("https://h/a%zz", "two hex digits"),
            ("https://h/a%+1", "two hex digits"),
        ] {
            let err = mcp_server_url("mcp_server_url", bad).expect_err(bad);
            assert!(err.to_string().contains(rule), "{bad:?}: {err}");
            assert_eq!(err.field(), Some("mcp_server_url"));
        }
    }

    #[test]
    fn display_name_limits() {
        assert!(display_name("display_name", "ok").is_ok());
        assert!(display_name("display_name", "   ").is_err());
        assert!(display_name("display_name", &"é".repeat(255)).is_ok());
        assert!(display_name("display_name", &"é".repeat(256)).is_err());
    }

    #[test]
    fn metadata_limits() {
        let pairs = |n: usize| (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert!(metadata(&pairs(16)).is_ok());
        assert!(metadata(&pairs(17)).is_err());
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(metadata(&one("", "v")).is_err());
        assert!(metadata(&one(&"k".repeat(65), "v")).is_err());
        assert!(metadata(&one("k", &"v".repeat(513))).is_err());
        assert!(metadata(&one("k", &"v".repeat(512))).is_ok());
    }

    #[test]
    fn account_names() {
        assert!(account_name("acme-prod_1.eu").is_ok());
        for bad in ["", "a b", "a/b", "ü", &"a".repeat(65)] {
            assert!(account_name(bad).is_err(), "{bad:?}");
        }
    }
}
