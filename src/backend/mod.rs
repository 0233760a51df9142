//! The storage seam: what the store needs of a place to keep its records.
//!
//! Above this line the store is written once: validation, sealing and signing, paging
//! rules, errors, sessions and refresh. Below it, a backend keeps opaque, already-signed
//! record bytes and the few plain columns it needs to find them (ids, creation times,
//! the lower-cased search name, whether an item is active, a credential's lookup URL).
//! A backend never sees a key or a plaintext secret, and never decides a rule of the
//! API: it stores, finds and pages.
//!
//! Two backends: sled (embedded, the default) and PostgreSQL (feature `postgres`).

pub(crate) mod layout;
pub(crate) mod page;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod sled;

pub(crate) use page::{Offer, PageQuery, PageSink};

use crate::api::id::RawId;
use crate::backend::layout::Account;
use crate::error::Result;

/// Bytes a backend read: sled's own buffer, shared rather than copied, or an owned
/// one.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Sled(::sled::IVec),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Value {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Value::Sled(bytes) => bytes,
            Value::Owned(bytes) => bytes,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Value {}

impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Self {
        Value::Owned(bytes)
    }
}

/// Which list a page is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListScope {
    /// The account's vaults.
    Vaults,
    /// One vault's credentials.
    Credentials(RawId),
}

/// A vault as a backend keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VaultRow<'a> {
    pub(crate) id: RawId,
    /// Microseconds since the epoch.
    pub(crate) created_at: i64,
    /// The display name, lower-cased: what `name` filters search.
    pub(crate) search_name: &'a str,
    pub(crate) active: bool,
    /// The signed record.
    pub(crate) record: &'a [u8],
}

/// A credential as a backend keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CredentialRow<'a> {
    pub(crate) vault: RawId,
    pub(crate) id: RawId,
    pub(crate) created_at: i64,
    /// The `mcp_server_url` as given, lower-cased: what `name` filters search.
    pub(crate) search_name: &'a str,
    pub(crate) active: bool,
    pub(crate) record: &'a [u8],
}

/// A whole-store table, for the work that walks every account (rotation, verify).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    Vaults,
    Credentials,
    Tokens,
}

/// Where a row of a [`Table`] is: its account, its vault and, below a vault, the
/// credential id or the token's URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RowKey {
    pub(crate) account: String,
    pub(crate) vault: RawId,
    pub(crate) item: RowItem,
}

impl RowKey {
    /// The canonical bytes of the row's place: the signed records' associated data on
    /// every backend (and sled's key).
    pub(crate) fn place(&self) -> Vec<u8> {
        let account = Account::new(&self.account);
        match &self.item {
            RowItem::Vault => account.vault(self.vault),
            RowItem::Credential(id) => account.credential(self.vault, *id),
            RowItem::Token(url) => account.token(self.vault, url),
        }
    }
}

/// What a [`RowKey`] names below its vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RowItem {
    Vault,
    Credential(RawId),
    Token(String),
}

/// The store-wide values: the store's identity, the key record, the largest id issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetaKey {
    Store,
    Keys,
    LastId,
}

/// Reads, either of committed state or, inside [`Backend::transact`], of the
/// transaction's own view. Missing items are `Ok(None)`, never an error.
pub(crate) trait Reads {
    /// A vault's signed record.
    fn vault(&mut self, account: &Account, id: RawId) -> Result<Option<Value>>;

    /// Whether the vault exists, without reading its record.
    fn vault_exists(&mut self, account: &Account, id: RawId) -> Result<bool>;

    /// A credential's signed record.
    fn credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<Option<Value>>;

    /// The ids of every credential of a vault, archived or not, in id order.
    fn credential_ids(&mut self, account: &Account, vault: RawId) -> Result<Vec<RawId>>;

    /// The token entry of `vault` at `lookup_url` (a URL in normal form).
    fn token(&mut self, account: &Account, vault: RawId, lookup_url: &str)
        -> Result<Option<Value>>;

