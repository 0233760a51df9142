//! Sealing tokens with AES-256-GCM-SIV: a fresh random nonce per seal, one cipher per
//! key kept for the store's life, a key id on every sealed blob.

use aes_gcm_siv::aead::{AeadInPlace, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::api::model::{CredentialType, Protocol};
use crate::crypto::key::MasterKey;
use crate::error::{Error, Result};

/// A sealed secret as stored: which key, the nonce, ciphertext and tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub(crate) key_id: u32,
    pub(crate) nonce: [u8; 12],
    /// As a byte string: read in one piece (serde visits a plain `Vec<u8>` byte by byte,
    /// 10% of a session lookup); bincode writes both forms alike, a length then the bytes.
    #[serde(with = "serde_bytes")]
    pub(crate) ciphertext: Vec<u8>,
}

/// One master key, its id and its expanded cipher.
pub(crate) struct KeyHandle {
    pub(crate) id: u32,
    key: MasterKey,
    cipher: Aes256GcmSiv,
}

const KEY_CHECK_PLAINTEXT: &[u8] = b"vaultstore key check";

impl KeyHandle {
    pub(crate) fn new(id: u32, key: MasterKey) -> Self {
        let cipher = Aes256GcmSiv::new(key.bytes().into());
        KeyHandle { id, key, cipher }
    }

    pub(crate) fn seal(&self, plaintext: &[u8], ad: &[u8]) -> Result<Sealed> {
        let mut nonce = [0u8; 12];
        // thread_rng: a ChaCha12 generator in user space, seeded and reseeded by the OS.
        rand::thread_rng().fill_bytes(&mut nonce);
        // Sized for the tag up front, so the buffer never reallocates (and never leaves
        // a plaintext copy behind in freed memory).
        let mut buffer = Vec::with_capacity(plaintext.len() + 16);
        buffer.extend_from_slice(plaintext);
        self.cipher
            .encrypt_in_place(Nonce::from_slice(&nonce), ad, &mut buffer)
            .map_err(|_| Error::Storage("sealing failed: input too long".into()))?;
        Ok(Sealed {
            key_id: self.id,
            nonce,
            ciphertext: buffer,
        })
    }

    /// The plaintext, or `None` if the blob was not sealed by this key with this `ad`.
    pub(crate) fn open(&self, sealed: &Sealed, ad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.key_id != self.id {
            return None;
        }
        let mut buffer = Zeroizing::new(sealed.ciphertext.clone());
        self.cipher
            .decrypt_in_place(Nonce::from_slice(&sealed.nonce), ad, &mut *buffer)
            .ok()?;
        Some(buffer)
    }

    /// A value that only this key opens: a wrong key fails at open, before any token.
    pub(crate) fn check_value(&self, store_id: &[u8; 16]) -> Result<Sealed> {
        self.seal(KEY_CHECK_PLAINTEXT, &check_ad(store_id, self.id))
    }

    pub(crate) fn opens_check(&self, check: &Sealed, store_id: &[u8; 16]) -> bool {
        self.open(check, &check_ad(store_id, self.id))
            .is_some_and(|plain| plain.as_slice() == KEY_CHECK_PLAINTEXT)
    }

    /// Seals `old`'s key under this one, so that this key alone can finish a rotation
    /// from `old` that a crash interrupted.
    pub(crate) fn wrap(&self, old: &KeyHandle, store_id: &[u8; 16]) -> Result<Sealed> {
        self.seal(old.key.bytes(), &wrap_ad(store_id, old.id, self.id))
    }

    pub(crate) fn unwrap(
        &self,
        wrapped: &Sealed,
        old_id: u32,
        store_id: &[u8; 16],
    ) -> Option<KeyHandle> {
        let plain = self.open(wrapped, &wrap_ad(store_id, old_id, self.id))?;
        let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(KeyHandle::new(old_id, MasterKey::from_bytes(bytes)))
    }
}

/// The keys in use: the current one seals; during a rotation the previous one still
/// opens what is not yet re-sealed.
pub(crate) struct Keyring {
    pub(crate) current: KeyHandle,
    pub(crate) previous: Option<KeyHandle>,
}

impl Keyring {
    pub(crate) fn open(&self, sealed: &Sealed, ad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        match &self.previous {
            Some(previous) if previous.id == sealed.key_id => previous.open(sealed, ad),
            _ => self.current.open(sealed, ad),
        }
    }
}

/// Where a credential's secrets belong; with the field, their associated data.
pub(crate) struct SecretPlace<'a> {
    pub(crate) account: &'a str,
    pub(crate) vault_id: &'a str,
    pub(crate) credential_id: &'a str,
    pub(crate) lookup_url: &'a str,
    pub(crate) protocol: Protocol,
    pub(crate) credential_type: CredentialType,
    pub(crate) binding: &'a [u8; 16],
}

