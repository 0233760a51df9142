//! Guards cursor pagination: newest first, both directions, has_more, limits, cursors
//! that were deleted, malformed cursors, and paging while items are added or archived.

mod common;
use common::*;
use vaultstore::{ListParams, Page, Vault};

fn params(limit: u32) -> ListParams {
    ListParams {
        limit: Some(limit),
        ..Default::default()
    }
}

/// Creates `n` vaults and returns their ids, newest first.
fn fill(store: &vaultstore::VaultStore, n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|i| vault(store, &format!("v{i}")).id).collect();
    ids.reverse();
    ids
}

fn walk_older(store: &vaultstore::VaultStore, limit: u32) -> Vec<Page<Vault>> {
    let mut pages = vec![store.list_vaults(&params(limit)).expect("first page")];
    while pages.last().expect("page").has_more {
        let after = pages.last().expect("page").last_id.clone();
        pages.push(
            store
                .list_vaults(&ListParams {
                    after_id: after,
                    ..params(limit)
                })
                .expect("page"),
        );
    }
    pages
}

fn pages_walk_every_item_newest_first_without_repeats(backend: &Backend) {
    let (_dir, store) = backend.store();
    let all = fill(&store, 23);
    let pages = walk_older(&store, 5);
    assert_eq!(pages.len(), 5);
    let walked: Vec<String> = pages.iter().flat_map(|p| ids(&p.data)).collect();
    assert_eq!(walked, all);
    for page in &pages {
        assert_eq!(page.first_id.as_ref(), page.data.first().map(|v| &v.id));
        assert_eq!(page.last_id.as_ref(), page.data.last().map(|v| &v.id));
    }
    assert!(!pages[4].has_more && pages[4].data.len() == 3);
    let times: Vec<_> = walked
        .iter()
        .map(|id| store.get_vault(id).expect("get").created_at)
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "created_at agrees with list order"
    );
}

fn before_id_pages_toward_newer_items(backend: &Backend) {
    let (_dir, store) = backend.store();
    let all = fill(&store, 10); // all[0] newest
    let page = store
        .list_vaults(&ListParams {
            before_id: Some(all[7].clone()),
            ..params(3)
        })
        .expect("page");
    assert_eq!(
        ids(&page.data),
        all[4..7].to_vec(),
        "the 3 just newer than the cursor, newest first"
    );
    assert!(page.has_more, "newer items remain");
    let page = store
        .list_vaults(&ListParams {
            before_id: Some(all[3].clone()),
            ..params(5)
        })
        .expect("page");
    assert_eq!(ids(&page.data), all[0..3].to_vec());
    assert!(!page.has_more);
    let page = store
        .list_vaults(&ListParams {
            before_id: Some(all[0].clone()),
            ..params(5)
        })
        .expect("page");
    assert!(page.data.is_empty() && page.first_id.is_none() && !page.has_more);
}

fn limit_defaults_caps_and_refuses_zero(backend: &Backend) {
    let (_dir, store) = backend.store();
    fill(&store, 105);
    assert_eq!(
        store
            .list_vaults(&ListParams::default())
            .expect("page")
            .data
            .len(),
        20
    );
    let capped = store.list_vaults(&params(1000)).expect("page");
    assert_eq!(capped.data.len(), 100);
    assert!(capped.has_more);
    let err = store.list_vaults(&params(0)).expect_err("zero");
    assert_eq!(
        (err.api_type(), err.field()),
        ("invalid_request_error", Some("limit"))
    );
}

fn a_deleted_cursor_still_pages_correctly(backend: &Backend) {
    let (_dir, store) = backend.store();
    let all = fill(&store, 6);
    store.delete_vault(&all[2]).expect("delete");
    let page = store
        .list_vaults(&ListParams {
            after_id: Some(all[2].clone()),
            ..params(10)
        })
        .expect("page");
    assert_eq!(ids(&page.data), all[3..].to_vec());
    let page = store
        .list_vaults(&ListParams {
            before_id: Some(all[2].clone()),
            ..params(10)
        })
        .expect("page");
    assert_eq!(ids(&page.data), all[..2].to_vec());
}

fn bad_cursors_are_invalid_requests(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = fill(&store, 1);
    for (after, before, field) in [
        (Some("vault_zz".to_owned()), None, "after_id"),
        (None, Some("garbage".to_owned()), "before_id"),
        (Some(v[0].replace("vault_", "vcred_")), None, "after_id"),
        (Some(v[0].clone()), Some(v[0].clone()), "before_id"),
    ] {
        let err = store
            .list_vaults(&ListParams {
                after_id: after,
                before_id: before,
                ..Default::default()
            })
            .expect_err("bad cursor");
        assert_eq!(
            (err.api_type(), err.field()),
            ("invalid_request_error", Some(field)),
            "{err}"
        );
    }
}

