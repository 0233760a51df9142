//! Guards the server's connection-level limits: a request head past the header limit
//! is refused (431), a connection past `max_connections` is closed at once and the
//! slot comes back when a connection ends, and a client that sends nothing is dropped
//! after the header timeout.
#![cfg(feature = "server")]

mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use server_support::Server;
use vaultstore::server::Limits;

fn addr(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

/// What the server sends back before closing (empty if it just closes).
fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn an_oversized_request_head_is_refused() {
    let s = Server::start();
    let mut stream = TcpStream::connect(addr(&s)).expect("connects");
    let request = format!(
        "GET /v1/vaults HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40 << 10)
    );
    let answer = exchange(&mut stream, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");
}

#[test]
fn connections_past_the_limit_are_closed_and_slots_come_back() {
    let mut limits = Limits::default();
    limits.max_connections = 2;
    let s = Server::start_with(limits);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(addr(&s)).expect("connects"))
        .collect();
    // Give the server a moment to accept both.
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(addr(&s)).expect("the kernel accepts");
    let answer = exchange(&mut third, b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(answer, "", "closed without an answer");

    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = TcpStream::connect(addr(&s)).expect("connects");
        let answer = exchange(
            &mut again,
            b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "no slot came back");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_silent_client_is_dropped_after_the_header_timeout() {
    let mut limits = Limits::default();
    limits.header_read_timeout = Duration::from_millis(300);
    let s = Server::start_with(limits);
    let mut stream = TcpStream::connect(addr(&s)).expect("connects");
    let start = Instant::now();
    let answer = exchange(&mut stream, b"GET /v1/vaults HTTP/1.1\r\n");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert!(!answer.contains("200 OK"), "{answer}");
}
