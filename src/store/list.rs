//! Pages of a list: the parameters checked into a [`PageQuery`], and the sink that
//! turns the records a backend offers into a page, newest first.
//!
//! Ids sort by creation time, so cursors and `created_at` bounds both become a range of
//! ids.

use super::VaultStore;
use crate::api::id::{Kind, RawId};
use crate::api::model::Page;
use crate::api::request::ListParams;
use crate::backend::{ListScope, Offer, PageQuery, PageSink};
use crate::error::{Error, Result};

pub(crate) const DEFAULT_LIMIT: u32 = 20;
pub(crate) const MAX_LIMIT: u32 = 100;

/// `None` when no item can match (a range that is empty).
fn plan(params: &ListParams, kind: Kind) -> Result<Option<PageQuery>> {
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
    Ok(Some(PageQuery {
        limit: limit as usize,
        newer: before.is_some(),
        ids: low..=high,
        created_gte: gte,
        created_lte: lte,
        name,
        include_archived: params.include_archived,
    }))
}

/// Collects the records a backend offers: checks each (signature, activity, time) by
/// decoding it, and keeps those the query admits.
struct Collect<'q, T> {
    query: &'q PageQuery,
    decode: &'q dyn Fn(RawId, &[u8]) -> Result<T>,
    data: Vec<T>,
}

impl<T: HasId> PageSink for Collect<'_, T> {
    fn offer(&mut self, id: RawId, record: &[u8]) -> Result<Offer> {
        let item = (self.decode)(id, record)?;
        if !(self.query.include_archived || item.is_active())
            || !self.query.matches_time(item.created_at())
        {
            return Ok(Offer::Skipped);
        }
        if self.data.len() == self.query.limit {
            return Ok(Offer::Full);
        }
        self.data.push(item);
        Ok(Offer::Taken)
    }

    fn clear(&mut self) {
        self.data.clear();
    }
}

impl VaultStore {
    /// One page of the list `scope`; `decode` turns a record into the item shown.
    pub(crate) fn list<T: HasId>(
        &self,
        scope: ListScope,
        kind: Kind,
        params: &ListParams,
        decode: &dyn Fn(RawId, &[u8]) -> Result<T>,
    ) -> Result<Page<T>> {
        let Some(query) = plan(params, kind)? else {
            return Ok(page(Vec::new(), false));
        };
        let mut sink = Collect {
            query: &query,
            decode,
            data: Vec::with_capacity(query.limit),
        };
        let has_more = self
            .backend()
            .reads()?
            .page(&self.account, scope, &query, &mut sink)?;
        Ok(page(in_list_order(sink.data, query.newer), has_more))
    }
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

impl HasId for crate::api::model::Vault {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_active(&self) -> bool {
        self.status == crate::api::model::Status::Active
    }
    fn created_at(&self) -> i64 {
        self.created_at.timestamp_micros()
    }
}

impl HasId for crate::api::model::VaultCredential {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_active(&self) -> bool {
        self.status == crate::api::model::Status::Active
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
    use crate::backend::sled::page::paths;
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
        let engine = &store.sled("test").expect("sled").engine;
        let decode =
            |id: RawId, bytes: &[u8]| Ok(store.decode_vault(&keys, id, bytes)?.into_public(id));
        let by_index = |query: &PageQuery| {
            let mut sink = Collect {
                query,
                decode: &decode,
                data: Vec::new(),
            };
            let has_more = paths::vaults_by_index(engine, &store.account, query, &mut sink)
                .expect("index page");
            page(in_list_order(sink.data, query.newer), has_more)
        };
        let by_records = |query: &PageQuery| {
            let mut sink = Collect {
                query,
                decode: &decode,
                data: Vec::new(),
            };
            paths::vaults_by_records(engine, &store.account, query, &mut sink)
                .expect("record page")
                .map(|has_more| page(in_list_order(sink.data, query.newer), has_more))
        };
        // Both paths are taken: a page past a run of 25 archived vaults falls back.
        let first = plan(&ListParams::default(), Kind::Vault)
            .expect("plan")
            .expect("a range");
        assert!(by_records(&first).is_some());
        let past_run = ListParams {
            after_id: Some(ids[36].clone()),
            ..ListParams::default()
        };
        let past_run = plan(&past_run, Kind::Vault)
            .expect("plan")
            .expect("a range");
        assert!(by_records(&past_run).is_none());
        let cursors = [
            None,
            Some(0),
            Some(9),
            Some(20),
            Some(36),
            Some(45),
            Some(59),
        ];
        let mut compared = 0;
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
                            let Some(query) = plan(&params, Kind::Vault).expect("plan") else {
                                continue;
                            };
                            let listed = store.list_vaults(&params).expect("page");
                            assert_eq!(listed, by_index(&query), "{params:?}");
                            if let Some(records) = by_records(&query) {
                                assert_eq!(records, listed, "{params:?}");
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(
            compared > 100,
            "only {compared} pages came from the records"
        );
    }
}
