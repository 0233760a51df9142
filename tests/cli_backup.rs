//! Guards `vaultstore backup`: the copy opens with the same key and holds the same
//! vaults; a non-empty destination is refused.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;

#[test]
fn a_backup_opens_with_the_same_key_and_holds_the_same_vaults() {
    let env = Env::new();
    let vault = env.vault("v", "https://example.com/mcp");
    let dest = env.path("copy");
    let answer = env.json(&["backup", dest.to_str().expect("utf-8")], "");
    assert_eq!(answer["backup"], dest.to_str().expect("utf-8"));

    let key = env.key.to_str().expect("utf-8");
    let copy = dest.to_str().expect("utf-8");
    let found = bare()
        .args([
            "--store",
            copy,
            "--key-file",
            key,
            "--json",
            "vault",
            "get",
            &vault,
        ])
        .output()
        .expect("runs");
    assert_eq!(split(found).0, 0);

    env.fails(&["backup", copy], "", INVALID);
}
