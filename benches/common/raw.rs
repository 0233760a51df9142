//! The raw parts the store is built from, used as baselines: sled on a copy of the
//! store's data, bincode 2 (serde, standard config) on copies of its record types, and
//! AES-256-GCM-SIV with the store's associated data.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use aes_gcm_siv::aead::{AeadInPlace, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The store's vault record, field for field (`src/records.rs`).
#[derive(Serialize, Deserialize)]
pub struct VaultRecord {
    pub display_name: String,
    pub metadata: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub archived_at: Option<i64>,
    pub active_credentials: u32,
}

/// The store's credential record.
#[derive(Serialize, Deserialize)]
pub struct CredentialRecord {
    pub mcp_server_url: String,
    pub lookup_url: String,
    pub protocol: Protocol,
    pub credential_type: CredentialType,
    pub created_at: i64,
    pub updated_at: i64,
    pub archived_at: Option<i64>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
pub enum Protocol {
    Sse,
    StreamableHttp,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
pub enum CredentialType {
    StaticBearer,
}

/// The store's sealed token entry.
#[derive(Serialize, Deserialize)]
pub struct TokenEntry {
    pub credential_id: [u8; 16],
    pub protocol: Protocol,
    pub credential_type: CredentialType,
    pub sealed: Sealed,
}

#[derive(Serialize, Deserialize)]
pub struct Sealed {
    pub key_id: u32,
    pub nonce: [u8; 12],
    pub ciphertext: Vec<u8>,
}

/// The store's list-index entry.
#[derive(Serialize, Deserialize)]
pub struct IndexEntry {
    pub created_at: i64,
    pub name: String,
}

/// bincode 2, standard config, behind the store's format byte.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![1];
    bincode::serde::encode_into_std_write(value, &mut out, bincode::config::standard())
        .expect("encode");
    out
}

pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    bincode::serde::decode_from_slice(&bytes[1..], bincode::config::standard())
        .expect("a record of the store's format")
        .0
}

/// The key prefix of the default account.
pub fn account_prefix() -> Vec<u8> {
    let mut prefix = vec![7];
    prefix.extend_from_slice(b"default");
    prefix
}

/// The 16 key bytes of a formatted id (`vault_…` or `vcred_…`).
pub fn id_bytes(id: &str) -> [u8; 16] {
    let hex = id.rsplit('_').next().expect("an id");
    u128::from_str_radix(hex, 16).expect("hex id").to_be_bytes()
}

/// The 16 id bytes at the start of `bytes`.
pub fn id_bytes_at(bytes: &[u8]) -> [u8; 16] {
    bytes[..16].try_into().expect("16 bytes")
}

pub fn vault_key(vault_id: &str) -> Vec<u8> {
    [account_prefix().as_slice(), &id_bytes(vault_id)].concat()
}

pub fn credential_key(vault_id: &str, credential_id: &str) -> Vec<u8> {
    [vault_key(vault_id).as_slice(), &id_bytes(credential_id)].concat()
}

/// A token's key: vault, then the URL in normal form (the bench URLs already are).
pub fn token_key(vault_id: &str, url: &str) -> Vec<u8> {
    [vault_key(vault_id).as_slice(), url.as_bytes()].concat()
}

/// The list scope of the default account's vaults.
pub fn vault_scope() -> Vec<u8> {
    [account_prefix().as_slice(), b"v"].concat()
}

/// The associated data the store binds a token to (`seal::token_ad`).
pub fn token_ad(vault_id: &str, credential_id: &str, url: &str) -> Vec<u8> {
    let fields = [
        "default",
        vault_id,
        credential_id,
        url,
        "streamable_http",
        "static_bearer",
    ];
    let mut ad = b"vaultstore/token/v1".to_vec();
    for field in fields {
        ad.extend_from_slice(&(field.len() as u64).to_be_bytes());
        ad.extend_from_slice(field.as_bytes());
    }
    ad
}

/// AES-256-GCM-SIV under the bench key.
pub fn cipher() -> Aes256GcmSiv {
    Aes256GcmSiv::new((&super::KEY).into())
}

pub fn seal(cipher: &Aes256GcmSiv, plain: &[u8], ad: &[u8]) -> Sealed {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let mut buffer = Vec::with_capacity(plain.len() + 16);
    buffer.extend_from_slice(plain);
    cipher
        .encrypt_in_place(Nonce::from_slice(&nonce), ad, &mut buffer)
        .expect("seal");
    Sealed {
        key_id: 1,
        nonce,
        ciphertext: buffer,
    }
}

