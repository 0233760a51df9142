//! The [rmcp](https://docs.rs/rmcp/3.11) adapter (feature `rmcp`): an rmcp
//! [`CredentialStore`] that keeps an MCP client's OAuth tokens sealed in one credential
//! of a vault, so they survive a restart and a [`Session`](crate::Session) of the same
//! store resolves them too.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use rmcp::transport::auth::{AuthorizationManager, OAuthClientConfig};
//! use vaultstore::rmcp::{OAuthClient, VaultCredentialStore};
//! use vaultstore::secrecy::SecretString;
//! use vaultstore::{MasterKey, VaultStore};
//!
//! let store = VaultStore::open("/var/lib/agent/vault", MasterKey::generate())?;
//! # let vault_id = "vault_00000000000000000000000000000000";
//! let server = "https://mcp.example.com/mcp";
//! let client = OAuthClient::confidential(
//!     "my-client-id",
//!     SecretString::from("my-client-secret".to_owned()),
//!     "https://auth.example.com/token",
//! );
//! let tokens = VaultCredentialStore::new(store, vault_id, server, client)?;
//!
//! let mut manager = AuthorizationManager::new(server).await?;
//! let metadata = manager.resolve_metadata().await?.metadata;
//! manager.set_metadata(metadata);
//! let config = tokens.client().rmcp_config("http://localhost:8765/callback");
//! manager.configure_client(config.clone())?;
//! manager.set_credential_store(tokens);
//! if manager.initialize_from_store().await? {
//!     // rmcp reconfigures the client id alone from its stored credentials, which have
//!     // no client secret: configure the client again.
//!     manager.configure_client(config)?;
//! } else {
//!     // No tokens yet: run the authorization-code flow; rmcp saves them in the vault.
//! }
//! let bearer = manager.get_access_token().await?;
//! # drop(bearer);
//! # Ok(())
//! # }
//! ```
//!
//! ## What is stored where
//!
//! The credential is the vault's active `mcp_oauth` credential for the server URL. The
//! first save creates it ([`VaultStore::add_credential`]), later saves update it
//! ([`VaultStore::update_credential`]): access token, absolute `expires_at`, and in its
//! `refresh` settings the refresh token, the granted scopes (as `scope`), and the
//! [`OAuthClient`] — client id, client secret, token endpoint, resource. rmcp's
//! `StoredCredentials` has no client secret (and its `initialize_from_store` configures
//! the client id alone); [`VaultCredentialStore::from_stored`] gives the stored client
//! back after a restart, secret included, so nothing is lost. The authorization
//! server's issuer is kept in the credential's metadata under [`ISSUER_METADATA_KEY`].
//! Extra fields of a token response (an `id_token`, say) are not kept.
//!
//! ## Refreshes: rmcp's and the store's
//!
//! Two refreshers can renew the token: rmcp's `AuthorizationManager` and the store's
//! own (a session lookup refreshes an `mcp_oauth` token due within the refresh margin).
//! They share one lock per credential, so a refresh token is never spent twice:
//!
//! - [`load`](CredentialStore::load), outside rmcp's refresh, resolves the token
//!   through the store's session path first. A token due for refresh is refreshed
//!   there, once for all concurrent callers (they wait and read the result), with the
//!   store's [`TokenRefresher`](crate::TokenRefresher); rmcp then sees a fresh token and
//!   makes no request. A store without a refresher leaves refreshing to rmcp.
//! - [`acquire_refresh_guard`](CredentialStore::acquire_refresh_guard) takes this
//!   adapter's async mutex (tasks wait without blocking a worker), then the
//!   credential's refresh lock in the store, held until rmcp has saved (or dropped)
//!   its answer. Session refreshes, updates and archives of the credential wait
//!   meanwhile; a load or save inside the guard reads and writes without refreshing.
//! - A refresh token refused by the endpoint (`invalid_grant`) marks the credential as
//!   needing a new login whichever refresher saw it
//!   ([`on_refresh_token_rejected`](CredentialStore::on_refresh_token_rejected) for
//!   rmcp's). A marked credential loads without a refresh token, so rmcp asks for
//!   authorization instead of trying it again; a new login's save clears the mark.
//!
//! Caveats: a load that runs while rmcp's refresh holds the guard reads the token as
//! it is; if that is stale, rmcp refreshes once more after the guard is free, with the
//! rotated refresh token (two requests, never the same token twice). After a failure
//! the store's refresh may pass for (network, 5xx: it backs off), the load hands the
//! old token set over and rmcp tries its own refresh, under the guard.
//!
//! ## Blocking and cancellation
//!
//! The store is synchronous (sled, fsync). Every call runs on tokio's blocking pool
//! (`spawn_blocking`), never on a worker thread. A save, once started, completes even
//! if the caller's future is dropped: the blocking task is not cancelled.
//!
//! ## Secrets
//!
//! Tokens and the client secret are [`SecretString`]s here and sealed at rest. rmcp's
//! own types hold them as plain `String`s (oauth2's `AccessToken` and friends, which
//! print redacted but are not zeroized); that copy is rmcp's. Nothing is logged.
//!
//! ## TLS
//!
//! This feature turns on rmcp's `auth` only, whose HTTP client then has no TLS backend
//! (and so needs no OpenSSL). An application that reaches https endpoints picks one
//! through its own rmcp dependency, e.g. `features = ["auth", "reqwest"]` (rustls).

