//! The raw PostgreSQL baselines: the statements the backend runs (the text of
//! `src/backend/postgres/sql.rs`, keep them in step), sent the way it sends them
//! (`query_typed`: parse, bind and execute in one round trip, with the same parameter
//! types), on one connection of its own, then the same MAC checks, decodes and
//! AES-GCM-SIV open as the sled baselines (`common::raw`).

use aes_gcm_siv::Aes256GcmSiv;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Row, Statement};

use crate::common::raw::{self, CredentialRecord, TokenEntry, VaultRecord};

/// The account every bench vault is in.
const ACCOUNT: &str = "default";

/// One connection and the statements of one schema.
pub struct RawPg {
    client: Client,
    sql: Sql,
    /// `sql.vault` prepared once (named): what a statement cache would send instead.
    vault_prepared: Statement,
}

struct Sql {
    vault: String,
    credential: String,
    token: String,
    /// A vault page, newest first (no filters: NULLs, as the store sends them).
    page: String,
}

/// Statement parameters with their types, as the backend passes them.
type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

impl RawPg {
    pub fn connect(conninfo: &str, schema: &str) -> RawPg {
        let mut client = Client::connect(conninfo, NoTls).expect("raw connection");
        let s = format!("\"{schema}\"");
        let vault = format!("SELECT record FROM {s}.vaults WHERE account = $1 AND id = $2");
        let vault_prepared = client
            .prepare_typed(&vault, &[Type::TEXT, Type::BYTEA])
            .expect("prepare");
        let sql = Sql {
            credential: format!(
                "SELECT record FROM {s}.credentials \
                 WHERE account = $1 AND vault_id = $2 AND id = $3"
            ),
            token: format!(
                "SELECT entry FROM {s}.tokens \
                 WHERE account = $1 AND vault_id = $2 AND lookup_url = $3"
            ),
            page: format!(
                "SELECT id, record FROM {s}.vaults WHERE account = $1 \
                 AND id BETWEEN $2 AND $3 \
                 AND ($4::bigint IS NULL OR created_at >= $4) \
                 AND ($5::bigint IS NULL OR created_at <= $5) \
                 AND ($6::text IS NULL OR search_name LIKE $6 ESCAPE '\\') \
                 AND ($7 OR active) \
                 ORDER BY id DESC LIMIT $8"
            ),
            vault,
        };
        RawPg {
            client,
            sql,
            vault_prepared,
        }
    }

    /// A get: the vault's row, its MAC checked, decoded.
    pub fn get_vault(&mut self, cipher: &Aes256GcmSiv, vault_id: &str) {
        let id = raw::id_bytes(vault_id);
        let params: &Params<'_> = &[(&ACCOUNT, Type::TEXT), (&&id[..], Type::BYTEA)];
        let bytes = bytes(&mut self.client, &self.sql.vault, params);
        raw::decode_signed::<VaultRecord>(cipher, &bytes, &raw::vault_key(vault_id));
    }

    /// [`RawPg::get_vault`] with the statement prepared once: no parse or plan on the
    /// server per call.
    pub fn get_vault_prepared(&mut self, cipher: &Aes256GcmSiv, vault_id: &str) {
        let id = raw::id_bytes(vault_id);
        let rows = self
            .client
            .query(&self.vault_prepared, &[&ACCOUNT, &&id[..]])
            .expect("raw query");
        let bytes: &[u8] = rows[0].get(0);
        raw::decode_signed::<VaultRecord>(cipher, bytes, &raw::vault_key(vault_id));
    }

    /// [`RawPg::get_vault`] after the round trip the pool spends validating a
    /// connection at checkout (an empty simple query).
    pub fn get_vault_after_check(&mut self, cipher: &Aes256GcmSiv, vault_id: &str) {
        self.client.simple_query("").expect("empty query");
        self.get_vault(cipher, vault_id);
    }

