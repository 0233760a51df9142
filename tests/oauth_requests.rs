//! Guards the request shapes and answers of credentials: the seeds' flat shape and the
//! hosted API's `auth` shape, for static_bearer and mcp_oauth; unknown fields refused;
//! messages naming the JSON path and never a secret; updates in place.

mod common;

use common::*;
use serde_json::{json, Value};
use vaultstore::{CreateCredential, CreateVault, Error, UpdateCredential, UpdateVault};

const SECRETS: &[&str] = &[
    "at-SECRET-1",
    "rt-SECRET-2",
    "cs-SECRET-3",
    "1234567890123456",
];

fn assert_no_secret(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "a secret leaked: {text}");
    }
}

fn oauth_body() -> Value {
    json!({
        "display_name": "linear",
        "metadata": {"team": "agents"},
        "auth": {
            "type": "mcp_oauth",
            "mcp_server_url": "https://mcp.linear.app/mcp",
            "access_token": "at-SECRET-1",
            "expires_at": "2099-01-02T03:04:05.123456+00:00",
            "refresh": {
                "client_id": "client-1",
                "refresh_token": "rt-SECRET-2",
                "token_endpoint": "https://linear.app/oauth/token",
                "token_endpoint_auth": {"type": "client_secret_post", "client_secret": "cs-SECRET-3"},
                "resource": "https://mcp.linear.app/",
                "scope": "read"
            }
        }
    })
}

fn create_one(store: &vaultstore::VaultStore, body: &Value) -> Value {
    let cred = CreateCredential::from_json(&body.to_string()).expect("parses");
    let vault = store
        .create_vault(CreateVault::new("v", vec![cred]))
        .expect("create");
    serde_json::to_value(&vault.credentials.expect("credentials")[0]).expect("json")
}

fn the_auth_shape_answers_every_non_secret_field_and_no_secret(backend: &Backend) {
    let (_dir, store) = backend.store();
    let answer = create_one(&store, &oauth_body());
    assert_no_secret(&answer.to_string());
    assert_eq!(answer["type"], "mcp_oauth");
    assert_eq!(
        answer["protocol"], "streamable_http",
        "the auth shape's default"
    );
    assert_eq!(answer["display_name"], "linear");
    assert_eq!(answer["metadata"], json!({"team": "agents"}));
    assert_eq!(
        answer["expires_at"], "2099-01-02T03:04:05.123456Z",
        "stored and answered in UTC"
    );
    assert_eq!(
        answer["refresh"],
        json!({
            "client_id": "client-1",
            "token_endpoint": "https://linear.app/oauth/token",
            "token_endpoint_auth": {"type": "client_secret_post"},
            "resource": "https://mcp.linear.app/",
            "scope": "read"
        })
    );
    assert_eq!(
        answer["refresh_state"],
        json!({"needs_reauthorization": false})
    );
}

fn the_flat_shape_takes_mcp_oauth_display_name_and_metadata(backend: &Backend) {
    let (_dir, store) = backend.store();
    let body = json!({
        "mcp_server_url": "https://mcp.example.com/sse",
        "protocol": "sse",
        "type": "mcp_oauth",
        "access_token": "at-SECRET-1",
        "expires_at": "2099-01-01T00:00:00Z",
        "refresh": {"client_id": "c", "refresh_token": "rt-SECRET-2",
                    "token_endpoint": "https://auth.example.com/token"},
        "display_name": "flat",
        "metadata": {"k": "v"}
    });
    let answer = create_one(&store, &body);
    assert_eq!(answer["protocol"], "sse");
    assert_eq!(answer["display_name"], "flat");
    assert_eq!(
        answer["refresh"]["token_endpoint_auth"],
        json!({"type": "none"})
    );
    assert!(answer["refresh"].get("scope").is_none());
}