mod guard;
mod read;
mod write;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::transport::auth::{
    AuthError, CredentialRefreshGuard, CredentialStore, OAuthClientConfig, StoredCredentials,
};
use secrecy::{ExposeSecret, SecretString};

use crate::api::model::{Protocol, TokenEndpointAuthMethod};
use crate::api::validate;
use crate::error::{Error, Result};
use crate::store::refresh::HeldRefresh;
use crate::store::VaultStore;

/// The credential metadata key that keeps the authorization server's issuer, which rmcp
/// compares after a restart to notice a changed authorization server.
pub const ISSUER_METADATA_KEY: &str = "rmcp_issuer";

/// The OAuth client the tokens belong to, kept with them in the credential's `refresh`
/// settings. `Debug` shows the secret redacted.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    /// The client id, 1–255 characters.
    pub client_id: String,
    /// The client secret of a confidential client.
    pub client_secret: Option<SecretString>,
    /// How the client authenticates at the token endpoint: `None` for a public
    /// client, else how the secret is sent.
    pub token_endpoint_auth: TokenEndpointAuthMethod,
    /// The token endpoint: https, or http to a loopback host.
    pub token_endpoint: String,
    /// The RFC 8707 resource indicator the store's refreshes send. `None` (the
    /// default): the MCP server URL, which is what rmcp sends unless discovery names
    /// another resource; set it to that one if so, so both refreshers ask for the same.
    pub resource: Option<String>,
}

impl OAuthClient {
    /// A public client (no secret).
    pub fn public(client_id: impl Into<String>, token_endpoint: impl Into<String>) -> Self {
        OAuthClient {
            client_id: client_id.into(),
            client_secret: None,
            token_endpoint_auth: TokenEndpointAuthMethod::None,
            token_endpoint: token_endpoint.into(),
            resource: None,
        }
    }

    /// A confidential client sending its secret with HTTP Basic (`client_secret_basic`,
    /// rmcp's default; see [`OAuthClient::with_auth_method`]).
    pub fn confidential(
        client_id: impl Into<String>,
        client_secret: SecretString,
        token_endpoint: impl Into<String>,
    ) -> Self {
        OAuthClient {
            client_secret: Some(client_secret),
            token_endpoint_auth: TokenEndpointAuthMethod::ClientSecretBasic,
            ..Self::public(client_id, token_endpoint)
        }
    }

    /// Sets how the secret is sent (`client_secret_post` when the authorization server
    /// supports only that, as rmcp decides from its metadata).
    #[must_use]
    pub fn with_auth_method(mut self, method: TokenEndpointAuthMethod) -> Self {
        self.token_endpoint_auth = method;
        self
    }

