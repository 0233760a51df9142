//! Arbitrary bytes decoded as every kind of stored record: an error or a value that
//! round-trips, never a panic or a huge allocation.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    vaultstore::fuzzing::decode_records(bytes);
});
