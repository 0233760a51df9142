//! Reading and writing signed vault and credential records, and sealing and opening a
//! credential's secrets. Every caller passes the keyring guard it holds: taking a second
//! read guard in one thread can deadlock against a waiting rotation.

use secrecy::{ExposeSecret, SecretString};

use super::VaultStore;
use crate::codec::{decode_as, decode_signed, encode_signed, V2};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::id::{Kind, RawId};
use crate::records::{CredentialRecord, SecretField, TokenEntry, VaultRecord};
use crate::seal::{Keyring, Sealed, SecretPlace};

/// The plaintext secrets of a credential, to be sealed into its token entry.
pub(crate) struct Secrets<'a> {
    pub(crate) access_token: &'a SecretString,
    pub(crate) refresh_token: Option<&'a SecretString>,
    pub(crate) client_secret: Option<&'a SecretString>,
}

impl VaultStore {
    pub(crate) fn read_vault(
        &self,
        engine: &Engine,
        keys: &Keyring,
        id: RawId,
    ) -> Result<Option<VaultRecord>> {
        let place = self.account.vault(id);
        match engine.vaults.get(&place)? {
            Some(bytes) => decode_signed(&bytes, keys, &place, || vault_name(id)).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn vault_bytes(
        &self,
        keys: &Keyring,
        id: RawId,
        record: &VaultRecord,
    ) -> Result<Vec<u8>> {
        encode_signed(record, &keys.current, &self.account.vault(id))
    }

    pub(crate) fn read_credential(
        &self,
        engine: &Engine,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
    ) -> Result<Option<CredentialRecord>> {
        let place = self.account.credential(vault, id);
        match engine.credentials.get(&place)? {
            Some(bytes) => decode_signed(&bytes, keys, &place, || credential_name(id)).map(Some),
            None => Ok(None),
        }
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

    /// The token entry stored for `url` in `vault`, if any.
    pub(crate) fn read_token_entry(
        &self,
        engine: &Engine,
        vault: RawId,
        url: &str,
    ) -> Result<Option<TokenEntry>> {
        match engine.tokens.get(self.account.token(vault, url))? {
            Some(bytes) => decode_as(V2, &bytes, || {
                format!("the token for {url} in vault {}", vault.format(Kind::Vault))
            })
            .map(Some),
            None => Ok(None),
        }
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
