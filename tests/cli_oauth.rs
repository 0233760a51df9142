//! Guards the CLI's `mcp_oauth` credentials: added from flags and secret files or from a
//! JSON body in either shape, shown with every non-secret field and no secret, updated in
//! place, refreshed by `resolve` against a real local token endpoint, and a refused
//! refresh reported with its own exit code, naming the credential and no token.
#![cfg(feature = "cli")]

mod cli_support;
mod oauth_support;

use cli_support::*;
use oauth_support::TokenServer;
use serde_json::Value;

const URL: &str = "https://mcp.example.com/mcp";
const ACCESS: &str = "acc_SUPERSECRET_0c5f3a";
const NEW_ACCESS: &str = "acc_SUPERSECRET_rotated_77e1";
const REFRESH: &str = "ref_SUPERSECRET_9b2d41";
const CLIENT_SECRET: &str = "cs_SUPERSECRET_4e8a10";
/// Exit code of a failed refresh.
const REFRESH_FAILED: i32 = 10;
/// A loopback endpoint nothing listens on: fine while no refresh is due.
const IDLE_ENDPOINT: &str = "http://127.0.0.1:9/oauth/token";

/// Fails if any secret (ours, or one the token endpoint issued) shows in the output.
fn assert_clean(what: &str, out: &str, err: &str) {
    for secret in [
        ACCESS,
        NEW_ACCESS,
        REFRESH,
        CLIENT_SECRET,
        "access-1",
        "refresh-1",
    ] {
        assert!(
            !out.contains(secret),
            "{what}: stdout shows {secret}: {out}"
        );
        assert!(
            !err.contains(secret),
            "{what}: stderr shows {secret}: {err}"
        );
    }
}

/// Runs with `--json`, expects success and no secret in the output, parses stdout.
fn clean_json(env: &Env, args: &[&str], stdin: &str) -> Value {
    let (code, out, err) = env.run(args, stdin);
    assert_eq!(code, 0, "{args:?}: {err}");
    assert_clean(&format!("{args:?}"), &out, &err);
    serde_json::from_str(&out).expect("JSON")
}

/// Runs without `--json`, expects success and no secret in the output.
fn clean_text(env: &Env, args: &[&str]) -> String {
    let (code, out, err) = split(env.cmd().args(args).output().expect("runs"));
    assert_eq!(code, 0, "{args:?}: {err}");
    assert_clean(&format!("{args:?}"), &out, &err);
    out
}

fn secret_file(env: &Env, name: &str, text: &str) -> String {
    let path = env.path(name);
    write(&path, &format!("{text}\n"));
    path.to_str().expect("utf-8 path").to_owned()
}

/// `credential add` of an mcp_oauth credential from flags; returns its JSON answer.
fn add_oauth(env: &Env, vault: &str, endpoint: &str, expires_in: &str) -> Value {
    let access = secret_file(env, "access.token", ACCESS);
    let refresh = secret_file(env, "refresh.token", REFRESH);
    let client = secret_file(env, "client.secret", CLIENT_SECRET);
    let args = [
        "credential",
        "add",
        vault,
        "--type",
        "mcp_oauth",
        "--url",
        URL,
        "--protocol",
        "streamable_http",
        "--display-name",
        "Linear",
        "--metadata",
        "team=infra",
        "--token-file",
        &access,
        "--expires-in",
        expires_in,
        "--client-id",
        "my-client",
        "--token-endpoint",
        endpoint,
        "--auth",
        "client_secret_post",
        "--client-secret-file",
        &client,
        "--refresh-token-file",
        &refresh,
        "--scope",
        "read write",
        "--resource",
        "https://mcp.example.com/",
    ];
    clean_json(env, &args, "")
}

fn reveal(env: &Env, vault: &str) -> Value {
    let (code, out, err) = env.run(&["resolve", "--vault", vault, "--url", URL, "--reveal"], "");
    assert_eq!(code, 0, "resolve: {err}");
    serde_json::from_str(&out).expect("JSON")
}

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

