//! Guards the rmcp adapter: rmcp's own OAuth client (`AuthorizationManager`) keeps its
//! tokens sealed in a vault through `VaultCredentialStore`, against a real token
//! endpoint on loopback that rotates refresh tokens and refuses a reused one.
#![cfg(feature = "rmcp")]

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use oauth2::TokenResponse;
use rmcp::transport::auth::{
    AuthError, AuthorizationManager, AuthorizationMetadata, CredentialStore, StoredCredentials,
};
use vaultstore::rmcp::{OAuthClient, VaultCredentialStore, ISSUER_METADATA_KEY};
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    CreateCredential, CreateVault, MasterKey, Protocol, TokenEndpointAuthMethod, VaultCredential,
    VaultStore,
};

const CLIENT_ID: &str = "agent-client";
const CLIENT_SECRET: &str = "s3cret-of-the-client";

// ---------------------------------------------------------------------------------
// The token endpoint: a real HTTP server on 127.0.0.1.

#[derive(Default)]
struct Endpoint {
    issued: u32,
    /// Refresh tokens not spent yet; a refresh spends one and issues the next.
    live: HashSet<String>,
    /// Every refresh token presented, in order.
    presented: Vec<String>,
    refused: u32,
    /// `expires_in` of tokens from a code exchange and from a refresh.
    code_expires_in: u64,
    refresh_expires_in: u64,
    /// Time a refresh takes, to let concurrent ones overlap.
    delay: Duration,
}

struct TokenServer {
    base: String,
    state: Arc<Mutex<Endpoint>>,
    server: Arc<tiny_http::Server>,
}

