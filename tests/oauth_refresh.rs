//! Guards refresh on lookup against a real local token endpoint that rotates refresh
//! tokens and revokes the family on reuse: a token is never handed out stale, a refresh
//! is stored durably before the token is returned, one request per credential at a
//! time, failures classified and recorded on the credential.

mod common;
mod oauth_support;

use std::time::Duration;

use chrono::Utc;
use common::{Backend, Place};
use oauth_support::TokenServer;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    ClientAuth, CreateCredential, CreateVault, Error, HttpRefresher, MasterKey, OAuthRefresh,
    OAuthTokens, Protocol, UpdateCredential, VaultCredential, VaultStore,
};

const URL: &str = "https://mcp.example.com/mcp";
const KEY: [u8; 32] = [3; 32];

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn open(backend: &Backend, place: &Place) -> VaultStore {
    backend
        .builder(place)
        .key(MasterKey::from_bytes(KEY))
        .token_refresher(HttpRefresher::with_timeouts(
            Duration::from_secs(2),
            Duration::from_secs(2),
            false,
        ))
        .open()
        .expect("open")
}

/// An mcp_oauth credential whose access token expires in `expires_in_s` seconds.
fn oauth(server: &TokenServer, expires_in_s: i64, auth: ClientAuth) -> CreateCredential {
    let mut refresh = OAuthRefresh::new("client one", secret("refresh-0"), &server.url);
    refresh.token_endpoint_auth = auth;
    refresh.scope = Some("read write".into());
    refresh.resource = Some("https://mcp.example.com/".into());
    CreateCredential::mcp_oauth(
        URL,
        Protocol::StreamableHttp,
        OAuthTokens::new(secret("access-0"))
            .expires_at(Utc::now() + chrono::Duration::seconds(expires_in_s))
            .refresh(refresh),
    )
}

fn create(store: &VaultStore, cred: CreateCredential) -> (String, String) {
    let vault = store
        .create_vault(CreateVault::new("oauth", vec![cred]))
        .expect("create");
    let cred = vault.credentials.expect("credentials").remove(0);
    (vault.id, cred.id)
}

fn lookup(store: &VaultStore, vault: &str) -> vaultstore::Result<Option<String>> {
    let session = store.session(&[vault])?;
    Ok(session
        .bearer_token(URL)?
        .map(|t| t.expose_secret().to_owned()))
}

fn refresh_error(result: vaultstore::Result<Option<String>>) -> (String, bool, String) {
    match result {
        Err(Error::Refresh {
            code,
            needs_reauthorization,
            message,
            ..
        }) => (code, needs_reauthorization, message),
        other => panic!("expected a refresh error, got {other:?}"),
    }
}

fn json(cred: &VaultCredential) -> serde_json::Value {
    serde_json::to_value(cred).expect("json")
}

fn a_fresh_token_is_handed_out_without_a_request(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, _) = create(&store, oauth(&server, 3600, ClientAuth::None));
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("access-0")
    );
    assert_eq!(server.request_count(), 0);
}

fn an_expiring_token_is_refreshed_stored_and_then_served_from_the_store(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    server.set_granted_scope("read");
    let place = backend.place();
    let store = open(backend, &place);
    // 30 s left, inside the default 60 s margin.
    let (vault, cred) = create(&store, oauth(&server, 30, ClientAuth::None));
    let before = Utc::now();
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("access-1")
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    let form = &seen[0].form;
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "refresh-0");
    assert_eq!(form["client_id"], "client one");
    assert_eq!(form["scope"], "read write");
    assert_eq!(form["resource"], "https://mcp.example.com/");
    assert!(!form.contains_key("client_secret") && seen[0].authorization.is_none());

    let answer = json(&store.get_credential(&vault, &cred).expect("get"));
    let expires =
        chrono::DateTime::parse_from_rfc3339(answer["expires_at"].as_str().expect("expiry"))
            .expect("rfc3339");
    let hour = expires.with_timezone(&Utc) - before;
    assert!((3590..=3610).contains(&hour.num_seconds()), "{answer}");
    assert!(
        answer["refresh_state"]["last_refreshed_at"].is_string(),
        "{answer}"
    );
    assert_eq!(answer["refresh_state"]["granted_scope"], "read");
    assert_eq!(answer["refresh_state"]["needs_reauthorization"], false);
    assert_eq!(
        answer["refresh"]["scope"], "read write",
        "the requested scope stays"
    );

    // Served from the store now: no second request.
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("access-1")
    );
    assert_eq!(server.request_count(), 1);
}