fn paging_while_others_add_and_archive_never_repeats_or_skips(backend: &Backend) {
    let (_dir, store) = backend.store();
    let all = fill(&store, 40);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut round = 0;
    loop {
        let page = store
            .list_vaults(&ListParams {
                after_id: after.clone(),
                ..params(7)
            })
            .expect("page");
        seen.extend(ids(&page.data));
        // Between pages: a new vault, and an archive of one not yet seen (never one
        // that "existed throughout" the walk of the untouched ones).
        vault(&store, &format!("new{round}"));
        round += 1;
        if !page.has_more {
            break;
        }
        after = page.last_id;
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no item repeats");
    assert_eq!(
        seen, all,
        "every item that existed throughout is seen once, in order"
    );

    // Archiving ahead of the walk removes those items and nothing else.
    let mut seen = Vec::new();
    let page = store
        .list_vaults(&ListParams {
            after_id: Some(all[0].clone()),
            ..params(10)
        })
        .expect("page");
    seen.extend(ids(&page.data));
    store.archive_vault(&all[15]).expect("archive");
    let page = store
        .list_vaults(&ListParams {
            after_id: page.last_id,
            ..params(100)
        })
        .expect("page");
    seen.extend(ids(&page.data));
    let expect: Vec<String> = all[1..]
        .iter()
        .filter(|id| **id != all[15])
        .cloned()
        .collect();
    assert_eq!(seen, expect);
}

fn credentials_page_the_same_way(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault(&store, "many");
    let mut creds = vec![v.credentials.as_ref().expect("creds")[0].id.clone()];
    for i in 0..11 {
        creds.push(
            store
                .add_credential(&v.id, credential(&format!("https://s{i}.example/"), "t"))
                .expect("add")
                .id,
        );
    }
    creds.reverse();
    let first = store.list_credentials(&v.id, &params(5)).expect("page");
    assert_eq!(ids(&first.data), creds[..5].to_vec());
    let second = store
        .list_credentials(
            &v.id,
            &ListParams {
                after_id: first.last_id.clone(),
                ..params(5)
            },
        )
        .expect("page");
    assert_eq!(ids(&second.data), creds[5..10].to_vec());
    let err = store
        .list_credentials(
            &v.id,
            &ListParams {
                after_id: Some(v.id.clone()),
                ..Default::default()
            },
        )
        .expect_err("a vault id is not a credential cursor");
    assert_eq!(err.field(), Some("after_id"));
    let err = store
        .list_credentials("vault_missing", &ListParams::default())
        .expect_err("unknown vault");
    assert_eq!(err.api_type(), "not_found_error");
}

fn paging_while_a_writer_thread_inserts_sees_every_old_item_once_in_order(backend: &Backend) {
    let (_dir, store) = backend.store();
    let all = fill(&store, 60);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 500 {
                vault(&store, &format!("concurrent{n}"));
                n += 1;
            }
            n
        })
    };
    let mut seen = Vec::new();
    let mut after = Some(all[0].clone());
    seen.push(all[0].clone());
    while let Some(cursor) = after {
        let page = store
            .list_vaults(&ListParams {
                after_id: Some(cursor),
                ..params(4)
            })
            .expect("page");
        seen.extend(ids(&page.data));
        after = if page.has_more { page.last_id } else { None };
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().expect("writer");
    assert_eq!(
        seen, all,
        "pages after a cursor hold exactly the older items, once each"
    );
    let total = store
        .list_vaults(&ListParams {
            limit: Some(100),
            ..Default::default()
        })
        .expect("page");
    assert_eq!(total.data.len(), (60 + written).min(100));
    assert!(store.verify().expect("verify").is_ok());
}

conformance!(
    pages_walk_every_item_newest_first_without_repeats,
    before_id_pages_toward_newer_items,
    limit_defaults_caps_and_refuses_zero,
    a_deleted_cursor_still_pages_correctly,
    bad_cursors_are_invalid_requests,
    paging_while_others_add_and_archive_never_repeats_or_skips,
    credentials_page_the_same_way,
    paging_while_a_writer_thread_inserts_sees_every_old_item_once_in_order,
);
