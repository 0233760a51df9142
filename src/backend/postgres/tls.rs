//! TLS to PostgreSQL: rustls on ring, verifying the server's certificate and name.
//!
//! `sslmode=require`, `verify-ca` and `verify-full` all connect over TLS and verify the
//! certificate chain and the host name (stricter than libpq's `require`, which checks
//! nothing: an unverified TLS connection does not keep a token's database safe from a
//! machine in the middle). The roots are the CA file given
//! (`Builder::postgres_ca_file`), else the public web roots. `prefer` (the default)
//! and `disable` connect in plaintext unless a CA file is given; `prefer` with a CA
//! file tries TLS first.

use std::path::Path;
use std::sync::Arc;

use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, Result};

/// How connections are made: in plaintext or over verified TLS.
#[derive(Clone)]
pub(super) enum Tls {
    Plain,
    Verified(MakeRustlsConnect),
}

impl Tls {
    /// The TLS the conninfo's `sslmode` (and a CA file) asks for.
    pub(super) fn for_config(config: &Config, ca_file: Option<&Path>) -> Result<Tls> {
        let wanted = config.get_ssl_mode() == SslMode::Require || ca_file.is_some();
        if !wanted {
            return Ok(Tls::Plain);
        }
        let mut roots = rustls::RootCertStore::empty();
        match ca_file {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad_ca(path, e))?;
                for cert in certs {
                    roots
                        .add(cert.map_err(|e| bad_ca(path, e))?)
                        .map_err(|e| bad_ca(path, e))?;
                }
                if roots.is_empty() {
                    return Err(bad_ca(path, "it holds no certificate"));
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Storage(format!("PostgreSQL TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls::Verified(MakeRustlsConnect::new(config)))
    }

    /// Connects with `config` this way.
    pub(super) fn connect(&self, config: &Config) -> std::result::Result<Client, postgres::Error> {
        match self {
            Tls::Plain => config.connect(NoTls),
            Tls::Verified(tls) => config.connect(tls.clone()),
        }
    }
}

fn bad_ca(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::invalid(
        "postgres_ca_file",
        format!(
            "postgres_ca_file: cannot read a PEM certificate from {}: {why}",
            path.display()
        ),
    )
}
