//! JSON request bodies: from `--body FILE`, `--body -` (stdin), or stdin when no flags
//! say otherwise. A body may hold secrets, so it is read like one: bounded (1 MiB) and
//! into a buffer zeroized on drop.

use std::path::Path;

use vaultstore::secrecy::{ExposeSecret, SecretString};

use crate::exit::{usage, Failure};
use crate::secrets::{self, Stdin};

/// The body from `--body PATH` (`-`: stdin), or with no `--body` from stdin unless it
/// is a terminal (typing JSON there is never what was meant); `nothing` is the usage
/// error for no body at all.
pub fn read(path: Option<&Path>, stdin: &mut Stdin, nothing: &str) -> Result<Body, Failure> {
    let json = match path {
        Some(path) if path.as_os_str() == "-" => stdin.rest("the body", &secrets::BODY)?,
        Some(path) => secrets::from_file(path, "the body", &secrets::BODY)?,
        None if stdin.is_terminal() => return Err(usage(nothing)),
        None => stdin.rest("the body", &secrets::BODY)?,
    };
    if path.is_none() && json.expose_secret().trim().is_empty() {
        return Err(usage(nothing));
    }
    Ok(Body(json))
}

/// A JSON body, secrets and all.
pub struct Body(SecretString);

impl Body {
    /// The JSON text, for the library's parsers (`from_json`).
    pub fn json(&self) -> &str {
        self.0.expose_secret()
    }
}
