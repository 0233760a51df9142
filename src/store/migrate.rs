//! Format 1 → 2, run once at open. Format 1 kept records unsigned and one sealed token
//! per credential under associated data without a field or binding. Each vault moves in
//! one transaction (its record, its credentials' records and their tokens), so a crash
//! leaves every vault wholly in one format and the next open carries on; the header
//! says format 2 only once all are done.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::api::id::{Kind, RawId};
use crate::api::model::{CredentialType, Protocol};
use crate::backend::layout::Account;
use crate::backend::sled::{TreeId, WriteSet};
use crate::crypto::codec::{decode, decode_as, encode_as, PLAIN_V1, V2};
use crate::crypto::seal::{length_prefixed, Keyring, Sealed, SecretPlace};
use crate::error::{Error, Result};
use crate::store::records::{CredentialRecord, SecretField, TokenEntry, VaultRecord};
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
            .sled("migration from format 1")?
            .engine
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
        self.backend().sync()?;
        Ok(migrated)
    }

    /// Moves one vault of this handle's account to format 2, unless it is already.
    fn migrate_vault(&self, vault: RawId) -> Result<bool> {
        let keys = self.keys();
        let vault_text = vault.format(Kind::Vault);
        self.sled("migration from format 1")?
            .apply_checked(|engine| {
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
                // Lookup URLs of active credentials, in this build's normal form.
                let mut claimed = std::collections::HashSet::new();
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
                    let old_lookup = old.lookup_url.clone();
                    let lookup_url = self.migrated_lookup(
                        engine,
                        vault,
                        id,
                        &old,
                        old.archived_at.is_none(),
                        &mut claimed,
                    )?;
                    let new = CredentialRecord {
                        mcp_server_url: old.mcp_server_url,
                        lookup_url,
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
                        self.migrate_token(&keys, &mut set, vault, id, &new, &old_lookup)?;
                    }
                }
                Ok((set, true))
            })
    }

    /// The lookup URL a format-1 credential keeps in format 2: its URL in this build's
    /// normal form (which since format 1 also decodes unreserved escapes, drops an empty
    /// query and a trailing dot on the host), so that sessions find it by the form they
    /// compute now. It keeps its old form when the new one no longer parses (a fragment,
    /// now refused) or when another active credential of the vault already has it (two
    /// spellings format 1 told apart): `verify` then reports it.
    fn migrated_lookup(
        &self,
        engine: &crate::backend::sled::Engine,
        vault: RawId,
        id: RawId,
        old: &CredentialRecordV1,
        active: bool,
        claimed: &mut std::collections::HashSet<String>,
    ) -> Result<String> {
        let Ok(normal) =
            crate::api::validate::mcp_server_url("mcp_server_url", &old.mcp_server_url)
        else {
            return Ok(old.lookup_url.clone());
        };
        if !active {
            return Ok(normal);
        }
        let taken_by_another = normal != old.lookup_url
            && engine
                .tokens
                .get(self.account.token(vault, &normal))?
                .and_then(|bytes| decode_as::<TokenEntryV1>(PLAIN_V1, &bytes, String::new).ok())
                .is_some_and(|entry| entry.credential_id != id.bytes());
        if taken_by_another || !claimed.insert(normal.clone()) {
            claimed.insert(old.lookup_url.clone());
            return Ok(old.lookup_url.clone());
        }
        Ok(normal)
    }

    /// Re-seals an active credential's format-1 token under format 2's associated data.
    /// A token that no longer opens (damaged or tampered) is carried over as it is: it
    /// stays unreadable, and `verify` names it.
    fn migrate_token(
        &self,
        keys: &Keyring,
        set: &mut WriteSet,
        vault: RawId,
        id: RawId,
        record: &CredentialRecord,
        old_lookup: &str,
    ) -> Result<()> {
        let old_key = self.account.token(vault, old_lookup);
        let token_key = self.account.token(vault, &record.lookup_url);
        let Some(bytes) = self
            .sled("migration from format 1")?
            .engine
            .tokens
            .get(&old_key)?
        else {
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
        let v1_ad = token_ad_v1(&self.account.name, &vault_text, &id_text, old_lookup, &old);
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
        if old_key != token_key {
            set.delete(TreeId::Tokens, old_key);
        }
        set.put(TreeId::Tokens, token_key, encode_as(V2, &entry)?);
        Ok(())
    }
}

/// Format 1's associated data: account, vault, credential, URL, protocol, type.
fn token_ad_v1(
    account: &str,
    vault_id: &str,
    credential_id: &str,
    lookup_url: &str,
    old: &TokenEntryV1,
) -> Vec<u8> {
    length_prefixed(
        b"vaultstore/token/v1",
        &[
            account.as_bytes(),
            vault_id.as_bytes(),
            credential_id.as_bytes(),
            lookup_url.as_bytes(),
            old.protocol.as_str().as_bytes(),
            old.credential_type.as_str().as_bytes(),
        ],
    )
}
