//! The connection string and the schema name, checked before anything connects.

use std::str::FromStr;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::Config;

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
}

impl Target {
    pub(super) fn parse(conninfo: &str) -> Result<Target> {
        let config = Config::from_str(conninfo).map_err(|e| {
            if asks_for_verified_tls(conninfo) {
                tls_unsupported()
            } else {
                // The parser's message names the option, never its value.
                Error::invalid(
                    "conninfo",
                    format!("invalid PostgreSQL connection string: {e}"),
                )
            }
        })?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err(tls_unsupported());
        }
        let shown = shown(&config);
        Ok(Target { config, shown })
    }

    /// How long to wait for a pooled connection.
    pub(super) fn checkout_timeout(&self) -> Duration {
        self.config
            .get_connect_timeout()
            .copied()
            .unwrap_or(DEFAULT_CHECKOUT_TIMEOUT)
    }
}

/// `sslmode=verify-ca` / `verify-full`, which the parser rejects before we can say why.
fn asks_for_verified_tls(conninfo: &str) -> bool {
    let lower = conninfo.to_ascii_lowercase();
    [
        "sslmode=verify-ca",
        "sslmode=verify-full",
        "sslmode=verify_ca",
        "sslmode=verify_full",
    ]
    .iter()
    .any(|option| lower.contains(option))
}

fn tls_unsupported() -> Error {
    Error::invalid(
        "conninfo",
        "TLS to PostgreSQL is not supported yet: use sslmode=disable or prefer (on a \
         trusted network or a Unix socket)",
    )
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
    fn tls_is_refused_clearly() {
        for conninfo in [
            "host=db sslmode=require",
            "host=db sslmode=verify-full",
            "postgresql://u:pw@db/x?sslmode=verify-ca",
        ] {
            let err = Target::parse(conninfo).err().expect(conninfo).to_string();
            assert!(
                err.contains("TLS to PostgreSQL is not supported yet"),
                "{err}"
            );
        }
    }

    #[test]
    fn messages_never_show_the_password() {
        let target = Target::parse("postgresql://u:hunter2@db.example:6543/x").expect("parses");
        assert_eq!(target.shown, "db.example:6543");
        let err = Target::parse("host=db password=hunter2 bogus=1")
            .err()
            .expect("unknown option")
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
