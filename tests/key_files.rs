//! Guards what a key file may be: a small regular file private to the current user,
//! holding 64 hex digits (at most one newline after them) or 32 raw non-text bytes.
//! Anything else is refused with a message that names the file and the fix, never
//! its content, before the store is touched.

use std::path::{Path, PathBuf};
use vaultstore::{Error, MasterKey, VaultStore};

/// A store made with a key file; returns (temp dir, store dir, key file).
fn store_with_key_file() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("store.key");
    MasterKey::generate().write_to_file(&key).expect("key");
    let store = dir.path().join("store");
    drop(
        VaultStore::builder(&store)
            .key_file(&key)
            .open()
            .expect("create"),
    );
    (dir, store, key)
}

fn open_with(store: &Path, key: &Path) -> vaultstore::Result<()> {
    VaultStore::builder(store).key_file(key).open().map(drop)
}

fn refused(store: &Path, key: &Path) -> String {
    let err = open_with(store, key).expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(err.field(), Some("key_file"), "{err}");
    let message = err.to_string();
    assert!(message.contains(&key.display().to_string()), "{message}");
    message
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(unix)]
#[test]
fn a_key_file_open_to_others_is_refused_with_the_chmod_to_run() {
    let (_dir, store, key) = store_with_key_file();
    for mode in [0o644, 0o640, 0o604] {
        set_mode(&key, mode);
        let message = refused(&store, &key);
        assert!(
            message.contains(&format!("chmod 600 {}", key.display())),
            "{message}"
        );
    }
    set_mode(&key, 0o400);
    open_with(&store, &key).expect("owner read-only is fine");
}

#[cfg(unix)]
#[test]
fn a_symlink_is_judged_by_the_file_it_points_to() {
    let (dir, store, key) = store_with_key_file();
    let link = dir.path().join("link.key");
    std::os::unix::fs::symlink(&key, &link).expect("symlink");
    open_with(&store, &link).expect("a link to a private key file");
    set_mode(&key, 0o644);
    refused(&store, &link);
}

#[cfg(unix)]
#[test]
fn a_key_file_of_another_user_is_refused() {
    let (_dir, store, key) = store_with_key_file();
    // Only root may give a file away; elsewhere there is nothing to test.
    if std::os::unix::fs::chown(&key, Some(65534), None).is_err() {
        return;
    }
    let message = refused(&store, &key);
    assert!(message.contains("user id 65534"), "{message}");
}

#[cfg(unix)]
#[test]
fn a_device_is_not_read() {
    let (_dir, store, _key) = store_with_key_file();
    // Unbounded, this read would run until memory is gone.
    let message = refused(&store, Path::new("/dev/zero"));
    assert!(message.contains("not a regular file"), "{message}");
}

/// Writes `content` as a private file (as `init` would).
fn private_file(path: &Path, content: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, content).expect("write");
    #[cfg(unix)]
    set_mode(path, 0o600);
}

#[test]
fn a_large_file_is_refused_without_reading_it_all() {
    let (dir, store, _key) = store_with_key_file();
    let big = dir.path().join("big.key");
    private_file(&big, &vec![b'a'; 64 << 10]);
    let message = refused(&store, &big);
    assert!(message.contains("larger than 4096 bytes"), "{message}");
}

#[test]
fn printable_text_of_32_bytes_is_not_a_raw_key() {
    let (dir, store, _key) = store_with_key_file();
    let text = dir.path().join("text.key");
    private_file(&text, b"correct horse battery staple 123");
    let message = refused(&store, &text);
    assert!(message.contains("32 bytes of text"), "{message}");
    assert!(!message.contains("horse"), "the content is never echoed");
}

#[test]
fn one_trailing_newline_is_allowed_and_counted_out_of_the_length() {
    let (dir, store, key) = store_with_key_file();
    let hex = std::fs::read_to_string(&key).expect("key");
    let digits = hex.trim_end();
    let other = dir.path().join("other.key");
    for ok in [
        digits.to_owned(),
        format!("{digits}\n"),
        format!("{digits}\r\n"),
    ] {
        private_file(&other, ok.as_bytes());
        open_with(&store, &other).expect("64 hex digits, at most one newline");
    }
    private_file(&other, format!("{digits}\n\n").as_bytes());
    let message = refused(&store, &other);
    assert!(
        message.contains("more than one trailing newline"),
        "{message}"
    );
    private_file(&other, format!("{}\n", &digits[..63]).as_bytes());
    let message = refused(&store, &other);
    assert!(
        message.contains("exactly 64 hex digits") && message.contains("it holds 63 hex digits"),
        "{message}"
    );
}