fn the_rotated_refresh_token_survives_a_reopen(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    // Every answer expires inside the margin, so every lookup refreshes.
    server.set_expires_in(Some(30));
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, _) = create(&store, oauth(&server, 30, ClientAuth::None));
    assert_eq!(
        lookup(&store, &vault).expect("first").as_deref(),
        Some("access-1")
    );
    drop(store);
    let store = open(backend, &place);
    // The server revokes the family if refresh-0 is spent again: the store must send
    // refresh-1, the rotated one it saved.
    assert_eq!(
        lookup(&store, &vault).expect("after reopen").as_deref(),
        Some("access-2")
    );
    let seen = server.requests();
    assert_eq!(seen[1].form["refresh_token"], "refresh-1");
}

fn sixteen_threads_on_one_expiring_credential_make_one_request(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    server.set_delay(Duration::from_millis(200));
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, _) = create(&store, oauth(&server, 10, ClientAuth::None));
    let session = store.session(&[&vault]).expect("session");
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    session
                        .bearer_token(URL)
                        .expect("lookup")
                        .expect("a token")
                        .expose_secret()
                        .to_owned()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(server.request_count(), 1, "exactly one refresh request");
    assert!(tokens.iter().all(|t| t == "access-1"), "{tokens:?}");
}

fn a_refused_refresh_token_needs_a_new_login_and_never_yields_the_stale_token(backend: &Backend) {
    let server = TokenServer::start("some-other-token");
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, cred) = create(&store, oauth(&server, 10, ClientAuth::None));
    let (code, reauth, message) = refresh_error(lookup(&store, &vault));
    assert_eq!(code, "invalid_grant");
    assert!(reauth);
    assert!(
        !message.contains("access-0") && !message.contains("refresh-0"),
        "{message}"
    );

    let answer = json(&store.get_credential(&vault, &cred).expect("get"));
    assert_eq!(
        answer["refresh_state"]["needs_reauthorization"], true,
        "{answer}"
    );
    assert_eq!(
        answer["refresh_state"]["last_error"]["code"],
        "invalid_grant"
    );

    // No further request until a new login: the lookup fails fast.
    let (code, _, _) = refresh_error(lookup(&store, &vault));
    assert_eq!(code, "invalid_grant");
    assert_eq!(server.request_count(), 1);

    // A new login, stored by update: the state clears and refreshes work again.
    server.add_live("refresh-new");
    let update = UpdateCredential::from_json(
        r#"{"auth": {"type": "mcp_oauth", "access_token": "access-new",
             "expires_at": "2020-01-01T00:00:00+00:00"}}"#,
    )
    .expect("body");
    let err = store
        .update_credential(&vault, &cred, update)
        .expect_err("past expiry");
    assert_eq!(err.field(), Some("auth.expires_at"));
    let soon = (Utc::now() + chrono::Duration::seconds(20)).to_rfc3339();
    let update = UpdateCredential::from_json(&format!(
        r#"{{"auth": {{"type": "mcp_oauth", "access_token": "access-new", "expires_at": "{soon}",
             "refresh": {{"refresh_token": "refresh-new"}}}}}}"#
    ))
    .expect("body");
    let updated = json(
        &store
            .update_credential(&vault, &cred, update)
            .expect("update"),
    );
    assert_eq!(
        updated["refresh_state"]["needs_reauthorization"], false,
        "{updated}"
    );
    assert!(
        updated["refresh_state"].get("last_error").is_none(),
        "{updated}"
    );
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("access-1")
    );
    assert_eq!(server.requests()[1].form["refresh_token"], "refresh-new");
}

fn a_server_error_keeps_the_refresh_token_and_backs_off(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    server.script(503, "{}");
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, cred) = create(&store, oauth(&server, 10, ClientAuth::None));
    let (code, reauth, _) = refresh_error(lookup(&store, &vault));
    assert_eq!((code.as_str(), reauth), ("server_error", false));
    let answer = json(&store.get_credential(&vault, &cred).expect("get"));
    assert!(
        answer["refresh_state"]["next_attempt_at"].is_string(),
        "{answer}"
    );
    // Within the backoff: no request, the same error.
    let (code, _, _) = refresh_error(lookup(&store, &vault));
    assert_eq!(code, "server_error");
    assert_eq!(server.request_count(), 1);
    // After it (1 s for a first failure): the same refresh token still works.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("access-1")
    );
    assert_eq!(server.requests()[1].form["refresh_token"], "refresh-0");
}

fn a_timeout_is_transient_and_names_the_credential(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    server.set_delay(Duration::from_secs(4));
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, cred) = create(&store, oauth(&server, 10, ClientAuth::None));
    let err = store
        .session(&[&vault])
        .expect("session")
        .bearer_token(URL)
        .expect_err("times out");
    assert!(err.to_string().contains(&cred), "{err}");
    let Error::Refresh {
        code,
        needs_reauthorization,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!((code.as_str(), needs_reauthorization), ("timeout", false));
}

