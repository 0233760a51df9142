//! The PostgreSQL backend (feature `postgres`): a fleet of processes or hosts sharing
//! one store, its tables in one schema.
//!
//! - Writes: one SERIALIZABLE transaction per [`Backend::transact`], run again when it
//!   loses a conflict ([`transact`]).
//! - Reads outside a transaction: single statements on a pooled connection, each
//!   seeing committed state.
//! - Durability: a `COMMIT` returns once the change is durable (with PostgreSQL's
//!   default `synchronous_commit = on`), so `make_durable` and `sync` have nothing left
//!   to do.
//! - Refresh across processes: a session-level advisory lock per credential.
//! - tokio: the sync client panics inside a runtime; every call here works from any
//!   thread ([`runtime`]).
//! - TLS is not supported yet: a conninfo that requires it is refused.

mod conninfo;
mod errors;
mod lock;
mod page;
mod pool;
mod runtime;
mod schema;
mod sql;
mod statements;
mod tls;
mod transact;

#[cfg(test)]
mod tests;

use std::fmt;

use sha2::{Digest, Sha256};

use self::conninfo::Target;
use self::pool::{Conn, Pool};
use self::runtime::off_runtime;
use self::sql::Sql;
use self::statements::Statements;
use super::{
    Backend, CrossProcessGuard, ListScope, MetaKey, PageQuery, PageSink, Reads, RowKey, Table,
    Value, Writes,
};
use crate::api::id::RawId;
use crate::backend::layout::Account;
use crate::error::Result;
use secrecy::{ExposeSecret, SecretString};

/// The PostgreSQL backend: two connection pools and the statements for its schema.
pub(crate) struct PgBackend {
    pool: Pool,
    /// Connections that hold advisory locks (see [`lock::acquire`]).
    locks: Pool,
    sql: Sql,
    schema: String,
    /// `host:port`, for `Debug`.
    shown: String,
    /// How long [`Backend::lock_across_processes`] waits.
    lock_wait: std::time::Duration,
}

impl PgBackend {
    /// Connects, creating or migrating the schema `schema`, with at most `pool_size`
    /// connections for calls (and as many again for cross-process locks).
    ///
    /// `conninfo` is a libpq `key=value` string or a `postgresql://` URL. Its
    /// `connect_timeout` also bounds how long a call waits for a connection (default
    /// 10 s).
    ///
    /// # Errors
    ///
    /// `InvalidRequest` for a malformed conninfo or schema name, or one asking for TLS;
    /// `Storage` when the server cannot be reached (naming host and port, never the
    /// password), or when the schema was written by a newer vaultstore.
    #[cfg(test)]
    pub(crate) fn connect(conninfo: &str, schema: &str, pool_size: u32) -> Result<PgBackend> {
        Self::connect_with(conninfo, None, None, schema, pool_size)
    }

    /// With another wait for the cross-process lock than [`lock::LOCK_WAIT`].
    #[cfg(test)]
    pub(crate) fn with_lock_wait(mut self, wait: std::time::Duration) -> PgBackend {
        self.lock_wait = wait;
        self
    }

    /// [`PgBackend::connect`] with the password given apart from the conninfo (from the
    /// environment or a file; one in the conninfo wins) and the CA certificates to
    /// verify the server's TLS certificate with (see `tls`).
    pub(crate) fn connect_with(
        conninfo: &str,
        password: Option<&SecretString>,
        ca_file: Option<&std::path::Path>,
        schema: &str,
        pool_size: u32,
    ) -> Result<PgBackend> {
        conninfo::check_schema(schema)?;
        let mut target = Target::parse(conninfo, ca_file)?;
        if let Some(password) = password {
            if target.config.get_password().is_none() {
                target.config.password(password.expose_secret());
            }
        }
        probe(&target)?;
        let checkout = target.checkout_timeout();
        let pool = Pool::new(
            target.config.clone(),
            target.tls.clone(),
            pool_size,
            checkout,
            1,
            target.shown.clone(),
        );
        let locks = Pool::new(
            target.config,
            target.tls,
            pool_size,
            checkout,
            0,
            target.shown.clone(),
        );
        let quoted = conninfo::quoted(schema);
        schema::migrate(&mut pool.get()?, &quoted)?;
        Ok(PgBackend {
            pool,
            locks,
            sql: Sql::new(&quoted),
            schema: schema.to_owned(),
            shown: target.shown,
            lock_wait: lock::LOCK_WAIT,
        })
    }
}

