//! Pages of a list: a range of a list index, newest first.
//!
//! Ids sort by creation time, so cursors and `created_at` bounds both become a range of
//! ids. Records are keyed by a prefix and the id, so they too are in list order: a page
//! without a `name` filter is one range read of `limit + 1` records. Where many
//! archived records lie in between, it falls back to the index: one seek and `limit + 1`
//! index reads (more only when a `name` filter skips entries), then one record read per
//! item. Either way a page costs O(log n + limit) reads.

use std::ops::RangeInclusive;

use super::VaultStore;
use crate::codec::decode;
use crate::error::{Error, Result};
use crate::id::{Kind, RawId};
use crate::layout::index_key;
use crate::model::Page;
use crate::records::IndexEntry;
use crate::request::ListParams;

pub(crate) const DEFAULT_LIMIT: u32 = 20;
pub(crate) const MAX_LIMIT: u32 = 100;

/// Checked list parameters.
struct Query {
    limit: usize,
    /// Toward newer items (`before_id`) rather than older.
    newer: bool,
    ids: RangeInclusive<u128>,
    created_gte: Option<i64>,
    created_lte: Option<i64>,
    name: Option<String>,
    include_archived: bool,
}

impl Query {
    /// `None` when no item can match (a range that is empty).
    fn plan(params: &ListParams, kind: Kind) -> Result<Option<Query>> {
        let limit = match params.limit {
            None => DEFAULT_LIMIT,
            Some(0) => {
                return Err(Error::invalid(
                    "limit",
                    "limit: must be between 1 and 100, got 0",
                ))
            }
            Some(n) => n.min(MAX_LIMIT),
        };
        if params.after_id.is_some() && params.before_id.is_some() {
            return Err(Error::invalid(
                "before_id",
                "before_id: cannot be combined with after_id; page in one direction at a time",
            ));
        }
        let cursor = |field: &str, text: &Option<String>| -> Result<Option<u128>> {
            let Some(text) = text else { return Ok(None) };
            RawId::parse(text, kind)
                .map(|id| Some(id.0))
                .ok_or_else(|| {
                    Error::invalid(
                        field,
                        format!(
                            "{field}: '{}' is not a {} id ({} followed by 32 lowercase hex digits)",
                            crate::error::shown(text),
                            kind.noun(),
                            kind.prefix()
                        ),
                    )
                })
        };
        let after = cursor("after_id", &params.after_id)?;
        let before = cursor("before_id", &params.before_id)?;
        // Stored times are whole microseconds: round the bounds inward to them.
        let gte = params
            .created_at_gte
            .map(|t| t.timestamp_micros() + i64::from(t.timestamp_subsec_nanos() % 1000 != 0));
        let lte = params.created_at_lte.map(|t| t.timestamp_micros());
        if let (Some(gte), Some(lte)) = (params.created_at_gte, params.created_at_lte) {
            if gte > lte {
                return Err(Error::invalid(
                    "created_at[gte]",
                    "created_at[gte]: must not be after created_at[lte]",
                ));
            }
        }

        // An id's top 48 bits are its creation millisecond.
        let mut low: u128 = 0;
        let mut high: u128 = u128::MAX;
        if let Some(gte) = gte {
            low = low.max(u128::from(gte.max(0).div_euclid(1000) as u64) << 80);
        }
        if let Some(lte) = lte {
            if lte < 0 {
                return Ok(None);
            }
            let ms = u128::from(lte.div_euclid(1000) as u64);
            high = high.min(((ms + 1) << 80).saturating_sub(1));
        }
        if let Some(after) = after {
            match after.checked_sub(1) {
                Some(below) => high = high.min(below),
                None => return Ok(None),
            }
        }
        if let Some(before) = before {
            match before.checked_add(1) {
                Some(above) => low = low.max(above),
                None => return Ok(None),
            }
        }
        if low > high {
            return Ok(None);
        }
        let name = params
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(str::to_lowercase);
        Ok(Some(Query {
            limit: limit as usize,
            newer: before.is_some(),
            ids: low..=high,
            created_gte: gte,
            created_lte: lte,
            name,
            include_archived: params.include_archived,
        }))
    }

    fn matches_time(&self, created_at: i64) -> bool {
        self.created_gte.is_none_or(|gte| created_at >= gte)
            && self.created_lte.is_none_or(|lte| created_at <= lte)
    }

