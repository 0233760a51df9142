//! The raw parts the store is built from, used as baselines: sled on a copy of the
//! store's data, bincode 2 (serde, standard config) on copies of its record types, and
//! AES-256-GCM-SIV with the store's associated data. Format 2 (`src/codec.rs`,
//! `src/records.rs`, `src/seal.rs`): vault and credential records are signed (an
//! AES-GCM-SIV tag over an empty plaintext binds them to their sled key), token entries
//! are plain bincode behind version byte 2, and each secret is sealed with associated
//! data naming its account, vault, credential, URL, protocol, type, binding and field.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use aes_gcm_siv::aead::{AeadInPlace, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use rand::RngCore;
use serde::de::DeserializeOwned;
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
    pub display_name: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub archived_at: Option<i64>,
    pub binding: [u8; 16],
    pub oauth: Option<OAuthRecord>,
}

#[derive(Serialize, Deserialize)]
pub struct OAuthRecord {
    pub expires_at: Option<i64>,
    pub refresh: Option<RefreshRecord>,
    pub state: RefreshStateRecord,
}

#[derive(Serialize, Deserialize)]
pub struct RefreshRecord {
    pub client_id: String,
    pub token_endpoint: String,
    pub method: AuthMethod,
    pub resource: Option<String>,
    pub scope: Option<String>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

#[derive(Serialize, Deserialize)]
pub struct RefreshStateRecord {
    pub last_refreshed_at: Option<i64>,
    pub granted_scope: Option<String>,
    pub last_error: Option<RefreshErrorRecord>,
    pub failures: u32,
    pub next_attempt_at: Option<i64>,
    pub needs_reauthorization: bool,
}

#[derive(Serialize, Deserialize)]
pub struct RefreshErrorRecord {
    pub code: String,
    pub message: String,
    pub at: i64,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    Sse,
    StreamableHttp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sse => "sse",
            Protocol::StreamableHttp => "streamable_http",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialType {
    StaticBearer,
    McpOauth,
}

impl CredentialType {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::StaticBearer => "static_bearer",
            CredentialType::McpOauth => "mcp_oauth",
        }
    }
}

/// The store's token entry (format 2).
#[derive(Serialize, Deserialize)]
pub struct TokenEntry {
    pub credential_id: [u8; 16],
    pub binding: [u8; 16],
    pub access_token: Sealed,
    pub refresh_token: Option<Sealed>,
    pub client_secret: Option<Sealed>,
}

/// A sealed secret; the ciphertext read as one byte string, as the store reads it.
#[derive(Serialize, Deserialize)]
pub struct Sealed {
    pub key_id: u32,
    pub nonce: [u8; 12],
    #[serde(with = "serde_bytes")]
    pub ciphertext: Vec<u8>,
}

/// The store's list-index entry.
#[derive(Serialize, Deserialize)]
pub struct IndexEntry {
    pub created_at: i64,
    pub name: String,
}

/// Version byte of index entries (unchanged since format 1).
pub const PLAIN_V1: u8 = 1;
/// Version byte of token entries and signed records.
pub const V2: u8 = 2;
/// Key id, nonce and tag of a signed record's MAC.
const MAC_LEN: usize = 4 + 12 + 16;

fn config() -> impl bincode::config::Config {
    // The store's limit: 64 KiB.
    bincode::config::standard().with_limit::<{ 64 * 1024 }>()
}

/// bincode 2, standard config, behind `version`.
pub fn encode_as<T: Serialize>(version: u8, value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(version);
    bincode::serde::encode_into_std_write(value, &mut out, config()).expect("encode");
    out
}

/// An index entry's bytes.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    encode_as(PLAIN_V1, value)
}

fn decode_body<T: DeserializeOwned>(body: &[u8]) -> T {
    let (value, used) =
        bincode::serde::decode_from_slice(body, config()).expect("a record of the store's format");
    assert_eq!(used, body.len(), "trailing bytes");
    value
}

/// A plain value behind `version` (index entries: 1; token entries: 2).
pub fn decode_as<T: DeserializeOwned>(version: u8, bytes: &[u8]) -> T {
    assert_eq!(bytes[0], version, "a value of the store's format");
    decode_body(&bytes[1..])
}

