//! A server that is down, restarted or killed: clear errors, never a password, and
//! the next call after a restart works. Each test has a private server to stop.

use super::pg_support::{self, PgServer};
use super::{account, vault};
use crate::api::id::RawId;
use crate::backend::Backend;

use super::super::pool::RECENTLY_USED;
use super::super::PgBackend;

#[test]
fn a_server_that_is_down_is_named_without_the_password() {
    // A port nothing listens on (taken, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let conninfo =
        format!("postgresql://vaultstore:hunter2@127.0.0.1:{port}/postgres?connect_timeout=2");
    let err = PgBackend::connect(&conninfo, "down", 2).expect_err("nothing listens");
    let message = err.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn calls_fail_clearly_while_the_server_is_down_and_work_after_a_restart() {
    let server = PgServer::start();
    let acme = account("acme");
    let b = PgBackend::connect(&server.conninfo(), &pg_support::fresh_schema("restart"), 3)
        .expect("connects");
    b.transact(&mut |tx| tx.put_vault(&acme, &vault(1, 1, "v", true, b"before")))
        .expect("put");

    server.kill();
    // Past the window in which a connection is handed out without the checkout query,
    // so the checkout finds the server down (and says where it is).
    std::thread::sleep(RECENTLY_USED);
    let err = b
        .reads()
        .and_then(|mut r| r.vault(&acme, RawId(1)))
        .expect_err("the server is down");
    let message = err.to_string();
    assert!(message.contains("PostgreSQL"), "{message}");
    assert!(
        message.contains(&format!("127.0.0.1:{}", server.port())),
        "{message}"
    );
    let err = b
        .transact(&mut |tx| tx.put_vault(&acme, &vault(2, 2, "v", true, b"during")))
        .expect_err("the server is down");
    assert!(err.to_string().contains("PostgreSQL"), "{err}");

    server.start_again();
    // The pool's stale connections are noticed at checkout and replaced.
    b.transact(&mut |tx| tx.put_vault(&acme, &vault(3, 3, "v", true, b"after")))
        .expect("writes after the restart");
    let mut r = b.reads().expect("reads after the restart");
    assert_eq!(
        r.vault(&acme, RawId(1)).expect("read"),
        Some(b"before".to_vec().into())
    );
    assert_eq!(r.vault(&acme, RawId(2)).expect("read"), None);
    assert_eq!(
        r.vault(&acme, RawId(3)).expect("read"),
        Some(b"after".to_vec().into())
    );
}

#[test]
fn a_connection_that_dies_mid_call_fails_that_call_only() {
    let server = PgServer::start();
    let acme = account("acme");
    let b = PgBackend::connect(&server.conninfo(), &pg_support::fresh_schema("mid_call"), 2)
        .expect("connects");
    // Checked out before the crash: the next statement on it finds it dead.
    let mut r = b.reads().expect("reads");
    server.kill();
    server.start_again();
    let err = r.vault(&acme, RawId(1)).expect_err("the connection died");
    assert!(err.to_string().contains("PostgreSQL"), "{err}");
    drop(r);
    assert_eq!(
        b.reads()
            .expect("reads")
            .vault(&acme, RawId(1))
            .expect("read"),
        None
    );
}
