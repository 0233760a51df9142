//! Guards `vaultstore init` and opening a store: where the store and key go, private key
//! files, refusing to overwrite, and the exit codes for no store, wrong key and locked.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use predicates::prelude::*;
use vaultstore::VaultStore;

#[test]
fn init_makes_a_store_and_a_private_key_file_apart_from_it() {
    let env = Env::new();
    assert!(env.store.is_dir());
    assert!(
        env.key
            .starts_with(env.config_dir().join("vaultstore/keys")),
        "the key goes to the config directory, not beside the data: {}",
        env.key.display()
    );
    assert!(!env.path("store.key").exists(), "nothing beside the store");
    let key = std::fs::read_to_string(&env.key).expect("key file");
    assert_eq!(key.trim_end().len(), 64, "64 hex digits");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env.key)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The key file never reaches the output.
    let (_, out, err) = env.run(&["init"], "");
    assert!(!out.contains(key.trim_end()) && !err.contains(key.trim_end()));
}

#[test]
fn init_says_where_both_are_in_human_form() {
    let env = Env::empty();
    env.cmd()
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::contains(env.store.to_str().expect("utf-8")))
        .stdout(predicate::str::contains(
            env.config_dir().to_str().expect("utf-8"),
        ));
}

#[test]
fn init_refuses_an_existing_store_or_key_file() {
    let env = Env::new();
    let key_before = std::fs::read(&env.key).expect("key");
    let err = env.fails(&["init"], "", CONFLICT);
    assert_eq!(err["error"]["type"], "conflict_error");
    assert_eq!(std::fs::read(&env.key).expect("key"), key_before);

    let other = Env::empty();
    write(&other.key, "not mine");
    other.fails(&["init"], "", CONFLICT);
    assert!(!other.store.exists(), "no store made without its key");
}

#[test]
fn store_and_key_come_from_the_environment_or_the_data_directory() {
    let home = tempfile::tempdir().expect("temp dir");
    let data = home.path().join("data");
    bare()
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", &data)
        .arg("init")
        .assert()
        .success();
    #[cfg(target_os = "linux")]
    {
        assert!(data.join("vaultstore/store").is_dir());
        let keys = home.path().join(".config/vaultstore/keys");
        let names: Vec<_> = std::fs::read_dir(&keys).expect("keys dir").collect();
        assert_eq!(names.len(), 1, "one key file in {}", keys.display());
    }

    let env = Env::empty();
    let key = env.path("elsewhere.key");
    bare()
        .env("VAULTSTORE_PATH", &env.store)
        .env("VAULTSTORE_KEY_FILE", &key)
        .arg("init")
        .assert()
        .success();
    assert!(key.is_file() && !env.key.exists());
    bare()
        .env("VAULTSTORE_PATH", &env.store)
        .env("VAULTSTORE_KEY_FILE", &key)
        .args(["vault", "list"])
        .assert()
        .success();
}

#[test]
fn a_missing_store_is_a_usage_error_and_is_not_created() {
    let env = Env::empty();
    let err = env.fails(&["vault", "list"], "", USAGE);
    assert!(err["error"]["message"]
        .as_str()
        .expect("message")
        .contains("vaultstore init"));
    assert!(!env.store.exists());

    // A directory that holds something else is not taken for a store either.
    std::fs::create_dir(&env.store).expect("mkdir");
    write(&env.store.join("notes.txt"), "mine");
    env.fails(&["vault", "list"], "", USAGE);
    env.fails(&["init"], "", CONFLICT);
    assert!(!env.store.join("data").exists());
}

#[test]
fn a_wrong_key_file_exits_with_the_wrong_key_code() {
    let env = Env::new();
    let other = Env::new();
    env.cmd()
        .arg("--key-file")
        .arg(&other.key)
        .args(["vault", "list"])
        .assert()
        .code(WRONG_KEY)
        .stderr(predicate::str::contains("master key does not open"));
}

#[test]
fn a_store_open_elsewhere_is_locked() {
    let env = Env::new();
    let held = VaultStore::builder(&env.store)
        .key_file(&env.key)
        .open()
        .expect("open");
    let err = env.fails(&["vault", "list"], "", LOCKED);
    assert_eq!(err["error"]["type"], "api_error");
    assert!(err["error"]["message"]
        .as_str()
        .expect("message")
        .contains("open in another"));
    drop(held);
    env.json(&["vault", "list"], "");
}

