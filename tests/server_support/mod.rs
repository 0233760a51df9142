//! A real server on 127.0.0.1:0 over a fresh store, with an admin and a runtime key,
//! and a small blocking HTTP client (ureq) to call it.
#![allow(dead_code)]

use serde_json::Value;
use tempfile::TempDir;
use vaultstore::secrecy::ExposeSecret;
use vaultstore::server::{self, ApiKeys, Limits, Role, RunningServer, ServeOptions};
use vaultstore::{MasterKey, VaultStore};

pub struct Server {
    pub base: String,
    pub admin: String,
    pub runtime: String,
    pub keys: ApiKeys,
    pub running: Option<RunningServer>,
    agent: ureq::Agent,
    // Dropped last: the server and store first.
    pub dir: TempDir,
}

pub struct Answer {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Value,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(Limits::default())
    }

    pub fn start_with(limits: Limits) -> Server {
        Self::start_opts(limits, false)
    }

    /// With `allow_private`: token endpoints on loopback accepted (and the store's
    /// refresher reaches them), as `serve --allow-private-token-endpoints`.
    pub fn start_opts(limits: Limits, allow_private: bool) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            VaultStore::open(dir.path(), MasterKey::from_bytes([9; 32])).expect("open store");
        let keys = ApiKeys::new(store.path());
        let admin = keys
            .create("default", Role::Admin, Some("test admin".into()))
            .expect("admin key");
        let runtime = keys
            .create("default", Role::Runtime, None)
            .expect("runtime key");
        let options = ServeOptions::new("127.0.0.1:0".parse().expect("addr"))
            .limits(limits)
            .allow_private_token_endpoints(allow_private);
        let running = server::start(store, keys.clone(), options).expect("server starts");
        // A fresh connection per request: a server may close a kept-alive connection
        // after an error answer, and a pooled one would then meet EOF on reuse (a
        // client-side race that real clients retry, not what these tests check).
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections(0)
            .build()
            .into();
        Server {
            base: running.endpoint(false),
            admin: admin.key.expose_secret().to_owned(),
            runtime: runtime.key.expose_secret().to_owned(),
            keys,
            running: Some(running),
            agent,
            dir,
        }
    }

    /// `method path` with `Authorization: Bearer key` (none if `key` is empty) and a
    /// JSON body if given.
    pub fn call(&self, method: &str, path: &str, key: &str, body: Option<&str>) -> Answer {
        self.call_with(
            method,
            path,
            &[("authorization", &format!("Bearer {key}"))],
            key.is_empty(),
            body,
        )
    }

    /// As `call`, with these headers (and no Authorization if `no_auth`).
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        no_auth: bool,
        body: Option<&str>,
    ) -> Answer {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            if no_auth && name.eq_ignore_ascii_case("authorization") {
                continue;
            }
            request = request.header(*name, *value);
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.unwrap_or_default().as_bytes().to_vec())
            .expect("request");
        let mut response = self.agent.run(request).expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.body_mut().read_to_string().expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

impl Answer {
    /// Panics unless the status is `status`, showing the body.
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "answer: {}", self.body);
        self.body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
