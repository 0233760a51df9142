//! OAuth session lookups (issue 9, item 10), each against its baseline in the same run:
//!
//! - a lookup of a fresh `mcp_oauth` credential (expires in an hour, with refresh
//!   settings, so no refresh) against a `static_bearer` lookup in the same store;
//! - a lookup that refreshes, against a local token endpoint (std `TcpListener`, HTTP/1.1
//!   with keep-alive) that answers every refresh with a new access token for 30 s —
//!   inside the 60 s margin, so every lookup refreshes — and a rotated refresh token,
//!   accepting only the last one it issued; beside the same POST made with ureq (the
//!   store's own form and answer parsing), and beside a raw durable write of what the
//!   refresh saves (two sled inserts in one transaction, flush, fsync).
//!
//! `cargo bench -p vaultstore-benches --bench oauth`; the table also goes to
//! `target/bench-results/oauth.md`.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::raw::{self, RawSled};
use common::{fmt_ns, median};
use vaultstore::chrono::Utc;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    ClientCredentials, CreateCredential, CreateVault, Durability, MasterKey, OAuthRefresh,
    OAuthTokens, Protocol, RefreshFailure, RefreshRequest, Session, TokenAnswer, TokenRefresher,
    VaultStore,
};

/// Vaults of each type in the lookup store.
const EACH: usize = 5_000;
/// The access token lifetime the endpoint grants: inside the store's 60 s margin.
const EXPIRES_IN: u64 = 30;

fn main() {
    if !common::benchmarking() {
        return;
    }
    let endpoint = TokenEndpoint::start();
    let mut report = String::from("# OAuth session lookups\n");
    fresh_lookups(&endpoint, &mut report);
    refresh_lookups(&endpoint, &mut report);
    let file = common::results_dir().join("oauth.md");
    std::fs::write(&file, &report).expect("write the report");
    println!("\n(written to {})", file.display());
}

/// An `mcp_oauth` credential for `url`, expiring at `expires_in` from now, refreshed at
/// `endpoint` as client `client_id` with refresh token `refresh_token`.
fn oauth_credential(
    url: String,
    i: usize,
    expires_in: Duration,
    endpoint: &TokenEndpoint,
    client_id: &str,
    refresh_token: &str,
) -> CreateCredential {
    let at = Utc::now() + expires_in;
    let refresh = OAuthRefresh::new(
        client_id,
        SecretString::from(refresh_token.to_owned()),
        endpoint.url.clone(),
    );
    let tokens = OAuthTokens::new(SecretString::from(format!("at_{i:036}")))
        .expires_at(at)
        .refresh(refresh);
    CreateCredential::mcp_oauth(url, Protocol::StreamableHttp, tokens)
}

/// (a) A fresh `mcp_oauth` lookup against a `static_bearer` one: 2 × `EACH` vaults,
/// alternating types, one credential each; lookups spread over each type's vaults.
fn fresh_lookups(endpoint: &TokenEndpoint, report: &mut String) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = common::open(&temp.path().join("store"), Durability::Periodic);
    let (mut statics, mut oauths) = (Vec::new(), Vec::new());
    for i in 0..2 * EACH {
        let credential = if i % 2 == 0 {
            common::credential(i)
        } else {
            oauth_credential(
                common::url(i),
                i,
                Duration::from_secs(3600),
                endpoint,
                "fresh-client",
                "rt_never_spent",
            )
        };
        let vault = store
            .create_vault(
                CreateVault::new(format!("team-{}-vault-{i}", i % 10), vec![credential])
                    .with_metadata("env", "prod"),
            )
            .expect("create");
        let session = store.session(&[&vault.id]).expect("session");
        let entry = (session, common::url(i));
        if i % 2 == 0 {
            statics.push(entry);
        } else {
            oauths.push(entry);
        }
    }
    store.flush().expect("flush");
    let pick = |i: usize| (i.wrapping_mul(2_654_435_761)) % EACH;
    let lookup = |sessions: &[(Session, String)], i: usize| {
        let (session, url) = &sessions[pick(i)];
        session.bearer_token(url).expect("lookup").expect("a token");
    };
    let (oauth_ns, static_ns) =
        common::median_pair(31, 2000, |i| lookup(&oauths, i), |i| lookup(&statics, i));
    let ratio = oauth_ns / static_ns;
    let verdict = if ratio <= 1.1 { "met" } else { "**missed**" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Fresh mcp_oauth lookup vs static_bearer ({} vaults, one credential each)\n",
        2 * EACH
    );
    let _ = writeln!(
        out,
        "| operation | median | baseline | baseline median | ratio | goal |\n|---|---:|---|---:|---:|---|"
    );
    let _ = writeln!(
        out,
        "| session lookup, mcp_oauth (expires in 1 h, refresh settings) | {} | session lookup, static_bearer | {} | {ratio:.2} | ≤ 1.1 {verdict} |",
        fmt_ns(oauth_ns),
        fmt_ns(static_ns)
    );
    print!("{out}");
    report.push_str(&out);
}

