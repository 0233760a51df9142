//! Reading a key file: only a small regular file private to the current user, holding
//! 64 hex digits (and at most one newline) or 32 raw bytes that are not text.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use secrecy::SecretBox;
use zeroize::Zeroizing;

use crate::crypto::key::MasterKey;
use crate::error::{Error, Result};
use crate::fsutil;

/// A key file holds 65 or 66 bytes; anything past a few KiB is not one.
const MAX_KEY_FILE_BYTES: u64 = 4096;

pub(crate) fn read(path: &Path) -> Result<MasterKey> {
    let invalid =
        |why: String| Error::invalid("key_file", format!("key_file: {} {why}", path.display()));
    let mut file = File::open(path)
        .map_err(|e| Error::io(format!("reading key file {}", path.display()), e))?;
    // The opened file's own metadata: a symlink is judged by what it points to.
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("reading key file {}", path.display()), e))?;
    if !meta.is_file() {
        return Err(invalid(
            "is not a regular file; a key file is a small file written by \
             `vaultstore init` or MasterKey::write_to_file"
                .to_owned(),
        ));
    }
    fsutil::check_private_to_user(&meta)
        .map_err(|problem| invalid(problem.explain("the key file", &path.display().to_string())))?;
    // Allocated once, so no reallocation leaves a copy of the key behind.
    let mut content = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_BYTES as usize + 1));
    (&mut file)
        .take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(|e| Error::io(format!("reading key file {}", path.display()), e))?;
    if content.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(invalid(format!(
            "is larger than {MAX_KEY_FILE_BYTES} bytes; a key file holds 64 hex digits"
        )));
    }
    parse(&content).map_err(|why| {
        invalid(format!(
            "must hold exactly 64 hex digits (followed by at most one newline) or 32 raw \
             bytes; it holds {why}"
        ))
    })
}

/// The key in `content`, or what the content is instead (never the content itself).
fn parse(content: &[u8]) -> std::result::Result<MasterKey, String> {
    let text = content
        .strip_suffix(b"\r\n")
        .or_else(|| content.strip_suffix(b"\n"))
        .unwrap_or(content);
    let is_text = |bytes: &[u8]| {
        bytes
            .iter()
            .all(|b| b.is_ascii_graphic() || b" \t\r\n".contains(b))
    };
    let hex_digits = text.iter().filter(|b| b.is_ascii_hexdigit()).count();
    if text.len() == 64 && hex_digits == 64 {
        let mut key = Box::new([0u8; 32]);
        for (out, pair) in key.iter_mut().zip(text.chunks(2)) {
            *out = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
        }
        return Ok(MasterKey(SecretBox::new(key)));
    }
    if content.len() == 32 && !is_text(content) {
        let mut key = Box::new([0u8; 32]);
        key.copy_from_slice(content);
        return Ok(MasterKey(SecretBox::new(key)));
    }
    Err(if text.ends_with(b"\n") || text.ends_with(b"\r") {
        "more than one trailing newline".to_owned()
    } else if content.len() == 32 {
        // A password typed into a file is not a key: refused, not taken as raw bytes.
        "32 bytes of text, not a key (a passphrase goes to --passphrase or \
         Builder::passphrase)"
            .to_owned()
    } else if hex_digits == text.len() {
        format!("{hex_digits} hex digits")
    } else if is_text(text) {
        format!(
            "{} characters, not all hex digits (not counting one trailing newline)",
            text.len()
        )
    } else {
        format!("{} bytes", content.len())
    })
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(content: &[u8]) -> String {
        parse(content).map(drop).expect_err("refused")
    }

    #[test]
    fn hex_with_at_most_one_newline_or_raw_bytes_are_keys() {
        let hex = b"ab".repeat(32);
        assert_eq!(parse(&hex).expect("hex").bytes(), &[0xAB; 32]);
        for newline in [&b"\n"[..], b"\r\n"] {
            let with = [&hex[..], newline].concat();
            assert_eq!(parse(&with).expect("one newline").bytes(), &[0xAB; 32]);
        }
        let upper = b"AB".repeat(32);
        assert_eq!(parse(&upper).expect("upper case").bytes(), &[0xAB; 32]);
        assert_eq!(parse(&[7u8; 32]).expect("raw").bytes(), &[7; 32]);
    }

    #[test]
    fn other_content_is_described_without_being_echoed() {
        let hex = b"ab".repeat(32);
        assert_eq!(
            why(&[&hex[..], b"\n\n"].concat()),
            "more than one trailing newline"
        );
        assert_eq!(why(&[&hex[..63], b"\n"].concat()), "63 hex digits");
        assert_eq!(why(&b"ab".repeat(33)), "66 hex digits");
        assert!(why(&b"zz".repeat(32)).starts_with("64 characters, not all hex"));
        assert!(why(b"correct horse battery staple 12\n").starts_with("32 bytes of text"));
        assert!(why(b"correct horse battery staple 123").starts_with("32 bytes of text"));
        assert_eq!(why(&[0u8; 31]), "31 bytes");
    }
}
