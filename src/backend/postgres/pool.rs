//! The connection pool, and a pooled connection whose every use and drop stays off
//! tokio's threads.

use std::time::{Duration, Instant};

use postgres::types::{ToSql, Type};
use postgres::{Client, Config, Row};

use super::tls::Tls;

use super::runtime::off_runtime;
use crate::error::Result;

/// A client, and whether this crate saw it left in an unknown state (a failed
/// `ROLLBACK`): such a connection is closed instead of being reused.
pub(super) struct PgConn {
    client: Client,
    broken: bool,
    /// When a statement last succeeded on it.
    last_ok: Instant,
}

/// A connection whose last statement succeeded this recently is handed out without the
/// checkout query, which would double the round trips of a one-statement read. Busy
/// connections skip it; idle ones, which a server restart leaves stale, still get it.
/// (HikariCP's `aliveBypassWindowMs` does the same, at 500 ms.) A restart inside the
/// window costs the one call that finds its connection dead.
pub(super) const RECENTLY_USED: Duration = Duration::from_millis(50);

/// Opens connections for r2d2. Written here rather than taken from r2d2_postgres so a
/// connection can be marked broken, and to keep `Debug` output under our control.
pub(super) struct Manager {
    config: Config,
    tls: Tls,
}

/// A checkout both validates the connection (one empty query, unless it was used
/// within [`RECENTLY_USED`]) and notices a dead one (`is_closed`): after a server
/// restart every pooled connection is stale, and without the check each would fail one
/// call before being replaced.
impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let client = self.tls.connect(&self.config)?;
        Ok(PgConn {
            client,
            broken: false,
            last_ok: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        if conn.last_ok.elapsed() < RECENTLY_USED {
            return Ok(());
        }
        conn.client.simple_query("")?;
        conn.last_ok = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}

/// The pool. Dropping it closes its clients, so its drop stays off tokio's threads.
pub(super) struct Pool {
    inner: Option<r2d2::Pool<Manager>>,
    /// `host:port`, for messages.
    shown: String,
}

impl Pool {
    /// `warm` connections are kept open; the rest open on demand and idle out.
    pub(super) fn new(
        config: Config,
        tls: Tls,
        size: u32,
        checkout: Duration,
        warm: u32,
        shown: String,
    ) -> Pool {
        let inner = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(warm))
            .connection_timeout(checkout)
            .test_on_check_out(true)
            // r2d2 would log each failed attempt through `log`; the caller gets the
            // last one in the checkout error instead.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager { config, tls });
        Pool {
            inner: Some(inner),
            shown,
        }
    }

    /// A connection, waiting up to the checkout timeout for one.
    pub(super) fn get(&self) -> Result<Conn> {
        let Some(pool) = self.inner.as_ref() else {
            unreachable!("the pool is only taken when it is dropped")
        };
        // r2d2 validates (maybe a query) and may drop a dead client on this thread.
        match off_runtime(|| pool.get()) {
            Ok(conn) => Ok(Conn(Some(conn))),
            Err(e) => Err(crate::error::Error::Storage(format!(
                "PostgreSQL: no connection to the server at {} could be had: {e}",
                self.shown
            ))),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(pool) = self.inner.take() {
            off_runtime(move || drop(pool));
        }
    }
}

/// A pooled connection, returned to the pool (or closed, if broken) when dropped.
pub(super) struct Conn(Option<r2d2::PooledConnection<Manager>>);

/// A statement's parameters, typed so the statement needs no separate prepare round
/// trip (`query_typed` plans it unnamed, with the values at hand).
pub(super) type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

impl Conn {
    fn conn(&mut self) -> &mut PgConn {
        match self.0.as_mut() {
            Some(conn) => conn,
            // Only `drop` takes it.
            None => unreachable!("a connection is used after it was dropped"),
        }
    }

    /// Runs `call` on the client off tokio's threads, noting a success.
    fn run<T: Send>(
        &mut self,
        call: impl FnOnce(&mut Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, postgres::Error> {
        let conn = self.conn();
        let client = &mut conn.client;
        let result = off_runtime(move || call(client));
        if result.is_ok() {
            conn.last_ok = Instant::now();
        }
        result
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>, postgres::Error> {
        self.run(move |client| client.query_typed(sql, params))
    }

    pub(super) fn execute(
        &mut self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<u64, postgres::Error> {
        self.run(move |client| client.execute_typed(sql, params))
    }

    /// Statements without parameters (BEGIN, COMMIT, ROLLBACK, DDL).
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.run(move |client| client.batch_execute(sql))
    }

    /// Closes this connection when it is dropped instead of reusing it.
    pub(super) fn mark_broken(&mut self) {
        self.conn().broken = true;
    }

    /// Rolls back, closing the connection instead if even that fails.
    pub(super) fn rollback(&mut self) {
        if self.batch("ROLLBACK").is_err() {
            self.mark_broken();
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            off_runtime(move || drop(conn));
        }
    }
}