    /// Sets the resource indicator.
    #[must_use]
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// rmcp's client configuration for this client, to pass to
    /// `AuthorizationManager::configure_client`. The secret is copied into rmcp's
    /// plain `String`.
    pub fn rmcp_config(&self, redirect_uri: impl Into<String>) -> OAuthClientConfig {
        let config = OAuthClientConfig::new(self.client_id.clone(), redirect_uri);
        match &self.client_secret {
            Some(secret) => config.with_client_secret(secret.expose_secret().to_owned()),
            None => config,
        }
    }
}

/// An rmcp [`CredentialStore`] on the `mcp_oauth` credential for one MCP server URL in
/// one vault. Cheap to clone; clones share the refresh guard. See the
/// [module docs](self) for what is stored and how refreshes are coordinated.
#[derive(Clone)]
pub struct VaultCredentialStore {
    shared: Arc<Shared>,
}

struct Shared {
    store: VaultStore,
    vault_id: String,
    mcp_server_url: String,
    /// The URL in normal form: the session lookup key.
    lookup_url: String,
    protocol: Protocol,
    client: OAuthClient,
    /// rmcp's refresh guard: one refresh at a time through this adapter.
    refresh: Arc<tokio::sync::Mutex<()>>,
    /// The store's refresh lock, while a guard holds it.
    held: Mutex<Option<Arc<HeldRefresh>>>,
}

impl VaultCredentialStore {
    /// An adapter on the credential for `mcp_server_url` in `vault_id`, created by the
    /// first save with `client`'s settings (protocol `streamable_http`, see
    /// [`VaultCredentialStore::with_protocol`]). Reads nothing from the store.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a URL that is not absolute http(s), or a client
    /// whose secret does not fit its `token_endpoint_auth` (a secret for a public
    /// client, none for a confidential one).
    pub fn new(
        store: VaultStore,
        vault_id: impl Into<String>,
        mcp_server_url: impl Into<String>,
        mut client: OAuthClient,
    ) -> Result<Self> {
        let mcp_server_url = mcp_server_url.into();
        if client.resource.is_none() {
            client.resource = Some(mcp_server_url.clone());
        }
        let lookup_url = validate::mcp_server_url("mcp_server_url", &mcp_server_url)?;
        let public = client.token_endpoint_auth == TokenEndpointAuthMethod::None;
        if public == client.client_secret.is_some() {
            return Err(Error::invalid(
                "client.client_secret",
                "client.client_secret: a public client (token_endpoint_auth none) has no \
                 secret, a confidential one needs one",
            ));
        }
        Ok(VaultCredentialStore {
            shared: Arc::new(Shared {
                store,
                vault_id: vault_id.into(),
                mcp_server_url,
                lookup_url,
                protocol: Protocol::StreamableHttp,
                client,
                refresh: Arc::default(),
                held: Mutex::default(),
            }),
        })
    }

    /// An adapter on an existing credential, with the client stored in it (after a
    /// restart: the client secret is not in rmcp's `StoredCredentials`). `None` if the
    /// vault has no active credential for the URL, or one without refresh settings.
    ///
    /// # Errors
    /// As [`VaultCredentialStore::new`]; [`Error::NotFound`] for an unknown vault,
    /// [`Error::InvalidRequest`] for a `static_bearer` credential, storage errors.
    pub async fn from_stored(
        store: VaultStore,
        vault_id: impl Into<String>,
        mcp_server_url: impl Into<String>,
    ) -> Result<Option<Self>> {
        let (vault_id, url) = (vault_id.into(), mcp_server_url.into());
        let lookup_url = validate::mcp_server_url("mcp_server_url", &url)?;
        let found = {
            let (store, vault_id) = (store.clone(), vault_id.clone());
            blocking(move || read::stored_client(&store, &vault_id, &lookup_url)).await?
        };
        let Some((client, protocol)) = found else {
            return Ok(None);
        };
        Self::new(store, vault_id, url, client).map(|s| Some(s.with_protocol(protocol)))
    }

