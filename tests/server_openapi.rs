//! Guards /openapi.json: it is served without a key, parses as OpenAPI 3.1, and every
//! operation it documents is routed (answered by its handler, not the unknown-route
//! fallback or a 405).
#![cfg(feature = "server")]

mod server_support;
use server_support::Server;

#[test]
fn every_documented_operation_is_routed() {
    let s = Server::start();
    let doc = s.call("GET", "/openapi.json", "", None).expect(200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            let concrete = path
                .replace("{vault_id}", "vault_00000000000000000000000000000000")
                .replace("{credential_id}", "vcred_00000000000000000000000000000000");
            let key = if path.starts_with("/vaultstore") {
                &s.runtime
            } else {
                &s.admin
            };
            let answer = s.call(&method.to_uppercase(), &concrete, key, Some("{}"));
            assert_ne!(answer.status, 405, "{method} {path}");
            if answer.status == 404 {
                let message = answer.body["error"]["message"].as_str().unwrap_or_default();
                assert!(
                    !message.starts_with("No route"),
                    "{method} {path} is not routed"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 28, "operations documented");
}
