//! The whole product in one run: make a store, create a vault from the hosted API's own
//! JSON body, add a credential, list, open a session and resolve tokens, rotate the key,
//! archive, and reopen.
//!
//! `cargo run --example quickstart` works in a fresh temporary directory.
//! `cargo run --example quickstart -- DIR` keeps the store (and a key file) in DIR.

use std::path::PathBuf;

use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{CreateCredential, CreateVault, ListParams, MasterKey, Protocol, VaultStore};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map_or_else(|| temp.path().join("store"), PathBuf::from);
    let key_file = dir.with_extension("key");
    if !key_file.exists() {
        MasterKey::generate().write_to_file(&key_file)?;
    }
    let store = VaultStore::builder(&dir).key_file(&key_file).open()?;
    println!(
        "store: {}  (key file: {})",
        dir.display(),
        key_file.display()
    );

    // The hosted API's create body, as its documentation shows it.
    let body = r#"{
        "display_name": "my-mcp-vault",
        "credentials": [{
            "mcp_server_url": "https://example.com/mcp",
            "protocol": "sse",
            "type": "static_bearer",
            "access_token": "your-access-token"
        }]
    }"#;
    let vault = store.create_vault(CreateVault::from_json(body)?)?;
    println!("\ncreated:\n{}", serde_json::to_string_pretty(&vault)?);

    let jira = store.add_credential(
        &vault.id,
        CreateCredential::static_bearer(
            "https://jira.example.com/mcp/sse",
            Protocol::StreamableHttp,
            SecretString::from("jira_token_xxxxxxxx".to_owned()),
        ),
    )?;
    println!("\nadded credential {} for {}", jira.id, jira.mcp_server_url);

    let page = store.list_vaults(&ListParams::default())?;
    println!("\nlist_vaults:\n{}", serde_json::to_string_pretty(&page)?);

    let session = store.session(&[&vault.id])?;
    for url in [
        "https://example.com/mcp",
        "https://jira.example.com/mcp/sse",
        "https://other.example/mcp",
    ] {
        let token = session.bearer_token(url)?;
        // A real runtime sends the token; this example shows only its length.
        let shown = token.map(|t| format!("a token of {} bytes", t.expose_secret().len()));
        println!(
            "session resolves {url}: {}",
            shown.as_deref().unwrap_or("no credential")
        );
    }

    // Rotation: write the new key down first, rotate, then make it the key file.
    let next_key_file = dir.with_extension("key.next");
    MasterKey::generate().write_to_file(&next_key_file)?;
    let report = store.rotate_key(MasterKey::from_file(&next_key_file)?)?;
    std::fs::rename(&next_key_file, &key_file)?;
    println!(
        "\nrotated to key {}: {} tokens re-sealed",
        report.key_id, report.tokens_resealed
    );

    let archived = store.archive_credential(&vault.id, &jira.id)?;
    // The API's spelling of the status ("archived"), not Rust's Debug form.
    let status = serde_json::to_value(archived.status)?;
    println!(
        "archived {}: status {}",
        archived.id,
        status.as_str().unwrap_or_default()
    );
    println!(
        "after archive the session resolves jira: {}",
        session
            .bearer_token("https://jira.example.com/mcp/sse")?
            .is_some()
    );

    let verify = store.verify()?;
    println!(
        "\nverify: {} vaults, {} credentials, {} tokens open, problems: {:?}",
        verify.vaults, verify.credentials, verify.tokens_opened, verify.problems
    );
    Ok(())
}