/// The associated data of a signed record's MAC (`codec::mac_ad`).
pub fn mac_ad(place: &[u8], body: &[u8]) -> Vec<u8> {
    const DOMAIN: &[u8] = b"vaultstore/record/v2";
    let mut ad = Vec::with_capacity(DOMAIN.len() + 8 + place.len() + body.len());
    ad.extend_from_slice(DOMAIN);
    ad.extend_from_slice(&(place.len() as u64).to_be_bytes());
    ad.extend_from_slice(place);
    ad.extend_from_slice(body);
    ad
}

/// A record signed for `place` (its sled key): `[2][key id][nonce][tag][body]`.
pub fn encode_signed<T: Serialize>(cipher: &Aes256GcmSiv, value: &T, place: &[u8]) -> Vec<u8> {
    let body = encode_as(V2, value);
    let mac = seal(cipher, &[], &mac_ad(place, &body[1..]));
    let mut out = Vec::with_capacity(body.len() + MAC_LEN);
    out.push(V2);
    out.extend_from_slice(&mac.key_id.to_be_bytes());
    out.extend_from_slice(&mac.nonce);
    out.extend_from_slice(&mac.ciphertext);
    out.extend_from_slice(&body[1..]);
    out
}

/// Checks a signed record's MAC (an AES-GCM-SIV open of the empty plaintext over the
/// associated data), then decodes it.
pub fn decode_signed<T: DeserializeOwned>(cipher: &Aes256GcmSiv, bytes: &[u8], place: &[u8]) -> T {
    check_mac(cipher, bytes, place);
    decode_body(&bytes[1 + MAC_LEN..])
}

/// The MAC check alone; returns the body.
pub fn check_mac<'a>(cipher: &Aes256GcmSiv, bytes: &'a [u8], place: &[u8]) -> &'a [u8] {
    assert_eq!(bytes[0], V2, "a signed record of format 2");
    let (mac, body) = bytes[1..].split_at(MAC_LEN);
    let mut tag = mac[16..].to_vec();
    cipher
        .decrypt_in_place(
            Nonce::from_slice(&mac[4..16]),
            &mac_ad(place, body),
            &mut tag,
        )
        .expect("the record's MAC checks");
    body
}

/// Re-signs a signed record (rotation): check, then a new MAC over the same body.
pub fn resign(old: &Aes256GcmSiv, new: &Aes256GcmSiv, bytes: &[u8], place: &[u8]) -> Vec<u8> {
    let body = check_mac(old, bytes, place);
    let mac = seal(new, &[], &mac_ad(place, body));
    let mut out = Vec::with_capacity(bytes.len());
    out.push(V2);
    out.extend_from_slice(&mac.key_id.to_be_bytes());
    out.extend_from_slice(&mac.nonce);
    out.extend_from_slice(&mac.ciphertext);
    out.extend_from_slice(body);
    out
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

/// A credential id's text, from its bytes.
pub fn credential_text(id: [u8; 16]) -> String {
    format!("vcred_{:032x}", u128::from_be_bytes(id))
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

/// Where a secret belongs: with the field's name, its associated data.
pub struct SecretPlace<'a> {
    pub vault_id: &'a str,
    pub credential_id: &'a str,
    pub lookup_url: &'a str,
    pub protocol: Protocol,
    pub credential_type: CredentialType,
    pub binding: &'a [u8; 16],
}

impl SecretPlace<'_> {
    /// The associated data of one secret (`seal::SecretPlace::ad`), in the default
    /// account; `field` is `access_token`, `refresh_token` or `client_secret`.
    pub fn ad(&self, field: &str) -> Vec<u8> {
        let fields: [&[u8]; 8] = [
            b"default",
            self.vault_id.as_bytes(),
            self.credential_id.as_bytes(),
            self.lookup_url.as_bytes(),
            self.protocol.as_str().as_bytes(),
            self.credential_type.as_str().as_bytes(),
            self.binding,
            field.as_bytes(),
        ];
        const DOMAIN: &[u8] = b"vaultstore/secret/v2";
        let len = DOMAIN.len() + fields.iter().map(|f| 8 + f.len()).sum::<usize>();
        let mut ad = Vec::with_capacity(len);
        ad.extend_from_slice(DOMAIN);
        for field in fields {
            ad.extend_from_slice(&(field.len() as u64).to_be_bytes());
            ad.extend_from_slice(field);
        }
        ad
    }
}

