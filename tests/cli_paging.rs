//! Guards the "more" hint under a list table: it names the flag and id that give the
//! next page in the direction travelled, forwards (older) and backwards (newer).
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;

/// The hint line of a human list, if any.
fn hint(env: &Env, args: &[&str]) -> Option<String> {
    let out = env.cmd().args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.lines()
        .find(|line| line.starts_with("(more:"))
        .map(str::to_owned)
}

#[test]
fn the_hint_follows_the_direction_travelled() {
    let env = Env::new();
    let names = ["a", "b", "c", "d"];
    let ids: Vec<String> = names
        .iter()
        .map(|n| env.vault(n, &format!("https://{n}.example/mcp")))
        .collect();
    let [a, b, c, d] = [&ids[0], &ids[1], &ids[2], &ids[3]];

    // Forwards (newest first): after the page's last id.
    let forward = hint(&env, &["vault", "list", "--limit", "2"]);
    assert_eq!(
        forward.as_deref(),
        Some(format!("(more: --after {c})").as_str())
    );

    // Backwards from the oldest: the page is [c, b]; newer still is d, before c.
    let backward = hint(&env, &["vault", "list", "--limit", "2", "--before", a]);
    assert_eq!(
        backward.as_deref(),
        Some(format!("(more: --before {c})").as_str())
    );
    // Following the hint gives the next page backwards, and no hint at the end.
    let page = env.json(&["vault", "list", "--limit", "2", "--before", c], "");
    assert_eq!(page["data"][0]["id"], d.as_str());
    assert_eq!(
        hint(&env, &["vault", "list", "--limit", "2", "--before", b]),
        None
    );

    // Credentials page the same way.
    for url in ["https://x.example/mcp", "https://y.example/mcp"] {
        env.add_credential(a, url, "sse")
            .arg("--token-stdin")
            .write_stdin(TOKEN)
            .assert()
            .success();
    }
    let creds = env.json(&["credential", "list", a], "");
    let oldest = creds["last_id"].as_str().expect("last id");
    let newest = creds["first_id"].as_str().expect("first id");
    let middle = creds["data"][1]["id"].as_str().expect("id");
    let hinted = hint(
        &env,
        &["credential", "list", a, "--limit", "1", "--before", oldest],
    );
    assert_eq!(hinted, Some(format!("(more: --before {middle})")));
    assert_ne!(middle, newest);
}