impl SecretPlace<'_> {
    /// Associated data binding a secret to its place: account, vault, credential, URL
    /// (normal form), protocol, type, the credential's binding and which secret it is.
    /// A blob moved anywhere else, or into another field, fails to open.
    pub(crate) fn ad(&self, field: SecretField) -> Vec<u8> {
        let fields: [&[u8]; 8] = [
            self.account.as_bytes(),
            self.vault_id.as_bytes(),
            self.credential_id.as_bytes(),
            self.lookup_url.as_bytes(),
            self.protocol.as_str().as_bytes(),
            self.credential_type.as_str().as_bytes(),
            self.binding,
            field.as_str().as_bytes(),
        ];
        length_prefixed(b"vaultstore/secret/v2", &fields)
    }
}

/// `domain`, then each field after its length: field boundaries stay unambiguous
/// ("ab"+"c" ≠ "a"+"bc").
pub(crate) fn length_prefixed(domain: &[u8], fields: &[&[u8]]) -> Vec<u8> {
    // Sized up front: built on every seal, open and session lookup.
    let len = domain.len() + fields.iter().map(|f| 8 + f.len()).sum::<usize>();
    let mut ad = Vec::with_capacity(len);
    ad.extend_from_slice(domain);
    for field in fields {
        ad.extend_from_slice(&(field.len() as u64).to_be_bytes());
        ad.extend_from_slice(field);
    }
    ad
}

fn check_ad(store_id: &[u8; 16], key_id: u32) -> Vec<u8> {
    [
        b"vaultstore/key-check/v1".as_slice(),
        store_id,
        &key_id.to_be_bytes(),
    ]
    .concat()
}

fn wrap_ad(store_id: &[u8; 16], old_id: u32, new_id: u32) -> Vec<u8> {
    [
        b"vaultstore/rotation/v1".as_slice(),
        store_id,
        &old_id.to_be_bytes(),
        &new_id.to_be_bytes(),
    ]
    .concat()
}

/// Which secret of a credential a sealed blob holds: part of its associated data, so a
/// refresh token moved into the access token's slot does not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SecretField {
    AccessToken,
    RefreshToken,
    ClientSecret,
}

impl SecretField {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SecretField::AccessToken => "access_token",
            SecretField::RefreshToken => "refresh_token",
            SecretField::ClientSecret => "client_secret",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn handle(id: u32, byte: u8) -> KeyHandle {
        KeyHandle::new(id, MasterKey::from_bytes([byte; 32]))
    }

    #[test]
    fn nonces_are_fresh_per_seal() {
        let k = handle(1, 1);
        let a = k.seal(b"token", b"ad").expect("seal");
        let b = k.seal(b"token", b"ad").expect("seal");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn wrong_key_wrong_ad_or_flipped_bit_fail() {
        let k = handle(1, 1);
        let sealed = k.seal(b"token", b"ad").expect("seal");
        assert_eq!(k.open(&sealed, b"ad").expect("opens").as_slice(), b"token");
        assert!(handle(1, 2).open(&sealed, b"ad").is_none());
        assert!(k.open(&sealed, b"other").is_none());
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(k.open(&flipped, b"ad").is_none());
        let mut other_id = sealed;
        other_id.key_id = 2;
        assert!(k.open(&other_id, b"ad").is_none());
    }

    #[test]
    fn the_key_check_tells_keys_apart() {
        let store = [9u8; 16];
        let check = handle(1, 1).check_value(&store).expect("seal");
        assert!(handle(1, 1).opens_check(&check, &store));
        assert!(!handle(1, 2).opens_check(&check, &store));
        assert!(!handle(1, 1).opens_check(&check, &[8u8; 16]));
    }

    #[test]
    fn a_new_key_unwraps_the_old_one() {
        let store = [9u8; 16];
        let (old, new) = (handle(1, 1), handle(2, 2));
        let wrapped = new.wrap(&old, &store).expect("wrap");
        let back = new.unwrap(&wrapped, 1, &store).expect("unwrap");
        let sealed = old.seal(b"t", b"ad").expect("seal");
        assert_eq!(back.open(&sealed, b"ad").expect("opens").as_slice(), b"t");
        assert!(old.unwrap(&wrapped, 1, &store).is_none());
    }

    fn place<'a>(account: &'a str, vault: &'a str, protocol: Protocol) -> SecretPlace<'a> {
        SecretPlace {
            account,
            vault_id: vault,
            credential_id: "c",
            lookup_url: "u",
            protocol,
            credential_type: CredentialType::McpOauth,
            binding: &[1; 16],
        }
    }

    #[test]
    fn secret_ad_fields_are_unambiguous() {
        let p = Protocol::Sse;
        let f = SecretField::AccessToken;
        assert_ne!(place("ab", "c", p).ad(f), place("a", "bc", p).ad(f));
        assert_ne!(
            place("a", "v", p).ad(f),
            place("a", "v", Protocol::StreamableHttp).ad(f)
        );
        assert_ne!(
            place("a", "v", p).ad(SecretField::AccessToken),
            place("a", "v", p).ad(SecretField::RefreshToken)
        );
    }

    proptest! {
        #[test]
        fn seal_open_round_trip(plain in proptest::collection::vec(any::<u8>(), 0..9000),
                                ad in proptest::collection::vec(any::<u8>(), 0..64)) {
            let k = handle(3, 7);
            let sealed = k.seal(&plain, &ad).expect("seal");
            let opened = k.open(&sealed, &ad).expect("opens");
            prop_assert_eq!(opened.as_slice(), plain.as_slice());
        }
    }
}
