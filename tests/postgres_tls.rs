//! TLS to PostgreSQL: a server that takes TCP connections over TLS only, with a
//! self-signed certificate made here. The store connects with `sslmode=require` and the
//! certificate's CA file; without the CA file the certificate is refused (verified
//! against the public roots); `verify-full` works; plaintext is refused by the server.
#![cfg(feature = "postgres")]

mod common;

use common::pg_support::PgServer;
use vaultstore::{Error, MasterKey, VaultStore};

fn open(conninfo: &str, ca: Option<&std::path::Path>) -> vaultstore::Result<VaultStore> {
    let mut builder = VaultStore::builder_postgres(conninfo)
        .schema("tls")
        .key(MasterKey::from_bytes(common::KEY));
    if let Some(ca) = ca {
        builder = builder.postgres_ca_file(ca);
    }
    builder.open()
}

#[test]
fn a_store_over_verified_tls() {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a certificate");
    let server = PgServer::start();
    server.stop();
    server.require_tls(&made.cert.pem(), &made.signing_key.serialize_pem());
    server.start_again();
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, made.cert.pem()).expect("write the CA file");
    let base = server.conninfo();

    let store = open(&format!("{base} sslmode=require"), Some(&ca)).expect("TLS with the CA");
    let vault = common::vault(&store, "over-tls");
    drop(store);
    let again = open(&format!("{base} sslmode=verify-full"), Some(&ca)).expect("verify-full");
    assert_eq!(
        again.get_vault(&vault.id).expect("get").display_name,
        "over-tls"
    );
    drop(again);

    // Not signed by a public root: refused, and the message says where.
    let err = open(&format!("{base} sslmode=require"), None).expect_err("untrusted");
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    assert!(
        err.to_string().contains(&server.port().to_string()),
        "{err}"
    );
    // The server takes TCP over TLS only: a plaintext connection is turned away, so the
    // connections above were TLS.
    let plain = open(&format!("{base} sslmode=disable"), None).expect_err("plaintext");
    assert!(matches!(plain, Error::Storage(_)), "{plain:?}");
}
