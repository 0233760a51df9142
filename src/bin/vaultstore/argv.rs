//! Secrets given on the command line are refused before clap parses it: the command
//! line shows in `ps` and shell history, and clap's own error would quote the value
//! back on stderr (`unexpected argument '--token=…' found`). The refusal names the
//! flag and where the secret goes instead, never the value.

use std::ffi::OsString;

use crate::exit::{usage, Failure};

/// Options that look like they take a secret, none of which exists, and where each
/// secret goes instead.
const SECRET_OPTIONS: &[(&str, &str)] = &[
    ("token", TOKEN),
    ("access-token", TOKEN),
    ("bearer-token", TOKEN),
    (
        "refresh-token",
        "the refresh token with --refresh-token-file PATH, in a JSON body (--body), or at \
         the hidden prompt on a terminal",
    ),
    (
        "client-secret",
        "the client secret with --client-secret-file PATH, in a JSON body (--body), or at \
         the hidden prompt on a terminal",
    ),
    (
        "secret",
        "a secret with a --…-file PATH option, in a JSON body (--body), or at the hidden \
         prompt on a terminal",
    ),
    (
        "api-key",
        "the API key with --api-key-file PATH or the VAULTSTORE_API_KEY environment \
         variable",
    ),
    (
        "password",
        "a passphrase with --passphrase (asked hidden) or --passphrase-stdin",
    ),
];

const TOKEN: &str = "the token with --token-stdin or --token-file PATH, in a JSON body \
                     (--body), or at the hidden prompt on a terminal";

/// Flags that say where a secret comes from and take no value: `--passphrase=…` is a
/// secret typed on the command line.
const SOURCE_FLAGS: &[&str] = &[
    "token-stdin",
    "passphrase",
    "passphrase-stdin",
    "new-passphrase",
    "new-passphrase-stdin",
];

/// The usage failure for the first secret on the command line, if there is one.
pub fn refuse_secrets(args: impl IntoIterator<Item = OsString>) -> Option<Failure> {
    for arg in args.into_iter().skip(1) {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        let Some(option) = arg.strip_prefix("--") else {
            continue;
        };
        let (name, has_value) = match option.split_once('=') {
            Some((name, _)) => (name, true),
            None => (option, false),
        };
        let normal = name.to_ascii_lowercase().replace('_', "-");
        if let Some((_, instead)) = SECRET_OPTIONS.iter().find(|(n, _)| *n == normal) {
            return Some(usage(format!(
                "--{name}: secrets are never taken from the command line (it shows in ps \
                 and shell history); give {instead}"
            )));
        }
        if has_value && SOURCE_FLAGS.contains(&normal.as_str()) {
            return Some(usage(format!(
                "--{name} takes no value: secrets are never taken from the command line \
                 (it shows in ps and shell history)"
            )));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> Option<String> {
        let argv = std::iter::once("vaultstore").chain(args.iter().copied());
        refuse_secrets(argv.map(OsString::from)).map(|f| f.to_string())
    }

    #[test]
    fn secret_options_are_refused_without_their_value() {
        for args in [
            &["credential", "add", "v", "--token", "s3cr3t"][..],
            &["credential", "add", "v", "--refresh-token=s3cr3t"],
            &[
                "credential",
                "update",
                "v",
                "c",
                "--Client_Secret",
                "s3cr3t",
            ],
            &["--passphrase=s3cr3t", "vault", "list"],
            &["credential", "add", "v", "--token-stdin=s3cr3t"],
            &[
                "--server",
                "http://127.0.0.1:1",
                "--api-key",
                "s3cr3t",
                "vault",
                "list",
            ],
        ] {
            let message = refused(args).expect("refused");
            assert!(!message.contains("s3cr3t"), "{message}");
            assert!(message.starts_with("--"), "{message}");
        }
    }

    #[test]
    fn file_options_and_values_pass() {
        for args in [
            &[
                "credential",
                "add",
                "v",
                "--token-file",
                "t",
                "--token-stdin",
            ][..],
            &[
                "credential",
                "add",
                "v",
                "--refresh-token-file=rt",
                "--scope",
                "token",
            ],
            &["--passphrase", "vault", "list"],
            &["credential", "add", "v", "--", "--token"],
        ] {
            assert_eq!(refused(args), None, "{args:?}");
        }
    }
}
