//! Printing answers: one JSON document in the hosted API's shapes with `--json`, short
//! human text (tables for lists) without. Only answers go to stdout.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use vaultstore::{Page, Status, Vault, VaultCredential};

mod credential;

/// Where answers go, and in which form.
#[derive(Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or else the human text `human` makes.
    pub fn show<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            let text = serde_json::to_string_pretty(value)
                .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize: {e}\"}}"));
            println!("{text}");
        } else {
            let text = human();
            println!("{}", text.trim_end());
        }
    }

    pub fn vault(&self, vault: &Vault) {
        self.show(vault, || vault_text(vault));
    }

    pub fn credential(&self, cred: &VaultCredential) {
        self.show(cred, || fields(&credential::fields(cred)));
    }

    /// A page of vaults; `backwards` when it was asked for with `--before`.
    pub fn vault_page(&self, page: &Page<Vault>, backwards: bool) {
        self.show(page, || {
            let rows = page.data.iter().map(|v| {
                vec![
                    v.id.clone(),
                    status(v.status),
                    time(&v.created_at),
                    v.display_name.clone(),
                ]
            });
            page_text(
                page,
                backwards,
                ["ID", "STATUS", "CREATED_AT", "NAME"],
                rows,
            )
        });
    }

    /// A page of credentials; `backwards` when it was asked for with `--before`.
    pub fn credential_page(&self, page: &Page<VaultCredential>, backwards: bool) {
        self.show(page, || {
            page_text(
                page,
                backwards,
                credential::HEADER,
                page.data.iter().map(credential::row),
            )
        });
    }
}

fn vault_text(vault: &Vault) -> String {
    let mut pairs = vec![
        ("id", vault.id.clone()),
        ("display_name", vault.display_name.clone()),
        ("status", status(vault.status)),
        ("metadata", metadata(&vault.metadata)),
        ("created_at", time(&vault.created_at)),
        ("updated_at", time(&vault.updated_at)),
    ];
    if let Some(at) = &vault.archived_at {
        pairs.push(("archived_at", time(at)));
    }
    let mut text = fields(&pairs);
    if let Some(creds) = &vault.credentials {
        text.push_str("\ncredentials:\n");
        text.push_str(&table(
            credential::HEADER,
            creds.iter().map(credential::row),
        ));
    }
    text
}

/// The table, and a hint for the next page in the direction travelled: `has_more`
/// speaks of that direction, so backwards (newer items) the next page is before the
/// newest item shown, forwards after the oldest.
fn page_text<T, const N: usize>(
    page: &Page<T>,
    backwards: bool,
    header: [&str; N],
    rows: impl Iterator<Item = Vec<String>>,
) -> String {
    if page.data.is_empty() {
        return "(none)".to_owned();
    }
    let mut text = table(header, rows);
    let next = match backwards {
        true => page.first_id.as_ref().map(|id| format!("--before {id}")),
        false => page.last_id.as_ref().map(|id| format!("--after {id}")),
    };
    if let (true, Some(next)) = (page.has_more, next) {
        text.push_str(&format!("(more: {next})\n"));
    }
    text
}

/// `name  value` lines, names padded to one width.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:width$}  {v}\n"))
        .collect()
}

/// Columns padded to their widest cell; the last column is not padded.
fn table<const N: usize>(header: [&str; N], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut all: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    all.extend(rows);
    let mut widths = [0usize; N];
    for row in &all {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &all {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| match i + 1 == N {
                true => cell.clone(),
                false => format!("{cell:w$}"),
            })
            .collect();
        text.push_str(&cells.join("  "));
        text.push('\n');
    }
    text
}

fn status(s: Status) -> String {
    match s {
        Status::Active => "active",
        Status::Archived => "archived",
    }
    .to_owned()
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn metadata(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        return "(none)".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
