//! `--store postgresql://…`: a store in PostgreSQL instead of a directory.
//!
//! The schema comes from `VAULTSTORE_PG_SCHEMA` (default `vaultstore`); the database
//! password from the URL, else the file `VAULTSTORE_PG_PASSWORD_FILE`, else
//! `PGPASSWORD`; the CA file for TLS from `VAULTSTORE_PG_CA_FILE`, else `PGSSLROOTCERT`.
//! The URL is never printed: it may hold the password.

#[cfg(feature = "postgres")]
use vaultstore::secrecy::SecretString;
use vaultstore::Builder;

use crate::args::Global;
use crate::exit::{usage, Failure};
use crate::open::{passphrase_prompt, KeyChoice};
use crate::secrets::Stdin;

/// The URL of a PostgreSQL store, if `--store` (or `VAULTSTORE_PATH`) names one.
pub fn url(global: &Global) -> Option<String> {
    let store = global.store.as_ref()?.to_str()?;
    (store.starts_with("postgresql://") || store.starts_with("postgres://"))
        .then(|| store.to_owned())
}

/// Options for the PostgreSQL store at `url`.
pub fn builder(url: &str) -> Result<Builder, Failure> {
    #[cfg(feature = "postgres")]
    {
        let mut builder = vaultstore::VaultStore::builder_postgres(url);
        if let Ok(schema) = std::env::var("VAULTSTORE_PG_SCHEMA") {
            builder = builder.schema(&schema);
        }
        if let Some(password) = password()? {
            builder = builder.postgres_password(password);
        }
        let ca =
            std::env::var_os("VAULTSTORE_PG_CA_FILE").or_else(|| std::env::var_os("PGSSLROOTCERT"));
        if let Some(ca) = ca {
            builder = builder.postgres_ca_file(ca);
        }
        Ok(builder)
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        Err(usage(
            "--store names a PostgreSQL database, but this vaultstore was built without \
             PostgreSQL support: build it with `--features cli,postgres`",
        ))
    }
}

/// The password from `VAULTSTORE_PG_PASSWORD_FILE` (its first line) or `PGPASSWORD`.
#[cfg(feature = "postgres")]
fn password() -> Result<Option<SecretString>, Failure> {
    if let Some(path) = std::env::var_os("VAULTSTORE_PG_PASSWORD_FILE") {
        let path = std::path::PathBuf::from(path);
        let what = "the database password (VAULTSTORE_PG_PASSWORD_FILE)";
        return crate::secrets::from_file(&path, what, &crate::secrets::DB_PASSWORD).map(Some);
    }
    Ok(std::env::var("PGPASSWORD").ok().map(SecretString::from))
}

/// Where `serve` and `api-key` keep the server's API keys for a PostgreSQL store
/// (there is no store directory): `VAULTSTORE_SERVER_DIR`, else
/// `<config dir>/vaultstore/server`, made 0700.
#[cfg(feature = "server")]
pub fn server_dir() -> Result<std::path::PathBuf, Failure> {
    let dir = match std::env::var_os("VAULTSTORE_SERVER_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => dirs::config_dir()
            .map(|config| config.join("vaultstore").join("server"))
            .ok_or_else(|| usage("no platform config directory here: set VAULTSTORE_SERVER_DIR"))?,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| usage(format!("cannot make {}: {e}", dir.display())))?;
    Ok(dir)
}

/// The key of a PostgreSQL store: there is no directory to find a key file beside, so
/// it is `--key-file` (or `VAULTSTORE_KEY_FILE`) or a passphrase.
pub fn key(global: &Global, stdin: &mut Stdin) -> Result<KeyChoice, Failure> {
    if global.passphrase_stdin {
        return Ok(KeyChoice::Passphrase(stdin.line("the passphrase")?));
    }
    if global.passphrase {
        return passphrase_prompt().map(KeyChoice::Passphrase);
    }
    match &global.key_file {
        Some(file) => Ok(KeyChoice::File(file.clone())),
        None => Err(usage(
            "a PostgreSQL store needs its key: pass --key-file PATH (or set \
             VAULTSTORE_KEY_FILE), or --passphrase-stdin",
        )),
    }
}
