//! A page request as a backend sees it, and the sink it offers records to.

use std::ops::RangeInclusive;

/// A checked list request: every bound already turned into ranges and plain values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PageQuery {
    /// Items per page, 1–100.
    pub(crate) limit: usize,
    /// Toward newer items (`before_id`): read in ascending id order. Otherwise
    /// descending, newest first.
    pub(crate) newer: bool,
    /// Ids sort by creation (ULIDs): cursors and `created_at` bounds both narrow this.
    pub(crate) ids: RangeInclusive<u128>,
    /// Microseconds, inclusive.
    pub(crate) created_gte: Option<i64>,
    pub(crate) created_lte: Option<i64>,
    /// Lower-cased substring of the search name (no wildcards: matched literally).
    pub(crate) name: Option<String>,
    pub(crate) include_archived: bool,
}

impl PageQuery {
    /// Whether a creation time is within the bounds.
    pub(crate) fn matches_time(&self, created_at: i64) -> bool {
        self.created_gte.is_none_or(|gte| created_at >= gte)
            && self.created_lte.is_none_or(|lte| created_at <= lte)
    }

    /// Whether an item with this time and search name matches (activity aside).
    pub(crate) fn matches(&self, created_at: i64, search_name: &str) -> bool {
        self.matches_time(created_at)
            && self
                .name
                .as_ref()
                .is_none_or(|n| search_name.contains(n.as_str()))
    }
}

/// What a sink did with an offered record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// On the page.
    Taken,
    /// Not admitted: archived (when the query excludes them) or outside the bounds.
    Skipped,
    /// Admitted, but the page is full: there is more.
    Full,
}

/// Receives a page's records in list order. The sink checks each record (its
/// signature, whether it is active, its time) from the record itself, so a page never
/// shows what a stale index claims.
pub(crate) trait PageSink {
    fn offer(&mut self, id: crate::api::id::RawId, record: &[u8]) -> crate::error::Result<Offer>;

    /// Forgets what was taken: the backend starts the page again another way.
    fn clear(&mut self);
}
