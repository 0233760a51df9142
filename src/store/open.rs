//! Opening a store: lock, header, engine, key check, and the first-time setup.

use std::sync::{Arc, Mutex, RwLock};

use rand::RngCore;

use crate::api::id::{IdClock, RawId};
use crate::backend::layout::Account;
use crate::backend::sled::durability::{Durability, Flusher};
use crate::backend::sled::lock::{read_header, write_header, DirLock};
use crate::backend::sled::target_dir;
use crate::backend::sled::Engine;
use crate::backend::sled::SledBackend;
use crate::backend::{Backend, MetaKey};
use crate::crypto::codec::{decode, encode, FORMAT_VERSION};
use crate::crypto::key::{KdfParams, KeySource, MasterKey};
use crate::crypto::seal::{KeyHandle, Keyring};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::store::config::Builder;
use crate::store::records::{KeySlot, KeyState, StoreMeta};
use crate::store::{Inner, Storage, VaultStore, DEFAULT_ACCOUNT};

/// Checks the options every backend shares (a key is given, its cost is sane).
pub(crate) fn check_options(options: &mut Builder) -> Result<()> {
    options.kdf_cost.check(options.max_kdf_memory_kib)?;
    // The cost carries the choice to a later rotate_to_passphrase.
    options.kdf_cost = options
        .kdf_cost
        .allowing_weak_passphrases(options.allow_weak_passphrase);
    if let Some(KeySource::Passphrase(_, cost)) = &mut options.key {
        *cost = options.kdf_cost;
    }
    if options.key.is_none() {
        return Err(Error::invalid(
            "key",
            "key: no master key given; use .key(), .key_file() or .passphrase()",
        ));
    }
    Ok(())
}

/// What [`assemble`] makes a store handle of.
pub(crate) struct Opened {
    pub(crate) storage: Storage,
    pub(crate) store_id: [u8; 16],
    pub(crate) keyring: Keyring,
    /// The largest id issued before (sled); ids issued from now on are larger.
    pub(crate) last_id: Option<RawId>,
    pub(crate) flusher: Option<Flusher>,
    pub(crate) lock: Option<DirLock>,
}

/// The store handle over an opened backend.
pub(crate) fn assemble(options: &Builder, opened: Opened) -> VaultStore {
    VaultStore::from_inner(
        Inner {
            _flusher: opened.flusher,
            storage: opened.storage,
            key_id: std::sync::atomic::AtomicU32::new(opened.keyring.current.id),
            key_switch: RwLock::new(()),
            keys: RwLock::new(opened.keyring),
            clock: IdClock::starting_after(opened.last_id),
            rotation: Mutex::new(()),
            durability: options.durability,
            max_active_credentials: options.max_active_credentials,
            kdf_cost: options.kdf_cost,
            refresh_margin: options.refresh_margin,
            refresher: options.refresher.clone(),
            refresh_locks: Default::default(),
            store_id: opened.store_id,
            dir: options.dir.clone(),
            _lock: opened.lock,
        },
        Account::new(DEFAULT_ACCOUNT),
    )
}

/// Reads the key record and checks the key against it.
pub(crate) fn unlock_store(
    backend: &dyn Backend,
    options: &Builder,
    store_id: &[u8; 16],
) -> Result<Keyring> {
    let state: KeyState = read_meta(backend, MetaKey::Keys, "the key record")?
        .ok_or_else(|| Error::corrupted("the key record is missing"))?;
    let source = options
        .key
        .as_ref()
        .ok_or_else(|| Error::invalid("key", "key: no master key given"))?;
    unlock(&state, source, store_id, options.max_kdf_memory_kib)
}

pub(crate) fn open(mut options: Builder) -> Result<VaultStore> {
    check_options(&mut options)?;
    let dir = &options.dir;
    let Some(source) = options.key.as_ref() else {
        return Err(Error::invalid("key", "key: no master key given"));
    };
    target_dir::check_store_path(dir)?;
    target_dir::prepare(dir, "the store directory")?;
    let lock = DirLock::acquire(dir)?;
    crate::store::compact::recover(dir)?;
    let header = read_header(dir)?;
    let header_version = header.map(|(version, _)| version);
    let header = header.map(|(_, id)| id);
    let engine = Arc::new(Engine::open(&dir.join("data"), options.cache_capacity)?);
    let backend = Arc::new(SledBackend::new(Arc::clone(&engine), options.durability));
    let meta: Option<StoreMeta> = read_meta(&*backend, MetaKey::Store, "the store record")?;

    let store_id = match (header, meta) {
        (Some(header), Some(meta)) if header == meta.store_id => header,
        (Some(_), Some(_)) => {
            return Err(Error::corrupted(
                "the header file and the data files belong to different stores",
            ))
        }
        (Some(_), None) => {
            return Err(Error::corrupted(
                "the header file is present but the data files hold no store: \
                 they are missing or damaged (restore from a backup)",
            ))
        }
        (None, _) if !engine.vaults.is_empty() || !engine.credentials.is_empty() => {
            return Err(Error::corrupted(
                "the header file is missing but the directory holds data \
                 (restore the header from a backup)",
            ))
        }
        // A first open that stopped after writing the store record: finish it.
        (None, Some(meta)) => {
            write_header(dir, &meta.store_id)?;
            meta.store_id
        }
        (None, None) => {
            let store_id = create(&*backend, source)?;
            write_header(dir, &store_id)?;
            store_id
        }
    };

    let keyring = unlock_store(&*backend, &options, &store_id)?;
    let resume_rotation = keyring.previous.is_some();
    let last_id = backend.reads()?.meta(MetaKey::LastId)?;
    let last_id = last_id.as_deref().and_then(RawId::from_slice);

    fsutil::restrict_store(dir)
        .map_err(|e| Error::io(format!("restricting permissions in {}", dir.display()), e))?;
    let flusher = match options.durability {
        Durability::Immediate => None,
        Durability::Periodic => Some(
            Flusher::start(Arc::clone(&engine), options.flush_interval)
                .map_err(|e| Error::io("starting the flush thread", e))?,
        ),
    };
    let store = assemble(
        &options,
        Opened {
            storage: Storage::Sled(backend),
            store_id,
            keyring,
            last_id,
            flusher,
            lock: Some(lock),
        },
    );
    if header_version.is_some_and(|v| v < FORMAT_VERSION) {
        store.migrate_from_v1()?;
        write_header(dir, &store_id)?;
    }
    if resume_rotation {
        store.finish_rotation()?;
    }
    Ok(store)
}

