//! The one place records become bytes: a format version byte, then bincode 2 (pinned to
//! 2.0.1, whose format is frozen) in its standard configuration.
//!
//! Format 2 (this build) writes three kinds of value:
//! - plain, version byte 1: list-index entries and the store's own records, unchanged
//!   since format 1;
//! - plain, version byte 2: token entries (format 1's byte 1 entries are migrated);
//! - signed, version byte 2: vault and credential records, followed by a MAC that binds
//!   them to their key (account and ids), so an edit or a move on disk is detected.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::crypto::seal::{KeyHandle, Keyring, Sealed};
use crate::error::{Error, Result};

/// The store format this build writes (the header file says which a store has).
pub(crate) const FORMAT_VERSION: u8 = 2;
/// Version byte of values whose encoding did not change in format 2.
pub(crate) const PLAIN_V1: u8 = 1;
/// Version byte of token entries and signed records of format 2.
pub(crate) const V2: u8 = 2;

/// Large enough for the largest valid record (16 metadata pairs of 64 + 512 characters,
/// three 8 KiB secrets); small enough that a corrupted length prefix cannot allocate much.
const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Key id, nonce and tag of a signed record's MAC.
const MAC_LEN: usize = 4 + 12 + 16;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_RECORD_BYTES>()
}

/// A plain value with format 1's version byte (index entries, store records).
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    encode_as(PLAIN_V1, value)
}

/// Decodes a plain value of format 1's encoding; `what` names it in the error.
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T> {
    decode_as(PLAIN_V1, bytes, what)
}

pub(crate) fn encode_as<T: Serialize>(version: u8, value: &T) -> Result<Vec<u8>> {
    // Room for a typical record, so encoding does not grow the buffer byte by byte.
    let mut out = Vec::with_capacity(128);
    out.push(version);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::Storage(format!("encoding a record: {e}")))?;
    Ok(out)
}

pub(crate) fn decode_as<T: DeserializeOwned>(
    version: u8,
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T> {
    let Some((&found, body)) = bytes.split_first() else {
        return Err(fail(what(), "empty record"));
    };
    if found != version {
        return Err(fail(what(), &format!("unknown record format {found}")));
    }
    decode_body(body, what)
}

fn decode_body<T: DeserializeOwned>(body: &[u8], what: impl FnOnce() -> String) -> Result<T> {
    match bincode::serde::decode_from_slice::<T, _>(body, config()) {
        Ok((value, used)) if used == body.len() => Ok(value),
        Ok(_) => Err(fail(what(), "trailing bytes")),
        Err(e) => Err(fail(what(), &format!("undecodable ({e})"))),
    }
}

fn fail(what: String, why: &str) -> Error {
    Error::corrupted(format!("{what}: {why}"))
}

/// A record signed for `place` (its sled key): version byte 2, the MAC (key id, nonce,
/// AES-GCM-SIV tag over an empty plaintext), then the bincode body.
pub(crate) fn encode_signed<T: Serialize>(
    value: &T,
    key: &KeyHandle,
    place: &[u8],
) -> Result<Vec<u8>> {
    let body = encode_as(V2, value)?;
    let mac = key.seal(&[], &mac_ad(place, &body[1..]))?;
    Ok(signed_bytes(&mac, &body[1..]))
}

/// Version byte 2, the MAC, the body: the layout `split_signed` reads.
fn signed_bytes(mac: &Sealed, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + MAC_LEN + body.len());
    out.push(V2);
    out.extend_from_slice(&mac.key_id.to_be_bytes());
    out.extend_from_slice(&mac.nonce);
    out.extend_from_slice(&mac.ciphertext);
    out.extend_from_slice(body);
    out
}

/// Checks a signed record's MAC for `place`, then decodes it.
pub(crate) fn decode_signed<T: DeserializeOwned>(
    bytes: &[u8],
    keys: &Keyring,
    place: &[u8],
    what: impl Fn() -> String,
) -> Result<T> {
    let (mac, body) = split_signed(bytes).map_err(|why| fail(what(), why))?;
    if keys.open(&mac, &mac_ad(place, body)).is_none() {
        return Err(fail(what(), "fails its integrity check"));
    }
    decode_body(body, what)
}

/// Re-signs a signed record under `key` after checking it under `keys`, its body
/// untouched: rotation, without decoding and encoding the body again.
pub(crate) fn resign(
    bytes: &[u8],
    keys: &Keyring,
    key: &KeyHandle,
    place: &[u8],
) -> Option<Vec<u8>> {
    let (mac, body) = split_signed(bytes).ok()?;
    let ad = mac_ad(place, body);
    keys.open(&mac, &ad)?;
    let mac = key.seal(&[], &ad).ok()?;
    Some(signed_bytes(&mac, body))
}

/// The key id a signed record's MAC was made with.
pub(crate) fn signed_key_id(bytes: &[u8]) -> Option<u32> {
    split_signed(bytes).ok().map(|(mac, _)| mac.key_id)
}

fn split_signed(bytes: &[u8]) -> std::result::Result<(Sealed, &[u8]), &'static str> {
    let Some((&version, rest)) = bytes.split_first() else {
        return Err("empty record");
    };
    if version != V2 {
        return Err("not a signed record of format 2");
    }
    if rest.len() < MAC_LEN {
        return Err("truncated");
    }
    let (mac, body) = rest.split_at(MAC_LEN);
    let key_id = u32::from_be_bytes([mac[0], mac[1], mac[2], mac[3]]);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&mac[4..16]);
    Ok((
        Sealed {
            key_id,
            nonce,
            ciphertext: mac[16..].to_vec(),
        },
        body,
    ))
}

