//! Reads and writes as statements on one connection: of committed state when the
//! connection is in no transaction, of the transaction's view inside one.

use postgres::types::Type;
use postgres::Row;

use super::errors::{describe, is_retryable, malformed};
use super::pool::{Conn, Params};
use super::sql::{meta_key, Sql};
use crate::api::id::RawId;
use crate::backend::layout::Account;
use crate::backend::{
    CredentialRow, ListScope, MetaKey, PageQuery, PageSink, Reads, RowItem, RowKey, Table, Value,
    VaultRow, Writes,
};
use crate::error::{Error, Result};

/// The statements of one connection, and how the first failed one failed.
pub(super) struct Statements<'a> {
    pub(super) conn: &'a mut Conn,
    pub(super) sql: &'a Sql,
    /// Set by the first failed statement. In a transaction every later statement fails
    /// too, and a `COMMIT` would quietly roll back, so the transaction must not commit
    /// even if its body swallowed the error.
    /// The message is the failed statement's error, for when the body swallowed it.
    pub(super) failed: Option<(Failure, String)>,
}

/// How a statement failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// A serialization failure or deadlock: the whole transaction may be run again.
    Retryable,
    Other,
}

impl<'a> Statements<'a> {
    pub(super) fn new(conn: &'a mut Conn, sql: &'a Sql) -> Statements<'a> {
        Statements {
            conn,
            sql,
            failed: None,
        }
    }

    pub(super) fn query(
        &mut self,
        doing: &str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>> {
        let result = self.conn.query(sql, params);
        result.map_err(|e| self.failure(doing, &e))
    }

    fn execute(&mut self, doing: &str, sql: &str, params: &Params<'_>) -> Result<u64> {
        let result = self.conn.execute(sql, params);
        result.map_err(|e| self.failure(doing, &e))
    }

    fn failure(&mut self, doing: &str, e: &postgres::Error) -> Error {
        let kind = if is_retryable(e) {
            Failure::Retryable
        } else {
            Failure::Other
        };
        let message = describe(doing, e);
        self.failed.get_or_insert_with(|| (kind, message.clone()));
        Error::Storage(message)
    }

    /// The first column of the first row, as bytes.
    fn bytes(&mut self, doing: &str, sql: &str, params: &Params<'_>) -> Result<Option<Value>> {
        let rows = self.query(doing, sql, params)?;
        match rows.first() {
            Some(row) => row
                .try_get::<_, Option<Vec<u8>>>(0)
                .map(|bytes| bytes.map(Value::Owned))
                .map_err(|_| malformed(&format!("{doing}: the column is not bytea"))),
            None => Ok(None),
        }
    }
}

/// A 16-byte id column.
pub(super) fn id_of(row: &Row, column: usize) -> Result<RawId> {
    let bytes: &[u8] = row
        .try_get(column)
        .map_err(|_| malformed("an id column is not bytea"))?;
    RawId::from_slice(bytes).ok_or_else(|| malformed("an id is not 16 bytes long"))
}

