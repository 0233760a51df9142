//! # vaultstore
//!
//! An embedded, encrypted secrets store for agent runtimes. A *vault* holds
//! *credentials*, each a bearer token bound to one MCP server URL; a *session* names
//! vaults and, for a server URL, yields the token to send. Objects, JSON shapes, list
//! semantics and errors follow the hosted Vaults APIs of cloud agent platforms, as
//! in-process calls on a local [sled](https://docs.rs/sled/0.34) store: no server, no
//! network.
//!
//! ```
//! use vaultstore::{CreateCredential, CreateVault, ListParams, MasterKey, Protocol, VaultStore};
//! use vaultstore::secrecy::{ExposeSecret, SecretString};
//!
//! # fn main() -> vaultstore::Result<()> {
//! let dir = tempfile::tempdir().expect("temp dir");
//! let store = VaultStore::open(dir.path(), MasterKey::generate())?;
//!
//! let vault = store.create_vault(CreateVault::new(
//!     "My GitHub credentials",
//!     vec![CreateCredential::static_bearer(
//!         "https://mcp.github.com/sse",
//!         Protocol::Sse,
//!         SecretString::from("ghp_example".to_owned()),
//!     )],
//! ))?;
//!
//! let page = store.list_vaults(&ListParams::default())?;
//! assert_eq!(page.data[0].id, vault.id);
//!
//! let session = store.session(&[&vault.id])?;
//! let token = session.bearer_token("https://mcp.github.com/sse")?.expect("a credential");
//! assert_eq!(token.expose_secret(), "ghp_example");
//! # Ok(())
//! # }
//! ```
//!
//! ## What it guarantees
//!
//! - **Secrets are write-only.** Access tokens, refresh tokens and client secrets are
//!   accepted on create and update, never returned, serialized, `Debug`-printed or put
//!   in an error; only [`Session::bearer_token`] reads an access token.
//! - **Sealed at rest** with AES-256-GCM-SIV, a fresh random nonce per seal, bound by
//!   associated data to account, vault, credential, URL, protocol, type, a random
//!   per-credential binding and the secret's field: a sealed secret copied onto another
//!   record, another URL or another field fails with [`Error::Corrupted`] instead of
//!   reaching the wrong server.
//! - **Records authenticated.** Vault and credential records carry a MAC under the
//!   master key; a lookup checks a token against its credential's record, so an edited
//!   record, or a token written back after an archive, gives [`Error::Corrupted`].
//!   Undetectable: rolling back the whole store, or one credential's record and token
//!   together, to an older consistent copy.
//! - **OAuth tokens that stay valid.** An `mcp_oauth` access token that expires within
//!   [`Builder::refresh_margin`] is refreshed (RFC 6749 §6) and the answer stored
//!   durably before a session hands it out, one request per credential at a time; a
//!   failure is [`Error::Refresh`] and recorded on the credential, never the stale token.
//! - **Durable by default.** A changing call returns once the change is flushed and
//!   fsynced ([`Durability::Immediate`]); concurrent writers share fsyncs. Each change,
//!   record and index entries together, is one transaction: a crash leaves the store
//!   consistent.
//! - **Locked.** One open per store directory; a second gets [`Error::Locked`].
//! - **Partitioned.** [`VaultStore::account`] handles never see each other's data.
//!   Accounts are namespaces, not access control: any handle can open any account.
//! - **Backed up live.** [`VaultStore::backup`] writes a consistent copy of an open
//!   store (writers wait meanwhile) that opens with the same key.
//! - **Compactable.** [`Builder::compact`] rewrites a closed store so deleted ciphertext leaves its files.
//!
//! ## What it is not
//!
//! Not a server (feature `server` adds one: `vaultstore::server`, `vaultstore serve`), not a
//! replicated store, not a defence against an attacker who can read
//! this process's memory or holds the master key. Archive and delete erase a sealed
//! token from the live store at once, but the storage engine's log may keep old
//! ciphertext until it compacts; it stays unreadable without the key, and after
//! [`VaultStore::rotate_key`] the old key opens nothing live.
//!
//! ## Limits
//!
//! `display_name` 1–255 characters; metadata ≤ 16 pairs (keys ≤ 64, values ≤ 512
//! characters); `mcp_server_url` an absolute http(s) URL ≤ 2048 characters;
//! every secret 1–8192 bytes; `token_endpoint` https (http only to a loopback host);
//! 20 active credentials per vault
//! ([`Builder::max_active_credentials`]); list pages 1–100 items (default 20).
//!
//! ## Decisions where the specification is silent
//!
//! - URLs match in normal form (scheme and host lower-cased, default port dropped, path
//!   resolved): `HTTPS://Example.com:443/mcp` and `https://example.com/mcp` are one
//!   server, for duplicates and for sessions. The URL is returned as given.
//! - A URL with a user name or password is refused: the secret belongs in the token.
//! - Two credentials for one server in one create request are a `conflict_error`, as a
//!   second one added later would be.
//! - A vault at its credential limit refuses another with `invalid_request_error`.
//! - `get_credential` with an unknown vault reports the vault as not found.
//! - A session over an archived vault is refused with `invalid_request_error`; over a
//!   missing one with `not_found_error`. An empty session resolves nothing.
//! - Timestamps never go backwards within a store: if the wall clock steps back, new
//!   items take the latest time issued, so ids, `created_at` and list order agree.
//! - Request bodies refuse unknown fields (a typo such as `metdata` is an error, not
//!   silently dropped metadata), in every body. A flat-shape `static_bearer` without
//!   `access_token` keeps the seeds' message.
//! - Refresh: only `invalid_grant` (or an expired token with no refresh token) marks a
//!   credential as needing a new login; other OAuth errors back off from 5 minutes to an
//!   hour, transient ones (network, timeout, 429, 5xx, malformed answer) from 1 second to
//!   5 minutes, and the refresh token is kept. Lookups during a backoff fail at once with
//!   the recorded error. A refresh's answer is fsynced whatever the durability mode. A
//!   refresh does not change `updated_at` (that is the caller's last change); it sets
//!   `refresh_state.last_refreshed_at`. The requested `scope` stays as configured; the
//!   granted one is `refresh_state.granted_scope`. A token whose expiry is unknown is
//!   handed out as it is; one the endpoint issues with less than the margin left is
//!   handed out once (it is the freshest there is) and refreshed on the next lookup.
//! - `update_credential` with new tokens clears a recorded refresh failure; the client
//!   secret of a public (`none`) client cannot be set, and refresh secrets cannot be
//!   added to a credential created without refresh settings (create a new one).
//! - Format-1 stores migrate to format 2 when first opened with the key.

