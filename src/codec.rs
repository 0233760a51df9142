//! The one place records become bytes: a format version byte, then bincode 2 (pinned to
//! 2.0.1, whose format is frozen) in its standard configuration.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// The record format this build writes and reads.
pub(crate) const FORMAT_VERSION: u8 = 1;

/// Large enough for the largest valid record (16 metadata pairs of 64 + 512 characters,
/// an 8 KiB token); small enough that a corrupted length prefix cannot allocate much.
const MAX_RECORD_BYTES: usize = 64 * 1024;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_RECORD_BYTES>()
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    // Room for a typical record, so encoding does not grow the buffer byte by byte.
    let mut out = Vec::with_capacity(128);
    out.push(FORMAT_VERSION);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::Storage(format!("encoding a record: {e}")))?;
    Ok(out)
}

/// Decodes a record; `what` names it in the error ("vault vault_…").
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T> {
    let fail = |what: String, why: &str| Error::corrupted(format!("{what}: {why}"));
    let Some((&version, body)) = bytes.split_first() else {
        return Err(fail(what(), "empty record"));
    };
    if version != FORMAT_VERSION {
        return Err(fail(what(), &format!("unknown record format {version}")));
    }
    match bincode::serde::decode_from_slice::<T, _>(body, config()) {
        Ok((value, used)) if used == body.len() => Ok(value),
        Ok(_) => Err(fail(what(), "trailing bytes")),
        Err(e) => Err(fail(what(), &format!("undecodable ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CredentialType, Protocol};
    use crate::records::*;
    use crate::seal::Sealed;
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
            protocol: Protocol::StreamableHttp,
            credential_type: CredentialType::StaticBearer,
            sealed: Sealed {
                key_id: 1,
                nonce: [0x22; 12],
                ciphertext: vec![0x33; 4],
            },
        }
    }

    // Known-answer vectors: a change to these bytes is a change of the on-disk format,
    // which needs a new FORMAT_VERSION and a migration, not an edit of this test.
    #[test]
    fn vault_record_format_is_frozen() {
        assert_eq!(
            hex(&encode(&vault()).expect("encodes")),
            "010c6d792d6d63702d7661756c740103656e760470726f64fdfa4e459732a40c00fdfa4e459732a40c0000\
             01"
        );
    }

    #[test]
    fn token_entry_format_is_frozen() {
        assert_eq!(
            hex(&encode(&token()).expect("encodes")),
            "01111111111111111111111111111111110100012222222222222222222222220433333333"
        );
    }

    #[test]
    fn round_trips() {
        let bytes = encode(&vault()).expect("encodes");
        assert_eq!(
            decode::<VaultRecord>(&bytes, String::new).expect("decodes"),
            vault()
        );
        let bytes = encode(&token()).expect("encodes");
        assert_eq!(
            decode::<TokenEntry>(&bytes, String::new).expect("decodes"),
            token()
        );
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
