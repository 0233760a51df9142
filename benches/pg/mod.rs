//! The PostgreSQL bench's parts: the filled store, the raw baselines, and the load
//! from many threads and processes.

pub mod fill;
pub mod load;
pub mod raw;

use vaultstore::{MasterKey, VaultStore};

use crate::common;

/// Opens the bench store in `schema` (made on the first open) with `pool` connections.
pub fn open(conninfo: &str, schema: &str, pool: u32) -> VaultStore {
    VaultStore::builder_postgres(conninfo)
        .schema(schema)
        .key(MasterKey::from_bytes(common::KEY))
        .pool_size(pool)
        .open()
        .expect("open the bench store on PostgreSQL")
}

/// Spreads call `i` over the `n` items, in an order unrelated to creation.
pub fn pick(i: usize, n: usize) -> usize {
    (i.wrapping_mul(2_654_435_761)) % n
}
