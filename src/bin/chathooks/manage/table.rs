//! How the management commands print: one object as `field  value` lines or pretty JSON, lists
//! as fixed-width columns or one JSON object per line, page by page, and webhooks' signing
//! secrets masked unless `--show-secrets`.

use chathooks::Paginate;
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::Failure;

/// How to print: JSON or tables, and whether signing secrets are shown.
#[derive(Clone, Copy)]
pub(super) struct Output {
    pub(super) json: bool,
    pub(super) show_secrets: bool,
}

/// Replaces, at any depth, a webhook's `secret_key` and the values of custom `headers` whose name
/// says they carry a credential with `***`. The one-time secrets of a Kirim create
/// (`initial_secret`) and rotation (`secret`) are not touched: printing them is those commands'
/// point.
fn mask_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match (key.as_str(), &mut *item) {
                    ("secret_key", Value::String(_) | Value::Number(_)) => {
                        *item = Value::String("***".into());
                    }
                    ("headers", Value::Object(headers)) => {
                        for (name, header) in headers.iter_mut() {
                            if credential_header(name) && !header.is_null() {
                                *header = Value::String("***".into());
                            }
                        }
                    }
                    _ => mask_secrets(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

/// Whether a custom header's name says it carries a credential (`Authorization`,
/// `X-Api-Key`, `X-Auth-Token`, `Cookie`…).
fn credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie", "password"]
        .iter()
        .any(|word| name.contains(word))
}

/// An item as JSON, its secrets masked unless `--show-secrets`.
fn to_json<T: Serialize>(value: &T, out: Output) -> Result<Value, Failure> {
    let mut value = serde_json::to_value(value).map_err(|e| Failure::Failed(e.to_string()))?;
    if !out.show_secrets {
        mask_secrets(&mut value);
    }
    Ok(value)
}

/// Prints one object: pretty JSON, or `field  value` lines.
pub(super) fn show<T: Serialize>(value: &T, out: Output) -> Result<(), Failure> {
    let value = to_json(value, out)?;
    if out.json {
        println!("{value:#}");
        return Ok(());
    }
    if let Value::Object(map) = &value {
        for (key, field) in map {
            println!("{key:<24} {}", cell(field));
        }
    } else {
        println!("{}", cell(&value));
    }
    Ok(())
}

/// A JSON value as one table cell.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// Prints the rows of one page: NDJSON, or fixed-width columns.
fn rows<T: Serialize>(items: &[T], columns: &[(&str, usize)], out: Output) -> Result<(), Failure> {
    for item in items {
        let value = to_json(item, out)?;
        if out.json {
            println!("{value}");
            continue;
        }
        let mut line = String::new();
        for (name, width) in columns {
            let text = cell(&value[*name]);
            line.push_str(&format!("{text:<width$} "));
        }
        println!("{}", line.trim_end());
    }
    Ok(())
}

fn header(columns: &[(&str, usize)], json: bool) {
    if !json {
        let line: String = columns
            .iter()
            .map(|(name, width)| format!("{:<width$} ", name.to_uppercase()))
            .collect();
        println!("{}", line.trim_end());
    }
}

/// Lists stop after this many pages (a server whose cursors never end cannot loop the CLI).
pub(super) const MAX_PAGES: usize = 10_000;

/// Prints every item of a listing, page by page as the pages arrive. The library's pager follows
/// the cursors and stops (with an error) on a repeated cursor or after [`MAX_PAGES`] pages.
pub(super) async fn list<R>(
    request: R,
    columns: &[(&str, usize)],
    out: Output,
) -> Result<(), Failure>
where
    R: Paginate,
    R::Item: Serialize,
{
    header(columns, out.json);
    let mut pages = request.paginate().max_pages(MAX_PAGES).pages();
    while let Some(page) = pages.next().await {
        rows(&R::into_items(page.map_err(super::api)?), columns, out)?;
    }
    Ok(())
}

pub(super) fn deleted(id: &str, json: bool) {
    if json {
        println!("{}", serde_json::json!({ "deleted": id }));
    } else {
        println!("deleted {id}");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_and_credential_headers_are_masked_at_any_depth() {
        let mut value = json!({
            "data": [{
                "secret_key": "s3cret",
                "headers": {"Authorization": "Bearer x", "X-Env": "prod", "X-Api-Key": null},
            }],
            "initial_secret": "whsec_shown_once",
        });
        mask_secrets(&mut value);
        assert_eq!(
            value,
            json!({
                "data": [{
                    "secret_key": "***",
                    "headers": {"Authorization": "***", "X-Env": "prod", "X-Api-Key": null},
                }],
                "initial_secret": "whsec_shown_once",
            })
        );
    }

    #[test]
    fn cells() {
        assert_eq!(cell(&Value::Null), "-");
        assert_eq!(cell(&json!(["a", "b"])), "a,b");
        assert_eq!(cell(&json!(3)), "3");
        assert_eq!(cell(&json!("x")), "x");
    }
}
