//! `compact`: rewrites the closed store's live data into fresh files, so deleted
//! tokens' ciphertext leaves them (the library does it; this opens nothing else).

use serde_json::json;
use vaultstore::VaultStore;

use crate::exit::Outcome;
use crate::open;
use crate::progress::spin;
use crate::Context;

pub fn run(cx: &mut Context) -> Outcome {
    let (dir, key) = open::existing_store(&cx.global, &mut cx.stdin)?;
    let builder = open::with_key(VaultStore::builder(&dir), key);
    let report = spin("compacting the store", || builder.compact())?;
    let answer = json!({
        "store": dir,
        "bytes_before": report.bytes_before,
        "bytes_after": report.bytes_after,
    });
    cx.out.show(&answer, || {
        format!(
            "Compacted the store at {}: {} bytes before, {} after.\nDeleted and replaced \
             tokens' ciphertext is gone from its files; backups and copies made earlier \
             still hold theirs, readable with the key of their time.",
            dir.display(),
            report.bytes_before,
            report.bytes_after
        )
    });
    Ok(())
}