    /// Offers `sink` the records of the list `scope` that the query's id range,
    /// `created_at` bounds, name filter and `include_archived` admit, in the query's
    /// direction, until the sink is full. Returns whether more matched than the page
    /// took (`has_more`).
    fn page(
        &mut self,
        account: &Account,
        scope: ListScope,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<bool>;

    /// A store-wide value.
    fn meta(&mut self, key: MetaKey) -> Result<Option<Value>>;

    /// Up to `limit` rows of `table`, every account, in the backend's key order,
    /// starting after `after`: a whole-table walk one batch at a time.
    fn scan(
        &mut self,
        table: Table,
        after: Option<&RowKey>,
        limit: usize,
    ) -> Result<Vec<(RowKey, Value)>>;
}

/// Writes inside a transaction. They take effect together when the transaction
/// commits, or not at all.
pub(crate) trait Writes: Reads {
    /// Inserts or replaces a vault (and its place in the lists).
    fn put_vault(&mut self, account: &Account, row: &VaultRow<'_>) -> Result<()>;

    /// Removes a vault with everything in it: its credentials, their tokens, and all
    /// their list entries.
    fn delete_vault(&mut self, account: &Account, id: RawId) -> Result<()>;

    /// Inserts or replaces a credential (and its place in the vault's list).
    fn put_credential(&mut self, account: &Account, row: &CredentialRow<'_>) -> Result<()>;

    fn delete_credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<()>;

    /// Inserts or replaces the token entry of `vault` at `lookup_url`, which belongs to
    /// credential `credential`.
    fn put_token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
        credential: RawId,
        entry: &[u8],
    ) -> Result<()>;

    fn delete_token(&mut self, account: &Account, vault: RawId, lookup_url: &str) -> Result<()>;

    fn put_meta(&mut self, key: MetaKey, value: &[u8]) -> Result<()>;

    /// Replaces the record bytes of the vault or credential `row` names, its plain
    /// columns unchanged: a rotation re-signing it. Nothing if the row is gone.
    fn replace_record(&mut self, row: &RowKey, record: &[u8]) -> Result<()>;

    /// Notes that `id` was issued, so a reopened store never issues a smaller one.
    fn note_id(&mut self, id: RawId) -> Result<()>;
}

/// A place to keep the store's records.
pub(crate) trait Backend: Send + Sync {
    /// Reads of committed state.
    fn reads(&self) -> Result<Box<dyn Reads + '_>>;

    /// Runs `body` in one transaction: its reads see a consistent state, its writes
    /// apply together or not at all, and no other writer's change interleaves. `body`
    /// may be run more than once (a backend retries a transaction that lost a
    /// conflict), so it must not have effects outside the transaction.
    fn transact(&self, body: &mut dyn FnMut(&mut dyn Writes) -> Result<()>) -> Result<()>;

    /// Returns once every transaction committed before the call is durable, as the
    /// store's durability mode promises.
    fn make_durable(&self) -> Result<()>;

    /// Makes everything committed so far durable, whatever the mode.
    fn sync(&self) -> Result<()>;

    /// As [`Backend::make_durable`] in its strictest mode, whatever the store's mode
    /// (a rotated refresh token that is lost cannot be spent again).
    fn make_durable_now(&self) -> Result<()> {
        self.sync()
    }

    /// Whether other processes may write the same store at the same time (PostgreSQL).
    fn is_shared(&self) -> bool {
        false
    }

    /// How many times the log was fsynced since open (sled; 0 elsewhere).
    fn log_fsyncs(&self) -> u64 {
        0
    }

    /// Holds credential `key` against other processes until the guard is dropped
    /// (a refresh spends a refresh token once). `None` where one process owns the
    /// store (sled): the in-process refresh locks are enough.
    fn lock_across_processes(&self, key: &[u8]) -> Result<Option<Box<dyn CrossProcessGuard>>> {
        let _ = key;
        Ok(None)
    }
}

/// Held while a credential is refreshed by this process; dropping it lets others in.
/// Owned (not borrowed from the backend), so a holder can keep it across awaits.
pub(crate) trait CrossProcessGuard: Send {}
