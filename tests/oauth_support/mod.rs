//! A real OAuth token endpoint on 127.0.0.1 for the refresh tests: RFC 6749 §6 refresh
//! with rotating refresh tokens, reuse detection that revokes the whole family (as
//! providers do), client authentication per method, and switches for failures and
//! delays. Plain HTTP/1.1 over std's TcpListener, one request per connection.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;

/// What the endpoint saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub form: HashMap<String, String>,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    /// Refresh tokens that may be spent once.
    live: HashSet<String>,
    /// Spent ones: a second use revokes everything.
    spent: HashSet<String>,
    issued: u32,
    seen: Vec<Seen>,
    /// Answers to give before the normal ones: (status, body).
    scripted: Vec<(u16, String)>,
    delay: Duration,
    expires_in: Option<u64>,
    rotate: bool,
    /// client_secret_basic / client_secret_post: the expected secret.
    client_secret: Option<String>,
    granted_scope: Option<String>,
}

/// A running token endpoint; stops accepting when dropped (its thread ends with the test).
#[derive(Clone)]
pub struct TokenServer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl TokenServer {
    /// Starts with `refresh_token` live, rotating on every refresh, tokens for 1 hour.
    pub fn start(refresh_token: &str) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/oauth/token",
            listener.local_addr().expect("addr")
        );
        let state = Arc::new(Mutex::new(State {
            rotate: true,
            expires_in: Some(3600),
            ..State::default()
        }));
        lock(&state).live.insert(refresh_token.to_owned());
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        TokenServer { url, state }
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.state).seen.len()
    }

    /// The next answers, before normal service resumes.
    pub fn script(&self, status: u16, body: &str) {
        lock(&self.state).scripted.push((status, body.to_owned()));
    }

    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state).delay = delay;
    }

    pub fn set_expires_in(&self, seconds: Option<u64>) {
        lock(&self.state).expires_in = seconds;
    }

    pub fn set_rotate(&self, rotate: bool) {
        lock(&self.state).rotate = rotate;
    }

    pub fn require_client_secret(&self, secret: &str) {
        lock(&self.state).client_secret = Some(secret.to_owned());
    }

    pub fn set_granted_scope(&self, scope: &str) {
        lock(&self.state).granted_scope = Some(scope.to_owned());
    }

    /// Makes `token` a live refresh token (a new login).
    pub fn add_live(&self, token: &str) {
        lock(&self.state).live.insert(token.to_owned());
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut length = 0usize;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        let value = value.trim().to_owned();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().unwrap_or(0),
            "authorization" => authorization = Some(value),
            _ => {}
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let (delay, (status, answer)) = {
        let mut s = lock(state);
        s.seen.push(Seen {
            form: form.clone(),
            authorization: authorization.clone(),
        });
        let answer = if s.scripted.is_empty() {
            answer(&mut s, &form, authorization.as_deref())
        } else {
            s.scripted.remove(0)
        };
        (s.delay, answer)
    };
    std::thread::sleep(delay);
    let reason = if status == 200 { "OK" } else { "Error" };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\nCache-Control: no-store\r\n\r\n{answer}",
        answer.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

fn error(status: u16, code: &str) -> (u16, String) {
    (status, format!(r#"{{"error":"{code}"}}"#))
}

fn answer(
    s: &mut State,
    form: &HashMap<String, String>,
    authorization: Option<&str>,
) -> (u16, String) {
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return error(400, "unsupported_grant_type");
    }
    if let Some(expected) = &s.client_secret {
        let basic = authorization
            .and_then(|a| a.strip_prefix("Basic "))
            .and_then(|b| {
                let pair = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
                let pair = String::from_utf8(pair).ok()?;
                let (id, secret) = pair.split_once(':')?;
                let decode = |t: &str| {
                    percent_encoding::percent_decode_str(t)
                        .decode_utf8()
                        .ok()
                        .map(|c| c.into_owned())
                };
                Some((decode(id)?, decode(secret)?))
            });
        let post = form.get("client_secret").map(|sec| {
            (
                form.get("client_id").cloned().unwrap_or_default(),
                sec.clone(),
            )
        });
        if basic.is_some() && post.is_some() {
            return error(400, "invalid_request");
        }
        match basic.or(post) {
            Some((_, secret)) if &secret == expected => {}
            _ => return error(401, "invalid_client"),
        }
    }
    let Some(token) = form.get("refresh_token") else {
        return error(400, "invalid_request");
    };
    if s.spent.contains(token) {
        // Reuse: the whole family is revoked.
        s.live.clear();
        return error(400, "invalid_grant");
    }
    if !s.live.contains(token) {
        return error(400, "invalid_grant");
    }
    s.issued += 1;
    let n = s.issued;
    let mut fields = vec![
        format!(r#""access_token":"access-{n}""#),
        r#""token_type":"Bearer""#.to_owned(),
    ];
    if let Some(seconds) = s.expires_in {
        fields.push(format!(r#""expires_in":{seconds}"#));
    }
    if s.rotate {
        s.live.remove(token);
        s.spent.insert(token.clone());
        let next = format!("refresh-{n}");
        s.live.insert(next.clone());
        fields.push(format!(r#""refresh_token":"{next}""#));
    }
    if let Some(scope) = &s.granted_scope {
        fields.push(format!(r#""scope":"{scope}""#));
    }
    (200, format!("{{{}}}", fields.join(",")))
}
