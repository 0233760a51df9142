//! Guards the throwaway PostgreSQL of the tests (tests/pg_support): it answers, hands
//! out fresh schema names, and leaves no server or directory behind its process.
#![cfg(feature = "postgres")]

mod pg_support;

use std::process::Command;
use std::time::{Duration, Instant};

/// Set in the child process of `a_server_is_cleaned_up_when_its_process_exits`.
const CHILD: &str = "VAULTSTORE_PG_HARNESS_CHILD";

#[test]
fn the_shared_server_answers() {
    let mut client =
        postgres::Client::connect(&pg_support::conninfo(), postgres::NoTls).expect("connects");
    let row = client.query_one("SELECT 1 + 1", &[]).expect("query");
    assert_eq!(row.get::<_, i32>(0), 2);
}

#[test]
fn schema_names_are_fresh_identifiers() {
    let long = "a".repeat(100);
    let names = [
        pg_support::fresh_schema("same"),
        pg_support::fresh_schema("same"),
        pg_support::fresh_schema("Upper-Case::path"),
        pg_support::fresh_schema(&long),
    ];
    for name in &names {
        assert!(name.len() <= 63, "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
    }
    assert_ne!(names[0], names[1]);
}

/// Runs only as the child of the test below: starts a server, says where, and exits
/// without stopping it.
#[test]
fn child_starts_a_server_and_exits() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let server = Box::leak(Box::new(pg_support::PgServer::start()));
    println!("SERVER {} {}", server.port(), server.dir().display());
}

#[test]
fn a_server_is_cleaned_up_when_its_process_exits() {
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "child_starts_a_server_and_exits", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .expect("runs the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SERVER "))
        .unwrap_or_else(|| panic!("the child said where its server is: {stdout}"));
    let (port, dir) = line.split_once(' ').expect("port and directory");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::path::Path::new(dir).exists() {
        assert!(
            Instant::now() < deadline,
            "{dir} outlived its process by 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let refused = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err();
    assert!(refused, "a server still listens on port {port}");
}
