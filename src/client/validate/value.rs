//! The reference body check: the body parsed into a `serde_json::Value` and each rule's path
//! walked in it. The one-pass check (`stream.rs`) gives the same answers without building the
//! `Value`, and uses this walk below a `{}` (every value of a map) or where a rule also applies
//! below the value it ends on; the fuzz target `validate_body` compares the two.

use serde_json::Value;

use super::{broken, shown, Location, Rule, ValidationError};

/// The reference for [`check_body`]: the body parsed into a `Value`, each body rule walked in
/// table order, the first broken one reported.
pub(super) fn by_value(rules: &'static [Rule], bytes: &[u8]) -> Option<(usize, ValidationError)> {
    let json: Value = serde_json::from_slice(bytes).ok()?;
    rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.location == Location::Body)
        .find_map(|(i, rule)| {
            check_value(rule, &json, 0, &mut String::new())
                .err()
                .map(|e| (i, e))
        })
}

/// Walks a body path and checks every value it reaches.
pub(super) fn check_value(
    rule: &Rule,
    value: &Value,
    depth: usize,
    field: &mut String,
) -> Result<(), ValidationError> {
    let Some(segment) = rule.path.get(depth) else {
        return match rule.check.holds(value) {
            true => Ok(()),
            false => Err(broken(rule, field.clone(), &shown(value))),
        };
    };
    let len = field.len();
    match (*segment, value) {
        ("[]", Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                field.push_str(&format!("[{i}]"));
                check_value(rule, item, depth + 1, field)?;
                field.truncate(len);
            }
        }
        ("{}", Value::Object(map)) => {
            for (key, item) in map {
                field.push_str(&format!("[{key:?}]"));
                check_value(rule, item, depth + 1, field)?;
                field.truncate(len);
            }
        }
        (key, Value::Object(map)) => {
            if let Some(item) = map.get(key) {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
                check_value(rule, item, depth + 1, field)?;
                field.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::validate::{Check, Location};

    static RULES: &[Rule] = &[
        Rule {
            location: Location::Body,
            path: &["hooks", "[]", "url"],
            check: Check::HttpsUri,
        },
        Rule {
            location: Location::Body,
            path: &["name"],
            check: Check::Pattern("^[a-z]+$"),
        },
    ];

    #[test]
    fn body_paths_name_the_offending_item() {
        let json =
            serde_json::json!({"hooks": [{"url": "https://a.example"}, {"url": "http://b"}]});
        let e = check_value(&RULES[0], &json, 0, &mut String::new()).unwrap_err();
        assert_eq!(e.field(), "hooks[1].url");
        assert_eq!(e.rule(), "https");
        let e = check_value(
            &RULES[1],
            &serde_json::json!({"name": "A1"}),
            0,
            &mut String::new(),
        )
        .unwrap_err();
        assert_eq!((e.field(), e.rule()), ("name", "pattern"));
        assert!(check_value(
            &RULES[1],
            &serde_json::json!({"name": "ab"}),
            0,
            &mut String::new()
        )
        .is_ok());
    }
}
