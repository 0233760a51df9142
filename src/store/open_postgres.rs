//! Opening a store on PostgreSQL: `VaultStore::builder_postgres`, the options only it
//! has, and the open itself (connect, make the store on the first open, check the key).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::open::{assemble, check_options, create, read_meta, unlock_store, Opened};
use crate::backend::postgres::PgBackend;
use crate::backend::MetaKey;
use crate::error::{Error, Result};
use crate::store::config::Builder;
use crate::store::records::StoreMeta;
use crate::store::{Storage, VaultStore};

/// Where a PostgreSQL store lives. `Debug` never shows the conninfo (it may hold a
/// password).
#[derive(Clone)]
pub(crate) struct Place {
    conninfo: SecretString,
    password: Option<SecretString>,
    ca_file: Option<std::path::PathBuf>,
    schema: String,
    pool_size: u32,
}

impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("conninfo", &"[REDACTED]")
            .field("schema", &self.schema)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Connections per process by default (and as many again for refresh locks).
const DEFAULT_POOL_SIZE: u32 = 8;

impl VaultStore {
    /// Options for a store in a PostgreSQL database (feature `postgres`): `conninfo` is
    /// a libpq `key=value` string or a `postgresql://` URL. Every process that opens
    /// the same database and schema with the same key shares one store: each sees the
    /// others' writes at once, and an OAuth refresh is single-flight across them.
    /// The master key never leaves the process: the database holds only sealed
    /// secrets and signed records.
    pub fn builder_postgres(conninfo: &str) -> Builder {
        let mut builder = Builder::new(std::path::Path::new(""));
        builder.postgres = Some(Place {
            conninfo: SecretString::from(conninfo.to_owned()),
            password: None,
            ca_file: None,
            schema: "vaultstore".to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
        });
        builder
    }
}

impl Builder {
    /// PostgreSQL: the schema the store's tables live in, created if missing.
    /// Default: `vaultstore`. 1–63 characters of a–z, 0–9 and `_`, not starting with
    /// a digit.
    pub fn schema(mut self, name: &str) -> Self {
        if let Some(target) = &mut self.postgres {
            target.schema = name.to_owned();
        }
        self
    }

    /// PostgreSQL: the database password, when the conninfo has none (from the
    /// environment or a file, so it is not in a URL that might be printed).
    pub fn postgres_password(mut self, password: SecretString) -> Self {
        if let Some(target) = &mut self.postgres {
            target.password = Some(password);
        }
        self
    }

    /// PostgreSQL: the CA certificates (PEM) that sign the server's TLS certificate. With
    /// it, or with `sslmode=require` (or `verify-ca`, `verify-full`) in the conninfo, the
    /// connection is TLS (rustls) and the certificate and the host name are verified —
    /// against this file, else the public web roots. Without either, plaintext.
    pub fn postgres_ca_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        if let Some(target) = &mut self.postgres {
            target.ca_file = Some(path.as_ref().to_owned());
        }
        self
    }

    /// PostgreSQL: connections this process keeps open for calls (as many again hold
    /// refresh locks). Default: 8.
    pub fn pool_size(mut self, connections: u32) -> Self {
        if let Some(target) = &mut self.postgres {
            target.pool_size = connections.max(1);
        }
        self
    }
}

/// Opens (or makes) the store the builder's target names.
pub(crate) fn open(mut options: Builder) -> Result<VaultStore> {
    check_options(&mut options)?;
    let Some(target) = options.postgres.clone() else {
        return Err(Error::invalid("conninfo", "conninfo: no PostgreSQL target"));
    };
    let backend = Arc::new(PgBackend::connect_with(
        target.conninfo.expose_secret(),
        target.password.as_ref(),
        target.ca_file.as_deref(),
        &target.schema,
        target.pool_size,
    )?);
    let meta: Option<StoreMeta> = read_meta(&*backend, MetaKey::Store, "the store record")?;
    let store_id = match meta {
        Some(meta) => meta.store_id,
        None => {
            let source = options
                .key
                .as_ref()
                .ok_or_else(|| Error::invalid("key", "key: no master key given"))?;
            create(&*backend, source)?
        }
    };
    let keyring = unlock_store(&*backend, &options, &store_id)?;
    let resume_rotation = keyring.previous.is_some();
    let store = assemble(
        &options,
        Opened {
            storage: Storage::Postgres(backend),
            store_id,
            keyring,
            last_id: None,
            flusher: None,
            lock: None,
        },
    );
    if resume_rotation {
        store.finish_rotation()?;
    }
    Ok(store)
}
