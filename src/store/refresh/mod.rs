//! OAuth refresh of `mcp_oauth` credentials (RFC 6749 §6): the pluggable
//! [`TokenRefresher`], the form and answer rules every refresher shares, the default HTTP
//! refresher, and the single-flight flow a session lookup runs.

mod flow;
mod form;
#[cfg(feature = "rmcp")]
mod held;
#[cfg(feature = "http-refresh")]
mod http;
mod locks;
#[cfg(feature = "http-refresh")]
mod public_ip;

use std::fmt;

use secrecy::SecretString;

pub use form::{basic_authorization, form_body, parse_token_answer};
#[cfg(feature = "rmcp")]
pub(crate) use held::HeldRefresh;
#[cfg(feature = "http-refresh")]
pub use http::HttpRefresher;
pub(crate) use locks::{RefreshGuard, RefreshLocks};
#[cfg(feature = "server")]
pub(crate) use public_ip::is_public;

/// Renews access tokens at an OAuth token endpoint. The default is [`HttpRefresher`]
/// (feature `http-refresh`, on by default); a runtime can supply its own with
/// [`Builder::token_refresher`](crate::Builder::token_refresher), for instance one that
/// goes through its own HTTP stack or proxy. It is called at most once at a time per
/// credential, from the thread of the lookup that needs the token, with no store lock
/// held.
pub trait TokenRefresher: Send + Sync {
    /// Sends one refresh request and reads its answer.
    ///
    /// # Errors
    /// A [`RefreshFailure`] saying whether the refresh token was refused
    /// ([`RefreshFailureKind::InvalidGrant`]), the client or request is misconfigured
    /// ([`RefreshFailureKind::Configuration`]), or the attempt may succeed later
    /// ([`RefreshFailureKind::Transient`]).
    fn refresh(&self, request: &RefreshRequest<'_>) -> Result<TokenAnswer, RefreshFailure>;
}

/// One refresh to make: everything the token endpoint needs.
pub struct RefreshRequest<'a> {
    /// The credential (`vcred_…`), for logs and errors.
    pub credential_id: &'a str,
    /// https, or http to a loopback host (checked when the credential was stored).
    pub token_endpoint: &'a str,
    /// The OAuth client id.
    pub client_id: &'a str,
    /// How to authenticate the client.
    pub client_auth: ClientCredentials<'a>,
    /// The refresh token to spend.
    pub refresh_token: &'a SecretString,
    /// Scope to ask for, when set.
    pub scope: Option<&'a str>,
    /// RFC 8707 resource indicator, when set.
    pub resource: Option<&'a str>,
}

/// Client authentication at the token endpoint (RFC 6749 §2.3.1); exactly one method.
#[derive(Clone, Copy)]
pub enum ClientCredentials<'a> {
    /// A public client: `client_id` in the body.
    None,
    /// HTTP Basic with the percent-encoded id and secret.
    Basic(&'a SecretString),
    /// `client_id` and `client_secret` in the body.
    Post(&'a SecretString),
}

/// A successful answer of the token endpoint.
pub struct TokenAnswer {
    /// The new access token.
    pub access_token: SecretString,
    /// Seconds until it expires; `None` when the answer did not say.
    pub expires_in: Option<u64>,
    /// A rotated refresh token, when the server issued one.
    pub refresh_token: Option<SecretString>,
    /// The granted scope, when the answer said.
    pub scope: Option<String>,
}

/// Why a refresh failed, classified for what to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshFailure {
    /// What to do about it.
    pub kind: RefreshFailureKind,
    /// The OAuth error code (`invalid_grant`, …) or `network_error`, `timeout`,
    /// `server_error`, `invalid_response`, `refresher_error`.
    pub code: String,
    /// For a person: what happened. Never a secret, never the answer's body.
    pub message: String,
}

/// What a failed refresh means for the credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshFailureKind {
    /// The refresh token was refused (`invalid_grant`): a new login is needed. The
    /// credential is marked and no further request is made until it is updated.
    InvalidGrant,
    /// The client or request is misconfigured (`invalid_client`, `unauthorized_client`,
    /// `invalid_scope`, `invalid_target`, another 4xx): recorded, retried only after a
    /// long backoff (5 minutes, doubling to an hour). The refresh token is kept.
    Configuration,
    /// Network error, timeout, 5xx, 429 or a malformed answer: the refresh token is kept
    /// and the refresh retried after a short backoff (1 s, doubling to 5 minutes).
    Transient,
}

impl RefreshFailure {
    /// A failure of this kind.
    pub fn new(
        kind: RefreshFailureKind,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        RefreshFailure {
            kind,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A transient failure (`network_error`, `timeout`, …).
    pub fn transient(code: &str, message: impl Into<String>) -> Self {
        Self::new(RefreshFailureKind::Transient, code, message)
    }
}

impl fmt::Display for RefreshFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl fmt::Debug for RefreshRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest")
            .field("credential_id", &self.credential_id)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("client_auth", &self.client_auth)
            .field("refresh_token", &"[REDACTED]")
            .field("scope", &self.scope)
            .field("resource", &self.resource)
            .finish()
    }
}

impl fmt::Debug for ClientCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientCredentials::None => "None",
            ClientCredentials::Basic(_) => "Basic([REDACTED])",
            ClientCredentials::Post(_) => "Post([REDACTED])",
        })
    }
}

impl fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("access_token", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}