    fn matches(&self, entry: &IndexEntry) -> bool {
        self.matches_time(entry.created_at)
            && self
                .name
                .as_ref()
                .is_none_or(|n| entry.name.contains(n.as_str()))
    }
}

/// Where the records of a list live: under `prefix` and the item's id, in `tree`.
pub(crate) struct Records<'a, T> {
    pub(crate) tree: &'a sled::Tree,
    pub(crate) prefix: Vec<u8>,
    /// Decodes a record into the item a page shows.
    pub(crate) decode: &'a dyn Fn(RawId, &[u8]) -> Result<T>,
}

impl<T> Records<'_, T> {
    fn key(&self, id: RawId) -> Vec<u8> {
        [self.prefix.as_slice(), &id.bytes()].concat()
    }

    /// `None` if the item was deleted since the index was read.
    fn get(&self, id: RawId) -> Result<Option<T>> {
        match self.tree.get(self.key(id))? {
            Some(bytes) => (self.decode)(id, &bytes).map(Some),
            None => Ok(None),
        }
    }
}

impl VaultStore {
    /// One page of the list in `scope`, whose items are `records`.
    pub(crate) fn list<T: HasId>(
        &self,
        scope: &[u8],
        kind: Kind,
        params: &ListParams,
        records: &Records<'_, T>,
    ) -> Result<Page<T>> {
        let Some(query) = Query::plan(params, kind)? else {
            return Ok(page(Vec::new(), false));
        };
        if query.name.is_none() {
            if let Some(page) = scan_records(records, &query)? {
                return Ok(page);
            }
        }
        self.list_by_index(scope, kind, &query, records)
    }

    fn list_by_index<T: HasId>(
        &self,
        scope: &[u8],
        kind: Kind,
        query: &Query,
        records: &Records<'_, T>,
    ) -> Result<Page<T>> {
        let (ids, has_more) = self.scan_index(scope, kind, query)?;
        let mut data = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(item) = records.get(id)? {
                // An item archived between the index read and this one leaves the page.
                if query.include_archived || item.is_active() {
                    data.push(item);
                }
            }
        }
        Ok(page(data, has_more))
    }

    fn scan_index(&self, scope: &[u8], kind: Kind, query: &Query) -> Result<(Vec<RawId>, bool)> {
        let tree = if query.include_archived {
            &self.engine().list_all
        } else {
            &self.engine().list_active
        };
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
                format!("the list index entry of {}", id.format(kind))
            })?;
            if !query.matches(&entry) {
                continue;
            }
            if ids.len() == query.limit {
                return Ok((in_list_order(ids, query.newer), true));
            }
            ids.push(id);
        }
        Ok((in_list_order(ids, query.newer), false))
    }
}

/// A page read straight from the records, skipping archived ones and those outside
/// the `created_at` bounds; `None` once it has skipped more than a page's worth (then
/// the index, which holds only what matches, is cheaper).
fn scan_records<T: HasId>(records: &Records<'_, T>, query: &Query) -> Result<Option<Page<T>>> {
    let range = records.key(RawId(*query.ids.start()))..=records.key(RawId(*query.ids.end()));
    let entries = records.tree.range(range);
    let entries: Box<dyn Iterator<Item = _>> = if query.newer {
        Box::new(entries)
    } else {
        Box::new(entries.rev())
    };
    let mut data = Vec::with_capacity(query.limit);
    let mut skipped = 0;
    for entry in entries {
        let (key, value) = entry?;
        let id = RawId::from_slice(&key[records.prefix.len()..])
            .ok_or_else(|| Error::corrupted("a record key has the wrong length"))?;
        let item = (records.decode)(id, &value)?;
        if (query.include_archived || item.is_active()) && query.matches_time(item.created_at()) {
            if data.len() == query.limit {
                return Ok(Some(page(in_list_order(data, query.newer), true)));
            }
            data.push(item);
        } else {
            skipped += 1;
            if skipped > query.limit {
                return Ok(None);
            }
        }
    }
    Ok(Some(page(in_list_order(data, query.newer), false)))
}

/// Pages read toward newer items were read oldest first; lists show newest first.
fn in_list_order<T>(mut items: Vec<T>, read_oldest_first: bool) -> Vec<T> {
    if read_oldest_first {
        items.reverse();
    }
    items
}

