//! The master key: 32 bytes in zeroizing memory, from raw bytes, a key file or a
//! passphrase (Argon2id).

use std::fmt;
use std::io::Write;
use std::path::Path;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use zeroize::Zeroizing;

pub use crate::crypto::kdf::KdfCost;
pub(crate) use crate::crypto::kdf::{KdfParams, KDF_MEMORY_CEILING_KIB};
use crate::error::{Error, Result};

/// The 32-byte key that seals every token. Zeroized on drop; its `Debug` is redacted;
/// it has no `Display` and no `Serialize`.
pub struct MasterKey(pub(crate) SecretBox<[u8; 32]>);

impl MasterKey {
    /// A key from raw bytes. The array is moved in; zeroize any copy you keep.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(SecretBox::new(Box::new(bytes)))
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = Box::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        MasterKey(SecretBox::new(bytes))
    }

    /// Reads a key file: 64 hex digits (followed by at most one newline, `\n` or
    /// `\r\n`), or exactly 32 raw bytes that are not text.
    ///
    /// On Unix the file (or what a symlink points to) must be a regular file owned by
    /// the current user and closed to group and others (0600 or 0400), as
    /// [`MasterKey::write_to_file`] makes it. At most 4 KiB are read. 32 bytes of
    /// printable text are refused: that is a password typed into a file, not a key.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::InvalidRequest`] (field
    /// `key_file`) if it is not a private regular file of this user, is too large, or
    /// holds neither form. Messages name the file and the fix, never its content.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        crate::crypto::key_file::read(path.as_ref())
    }

    /// Writes the key as 64 hex digits and a newline to a new file readable only by
    /// its owner (0600 on Unix). Refuses to overwrite an existing file.
    ///
    /// # Errors
    /// [`Error::Io`], including when the file already exists.
    pub fn write_to_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut text = Zeroizing::new(String::with_capacity(65));
        for byte in self.bytes() {
            text.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            text.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
        text.push('\n');
        let context = || format!("writing key file {}", path.display());
        let mut file =
            crate::fsutil::create_private_file(path).map_err(|e| Error::io(context(), e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(context(), e))
    }

    /// Derives a key from a passphrase with Argon2id, within the absolute bounds.
    pub(crate) fn derive(passphrase: &SecretString, kdf: &KdfParams) -> Result<Self> {
        Self::derive_within(passphrase, kdf, KDF_MEMORY_CEILING_KIB)
    }

    /// Derives a key, first refusing parameters outside the bounds (memory above
    /// `max_memory_kib`): stored parameters are input like any other, and unbounded
    /// ones hang the open (iterations) or abort the process (memory).
    pub(crate) fn derive_within(
        passphrase: &SecretString,
        kdf: &KdfParams,
        max_memory_kib: u32,
    ) -> Result<Self> {
        kdf.check_bounds(max_memory_kib)?;
        kdf.check_new_passphrase(passphrase)?;
        let params = argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
            .map_err(|e| Error::corrupted(format!("stored passphrase parameters: {e}")))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Box::new([0u8; 32]);
        argon
            .hash_password_into(
                passphrase.expose_secret().as_bytes(),
                &kdf.salt,
                key.as_mut(),
            )
            .map_err(|e| Error::invalid("passphrase", format!("passphrase: {e}")))?;
        Ok(MasterKey(SecretBox::new(key)))
    }

    /// A second copy, made heap to heap (no stack temporary left behind).
    pub(crate) fn duplicate(&self) -> MasterKey {
        let mut bytes = Box::new([0u8; 32]);
        bytes.copy_from_slice(self.bytes());
        MasterKey(SecretBox::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

/// Where the key comes from when a store is opened.
#[derive(Debug)]
pub(crate) enum KeySource {
    Key(MasterKey),
    KeyFile(std::path::PathBuf),
    Passphrase(SecretString, KdfCost),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let key = MasterKey::from_bytes([0xAB; 32]);
        let text = format!("{key:?}");
        assert_eq!(text, "MasterKey([REDACTED])");
    }

    #[test]
    fn write_then_read_round_trips_and_refuses_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        let key = MasterKey::generate();
        key.write_to_file(&path).expect("write");
        assert_eq!(
            MasterKey::from_file(&path).expect("read").bytes(),
            key.bytes()
        );
        assert!(key.write_to_file(&path).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn passphrases_derive_deterministically_per_salt() {
        let cost = KdfCost::insecure_for_tests(64, 1, 1);
        let params = KdfParams::fresh(cost);
        let pass = SecretString::from("correct horse".to_owned());
        let a = MasterKey::derive(&pass, &params).expect("derive");
        let b = MasterKey::derive(&pass, &params).expect("derive");
        assert_eq!(a.bytes(), b.bytes());
        let other_salt = KdfParams::fresh(cost);
        assert_ne!(
            MasterKey::derive(&pass, &other_salt)
                .expect("derive")
                .bytes(),
            a.bytes()
        );
    }
}
