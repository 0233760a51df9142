//! Reading secrets: from stdin, a file or a hidden prompt, never from argv (visible in
//! `ps` and shell history), and never past a limit. Buffers holding a secret are
//! zeroized when dropped.

use std::io::IsTerminal;
use std::path::Path;

use vaultstore::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::args::TokenSource;
use crate::exit::{usage, Failure};
pub use crate::stdin::Stdin;
use crate::stdin::{read_bounded, too_large, LINE_MAX};

/// How much of an input is read before it is refused, and the rule to name.
pub struct Limit {
    max: usize,
    field: &'static str,
    rule: &'static str,
}

/// The library's access_token limit (8192 bytes) plus one trailing "\r\n".
pub const TOKEN: Limit = Limit {
    max: 8192 + 2,
    field: "access_token",
    rule: "a token is at most 8192 bytes",
};

/// The library's refresh token limit, as for an access token.
pub const REFRESH_TOKEN: Limit = Limit {
    max: 8192 + 2,
    field: "refresh_token",
    rule: "a refresh token is at most 8192 bytes",
};

/// The library's client secret limit, as for an access token.
pub const CLIENT_SECRET: Limit = Limit {
    max: 8192 + 2,
    field: "client_secret",
    rule: "a client secret is at most 8192 bytes",
};

/// An API key file for `--server`: one line (keys are 68 characters).
pub const API_KEY: Limit = Limit {
    max: 1024 + 2,
    field: "api_key",
    rule: "an API key file holds at most 1024 bytes",
};

/// A JSON create body: 20 credentials with 8 KiB tokens fit six times over.
/// A database password file: one line.
#[cfg(feature = "postgres")]
pub const DB_PASSWORD: Limit = Limit {
    max: 1024 + 2,
    field: "password",
    rule: "a database password file holds at most 1024 bytes",
};

pub const BODY: Limit = Limit {
    max: 1 << 20,
    field: "body",
    rule: "a request body is at most 1 MiB",
};

impl Limit {
    fn refuse(&self, what: &str) -> Failure {
        too_large(self.field, format!("{what} is too long: {}", self.rule))
    }
}

/// A passphrase takes stdin's first line; a token or a JSON body takes the rest. So
/// `--passphrase-stdin --token-stdin` reads the passphrase from the first line and the
/// token from what follows.
impl Stdin {
    /// The next line, without its newline.
    pub fn line(&mut self, what: &str) -> Result<SecretString, Failure> {
        if self.is_terminal() {
            return ask_hidden(&format!("Enter {what} (hidden): "));
        }
        let rest = self.unread(what, LINE_MAX, true)?;
        let (line, used) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        if line.len() > LINE_MAX {
            let message =
                format!("{what} is too long: a line of stdin is at most {LINE_MAX} bytes");
            return Err(too_large("passphrase", message));
        }
        let secret = secret_from(strip_newline(line), what)?;
        self.take(used);
        Ok(secret)
    }

    /// A secret: everything not read yet, less one trailing newline.
    pub fn secret(&mut self, what: &str, limit: &Limit) -> Result<SecretString, Failure> {
        if self.is_terminal() {
            return ask_hidden(&format!("Enter {what} (hidden): "));
        }
        self.rest(what, limit)
    }

    /// Everything not read yet, less one trailing newline.
    pub fn rest(&mut self, what: &str, limit: &Limit) -> Result<SecretString, Failure> {
        let rest = self.unread(what, limit.max, false)?;
        if rest.len() > limit.max {
            return Err(limit.refuse(what));
        }
        let used = rest.len();
        let secret = secret_from(strip_newline(rest), what)?;
        self.take(used);
        Ok(secret)
    }
}

/// A token from the source the options name, or a hidden prompt on a terminal.
pub fn token(source: &TokenSource, stdin: &mut Stdin) -> Result<SecretString, Failure> {
    if source.token_stdin {
        return stdin.secret("the token", &TOKEN);
    }
    if let Some(path) = &source.token_file {
        return from_file(path, "the token", &TOKEN);
    }
    prompt(
        "Token (hidden): ",
        "no token given: pass --token-stdin or --token-file PATH (tokens are never taken \
         from the command line), or run on a terminal to be asked",
    )
}

/// A new access token for an update, if one is given: unlike `token`, no source means
/// no new token, not a prompt.
pub fn new_token(
    from_stdin: bool,
    file: Option<&Path>,
    stdin: &mut Stdin,
) -> Result<Option<SecretString>, Failure> {
    match (from_stdin, file) {
        (true, _) => stdin.secret("the token", &TOKEN).map(Some),
        (false, Some(path)) => from_file(path, "the token", &TOKEN).map(Some),
        (false, None) => Ok(None),
    }
}

/// A secret from `file`, or else asked on a terminal with `question`; `no_tty` is the
/// usage error without one.
pub fn file_or_prompt(
    file: Option<&Path>,
    what: &str,
    limit: &Limit,
    question: &str,
    no_tty: &str,
) -> Result<SecretString, Failure> {
    match file {
        Some(path) => from_file(path, what, limit),
        None => prompt(question, no_tty),
    }
}

/// A secret asked on the terminal without echo; a usage error if stdin is not one.
pub fn prompt(question: &str, no_tty: &str) -> Result<SecretString, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(usage(no_tty));
    }
    ask_hidden(question)
}

fn ask_hidden(question: &str) -> Result<SecretString, Failure> {
    let answer = Zeroizing::new(
        rpassword::prompt_password(question)
            .map_err(|e| usage(format!("cannot read from the terminal: {e}")))?,
    );
    secret_from(answer.as_bytes(), "the answer")
}

/// A new passphrase asked twice on the terminal; `no_tty` is the usage error without one.
pub fn prompt_new_passphrase(no_tty: &str) -> Result<SecretString, Failure> {
    use vaultstore::secrecy::ExposeSecret;
    let first = prompt("New passphrase (hidden): ", no_tty)?;
    let again = prompt("Repeat it: ", no_tty)?;
    if first.expose_secret() != again.expose_secret() {
        return Err(usage("the two passphrases differ"));
    }
    Ok(first)
}

/// A secret read from a file, never past `limit` (the file may be a pipe that never
/// ends).
pub fn from_file(path: &Path, what: &str, limit: &Limit) -> Result<SecretString, Failure> {
    let cannot =
        |e: std::io::Error| usage(format!("cannot read {what} from {}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let bytes = read_bounded(&mut file, limit.max)
        .map_err(cannot)?
        .ok_or_else(|| limit.refuse(what))?;
    secret_from(strip_newline(&bytes), what)
}

fn strip_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// A secret copied into a string of exactly its size, so that `SecretString`'s boxing
/// does not reallocate and leave an unzeroized copy behind.
fn secret_from(bytes: &[u8], what: &str) -> Result<SecretString, Failure> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| usage(format!("{what} is not valid UTF-8")))?;
    let mut owned = String::with_capacity(text.len());
    owned.push_str(text);
    Ok(SecretString::from(owned))
}