/// (b) A lookup that refreshes, against the raw HTTP round trip and a raw durable save.
fn refresh_lookups(endpoint: &TokenEndpoint, report: &mut String) {
    let temp = tempfile::tempdir().expect("temp dir");
    // Periodic: the refresh's save is durable whatever the store's mode, so the fsync
    // seen here is the refresh's own.
    let store = common::open(&temp.path().join("store"), Durability::Periodic);
    let url = "https://mcp.example.com/oauth".to_owned();
    endpoint.set_live("store-client", "rt_store_0");
    let vault = store
        .create_vault(CreateVault::new(
            "refreshing",
            vec![oauth_credential(
                url.clone(),
                0,
                Duration::from_secs(EXPIRES_IN),
                endpoint,
                "store-client",
                "rt_store_0",
            )],
        ))
        .expect("create");
    let session = store.session(&[&vault.id]).expect("session");

    // The same lookup with an in-process refresher (no HTTP): what the store does
    // around the request — two reads, opening the refresh token, sealing the new
    // tokens, signing the record, one transaction, flush and fsync.
    let local = VaultStore::builder(temp.path().join("local"))
        .key(MasterKey::from_bytes(common::KEY))
        .durability(Durability::Periodic)
        .token_refresher(InProcess)
        .open()
        .expect("open");
    let local_vault = local
        .create_vault(CreateVault::new(
            "refreshing",
            vec![oauth_credential(
                url.clone(),
                0,
                Duration::from_secs(EXPIRES_IN),
                endpoint,
                "local-client",
                "rt_local_0",
            )],
        ))
        .expect("create");
    let local_session = local.session(&[&local_vault.id]).expect("session");

    // The raw round trip: the same POST through a ureq agent configured as the store's
    // refresher, the store's form body and answer parsing, keeping the rotated token.
    endpoint.set_live("raw-client", "rt_raw_0");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(30)))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let raw_refresh = SecretString::from("rt_raw_0".to_owned());
    let raw_refresh = std::cell::RefCell::new(raw_refresh);
    let round_trip = || {
        let mut current = raw_refresh.borrow_mut();
        let request = RefreshRequest {
            credential_id: "vcred_raw",
            token_endpoint: &endpoint.url,
            client_id: "raw-client",
            client_auth: ClientCredentials::None,
            refresh_token: &current,
            scope: None,
            resource: None,
        };
        let body = vaultstore::form_body(&request);
        let mut answer = agent
            .post(&endpoint.url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .send(body.as_bytes())
            .expect("POST");
        let status = answer.status().as_u16();
        let bytes = answer
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()
            .expect("read");
        let parsed = vaultstore::parse_token_answer(status, &bytes).expect("a token");
        assert!(!parsed.access_token.expose_secret().is_empty());
        *current = parsed.refresh_token.expect("rotated");
    };

    // The raw durable save: the two values a refresh writes (a signed credential record
    // and a token entry, of their real sizes) in one transaction, flush, fsync.
    let raw_dir = temp.path().join("raw");
    let sled = RawSled::open(&raw_dir);
    let cipher = raw::cipher();
    let record_bytes = raw::encode_signed(&cipher, &oauth_record(endpoint), b"place");
    let entry_bytes = vec![0x5a; 2 * (4 + 12 + 1 + 60) + 33];
    let durable_save = |i: usize| {
        use sled::transaction::{ConflictableTransactionResult, Transactional};
        let key = (i as u64 % 64).to_be_bytes();
        (&sled.credentials, &sled.tokens)
            .transaction(
                |(credentials, tokens)| -> ConflictableTransactionResult<(), ()> {
                    credentials.insert(&key, record_bytes.as_slice())?;
                    tokens.insert(&key, entry_bytes.as_slice())?;
                    Ok(())
                },
            )
            .expect("transaction");
        sled.sync();
    };

    // Warm up: connections in both agents' pools, sled's files.
    for i in 0..5 {
        session
            .bearer_token(&url)
            .expect("refresh")
            .expect("a token");
        round_trip();
        durable_save(i);
    }
    let before = endpoint.issued();
    const BATCHES: usize = 51;
    const ITERS: usize = 10;
    let (mut lookups, mut trips, mut saves) = (Vec::new(), Vec::new(), Vec::new());
    let (mut locals, mut both) = (Vec::new(), Vec::new());
    let mut counter = 0;
    let mut time = |f: &mut dyn FnMut(usize)| {
        let start = Instant::now();
        for _ in 0..ITERS {
            f(counter);
            counter += 1;
        }
        start.elapsed().as_nanos() as f64 / ITERS as f64
    };
    for _ in 0..BATCHES {
        lookups.push(time(&mut |_| {
            session
                .bearer_token(&url)
                .expect("refresh")
                .expect("a token");
        }));
        locals.push(time(&mut |_| {
            local_session
                .bearer_token(&url)
                .expect("refresh")
                .expect("a token");
        }));
        trips.push(time(&mut |_| round_trip()));
        saves.push(time(&mut |i| durable_save(i)));
        both.push(time(&mut |i| {
            round_trip();
            durable_save(i);
        }));
    }
    let issued = endpoint.issued() - before;
    assert_eq!(
        issued,
        (3 * BATCHES * ITERS) as u64,
        "every store lookup refreshed once, every raw round trip once (twice a pass)"
    );
    let (lookup, trip, save) = (median(lookups), median(trips), median(saves));
    let (local, trip_then_save) = (median(locals), median(both));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Lookup that refreshes (token endpoint on 127.0.0.1, expires_in {EXPIRES_IN} s, rotating refresh tokens)\n"
    );
    let _ = writeln!(
        out,
        "| operation | median | baseline | baseline median | ratio |\n|---|---:|---|---:|---:|"
    );
    let _ = writeln!(
        out,
        "| session lookup with refresh | {} | raw HTTP round trip (ureq POST + form + parse) | {} | {:.2} |",
        fmt_ns(lookup),
        fmt_ns(trip),
        lookup / trip
    );
    let _ = writeln!(
        out,
        "| session lookup with refresh | {} | round trip, then raw durable save (sled tx of 2 values + flush + fsync), timed together | {} | {:.2} |",
        fmt_ns(lookup),
        fmt_ns(trip_then_save),
        lookup / trip_then_save
    );
    let _ = writeln!(
        out,
        "| session lookup with refresh, in-process refresher (no HTTP) | {} | raw durable save (sled tx of 2 values + flush + fsync) | {} | {:.2} |",
        fmt_ns(local),
        fmt_ns(save),
        local / save
    );
    let _ = writeln!(
        out,
        "\nraw durable save alone: {}; lookup − round trip = {}; {} refreshes over {} \
         connections to the endpoint",
        fmt_ns(save),
        fmt_ns(lookup - trip),
        endpoint.issued(),
        endpoint.connections()
    );
    print!("{out}");
    report.push_str(&out);
}

