//! The connection string and the schema name, checked before anything connects.

use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;
use postgres::Config;

use std::path::Path;

use super::tls::Tls;
use crate::error::{Error, Result};

/// How long a call waits for a pooled connection when the conninfo sets no
/// `connect_timeout`: long enough to ride out a server restart, short enough that a
/// caller hears about a server that is down.
const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed conninfo (libpq `key=value` or a `postgresql://` URL).
pub(super) struct Target {
    pub(super) config: Config,
    /// `host:port` list for messages; never the user's password.
    pub(super) shown: String,
    pub(super) tls: Tls,
}

impl Target {
    /// `ca_file`: the roots to verify the server's certificate with (else the public
    /// web roots, when `sslmode` asks for TLS).
    pub(super) fn parse(conninfo: &str, ca_file: Option<&Path>) -> Result<Target> {
        // The parser knows `require` but not libpq's `verify-ca` and `verify-full`;
        // every TLS mode here verifies the certificate and the host name anyway.
        let conninfo = verified_as_require(conninfo);
        let config = Config::from_str(&conninfo).map_err(|e| {
            // The parser's message names the option, never its value.
            Error::invalid(
                "conninfo",
                format!("invalid PostgreSQL connection string: {e}"),
            )
        })?;
        let tls = Tls::for_config(&config, ca_file)?;
        let shown = shown(&config);
        Ok(Target { config, shown, tls })
    }

    /// How long to wait for a pooled connection.
    pub(super) fn checkout_timeout(&self) -> Duration {
        self.config
            .get_connect_timeout()
            .copied()
            .unwrap_or(DEFAULT_CHECKOUT_TIMEOUT)
    }
}

/// The conninfo with `sslmode=verify-ca` or `verify-full` written as `require`.
fn verified_as_require(conninfo: &str) -> String {
    let mut text = conninfo.to_owned();
    for mode in ["verify-full", "verify_full", "verify-ca", "verify_ca"] {
        let option = format!("sslmode={mode}");
        while let Some(at) = text.to_ascii_lowercase().find(&option) {
            text.replace_range(at..at + option.len(), "sslmode=require");
        }
    }
    text
}

/// The hosts and ports, as libpq pairs them: one port for all hosts, or one each.
fn shown(config: &Config) -> String {
    let ports = config.get_ports();
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| match host {
            Host::Tcp(name) => format!("{name}:{}", port(i)),
            #[cfg(unix)]
            Host::Unix(dir) => format!("{}/.s.PGSQL.{}", dir.display(), port(i)),
        })
        .collect();
    if hosts.is_empty() {
        // The client then fails: no host given and no default socket directory.
        "(no host given)".to_owned()
    } else {
        hosts.join(",")
    }
}

/// Checks a schema name: `[a-z_][a-z0-9_]{0,62}`, so it needs no case folding and fits
/// PostgreSQL's 63-byte identifiers.
pub(super) fn check_schema(schema: &str) -> Result<()> {
    let mut bytes = schema.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if first_ok && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(Error::invalid(
            "schema",
            "The PostgreSQL schema name must be 1-63 characters of a-z, 0-9 and _, \
             not starting with a digit.",
        ))
    }
}

/// The schema as a quoted identifier (already checked, so quoting is for keywords).
pub(super) fn quoted(schema: &str) -> String {
    format!("\"{schema}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names() {
        for good in ["vaultstore", "_x", "a1_b2", &"a".repeat(63)] {
            assert!(check_schema(good).is_ok(), "{good}");
        }
        for bad in ["", "1a", "A", "a-b", "a b", "a\"b", "é", &"a".repeat(64)] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_tls_mode_verifies_and_prefer_stays_plain() {
        use super::Tls;
        for conninfo in [
            "host=db sslmode=require",
            "host=db sslmode=verify-full",
            "postgresql://u:pw@db/x?sslmode=verify-ca",
            "host=db SSLMODE=Verify-Full",
        ] {
            let target = Target::parse(conninfo, None).expect(conninfo);
            assert!(matches!(target.tls, Tls::Verified(_)), "{conninfo}");
        }
        let plain = Target::parse("host=db", None).expect("parses");
        assert!(matches!(plain.tls, Tls::Plain));
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("ca.pem");
        std::fs::write(&file, "not a certificate").expect("write");
        let err = Target::parse("host=db", Some(&file))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn messages_never_show_the_password() {
        let target =
            Target::parse("postgresql://u:hunter2@db.example:6543/x", None).expect("parses");
        assert_eq!(target.shown, "db.example:6543");
        let err = Target::parse("host=db password=hunter2 bogus=1", None)
            .err()
            .expect("unknown option")
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