fn a_static_bearer_in_the_auth_shape_resolves(backend: &Backend) {
    let (_dir, store) = backend.store();
    let body = json!({"auth": {"type": "static_bearer", "mcp_server_url": "https://a.example/mcp",
                               "token": "at-SECRET-1"}});
    let answer = create_one(&store, &body);
    assert_eq!(answer["type"], "static_bearer");
    assert_eq!(answer["metadata"], json!({}));
    assert!(answer.get("refresh").is_none() && answer.get("expires_at").is_none());
    let vault = answer["vault_id"].as_str().expect("vault");
    let session = store.session(&[vault]).expect("session");
    let token = session
        .bearer_token("https://a.example/mcp")
        .expect("lookup")
        .expect("token");
    use vaultstore::secrecy::ExposeSecret;
    assert_eq!(token.expose_secret(), "at-SECRET-1");
}

/// (body, the field the error must name, words the message must hold)
fn bad_bodies() -> Vec<(Value, &'static str, &'static str)> {
    let mut missing_client = oauth_body();
    missing_client["auth"]["refresh"]
        .as_object_mut()
        .expect("obj")
        .remove("client_id");
    let mut number_token = oauth_body();
    number_token["auth"]["access_token"] = json!(1234567890123456u64);
    let mut object_secret = oauth_body();
    object_secret["auth"]["refresh"]["token_endpoint_auth"]["client_secret"] =
        json!({"cs-SECRET-3": 1});
    let mut typo = oauth_body();
    typo["auth"]["refresh"]["scpoe"] = json!("read");
    let mut bad_method = oauth_body();
    bad_method["auth"]["refresh"]["token_endpoint_auth"]["type"] = json!("private_key_jwt");
    let mut past = oauth_body();
    past["auth"]["expires_at"] = json!("2001-01-01T00:00:00Z");
    let mut not_time = oauth_body();
    not_time["auth"]["expires_at"] = json!("tomorrow");
    let mut http_endpoint = oauth_body();
    http_endpoint["auth"]["refresh"]["token_endpoint"] = json!("http://linear.app/token");
    let mut token_in_oauth = oauth_body();
    token_in_oauth["auth"]["token"] = json!("at-SECRET-1");
    let mut empty_secret = oauth_body();
    empty_secret["auth"]["refresh"]["refresh_token"] = json!("");
    let wrap = |c: Value| {
        json!({"display_name": "v", "credentials": [
        {"mcp_server_url": "https://ok.example/", "protocol": "sse", "type": "static_bearer",
         "access_token": "at-SECRET-1"}, c]})
    };
    vec![
        (
            wrap(missing_client),
            "credentials[1].auth.refresh.client_id",
            "is required",
        ),
        (
            wrap(number_token),
            "credentials[1].auth.access_token",
            "must be a string, got a number",
        ),
        (
            wrap(object_secret),
            "credentials[1].auth.refresh.token_endpoint_auth.client_secret",
            "must be a string",
        ),
        (
            wrap(typo),
            "credentials[1].auth.refresh.scpoe",
            "unknown field",
        ),
        (
            wrap(bad_method),
            "credentials[1].auth.refresh.token_endpoint_auth.type",
            "client_secret_basic",
        ),
        (
            wrap(past),
            "credentials[1].auth.expires_at",
            "in the future",
        ),
        (wrap(not_time), "credentials[1].auth.expires_at", "RFC 3339"),
        (
            wrap(http_endpoint),
            "credentials[1].auth.refresh.token_endpoint",
            "https",
        ),
        (
            wrap(token_in_oauth),
            "credentials[1].auth.token",
            "access_token",
        ),
        (
            wrap(empty_secret),
            "credentials[1].auth.refresh.refresh_token",
            "1–8192 bytes, got 0",
        ),
        (
            json!({"display_name": "v", "metdata": {}}),
            "metdata",
            "unknown field",
        ),
        (json!([]), "body", "must be a JSON object, got an array"),
        (
            json!({"display_name": "v", "credentials": {}}),
            "credentials",
            "must be an array",
        ),
    ]
}

