//! Property tests of the masking every `Debug`/`Display` of a body goes through
//! (`chathooks::fuzzing::redact`, the crate's `redact::text`): a secret-named field's value never
//! survives it, wherever the field sits, however the JSON is laid out and wherever the body is
//! cut; and a body without secrets comes out unchanged.
#![cfg(feature = "client")]

use chathooks::fuzzing::redact;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON documents whose keys (letters a–d) never name a secret, and whose strings hold the
/// characters that matter to a scanner (quotes, backslashes, brackets, colons) but never `://`,
/// `whsec_` or a secret's marker.
fn plain_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z \"\\\\{}\\[\\],:@]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]{1,6}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every object of a document, depth first, as a path of steps.
fn objects(value: &Value, path: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            found.push(path.clone());
            for (key, item) in map {
                path.push(Step::Key(key.clone()));
                objects(item, path, found);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                objects(item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_secret_field_never_survives(
        doc in plain_json(),
        pick in any::<prop::sample::Index>(),
        key in prop::sample::select(vec![
            "secret", "secret_key", "initial_secret", "api_key", "password", "Client_Secret",
            "X-API-Key", "token",
        ]),
        secret in "Zq9[A-Za-z0-9_+/=-]{6,30}",
        in_array in any::<bool>(),
        pretty in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        cut_it in any::<bool>(),
    ) {
        let mut doc = match doc {
            Value::Object(_) => doc,
            other => serde_json::json!({ "data": other }),
        };
        let mut found = Vec::new();
        objects(&doc, &mut Vec::new(), &mut found);
        let path = pick.get(&found).clone();
        let value = match in_array {
            true => serde_json::json!(["plain", secret]),
            false => Value::String(secret.clone()),
        };
        at(&mut doc, &path)[key] = value;
        let mut text = match pretty {
            true => serde_json::to_string_pretty(&doc).unwrap(),
            false => serde_json::to_string(&doc).unwrap(),
        };
        if cut_it {
            let mut end = cut.index(text.len() + 1);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        let masked = redact(&text);
        prop_assert!(!masked.contains("Zq9"), "{text}\n=> {masked}");
    }

    #[test]
    fn a_body_without_secrets_is_left_alone(doc in plain_json(), pretty in any::<bool>()) {
        let text = match pretty {
            true => serde_json::to_string_pretty(&doc).unwrap(),
            false => serde_json::to_string(&doc).unwrap(),
        };
        prop_assert_eq!(redact(&text), text);
    }
}