/// The access token's associated data for `record`, credential `credential_id` of
/// `vault_id`.
pub fn access_ad(vault_id: &str, credential_id: &str, record: &CredentialRecord) -> Vec<u8> {
    SecretPlace {
        vault_id,
        credential_id,
        lookup_url: &record.lookup_url,
        protocol: record.protocol,
        credential_type: record.credential_type,
        binding: &record.binding,
    }
    .ad("access_token")
}

/// AES-256-GCM-SIV under the bench key.
pub fn cipher() -> Aes256GcmSiv {
    Aes256GcmSiv::new((&super::KEY).into())
}

/// AES-256-GCM-SIV under another key (rotation baselines).
pub fn cipher_of(key: [u8; 32]) -> Aes256GcmSiv {
    Aes256GcmSiv::new((&key).into())
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

/// What a session lookup reads, raw: the token entry at (vault, URL), the credential
/// record it names (MAC checked, decoded, checked active and matching), and the access
/// token opened with its associated data. `vault_key` is the vault's sled key,
/// `token_key` the entry's; returns the token's text length.
pub fn session_lookup(
    sled: &RawSled,
    cipher: &Aes256GcmSiv,
    vault_id: &str,
    vault_key: &[u8],
    token_key: &[u8],
    url: &str,
) -> usize {
    let bytes = sled.tokens.get(token_key).expect("get").expect("a token");
    let entry: TokenEntry = decode_as(V2, &bytes);
    let mut place = Vec::with_capacity(vault_key.len() + 16);
    place.extend_from_slice(vault_key);
    place.extend_from_slice(&entry.credential_id);
    let bytes = sled
        .credentials
        .get(&place)
        .expect("get")
        .expect("a record");
    let record: CredentialRecord = decode_signed(cipher, &bytes, &place);
    assert!(record.archived_at.is_none() && record.binding == entry.binding);
    assert_eq!(record.lookup_url, url);
    let credential_id = credential_text(entry.credential_id);
    let ad = access_ad(vault_id, &credential_id, &record);
    let plain = open(cipher, &entry.access_token, &ad);
    std::str::from_utf8(&plain).expect("UTF-8").len()
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

    /// What creating vault `i` costs without the store: seal the token, sign the vault
    /// and credential records (format 2), encode the rest, and one transaction of the
    /// same writes on the same trees (vault, its two index entries, credential, token,
    /// its two index entries, last id).
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
            name: record.display_name.to_lowercase(),
        });
        let mut binding = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut binding);
        let credential = CredentialRecord {
            mcp_server_url: url.clone(),
            lookup_url: url.clone(),
            protocol: Protocol::StreamableHttp,
            credential_type: CredentialType::StaticBearer,
            display_name: None,
            metadata: BTreeMap::new(),
            created_at: now,
            updated_at: now,
            archived_at: None,
            binding,
            oauth: None,
        };
        let cred_index = encode(&IndexEntry {
            created_at: now,
            name: url.to_lowercase(),
        });
        let token = format!("ghp_{i:036}");
        let entry = TokenEntry {
            credential_id: id_bytes(&cred_id),
            binding,
            access_token: seal(
                cipher,
                token.as_bytes(),
                &access_ad(&vault_id, &cred_id, &credential),
            ),
            refresh_token: None,
            client_secret: None,
        };
        let (vkey, ckey, tkey) = (
            vault_key(&vault_id),
            credential_key(&vault_id, &cred_id),
            token_key(&vault_id, &url),
        );
        let vault_bytes = encode_signed(cipher, &record, &vkey);
        let cred_bytes = encode_signed(cipher, &credential, &ckey);
        let token_bytes = encode_as(V2, &entry);
        let vault_index_key = [vault_scope().as_slice(), &id_bytes(&vault_id)].concat();
        let cred_scope = [account_prefix().as_slice(), b"c", &id_bytes(&vault_id)].concat();
        let cred_index_key = [cred_scope.as_slice(), &id_bytes(&cred_id)].concat();
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