/// A refresher answering at once, in process: the store's own refresh cost, without
/// HTTP.
struct InProcess;

impl TokenRefresher for InProcess {
    fn refresh(&self, request: &RefreshRequest<'_>) -> Result<TokenAnswer, RefreshFailure> {
        assert!(request.refresh_token.expose_secret().starts_with("rt_"));
        Ok(TokenAnswer {
            access_token: SecretString::from(format!("at_local_{:030}", 1)),
            expires_in: Some(EXPIRES_IN),
            refresh_token: Some(SecretString::from("rt_local_next".to_owned())),
            scope: None,
        })
    }
}

/// A credential record of the bench's shape, for the raw save's size.
fn oauth_record(endpoint: &TokenEndpoint) -> raw::CredentialRecord {
    let url = "https://mcp.example.com/oauth".to_owned();
    raw::CredentialRecord {
        mcp_server_url: url.clone(),
        lookup_url: url,
        protocol: raw::Protocol::StreamableHttp,
        credential_type: raw::CredentialType::McpOauth,
        display_name: None,
        metadata: Default::default(),
        created_at: 1_779_118_456_874_877,
        updated_at: 1_779_118_456_874_877,
        archived_at: None,
        binding: [9; 16],
        oauth: Some(raw::OAuthRecord {
            expires_at: Some(1_779_118_456_874_877),
            refresh: Some(raw::RefreshRecord {
                client_id: "store-client".into(),
                token_endpoint: endpoint.url.clone(),
                method: raw::AuthMethod::None,
                resource: None,
                scope: None,
            }),
            state: raw::RefreshStateRecord {
                last_refreshed_at: Some(1_779_118_456_874_877),
                granted_scope: None,
                last_error: None,
                failures: 0,
                next_attempt_at: None,
                needs_reauthorization: false,
            },
        }),
    }
}

