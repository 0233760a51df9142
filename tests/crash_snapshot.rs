//! Guards against sled 0.34's interrupted-snapshot trap: sled writes a snapshot at
//! every close into `snap.<lsn>.generating` and renames it when complete, but at open
//! it takes the last `snap.*` file in sort order — the unfinished one — and refuses the
//! store ("damage at None"). A kill during a close (seen once in ~700 kills of the
//! compaction crash test) left such a file. The store must open as if the snapshot had
//! never been started.

mod common_robust;

use common_robust::*;

#[test]
fn an_unfinished_snapshot_left_by_a_crash_does_not_stop_the_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    let url = "https://a.example/mcp";
    let id = {
        let store = open(&store_dir);
        create_vault(&store, "v", &[(url, "fake-token")]).id
    };
    // Wait for sled to finish closing (its last snapshot), then plant what a kill in
    // the middle of the next snapshot leaves: an empty one and a truncated one, named
    // after an lsn above any real one so they sort last.
    let data = store_dir.join("data");
    drop(open(&store_dir));
    std::fs::write(data.join("snap.7FFFFFFFFFFFFFFF.generating"), b"").expect("plant");
    std::fs::write(data.join("snap.7FFFFFFFFFFFFFFE.generating"), [1u8; 40]).expect("plant");

    let store = open(&store_dir);
    assert_eq!(
        bearer(&store, &id, url).expect("lookup").as_deref(),
        Some("fake-token")
    );
    assert!(problems(&store).is_empty(), "{:?}", problems(&store));
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .expect("read data")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".generating"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
