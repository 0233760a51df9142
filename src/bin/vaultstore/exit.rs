//! Exit codes, all in one place, and the error every command returns.

use std::process::ExitCode;

use vaultstore::Error;

use crate::remote::RemoteError;

/// Bad command line: unknown flag, missing token source, no store yet (clap also uses 2).
pub const USAGE: u8 = 2;
/// The store refused the request: `invalid_request_error`.
pub const INVALID_REQUEST: u8 = 3;
/// Unknown vault, credential or id: `not_found_error`.
pub const NOT_FOUND: u8 = 4;
/// Duplicate active URL in a vault, archiving twice, store or key file already there.
pub const CONFLICT: u8 = 5;
/// The store is open in another process.
pub const LOCKED: u8 = 6;
/// The key file or passphrase does not open the store.
pub const WRONG_KEY: u8 = 7;
/// Anything else: I/O, corruption, a newer store format.
pub const OTHER: u8 = 8;
/// `verify` ran and found problems.
pub const VERIFY_PROBLEMS: u8 = 9;
/// An `mcp_oauth` token was due and could not be refreshed (the endpoint refused, or
/// could not be reached); the stale token is not printed.
pub const REFRESH_FAILED: u8 = 10;

/// The exit code table for `--help`, built from the constants above.
pub fn help_text() -> String {
    let rows = [
        (0, "success"),
        (
            USAGE,
            "usage error (bad flag, no token source, no store yet, no such key file)",
        ),
        (INVALID_REQUEST, "invalid request (invalid_request_error)"),
        (NOT_FOUND, "not found (not_found_error)"),
        (
            CONFLICT,
            "conflict (conflict_error, or the store/key file exists)",
        ),
        (LOCKED, "the store is open in another process"),
        (
            WRONG_KEY,
            "wrong key file or passphrase (with --server: an API key the server refuses)",
        ),
        (OTHER, "other failure (I/O, corrupted store)"),
        (VERIFY_PROBLEMS, "verify found problems"),
        (
            REFRESH_FAILED,
            "refresh failed (an mcp_oauth token was due and could not be renewed)",
        ),
    ];
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in rows {
        text.push_str(&format!("  {code:>2}  {meaning}\n"));
    }
    text.push_str(
        "\nSecrets are never taken from the command line: tokens come from --token-stdin,\n\
         --token-file (--refresh-token-file, --client-secret-file), a JSON body or a\n\
         hidden prompt; the key from --key-file, --passphrase-stdin or a hidden prompt\n\
         (--passphrase).",
    );
    text
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command line cannot be carried out as given.
    Usage(String),
    /// A conflict found by the CLI itself (a store or key file already there).
    Conflict(String),
    /// The library refused or failed.
    Store(Error),
    /// `verify` found this many problems (the report is already printed).
    VerifyProblems(usize),
    /// The server (`--server`) refused the command or could not be reached.
    Remote(RemoteError),
    /// The store is locked by a running `vaultstore serve`; what to do about it.
    Held(Error, String),
}

impl From<RemoteError> for Failure {
    fn from(e: RemoteError) -> Self {
        Failure::Remote(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Store(e)
    }
}

impl Failure {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => USAGE,
            Failure::Conflict(_) => CONFLICT,
            Failure::VerifyProblems(_) => VERIFY_PROBLEMS,
            Failure::Remote(e) => e.code(),
            Failure::Held(..) => LOCKED,
            Failure::Store(e) => match e {
                Error::InvalidRequest { .. } => INVALID_REQUEST,
                Error::NotFound { .. } => NOT_FOUND,
                Error::Conflict { .. } => CONFLICT,
                Error::Locked { .. } => LOCKED,
                Error::WrongKey | Error::RotationUnfinished | Error::KeyRotated { .. } => WRONG_KEY,
                Error::Refresh { .. } => REFRESH_FAILED,
                _ => OTHER,
            },
        }
    }

    /// The API's JSON error envelope for `--json`.
    pub fn envelope(&self) -> serde_json::Value {
        let api_type = match self {
            Failure::Store(e) => return e.envelope(),
            Failure::Remote(e) => return e.envelope(),
            Failure::Held(e, _) => {
                let mut envelope = e.envelope();
                envelope["error"]["message"] = self.to_string().into();
                return envelope;
            }
            Failure::Usage(_) => "invalid_request_error",
            Failure::Conflict(_) => "conflict_error",
            Failure::VerifyProblems(_) => "api_error",
        };
        serde_json::json!({
            "type": "error",
            "error": { "type": api_type, "message": self.to_string() },
        })
    }

    /// Reports the failure on stderr and gives the exit code.
    pub fn report(&self, json: bool) -> ExitCode {
        if json {
            eprintln!("{}", self.envelope());
        } else {
            eprintln!("vaultstore: {self}");
        }
        ExitCode::from(self.code())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Conflict(m) => f.write_str(m),
            Failure::Store(
                e @ Error::Refresh {
                    credential_id,
                    needs_reauthorization: true,
                    ..
                },
            ) => write!(
                f,
                "{e}; after a new login, store its tokens with `vaultstore credential \
                 update VAULT {credential_id} --token-file … --refresh-token-file …`"
            ),
            Failure::Store(e) => write!(f, "{e}"),
            Failure::VerifyProblems(n) => write!(f, "verify found {n} problem(s)"),
            Failure::Remote(e) => write!(f, "{e}"),
            Failure::Held(e, what) => write!(f, "{e}: {what}"),
        }
    }
}

/// The result of a command.
pub type Outcome = Result<(), Failure>;

/// Shorthand for a usage failure.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}
