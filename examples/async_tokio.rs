//! Calling the store from tokio. The store is synchronous: sled reads may wait on the
//! disk and every durable write ends in an fsync, so each call runs on tokio's blocking
//! pool (`spawn_blocking`) and the runtime's worker threads stay free for other tasks.
//!
//! `cargo run --example async_tokio` works in a fresh temporary directory.

use std::error::Error;

use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{CreateCredential, CreateVault, MasterKey, Protocol, VaultStore};

type AnyError = Box<dyn Error + Send + Sync>;

const URL: &str = "https://mcp.github.com/sse";

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("store");

    // Opening creates files and takes the store's lock (with a passphrase it also runs
    // Argon2): blocking work too. Open once and clone the handle; a second open of the
    // same directory is refused as locked.
    let store =
        tokio::task::spawn_blocking(move || VaultStore::open(dir, MasterKey::generate())).await??;

    let vault = blocking(&store, |store| {
        store.create_vault(CreateVault::new(
            "github",
            vec![CreateCredential::static_bearer(
                URL,
                Protocol::Sse,
                SecretString::from("ghp_example".to_owned()),
            )],
        ))
    })
    .await?;
    println!(
        "created {} (a durable write: flushed and fsynced)",
        vault.id
    );

    let session = blocking(&store, move |store| store.session(&[vault.id])).await?;

    // Many lookups at once, each on the blocking pool. A session is cheap to clone.
    let mut lookups = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let session = session.clone();
        lookups.spawn_blocking(move || session.bearer_token(URL));
    }
    while let Some(joined) = lookups.join_next().await {
        let token = joined??.ok_or("no credential for the URL")?;
        // A real runtime sends the token; this example shows only its length.
        println!("resolved a token of {} bytes", token.expose_secret().len());
    }
    Ok(())
}

/// Runs one store call on the blocking pool with a clone of the handle (an `Arc`, so
/// cloning is cheap), and waits for it without blocking a worker thread.
async fn blocking<T, F>(store: &VaultStore, call: F) -> Result<T, AnyError>
where
    T: Send + 'static,
    F: FnOnce(&VaultStore) -> vaultstore::Result<T> + Send + 'static,
{
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || call(&store)).await??)
}