#[test]
fn add_from_flags_and_secret_files_shows_every_field_but_no_secret() {
    let env = Env::new();
    let vault = env.vault("v", "https://other.example.com/mcp");
    let cred = add_oauth(&env, &vault, IDLE_ENDPOINT, "3600");
    let got = clean_json(&env, &["credential", "get", &vault, id(&cred)], "");
    assert_eq!(got, cred);
    assert_eq!(got["type"], "mcp_oauth");
    assert_eq!(got["display_name"], "Linear");
    assert_eq!(got["metadata"]["team"], "infra");
    assert!(got["expires_at"].is_string());
    let refresh = &got["refresh"];
    assert_eq!(refresh["client_id"], "my-client");
    assert_eq!(refresh["token_endpoint"], IDLE_ENDPOINT);
    assert_eq!(refresh["token_endpoint_auth"]["type"], "client_secret_post");
    assert_eq!(refresh["scope"], "read write");
    assert_eq!(refresh["resource"], "https://mcp.example.com/");
    assert_eq!(got["refresh_state"]["needs_reauthorization"], false);

    let text = clean_text(&env, &["credential", "get", &vault, id(&cred)]);
    for line in [
        "display_name",
        "Linear",
        "team=infra",
        "expires_at",
        "client_id",
        "my-client",
        "client_secret_post",
        "read write",
        "needs_reauthorization",
    ] {
        assert!(text.contains(line), "missing {line}: {text}");
    }
    let list = clean_text(&env, &["credential", "list", &vault]);
    assert!(
        list.contains("mcp_oauth") && list.contains("(Linear)"),
        "{list}"
    );

    // Fresh for an hour: resolve hands out the token as given, with its type and expiry.
    let found = reveal(&env, &vault);
    assert_eq!(found["access_token"], ACCESS);
    assert_eq!(found["type"], "mcp_oauth");
    assert_eq!(found["expires_at"], got["expires_at"]);
}

#[test]
fn add_reads_a_json_body_in_either_shape() {
    let env = Env::new();
    let vault = env.vault("v", "https://other.example.com/mcp");
    let flat = format!(
        r#"{{"mcp_server_url": "{URL}", "protocol": "sse", "type": "mcp_oauth",
            "access_token": "{ACCESS}", "display_name": "flat",
            "refresh": {{"client_id": "c1", "refresh_token": "{REFRESH}",
                         "token_endpoint": "{IDLE_ENDPOINT}"}}}}"#
    );
    // No --url and stdin not a terminal: the body comes on stdin.
    let cred = clean_json(&env, &["credential", "add", &vault], &flat);
    assert_eq!(cred["display_name"], "flat");
    assert_eq!(cred["protocol"], "sse");
    assert_eq!(cred["refresh"]["client_id"], "c1");
    assert_eq!(reveal(&env, &vault)["access_token"], ACCESS);
    clean_json(&env, &["credential", "delete", &vault, id(&cred)], "");

    let auth = format!(
        r#"{{"display_name": "auth", "metadata": {{"k": "v"}},
            "auth": {{"type": "mcp_oauth", "mcp_server_url": "{URL}",
                      "access_token": "{NEW_ACCESS}", "expires_at": "2999-01-01T00:00:00Z",
                      "refresh": {{"client_id": "c2", "refresh_token": "{REFRESH}",
                                   "token_endpoint": "{IDLE_ENDPOINT}",
                                   "token_endpoint_auth": {{"type": "client_secret_basic",
                                                           "client_secret": "{CLIENT_SECRET}"}}}}}}}}"#
    );
    let file = secret_file(&env, "credential.json", &auth);
    let cred = clean_json(&env, &["credential", "add", &vault, "--body", &file], "");
    assert_eq!(cred["display_name"], "auth");
    assert_eq!(cred["protocol"], "streamable_http");
    assert_eq!(cred["metadata"]["k"], "v");
    assert_eq!(cred["expires_at"], "2999-01-01T00:00:00.000000Z");
    assert_eq!(
        cred["refresh"]["token_endpoint_auth"]["type"],
        "client_secret_basic"
    );
    assert_eq!(reveal(&env, &vault)["access_token"], NEW_ACCESS);

    // vault create takes the auth shape for its credentials too.
    let body = format!(r#"{{"display_name": "w", "credentials": [{auth}]}}"#);
    let created = clean_json(&env, &["vault", "create", "--body", "-"], &body);
    assert_eq!(created["credentials"][0]["type"], "mcp_oauth");
    assert_eq!(created["credentials"][0]["refresh"]["client_id"], "c2");

    // A bad body names the field, never the secret.
    let bad = flat.replace("\"c1\"", "7");
    let (code, out, err) = env.run(&["credential", "add", &vault, "--body", "-"], &bad);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("refresh.client_id"), "{err}");
    assert_clean("bad body", &out, &err);
}

