//! Opening options.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::backend::sled::durability::Durability;
use crate::crypto::kdf::{DEFAULT_MAX_KDF_MEMORY_KIB, KDF_MEMORY_CEILING_KIB};
use crate::crypto::key::{KdfCost, KeySource, MasterKey};
use crate::error::Result;
use crate::store::refresh::TokenRefresher;
use crate::store::VaultStore;

/// Options for opening a store; see [`VaultStore::builder`].
#[must_use]
pub struct Builder {
    pub(crate) dir: PathBuf,
    pub(crate) key: Option<KeySource>,
    pub(crate) durability: Durability,
    pub(crate) cache_capacity: u64,
    pub(crate) flush_interval: Duration,
    pub(crate) max_active_credentials: u32,
    pub(crate) kdf_cost: KdfCost,
    pub(crate) refresh_margin: Duration,
    pub(crate) refresher: Option<Arc<dyn TokenRefresher>>,
    pub(crate) max_kdf_memory_kib: u32,
    pub(crate) allow_weak_passphrase: bool,
    /// Set by `VaultStore::builder_postgres`: the store is in PostgreSQL, not `dir`.
    #[cfg(feature = "postgres")]
    pub(crate) postgres: Option<crate::store::open_postgres::Place>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("Builder");
        f.field("dir", &self.dir)
            .field("key", &self.key)
            .field("durability", &self.durability)
            .field("cache_capacity", &self.cache_capacity)
            .field("flush_interval", &self.flush_interval)
            .field("max_active_credentials", &self.max_active_credentials)
            .field("kdf_cost", &self.kdf_cost)
            .field("refresh_margin", &self.refresh_margin)
            .field("refresher", &self.refresher.as_ref().map(|_| "custom"))
            .field("max_kdf_memory_kib", &self.max_kdf_memory_kib)
            .field("allow_weak_passphrase", &self.allow_weak_passphrase);
        #[cfg(feature = "postgres")]
        f.field("postgres", &self.postgres);
        f.finish()
    }
}

fn default_refresher() -> Option<Arc<dyn TokenRefresher>> {
    #[cfg(feature = "http-refresh")]
    return Some(Arc::new(crate::store::refresh::HttpRefresher::new()));
    #[cfg(not(feature = "http-refresh"))]
    None
}

impl Builder {
    pub(crate) fn new(dir: &Path) -> Self {
        Builder {
            dir: dir.to_owned(),
            key: None,
            durability: Durability::Immediate,
            cache_capacity: 32 << 20,
            flush_interval: Duration::from_millis(500),
            max_active_credentials: 20,
            kdf_cost: KdfCost::default(),
            refresh_margin: Duration::from_secs(60),
            refresher: default_refresher(),
            max_kdf_memory_kib: DEFAULT_MAX_KDF_MEMORY_KIB,
            allow_weak_passphrase: false,
            #[cfg(feature = "postgres")]
            postgres: None,
        }
    }

    /// Opens with this master key. One of `key`, `key_file` or `passphrase` is required;
    /// the last one given wins.
    pub fn key(mut self, key: MasterKey) -> Self {
        self.key = Some(KeySource::Key(key));
        self
    }

    /// Opens with the key in this file (see [`MasterKey::from_file`]).
    pub fn key_file(mut self, path: impl AsRef<Path>) -> Self {
        self.key = Some(KeySource::KeyFile(path.as_ref().to_owned()));
        self
    }

    /// Opens with a key derived from this passphrase with Argon2id. A new store keeps a
    /// random salt and the cost ([`Builder::kdf_cost`]) so later opens derive the same key.
    /// A new store (and [`VaultStore::rotate_to_passphrase`]) refuses a passphrase of
    /// fewer than 12 characters unless [`Builder::allow_weak_passphrase`] is set; a
    /// store made earlier with a shorter one still opens.
    pub fn passphrase(mut self, passphrase: SecretString) -> Self {
        self.key = Some(KeySource::Passphrase(passphrase, self.kdf_cost));
        self
    }