#[test]
fn a_passphrase_store_from_stdin_round_trips() {
    let env = Env::empty();
    let answer = env.json(&["--passphrase-stdin", "init"], "correct horse\n");
    assert_eq!(answer["key_file"], serde_json::Value::Null);
    assert!(!env.key.exists());

    // The passphrase is stdin's first line; the token is the rest.
    let vault = env.json(
        &[
            "--passphrase-stdin",
            "vault",
            "create",
            "--name",
            "p",
            "--credential",
            "https://example.com/mcp",
            "--protocol",
            "sse",
            "--token-stdin",
        ],
        &format!("correct horse\n{TOKEN}\n"),
    );
    let id = vault["id"].as_str().expect("id");
    let found = env.json(
        &[
            "--passphrase-stdin",
            "resolve",
            "--vault",
            id,
            "--url",
            "https://example.com/mcp",
            "--reveal",
        ],
        "correct horse\n",
    );
    assert_eq!(found["access_token"], TOKEN);

    env.fails(
        &["--passphrase-stdin", "vault", "list"],
        "wrong horse\n",
        WRONG_KEY,
    );
    // No key file, no passphrase, no terminal: a usage error, not a hang.
    env.fails(&["vault", "list"], "", USAGE);
}

#[test]
fn init_refuses_an_empty_or_short_passphrase() {
    for weak in ["\n", "short\n"] {
        let env = Env::empty();
        let err = env.fails(&["--passphrase-stdin", "init"], weak, INVALID);
        let message = err["error"]["message"].as_str().expect("message");
        assert!(message.contains("at least 12 characters"), "{message}");
        assert!(!env.store.join("HEADER").exists(), "no store made");
    }
}

#[test]
fn a_missing_key_file_is_a_usage_error_naming_it() {
    let env = Env::new();
    let missing = env.path("no-such.key");
    let missing = missing.to_str().expect("utf-8");
    let err = env.fails(&["--key-file", missing, "vault", "list"], "", USAGE);
    let message = err["error"]["message"].as_str().expect("message");
    assert!(
        message.contains(missing) && message.contains("does not exist"),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn a_key_file_open_to_others_is_refused_with_the_chmod_to_run() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let key = env.key.clone();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = env.fails(&["vault", "list"], "", INVALID);
    let message = err["error"]["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("chmod 600 {}", key.display())),
        "{message}"
    );
}

#[test]
fn a_store_path_that_is_a_file_or_holds_other_files_says_so() {
    let env = Env::empty();
    write(&env.store, "not a directory");
    let err = env.fails(&["vault", "list"], "", USAGE);
    let message = err["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("is a file, not a store directory"),
        "{message}"
    );

    let other = Env::empty();
    std::fs::create_dir(&other.store).expect("mkdir");
    write(&other.store.join("notes.txt"), "mine");
    let err = other.fails(&["vault", "list"], "", USAGE);
    let message = err["error"]["message"].as_str().expect("message");
    assert!(message.contains("directory of other files"), "{message}");
}

#[test]
fn a_key_file_beside_the_store_from_earlier_versions_is_still_used() {
    let env = Env::empty();
    let beside = env.key.to_str().expect("utf-8");
    env.json(&["--key-file", beside, "init"], "");
    env.json(&["vault", "list"], "");
    env.fails(&["init"], "", CONFLICT);
}

#[cfg(unix)]
#[test]
fn default_key_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    let keys = env.key.parent().expect("keys dir");
    assert_eq!(mode(keys), 0o700);
    assert_eq!(mode(keys.parent().expect("vaultstore dir")), 0o700);
}

#[test]
fn a_typed_key_file_directory_must_exist() {
    let env = Env::new();
    let typo = env.path("no/such/dir/new.key");
    let err = env.fails(
        &[
            "rotate-key",
            "--new-key-file",
            typo.to_str().expect("utf-8"),
        ],
        "",
        USAGE,
    );
    let message = err["error"]["message"].as_str().expect("message");
    assert!(message.contains("does not exist"), "{message}");
    assert!(!env.path("no").exists(), "no directory was created");
}
