//! Reads of sled's trees, and the write set a transaction builds on top of them.

use super::engine::{Engine, TreeId, WriteSet};
use super::IndexEntry;
use crate::api::id::RawId;
use crate::backend::layout::{index_key, Account, META_KEYS, META_LAST_ID, META_STORE};
use crate::backend::{
    CredentialRow, ListScope, MetaKey, PageQuery, PageSink, Reads, RowItem, RowKey, Table, Value,
    VaultRow, Writes,
};
use crate::error::{Error, Result};

pub(super) struct SledReads<'a> {
    pub(super) engine: &'a Engine,
}

pub(crate) fn meta_key(key: MetaKey) -> &'static [u8] {
    match key {
        MetaKey::Store => META_STORE,
        MetaKey::Keys => META_KEYS,
        MetaKey::LastId => META_LAST_ID,
    }
}

impl Reads for SledReads<'_> {
    fn vault(&mut self, account: &Account, id: RawId) -> Result<Option<Value>> {
        Ok(self.engine.vaults.get(account.vault(id))?.map(Value::Sled))
    }

    fn vault_exists(&mut self, account: &Account, id: RawId) -> Result<bool> {
        Ok(self.engine.vaults.contains_key(account.vault(id))?)
    }

    fn credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<Option<Value>> {
        let key = account.credential(vault, id);
        Ok(self.engine.credentials.get(key)?.map(Value::Sled))
    }

    fn credential_ids(&mut self, account: &Account, vault: RawId) -> Result<Vec<RawId>> {
        let prefix = account.vault(vault);
        let mut ids = Vec::new();
        for key in self.engine.credentials.scan_prefix(&prefix).keys() {
            let key = key?;
            let id = RawId::from_slice(&key[prefix.len()..])
                .ok_or_else(|| Error::corrupted("a credential key has the wrong length"))?;
            ids.push(id);
        }
        Ok(ids)
    }

    fn token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
    ) -> Result<Option<Value>> {
        let key = account.token(vault, lookup_url);
        Ok(self.engine.tokens.get(key)?.map(Value::Sled))
    }

    fn page(
        &mut self,
        account: &Account,
        scope: ListScope,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<bool> {
        super::page::page(self.engine, account, scope, query, sink)
    }

    fn meta(&mut self, key: MetaKey) -> Result<Option<Value>> {
        Ok(self.engine.meta.get(meta_key(key))?.map(Value::Sled))
    }

    fn scan(
        &mut self,
        table: Table,
        after: Option<&RowKey>,
        limit: usize,
    ) -> Result<Vec<(RowKey, Value)>> {
        super::scan::scan(self.engine, table, after, limit)
    }
}

/// A transaction: reads see the store as committed plus this transaction's own point
/// writes; the writes apply in one sled transaction at the end.
pub(super) struct SledTx<'a> {
    reads: SledReads<'a>,
    set: WriteSet,
    largest_id: Option<RawId>,
}

impl<'a> SledTx<'a> {
    pub(super) fn new(engine: &'a Engine) -> Self {
        SledTx {
            reads: SledReads { engine },
            set: WriteSet::default(),
            largest_id: None,
        }
    }

    /// The write set, with the largest id issued kept. Ids are issued before the
    /// writer lock, so writes can commit out of id order: keep the maximum.
    pub(super) fn finish(mut self) -> Result<WriteSet> {
        if let Some(id) = self.largest_id {
            let stored = self.reads.engine.meta.get(META_LAST_ID)?;
            if stored
                .as_deref()
                .and_then(RawId::from_slice)
                .is_none_or(|last| last < id)
            {
                self.set
                    .put(TreeId::Meta, META_LAST_ID.to_vec(), id.bytes().to_vec());
            }
        }
        Ok(self.set)
    }

    /// An item's list entries: in `list_all`, and in `list_active` only while active.
    fn put_index(
        &mut self,
        scope: &[u8],
        id: RawId,
        entry: &IndexEntry,
        active: bool,
    ) -> Result<()> {
        let value = crate::crypto::codec::encode(entry)?;
        if active {
            self.set
                .put(TreeId::ListActive, index_key(scope, id), value.clone());
        } else {
            self.set.delete(TreeId::ListActive, index_key(scope, id));
        }
        self.set.put(TreeId::ListAll, index_key(scope, id), value);
        Ok(())
    }

    fn delete_indexed(&mut self, tree: TreeId, key: Vec<u8>, scope: &[u8], id: RawId) {
        self.set.delete(tree, key);
        self.set.delete(TreeId::ListAll, index_key(scope, id));
        self.set.delete(TreeId::ListActive, index_key(scope, id));
    }

    /// `Some(value)` if this transaction wrote `key` of `tree` (`Some(None)`: deleted).
    fn written(&self, tree: TreeId, key: &[u8]) -> Option<Option<Value>> {
        self.set
            .latest(tree, key)
            .map(|value| value.map(Value::Owned))
    }

    fn read_through(
        &self,
        tree: TreeId,
        key: Vec<u8>,
        committed: impl FnOnce(&[u8]) -> Result<Option<Value>>,
    ) -> Result<Option<Value>> {
        match self.written(tree, &key) {
            Some(value) => Ok(value),
            None => committed(&key),
        }
    }
}

