//! How keys are built: sled's keys, which are also the places every backend signs a
//! record under (its associated data). Every key starts with the account,
//! length-prefixed, so one account's keys never share a prefix with another's.
//!
//! | tree          | key                               | value            |
//! |---------------|-----------------------------------|------------------|
//! | `vaults`      | account, vault id                 | `VaultRecord`    |
//! | `credentials` | account, vault id, credential id  | `CredentialRecord` |
//! | `tokens`      | account, vault id, URL (normal)   | `TokenEntry` (active credentials only) |
//! | `list_all`    | scope, id                         | `IndexEntry`     |
//! | `list_active` | scope, id                         | `IndexEntry` (active items only) |
//! | `meta`        | `store`, `keys`, `last_id`        | `StoreMeta`, `KeyState`, largest id issued |
//!
//! A list scope is the account and `v` (vaults), or the account, `c` and a vault id (that
//! vault's credentials). Ids are ULIDs, which sort by creation time, so an index range is
//! also a `created_at` range.

use crate::api::id::RawId;

pub(crate) const META_STORE: &[u8] = b"store";
pub(crate) const META_KEYS: &[u8] = b"keys";
pub(crate) const META_LAST_ID: &[u8] = b"last_id";

/// An account's name and its key prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) name: String,
    prefix: Vec<u8>,
}

impl Account {
    /// `name` must already be valid (at most 64 ASCII characters).
    pub(crate) fn new(name: &str) -> Account {
        let mut prefix = Vec::with_capacity(1 + name.len());
        prefix.push(name.len() as u8);
        prefix.extend_from_slice(name.as_bytes());
        Account {
            name: name.to_owned(),
            prefix,
        }
    }

    fn key(&self, parts: &[&[u8]]) -> Vec<u8> {
        // Sized up front: a key is built on every read and write.
        let len = self.prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>();
        let mut key = Vec::with_capacity(len);
        key.extend_from_slice(&self.prefix);
        for part in parts {
            key.extend_from_slice(part);
        }
        key
    }

    /// A vault's key, which is also the prefix of its credentials' and tokens' keys.
    pub(crate) fn vault(&self, vault: RawId) -> Vec<u8> {
        self.key(&[&vault.bytes()])
    }

    pub(crate) fn credential(&self, vault: RawId, credential: RawId) -> Vec<u8> {
        self.key(&[&vault.bytes(), &credential.bytes()])
    }

    pub(crate) fn token(&self, vault: RawId, normal_url: &str) -> Vec<u8> {
        self.key(&[&vault.bytes(), normal_url.as_bytes()])
    }

    /// The prefix of this account's keys in the `vaults` tree (then the vault id).
    pub(crate) fn vault_prefix(&self) -> Vec<u8> {
        self.prefix.clone()
    }

    pub(crate) fn vault_scope(&self) -> Vec<u8> {
        self.key(&[b"v"])
    }

    pub(crate) fn credential_scope(&self, vault: RawId) -> Vec<u8> {
        self.key(&[b"c", &vault.bytes()])
    }

    /// Splits a key of the `vaults` tree into (account name, vault id).
    pub(crate) fn split_vault_key(key: &[u8]) -> Option<(String, RawId)> {
        let (name, rest) = Self::split_account(key)?;
        Some((name, RawId::from_slice(rest)?))
    }

    /// Splits a key of the `credentials` tree into (account name, vault id, credential id).
    pub(crate) fn split_credential_key(key: &[u8]) -> Option<(String, RawId, RawId)> {
        let (name, rest) = Self::split_account(key)?;
        if rest.len() != 2 * RawId::LEN {
            return None;
        }
        let (vault, credential) = rest.split_at(RawId::LEN);
        Some((
            name,
            RawId::from_slice(vault)?,
            RawId::from_slice(credential)?,
        ))
    }

    /// Splits a key of the `tokens` tree into (account name, vault id, URL).
    pub(crate) fn split_token_key(key: &[u8]) -> Option<(String, RawId, String)> {
        let (name, rest) = Self::split_account(key)?;
        if rest.len() < RawId::LEN {
            return None;
        }
        let (vault, url) = rest.split_at(RawId::LEN);
        Some((
            name,
            RawId::from_slice(vault)?,
            String::from_utf8(url.to_vec()).ok()?,
        ))
    }

    pub(crate) fn split_account(key: &[u8]) -> Option<(String, &[u8])> {
        let (&len, rest) = key.split_first()?;
        let name = rest.get(..usize::from(len))?;
        Some((
            String::from_utf8(name.to_vec()).ok()?,
            &rest[usize::from(len)..],
        ))
    }
}

/// The key of an item in a list index.
pub(crate) fn index_key(scope: &[u8], id: RawId) -> Vec<u8> {
    [scope, &id.bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_never_share_prefixes() {
        let (a, ab) = (Account::new("a"), Account::new("ab"));
        let id = RawId(7);
        assert!(!ab.vault(id).starts_with(&a.vault_scope()));
        assert!(!a.vault(id).starts_with(&ab.vault(id)[..2]));
    }

    #[test]
    fn keys_split_back() {
        let acct = Account::new("acme");
        let (v, c) = (RawId(1), RawId(2));
        assert_eq!(
            Account::split_vault_key(&acct.vault(v)),
            Some(("acme".into(), v))
        );
        assert_eq!(
            Account::split_credential_key(&acct.credential(v, c)),
            Some(("acme".into(), v, c))
        );
        assert_eq!(
            Account::split_token_key(&acct.token(v, "https://x/")),
            Some(("acme".into(), v, "https://x/".into()))
        );
        assert_eq!(Account::split_vault_key(&[200, 1]), None);
    }
}