/// A token endpoint on 127.0.0.1: per client id, the one refresh token it accepts; each
/// refresh answers a new access token for `EXPIRES_IN` seconds and a new refresh token.
struct TokenEndpoint {
    url: String,
    state: Arc<Mutex<Endpoint>>,
}

#[derive(Default)]
struct Endpoint {
    live: HashMap<String, String>,
    issued: u64,
    /// Connections accepted: both clients keep theirs alive, so a few in all.
    connections: u64,
}

impl TokenEndpoint {
    fn start() -> TokenEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/token", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(Endpoint::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                lock(&shared).connections += 1;
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        TokenEndpoint { url, state }
    }

    fn set_live(&self, client: &str, refresh_token: &str) {
        lock(&self.state)
            .live
            .insert(client.to_owned(), refresh_token.to_owned());
    }

    fn issued(&self) -> u64 {
        lock(&self.state).issued
    }

    fn connections(&self) -> u64 {
        lock(&self.state).connections
    }
}

fn lock(state: &Mutex<Endpoint>) -> std::sync::MutexGuard<'_, Endpoint> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Serves requests on one connection until the client closes it (keep-alive, as ureq
/// pools connections).
fn serve(stream: TcpStream, state: &Mutex<Endpoint>) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, answer) = answer(state, &String::from_utf8_lossy(&body));
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\n\r\n{answer}",
            if status == 200 { "OK" } else { "Bad Request" },
            answer.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The bench's tokens and client ids are unreserved characters: no percent-decoding.
fn answer(state: &Mutex<Endpoint>, body: &str) -> (u16, String) {
    let form: HashMap<&str, &str> = body.split('&').filter_map(|p| p.split_once('=')).collect();
    let mut s = lock(state);
    let (Some(&"refresh_token"), Some(client), Some(token)) = (
        form.get("grant_type"),
        form.get("client_id"),
        form.get("refresh_token"),
    ) else {
        return (400, r#"{"error":"invalid_request"}"#.to_owned());
    };
    if s.live.get(*client).map(String::as_str) != Some(*token) {
        return (400, r#"{"error":"invalid_grant"}"#.to_owned());
    }
    s.issued += 1;
    let n = s.issued;
    let rotated = format!("rt_{client}_{n}");
    s.live.insert((*client).to_owned(), rotated.clone());
    (
        200,
        format!(
            r#"{{"access_token":"at_{client}_{n:030}","token_type":"Bearer","expires_in":{EXPIRES_IN},"refresh_token":"{rotated}"}}"#
        ),
    )
}