impl Reads for SledTx<'_> {
    fn vault(&mut self, account: &Account, id: RawId) -> Result<Option<Value>> {
        let engine = self.reads.engine;
        self.read_through(TreeId::Vaults, account.vault(id), |k| {
            Ok(engine.vaults.get(k)?.map(Value::Sled))
        })
    }

    fn vault_exists(&mut self, account: &Account, id: RawId) -> Result<bool> {
        Ok(self.vault(account, id)?.is_some())
    }

    fn credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<Option<Value>> {
        let engine = self.reads.engine;
        self.read_through(TreeId::Credentials, account.credential(vault, id), |k| {
            Ok(engine.credentials.get(k)?.map(Value::Sled))
        })
    }

    /// Committed credentials only: no transaction lists a vault after adding to it.
    fn credential_ids(&mut self, account: &Account, vault: RawId) -> Result<Vec<RawId>> {
        self.reads.credential_ids(account, vault)
    }

    fn token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
    ) -> Result<Option<Value>> {
        let engine = self.reads.engine;
        self.read_through(TreeId::Tokens, account.token(vault, lookup_url), |k| {
            Ok(engine.tokens.get(k)?.map(Value::Sled))
        })
    }

    fn page(
        &mut self,
        account: &Account,
        scope: ListScope,
        query: &PageQuery,
        sink: &mut dyn PageSink,
    ) -> Result<bool> {
        self.reads.page(account, scope, query, sink)
    }

    fn meta(&mut self, key: MetaKey) -> Result<Option<Value>> {
        let engine = self.reads.engine;
        self.read_through(TreeId::Meta, meta_key(key).to_vec(), |k| {
            Ok(engine.meta.get(k)?.map(Value::Sled))
        })
    }

    /// Committed rows only: no transaction walks a table after writing to it.
    fn scan(
        &mut self,
        table: Table,
        after: Option<&RowKey>,
        limit: usize,
    ) -> Result<Vec<(RowKey, Value)>> {
        self.reads.scan(table, after, limit)
    }
}

impl Writes for SledTx<'_> {
    fn put_vault(&mut self, account: &Account, row: &VaultRow<'_>) -> Result<()> {
        let entry = IndexEntry {
            created_at: row.created_at,
            name: row.search_name.to_owned(),
        };
        self.set
            .put(TreeId::Vaults, account.vault(row.id), row.record.to_vec());
        self.put_index(&account.vault_scope(), row.id, &entry, row.active)
    }

    fn delete_vault(&mut self, account: &Account, id: RawId) -> Result<()> {
        let engine = self.reads.engine;
        let prefix = account.vault(id);
        for cred_id in self.reads.credential_ids(account, id)? {
            self.delete_credential(account, id, cred_id)?;
        }
        for key in engine.tokens.scan_prefix(&prefix).keys() {
            self.set.delete(TreeId::Tokens, key?.to_vec());
        }
        self.delete_indexed(TreeId::Vaults, prefix, &account.vault_scope(), id);
        Ok(())
    }

    fn put_credential(&mut self, account: &Account, row: &CredentialRow<'_>) -> Result<()> {
        let entry = IndexEntry {
            created_at: row.created_at,
            name: row.search_name.to_owned(),
        };
        let key = account.credential(row.vault, row.id);
        self.set.put(TreeId::Credentials, key, row.record.to_vec());
        self.put_index(
            &account.credential_scope(row.vault),
            row.id,
            &entry,
            row.active,
        )
    }

    fn delete_credential(&mut self, account: &Account, vault: RawId, id: RawId) -> Result<()> {
        self.delete_indexed(
            TreeId::Credentials,
            account.credential(vault, id),
            &account.credential_scope(vault),
            id,
        );
        Ok(())
    }

    fn put_token(
        &mut self,
        account: &Account,
        vault: RawId,
        lookup_url: &str,
        _credential: RawId,
        entry: &[u8],
    ) -> Result<()> {
        self.set.put(
            TreeId::Tokens,
            account.token(vault, lookup_url),
            entry.to_vec(),
        );
        Ok(())
    }

    fn delete_token(&mut self, account: &Account, vault: RawId, lookup_url: &str) -> Result<()> {
        self.set
            .delete(TreeId::Tokens, account.token(vault, lookup_url));
        Ok(())
    }

    fn put_meta(&mut self, key: MetaKey, value: &[u8]) -> Result<()> {
        self.set
            .put(TreeId::Meta, meta_key(key).to_vec(), value.to_vec());
        Ok(())
    }

    fn replace_record(&mut self, row: &RowKey, record: &[u8]) -> Result<()> {
        let account = Account::new(&row.account);
        let (tree, key) = match &row.item {
            RowItem::Vault => (TreeId::Vaults, account.vault(row.vault)),
            RowItem::Credential(id) => (TreeId::Credentials, account.credential(row.vault, *id)),
            RowItem::Token(_) => {
                return Err(Error::Storage(
                    "a token entry is not a signed record".into(),
                ))
            }
        };
        self.set.put(tree, key, record.to_vec());
        Ok(())
    }

    fn note_id(&mut self, id: RawId) -> Result<()> {
        self.largest_id = Some(self.largest_id.map_or(id, |l| l.max(id)));
        Ok(())
    }
}