pub(crate) fn read_meta<T: serde::de::DeserializeOwned>(
    backend: &dyn Backend,
    key: MetaKey,
    what: &str,
) -> Result<Option<T>> {
    match backend.reads()?.meta(key)? {
        Some(bytes) => decode(&bytes, || what.to_owned()).map(Some),
        None => Ok(None),
    }
}

/// Makes a new store, unless another process has just made it: a random id and the
/// key check, durably. Returns the store's id. The caller then marks the store made
/// (sled: the header file).
pub(crate) fn create(backend: &dyn Backend, source: &KeySource) -> Result<[u8; 16]> {
    let mut store_id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut store_id);
    let (key, kdf) = match source {
        KeySource::Passphrase(passphrase, cost) => {
            let kdf = KdfParams::fresh(*cost);
            (MasterKey::derive(passphrase, &kdf)?, Some(kdf))
        }
        other => (key_without_kdf(other)?, None),
    };
    let handle = KeyHandle::new(1, key);
    let state = KeyState {
        current: KeySlot {
            id: handle.id,
            check: handle.check_value(&store_id)?,
            kdf,
        },
        rotation: None,
    };
    let meta = StoreMeta {
        store_id,
        created_at: chrono::Utc::now().timestamp_micros(),
    };
    let (state, meta) = (encode(&state)?, encode(&meta)?);
    let mut made = store_id;
    backend.transact(&mut |tx| {
        if let Some(bytes) = tx.meta(MetaKey::Store)? {
            let theirs: StoreMeta = decode(&bytes, || "the store record".to_owned())?;
            made = theirs.store_id;
            return Ok(());
        }
        made = store_id;
        tx.put_meta(MetaKey::Keys, &state)?;
        tx.put_meta(MetaKey::Store, &meta)
    })?;
    backend.sync()?;
    Ok(made)
}

fn key_without_kdf(source: &KeySource) -> Result<MasterKey> {
    match source {
        KeySource::Key(key) => Ok(key.duplicate()),
        KeySource::KeyFile(path) => MasterKey::from_file(path),
        KeySource::Passphrase(..) => Err(Error::WrongKey),
    }
}

/// The key `source` gives for `slot`: a passphrase is derived with the slot's salt and
/// cost, once the cost is known to be within bounds.
fn key_for(source: &KeySource, slot: &KeySlot, max_kib: u32) -> Result<Option<MasterKey>> {
    match (source, &slot.kdf) {
        (KeySource::Passphrase(passphrase, _), Some(kdf)) => {
            MasterKey::derive_within(passphrase, kdf, max_kib).map(Some)
        }
        (KeySource::Passphrase(..), None) => Ok(None),
        (other, _) => key_without_kdf(other).map(Some),
    }
}

/// Checks the key against the store. With the current key: the store opens (unless a
/// rotation is unfinished). With a rotation's next key: the store opens with both keys,
/// so the caller can finish the rotation.
fn unlock(
    state: &KeyState,
    source: &KeySource,
    store_id: &[u8; 16],
    max_kib: u32,
) -> Result<Keyring> {
    if let Some(key) = key_for(source, &state.current, max_kib)? {
        let handle = KeyHandle::new(state.current.id, key);
        if handle.opens_check(&state.current.check, store_id) {
            return match state.rotation {
                Some(_) => Err(Error::RotationUnfinished),
                None => Ok(Keyring {
                    current: handle,
                    previous: None,
                }),
            };
        }
    }
    if let Some(rotation) = &state.rotation {
        if let Some(key) = key_for(source, &rotation.next, max_kib)? {
            let next = KeyHandle::new(rotation.next.id, key);
            if next.opens_check(&rotation.next.check, store_id) {
                let previous = next
                    .unwrap(&rotation.current_wrapped, state.current.id, store_id)
                    .ok_or_else(|| {
                        Error::corrupted("the rotation record fails its integrity check")
                    })?;
                return Ok(Keyring {
                    current: next,
                    previous: Some(previous),
                });
            }
        }
    }
    Err(Error::WrongKey)
}
