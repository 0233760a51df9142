//! Entry points for the fuzz targets in `fuzz/`; not part of the API and not stable.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode};
use crate::records::{CredentialRecord, IndexEntry, KeyState, StoreMeta, TokenEntry, VaultRecord};

/// Decodes `bytes` as every kind of stored record. A decode may fail, but must not
/// panic, and what decodes must encode and decode back to the same value.
///
/// # Panics
/// On a round-trip mismatch: that is what the fuzz target looks for.
pub fn decode_records(bytes: &[u8]) {
    round_trip::<VaultRecord>(bytes);
    round_trip::<CredentialRecord>(bytes);
    round_trip::<TokenEntry>(bytes);
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