    pub fn get_credential(&mut self, cipher: &Aes256GcmSiv, vault_id: &str, cred_id: &str) {
        let (vault, id) = (raw::id_bytes(vault_id), raw::id_bytes(cred_id));
        let bytes = bytes(
            &mut self.client,
            &self.sql.credential,
            &[
                (&ACCOUNT, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&&id[..], Type::BYTEA),
            ],
        );
        let place = raw::credential_key(vault_id, cred_id);
        raw::decode_signed::<CredentialRecord>(cipher, &bytes, &place);
    }

    /// What a session lookup reads, raw: the token entry at (vault, URL), then the
    /// credential record it names (MAC checked, decoded, checked active and matching),
    /// and the access token opened with its associated data.
    pub fn session_lookup(&mut self, cipher: &Aes256GcmSiv, vault_id: &str, url: &str) -> usize {
        let vault = raw::id_bytes(vault_id);
        let entry = bytes(
            &mut self.client,
            &self.sql.token,
            &[
                (&ACCOUNT, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&url, Type::TEXT),
            ],
        );
        let entry: TokenEntry = raw::decode_as(raw::V2, &entry);
        let record = bytes(
            &mut self.client,
            &self.sql.credential,
            &[
                (&ACCOUNT, Type::TEXT),
                (&&vault[..], Type::BYTEA),
                (&&entry.credential_id[..], Type::BYTEA),
            ],
        );
        let place = [raw::vault_key(vault_id).as_slice(), &entry.credential_id].concat();
        let record: CredentialRecord = raw::decode_signed(cipher, &record, &place);
        assert!(record.archived_at.is_none() && record.binding == entry.binding);
        assert_eq!(record.lookup_url, url);
        let credential_id = raw::credential_text(entry.credential_id);
        let ad = raw::access_ad(vault_id, &credential_id, &record);
        let plain = raw::open(cipher, &entry.access_token, &ad);
        std::str::from_utf8(&plain).expect("UTF-8").len()
    }

    /// A page of vaults newest first, below `below` (exclusive; `None`: the first
    /// page): 21 rows (a page and one to tell whether more follow), each MAC checked
    /// and decoded, as the store decodes every row it is offered.
    pub fn page(&mut self, cipher: &Aes256GcmSiv, below: Option<&str>) {
        let lo = 0u128.to_be_bytes();
        let hi = below
            .map_or(u128::MAX, |id| u128::from_be_bytes(raw::id_bytes(id)) - 1)
            .to_be_bytes();
        let (none_i64, none_text, archived, limit) = (None::<i64>, None::<String>, false, 21i64);
        let rows = query(
            &mut self.client,
            &self.sql.page,
            &[
                (&ACCOUNT, Type::TEXT),
                (&&lo[..], Type::BYTEA),
                (&&hi[..], Type::BYTEA),
                (&none_i64, Type::INT8),
                (&none_i64, Type::INT8),
                (&none_text, Type::TEXT),
                (&archived, Type::BOOL),
                (&limit, Type::INT8),
            ],
        );
        assert_eq!(rows.len(), 21);
        let mut place = raw::account_prefix();
        let prefix = place.len();
        for row in &rows {
            let id: &[u8] = row.get(0);
            let record: &[u8] = row.get(1);
            place.truncate(prefix);
            place.extend_from_slice(id);
            raw::decode_signed::<VaultRecord>(cipher, record, &place);
        }
    }
}

impl RawPg {
    /// Drops the bench's schema (on a server of the caller's, `VAULTSTORE_TEST_PG`).
    pub fn drop_schema(&mut self, schema: &str) {
        let sql = format!("DROP SCHEMA \"{schema}\" CASCADE");
        self.client
            .batch_execute(&sql)
            .expect("drop the bench schema");
    }
}

fn query(client: &mut Client, sql: &str, params: &Params<'_>) -> Vec<Row> {
    client.query_typed(sql, params).expect("raw query")
}

/// The first column of the only row, copied out as the backend copies it.
fn bytes(client: &mut Client, sql: &str, params: &Params<'_>) -> Vec<u8> {
    query(client, sql, params)[0].get(0)
}
