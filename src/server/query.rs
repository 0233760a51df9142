//! List parameters from a query string, by dialect, with the API's 400 messages.

use crate::api::request::ListParams;

/// Which list parameters a dialect takes.
#[derive(Clone, Copy)]
pub(crate) enum ListStyle {
    /// `limit`, `after_id`, `before_id`, `include_archived`, `name`,
    /// `created_at[gte]`, `created_at[lte]`.
    Cursor,
    /// `limit`, `page` (the previous answer's `next_page`), `include_archived`; `beta`
    /// is accepted and ignored (some clients add `?beta=true`).
    Page,
}

/// Parses `query` into list parameters, or says which parameter is wrong.
pub(crate) fn list_params(query: Option<&str>, style: ListStyle) -> Result<ListParams, String> {
    let mut params = ListParams::default();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let name = name.into_owned();
        if seen.contains(&name) {
            return Err(format!("{}: given more than once", shown(&name)));
        }
        seen.push(name.clone());
        let value = value.into_owned();
        match (style, name.as_str()) {
            (_, "limit") => {
                params.limit = Some(value.parse::<u32>().map_err(|_| {
                    format!(
                        "limit: must be a whole number from 1 to 100, got '{}'",
                        shown(&value)
                    )
                })?);
            }
            (_, "include_archived") => params.include_archived = boolean(&name, &value)?,
            (ListStyle::Cursor, "after_id") => params.after_id = Some(value),
            (ListStyle::Cursor, "before_id") => params.before_id = Some(value),
            (ListStyle::Cursor, "name") => params.name = Some(value),
            (ListStyle::Cursor, "created_at[gte]") => {
                params.created_at_gte = Some(time(&name, &value)?)
            }
            (ListStyle::Cursor, "created_at[lte]") => {
                params.created_at_lte = Some(time(&name, &value)?)
            }
            (ListStyle::Page, "page") => {
                if !value.is_empty() {
                    params.after_id = Some(value);
                }
            }
            (ListStyle::Page, "beta") => {}
            _ => {
                let known = match style {
                    ListStyle::Cursor => {
                        "limit, after_id, before_id, include_archived, name, created_at[gte], \
                         created_at[lte]"
                    }
                    ListStyle::Page => "limit, page, include_archived",
                };
                return Err(format!(
                    "{}: unknown query parameter; expected one of: {known}",
                    shown(&name)
                ));
            }
        }
    }
    Ok(params)
}

fn boolean(name: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!(
            "{name}: must be true or false, got '{}'",
            shown(other)
        )),
    }
}

fn time(name: &str, value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    crate::api::timestamp::parse(value)
        .map(crate::api::timestamp::truncate_micros)
        .ok_or_else(|| {
            format!(
                "{name}: must be an RFC 3339 timestamp such as 2026-05-18T15:34:16Z, got '{}'",
                shown(value)
            )
        })
}

fn shown(text: &str) -> String {
    crate::error::shown(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_style_reads_the_seeds_parameters() {
        let p = list_params(
            Some("limit=2&name=my-mcp&include_archived=true&created_at%5Bgte%5D=2026-05-18T00:00:00Z"),
            ListStyle::Cursor,
        )
        .expect("parses");
        assert_eq!(p.limit, Some(2));
        assert_eq!(p.name.as_deref(), Some("my-mcp"));
        assert!(p.include_archived);
        assert!(p.created_at_gte.is_some());
    }

    #[test]
    fn page_style_takes_the_cursor_and_ignores_beta() {
        let p =
            list_params(Some("limit=5&page=vault_x&beta=true"), ListStyle::Page).expect("parses");
        assert_eq!(p.after_id.as_deref(), Some("vault_x"));
        assert!(list_params(Some("after_id=x"), ListStyle::Page).is_err());
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let e = list_params(Some("limit=-1"), ListStyle::Cursor).expect_err("bad");
        assert!(e.starts_with("limit:"), "{e}");
        let e = list_params(Some("include_archived=yes"), ListStyle::Page).expect_err("bad");
        assert!(e.starts_with("include_archived:"), "{e}");
        let e = list_params(Some("limit=1&limit=2"), ListStyle::Page).expect_err("twice");
        assert!(e.contains("more than once"), "{e}");
    }
}
