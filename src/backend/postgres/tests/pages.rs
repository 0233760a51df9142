//! Pages: both directions, id ranges, created_at bounds, literal name filters,
//! archived items, skipped records, and `has_more` exactly at the boundaries.

use super::{account, backend, credential, query, vault, Collect};
use crate::backend::layout::Account;
use crate::backend::{Backend, ListScope, PageQuery};

use super::super::PgBackend;

/// Vaults 1..=n, created at 10 × id, all active.
fn with_vaults(test: &str, n: u128) -> (PgBackend, Account) {
    let b = backend(test);
    let acme = account("acme");
    b.transact(&mut |tx| {
        for id in 1..=n {
            tx.put_vault(&acme, &vault(id, 10 * id as i64, "vault", true, b"v"))?;
        }
        Ok(())
    })
    .expect("put");
    (b, acme)
}

fn page(b: &PgBackend, acme: &Account, scope: ListScope, q: &PageQuery) -> (Vec<u128>, bool) {
    let mut sink = Collect::new(q.limit);
    let more = b
        .reads()
        .expect("reads")
        .page(acme, scope, q, &mut sink)
        .expect("page");
    (sink.taken, more)
}

#[test]
fn newest_first_pages_and_has_more_at_the_boundaries() {
    let (b, acme) = with_vaults("pages_desc", 5);
    let at = |hi: u128, limit: usize| {
        let q = PageQuery {
            limit,
            ids: 0..=hi,
            ..query()
        };
        page(&b, &acme, ListScope::Vaults, &q)
    };
    assert_eq!(at(u128::MAX, 2), (vec![5, 4], true));
    assert_eq!(at(3, 2), (vec![3, 2], true));
    assert_eq!(at(1, 2), (vec![1], false));
    // Exactly a page left: no more.
    assert_eq!(at(2, 2), (vec![2, 1], false));
    assert_eq!(at(u128::MAX, 5), (vec![5, 4, 3, 2, 1], false));
    assert_eq!(at(u128::MAX, 4), (vec![5, 4, 3, 2], true));
    assert_eq!(at(0, 2), (vec![], false));
}

#[test]
fn oldest_first_pages_toward_newer_items() {
    let (b, acme) = with_vaults("pages_asc", 5);
    let from = |lo: u128, limit: usize| {
        let q = PageQuery {
            limit,
            newer: true,
            ids: lo..=u128::MAX,
            ..query()
        };
        page(&b, &acme, ListScope::Vaults, &q)
    };
    assert_eq!(from(0, 2), (vec![1, 2], true));
    assert_eq!(from(3, 2), (vec![3, 4], true));
    assert_eq!(from(4, 2), (vec![4, 5], false));
    assert_eq!(from(6, 2), (vec![], false));
    // An empty range, as a cursor past the end makes.
    let (lo, hi) = (4, 3);
    let q = PageQuery {
        newer: true,
        ids: lo..=hi,
        ..query()
    };
    assert_eq!(page(&b, &acme, ListScope::Vaults, &q), (vec![], false));
}

#[test]
fn id_ranges_and_created_at_bounds_narrow_the_page() {
    let (b, acme) = with_vaults("pages_bounds", 9);
    let q = PageQuery {
        ids: 2..=8,
        created_gte: Some(30),
        created_lte: Some(60),
        ..query()
    };
    assert_eq!(
        page(&b, &acme, ListScope::Vaults, &q),
        (vec![6, 5, 4, 3], false)
    );
    let q = PageQuery { limit: 3, ..q };
    assert_eq!(
        page(&b, &acme, ListScope::Vaults, &q),
        (vec![6, 5, 4], true)
    );
    let q = PageQuery {
        created_gte: Some(45),
        created_lte: Some(49),
        ..query()
    };
    assert_eq!(page(&b, &acme, ListScope::Vaults, &q), (vec![], false));
}

