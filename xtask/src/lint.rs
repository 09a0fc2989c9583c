//! Our own rules for the specs, beyond what an OpenAPI validator checks:
//!
//! - every operation has a unique `operationId`, a `summary` and a tag declared at the top level;
//! - every component (schema, parameter, response, security scheme) is used;
//! - every `example` / `examples` value validates against its schema (OpenAPI 3.0 `nullable`
//!   and `#/components/schemas/…` references translated into JSON Schema).
//!
//! Each finding names the spec file and the JSON path of the offending item.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Checks one spec's text; returns every finding (empty when it passes).
pub fn lint(file: &str, text: &str) -> Vec<String> {
    let spec: Value = match yaml_serde::from_str(text) {
        Ok(spec) => spec,
        Err(e) => return vec![format!("{file}: not YAML: {e}")],
    };
    let mut findings = Vec::new();
    operations(&spec, &mut findings);
    unused_components(&spec, &mut findings);
    examples(&spec, &mut findings);
    findings
        .into_iter()
        .map(|f| format!("{file}: {f}"))
        .collect()
}

fn operations(spec: &Value, findings: &mut Vec<String>) {
    let declared: BTreeSet<&str> = spec["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let at = format!("/paths/{}/{method}", escape(path));
            match op["operationId"].as_str() {
                Some(id) => {
                    if let Some(first) = ids.insert(id, at.clone()) {
                        findings.push(format!("{at}: operationId `{id}` is also used at {first}"));
                    }
                }
                None => findings.push(format!("{at}: no operationId")),
            }
            if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
                findings.push(format!("{at}: no summary"));
            }
            let tags: Vec<&str> = op["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if tags.is_empty() {
                findings.push(format!("{at}: no tag"));
            }
            for tag in tags {
                if !declared.contains(tag) {
                    findings.push(format!("{at}: tag `{tag}` is not declared under /tags"));
                }
            }
        }
    }
}

/// JSON-pointer escaping of one path segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unused_components(spec: &Value, findings: &mut Vec<String>) {
    let mut refs = BTreeSet::new();
    collect_refs(spec, &mut refs);
    for kind in [
        "schemas",
        "parameters",
        "responses",
        "requestBodies",
        "headers",
    ] {
        for name in spec["components"][kind]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if !refs.contains(&format!("#/components/{kind}/{name}")) {
                findings.push(format!("/components/{kind}/{name}: never referenced"));
            }
        }
    }
    let used_schemes: BTreeSet<&str> = std::iter::once(&spec["security"])
        .chain(
            spec["paths"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.values())
                .flat_map(|item| METHODS.iter().map(move |m| &item[*m]["security"])),
        )
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect();
    for name in spec["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !used_schemes.contains(name.as_str()) {
            findings.push(format!(
                "/components/securitySchemes/{name}: not used by any `security`"
            ));
        }
    }
}

fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.insert(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// Every example, with the JSON path where it stands and the schema it must satisfy.
fn examples(spec: &Value, findings: &mut Vec<String>) {
    let defs: Map<String, Value> = spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
        .collect();
    let mut found = Vec::new();
    find_examples(spec, String::new(), &mut found);
    for (at, schema, example) in found {
        let schema = resolve_component(spec, schema);
        let mut root = to_json_schema(schema);
        if let Value::Object(map) = &mut root {
            map.insert("$defs".into(), Value::Object(defs.clone()));
        } else {
            root = json!({"allOf": [root], "$defs": defs});
        }
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&root)
        {
            Ok(v) => v,
            Err(e) => {
                findings.push(format!("{at}: its schema is not valid JSON Schema: {e}"));
                continue;
            }
        };
        for error in validator.iter_errors(example) {
            findings.push(format!(
                "{at}: example does not match its schema at `{}`: {error}",
                error.instance_path()
            ));
        }
    }
}

/// A `$ref` to a component parameter/response/etc. is followed; schema refs are left to `$defs`.
fn resolve_component<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(r) if !r.starts_with("#/components/schemas/") => r
            .strip_prefix('#')
            .and_then(|pointer| spec.pointer(pointer))
            .unwrap_or(value),
        _ => value,
    }
}