#[test]
fn update_rotates_the_token_and_clears_the_scope() {
    let env = Env::new();
    let vault = env.vault("v", "https://other.example.com/mcp");
    let cred = add_oauth(&env, &vault, IDLE_ENDPOINT, "3600");
    let cred_id = id(&cred);

    let update = ["credential", "update", &vault, cred_id];
    let args = [&update[..], &["--token-stdin", "--expires-in", "7200"]].concat();
    let updated = clean_json(&env, &args, &format!("{NEW_ACCESS}\n"));
    assert_ne!(updated["expires_at"], cred["expires_at"]);
    assert_eq!(reveal(&env, &vault)["access_token"], NEW_ACCESS);

    let args = [&update[..], &["--scope", ""]].concat();
    let updated = clean_json(&env, &args, "");
    assert!(updated["refresh"].get("scope").is_none(), "{updated}");
    assert_eq!(updated["refresh"]["client_id"], "my-client");

    let args = [&update[..], &["--display-name", "L2", "--metadata", "a=1"]].concat();
    let updated = clean_json(&env, &args, "");
    assert_eq!(updated["display_name"], "L2");
    assert_eq!(updated["metadata"]["a"], "1");
    let args = [
        &update[..],
        &[
            "--unset-display-name",
            "--unset-metadata",
            "a",
            "--unset-expires-at",
        ],
    ]
    .concat();
    let updated = clean_json(&env, &args, "");
    assert!(updated.get("display_name").is_none(), "{updated}");
    assert!(updated["metadata"].get("a").is_none(), "{updated}");
    assert!(updated.get("expires_at").is_none(), "{updated}");

    // The API's update body, on stdin.
    let body = format!(r#"{{"auth": {{"type": "mcp_oauth", "access_token": "{ACCESS}"}}}}"#);
    let args = [&update[..], &["--body", "-"]].concat();
    clean_json(&env, &args, &body);
    assert_eq!(reveal(&env, &vault)["access_token"], ACCESS);

    // Nothing to change, and OAuth flags on a static credential, are refused.
    env.fails(&update, "", USAGE);
    let page = clean_json(&env, &["credential", "list", &vault], "");
    let static_id = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|c| c["type"] == "static_bearer")
        .and_then(|c| c["id"].as_str())
        .expect("the static credential")
        .to_owned();
    let err = env.fails(
        &["credential", "update", &vault, &static_id, "--scope", "x"],
        "",
        INVALID,
    );
    assert!(err.to_string().contains("only for mcp_oauth"), "{err}");
}

