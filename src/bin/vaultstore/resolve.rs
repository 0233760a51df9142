//! `resolve`: which credential a session over some vaults would use for a URL. The
//! token is printed only with `--reveal`. Like a session, it refreshes an `mcp_oauth`
//! token that is expired or about to be, and stores the new one first. Through a
//! server (`--server`), it is the server's resolve, which takes a runtime key.

use std::io::Write;

use chrono::SecondsFormat;
use serde::Serialize;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{Error, VaultStore};
use zeroize::Zeroizing;

use crate::args::ResolveArgs;
use crate::exit::{Failure, Outcome};
use crate::target::Target;
use crate::Context;

/// What was resolved, here or by a server, as the answer prints it.
struct Found {
    vault_id: String,
    credential_id: String,
    mcp_server_url: String,
    protocol: String,
    credential_type: String,
    expires_at: Option<String>,
    token: SecretString,
}

/// The answer, borrowing every field: the token is never copied into a `String`.
#[derive(Serialize)]
struct Answer<'a> {
    vault_id: &'a str,
    credential_id: &'a str,
    protocol: &'a str,
    mcp_server_url: &'a str,
    #[serde(rename = "type")]
    credential_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
}

pub fn run(args: ResolveArgs, cx: &mut Context) -> Outcome {
    let found = match cx.target()? {
        Target::Local(store) => here(&store, &args)?,
        Target::Remote(server) => {
            let r = server.resolve(&args.vaults, &args.url)?;
            Found {
                vault_id: r.vault_id,
                credential_id: r.credential_id,
                mcp_server_url: r.mcp_server_url,
                protocol: r.protocol,
                credential_type: r.credential_type,
                expires_at: r.expires_at,
                token: r.token,
            }
        }
    };
    let answer = Answer {
        vault_id: &found.vault_id,
        credential_id: &found.credential_id,
        protocol: &found.protocol,
        // What was resolved: the credential's URL as stored, not the spelling asked for.
        mcp_server_url: &found.mcp_server_url,
        credential_type: &found.credential_type,
        expires_at: found.expires_at.as_deref(),
        access_token: args.reveal.then(|| found.token.expose_secret()),
    };
    let text = render(&answer, cx.out.json);
    // One write of whole lines to an empty, locked stdout goes straight to the file:
    // std's line buffer keeps no copy of the token.
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&text)
        .and_then(|()| stdout.flush())
        .map_err(|source| {
            Failure::Store(Error::Io {
                context: "writing the answer to stdout".into(),
                source,
            })
        })
}

/// A session over the vaults, in this process.
fn here(store: &VaultStore, args: &ResolveArgs) -> Result<Found, Failure> {
    let session = store.session(&args.vaults)?;
    let Some(found) = session.resolve(&args.url)? else {
        return Err(Error::NotFound {
            message: format!(
                "No active credential for '{}' in vault(s) {}.",
                args.url,
                args.vaults.join(", ")
            ),
        }
        .into());
    };
    Ok(Found {
        vault_id: found.vault_id,
        credential_id: found.credential_id,
        mcp_server_url: found.mcp_server_url,
        protocol: found.protocol.as_str().to_owned(),
        credential_type: found.credential_type.as_str().to_owned(),
        expires_at: found
            .expires_at
            .map(|at| at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        token: found.token,
    })
}

/// The answer as JSON or as `name  value` lines, ending in a newline, in one zeroizing
/// buffer sized up front: growing it would leave a copy of the token behind.
fn render(answer: &Answer<'_>, json: bool) -> Zeroizing<Vec<u8>> {
    let fields = [
        ("vault_id", answer.vault_id),
        ("credential_id", answer.credential_id),
        ("protocol", answer.protocol),
        ("mcp_server_url", answer.mcp_server_url),
        ("type", answer.credential_type),
    ];
    let mut out = Zeroizing::new(Vec::with_capacity(capacity(answer)));
    let written = match json {
        true => serde_json::to_writer_pretty(&mut *out, answer)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
        false => {
            let expiry = answer.expires_at.map(|at| ("expires_at", at));
            let token = answer.access_token.map(|t| ("access_token", t));
            fields
                .into_iter()
                .chain(expiry)
                .chain(token)
                .try_for_each(|(name, value)| writeln!(out, "{name:14}  {value}"))
        }
    };
    // Writing to a Vec cannot fail, and a str always serializes.
    debug_assert!(written.is_ok());
    out
}

/// Room for the answer in either form: JSON escapes a byte in at most 6 (`\u00XX`);
/// names, padding and punctuation fit in 512.
fn capacity(answer: &Answer<'_>) -> usize {
    let values = [
        answer.vault_id,
        answer.credential_id,
        answer.protocol,
        answer.mcp_server_url,
        answer.credential_type,
        answer.expires_at.unwrap_or_default(),
        answer.access_token.unwrap_or_default(),
    ];
    values.iter().map(|v| v.len()).sum::<usize>() * 6 + 512
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(token: Option<&str>) -> Answer<'_> {
        Answer {
            vault_id: "vault_01",
            credential_id: "vcred_01",
            protocol: "sse",
            mcp_server_url: "https://example.com/mcp",
            credential_type: "mcp_oauth",
            expires_at: Some("2026-05-18T15:34:16.000000Z"),
            access_token: token,
        }
    }

    #[test]
    fn the_answer_is_built_without_growing_its_buffer() {
        let long = "\u{1}".repeat(8192); // the worst case for JSON escaping
        for token in [None, Some("tok\"en\\"), Some(long.as_str())] {
            for json in [true, false] {
                let text = render(&answer(token), json);
                assert_eq!(text.capacity(), capacity(&answer(token)), "it grew");
                assert_eq!(text.last(), Some(&b'\n'));
            }
        }
    }

    #[test]
    fn the_answer_reads_back() {
        let text = render(&answer(Some("tok\"en")), true);
        let value: serde_json::Value = serde_json::from_slice(&text).expect("JSON");
        assert_eq!(value["access_token"], "tok\"en");
        assert_eq!(value["mcp_server_url"], "https://example.com/mcp");
        let text = render(&answer(None), false);
        let text = String::from_utf8(text.to_vec()).expect("utf-8");
        assert!(text.starts_with("vault_id        vault_01\n"), "{text}");
        assert!(!text.contains("access_token"));
    }
}