/// Finds `(path, schema, example)` triples: a schema's own `example`, and the `example` /
/// `examples.*.value` of media types and parameters next to their `schema`.
fn find_examples<'a>(
    value: &'a Value,
    at: String,
    found: &mut Vec<(String, &'a Value, &'a Value)>,
) {
    match value {
        Value::Object(map) => {
            let schema = map.get("schema");
            let is_schema = map.contains_key("type")
                || map.contains_key("properties")
                || map.contains_key("allOf")
                || map.contains_key("$ref");
            if let Some(example) = map.get("example") {
                match schema {
                    Some(schema) => found.push((format!("{at}/example"), schema, example)),
                    None if is_schema => found.push((format!("{at}/example"), value, example)),
                    None => {}
                }
            }
            if let (Some(schema), Some(Value::Object(named))) = (schema, map.get("examples")) {
                for (name, example) in named {
                    if let Some(v) = example.get("value") {
                        found.push((format!("{at}/examples/{}/value", escape(name)), schema, v));
                    }
                }
            }
            for (key, child) in map {
                if key != "example" && key != "examples" {
                    find_examples(child, format!("{at}/{}", escape(key)), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                find_examples(child, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// Translates an OpenAPI 3.0 schema into JSON Schema 2020-12: `nullable` becomes a `null` type,
/// component refs point into `$defs`, OpenAPI-only keywords are dropped.
pub fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "nullable" | "example" | "examples" | "discriminator" | "xml" | "externalDocs"
            | "deprecated" => continue,
            k if k.starts_with("x-") => continue,
            "$ref" => match value.as_str() {
                Some(r) => Value::String(r.replace("#/components/schemas/", "#/$defs/")),
                None => value.clone(),
            },
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(to_json_schema)
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    // OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` modify `minimum`/`maximum`;
    // JSON Schema 2020-12 makes them numbers of their own.
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match out.get(exclusive) {
            Some(Value::Bool(true)) => {
                if let Some(limit) = out.remove(bound) {
                    out.insert(exclusive.into(), limit);
                } else {
                    out.remove(exclusive);
                }
            }
            Some(Value::Bool(false)) => {
                out.remove(exclusive);
            }
            _ => {}
        }
    }
    if map.get("nullable") != Some(&Value::Bool(true)) {
        return Value::Object(out);
    }
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            out.insert("type".into(), json!([t, "null"]));
            if let Some(Value::Array(values)) = out.get_mut("enum") {
                values.push(Value::Null);
            }
            Value::Object(out)
        }
        _ => json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
tags: [{name: T}]
security: [{key: []}]
paths:
  /a:
    get:
      operationId: get_a
      summary: Get a
      tags: [T]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
              example: {n: 1, s: null}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    A:
      type: object
      required: [n]
      properties:
        n: {type: integer}
        s: {type: string, nullable: true}
"#;

    #[test]
    fn a_clean_spec_passes() {
        assert_eq!(lint("good.yaml", GOOD), Vec::<String>::new());
    }

    #[test]
    fn duplicate_operation_ids_missing_summary_and_undeclared_tags_are_found() {
        let bad = GOOD.replace(
            "paths:\n",
            "paths:\n  /b:\n    get:\n      operationId: get_a\n      tags: [U]\n      responses: {'204': {description: x}}\n",
        );
        let findings = lint("bad.yaml", &bad);
        let text = findings.join("\n");
        assert!(
            text.contains(
                "bad.yaml: /paths/~1b/get: operationId `get_a` is also used at /paths/~1a/get"
            ) || text.contains(
                "bad.yaml: /paths/~1a/get: operationId `get_a` is also used at /paths/~1b/get"
            ),
            "{text}"
        );
        assert!(text.contains("/paths/~1b/get: no summary"), "{text}");
        assert!(text.contains("tag `U` is not declared"), "{text}");
    }

    #[test]
    fn an_operation_without_tags_is_found() {
        let bad = GOOD.replace("      tags: [T]\n", "");
        assert!(lint("x.yaml", &bad)
            .iter()
            .any(|f| f.ends_with("/paths/~1a/get: no tag")));
    }

    #[test]
    fn unused_components_are_found() {
        let bad = GOOD
            .replace("  schemas:\n", "  schemas:\n    Unused: {type: string}\n")
            .replace("security: [{key: []}]\n", "");
        let findings = lint("x.yaml", &bad);
        assert!(
            findings.contains(&"x.yaml: /components/schemas/Unused: never referenced".to_owned()),
            "{findings:?}"
        );
        assert!(
            findings
                .iter()
                .any(|f| f.contains("securitySchemes/key: not used")),
            "{findings:?}"
        );
    }

    #[test]
    fn examples_that_break_their_schema_are_found() {
        let bad = GOOD.replace("example: {n: 1, s: null}", "example: {s: 3}");
        let findings = lint("x.yaml", &bad);
        let text = findings.join("\n");
        assert!(
            text.contains("/paths/~1a/get/responses/200/content/application~1json/example"),
            "{text}"
        );
        assert!(text.contains("`/s`"), "{text}");
        assert!(text.contains("\"n\" is a required property"), "{text}");
    }

    #[test]
    fn nullable_is_honoured_and_schema_examples_are_checked() {
        let bad = GOOD.replace(
            "        s: {type: string, nullable: true}",
            "        s: {type: string, nullable: true}\n        t: {type: string, example: 5}",
        );
        let findings = lint("x.yaml", &bad);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].contains("/components/schemas/A/properties/t/example"),
            "{findings:?}"
        );
    }

    #[test]
    fn nullable_refs_become_any_of_null() {
        let converted = to_json_schema(
            &json!({"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true}),
        );
        assert_eq!(
            converted,
            json!({"anyOf": [{"allOf": [{"$ref": "#/$defs/A"}]}, {"type": "null"}]})
        );
    }
}
