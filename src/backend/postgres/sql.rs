//! The statements, written once per backend with the schema's name in them.
//!
//! Ids are 16-byte big-endian `bytea`, so byte order is id order is creation order.

use crate::backend::MetaKey;

/// Every statement the backend runs, for one schema.
pub(super) struct Sql {
    pub(super) vault: String,
    pub(super) vault_exists: String,
    pub(super) put_vault: String,
    /// A vault with everything in it: tokens, credentials, then the vault.
    pub(super) delete_vault: [String; 3],
    pub(super) credential: String,
    pub(super) credential_ids: String,
    pub(super) put_credential: String,
    pub(super) delete_credential: String,
    pub(super) token: String,
    pub(super) put_token: String,
    pub(super) delete_token: String,
    pub(super) meta: String,
    pub(super) last_id: String,
    pub(super) put_meta: String,
    /// A vault's, then a credential's record replaced, its columns unchanged.
    pub(super) replace_record: [String; 2],
    /// Pages: [vaults, credentials] × [newest first, oldest first].
    pub(super) page: [[String; 2]; 2],
    /// Whole-table walks: vaults, credentials, tokens.
    pub(super) scan: [String; 3],
}

impl Sql {
    /// `schema` is already quoted.
    pub(super) fn new(s: &str) -> Sql {
        Sql {
            vault: format!("SELECT record FROM {s}.vaults WHERE account = $1 AND id = $2"),
            vault_exists: format!("SELECT 1 FROM {s}.vaults WHERE account = $1 AND id = $2"),
            put_vault: format!(
                "INSERT INTO {s}.vaults (account, id, created_at, search_name, active, record) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (account, id) DO UPDATE SET created_at = EXCLUDED.created_at, \
                 search_name = EXCLUDED.search_name, active = EXCLUDED.active, \
                 record = EXCLUDED.record"
            ),
            delete_vault: [
                format!("DELETE FROM {s}.tokens WHERE account = $1 AND vault_id = $2"),
                format!("DELETE FROM {s}.credentials WHERE account = $1 AND vault_id = $2"),
                format!("DELETE FROM {s}.vaults WHERE account = $1 AND id = $2"),
            ],
            credential: format!(
                "SELECT record FROM {s}.credentials \
                 WHERE account = $1 AND vault_id = $2 AND id = $3"
            ),
            credential_ids: format!(
                "SELECT id FROM {s}.credentials WHERE account = $1 AND vault_id = $2 ORDER BY id"
            ),
            put_credential: format!(
                "INSERT INTO {s}.credentials \
                 (account, vault_id, id, created_at, search_name, active, record) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (account, vault_id, id) DO UPDATE SET \
                 created_at = EXCLUDED.created_at, search_name = EXCLUDED.search_name, \
                 active = EXCLUDED.active, record = EXCLUDED.record"
            ),
            delete_credential: format!(
                "DELETE FROM {s}.credentials WHERE account = $1 AND vault_id = $2 AND id = $3"
            ),
            token: format!(
                "SELECT entry FROM {s}.tokens \
                 WHERE account = $1 AND vault_id = $2 AND lookup_url = $3"
            ),
            // Replaces only the same credential's entry: another credential's entry at
            // the URL is a conflict, which the primary key turns into no row here.
            put_token: format!(
                "INSERT INTO {s}.tokens (account, vault_id, lookup_url, credential_id, entry) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (account, vault_id, lookup_url) DO UPDATE SET entry = EXCLUDED.entry \
                 WHERE {s}.tokens.credential_id = EXCLUDED.credential_id"
            ),
            delete_token: format!(
                "DELETE FROM {s}.tokens WHERE account = $1 AND vault_id = $2 AND lookup_url = $3"
            ),
            meta: format!("SELECT value FROM {s}.meta WHERE key = $1"),
            // See `note_id`: the largest id is what is stored, not a counter.
            last_id: format!(
                "SELECT GREATEST(\
                 (SELECT value FROM {s}.meta WHERE key = $1), \
                 (SELECT id FROM {s}.vaults ORDER BY id DESC LIMIT 1), \
                 (SELECT id FROM {s}.credentials ORDER BY id DESC LIMIT 1))"
            ),
            replace_record: [
                format!("UPDATE {s}.vaults SET record = $3 WHERE account = $1 AND id = $2"),
                format!(
                    "UPDATE {s}.credentials SET record = $4 \
                     WHERE account = $1 AND vault_id = $2 AND id = $3"
                ),
            ],
            put_meta: format!(
                "INSERT INTO {s}.meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            page: [
                [page(s, false, false), page(s, false, true)],
                [page(s, true, false), page(s, true, true)],
            ],
            // After the row ($1, $2[, $3]) in key order, or from the start when $1 is
            // NULL; at most $4 (vaults: $3) rows.
            scan: [
                format!(
                    "SELECT account, id, record FROM {s}.vaults \
                     WHERE $1::text IS NULL OR (account, id) > ($1, $2) \
                     ORDER BY account, id LIMIT $3"
                ),
                format!(
                    "SELECT account, vault_id, id, record FROM {s}.credentials \
                     WHERE $1::text IS NULL OR (account, vault_id, id) > ($1, $2, $3) \
                     ORDER BY account, vault_id, id LIMIT $4"
                ),
                format!(
                    "SELECT account, vault_id, lookup_url, entry FROM {s}.tokens \
                     WHERE $1::text IS NULL OR (account, vault_id, lookup_url) > ($1, $2, $3) \
                     ORDER BY account, vault_id, lookup_url LIMIT $4"
                ),
            ],
        }
    }
}

/// One page query. Parameters: account, (vault,) lowest id, highest id, created_at
/// lower and upper bound, LIKE pattern, include_archived, limit. Absent filters are
/// NULL: an unnamed statement is planned with its values, so `$n IS NULL OR …` folds
/// away and `$n OR active` becomes `active`, which the partial indexes serve.
fn page(s: &str, credentials: bool, ascending: bool) -> String {
    let (table, scope, next) = if credentials {
        ("credentials", "account = $1 AND vault_id = $2", 3)
    } else {
        ("vaults", "account = $1", 2)
    };
    let p = |i: usize| format!("${}", next + i);
    format!(
        "SELECT id, record FROM {s}.{table} WHERE {scope} \
         AND id BETWEEN {lo} AND {hi} \
         AND ({gte}::bigint IS NULL OR created_at >= {gte}) \
         AND ({lte}::bigint IS NULL OR created_at <= {lte}) \
         AND ({like}::text IS NULL OR search_name LIKE {like} ESCAPE '\\') \
         AND ({archived} OR active) \
         ORDER BY id {order} LIMIT {limit}",
        lo = p(0),
        hi = p(1),
        gte = p(2),
        lte = p(3),
        like = p(4),
        archived = p(5),
        limit = p(6),
        order = if ascending { "ASC" } else { "DESC" },
    )
}

/// A `meta` row's key.
pub(super) fn meta_key(key: MetaKey) -> &'static str {
    match key {
        MetaKey::Store => "store",
        MetaKey::Keys => "keys",
        MetaKey::LastId => "last_id",
    }
}

/// `%name%` with LIKE's own characters (`%`, `_` and the escape `\`) escaped, so the
/// name matches literally.
pub(super) fn like_pattern(name: &str) -> String {
    let mut pattern = String::with_capacity(name.len() + 2);
    pattern.push('%');
    for c in name.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(like_pattern(""), "%%");
    }
}
