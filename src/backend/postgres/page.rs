//! Pages on PostgreSQL: one query per batch, in id order, until the sink is full.

use postgres::types::Type;

use super::errors::malformed;
use super::sql::like_pattern;
use super::statements::{id_of, Statements};
use crate::backend::layout::Account;
use crate::backend::{ListScope, Offer, PageQuery, PageSink};
use crate::error::Result;

/// The largest batch asked for when the sink keeps skipping rows.
const MAX_BATCH: i64 = 1000;

/// Offers the sink the rows the query admits. The first batch is `limit + 1` rows —
/// a full page and one to tell `has_more` — which is all a page needs unless the sink
/// skips rows (a record that disagrees with its row, e.g. changed since): then the
/// next batch starts past the last row offered, so a page is never short while more
/// rows match.
pub(super) fn page(
    st: &mut Statements<'_>,
    account: &Account,
    scope: ListScope,
    query: &PageQuery,
    sink: &mut dyn PageSink,
) -> Result<bool> {
    let (mut lo, mut hi) = (*query.ids.start(), *query.ids.end());
    let like = query.name.as_deref().map(like_pattern);
    let (vault, table) = match scope {
        ListScope::Vaults => (None, 0),
        ListScope::Credentials(vault) => (Some(vault.bytes()), 1),
    };
    let sql = st.sql;
    let statement = &sql.page[table][usize::from(query.newer)];
    // `limit` is at most 100; the conversion cannot fail in practice.
    let mut batch = i64::try_from(query.limit).unwrap_or(MAX_BATCH - 1) + 1;
    while lo <= hi {
        let (lo_bytes, hi_bytes) = (lo.to_be_bytes(), hi.to_be_bytes());
        let (lo_ref, hi_ref) = (&lo_bytes[..], &hi_bytes[..]);
        let vault_ref = vault.as_ref().map(|v| &v[..]);
        let mut params = vec![(
            &account.name as &(dyn postgres::types::ToSql + Sync),
            Type::TEXT,
        )];
        if let Some(vault) = &vault_ref {
            params.push((vault, Type::BYTEA));
        }
        params.extend([
            (&lo_ref as _, Type::BYTEA),
            (&hi_ref as _, Type::BYTEA),
            (&query.created_gte as _, Type::INT8),
            (&query.created_lte as _, Type::INT8),
            (&like as _, Type::TEXT),
            (&query.include_archived as _, Type::BOOL),
            (&batch as _, Type::INT8),
        ]);
        let rows = st.query("reading a page", statement, &params)?;
        for row in &rows {
            let id = id_of(row, 0)?;
            let record: &[u8] = row
                .try_get(1)
                .map_err(|_| malformed("a record column is not bytea"))?;
            if sink.offer(id, record)? == Offer::Full {
                return Ok(true);
            }
            // Past this row, in the direction of travel.
            let next = if query.newer {
                id.0.checked_add(1).map(|n| lo = n)
            } else {
                id.0.checked_sub(1).map(|n| hi = n)
            };
            if next.is_none() {
                return Ok(false);
            }
        }
        if (rows.len() as i64) < batch {
            return Ok(false);
        }
        batch = (batch * 2).min(MAX_BATCH);
    }
    Ok(false)
}