/// Connects once, directly: a pool would retry until its checkout timeout, and a
/// server that is down or refuses the login should be reported at once.
fn probe(target: &Target) -> Result<()> {
    let (config, tls) = (&target.config, &target.tls);
    // The client is dropped (its socket closed) on the same thread, off any runtime.
    match off_runtime(|| tls.connect(config).map(drop)) {
        Ok(()) => Ok(()),
        Err(e) => Err(errors::storage(
            &format!("cannot connect to the server at {}", target.shown),
            &e,
        )),
    }
}

impl fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgBackend")
            .field("server", &self.shown)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// An advisory-lock key: the first 8 bytes of SHA-256 over a domain and a name.
/// Advisory locks are database-wide, so a credential's key includes the schema: two
/// stores in one database never wait on each other.
fn lock_key(domain: &[u8], name: &[u8]) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"vaultstore\0")
        .chain_update(domain)
        .chain_update(b"\0")
        .chain_update(name)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

impl Backend for PgBackend {
    fn reads(&self) -> Result<Box<dyn Reads + '_>> {
        Ok(Box::new(CommittedReads {
            conn: self.pool.get()?,
            sql: &self.sql,
        }))
    }

    fn transact(&self, body: &mut dyn FnMut(&mut dyn Writes) -> Result<()>) -> Result<()> {
        transact::transact(&self.pool, &self.sql, body)
    }

    /// Nothing to wait for: `COMMIT` returned once the change was durable.
    fn make_durable(&self) -> Result<()> {
        Ok(())
    }

    /// As `make_durable`.
    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn lock_across_processes(&self, key: &[u8]) -> Result<Option<Box<dyn CrossProcessGuard>>> {
        let name = [self.schema.as_bytes(), b"\0", key].concat();
        let guard = lock::acquire(&self.locks, lock_key(b"credential", &name), self.lock_wait)?;
        Ok(Some(Box::new(guard)))
    }
}

/// Reads of committed state on one pooled connection (outside any transaction, each
/// statement sees what was committed when it started).
struct CommittedReads<'a> {
    conn: Conn,
    sql: &'a Sql,
}

impl CommittedReads<'_> {
    fn statements(&mut self) -> Statements<'_> {
        Statements::new(&mut self.conn, self.sql)
    }
}

impl Reads for CommittedReads<'_> {
    fn vault(&mut self, account: &Account, id: RawId) -> Result<Option<Value>> {
        self.statements().vault(account, id)
    }

    fn vault_exists(&mut self, account: &Account, id: RawId) -> Result<bool> {
        self.statements().vault_exists(account, id)
    }

    fn credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<Option<Value>> {
        self.statements().credential(account, vault, id)
    }

    fn credential_ids(&mut self, account: &Account, vault: RawId) -> Result<Vec<RawId>> {
        self.statements().credential_ids(account, vault)
    }

    fn token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
    ) -> Result<Option<Value>> {
        self.statements().token(account, vault, lookup_url)
    }

    fn page(
        &mut self,
        account: &Account,
        scope: ListScope,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<bool> {
        self.statements().page(account, scope, query, sink)
    }

    fn meta(&mut self, key: MetaKey) -> Result<Option<Value>> {
        self.statements().meta(key)
    }

    fn scan(
        &mut self,
        table: Table,
        after: Option<&RowKey>,
        limit: usize,
    ) -> Result<Vec<(RowKey, Value)>> {
        self.statements().scan(table, after, limit)
    }
}
