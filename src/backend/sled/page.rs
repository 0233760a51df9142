//! Pages on sled: a range of records, or a range of a list index.
//!
//! Records are keyed by a prefix and the id, so they are in list order: a page without
//! a `name` filter is one range read of the records. Where many archived records lie
//! in between, it falls back to the index, which holds only what matches: one seek
//! and `limit + 1` index reads (more only when a `name` filter skips entries), then one
//! record read per item. Either way a page costs O(log n + limit) reads.

use super::engine::Engine;
use super::IndexEntry;
use crate::api::id::{Kind, RawId};
use crate::backend::layout::{index_key, Account};
use crate::backend::{ListScope, Offer, PageQuery, PageSink};
use crate::crypto::codec::decode;
use crate::error::{Error, Result};

/// Where a list's records and index entries live.
struct Place<'a> {
    records: &'a sled::Tree,
    record_prefix: Vec<u8>,
    scope: Vec<u8>,
    /// What the list holds, for messages.
    kind: Kind,
}

impl Place<'_> {
    fn record_key(&self, id: RawId) -> Vec<u8> {
        [self.record_prefix.as_slice(), &id.bytes()].concat()
    }
}

pub(super) fn page(
    engine: &Engine,
    account: &Account,
    scope: ListScope,
    query: &PageQuery,
    sink: &mut dyn PageSink,
) -> Result<bool> {
    let place = match scope {
        ListScope::Vaults => Place {
            records: &engine.vaults,
            record_prefix: account.vault_prefix(),
            scope: account.vault_scope(),
            kind: Kind::Vault,
        },
        ListScope::Credentials(vault) => Place {
            records: &engine.credentials,
            record_prefix: account.vault(vault),
            scope: account.credential_scope(vault),
            kind: Kind::Credential,
        },
    };
    if query.name.is_none() {
        if let Some(has_more) = scan_records(&place, query, sink)? {
            return Ok(has_more);
        }
        sink.clear();
    }
    by_index(engine, &place, query, sink)
}

/// Offers the records in the range; `None` once more than a page's worth were skipped
/// (then the index is cheaper).
fn scan_records(
    place: &Place<'_>,
    query: &PageQuery,
    sink: &mut dyn PageSink,
) -> Result<Option<bool>> {
    let range =
        place.record_key(RawId(*query.ids.start()))..=place.record_key(RawId(*query.ids.end()));
    let entries = place.records.range(range);
    let entries: Box<dyn Iterator<Item = _>> = if query.newer {
        Box::new(entries)
    } else {
        Box::new(entries.rev())
    };
    let mut skipped = 0;
    for entry in entries {
        let (key, value) = entry?;
        let id = RawId::from_slice(&key[place.record_prefix.len()..])
            .ok_or_else(|| Error::corrupted("a record key has the wrong length"))?;
        match sink.offer(id, &value)? {
            Offer::Taken => {}
            Offer::Full => return Ok(Some(true)),
            Offer::Skipped => {
                skipped += 1;
                if skipped > query.limit {
                    return Ok(None);
                }
            }
        }
    }
    Ok(Some(false))
}

fn by_index(
    engine: &Engine,
    place: &Place<'_>,
    query: &PageQuery,
    sink: &mut dyn PageSink,
) -> Result<bool> {
    let (ids, has_more) = scan_index(engine, place, query)?;
    for id in ids {
        // An item deleted since the index was read leaves the page; one archived since
        // is skipped by the sink.
        if let Some(record) = place.records.get(place.record_key(id))? {
            if sink.offer(id, &record)? == Offer::Full {
                return Ok(true);
            }
        }
    }
    Ok(has_more)
}

fn scan_index(engine: &Engine, place: &Place<'_>, query: &PageQuery) -> Result<(Vec<RawId>, bool)> {
    let tree = if query.include_archived {
        &engine.list_all
    } else {
        &engine.list_active
    };
    let scope = &place.scope;
    let range =
        index_key(scope, RawId(*query.ids.start()))..=index_key(scope, RawId(*query.ids.end()));
    let entries = tree.range(range);
    let entries: Box<dyn Iterator<Item = _>> = if query.newer {
        Box::new(entries)
    } else {
        Box::new(entries.rev())
    };
    let mut ids = Vec::with_capacity(query.limit);
    for item in entries {
        let (key, value) = item?;
        let id = RawId::from_slice(&key[scope.len()..])
            .ok_or_else(|| Error::corrupted("a list index key has the wrong length"))?;
        let entry: IndexEntry = decode(&value, || {
            format!("the list index entry of {}", id.format(place.kind))
        })?;
        if !query.matches(entry.created_at, &entry.name) {
            continue;
        }
        if ids.len() == query.limit {
            return Ok((ids, true));
        }
        ids.push(id);
    }
    Ok((ids, false))
}

/// The two paths one at a time, for tests that hold them equal.
#[cfg(test)]
pub(crate) mod paths {
    use super::*;

    fn place<'a>(engine: &'a Engine, account: &Account) -> Place<'a> {
        Place {
            records: &engine.vaults,
            record_prefix: account.vault_prefix(),
            scope: account.vault_scope(),
            kind: Kind::Vault,
        }
    }

    /// `None` when the record scan gives up for the index.
    pub(crate) fn vaults_by_records(
        engine: &Engine,
        account: &Account,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<Option<bool>> {
        scan_records(&place(engine, account), query, sink)
    }

    pub(crate) fn vaults_by_index(
        engine: &Engine,
        account: &Account,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<bool> {
        by_index(engine, &place(engine, account), query, sink)
    }
}