#[test]
fn secrets_on_the_command_line_are_refused() {
    let env = Env::new();
    let vault = env.vault("v", "https://other.example.com/mcp");
    let add = [
        "credential",
        "add",
        vault.as_str(),
        "--type",
        "mcp_oauth",
        "--url",
        URL,
    ];
    let update = ["credential", "update", vault.as_str(), "vcred_x"];
    for flag in [
        "--refresh-token",
        "--client-secret",
        "--access-token",
        "--token",
    ] {
        for command in [&add[..], &update[..]] {
            let spaced = [command, &[flag, REFRESH]].concat();
            let joined = format!("{flag}={REFRESH}");
            let glued = [command, &[joined.as_str()]].concat();
            for args in [spaced, glued] {
                let (code, out, err) = env.run(&args, "");
                assert_eq!(code, USAGE, "{args:?}: {err}");
                assert!(err.contains(flag), "{args:?}: {err}");
                assert!(err.contains("never taken from the command line"), "{err}");
                assert_clean(&format!("{args:?}"), &out, &err);
            }
        }
    }
    // OAuth flags need --type mcp_oauth; secret files need the refresh settings.
    let token = secret_file(&env, "access.token", ACCESS);
    let base = [
        "credential",
        "add",
        &vault,
        "--url",
        URL,
        "--protocol",
        "sse",
    ];
    let err = env.fails(
        &[&base[..], &["--expires-in", "60", "--token-file", &token]].concat(),
        "",
        USAGE,
    );
    assert!(err.to_string().contains("--type mcp_oauth"), "{err}");
    let args = [
        &base[..],
        &["--type", "mcp_oauth", "--refresh-token-file", &token],
    ]
    .concat();
    let err = env.fails(&args, "", USAGE);
    assert!(err.to_string().contains("--client-id"), "{err}");
    // clap's own check, its whole message under --json.
    let args = [&base[..], &["--type", "mcp_oauth", "--scope", "x"]].concat();
    let err = env.fails(&args, "", USAGE);
    assert!(err.to_string().contains("--client-id"), "{err}");
}

#[test]
fn resolve_refreshes_an_expired_token_at_the_endpoint() {
    let env = Env::new();
    let server = TokenServer::start(REFRESH);
    server.require_client_secret(CLIENT_SECRET);
    let vault = env.vault("v", "https://other.example.com/mcp");
    // Due at once: 30 s left is inside the 60 s refresh margin.
    let cred = add_oauth(&env, &vault, &server.url, "30");

    let (code, out, err) = env.run(&["resolve", "--vault", &vault, "--url", URL], "");
    assert_eq!(code, 0, "{err}");
    assert_clean("resolve", &out, &err);
    let found: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(found["type"], "mcp_oauth");
    assert_ne!(found["expires_at"], cred["expires_at"]);
    assert_eq!(server.request_count(), 1);
    let seen = &server.requests()[0];
    assert_eq!(seen.form["refresh_token"], REFRESH);
    assert_eq!(seen.form["scope"], "read write");

    // Stored: the next resolve hands out the new token without a request.
    assert_eq!(reveal(&env, &vault)["access_token"], "access-1");
    assert_eq!(server.request_count(), 1);
    let got = clean_json(&env, &["credential", "get", &vault, id(&cred)], "");
    assert!(
        got["refresh_state"]["last_refreshed_at"].is_string(),
        "{got}"
    );
}

#[test]
fn a_refused_refresh_has_its_own_exit_code_and_names_the_credential() {
    let env = Env::new();
    // The endpoint knows another refresh token: ours gets invalid_grant.
    let server = TokenServer::start("someone-elses-refresh-token");
    server.require_client_secret(CLIENT_SECRET);
    let vault = env.vault("v", "https://other.example.com/mcp");
    let cred = add_oauth(&env, &vault, &server.url, "30");
    let cred_id = id(&cred);

    for reveal in [false, true] {
        let mut args = vec!["resolve", "--vault", &vault, "--url", URL];
        args.extend(reveal.then_some("--reveal"));
        let (code, out, err) = split(env.cmd().args(&args).output().expect("runs"));
        assert_eq!(code, REFRESH_FAILED, "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(cred_id), "{err}");
        assert!(err.contains("could not be refreshed"), "{err}");
        assert!(err.contains("credential update"), "{err}");
        assert_clean("refused refresh", &out, &err);
    }
    let envelope = env.fails(
        &["resolve", "--vault", &vault, "--url", URL],
        "",
        REFRESH_FAILED,
    );
    assert!(envelope["error"]["message"]
        .as_str()
        .expect("message")
        .contains(cred_id));

    let got = clean_json(&env, &["credential", "get", &vault, cred_id], "");
    assert_eq!(got["refresh_state"]["needs_reauthorization"], true);
    assert_eq!(got["refresh_state"]["last_error"]["code"], "invalid_grant");
    let text = clean_text(&env, &["credential", "get", &vault, cred_id]);
    assert!(text.contains("invalid_grant"), "{text}");
    let list = clean_text(&env, &["credential", "list", &vault]);
    assert!(list.contains("reauth"), "{list}");
}