    /// Sets the protocol a new credential is created with. Default: `streamable_http`.
    #[must_use]
    pub fn with_protocol(self, protocol: Protocol) -> Self {
        let mut shared = match Arc::try_unwrap(self.shared) {
            Ok(shared) => shared,
            Err(shared) => Shared {
                store: shared.store.clone(),
                vault_id: shared.vault_id.clone(),
                mcp_server_url: shared.mcp_server_url.clone(),
                lookup_url: shared.lookup_url.clone(),
                protocol: shared.protocol,
                client: shared.client.clone(),
                refresh: Arc::default(),
                held: Mutex::default(),
            },
        };
        shared.protocol = protocol;
        VaultCredentialStore {
            shared: Arc::new(shared),
        }
    }

    /// The OAuth client, e.g. for [`OAuthClient::rmcp_config`].
    pub fn client(&self) -> &OAuthClient {
        &self.shared.client
    }

    /// The vault.
    pub fn vault_id(&self) -> &str {
        &self.shared.vault_id
    }

    /// The MCP server URL, as given.
    pub fn mcp_server_url(&self) -> &str {
        &self.shared.mcp_server_url
    }
}

impl Shared {
    /// The store's refresh lock held by this adapter's guard, if any.
    fn held(&self) -> Option<Arc<HeldRefresh>> {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs a store call on the blocking pool. Once spawned it runs to the end even if the
/// awaiting future is dropped (tokio does not cancel blocking tasks): a save that has
/// begun completes.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| Error::Io {
            context: "the rmcp adapter's store task".to_owned(),
            source: std::io::Error::other(if e.is_panic() {
                "panicked"
            } else {
                "was cancelled"
            }),
        })?
}

/// rmcp's error for a store failure; never a secret (the crate's errors hold none).
fn store_error(e: Error) -> AuthError {
    AuthError::CredentialStoreError(e.to_string())
}

#[async_trait::async_trait]
impl CredentialStore for VaultCredentialStore {
    async fn load(&self) -> std::result::Result<Option<StoredCredentials>, AuthError> {
        // Inside rmcp's refresh (this adapter's guard held) only read: the guard holds
        // the store's refresh lock, which the session path would wait for.
        let may_refresh = self.shared.refresh.try_lock().is_ok();
        let shared = self.shared.clone();
        blocking(move || read::load(&shared, may_refresh))
            .await
            .map_err(store_error)
    }

    async fn save(&self, credentials: StoredCredentials) -> std::result::Result<(), AuthError> {
        let shared = self.shared.clone();
        blocking(move || write::save(&shared, credentials))
            .await
            .map_err(store_error)
    }

    /// Archives the credential: its tokens are erased at once, its record (with
    /// `refresh_state`) stays for the record, and the next save creates a new one.
    async fn clear(&self) -> std::result::Result<(), AuthError> {
        let shared = self.shared.clone();
        blocking(move || write::clear(&shared))
            .await
            .map_err(store_error)
    }

    async fn on_refresh_token_rejected(
        &self,
        credentials: &StoredCredentials,
    ) -> std::result::Result<(), AuthError> {
        let Some(refused) = write::refresh_token_of(credentials) else {
            return Ok(());
        };
        let shared = self.shared.clone();
        blocking(move || write::refresh_token_refused(&shared, &refused))
            .await
            .map_err(store_error)
    }

    async fn acquire_refresh_guard(
        &self,
    ) -> std::result::Result<Option<CredentialRefreshGuard>, AuthError> {
        guard::acquire(&self.shared)
            .await
            .map(|g| Some(CredentialRefreshGuard::new(g)))
            .map_err(store_error)
    }
}

impl fmt::Debug for VaultCredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultCredentialStore")
            .field("vault_id", &self.shared.vault_id)
            .field("mcp_server_url", &self.shared.mcp_server_url)
            .field("protocol", &self.shared.protocol)
            .field("client", &self.shared.client)
            .finish_non_exhaustive()
    }
}