impl Reads for Statements<'_> {
    fn vault(&mut self, account: &Account, id: RawId) -> Result<Option<Value>> {
        let id = id.bytes();
        let sql = self.sql;
        self.bytes(
            "reading a vault",
            &sql.vault,
            &[(&account.name, Type::TEXT), (&&id[..], Type::BYTEA)],
        )
    }

    fn vault_exists(&mut self, account: &Account, id: RawId) -> Result<bool> {
        let id = id.bytes();
        let sql = self.sql;
        let rows = self.query(
            "reading a vault",
            &sql.vault_exists,
            &[(&account.name, Type::TEXT), (&&id[..], Type::BYTEA)],
        )?;
        Ok(!rows.is_empty())
    }

    fn credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<Option<Value>> {
        let (vault, id) = (vault.bytes(), id.bytes());
        let sql = self.sql;
        self.bytes(
            "reading a credential",
            &sql.credential,
            &[
                (&account.name, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&&id[..], Type::BYTEA),
            ],
        )
    }

    fn credential_ids(&mut self, account: &Account, vault: RawId) -> Result<Vec<RawId>> {
        let vault = vault.bytes();
        let sql = self.sql;
        let rows = self.query(
            "listing a vault's credentials",
            &sql.credential_ids,
            &[(&account.name, Type::TEXT), (&&vault[..], Type::BYTEA)],
        )?;
        rows.iter().map(|row| id_of(row, 0)).collect()
    }

    fn token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
    ) -> Result<Option<Value>> {
        let vault = vault.bytes();
        let sql = self.sql;
        self.bytes(
            "reading a token entry",
            &sql.token,
            &[
                (&account.name, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&lookup_url, Type::TEXT),
            ],
        )
    }

    fn page(
        &mut self,
        account: &Account,
        scope: ListScope,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<bool> {
        super::page::page(self, account, scope, query, sink)
    }

    fn meta(&mut self, key: MetaKey) -> Result<Option<Value>> {
        let sql = self.sql;
        let statement = match key {
            MetaKey::LastId => &sql.last_id,
            MetaKey::Store | MetaKey::Keys => &sql.meta,
        };
        self.bytes(
            "reading the store's metadata",
            statement,
            &[(&meta_key(key), Type::TEXT)],
        )
    }

    fn scan(
        &mut self,
        table: Table,
        after: Option<&RowKey>,
        limit: usize,
    ) -> Result<Vec<(RowKey, Value)>> {
        let sql = self.sql;
        let account = after.map(|a| a.account.clone());
        let vault = after.map(|a| a.vault.bytes().to_vec());
        let (item_id, item_url) = match after.map(|a| &a.item) {
            Some(RowItem::Credential(id)) => (Some(id.bytes().to_vec()), None),
            Some(RowItem::Token(url)) => (None, Some(url.clone())),
            _ => (None, None),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let doing = "walking a table";
        let rows = match table {
            Table::Vaults => self.query(
                doing,
                &sql.scan[0],
                &[
                    (&account, Type::TEXT),
                    (&vault, Type::BYTEA),
                    (&limit, Type::INT8),
                ],
            )?,
            Table::Credentials => self.query(
                doing,
                &sql.scan[1],
                &[
                    (&account, Type::TEXT),
                    (&vault, Type::BYTEA),
                    (&item_id, Type::BYTEA),
                    (&limit, Type::INT8),
                ],
            )?,
            Table::Tokens => self.query(
                doing,
                &sql.scan[2],
                &[
                    (&account, Type::TEXT),
                    (&vault, Type::BYTEA),
                    (&item_url, Type::TEXT),
                    (&limit, Type::INT8),
                ],
            )?,
        };
        rows.iter().map(|row| scanned(table, row)).collect()
    }
}

impl Writes for Statements<'_> {
    fn put_vault(&mut self, account: &Account, row: &VaultRow<'_>) -> Result<()> {
        let id = row.id.bytes();
        let sql = self.sql;
        self.execute(
            "writing a vault",
            &sql.put_vault,
            &[
                (&account.name, Type::TEXT),
                (&&id[..], Type::BYTEA),
                (&row.created_at, Type::INT8),
                (&row.search_name, Type::TEXT),
                (&row.active, Type::BOOL),
                (&row.record, Type::BYTEA),
            ],
        )?;
        Ok(())
    }

    /// Removes the vault's tokens and credentials too (nothing, if the store already
    /// removed them by their own calls).
    fn delete_vault(&mut self, account: &Account, id: RawId) -> Result<()> {
        let id = id.bytes();
        let sql = self.sql;
        for statement in &sql.delete_vault {
            self.execute(
                "deleting a vault",
                statement,
                &[(&account.name, Type::TEXT), (&&id[..], Type::BYTEA)],
            )?;
        }
        Ok(())
    }

    fn put_credential(&mut self, account: &Account, row: &CredentialRow<'_>) -> Result<()> {
        let (vault, id) = (row.vault.bytes(), row.id.bytes());
        let sql = self.sql;
        self.execute(
            "writing a credential",
            &sql.put_credential,
            &[
                (&account.name, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&&id[..], Type::BYTEA),
                (&row.created_at, Type::INT8),
                (&row.search_name, Type::TEXT),
                (&row.active, Type::BOOL),
                (&row.record, Type::BYTEA),
            ],
        )?;
        Ok(())
    }

    fn delete_credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<()> {
        let (vault, id) = (vault.bytes(), id.bytes());
        let sql = self.sql;
        self.execute(
            "deleting a credential",
            &sql.delete_credential,
            &[
                (&account.name, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&&id[..], Type::BYTEA),
            ],
        )?;
        Ok(())
    }

    /// Replaces the entry of the same credential; when another credential holds the URL
    /// in this vault, answers `Error::Conflict` (the tokens' primary key).
    fn put_token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
        credential: RawId,
        entry: &[u8],
    ) -> Result<()> {
        let (vault, credential) = (vault.bytes(), credential.bytes());
        let sql = self.sql;
        let written = self.execute(
            "writing a token entry",
            &sql.put_token,
            &[
                (&account.name, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&lookup_url, Type::TEXT),
                (&&credential[..], Type::BYTEA),
                (&entry, Type::BYTEA),
            ],
        )?;
        if written == 0 {
            // The statement succeeded, so the transaction may still commit: the caller
            // decides what the conflict means.
            return Err(Error::conflict(format!(
                "another active credential of the vault already has the URL {lookup_url}"
            )));
        }
        Ok(())
    }

    fn delete_token(&mut self, account: &Account, vault: RawId, lookup_url: &str) -> Result<()> {
        let vault = vault.bytes();
        let sql = self.sql;
        self.execute(
            "deleting a token entry",
            &sql.delete_token,
            &[
                (&account.name, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&lookup_url, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn put_meta(&mut self, key: MetaKey, value: &[u8]) -> Result<()> {
        let sql = self.sql;
        self.execute(
            "writing the store's metadata",
            &sql.put_meta,
            &[(&meta_key(key), Type::TEXT), (&value, Type::BYTEA)],
        )?;
        Ok(())
    }

    fn replace_record(&mut self, row: &RowKey, record: &[u8]) -> Result<()> {
        let sql = self.sql;
        let vault = row.vault.bytes();
        let doing = "re-signing a record";
        match &row.item {
            RowItem::Vault => self.execute(
                doing,
                &sql.replace_record[0],
                &[
                    (&row.account, Type::TEXT),
                    (&&vault[..], Type::BYTEA),
                    (&record, Type::BYTEA),
                ],
            )?,
            RowItem::Credential(id) => {
                let id = id.bytes();
                self.execute(
                    doing,
                    &sql.replace_record[1],
                    &[
                        (&row.account, Type::TEXT),
                        (&&vault[..], Type::BYTEA),
                        (&&id[..], Type::BYTEA),
                        (&record, Type::BYTEA),
                    ],
                )?
            }
            RowItem::Token(_) => {
                return Err(Error::Storage(
                    "a token entry is not a signed record".into(),
                ))
            }
        };
        Ok(())
    }

    /// Nothing to write. A shared `last_id` row would be written by every create, so
    /// under SERIALIZABLE concurrent creates would all conflict on it and retry. It is
    /// not needed: reading `MetaKey::LastId` answers the largest id stored (an index
    /// each on `vaults.id` and `credentials.id`), and ids from different processes do
    /// not collide because each process starts every millisecond at 79 random bits
    /// (see `IdClock`), not at a shared counter.
    fn note_id(&mut self, id: RawId) -> Result<()> {
        let _ = id;
        Ok(())
    }
}

/// A row of a whole-table walk: its key columns, then its bytes.
fn scanned(table: Table, row: &Row) -> Result<(RowKey, Value)> {
    let account: String = row
        .try_get(0)
        .map_err(|_| malformed("an account column is not text"))?;
    let vault = id_of(row, 1)?;
    let (item, value_column) = match table {
        Table::Vaults => (RowItem::Vault, 2),
        Table::Credentials => (RowItem::Credential(id_of(row, 2)?), 3),
        Table::Tokens => {
            let url: String = row
                .try_get(2)
                .map_err(|_| malformed("a lookup_url column is not text"))?;
            (RowItem::Token(url), 3)
        }
    };
    let bytes: Vec<u8> = row
        .try_get(value_column)
        .map_err(|_| malformed("a record column is not bytea"))?;
    Ok((
        RowKey {
            account,
            vault,
            item,
        },
        Value::Owned(bytes),
    ))
}
