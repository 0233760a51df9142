//! Whole-table walks on sled: a range of a tree after a row's key, its keys split back
//! into account, vault and item.

use std::ops::Bound;

use super::engine::Engine;
use crate::backend::layout::Account;
use crate::backend::{RowItem, RowKey, Table, Value};
use crate::error::{Error, Result};

pub(super) fn scan(
    engine: &Engine,
    table: Table,
    after: Option<&RowKey>,
    limit: usize,
) -> Result<Vec<(RowKey, Value)>> {
    let tree = match table {
        Table::Vaults => &engine.vaults,
        Table::Credentials => &engine.credentials,
        Table::Tokens => &engine.tokens,
    };
    let start = after.map(RowKey::place);
    let start = start.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
    let mut rows = Vec::with_capacity(limit.min(1024));
    for item in tree.range::<&[u8], _>((start, Bound::Unbounded)) {
        if rows.len() == limit {
            break;
        }
        let (key, value) = item?;
        let row = row_key(table, &key)
            .ok_or_else(|| Error::corrupted(format!("a key of the {table:?} tree is malformed")))?;
        rows.push((row, Value::Sled(value)));
    }
    Ok(rows)
}

fn row_key(table: Table, key: &[u8]) -> Option<RowKey> {
    Some(match table {
        Table::Vaults => {
            let (account, vault) = Account::split_vault_key(key)?;
            RowKey {
                account,
                vault,
                item: RowItem::Vault,
            }
        }
        Table::Credentials => {
            let (account, vault, id) = Account::split_credential_key(key)?;
            RowKey {
                account,
                vault,
                item: RowItem::Credential(id),
            }
        }
        Table::Tokens => {
            let (account, vault, url) = Account::split_token_key(key)?;
            RowKey {
                account,
                vault,
                item: RowItem::Token(url),
            }
        }
    })
}