/// What a page needs of its items.
pub(crate) trait HasId {
    fn id(&self) -> &str;
    fn is_active(&self) -> bool;
    /// Microseconds since the epoch.
    fn created_at(&self) -> i64;
}

impl HasId for crate::model::Vault {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_active(&self) -> bool {
        self.status == crate::model::Status::Active
    }
    fn created_at(&self) -> i64 {
        self.created_at.timestamp_micros()
    }
}

impl HasId for crate::model::VaultCredential {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_active(&self) -> bool {
        self.status == crate::model::Status::Active
    }
    fn created_at(&self) -> i64 {
        self.created_at.timestamp_micros()
    }
}

fn page<T: HasId>(data: Vec<T>, has_more: bool) -> Page<T> {
    Page {
        first_id: data.first().map(|item| item.id().to_owned()),
        last_id: data.last().map(|item| item.id().to_owned()),
        data,
        has_more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::VaultRecord;
    use crate::{CreateCredential, CreateVault, Durability, MasterKey, Protocol};

    /// Pages read from the records are exactly those the index gives, across cursors,
    /// bounds, archived runs longer than a page (the fallback) and both directions.
    #[test]
    fn record_pages_equal_index_pages() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = VaultStore::builder(dir.path())
            .key(MasterKey::generate())
            .durability(Durability::Periodic)
            .open()
            .expect("open");
        let mut ids = Vec::new();
        let mut times = Vec::new();
        for i in 0..60 {
            let credential = CreateCredential::static_bearer(
                "https://example.com/mcp",
                Protocol::Sse,
                "token".to_owned().into(),
            );
            let vault = store
                .create_vault(CreateVault::new(format!("v{i}"), vec![credential]))
                .expect("create");
            times.push(vault.created_at);
            ids.push(vault.id);
        }
        for i in (10..35).chain([40, 42, 59]) {
            store.archive_vault(&ids[i]).expect("archive");
        }
        let keys = store.keys();
        let decode = |id: RawId, bytes: &[u8]| {
            let place = store.account.vault(id);
            let record: VaultRecord =
                crate::codec::decode_signed(bytes, &keys, &place, String::new)?;
            Ok(record.into_public(id))
        };
        let records = Records {
            tree: &store.engine().vaults,
            prefix: store.account.vault_prefix(),
            decode: &decode,
        };
        // Both paths are taken: a page past a run of 25 archived vaults falls back.
        let plan = |params: &ListParams| Query::plan(params, Kind::Vault).expect("plan");
        let first = plan(&ListParams::default()).expect("a range");
        assert!(scan_records(&records, &first).expect("read").is_some());
        let past_run = plan(&ListParams {
            after_id: Some(ids[36].clone()),
            ..ListParams::default()
        })
        .expect("a range");
        assert!(scan_records(&records, &past_run).expect("read").is_none());
        let scope = store.account.vault_scope();
        let cursors = [
            None,
            Some(0),
            Some(9),
            Some(20),
            Some(36),
            Some(45),
            Some(59),
        ];
        for limit in [1, 5, 20, 100] {
            for include_archived in [false, true] {
                for cursor in cursors {
                    for newer in [false, true] {
                        for bounds in [None, Some((5, 50)), Some((30, 41))] {
                            let cursor_id = cursor.map(|c: usize| ids[c].clone());
                            let params = ListParams {
                                limit: Some(limit),
                                include_archived,
                                after_id: if newer { None } else { cursor_id.clone() },
                                before_id: if newer { cursor_id } else { None },
                                created_at_gte: bounds.map(|(a, _): (usize, usize)| times[a]),
                                created_at_lte: bounds.map(|(_, b)| times[b]),
                                ..ListParams::default()
                            };
                            let Some(query) = Query::plan(&params, Kind::Vault).expect("plan")
                            else {
                                continue;
                            };
                            let by_index = store
                                .list_by_index(&scope, Kind::Vault, &query, &records)
                                .expect("index page");
                            let page = store
                                .list(&scope, Kind::Vault, &params, &records)
                                .expect("page");
                            assert_eq!(page, by_index, "{params:?}");
                        }
                    }
                }
            }
        }
    }
}