// Layers, each using only those above it: `api` (the API's objects, requests, rules,
// ids), `crypto` (keys, sealing, the record codec), `backend` (where records live:
// sled, PostgreSQL), `store` (the operations, sessions, refresh, rotation, verify,
// backup), then `server` and `rmcp` over the public API.
mod api;
mod backend;
mod crypto;
mod error;
mod fsutil;
mod store;

#[cfg(feature = "server")]
pub mod server;

/// Hooks for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;

pub use api::model::{
    CredentialType, DeletedCredential, DeletedObject, Page, Protocol, RefreshErrorInfo,
    RefreshSettings, RefreshState, Status, TokenEndpointAuthMethod, Vault, VaultCredential,
    VaultObject,
};
pub use api::request::{
    ClientAuth, CreateCredential, CreateVault, CredentialAuth, ListParams, OAuthRefresh,
    OAuthTokens, UpdateAuth, UpdateCredential, UpdateOAuth, UpdateRefresh, UpdateVault,
};
pub use backend::sled::durability::Durability;
pub use crypto::key::{KdfCost, MasterKey};
pub use error::{Error, Result};
pub use store::compact::CompactReport;
pub use store::config::Builder;
#[cfg(feature = "http-refresh")]
pub use store::refresh::HttpRefresher;
pub use store::refresh::{
    basic_authorization, form_body, parse_token_answer, ClientCredentials, RefreshFailure,
    RefreshFailureKind, RefreshRequest, TokenAnswer, TokenRefresher,
};
pub use store::rotate::RotationReport;
pub use store::session::{ResolvedCredential, Session};
pub use store::verify::VerifyReport;
pub use store::{StoreStats, VaultStore, DEFAULT_ACCOUNT};

pub use chrono;
// Every Rust block of the README compiles and runs as a doctest, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Re-exported: tokens are [`secrecy::SecretString`]s in this crate's API.
pub use secrecy;

// rmcp's OAuth `CredentialStore` on a vault credential (feature `rmcp`). Documented
// inside: an outer doc here would make rustdoc resolve the module's links from here.
#[cfg(feature = "rmcp")]
pub mod rmcp;
