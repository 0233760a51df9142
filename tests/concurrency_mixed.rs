//! Guards that many threads on clones of one store (creating, archiving, adding, listing,
//! resolving tokens while the key is rotated) lose no write, see no error, never
//! deadlock, and leave a store that matches what each thread was told.

mod common;
mod common_robust;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::Backend;
use common_robust::*;
use vaultstore::{ListParams, MasterKey, Status, VaultStore};

const CREATORS: usize = 3;
const VAULTS_PER_CREATOR: usize = 15;
const ROTATIONS: u8 = 12;
/// Long enough for a slow, shared CI machine; only a deadlock comes near it.
const DEADLOCK: Duration = Duration::from_secs(240);

/// What a creator was told: (vault id, active, [(url, active)]).
type Created = Vec<(String, bool, Vec<(String, bool)>)>;

fn url(creator: usize, n: usize, i: usize) -> String {
    format!("https://c{creator}-{n}-{i}.example/mcp")
}

fn token_for(url: &str) -> String {
    format!("fake-token:{url}")
}

fn creator(store: VaultStore, c: usize) -> Created {
    let mut created = Created::new();
    for n in 0..VAULTS_PER_CREATOR {
        let urls = [url(c, n, 0), url(c, n, 1)];
        let tokens = urls.clone().map(|u| token_for(&u));
        let v = create_vault(
            &store,
            &format!("c{c}-{n}"),
            &[(&urls[0], &tokens[0]), (&urls[1], &tokens[1])],
        );
        let mut creds: Vec<(String, bool)> = urls.iter().map(|u| (u.clone(), true)).collect();
        if n % 4 == 1 {
            let extra = url(c, n, 2);
            store
                .add_credential(&v.id, credential(&extra, &token_for(&extra)))
                .expect("add credential");
            creds.push((extra, true));
        }
        if n % 4 == 2 {
            store
                .archive_credential(&v.id, credential_id(&v, &urls[0]))
                .expect("archive credential");
            creds[0].1 = false;
        }
        let active = n % 3 != 0;
        if !active {
            store.archive_vault(&v.id).expect("archive vault");
            creds.iter_mut().for_each(|c| c.1 = false);
        }
        created.push((v.id, active, creds));
    }
    created
}

/// Lists pages until told to stop; every page must be newest first.
fn lister(store: VaultStore, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let mut params = ListParams {
            limit: Some(5),
            ..ListParams::default()
        };
        loop {
            let page = store.list_vaults(&params).expect("list during writes");
            let ids: Vec<&String> = page.data.iter().map(|v| &v.id).collect();
            assert!(
                ids.windows(2).all(|w| w[0] > w[1]),
                "page out of order: {ids:?}"
            );
            if !page.has_more {
                break;
            }
            params.after_id = page.last_id;
        }
    }
}

/// Resolves fixed tokens until told to stop: a rotation must never show.
fn resolver(store: VaultStore, fixed: Vec<(String, String)>, stop: Arc<AtomicBool>) -> u64 {
    let mut lookups = 0;
    while !stop.load(Ordering::Relaxed) {
        for (vault, url) in &fixed {
            let token = bearer(&store, vault, url).expect("lookup during rotation");
            assert_eq!(token, Some(token_for(url)));
            lookups += 1;
        }
    }
    lookups
}

fn rotator(store: VaultStore) {
    for i in 0..ROTATIONS {
        store
            .rotate_key(MasterKey::from_bytes([100 + i; 32]))
            .expect("rotate");
    }
}

/// Runs `f` on a thread; its result arrives on the returned channel.
fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    receive
}

fn join<T>(receiver: mpsc::Receiver<T>, what: &str) -> T {
    receiver
        .recv_timeout(DEADLOCK)
        .unwrap_or_else(|e| panic!("{what} did not finish (deadlock or panic): {e}"))
}

fn concurrent_writers_listers_resolvers_and_rotations_agree_with_a_model(backend: &Backend) {
    let place = backend.place();
    let store = backend.builder(&place).key(key()).open().expect("open");
    let fixed: Vec<(String, String)> = (0..4)
        .map(|i| {
            let url = format!("https://fixed{i}.example/mcp");
            let v = create_vault(&store, "fixed", &[(&url, &token_for(&url))]);
            (v.id, url)
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let creators: Vec<_> = (0..CREATORS)
        .map(|c| {
            let store = store.clone();
            spawn(move || creator(store, c))
        })
        .collect();
    let lister = {
        let (store, stop) = (store.clone(), Arc::clone(&stop));
        spawn(move || lister(store, stop))
    };
    let resolver = {
        let (store, fixed, stop) = (store.clone(), fixed.clone(), Arc::clone(&stop));
        spawn(move || resolver(store, fixed, stop))
    };
    let rotator = {
        let store = store.clone();
        spawn(move || rotator(store))
    };

    let created: Vec<Created> = creators.into_iter().map(|c| join(c, "a creator")).collect();
    join(rotator, "the rotator");
    stop.store(true, Ordering::Relaxed);
    join(lister, "the lister");
    assert!(join(resolver, "the resolver") > 0);

    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    let expected = fixed.len() + CREATORS * VAULTS_PER_CREATOR;
    assert_eq!(report.vaults as usize, expected, "lost or extra vaults");
    drop(store);
    let store = backend
        .builder(&place)
        .key(MasterKey::from_bytes([100 + ROTATIONS - 1; 32]))
        .open()
        .expect("the last key opens the store");
    for (vault, active, creds) in created.iter().flatten() {
        let v = store.get_vault(vault).expect("acknowledged vault");
        assert_eq!(v.status == Status::Active, *active, "{vault}");
        let all = ListParams {
            include_archived: true,
            ..ListParams::default()
        };
        let mut found: Vec<(String, bool)> = store
            .list_credentials(vault, &all)
            .expect("list credentials")
            .data
            .into_iter()
            .map(|c| (c.mcp_server_url, c.status == Status::Active))
            .collect();
        found.sort();
        assert_eq!(&found, creds, "{vault} credentials");
        if *active {
            for (url, _) in creds.iter().filter(|c| c.1) {
                let token = bearer(&store, vault, url).expect("lookup");
                assert_eq!(token, Some(token_for(url)));
            }
        }
    }
}

conformance!(concurrent_writers_listers_resolvers_and_rotations_agree_with_a_model);
