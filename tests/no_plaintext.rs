//! Guards that a token never appears in plaintext: not in any file of the store, not in
//! any Debug output, JSON answer or error message.

mod common;
mod oauth_support;
use common::*;
use vaultstore::{CreateCredential, CreateVault, ListParams};

const TOKEN: &str = "ghp_PLAINTEXT_CANARY_3f9a1c7e5b2d";

fn files_contain(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    hits.push(path.display().to_string());
                }
            }
        }
    }
    hits
}

#[test]
fn no_store_file_holds_a_token_in_plaintext() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let store = open(&dir);
        for i in 0..50 {
            vault_with(
                &store,
                &format!("v{i}"),
                &format!("https://s{i}.example/"),
                &format!("{TOKEN}{i}"),
            );
        }
        let v = vault_with(&store, "archived", "https://arch.example/", TOKEN);
        store.archive_vault(&v.id).expect("archive");
        store.flush().expect("flush");
    }
    drop(open(&dir)); // sled writes a snapshot at close and at open
    assert_eq!(
        files_contain(dir.path(), TOKEN.as_bytes()),
        Vec::<String>::new()
    );
    // The canary is findable when it is there: the scan itself works.
    std::fs::write(dir.path().join("probe"), TOKEN).expect("write probe");
    assert_eq!(files_contain(dir.path(), TOKEN.as_bytes()).len(), 1);
}

#[test]
fn no_answer_debug_or_error_shows_a_token() {
    let (_dir, store) = store();
    let req = CreateVault::new("v", vec![credential("https://a.example/", TOKEN)]);
    let req_debug = format!("{req:?}");
    let vault = store.create_vault(req).expect("create");
    let cred_req = CreateCredential::from_json(&format!(
        r#"{{"mcp_server_url": "https://b.example/", "protocol": "sse", "type": "static_bearer", "access_token": "{TOKEN}"}}"#
    ))
    .expect("parses");
    let cred_debug = format!("{cred_req:?}");
    let cred = store.add_credential(&vault.id, cred_req).expect("add");
    let session = store.session(&[&vault.id]).expect("session");
    let resolved = session
        .resolve("https://a.example/")
        .expect("lookup")
        .expect("found");

    let mut shown = vec![
        req_debug,
        cred_debug,
        format!("{vault:?}"),
        format!("{cred:?}"),
        format!("{session:?}"),
        format!("{resolved:?}"),
        format!("{:?}", resolved.token),
        serde_json::to_string(&vault).expect("json"),
        serde_json::to_string(
            &store
                .list_credentials(&vault.id, &ListParams::default())
                .expect("l"),
        )
        .expect("json"),
    ];
    // Errors raised while a token is in play.
    let dup = store
        .add_credential(&vault.id, credential("https://a.example/", TOKEN))
        .expect_err("dup");
    let long = store
        .add_credential(
            &vault.id,
            credential("https://c.example/", &TOKEN.repeat(300)),
        )
        .expect_err("long");
    let body = format!(r#"{{"display_name": 5, "credentials": [{{"access_token": "{TOKEN}"}}]}}"#);
    let parse = CreateVault::from_json(&body).expect_err("bad body");
    for err in [dup, long, parse] {
        shown.push(err.to_string());
        shown.push(format!("{err:?}"));
        shown.push(err.envelope().to_string());
    }
    for text in shown {
        assert!(!text.contains(TOKEN), "token leaked in: {text}");
    }
}

#[test]
fn no_store_file_holds_an_oauth_secret_in_plaintext_even_after_a_refresh() {
    use vaultstore::secrecy::SecretString;
    use vaultstore::{ClientAuth, OAuthRefresh, OAuthTokens, Protocol};
    let server = oauth_support::TokenServer::start("rt_PLAINTEXT_CANARY_refresh_9d1e");
    let access = "at_PLAINTEXT_CANARY_access_77c2";
    let refresh = "rt_PLAINTEXT_CANARY_refresh_9d1e";
    let client_secret = "cs_PLAINTEXT_CANARY_secret_5ab0";
    let dir = tempfile::tempdir().expect("dir");
    {
        let store = open(&dir);
        let mut settings = OAuthRefresh::new(
            "client",
            SecretString::from(refresh.to_owned()),
            &server.url,
        );
        settings.token_endpoint_auth =
            ClientAuth::ClientSecretPost(SecretString::from(client_secret.to_owned()));
        let cred = CreateCredential::mcp_oauth(
            "https://o.example/",
            Protocol::Sse,
            OAuthTokens::new(SecretString::from(access.to_owned()))
                .expires_at(chrono::Utc::now() + chrono::Duration::seconds(5))
                .refresh(settings),
        );
        let vault = store
            .create_vault(CreateVault::new("oauth", vec![cred]))
            .expect("create");
        let session = store.session(&[&vault.id]).expect("session");
        assert!(session
            .bearer_token("https://o.example/")
            .expect("refresh")
            .is_some());
        store.flush().expect("flush");
    }
    drop(open(&dir));
    for canary in [access, refresh, client_secret, "refresh-1"] {
        assert_eq!(
            files_contain(dir.path(), canary.as_bytes()),
            Vec::<String>::new(),
            "{canary}"
        );
    }
}