pub fn open(cipher: &Aes256GcmSiv, sealed: &Sealed, ad: &[u8]) -> Vec<u8> {
    let mut buffer = sealed.ciphertext.clone();
    cipher
        .decrypt_in_place(Nonce::from_slice(&sealed.nonce), ad, &mut buffer)
        .expect("the store's token opens");
    buffer
}

/// sled opened as the store opens it, on a copy of a store's data directory.
pub struct RawSled {
    pub db: sled::Db,
    pub vaults: sled::Tree,
    pub credentials: sled::Tree,
    pub tokens: sled::Tree,
    pub list_all: sled::Tree,
    pub list_active: sled::Tree,
    pub meta: sled::Tree,
    log: File,
}

impl RawSled {
    /// Same settings as the store: 32 MiB cache, no background flush.
    pub fn open(dir: &Path) -> RawSled {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(32 << 20)
            .flush_every_ms(None)
            .open()
            .expect("open sled");
        let tree = |name: &str| db.open_tree(name).expect("open tree");
        RawSled {
            vaults: tree("vaults"),
            credentials: tree("credentials"),
            tokens: tree("tokens"),
            list_all: tree("list_all"),
            list_active: tree("list_active"),
            meta: tree("meta"),
            log: File::open(dir.join("db")).expect("sled's log"),
            db,
        }
    }

    /// flush + fsync of the log, as a durable store write ends.
    pub fn sync(&self) {
        self.db.flush().expect("flush");
        self.log.sync_all().expect("fsync");
    }

    /// What creating vault `i` costs without the store: seal, encode the records, and
    /// one transaction of the same writes on the same trees (vault, its two index
    /// entries, credential, token, its two index entries, last id).
    pub fn create_vault_like(&self, cipher: &Aes256GcmSiv, i: usize) {
        let vault_id = format!("vault_{:032x}", (1u128 << 127) + i as u128);
        let cred_id = format!("vcred_{:032x}", (1u128 << 127) + i as u128 + 1);
        let url = super::url(i);
        let now = 1_779_118_456_874_877 + i as i64;
        let record = VaultRecord {
            display_name: format!("team-{}-vault-{i}", i % 10),
            metadata: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
            created_at: now,
            updated_at: now,
            archived_at: None,
            active_credentials: 1,
        };
        let index = encode(&IndexEntry {
            created_at: now,
            name: record.display_name.clone(),
        });
        let credential = CredentialRecord {
            mcp_server_url: url.clone(),
            lookup_url: url.clone(),
            protocol: Protocol::StreamableHttp,
            credential_type: CredentialType::StaticBearer,
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        let cred_index = encode(&IndexEntry {
            created_at: now,
            name: url.clone(),
        });
        let token = format!("ghp_{i:036}");
        let entry = TokenEntry {
            credential_id: id_bytes(&cred_id),
            protocol: Protocol::StreamableHttp,
            credential_type: CredentialType::StaticBearer,
            sealed: seal(
                cipher,
                token.as_bytes(),
                &token_ad(&vault_id, &cred_id, &url),
            ),
        };
        let vault_bytes = encode(&record);
        let cred_bytes = encode(&credential);
        let token_bytes = encode(&entry);
        let vault_index_key = [vault_scope().as_slice(), &id_bytes(&vault_id)].concat();
        let cred_scope = [account_prefix().as_slice(), b"c", &id_bytes(&vault_id)].concat();
        let cred_index_key = [cred_scope.as_slice(), &id_bytes(&cred_id)].concat();
        let (vkey, ckey, tkey) = (
            vault_key(&vault_id),
            credential_key(&vault_id, &cred_id),
            token_key(&vault_id, &url),
        );
        use sled::transaction::{ConflictableTransactionResult, Transactional};
        (
            &self.vaults,
            &self.credentials,
            &self.tokens,
            &self.list_all,
            &self.list_active,
            &self.meta,
        )
            .transaction(
                |(vaults, credentials, tokens, list_all, list_active, meta)|
                 -> ConflictableTransactionResult<(), ()> {
                    vaults.insert(vkey.as_slice(), vault_bytes.as_slice())?;
                    list_active.insert(vault_index_key.as_slice(), index.as_slice())?;
                    list_all.insert(vault_index_key.as_slice(), index.as_slice())?;
                    credentials.insert(ckey.as_slice(), cred_bytes.as_slice())?;
                    tokens.insert(tkey.as_slice(), token_bytes.as_slice())?;
                    list_active.insert(cred_index_key.as_slice(), cred_index.as_slice())?;
                    list_all.insert(cred_index_key.as_slice(), cred_index.as_slice())?;
                    meta.insert(b"last_id".as_slice(), &id_bytes(&cred_id)[..])?;
                    Ok(())
                },
            )
            .expect("transaction");
    }
}
