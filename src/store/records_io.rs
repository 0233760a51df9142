//! Reading and writing signed vault and credential records, and sealing and opening a
//! credential's secrets. Every caller passes the keyring guard it holds: taking a second
//! read guard in one thread can deadlock against a waiting rotation.

use secrecy::{ExposeSecret, SecretString};

use super::VaultStore;
use crate::api::id::{Kind, RawId};
use crate::backend::{CredentialRow, Reads, VaultRow, Writes};
use crate::crypto::codec::{decode_as, decode_signed, encode_as, encode_signed, signed_key_id, V2};
use crate::crypto::seal::{Keyring, Sealed, SecretPlace};
use crate::error::{Error, Result};
use crate::store::records::{CredentialRecord, SecretField, TokenEntry, VaultRecord};

/// The plaintext secrets of a credential, to be sealed into its token entry.
pub(crate) struct Secrets<'a> {
    pub(crate) access_token: &'a SecretString,
    pub(crate) refresh_token: Option<&'a SecretString>,
    pub(crate) client_secret: Option<&'a SecretString>,
}

impl VaultStore {
    pub(crate) fn read_vault(
        &self,
        reads: &mut dyn Reads,
        keys: &Keyring,
        id: RawId,
    ) -> Result<Option<VaultRecord>> {
        match reads.vault(&self.account, id)? {
            Some(bytes) => self.decode_vault(keys, id, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Checks a vault record's signature (it is bound to this account and id).
    pub(crate) fn decode_vault(
        &self,
        keys: &Keyring,
        id: RawId,
        bytes: &[u8],
    ) -> Result<VaultRecord> {
        self.check_rotated_elsewhere(keys, signed_key_id(bytes))?;
        decode_signed(bytes, keys, &self.account.vault(id), || vault_name(id))
    }

    /// On a store other processes share, a record or secret under a key newer than
    /// this ring's, which the store's key record names, means another process rotated
    /// the key: [`Error::KeyRotated`]. Anything else with an unknown key fails its
    /// integrity check later, as tampering.
    fn check_rotated_elsewhere(&self, keys: &Keyring, key_id: Option<u32>) -> Result<()> {
        let Some(key_id) = key_id.filter(|&id| id > keys.current.id) else {
            return Ok(());
        };
        if !self.backend().is_shared() {
            return Ok(());
        }
        let state = self.key_state()?;
        let store_uses = state
            .rotation
            .as_ref()
            .map_or(state.current.id, |r| r.next.id);
        if key_id == store_uses || key_id == state.current.id {
            return Err(Error::KeyRotated { key_id });
        }
        Ok(())
    }

    pub(crate) fn vault_bytes(
        &self,
        keys: &Keyring,
        id: RawId,
        record: &VaultRecord,
    ) -> Result<Vec<u8>> {
        encode_signed(record, &keys.current, &self.account.vault(id))
    }

    /// Signs and writes a vault record.
    pub(crate) fn put_vault(
        &self,
        tx: &mut dyn Writes,
        keys: &Keyring,
        id: RawId,
        record: &VaultRecord,
    ) -> Result<()> {
        let bytes = self.vault_bytes(keys, id, record)?;
        let entry = record.index_entry();
        tx.put_vault(
            &self.account,
            &VaultRow {
                id,
                created_at: entry.created_at,
                search_name: &entry.name,
                active: record.is_active(),
                record: &bytes,
            },
        )
    }

    pub(crate) fn read_credential(
        &self,
        reads: &mut dyn Reads,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
    ) -> Result<Option<CredentialRecord>> {
        match reads.credential(&self.account, vault, id)? {
            Some(bytes) => self.decode_credential(keys, vault, id, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Checks a credential record's signature (bound to this account, vault and id).
    pub(crate) fn decode_credential(
        &self,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        bytes: &[u8],
    ) -> Result<CredentialRecord> {
        self.check_rotated_elsewhere(keys, signed_key_id(bytes))?;
        decode_signed(bytes, keys, &self.account.credential(vault, id), || {
            credential_name(id)
        })
    }

    pub(crate) fn credential_bytes(
        &self,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
    ) -> Result<Vec<u8>> {
        encode_signed(record, &keys.current, &self.account.credential(vault, id))
    }

    /// Signs and writes a credential record.
    pub(crate) fn put_credential(
        &self,
        tx: &mut dyn Writes,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
    ) -> Result<()> {
        let bytes = self.credential_bytes(keys, vault, id, record)?;
        let entry = record.index_entry();
        tx.put_credential(
            &self.account,
            &CredentialRow {
                vault,
                id,
                created_at: entry.created_at,
                search_name: &entry.name,
                active: record.is_active(),
                record: &bytes,
            },
        )
    }

    /// The token entry stored for `url` in `vault`, if any.
    pub(crate) fn read_token_entry(
        &self,
        reads: &mut dyn Reads,
        vault: RawId,
        url: &str,
    ) -> Result<Option<TokenEntry>> {
        match reads.token(&self.account, vault, url)? {
            Some(bytes) => decode_as(V2, &bytes, || {
                format!("the token for {url} in vault {}", vault.format(Kind::Vault))
            })
            .map(Some),
            None => Ok(None),
        }
    }

    /// Writes a credential's token entry at its URL.
    pub(crate) fn put_token(
        &self,
        tx: &mut dyn Writes,
        vault: RawId,
        url: &str,
        entry: &TokenEntry,
    ) -> Result<()> {
        let id = RawId(u128::from_be_bytes(entry.credential_id));
        tx.put_token(&self.account, vault, url, id, &encode_as(V2, entry)?)
    }

    /// Seals a credential's secrets, bound to where they belong.
    pub(crate) fn seal_secrets(
        &self,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
        secrets: &Secrets<'_>,
    ) -> Result<TokenEntry> {
        let seal =
            |field, secret: &SecretString| self.seal_secret(keys, vault, id, record, field, secret);
        Ok(TokenEntry {
            credential_id: id.bytes(),
            binding: record.binding,
            access_token: seal(SecretField::AccessToken, secrets.access_token)?,
            refresh_token: secrets
                .refresh_token
                .map(|s| seal(SecretField::RefreshToken, s))
                .transpose()?,
            client_secret: secrets
                .client_secret
                .map(|s| seal(SecretField::ClientSecret, s))
                .transpose()?,
        })
    }

    /// Seals one secret of a credential (an update or a refresh changing one field).
    pub(crate) fn seal_secret(
        &self,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
        field: SecretField,
        secret: &SecretString,
    ) -> Result<Sealed> {
        let (vault_text, id_text) = (vault.format(Kind::Vault), id.format(Kind::Credential));
        let place = self.secret_place(&vault_text, &id_text, record);
        keys.current
            .seal(secret.expose_secret().as_bytes(), &place.ad(field))
    }

    /// Opens one secret; `Corrupted` naming the credential if it fails its check.
    pub(crate) fn open_secret(
        &self,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
        field: SecretField,
        sealed: &Sealed,
    ) -> Result<SecretString> {
        let (vault_text, id_text) = (vault.format(Kind::Vault), id.format(Kind::Credential));
        let place = self.secret_place(&vault_text, &id_text, record);
        let what = || {
            format!(
                "the {} of credential {id_text} in vault {vault_text}",
                field.as_str()
            )
        };
        self.check_rotated_elsewhere(keys, Some(sealed.key_id))?;
        let plain = keys
            .open(sealed, &place.ad(field))
            .ok_or_else(|| Error::corrupted(format!("{} fails its integrity check", what())))?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| Error::corrupted(format!("{} is not UTF-8", what())))?;
        // Sized exactly, so SecretString's boxing does not reallocate and leave an
        // unzeroized copy behind.
        let mut secret = String::with_capacity(text.len());
        secret.push_str(text);
        Ok(SecretString::from(secret))
    }

    fn secret_place<'a>(
        &'a self,
        vault_text: &'a str,
        id_text: &'a str,
        record: &'a CredentialRecord,
    ) -> SecretPlace<'a> {
        SecretPlace {
            account: &self.account.name,
            vault_id: vault_text,
            credential_id: id_text,
            lookup_url: &record.lookup_url,
            protocol: record.protocol,
            credential_type: record.credential_type,
            binding: &record.binding,
        }
    }
}

pub(crate) fn vault_name(id: RawId) -> String {
    format!("vault {}", id.format(Kind::Vault))
}

pub(crate) fn credential_name(id: RawId) -> String {
    format!("credential {}", id.format(Kind::Credential))
}
