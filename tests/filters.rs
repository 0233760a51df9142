//! Guards list filters: name (case-insensitive substring), include_archived and
//! inclusive created_at bounds, alone and with cursors.

mod common;
use chrono::Duration;
use common::*;
use vaultstore::ListParams;

fn name_is_a_case_insensitive_substring(backend: &Backend) {
    let (_dir, store) = backend.store();
    let a = vault(&store, "Prod-GitHub");
    let _ = vault(&store, "staging-jira");
    let c = vault(&store, "github-dev");
    let page = store
        .list_vaults(&ListParams {
            name: Some("GITHUB".into()),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(ids(&page.data), vec![c.id.clone(), a.id.clone()]);
    let page = store
        .list_vaults(&ListParams {
            name: Some("hub".into()),
            limit: Some(1),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(ids(&page.data), vec![c.id]);
    assert!(page.has_more, "has_more counts only matching items");
    let page = store
        .list_vaults(&ListParams {
            name: Some("hub".into()),
            after_id: page.last_id,
            ..Default::default()
        })
        .expect("list");
    assert_eq!(ids(&page.data), vec![a.id]);
    assert!(!page.has_more);
}

fn credential_name_searches_the_url(backend: &Backend) {
    let (_dir, store) = backend.store();
    let v = vault_with(&store, "v", "https://mcp.GitHub.com/sse", "t");
    store
        .add_credential(&v.id, credential("https://jira.example.com/mcp", "t"))
        .expect("add");
    let page = store
        .list_credentials(
            &v.id,
            &ListParams {
                name: Some("github".into()),
                ..Default::default()
            },
        )
        .expect("list");
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].mcp_server_url, "https://mcp.GitHub.com/sse");
}

fn archived_items_show_only_when_asked(backend: &Backend) {
    let (_dir, store) = backend.store();
    let a = vault(&store, "a");
    let b = vault(&store, "b");
    store.archive_vault(&a.id).expect("archive");
    let active = store.list_vaults(&ListParams::default()).expect("list");
    assert_eq!(ids(&active.data), vec![b.id.clone()]);
    let all = store
        .list_vaults(&ListParams {
            include_archived: true,
            ..Default::default()
        })
        .expect("list");
    assert_eq!(ids(&all.data), vec![b.id.clone(), a.id.clone()]);

    let cred = b.credentials.as_ref().expect("creds")[0].id.clone();
    store.archive_credential(&b.id, &cred).expect("archive");
    assert!(store
        .list_credentials(&b.id, &ListParams::default())
        .expect("list")
        .data
        .is_empty());
    let with = store
        .list_credentials(
            &b.id,
            &ListParams {
                include_archived: true,
                ..Default::default()
            },
        )
        .expect("list");
    assert_eq!(ids(&with.data), vec![cred]);
}

fn created_at_bounds_are_inclusive(backend: &Backend) {
    let (_dir, store) = backend.store();
    let made: Vec<_> = (0..5).map(|i| vault(&store, &format!("v{i}"))).collect();
    let at = |i: usize| made[i].created_at;
    let page = store
        .list_vaults(&ListParams {
            created_at_gte: Some(at(1)),
            created_at_lte: Some(at(3)),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        ids(&page.data),
        vec![made[3].id.clone(), made[2].id.clone(), made[1].id.clone()]
    );
    let page = store
        .list_vaults(&ListParams {
            created_at_gte: Some(at(4) + Duration::nanoseconds(1)),
            ..Default::default()
        })
        .expect("list");
    assert!(
        page.data.is_empty(),
        "a bound between two microseconds excludes the earlier one"
    );
    let page = store
        .list_vaults(&ListParams {
            created_at_lte: Some(at(0) - Duration::days(365 * 60)),
            ..Default::default()
        })
        .expect("list");
    assert!(page.data.is_empty(), "a bound before 1970 matches nothing");
    let page = store
        .list_vaults(&ListParams {
            created_at_gte: Some(at(0)),
            after_id: Some(made[2].id.clone()),
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        ids(&page.data),
        vec![made[1].id.clone(), made[0].id.clone()],
        "bounds combine with cursors"
    );
}

fn gte_after_lte_is_refused(backend: &Backend) {
    let (_dir, store) = backend.store();
    let now = chrono::Utc::now();
    let err = store
        .list_vaults(&ListParams {
            created_at_gte: Some(now),
            created_at_lte: Some(now - Duration::seconds(1)),
            ..Default::default()
        })
        .expect_err("inverted bounds");
    assert_eq!(
        (err.api_type(), err.field()),
        ("invalid_request_error", Some("created_at[gte]"))
    );
}

conformance!(
    name_is_a_case_insensitive_substring,
    credential_name_searches_the_url,
    archived_items_show_only_when_asked,
    created_at_bounds_are_inclusive,
    gte_after_lte_is_refused,
);
