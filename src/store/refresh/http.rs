//! The default refresher: a blocking HTTPS client (ureq with rustls and ring: small,
//! synchronous like this crate, no C toolchain or OpenSSL needed, well kept).

use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use super::form::{basic_authorization, form_body, parse_token_answer};
use super::public_ip::is_public;
use super::{
    ClientCredentials, RefreshFailure, RefreshFailureKind, RefreshRequest, TokenAnswer,
    TokenRefresher,
};

/// Refreshes over HTTP(S) with [ureq](https://docs.rs/ureq/3):
/// - https only, except http to a loopback host (127.0.0.0/8, ::1, localhost) for local
///   development and tests;
/// - no redirect followed (a 3xx is a configuration error: the refresh token is never
///   sent on to another address);
/// - a connect timeout (default 10 s) and an overall one (default 30 s);
/// - an answer of at most 64 KiB read;
/// - no proxy from `HTTP_PROXY`/`HTTPS_PROXY` unless [`HttpRefresher::proxy_from_env`];
/// - with [`HttpRefresher::public_only`], only public addresses: where whoever stores a
///   credential is not trusted (a server), a token endpoint that resolves to loopback,
///   private, link-local or other internal addresses is refused. The check is on the
///   addresses the connection is made to (no second DNS lookup), so DNS rebinding does
///   not get round it.
#[derive(Clone, Debug)]
pub struct HttpRefresher {
    agent: ureq::Agent,
}

/// Said when every address of the token endpoint is internal.
const INTERNAL_ONLY: &str = "the token endpoint resolves only to loopback, private, \
    link-local or other internal addresses, which this refresher refuses";

/// A resolver keeping only public addresses (ureq's resolver hook: the connector then
/// connects to exactly these).
#[derive(Debug)]
struct PublicOnly;

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = DefaultResolver::default().resolve(uri, config, timeout)?;
        let mut kept = self.empty();
        for addr in all.iter().filter(|a| is_public(a.ip())) {
            kept.push(*addr);
        }
        if kept.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                INTERNAL_ONLY,
            )));
        }
        Ok(kept)
    }
}

/// The largest answer read from a token endpoint.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

impl Default for HttpRefresher {
    fn default() -> Self {
        Self::with_timeouts(Duration::from_secs(10), Duration::from_secs(30), false)
    }
}

impl HttpRefresher {
    /// With the default timeouts (10 s to connect, 30 s in all) and no proxy.
    pub fn new() -> Self {
        Self::default()
    }

    /// With these timeouts; `proxy_from_env` takes a proxy from `HTTPS_PROXY` and the
    /// like, as curl does.
    pub fn with_timeouts(connect: Duration, overall: Duration, proxy_from_env: bool) -> Self {
        Self::build(connect, overall, proxy_from_env, false)
    }

    /// Like [`HttpRefresher::new`], but connecting to public addresses only (see the
    /// type's documentation): for a server, where an API caller picks `token_endpoint`.
    pub fn public_only() -> Self {
        Self::build(
            Duration::from_secs(10),
            Duration::from_secs(30),
            false,
            true,
        )
    }

    fn build(
        connect: Duration,
        overall: Duration,
        proxy_from_env: bool,
        public_only: bool,
    ) -> Self {
        let proxy = if proxy_from_env {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(connect))
            .timeout_global(Some(overall))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(concat!("vaultstore/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = if public_only {
            ureq::Agent::with_parts(config, DefaultConnector::default(), PublicOnly)
        } else {
            config.into()
        };
        HttpRefresher { agent }
    }

    /// Like [`HttpRefresher::new`], but taking a proxy from the environment.
    pub fn proxy_from_env() -> Self {
        Self::with_timeouts(Duration::from_secs(10), Duration::from_secs(30), true)
    }
}

impl TokenRefresher for HttpRefresher {
    fn refresh(&self, request: &RefreshRequest<'_>) -> Result<TokenAnswer, RefreshFailure> {
        // Checked when stored; checked again here, where the request is made.
        crate::api::validate::token_endpoint("token_endpoint", request.token_endpoint).map_err(
            |e| {
                RefreshFailure::new(
                    RefreshFailureKind::Configuration,
                    "invalid_token_endpoint",
                    e.to_string(),
                )
            },
        )?;
        let body = form_body(request);
        let mut call = self
            .agent
            .post(request.token_endpoint)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json");
        let basic;
        if let ClientCredentials::Basic(secret) = request.client_auth {
            basic = basic_authorization(request.client_id, secret);
            call = call.header("Authorization", basic.as_str());
        }
        let mut answer = call.send(body.as_bytes()).map_err(failure)?;
        let status = answer.status().as_u16();
        if (300..400).contains(&status) {
            return Err(RefreshFailure::new(
                RefreshFailureKind::Configuration,
                format!("http_{status}"),
                format!("the token endpoint answered with a redirect (HTTP {status}), which is not followed"),
            ));
        }
        let bytes = zeroize::Zeroizing::new(
            answer
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec()
                .map_err(failure)?,
        );
        parse_token_answer(status, &bytes)
    }
}

/// A transport error, without the endpoint's words.
fn failure(e: ureq::Error) -> RefreshFailure {
    match e {
        ureq::Error::Timeout(_) => {
            RefreshFailure::transient("timeout", "the token endpoint did not answer in time")
        }
        ureq::Error::BodyExceedsLimit(_) => RefreshFailure::transient(
            "invalid_response",
            "the token endpoint's answer is larger than 64 KiB",
        ),
        ureq::Error::HostNotFound => RefreshFailure::transient(
            "network_error",
            "the token endpoint's host name does not resolve",
        ),
        ureq::Error::ConnectionFailed => {
            RefreshFailure::transient("network_error", "could not connect to the token endpoint")
        }
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            RefreshFailure::new(
                RefreshFailureKind::Configuration,
                "invalid_token_endpoint",
                INTERNAL_ONLY,
            )
        }
        ureq::Error::Io(e) => RefreshFailure::transient(
            "network_error",
            format!("I/O error talking to the token endpoint ({})", e.kind()),
        ),
        other => RefreshFailure::transient(
            "network_error",
            format!(
                "the request to the token endpoint failed ({})",
                error_kind(&other)
            ),
        ),
    }
}

/// A short name for the error: its Display may quote the server.
fn error_kind(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => "TLS",
        ureq::Error::Protocol(_) => "HTTP protocol",
        ureq::Error::LargeResponseHeader(..) => "answer headers too large",
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => "bad URL",
        _ => "other",
    }
}