impl TokenServer {
    fn start() -> TokenServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
        let port = server.server_addr().to_ip().expect("ip").port();
        let state = Arc::new(Mutex::new(Endpoint {
            code_expires_in: 3600,
            refresh_expires_in: 3600,
            ..Endpoint::default()
        }));
        let (srv, st) = (server.clone(), state.clone());
        std::thread::spawn(move || {
            for request in srv.incoming_requests() {
                let st = st.clone();
                std::thread::spawn(move || answer(request, &st));
            }
        });
        TokenServer {
            base: format!("http://127.0.0.1:{port}"),
            state,
            server,
        }
    }

    fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    fn token_endpoint(&self) -> String {
        format!("{}/token", self.base)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Endpoint) -> T) -> T {
        f(&mut self.state.lock().expect("state"))
    }

    fn refreshes(&self) -> usize {
        self.with(|s| s.presented.len())
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn answer(mut request: tiny_http::Request, state: &Mutex<Endpoint>) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let authorized = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("Authorization") && h.value.as_str() == expected);
    let (status, json) = if request.url() != "/token" {
        (404, r#"{"error":"not_found"}"#.to_owned())
    } else if !authorized {
        (401, r#"{"error":"invalid_client"}"#.to_owned())
    } else {
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let mut s = state.lock().expect("state");
                let expires_in = s.code_expires_in;
                (200, issue(&mut s, expires_in))
            }
            Some("refresh_token") => {
                let delay = state.lock().expect("state").delay;
                std::thread::sleep(delay);
                let mut s = state.lock().expect("state");
                let presented = form.get("refresh_token").cloned().unwrap_or_default();
                s.presented.push(presented.clone());
                if s.live.remove(&presented) {
                    let expires_in = s.refresh_expires_in;
                    (200, issue(&mut s, expires_in))
                } else {
                    s.refused += 1;
                    (400, r#"{"error":"invalid_grant"}"#.to_owned())
                }
            }
            _ => (400, r#"{"error":"unsupported_grant_type"}"#.to_owned()),
        }
    };
    let header = tiny_http::Header::from_bytes("Content-Type", "application/json").expect("h");
    let _ = request.respond(
        tiny_http::Response::from_string(json)
            .with_status_code(status)
            .with_header(header),
    );
}

fn issue(s: &mut Endpoint, expires_in: u64) -> String {
    s.issued += 1;
    let n = s.issued;
    s.live.insert(format!("rt-{n}"));
    format!(
        r#"{{"access_token":"at-{n}","token_type":"bearer","expires_in":{expires_in},"refresh_token":"rt-{n}","scope":"read"}}"#
    )
}

// ---------------------------------------------------------------------------------
// The store, the adapter and rmcp's manager.

fn open(dir: &Path) -> VaultStore {
    VaultStore::builder(dir)
        .key(MasterKey::from_bytes([7; 32]))
        .open()
        .expect("open")
}

/// A vault with an unrelated credential (a vault is created with at least one).
fn vault(store: &VaultStore) -> String {
    store
        .create_vault(CreateVault::new(
            "agent",
            vec![CreateCredential::static_bearer(
                "https://other.example/mcp",
                Protocol::Sse,
                SecretString::from("other"),
            )],
        ))
        .expect("vault")
        .id
}

fn client(server: &TokenServer) -> OAuthClient {
    OAuthClient::confidential(
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
        server.token_endpoint(),
    )
}

fn adapter(store: &VaultStore, vault: &str, server: &TokenServer) -> VaultCredentialStore {
    VaultCredentialStore::new(store.clone(), vault, server.mcp_url(), client(server))
        .expect("adapter")
}

async fn manager(server: &TokenServer, tokens: VaultCredentialStore) -> AuthorizationManager {
    let mut manager = AuthorizationManager::new(server.mcp_url())
        .await
        .expect("manager");
    let mut metadata = AuthorizationMetadata::default();
    metadata.authorization_endpoint = format!("{}/authorize", server.base);
    metadata.token_endpoint = server.token_endpoint();
    metadata.issuer = Some(server.base.clone());
    metadata.code_challenge_methods_supported = Some(vec!["S256".to_owned()]);
    manager.set_metadata(metadata);
    manager
        .configure_client(tokens.client().rmcp_config("http://127.0.0.1/callback"))
        .expect("configure");
    manager.set_credential_store(tokens);
    manager
}

/// rmcp's authorization-code flow, the user's consent skipped: the endpoint takes any
/// code. rmcp saves the tokens through the adapter.
async fn login(manager: &AuthorizationManager) {
    let url = manager.get_authorization_url(&["read"]).await.expect("url");
    let url = url::Url::parse(&url).expect("parses");
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("state")
        .1
        .into_owned();
    manager
        .exchange_code_for_token("the-code", &state)
        .await
        .expect("exchange");
}

fn bearer(store: &VaultStore, vault: &str, url: &str) -> Option<String> {
    store
        .session(&[vault])
        .expect("session")
        .bearer_token(url)
        .expect("lookup")
        .map(|t| t.expose_secret().to_owned())
}

fn the_credential(store: &VaultStore, vault: &str, url: &str) -> VaultCredential {
    let page = store
        .list_credentials(vault, &vaultstore::ListParams::default())
        .expect("list");
    page.data
        .into_iter()
        .find(|c| c.mcp_server_url == url)
        .expect("the credential")
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("task")
}

// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_saved_by_rmcp_land_sealed_in_the_vault() {
    let server = TokenServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let manager = manager(&server, adapter(&store, &vault, &server)).await;
    login(&manager).await;

    let url = server.mcp_url();
    let (s, v, u) = (store.clone(), vault.clone(), url.clone());
    assert_eq!(
        blocking(move || bearer(&s, &v, &u)).await.as_deref(),
        Some("at-1")
    );
    assert_eq!(manager.get_access_token().await.expect("token"), "at-1");

    let cred = the_credential(&store, &vault, &url);
    assert_eq!(cred.credential_type, vaultstore::CredentialType::McpOauth);
    let refresh = cred.refresh.expect("refresh settings");
    assert_eq!(refresh.client_id, CLIENT_ID);
    assert_eq!(refresh.token_endpoint, server.token_endpoint());
    assert_eq!(
        refresh.token_endpoint_auth,
        TokenEndpointAuthMethod::ClientSecretBasic
    );
    assert_eq!(refresh.scope.as_deref(), Some("read"));
    assert_eq!(refresh.resource.as_deref(), Some(url.as_str()));
    assert_eq!(
        cred.metadata.get(ISSUER_METADATA_KEY),
        Some(&server.base),
        "the issuer is kept for rmcp's check after a restart"
    );
    let left = cred.expires_at.expect("expiry") - chrono::Utc::now();
    assert!(
        (3590..=3600).contains(&left.num_seconds()),
        "absolute expiry from expires_in: {left}"
    );

    // Sealed: no token or client secret in any file of the store.
    drop(manager);
    store.flush().expect("flush");
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).expect("read");
        for secret in ["at-1", "rt-1", CLIENT_SECRET] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in plain text in {}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_nothing_and_rmcp_refreshes_with_the_stored_token() {
    let server = TokenServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let url = server.mcp_url();
    let vault = {
        let store = open(dir.path());
        let vault = vault(&store);
        let manager = manager(&server, adapter(&store, &vault, &server)).await;
        login(&manager).await;
        vault
    }; // manager, adapter and store dropped: the store is closed.

    let store = open(dir.path());
    let tokens = VaultCredentialStore::from_stored(store.clone(), &vault, &url)
        .await
        .expect("read")
        .expect("a stored client");
    let client = tokens.client();
    assert_eq!(client.client_id, CLIENT_ID);
    assert_eq!(
        client.client_secret.as_ref().map(|s| s.expose_secret()),
        Some(CLIENT_SECRET),
        "the client secret, which rmcp does not store, comes back"
    );
    assert_eq!(client.token_endpoint, server.token_endpoint());
    assert_eq!(client.resource.as_deref(), Some(url.as_str()));

    let stored = tokens.load().await.expect("load").expect("credentials");
    assert_eq!(stored.client_id, CLIENT_ID);
    assert_eq!(stored.granted_scopes, vec!["read".to_owned()]);
    assert_eq!(stored.issuer.as_deref(), Some(server.base.as_str()));
    let response = stored.token_response.expect("tokens");
    assert_eq!(response.access_token().secret(), "at-1");
    assert_eq!(response.refresh_token().expect("refresh").secret(), "rt-1");
    let expires_in = response.expires_in().expect("expiry").as_secs();
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");

    let client = tokens.client().clone();
    let mut manager = manager(&server, tokens).await;
    assert!(manager.initialize_from_store().await.expect("init"));
    // rmcp's initialize_from_store configures the client id alone (its stored
    // credentials have no secret): configure the stored client again after it.
    manager
        .configure_client(client.rmcp_config("http://127.0.0.1/callback"))
        .expect("configure");
    assert_eq!(manager.get_access_token().await.expect("token"), "at-1");

    // rmcp's own refresh, with the stored refresh token and client secret (the
    // endpoint checks both); the rotated refresh token is saved.
    let answer = manager.refresh_token().await.expect("refresh");
    assert_eq!(answer.access_token().secret(), "at-2");
    assert_eq!(
        server.with(|s| s.presented.clone()),
        vec!["rt-1".to_owned()]
    );
    let (s, v, u) = (store.clone(), vault.clone(), url.clone());
    assert_eq!(
        blocking(move || bearer(&s, &v, &u)).await.as_deref(),
        Some("at-2")
    );
    manager
        .refresh_token()
        .await
        .expect("refresh with the rotated token");
    assert_eq!(server.with(|s| s.presented.clone()), ["rt-1", "rt-2"]);
    assert_eq!(server.with(|s| s.refused), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_token_asks_for_a_new_login() {
    let server = TokenServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let url = server.mcp_url();
    let tokens = adapter(&store, &vault, &server);
    let manager = manager(&server, tokens.clone()).await;
    login(&manager).await;

    server.with(|s| s.live.clear()); // the authorization server revokes the grant
    let err = manager.refresh_token().await.expect_err("refused");
    assert!(matches!(err, AuthError::TokenRefreshRejected(_)), "{err:?}");

    let state = the_credential(&store, &vault, &url)
        .refresh_state
        .expect("refresh state");
    assert!(state.needs_reauthorization);
    assert_eq!(state.last_error.expect("error").code, "invalid_grant");
    let stored = tokens.load().await.expect("load").expect("credentials");
    assert!(
        stored
            .token_response
            .expect("tokens")
            .refresh_token()
            .is_none(),
        "a refused refresh token is not handed back to be spent again"
    );
    let err = manager.refresh_token().await.expect_err("needs a login");
    assert!(matches!(err, AuthError::AuthorizationRequired), "{err:?}");
    assert_eq!(
        server.refreshes(),
        1,
        "no second request with the refused token"
    );

    // A new login clears the mark, and refreshing works again.
    login(&manager).await;
    let state = the_credential(&store, &vault, &url).refresh_state;
    assert!(!state.is_some_and(|s| s.needs_reauthorization));
    manager.refresh_token().await.expect("refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lookups_of_an_expiring_token_make_one_request() {
    let server = TokenServer::start();
    // The login's token expires within the store's refresh margin (60 s), the
    // refreshed one does not.
    server.with(|s| {
        s.code_expires_in = 20;
        s.delay = Duration::from_millis(200);
    });
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let manager = manager(&server, adapter(&store, &vault, &server)).await;
    login(&manager).await;

    let manager = Arc::new(manager);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.get_access_token().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task").expect("token"), "at-2");
    }
    assert_eq!(server.refreshes(), 1, "one refresh for all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_refreshes_a_due_token_inside_its_guard_without_waiting_for_itself() {
    let server = TokenServer::start();
    server.with(|s| s.code_expires_in = 20); // due for the store's refresh too
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let manager = manager(&server, adapter(&store, &vault, &server)).await;
    login(&manager).await;

    // Inside the guard the store's refresh lock is held: the load there must read,
    // not refresh through the session (which would wait for that lock).
    let refreshed = tokio::time::timeout(Duration::from_secs(20), manager.refresh_token())
        .await
        .expect("no self-deadlock")
        .expect("refresh");
    assert_eq!(refreshed.access_token().secret(), "at-2");
    assert_eq!(server.with(|s| s.presented.clone()), ["rt-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_never_spend_a_refresh_token_twice() {
    let server = TokenServer::start();
    server.with(|s| s.delay = Duration::from_millis(100));
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let url = server.mcp_url();
    let manager = Arc::new(manager(&server, adapter(&store, &vault, &server)).await);
    login(&manager).await;

    // rmcp's refreshes from several tasks at once: the guard queues them.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let manager = manager.clone();
        tasks.push(tokio::spawn(async move {
            manager.refresh_token().await.map(|_| ())
        }));
    }
    for task in tasks {
        task.await
            .expect("task")
            .expect("every rmcp refresh succeeds");
    }
    let presented = server.with(|s| s.presented.clone());
    let distinct: HashSet<_> = presented.iter().collect();
    assert_eq!(presented.len(), 4);
    assert_eq!(
        distinct.len(),
        4,
        "each refresh spent its own token: {presented:?}"
    );
    assert_eq!(server.with(|s| s.refused), 0);

    // The last rotated token is the stored one: a session agrees with rmcp.
    let token = manager.get_access_token().await.expect("token");
    let (s, v, u) = (store.clone(), vault.clone(), url.clone());
    assert_eq!(blocking(move || bearer(&s, &v, &u)).await, Some(token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_and_session_refreshes_share_one_lock() {
    let server = TokenServer::start();
    server.with(|s| {
        s.code_expires_in = 20; // due for the session's refresh (margin 60 s)
        s.delay = Duration::from_millis(200);
    });
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let url = server.mcp_url();
    let manager = Arc::new(manager(&server, adapter(&store, &vault, &server)).await);
    login(&manager).await;

    let rmcp_refresh = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.refresh_token().await.map(|_| ()) })
    };
    let sessions: Vec<_> = (0..3)
        .map(|_| {
            let (s, v, u) = (store.clone(), vault.clone(), url.clone());
            tokio::task::spawn_blocking(move || {
                s.session(&[&v])
                    .and_then(|session| session.bearer_token(&u))
            })
        })
        .collect();
    rmcp_refresh.await.expect("task").expect("rmcp refresh");
    for session in sessions {
        let token = session
            .await
            .expect("task")
            .expect("lookup")
            .expect("token");
        assert!(token.expose_secret().starts_with("at-"));
    }
    assert_eq!(server.with(|s| s.refused), 0, "no refresh token reused");
    let presented = server.with(|s| s.presented.clone());
    let distinct: HashSet<_> = presented.iter().collect();
    assert_eq!(distinct.len(), presented.len(), "{presented:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_completes_when_its_caller_is_dropped() {
    let server = TokenServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let url = server.mcp_url();
    let tokens = adapter(&store, &vault, &server);

    let mut response = rmcp::transport::auth::OAuthTokenResponse::new(
        oauth2::AccessToken::new("at-dropped".to_owned()),
        oauth2::basic::BasicTokenType::Bearer,
        Default::default(),
    );
    response.set_refresh_token(Some(oauth2::RefreshToken::new("rt-dropped".to_owned())));
    response.set_expires_in(Some(&Duration::from_secs(600)));
    let credentials = StoredCredentials::new(CLIENT_ID.to_owned(), Some(response), vec![], None);

    // Polled once (the store call is handed to the blocking pool), then dropped.
    let mut save = tokens.save(credentials);
    let waker = std::task::Waker::noop();
    let _ = save
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker));
    drop(save);

    let mut found = None;
    for _ in 0..100 {
        let (s, v, u) = (store.clone(), vault.clone(), url.clone());
        found = blocking(move || bearer(&s, &v, &u)).await;
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found.as_deref(), Some("at-dropped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_archives_and_the_next_login_starts_afresh() {
    let server = TokenServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let url = server.mcp_url();
    let tokens = adapter(&store, &vault, &server);
    let manager = manager(&server, tokens.clone()).await;
    login(&manager).await;
    let first = the_credential(&store, &vault, &url);

    tokens.clear().await.expect("clear");
    let (s, v, u) = (store.clone(), vault.clone(), url.clone());
    assert_eq!(blocking(move || bearer(&s, &v, &u)).await, None);
    assert!(tokens.load().await.expect("load").is_none());
    let archived = store.get_credential(&vault, &first.id).expect("kept");
    assert_eq!(archived.status, vaultstore::Status::Archived);

    login(&manager).await;
    let second = the_credential(&store, &vault, &url);
    assert_ne!(second.id, first.id);
    assert_eq!(manager.get_access_token().await.expect("token"), "at-2");
}

#[tokio::test]
async fn secrets_stay_out_of_debug_and_other_clients_are_refused() {
    let server = TokenServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let vault = vault(&store);
    let tokens = adapter(&store, &vault, &server);
    let text = format!("{tokens:?} {:?}", tokens.client());
    assert!(!text.contains(CLIENT_SECRET), "{text}");

    // Tokens of another client are not saved into this client's credential.
    let response = rmcp::transport::auth::OAuthTokenResponse::new(
        oauth2::AccessToken::new("at-x".to_owned()),
        oauth2::basic::BasicTokenType::Bearer,
        Default::default(),
    );
    let other = StoredCredentials::new("someone-else".to_owned(), Some(response), vec![], None);
    let err = tokens.save(other).await.expect_err("another client");
    assert!(matches!(err, AuthError::CredentialStoreError(_)), "{err:?}");

    // A public client cannot carry a secret.
    let bad = OAuthClient::public("c", server.token_endpoint());
    let bad = OAuthClient {
        client_secret: Some(SecretString::from("x")),
        ..bad
    };
    assert!(VaultCredentialStore::new(store, &vault, server.mcp_url(), bad).is_err());
}