    /// The Argon2id cost for a store made with a passphrase, and for
    /// [`VaultStore::rotate_to_passphrase`]. Opening an existing store uses the cost it
    /// was made with. Default: [`KdfCost::default`] (19 MiB, 2 iterations). The cost
    /// must fit [`Builder::max_kdf_memory_kib`].
    pub fn kdf_cost(mut self, cost: KdfCost) -> Self {
        self.kdf_cost = cost;
        if let Some(KeySource::Passphrase(_, c)) = &mut self.key {
            *c = cost;
        }
        self
    }

    /// The most memory, in KiB, that a store's stored passphrase cost may ask for. A
    /// store asking for more (or for more than 64 iterations or 64 lanes) is refused
    /// with [`Error::Corrupted`](crate::Error::Corrupted) before anything is derived:
    /// the stored cost is read from disk, and an edited one must not hang the open or
    /// abort the process on allocation. Values above 4 GiB are taken as 4 GiB.
    /// Default: 1 GiB.
    pub fn max_kdf_memory_kib(mut self, kib: u32) -> Self {
        self.max_kdf_memory_kib = kib.min(KDF_MEMORY_CEILING_KIB);
        self
    }

    /// **Insecure**: accepts a new passphrase shorter than 12 characters, even an
    /// empty one, for a new store and for [`VaultStore::rotate_to_passphrase`]. For
    /// tests and for passphrases checked elsewhere. Default: refused.
    pub fn allow_weak_passphrase(mut self) -> Self {
        self.allow_weak_passphrase = true;
        self
    }

    /// When changes reach the disk. Default: [`Durability::Immediate`]. sled only: on
    /// PostgreSQL a change is durable when its transaction commits.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// How often [`Durability::Periodic`] flushes and fsyncs. Default: 500 ms. sled
    /// only.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// The storage engine's page cache, in bytes. Default: 32 MiB (sled's own default,
    /// 1 GiB, does not suit a store that sits beside an agent runtime). sled only.
    ///
    /// It bounds what reads make resident, not what opening does: sled 0.34 keeps an
    /// entry per page of its trees in memory from the start (about 220 bytes per vault
    /// with its credential, 220 MiB at a million). Measured on such a store, reading
    /// every vault grew the process to 274 MiB with 4 MiB, 342 MiB with 32 MiB and
    /// 500 MiB with 128 MiB, and a repeated full read took 1.76 s, 1.49 s and 0.37 s.
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity = bytes;
        self
    }

    /// Active credentials a vault may hold. Default: 20.
    pub fn max_active_credentials(mut self, max: u32) -> Self {
        self.max_active_credentials = max;
        self
    }

    /// How long before its expiry an `mcp_oauth` access token is refreshed rather than
    /// handed out: a session never returns a token that expires within this margin.
    /// Default: 60 s.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Who renews `mcp_oauth` tokens. Default: [`HttpRefresher`](crate::HttpRefresher)
    /// with its defaults (feature `http-refresh`, on by default); without that feature
    /// and without this call, an expired token gives [`Error::Refresh`](crate::Error::Refresh).
    pub fn token_refresher(mut self, refresher: impl TokenRefresher + 'static) -> Self {
        self.refresher = Some(Arc::new(refresher));
        self
    }

    /// Opens the store, creating it (directory, key check, header) if the directory is
    /// empty or missing.
    ///
    /// # Errors
    /// - [`Error::InvalidRequest`](crate::Error::InvalidRequest) if no key was given, a
    ///   key file is malformed, the [`Builder::kdf_cost`] is above the limits, or a new
    ///   store's passphrase is too short;
    /// - [`Error::Locked`](crate::Error::Locked) if the store is open elsewhere, in this
    ///   process or another;
    /// - [`Error::WrongKey`](crate::Error::WrongKey) if the key does not open it;
    /// - [`Error::RotationUnfinished`](crate::Error::RotationUnfinished) if a rotation
    ///   was interrupted and this is the old key;
    /// - [`Error::Corrupted`](crate::Error::Corrupted) if the header or the data files
    ///   are missing, damaged or do not belong together;
    /// - [`Error::UnsupportedFormat`](crate::Error::UnsupportedFormat) for a store made
    ///   by a newer vaultstore;
    /// - [`Error::Io`](crate::Error::Io) for file-system failures.
    pub fn open(self) -> Result<VaultStore> {
        #[cfg(feature = "postgres")]
        if self.postgres.is_some() {
            return crate::store::open_postgres::open(self);
        }
        crate::store::open::open(self)
    }
}
