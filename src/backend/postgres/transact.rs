//! Transactions: SERIALIZABLE, run again when they lose to a concurrent one.
//!
//! SERIALIZABLE because the store reads, decides and writes inside one transaction
//! (is this URL taken? is the vault active?): PostgreSQL then aborts whichever of two
//! interleaving transactions would make that decision wrong, and the loser runs again
//! from the start, reading the winner's writes. The trait allows running the body more
//! than once for exactly this.

use std::time::Duration;

use rand::Rng;

use super::errors::{describe, is_retryable, storage};
use super::pool::{Conn, Pool};
use super::sql::Sql;
use super::statements::{Failure, Statements};
use crate::backend::Writes;
use crate::error::{Error, Result};

/// Tries before giving up on a transaction that keeps losing conflicts.
pub(super) const MAX_TRIES: u32 = 20;

/// What one try came to.
enum Try {
    Committed,
    /// Lost a conflict; the message says which statement.
    Lost(String),
}

pub(super) fn transact(
    pool: &Pool,
    sql: &Sql,
    body: &mut dyn FnMut(&mut dyn Writes) -> Result<()>,
) -> Result<()> {
    let mut last = None;
    for attempt in 0..MAX_TRIES {
        if attempt > 0 {
            back_off(attempt);
        }
        let mut conn = pool.get()?;
        match try_once(&mut conn, sql, body)? {
            Try::Committed => return Ok(()),
            Try::Lost(e) => last = Some(e),
        }
    }
    let last = last.unwrap_or_default();
    Err(Error::Storage(format!(
        "PostgreSQL: a transaction lost to concurrent ones {MAX_TRIES} times in a row; \
         try again later (last: {last})"
    )))
}

fn try_once(
    conn: &mut Conn,
    sql: &Sql,
    body: &mut dyn FnMut(&mut dyn Writes) -> Result<()>,
) -> Result<Try> {
    conn.batch("BEGIN ISOLATION LEVEL SERIALIZABLE")
        .map_err(|e| storage("starting a transaction", &e))?;
    let mut statements = Statements::new(conn, sql);
    let result = body(&mut statements);
    let failed = statements.failed;
    match (result, failed) {
        // The body may have turned the failure into another error, or swallowed it:
        // either way this try is lost and the next may win.
        (_, Some((Failure::Retryable, message))) => {
            conn.rollback();
            Ok(Try::Lost(message))
        }
        (Err(e), _) => {
            conn.rollback();
            Err(e)
        }
        // A statement failed and the body went on: COMMIT would roll back quietly.
        (Ok(()), Some((Failure::Other, message))) => {
            conn.rollback();
            Err(Error::Storage(format!(
                "{message} (the transaction was rolled back)"
            )))
        }
        (Ok(()), None) => match conn.batch("COMMIT") {
            Ok(()) => Ok(Try::Committed),
            Err(e) if is_retryable(&e) => Ok(Try::Lost(describe("committing", &e))),
            Err(e) if e.as_db_error().is_none() => {
                conn.mark_broken();
                Err(storage(
                    "committing (whether the transaction was applied is unknown)",
                    &e,
                ))
            }
            Err(e) => Err(storage("committing", &e)),
        },
    }
}

/// Sleeps a random time up to 1, 2, 4 … 64 ms, so the losers of a conflict do not
/// meet again at once.
fn back_off(attempt: u32) {
    let ceiling_us = 1000u64 << attempt.saturating_sub(1).min(6);
    let pause = rand::thread_rng().gen_range(ceiling_us / 4..=ceiling_us);
    std::thread::sleep(Duration::from_micros(pause));
}