fn bad_bodies_name_the_path_and_rule_and_never_a_secret(backend: &Backend) {
    let (_dir, store) = backend.store();
    for (body, field, words) in bad_bodies() {
        let err = CreateVault::from_json(&body.to_string())
            .and_then(|req| store.create_vault(req))
            .expect_err(field);
        assert_eq!(err.api_type(), "invalid_request_error", "{err}");
        assert_eq!(err.field(), Some(field), "{err}");
        let text = err.to_string();
        assert!(text.contains(words), "{field}: {text}");
        assert!(
            !text.contains("expected struct") && !text.contains("invalid length"),
            "{text}"
        );
        assert_no_secret(&text);
        assert_no_secret(&format!("{err:?}"));
    }
}

#[test]
fn serde_and_from_json_agree() {
    let body = oauth_body().to_string();
    let via_serde: CreateCredential = serde_json::from_str(&body).expect("serde");
    let via_json = CreateCredential::from_json(&body).expect("from_json");
    assert_eq!(format!("{via_serde:?}"), format!("{via_json:?}"));
    let err = serde_json::from_str::<UpdateVault>(r#"{"metdata": {}}"#).expect_err("unknown");
    assert!(err.to_string().contains("metdata: unknown field"), "{err}");
}

#[test]
fn debug_of_requests_never_shows_a_secret() {
    let cred = CreateCredential::from_json(&oauth_body().to_string()).expect("parses");
    assert_no_secret(&format!("{cred:?}"));
    let update = UpdateCredential::from_json(
        r#"{"auth": {"type": "mcp_oauth", "access_token": "at-SECRET-1",
             "refresh": {"refresh_token": "rt-SECRET-2", "token_endpoint_auth":
             {"type": "client_secret_basic", "client_secret": "cs-SECRET-3"}}}}"#,
    )
    .expect("parses");
    assert_no_secret(&format!("{update:?}"));
}

fn oauth_vault(store: &vaultstore::VaultStore) -> (String, String) {
    let answer = create_one(store, &oauth_body());
    (
        answer["vault_id"].as_str().expect("v").to_owned(),
        answer["id"].as_str().expect("c").to_owned(),
    )
}

fn update(
    store: &vaultstore::VaultStore,
    ids: &(String, String),
    body: Value,
) -> vaultstore::Result<Value> {
    let update = UpdateCredential::from_json(&body.to_string())?;
    let cred = store.update_credential(&ids.0, &ids.1, update)?;
    Ok(serde_json::to_value(cred).expect("json"))
}

fn update_changes_names_metadata_scope_and_secrets_in_place(backend: &Backend) {
    let (_dir, store) = backend.store();
    let ids = oauth_vault(&store);
    let before = store.get_credential(&ids.0, &ids.1).expect("get");
    let answer = update(
        &store,
        &ids,
        json!({"display_name": null, "metadata": {"team": null, "env": "prod"},
               "auth": {"type": "mcp_oauth", "access_token": "at-NEW",
                        "expires_at": null, "refresh": {"scope": ""}}}),
    )
    .expect("update");
    assert!(answer.get("display_name").is_none(), "{answer}");
    assert_eq!(answer["metadata"], json!({"env": "prod"}));
    assert!(
        answer.get("expires_at").is_none(),
        "expiry now unknown: {answer}"
    );
    assert!(
        answer["refresh"].get("scope").is_none(),
        "an empty scope clears it"
    );
    assert_eq!(answer["refresh"]["client_id"], "client-1");
    assert!(answer["updated_at"].as_str() > Some(&*vaultstore_time(&before)));
    let session = store.session(&[&ids.0]).expect("session");
    use vaultstore::secrecy::ExposeSecret;
    let token = session
        .bearer_token("https://mcp.linear.app/mcp")
        .expect("lookup")
        .expect("some");
    assert_eq!(token.expose_secret(), "at-NEW");
}

