//! `--server URL`: the vault, credential and resolve commands sent to a running
//! `vaultstore serve` over HTTP instead of opening the store, in the seeds' dialect
//! (`/api/v1/cloud/vaults…`), whose answers are the library's own objects: the CLI
//! prints them exactly as it prints a local call's.
//!
//! The API key comes from `--api-key-file` or `VAULTSTORE_API_KEY`, never from the
//! command line, and is never printed.

mod calls;
mod failure;
mod wire;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::http::{HeaderValue, Method, Request};
use url::{Host, Url};
use vaultstore::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub use failure::RemoteError;

use crate::args::Global;
use crate::exit::{usage, Failure};
use crate::secrets;

/// The environment variable holding the API key itself (a file is the other way).
pub const API_KEY_ENV: &str = "VAULTSTORE_API_KEY";

/// The largest answer read: a page of 100 credentials is far below it.
const MAX_ANSWER_BYTES: u64 = 16 << 20;

/// A server to send commands to, with the key to send.
pub struct Remote {
    base: Url,
    agent: ureq::Agent,
    key: SecretString,
    /// `--account`: sent as the workspace header; the server refuses another account
    /// than the key's.
    account: Option<String>,
}

/// The API key, from `--api-key-file` (or `VAULTSTORE_API_KEY_FILE`) or else
/// `VAULTSTORE_API_KEY`; `None` when neither is given.
pub fn api_key(global: &Global) -> Result<Option<SecretString>, Failure> {
    if let Some(path) = &global.api_key_file {
        return secrets::from_file(path, "the API key", &secrets::API_KEY).map(Some);
    }
    match std::env::var(API_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(SecretString::from(key.trim().to_owned()))),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(usage(format!("{API_KEY_ENV} is not valid UTF-8")))
        }
    }
}

/// The hint for a missing key, naming both ways to give one.
pub fn no_key_hint(url: &str) -> String {
    format!(
        "give an admin API key for {url} with --api-key-file PATH or the \
         {API_KEY_ENV} environment variable (make one with `vaultstore api-key create \
         --role admin`)"
    )
}

impl Remote {
    /// A client for the server at `url`. Plain HTTP to a host other than loopback is
    /// allowed (the server may run with --insecure-listen) but warned about.
    pub fn new(
        url: &str,
        key: SecretString,
        ca: Option<&Path>,
        account: Option<String>,
    ) -> Result<Remote, Failure> {
        let base = parse_url(url)?;
        if base.scheme() == "http" && !is_loopback(&base) {
            eprintln!(
                "vaultstore: WARNING: plain HTTP to {}: the API key and tokens cross the \
                 network unencrypted; use https",
                base.host_str().unwrap_or_default()
            );
        }
        let mut config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            // A credential call may wait on an OAuth refresh at the server.
            .timeout_global(Some(Duration::from_secs(120)))
            .max_redirects(0)
            .http_status_as_error(false)
            // The server is named directly; an HTTP(S)_PROXY must not see the key.
            .proxy(None)
            .user_agent(concat!("vaultstore-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = ca {
            config = config.tls_config(trusting(ca)?);
        }
        Ok(Remote {
            base,
            agent: config.build().into(),
            key,
            account,
        })
    }

    /// The server's URL, for messages.
    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// One request: `segments` under the base URL, the query pairs, the JSON body.
    /// A 2xx answer is parsed as `T`; any other is the server's error.
    fn exchange<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<T, Failure> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| usage("the server URL cannot take a path"))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut request = Request::builder()
            .method(method)
            .uri(url.as_str())
            .header("accept", "application/json")
            .header("authorization", self.authorization()?);
        if let Some(account) = &self.account {
            request = request.header("anthropic-workspace-id", account.as_str());
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.unwrap_or_default())
            .map_err(|e| usage(format!("cannot build the request to {}: {e}", self.url())))?;
        let mut answer = self
            .agent
            .run(request)
            .map_err(|e| RemoteError::unreachable(self.url(), &e))?;
        let status = answer.status().as_u16();
        let request_id = answer
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Answers may hold a token (resolve): wiped when dropped.
        let bytes = Zeroizing::new(
            answer
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec()
                .map_err(|e| RemoteError::unreachable(self.url(), &e))?,
        );
        if !(200..300).contains(&status) {
            return Err(RemoteError::from_answer(self.url(), status, &bytes, request_id).into());
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| RemoteError::unexpected(self.url(), status, &e, request_id).into())
    }

    /// `Bearer <key>`, marked sensitive (never shown by the header map's Debug).
    fn authorization(&self) -> Result<HeaderValue, Failure> {
        let text = Zeroizing::new(format!("Bearer {}", self.key.expose_secret()));
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            usage("the API key holds characters a header cannot carry: check the key file")
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

fn parse_url(text: &str) -> Result<Url, Failure> {
    let bad = |why: &str| {
        usage(format!(
            "--server '{text}' {why}: give the server's URL, e.g. http://127.0.0.1:8787"
        ))
    };
    if text.starts_with("unix:") {
        return Err(usage(format!(
            "--server {text}: the CLI reaches servers over http(s) only; start `vaultstore \
             serve` with --listen 127.0.0.1:PORT (or use curl --unix-socket)"
        )));
    }
    let url = Url::parse(text).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("holds credentials (the key goes in --api-key-file)"));
    }
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(bad("has a query or fragment"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// TLS trusting only the certificates in `ca` (PEM): a server with its own CA or a
/// self-signed certificate.
fn trusting(ca: &Path) -> Result<ureq::tls::TlsConfig, Failure> {
    let cannot = |why: String| usage(format!("--server-ca {}: {why}", ca.display()));
    let pem = std::fs::read(ca).map_err(|e| cannot(e.to_string()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(cert) = item.map_err(|e| cannot(e.to_string()))? {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err(cannot("holds no PEM certificate".into()));
    }
    Ok(ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_checked() {
        assert!(parse_url("http://127.0.0.1:8787").is_ok());
        assert!(parse_url("https://vault.example:8443/prefix/").is_ok());
        for bad in [
            "127.0.0.1:8787",
            "ftp://x",
            "unix:/run/v.sock",
            "http://user:pw@127.0.0.1:1",
            "http://127.0.0.1:1/?a=b",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let remote = Remote::new(
            "http://127.0.0.1:1",
            SecretString::from("vsk_SECRET".to_owned()),
            None,
            None,
        )
        .expect("client");
        let header = remote.authorization().expect("header");
        assert!(!format!("{header:?}").contains("SECRET"));
    }
}
