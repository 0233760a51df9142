//! Reading secrets: from stdin, a file or a hidden prompt, never from argv (visible in
//! `ps` and shell history). Buffers holding a secret are zeroized when dropped.

use std::io::{IsTerminal, Read};
use std::path::Path;

use vaultstore::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::args::TokenSource;
use crate::exit::{usage, Failure};

/// Stdin, read once and handed out in order: a passphrase takes one line, a token or a
/// JSON body takes the rest. So `--passphrase-stdin --token-stdin` reads the
/// passphrase from the first line and the token from what follows.
#[derive(Default)]
pub struct Stdin {
    bytes: Option<Zeroizing<Vec<u8>>>,
    taken: usize,
}

impl Stdin {
    /// On a terminal a secret is asked for without echo rather than read as typed.
    fn is_terminal(&self) -> bool {
        self.bytes.is_none() && std::io::stdin().is_terminal()
    }

    fn unread(&mut self, what: &str) -> Result<&[u8], Failure> {
        if self.bytes.is_none() {
            if std::io::stdin().is_terminal() {
                eprintln!("vaultstore: reading {what} from the terminal; end with Ctrl-D");
            }
            let mut buf = Zeroizing::new(Vec::new());
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| usage(format!("cannot read stdin: {e}")))?;
            self.bytes = Some(buf);
        }
        let bytes = self.bytes.as_deref().map(Vec::as_slice).unwrap_or_default();
        Ok(&bytes[self.taken..])
    }

    /// The next line, without its newline.
    pub fn line(&mut self, what: &str) -> Result<SecretString, Failure> {
        if self.is_terminal() {
            return ask_hidden(&format!("Enter {what} (hidden): "));
        }
        let rest = self.unread(what)?;
        let (line, used) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        let secret = secret_from(strip_newline(line), what)?;
        self.taken += used;
        Ok(secret)
    }

    /// A secret: everything not read yet, less one trailing newline.
    pub fn secret(&mut self, what: &str) -> Result<SecretString, Failure> {
        if self.is_terminal() {
            return ask_hidden(&format!("Enter {what} (hidden): "));
        }
        self.rest(what)
    }

    /// Everything not read yet, less one trailing newline.
    pub fn rest(&mut self, what: &str) -> Result<SecretString, Failure> {
        let rest = self.unread(what)?;
        let used = rest.len();
        let secret = secret_from(strip_newline(rest), what)?;
        self.taken += used;
        Ok(secret)
    }
}

/// A token from the source the options name, or a hidden prompt on a terminal.
pub fn token(source: &TokenSource, stdin: &mut Stdin) -> Result<SecretString, Failure> {
    if source.token_stdin {
        return stdin.secret("the token");
    }
    if let Some(path) = &source.token_file {
        return from_file(path, "the token");
    }
    prompt(
        "Token (hidden): ",
        "no token given: pass --token-stdin or --token-file PATH (tokens are never taken \
         from the command line), or run on a terminal to be asked",
    )
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

pub fn from_file(path: &Path, what: &str) -> Result<SecretString, Failure> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| usage(format!("cannot read {what} from {}: {e}", path.display())))?,
    );
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