fn mac_ad(place: &[u8], body: &[u8]) -> Vec<u8> {
    const DOMAIN: &[u8] = b"vaultstore/record/v2";
    let mut ad = Vec::with_capacity(DOMAIN.len() + 8 + place.len() + body.len());
    ad.extend_from_slice(DOMAIN);
    ad.extend_from_slice(&(place.len() as u64).to_be_bytes());
    ad.extend_from_slice(place);
    ad.extend_from_slice(body);
    ad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn vault() -> VaultRecord {
        VaultRecord {
            display_name: "my-mcp-vault".into(),
            metadata: BTreeMap::from([("env".into(), "prod".into())]),
            created_at: 1_779_118_456_874_877,
            updated_at: 1_779_118_456_874_877,
            archived_at: None,
            active_credentials: 1,
        }
    }

    fn token() -> TokenEntry {
        TokenEntry {
            credential_id: [0x11; 16],
            binding: [0x44; 16],
            access_token: Sealed {
                key_id: 1,
                nonce: [0x22; 12],
                ciphertext: vec![0x33; 4],
            },
            refresh_token: None,
            client_secret: None,
        }
    }

    // Known-answer vectors: a change to these bytes is a change of the on-disk format,
    // which needs a new FORMAT_VERSION and a migration, not an edit of this test.
    #[test]
    fn vault_record_format_is_frozen() {
        // Format 1's bytes, which format 2 signs unchanged after its MAC.
        let body = "0c6d792d6d63702d7661756c740103656e760470726f64fdfa4e459732a40c00fdfa4e459732a40c000001";
        assert_eq!(
            hex(&encode(&vault()).expect("encodes")),
            format!("01{body}")
        );
        let key = KeyHandle::new(1, crate::crypto::key::MasterKey::from_bytes([5; 32]));
        let signed = encode_signed(&vault(), &key, b"place").expect("signs");
        assert_eq!(hex(&signed[..5]), "0200000001");
        assert_eq!(hex(&signed[1 + MAC_LEN..]), body);
    }

    #[test]
    fn token_entry_format_is_frozen() {
        assert_eq!(
            hex(&encode_as(V2, &token()).expect("encodes")),
            "0211111111111111111111111111111111444444444444444444444444444444440122222222222222\
             222222222204333333330000"
        );
    }

    #[test]
    fn round_trips() {
        let bytes = encode(&vault()).expect("encodes");
        assert_eq!(
            decode::<VaultRecord>(&bytes, String::new).expect("decodes"),
            vault()
        );
        let bytes = encode_as(V2, &token()).expect("encodes");
        assert_eq!(
            decode_as::<TokenEntry>(V2, &bytes, String::new).expect("decodes"),
            token()
        );
    }

    fn keyring(byte: u8) -> Keyring {
        Keyring {
            current: KeyHandle::new(1, crate::crypto::key::MasterKey::from_bytes([byte; 32])),
            previous: None,
        }
    }

    #[test]
    fn signed_records_refuse_edits_moves_and_other_keys() {
        let keys = keyring(5);
        let signed = encode_signed(&vault(), &keys.current, b"place").expect("signs");
        let back: VaultRecord =
            decode_signed(&signed, &keys, b"place", String::new).expect("opens");
        assert_eq!(back, vault());
        let refused = |bytes: &[u8], place: &[u8], keys: &Keyring| {
            let err = decode_signed::<VaultRecord>(bytes, keys, place, || "vault v".into())
                .expect_err("refused");
            assert!(matches!(err, Error::Corrupted { .. }), "{err}");
        };
        refused(&signed, b"elsewhere", &keys);
        refused(&signed, b"place", &keyring(6));
        for i in 1..signed.len() {
            let mut edited = signed.clone();
            edited[i] ^= 0x01;
            refused(&edited, b"place", &keys);
        }
        refused(&signed[..signed.len() - 1], b"place", &keys);
        refused(&encode(&vault()).expect("plain"), b"place", &keys);
    }

    #[test]
    fn bad_bytes_are_corruption_naming_the_record() {
        let good = encode(&vault()).expect("encodes");
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![2],
            good[..good.len() - 1].to_vec(),
            [good.as_slice(), &[0]].concat(),
        ];
        for bytes in cases {
            let err = decode::<VaultRecord>(&bytes, || "vault vault_x".into()).expect_err("bad");
            assert!(matches!(err, Error::Corrupted { .. }));
            assert!(err.to_string().contains("vault vault_x"), "{err}");
        }
    }

    #[test]
    fn a_huge_length_prefix_does_not_allocate() {
        // Format byte, then a string length of u64::MAX.
        let bytes = [1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(decode::<VaultRecord>(&bytes, String::new).is_err());
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode::<VaultRecord>(&bytes, String::new);
            let _ = decode::<CredentialRecord>(&bytes, String::new);
            let _ = decode::<TokenEntry>(&bytes, String::new);
            let _ = decode::<KeyState>(&bytes, String::new);
        }

        #[test]
        fn index_entries_round_trip(created_at: i64, name in ".{0,40}") {
            let entry = IndexEntry { created_at, name };
            let bytes = encode(&entry).expect("encodes");
            prop_assert_eq!(decode::<IndexEntry>(&bytes, String::new).expect("decodes"), entry);
        }
    }
}