#[test]
fn name_filters_match_wildcards_literally() {
    let b = backend("pages_names");
    let acme = account("acme");
    let names = [
        (1, "100% sure"),
        (2, "1000 sure"),
        (3, "a_b"),
        (4, "axb"),
        (5, "back\\slash"),
        (6, "backslash"),
        (7, "plain"),
    ];
    b.transact(&mut |tx| {
        for (id, name) in names {
            tx.put_vault(&acme, &vault(id, id as i64, name, true, b"v"))?;
        }
        Ok(())
    })
    .expect("put");
    let find = |name: &str| {
        let q = PageQuery {
            name: Some(name.to_owned()),
            ..query()
        };
        page(&b, &acme, ListScope::Vaults, &q).0
    };
    assert_eq!(find("0%"), vec![1]);
    assert_eq!(find("%"), vec![1]);
    assert_eq!(find("_"), vec![3]);
    assert_eq!(find("a_b"), vec![3]);
    assert_eq!(find("\\"), vec![5]);
    assert_eq!(find("k\\s"), vec![5]);
    assert_eq!(find("sure"), vec![2, 1]);
    assert_eq!(find("lain"), vec![7]);
    assert_eq!(find("nothing"), Vec::<u128>::new());
}

#[test]
fn archived_items_only_when_asked() {
    let b = backend("pages_archived");
    let acme = account("acme");
    b.transact(&mut |tx| {
        for id in 1..=6 {
            tx.put_vault(&acme, &vault(id, id as i64, "v", id % 2 == 0, b"v"))?;
        }
        Ok(())
    })
    .expect("put");
    let q = PageQuery {
        limit: 2,
        ..query()
    };
    assert_eq!(page(&b, &acme, ListScope::Vaults, &q), (vec![6, 4], true));
    let q = PageQuery {
        limit: 3,
        ..query()
    };
    assert_eq!(
        page(&b, &acme, ListScope::Vaults, &q),
        (vec![6, 4, 2], false)
    );
    let q = PageQuery {
        limit: 3,
        include_archived: true,
        ..query()
    };
    assert_eq!(
        page(&b, &acme, ListScope::Vaults, &q),
        (vec![6, 5, 4], true)
    );
}

#[test]
fn a_page_is_never_short_when_the_sink_skips() {
    let b = backend("pages_skips");
    let acme = account("acme");
    // 40 rows the sink skips between the newest and the rest.
    b.transact(&mut |tx| {
        for id in 1..=5 {
            tx.put_vault(&acme, &vault(id, 0, "v", true, b"v"))?;
        }
        for id in 6..=45 {
            tx.put_vault(&acme, &vault(id, 0, "v", true, b"skip"))?;
        }
        tx.put_vault(&acme, &vault(46, 0, "v", true, b"v"))
    })
    .expect("put");
    let q = PageQuery {
        limit: 3,
        ..query()
    };
    assert_eq!(
        page(&b, &acme, ListScope::Vaults, &q),
        (vec![46, 5, 4], true)
    );
    let q = PageQuery {
        limit: 6,
        ..query()
    };
    assert_eq!(
        page(&b, &acme, ListScope::Vaults, &q),
        (vec![46, 5, 4, 3, 2, 1], false)
    );
    let q = PageQuery {
        limit: 2,
        newer: true,
        ids: 5..=u128::MAX,
        ..query()
    };
    assert_eq!(page(&b, &acme, ListScope::Vaults, &q), (vec![5, 46], false));
}

#[test]
fn a_vaults_credentials_page_on_their_own() {
    let b = backend("pages_credentials");
    let acme = account("acme");
    b.transact(&mut |tx| {
        for id in 1..=4 {
            tx.put_credential(
                &acme,
                &credential(1, id, "https://a.example/mcp", true, b"c"),
            )?;
            tx.put_credential(
                &acme,
                &credential(2, 10 + id, "https://b.example/mcp", true, b"c"),
            )?;
        }
        tx.put_credential(
            &acme,
            &credential(1, 5, "https://a.example/old", false, b"c"),
        )
    })
    .expect("put");
    let scope = ListScope::Credentials(crate::api::id::RawId(1));
    let q = PageQuery {
        limit: 3,
        ..query()
    };
    assert_eq!(page(&b, &acme, scope, &q), (vec![4, 3, 2], true));
    let q = PageQuery {
        include_archived: true,
        name: Some("old".to_owned()),
        ..query()
    };
    assert_eq!(page(&b, &acme, scope, &q), (vec![5], false));
    let q = PageQuery {
        name: Some("b.example".to_owned()),
        ..query()
    };
    assert_eq!(page(&b, &acme, scope, &q), (vec![], false));
}
