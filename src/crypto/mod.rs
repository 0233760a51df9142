//! Keys (raw, key files, passphrases through Argon2id), sealing with AES-256-GCM-SIV,
//! and the record codec: one format version byte, bincode bodies, signed records.

pub(crate) mod codec;
pub(crate) mod kdf;
pub(crate) mod key;
pub(crate) mod key_file;
pub(crate) mod owned_text;
pub(crate) mod seal;
