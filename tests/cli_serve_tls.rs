//! Guards `vaultstore serve --tls-cert/--tls-key`: with a self-signed certificate made
//! here, a client trusting it gets answers over HTTPS, one that does not trust it is
//! refused, plaintext HTTP to the TLS port gets no answer, and a non-loopback address
//! is served only with TLS (or --insecure-listen).
#![cfg(all(feature = "server", unix))]

mod cli_support;

use std::path::PathBuf;
use std::sync::Arc;

use cli_support::{Env, USAGE};

/// A self-signed certificate for 127.0.0.1 and localhost, as PEM files in `env`.
fn certificate(env: &Env) -> (PathBuf, PathBuf, Vec<u8>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a certificate");
    let cert = env.path("cert.pem");
    let key = env.path("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("cert written");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("key written");
    (cert, key, made.cert.pem().into_bytes())
}

/// A rustls client (ureq's) trusting only `pem`, or the usual public roots.
fn client(pem: Option<&[u8]>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None);
    if let Some(pem) = pem {
        let cert = ureq::tls::Certificate::from_pem(pem).expect("PEM");
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
            .build();
        config = config.tls_config(tls);
    }
    config.build().into()
}

fn admin_key(env: &Env) -> String {
    let made = env.json(&["api-key", "create", "--role", "admin"], "");
    made["key"].as_str().expect("key").to_owned()
}

#[test]
fn https_answers_a_client_trusting_the_certificate_and_only_https() {
    let env = Env::new();
    let key = admin_key(&env);
    let (cert, tls_key, pem) = certificate(&env);
    let cert = cert.to_str().expect("utf-8 path");
    let tls_key = tls_key.to_str().expect("utf-8 path");
    let served = env.serve(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert,
        "--tls-key",
        tls_key,
    ]);
    assert!(
        served.url.starts_with("https://127.0.0.1:"),
        "{}",
        served.url
    );

    let answer = client(Some(&pem))
        .get(format!("{}/v1/vaults", served.url))
        .header("x-api-key", &key)
        .call()
        .expect("an HTTPS answer");
    assert_eq!(answer.status().as_u16(), 200);

    // The certificate is really checked: a client trusting only the public roots
    // does not get through.
    let untrusting = client(None)
        .get(format!("{}/v1/vaults", served.url))
        .header("x-api-key", &key)
        .call();
    assert!(
        untrusting.is_err(),
        "a self-signed certificate was accepted"
    );

    // The CLI through the HTTPS server, trusting the certificate with --server-ca.
    let key_file = env.path("admin.key");
    std::fs::write(&key_file, &key).expect("key file");
    let through = |ca: Option<&str>| {
        let mut cmd = env.cmd();
        cmd.arg("--json").arg("--server").arg(&served.url);
        cmd.arg("--api-key-file").arg(&key_file);
        if let Some(ca) = ca {
            cmd.arg("--server-ca").arg(ca);
        }
        cli_support::split(cmd.args(["vault", "list"]).output().expect("runs"))
    };
    let (code, out, err) = through(Some(cert));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"data\""), "{out}");
    let (code, _, err) = through(None);
    assert_eq!(code, 8, "an untrusted certificate is refused: {err}");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = client(None)
        .get(format!("http://127.0.0.1:{}/v1/vaults", served.port()))
        .header("x-api-key", &key)
        .call();
    assert!(
        plain.is_err(),
        "plain HTTP was answered: {:?}",
        plain.map(|a| a.status())
    );
}

#[test]
fn off_loopback_needs_tls_or_the_insecure_flag() {
    let env = Env::new();
    let (cert, tls_key, pem) = certificate(&env);
    let err = env.fails(&["serve", "--listen", "0.0.0.0:0"], "", USAGE);
    let message = err["error"]["message"].as_str().expect("message");
    assert!(message.contains("--tls-cert"), "{message}");
    assert!(message.contains("--insecure-listen"), "{message}");

    // With TLS, the same address is served.
    let mut served = env.serve(&[
        "--listen",
        "0.0.0.0:0",
        "--tls-cert",
        cert.to_str().expect("utf-8"),
        "--tls-key",
        tls_key.to_str().expect("utf-8"),
    ]);
    let url = format!("https://127.0.0.1:{}/openapi.json", served.port());
    let answer = client(Some(&pem)).get(url).call().expect("an answer");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(served.stop(), "exits 0 on SIGTERM");

    // Without it, only with --insecure-listen, and with a warning.
    let mut served = env.serve(&["--listen", "0.0.0.0:0", "--insecure-listen"]);
    let url = format!("http://127.0.0.1:{}/openapi.json", served.port());
    let answer = client(None).get(url).call().expect("an answer");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(served.stop());
    assert!(
        served.before.iter().any(|line| line.contains("WARNING")),
        "{:?}",
        served.before
    );
}
