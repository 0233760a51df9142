//! The PostgreSQL backend against a real server (tests/pg_support): what it stores,
//! how it pages, its transactions, locks, faults and tokio callers.

mod basic;
mod concurrency;
mod faults;
mod pages;
mod runtime;

#[path = "../../../../tests/pg_support/mod.rs"]
pub(super) mod pg_support;

use super::PgBackend;
use crate::api::id::RawId;
use crate::backend::layout::Account;
use crate::backend::{CredentialRow, Offer, PageQuery, PageSink, VaultRow};
use crate::error::Result;

/// A backend on the shared server, in a schema of its own.
pub(super) fn backend(test: &str) -> PgBackend {
    let schema = pg_support::fresh_schema(test);
    PgBackend::connect(&pg_support::conninfo(), &schema, 4).expect("connects to the test server")
}

pub(super) fn account(name: &str) -> Account {
    Account::new(name)
}

pub(super) fn vault(
    id: u128,
    created_at: i64,
    search_name: &'static str,
    active: bool,
    record: &'static [u8],
) -> VaultRow<'static> {
    VaultRow {
        id: RawId(id),
        created_at,
        search_name,
        active,
        record,
    }
}

pub(super) fn credential(
    vault: u128,
    id: u128,
    search_name: &'static str,
    active: bool,
    record: &'static [u8],
) -> CredentialRow<'static> {
    CredentialRow {
        vault: RawId(vault),
        id: RawId(id),
        created_at: id as i64,
        search_name,
        active,
        record,
    }
}

/// Every id, newest first, 20 a page.
pub(super) fn query() -> PageQuery {
    PageQuery {
        limit: 20,
        newer: false,
        ids: 0..=u128::MAX,
        created_gte: None,
        created_lte: None,
        name: None,
        include_archived: false,
    }
}

/// Takes records up to `limit`, skipping those that start with `skip` (as the store's
/// sink skips a record that disagrees with its row).
pub(super) struct Collect {
    pub(super) limit: usize,
    pub(super) taken: Vec<u128>,
    pub(super) offered: usize,
}

impl Collect {
    pub(super) fn new(limit: usize) -> Collect {
        Collect {
            limit,
            taken: Vec::new(),
            offered: 0,
        }
    }
}

impl PageSink for Collect {
    fn offer(&mut self, id: RawId, record: &[u8]) -> Result<Offer> {
        self.offered += 1;
        if record.starts_with(b"skip") {
            return Ok(Offer::Skipped);
        }
        if self.taken.len() == self.limit {
            return Ok(Offer::Full);
        }
        self.taken.push(id.0);
        Ok(Offer::Taken)
    }

    fn clear(&mut self) {
        self.taken.clear();
    }
}