fn client_secret_basic_and_post_send_the_secret_one_way_each(backend: &Backend) {
    for (auth, basic) in [
        (
            ClientAuth::ClientSecretBasic(secret("s3cret with space")),
            true,
        ),
        (
            ClientAuth::ClientSecretPost(secret("s3cret with space")),
            false,
        ),
    ] {
        let server = TokenServer::start("refresh-0");
        server.require_client_secret("s3cret with space");
        let place = backend.place();
        let store = open(backend, &place);
        let (vault, _) = create(&store, oauth(&server, 10, auth));
        assert_eq!(
            lookup(&store, &vault).expect("lookup").as_deref(),
            Some("access-1")
        );
        let seen = &server.requests()[0];
        assert_eq!(seen.authorization.is_some(), basic);
        assert_eq!(seen.form.contains_key("client_secret"), !basic);
        assert_eq!(seen.form.contains_key("client_id"), !basic);
    }
}

fn a_wrong_client_secret_is_a_configuration_error_that_keeps_the_refresh_token(backend: &Backend) {
    let server = TokenServer::start("refresh-0");
    server.require_client_secret("right");
    let place = backend.place();
    let store = open(backend, &place);
    let (vault, cred) = create(
        &store,
        oauth(&server, 10, ClientAuth::ClientSecretPost(secret("wrong"))),
    );
    let (code, reauth, _) = refresh_error(lookup(&store, &vault));
    assert_eq!((code.as_str(), reauth), ("invalid_client", false));
    // The operator fixes the secret; the stored refresh token was not discarded.
    let update = UpdateCredential::from_json(
        r#"{"auth": {"type": "mcp_oauth", "refresh": {"token_endpoint_auth":
             {"type": "client_secret_post", "client_secret": "right"}}}}"#,
    )
    .expect("body");
    store
        .update_credential(&vault, &cred, update)
        .expect("update");
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("access-1")
    );
    assert_eq!(server.requests()[1].form["refresh_token"], "refresh-0");
}

fn an_expired_token_without_refresh_settings_is_an_error_not_the_stale_token(backend: &Backend) {
    let place = backend.place();
    let store = open(backend, &place);
    let cred = CreateCredential::mcp_oauth(
        URL,
        Protocol::Sse,
        OAuthTokens::new(secret("access-0")).expires_at(Utc::now() + chrono::Duration::seconds(5)),
    );
    let (vault, _) = create(&store, cred);
    let (code, reauth, _) = refresh_error(lookup(&store, &vault));
    assert_eq!((code.as_str(), reauth), ("no_refresh_token", true));
}

fn a_token_without_expiry_is_handed_out_as_it_is(backend: &Backend) {
    let place = backend.place();
    let store = open(backend, &place);
    let cred = CreateCredential::mcp_oauth(URL, Protocol::Sse, OAuthTokens::new(secret("forever")));
    let (vault, _) = create(&store, cred);
    assert_eq!(
        lookup(&store, &vault).expect("lookup").as_deref(),
        Some("forever")
    );
}

fn token_endpoints_must_be_https_or_loopback_http(backend: &Backend) {
    let place = backend.place();
    let store = open(backend, &place);
    for (endpoint, ok) in [
        ("https://auth.example.com/token", true),
        ("http://127.0.0.1:8080/token", true),
        ("http://127.9.9.9/token", true),
        ("http://[::1]:9/token", true),
        ("http://localhost/token", true),
        ("http://auth.example.com/token", false),
        ("http://10.0.0.1/token", false),
        ("ftp://auth.example.com/token", false),
        ("https://auth.example.com/token#frag", false),
        ("https://user:pw@auth.example.com/token", false),
        ("not a url", false),
    ] {
        let refresh = OAuthRefresh::new("c", secret("r"), endpoint);
        let cred = CreateCredential::mcp_oauth(
            URL,
            Protocol::Sse,
            OAuthTokens::new(secret("a")).refresh(refresh),
        );
        let result = store.create_vault(CreateVault::new("v", vec![cred]));
        match (result, ok) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                assert_eq!(
                    e.field(),
                    Some("credentials[0].refresh.token_endpoint"),
                    "{e}"
                )
            }
            (other, _) => panic!("{endpoint}: {other:?}"),
        }
    }
}

conformance!(
    a_fresh_token_is_handed_out_without_a_request,
    an_expiring_token_is_refreshed_stored_and_then_served_from_the_store,
    the_rotated_refresh_token_survives_a_reopen,
    sixteen_threads_on_one_expiring_credential_make_one_request,
    a_refused_refresh_token_needs_a_new_login_and_never_yields_the_stale_token,
    a_server_error_keeps_the_refresh_token_and_backs_off,
    a_timeout_is_transient_and_names_the_credential,
    client_secret_basic_and_post_send_the_secret_one_way_each,
    a_wrong_client_secret_is_a_configuration_error_that_keeps_the_refresh_token,
    an_expired_token_without_refresh_settings_is_an_error_not_the_stale_token,
    a_token_without_expiry_is_handed_out_as_it_is,
    token_endpoints_must_be_https_or_loopback_http,
);
