//! Pages of a list: a range of a list index, newest first.
//!
//! Ids sort by creation time, so cursors and `created_at` bounds both become a range of
//! ids: a page costs one seek and `limit + 1` index reads (more only when a `name`
//! filter skips entries), then one record read per item.

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

    fn matches(&self, entry: &IndexEntry) -> bool {
        self.created_gte.is_none_or(|gte| entry.created_at >= gte)
            && self.created_lte.is_none_or(|lte| entry.created_at <= lte)
            && self
                .name
                .as_ref()
                .is_none_or(|n| entry.name.contains(n.as_str()))
    }
}

impl VaultStore {
    /// One page of the list in `scope`; `load` reads an item's record (`None` if it was
    /// deleted since the index was read).
    pub(crate) fn list<T: HasId>(
        &self,
        scope: &[u8],
        kind: Kind,
        params: &ListParams,
        load: impl Fn(RawId) -> Result<Option<T>>,
    ) -> Result<Page<T>> {
        let Some(query) = Query::plan(params, kind)? else {
            return Ok(page(Vec::new(), false));
        };
        let (ids, has_more) = self.scan_index(scope, kind, &query)?;
        let mut data = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(item) = load(id)? {
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

/// Pages read toward newer items were read oldest first; lists show newest first.
fn in_list_order(mut ids: Vec<RawId>, read_oldest_first: bool) -> Vec<RawId> {
    if read_oldest_first {
        ids.reverse();
    }
    ids
}

/// What a page needs of its items.
pub(crate) trait HasId {
    fn id(&self) -> &str;
    fn is_active(&self) -> bool;
}

impl HasId for crate::model::Vault {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_active(&self) -> bool {
        self.status == crate::model::Status::Active
    }
}

impl HasId for crate::model::VaultCredential {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_active(&self) -> bool {
        self.status == crate::model::Status::Active
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
