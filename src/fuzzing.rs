//! Entry points for the fuzz targets in `fuzz/`; not part of the API and not stable.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::crypto::codec::{decode, decode_as, encode, encode_as, V2};
use crate::store::records::{
    CredentialRecord, IndexEntry, KeyState, StoreMeta, TokenEntry, VaultRecord,
};

/// Decodes `bytes` as every kind of stored record. A decode may fail, but must not
/// panic, and what decodes must encode and decode back to the same value.
///
/// # Panics
/// On a round-trip mismatch: that is what the fuzz target looks for.
pub fn decode_records(bytes: &[u8]) {
    round_trip::<VaultRecord>(bytes);
    round_trip::<CredentialRecord>(bytes);
    round_trip_v2::<VaultRecord>(bytes);
    round_trip_v2::<CredentialRecord>(bytes);
    round_trip_v2::<TokenEntry>(bytes);
    round_trip::<IndexEntry>(bytes);
    round_trip::<StoreMeta>(bytes);
    round_trip::<KeyState>(bytes);
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) {
    if let Ok(value) = decode::<T>(bytes, String::new) {
        let again = encode(&value).expect("a decoded record encodes");
        let back: T = decode(&again, String::new).expect("a re-encoded record decodes");
        assert_eq!(back, value, "a record changed through encode and decode");
    }
}

/// Format 2's bodies (token entries; signed records after their MAC).
fn round_trip_v2<T: Serialize + DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) {
    if let Ok(value) = decode_as::<T>(V2, bytes, String::new) {
        let again = encode_as(V2, &value).expect("a decoded record encodes");
        let back: T = decode_as(V2, &again, String::new).expect("a re-encoded record decodes");
        assert_eq!(back, value, "a record changed through encode and decode");
    }
}
