//! Format 1 → 2, run once at open. Format 1 kept records unsigned and one sealed token
//! per credential under associated data without a field or binding. Each vault moves in
//! one transaction (its record, its credentials' records and their tokens), so a crash
//! leaves every vault wholly in one format and the next open carries on; the header
//! says format 2 only once all are done.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::codec::{decode, decode_as, encode_as, PLAIN_V1, V2};
use crate::engine::{TreeId, WriteSet};
use crate::error::{Error, Result};
use crate::id::{Kind, RawId};
use crate::layout::Account;
use crate::model::{CredentialType, Protocol};
use crate::records::{CredentialRecord, SecretField, TokenEntry, VaultRecord};
use crate::seal::{length_prefixed, Keyring, Sealed, SecretPlace};
use crate::store::VaultStore;

/// A credential record of format 1.
#[derive(Deserialize, Serialize)]
struct CredentialRecordV1 {
    mcp_server_url: String,
    lookup_url: String,
    protocol: Protocol,
    credential_type: CredentialType,
    created_at: i64,
    updated_at: i64,
    archived_at: Option<i64>,
}

/// A token entry of format 1.
#[derive(Deserialize, Serialize)]
struct TokenEntryV1 {
    credential_id: [u8; 16],
    protocol: Protocol,
    credential_type: CredentialType,
    sealed: Sealed,
}

impl VaultStore {
    /// Migrates every vault of every account still in format 1; returns how many.
    pub(crate) fn migrate_from_v1(&self) -> Result<u64> {
        let mut migrated = 0;
        let vault_keys: Vec<Vec<u8>> = self
            .engine()
            .vaults
            .iter()
            .keys()
            .map(|k| k.map(|k| k.to_vec()))
            .collect::<std::result::Result<_, _>>()?;
        for key in vault_keys {
            let Some((account, vault)) = Account::split_vault_key(&key) else {
                return Err(Error::corrupted("a vault key is malformed"));
            };
            if self.for_account(&account).migrate_vault(vault)? {
                migrated += 1;
            }
        }
        self.engine().sync()?;
        Ok(migrated)
    }

    /// Moves one vault of this handle's account to format 2, unless it is already.
    fn migrate_vault(&self, vault: RawId) -> Result<bool> {
        let keys = self.keys();
        let vault_text = vault.format(Kind::Vault);
        self.apply_checked(|engine| {
            let vault_key = self.account.vault(vault);
            let Some(bytes) = engine.vaults.get(&vault_key)? else {
                return Ok((WriteSet::default(), false));
            };
            if bytes.first() != Some(&PLAIN_V1) {
                return Ok((WriteSet::default(), false));
            }
            let record: VaultRecord = decode(&bytes, || format!("vault {vault_text}"))?;
            let mut set = WriteSet::default();
            set.put(
                TreeId::Vaults,
                vault_key.clone(),
                self.vault_bytes(&keys, vault, &record)?,
            );
            for item in engine.credentials.scan_prefix(&vault_key) {
                let (key, bytes) = item?;
                let id = RawId::from_slice(&key[vault_key.len()..]).ok_or_else(|| {
                    Error::corrupted(format!("a credential key of vault {vault_text}"))
                })?;
                let old: CredentialRecordV1 = decode(&bytes, || {
                    format!("credential {}", id.format(Kind::Credential))
                })?;
                let mut binding = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut binding);
                let new = CredentialRecord {
                    mcp_server_url: old.mcp_server_url,
                    lookup_url: old.lookup_url,
                    protocol: old.protocol,
                    credential_type: old.credential_type,
                    display_name: None,
                    metadata: Default::default(),
                    created_at: old.created_at,
                    updated_at: old.updated_at,
                    archived_at: old.archived_at,
                    binding,
                    oauth: None,
                };
                set.put(
                    TreeId::Credentials,
                    key.to_vec(),
                    self.credential_bytes(&keys, vault, id, &new)?,
                );
                if new.is_active() {
                    self.migrate_token(engine, &keys, &mut set, vault, id, &new)?;
                }
            }
            Ok((set, true))
        })
    }

    /// Re-seals an active credential's format-1 token under format 2's associated data.
    /// A token that no longer opens (damaged or tampered) is carried over as it is: it
    /// stays unreadable, and `verify` names it.
    fn migrate_token(
        &self,
        engine: &crate::engine::Engine,
        keys: &Keyring,
        set: &mut WriteSet,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
    ) -> Result<()> {
        let token_key = self.account.token(vault, &record.lookup_url);
        let Some(bytes) = engine.tokens.get(&token_key)? else {
            return Ok(());
        };
        if bytes.first() == Some(&V2) {
            return Ok(());
        }
        let old: TokenEntryV1 = decode_as(PLAIN_V1, &bytes, || {
            format!("the token of credential {}", id.format(Kind::Credential))
        })?;
        if old.credential_id != id.bytes() {
            return Ok(());
        }
        let (vault_text, id_text) = (vault.format(Kind::Vault), id.format(Kind::Credential));
        let v1_ad = token_ad_v1(&self.account.name, &vault_text, &id_text, record, &old);
        let access_token = match keys.open(&old.sealed, &v1_ad) {
            Some(plain) => {
                let place = SecretPlace {
                    account: &self.account.name,
                    vault_id: &vault_text,
                    credential_id: &id_text,
                    lookup_url: &record.lookup_url,
                    protocol: record.protocol,
                    credential_type: record.credential_type,
                    binding: &record.binding,
                };
                keys.current
                    .seal(&plain, &place.ad(SecretField::AccessToken))?
            }
            None => old.sealed,
        };
        let entry = TokenEntry {
            credential_id: id.bytes(),
            binding: record.binding,
            access_token,
            refresh_token: None,
            client_secret: None,
        };
        set.put(TreeId::Tokens, token_key, encode_as(V2, &entry)?);
        Ok(())
    }
}

/// Format 1's associated data: account, vault, credential, URL, protocol, type.
fn token_ad_v1(
    account: &str,
    vault_id: &str,
    credential_id: &str,
    record: &CredentialRecord,
    old: &TokenEntryV1,
) -> Vec<u8> {
    length_prefixed(
        b"vaultstore/token/v1",
        &[
            account.as_bytes(),
            vault_id.as_bytes(),
            credential_id.as_bytes(),
            record.lookup_url.as_bytes(),
            old.protocol.as_str().as_bytes(),
            old.credential_type.as_str().as_bytes(),
        ],
    )
}