fn vaultstore_time(cred: &vaultstore::VaultCredential) -> String {
    serde_json::to_value(cred).expect("json")["updated_at"]
        .as_str()
        .expect("time")
        .to_owned()
}

fn update_refuses_what_cannot_change(backend: &Backend) {
    let (_dir, store) = backend.store();
    let ids = oauth_vault(&store);
    let cases = [
        (
            json!({"auth": {"type": "static_bearer", "token": "x"}}),
            "auth.type",
        ),
        (
            json!({"auth": {"type": "mcp_oauth", "mcp_server_url": "https://x/"}}),
            "auth.mcp_server_url",
        ),
        (
            json!({"auth": {"type": "mcp_oauth", "refresh": {"client_id": "other"}}}),
            "auth.refresh.client_id",
        ),
        (json!({"mcp_server_url": "https://x/"}), "mcp_server_url"),
        (json!({"display_name": ""}), "display_name"),
        (
            json!({"auth": {"type": "mcp_oauth", "access_token": 5}}),
            "auth.access_token",
        ),
    ];
    for (body, field) in cases {
        let err = update(&store, &ids, body.clone()).expect_err(field);
        assert_eq!(err.field(), Some(field), "{body}: {err}");
    }
    // A public client has no secret to change; a credential without refresh settings
    // takes no refresh secrets.
    let (_d2, other) = store_with_public_client();
    let err = update(
        &other.0,
        &other.1,
        json!({"auth": {"type": "mcp_oauth", "refresh": {"token_endpoint_auth":
              {"type": "client_secret_basic", "client_secret": "cs-SECRET-3"}}}}),
    )
    .expect_err("public client");
    assert_eq!(
        err.field(),
        Some("auth.refresh.token_endpoint_auth.client_secret")
    );
    assert_no_secret(&err.to_string());
    // Archived: refused.
    store.archive_credential(&ids.0, &ids.1).expect("archive");
    let err = update(&store, &ids, json!({"display_name": "x"})).expect_err("archived");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
    let err =
        update(&store, &(ids.0.clone(), "vcred_nope".into()), json!({})).expect_err("missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

fn store_with_public_client() -> (
    tempfile::TempDir,
    (vaultstore::VaultStore, (String, String)),
) {
    let (dir, store) = store();
    let mut body = oauth_body();
    body["auth"]["refresh"]["token_endpoint_auth"] = json!({"type": "none"});
    let answer = create_one(&store, &body);
    let ids = (
        answer["vault_id"].as_str().expect("v").to_owned(),
        answer["id"].as_str().expect("c").to_owned(),
    );
    (dir, (store, ids))
}

fn a_static_token_rotates_in_place(backend: &Backend) {
    let (_dir, store) = backend.store();
    let vault = vault_with(&store, "v", "https://a.example/", "old-token");
    let id = vault.credentials.as_ref().expect("c")[0].id.clone();
    let ids = (vault.id.clone(), id);
    update(
        &store,
        &ids,
        json!({"auth": {"type": "static_bearer", "token": "new-token"}}),
    )
    .expect("update");
    let session = store.session(&[&vault.id]).expect("session");
    use vaultstore::secrecy::ExposeSecret;
    let token = session
        .bearer_token("https://a.example/")
        .expect("lookup")
        .expect("some");
    assert_eq!(token.expose_secret(), "new-token");
    assert!(store.verify().expect("verify").is_ok());
}

conformance!(
    the_auth_shape_answers_every_non_secret_field_and_no_secret,
    the_flat_shape_takes_mcp_oauth_display_name_and_metadata,
    a_static_bearer_in_the_auth_shape_resolves,
    bad_bodies_name_the_path_and_rule_and_never_a_secret,
    update_changes_names_metadata_scope_and_secrets_in_place,
    update_refuses_what_cannot_change,
    a_static_token_rotates_in_place,
);
