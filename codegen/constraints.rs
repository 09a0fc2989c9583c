//! The request-side constraints of a spec, extracted for checking before a request is sent.
//!
//! typify turns some constraints into types (an integer `format`, a `minimum: 1` into `NonZero…`)
//! but drops others (`maximum`, `maxLength`, `pattern`, `format: uri`). This walks every
//! operation's parameters and JSON request body (following `$ref` and `allOf`, into `properties`,
//! `items` and `additionalProperties`) and lists each constraint keyword with where it applies;
//! `build.rs` turns the list into a static table that `src/validate.rs` checks in the client's
//! `pre` hook, and `cargo xtask lint` fails on every constraint the checker does not enforce.
//!
//! Enforced: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (OpenAPI 3.0 booleans),
//! `minLength`, `maxLength`, `pattern` (regex-lite syntax), `minItems`, `maxItems`,
//! `format: uri` (an absolute URL) and `x-chathooks-require-https: true` (an absolute `https` URL).
//! Shared by `build.rs` and `xtask` through `#[path]`; depends only on yaml_serde.

use yaml_serde::Value;

/// Where a constrained value travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A query-string parameter.
    Query,
    /// A header.
    Header,
    /// A field of the JSON body.
    Body,
}

/// One rule a value must keep.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// `minimum` (with `exclusiveMinimum`).
    Minimum(f64, bool),
    /// `maximum` (with `exclusiveMaximum`).
    Maximum(f64, bool),
    /// `minLength`, in characters.
    MinLength(u64),
    /// `maxLength`, in characters.
    MaxLength(u64),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
    /// `pattern`.
    Pattern(String),
    /// `format: uri`: an absolute URL.
    Uri,
    /// `x-chathooks-require-https`: an absolute `https` URL.
    HttpsUri,
}

/// A constraint on one value of one operation's request.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Where the value travels.
    pub location: Location,
    /// The parameter name, or the body path (`"[]"` is every array item, `"{}"` every map value).
    pub path: Vec<String>,
    /// The rule.
    pub check: Check,
}

/// Every operation's request constraints, and what the checker would not enforce.
#[derive(Debug, Default)]
pub struct Constraints {
    /// `(operationId, rules)`, in spec order; operations without rules are left out.
    pub operations: Vec<(String, Vec<Rule>)>,
    /// Constraint keywords found on the request side that the checker does not enforce, each with
    /// its location (for `cargo xtask lint`).
    pub unenforced: Vec<String>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Formats the generated types already enforce (typify: integers, `chrono` dates, `uuid::Uuid`),
/// plus `uri`, which the checker enforces.
const TYPED_FORMATS: &[&str] = &[
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float",
    "double",
    "date-time",
    "date",
    "uri",
    "uuid",
];

/// Keywords that constrain a value and that the checker does not enforce.
const UNENFORCED: &[&str] = &[
    "multipleOf",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "not",
    "oneOf",
    "anyOf",
];

/// Extracts the constraints of a spec's text.
pub fn extract(spec_text: &str) -> Result<Constraints, String> {
    let spec: Value =
        yaml_serde::from_str(spec_text).map_err(|e| format!("not a YAML document: {e}"))?;
    let mut out = Constraints::default();
    let Some(paths) = spec.get("paths").and_then(Value::as_mapping) else {
        return Ok(out);
    };
    for (path_name, item) in paths {
        let path_name = path_name.as_str().unwrap_or("?");
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{method} {path_name}"));
            let mut walker = Walker {
                spec: &spec,
                rules: Vec::new(),
                unenforced: &mut out.unenforced,
                operation: id.clone(),
                stack: Vec::new(),
            };
            let params = item
                .get("parameters")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .chain(
                    op.get("parameters")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten(),
                );
            for param in params {
                let param = walker.resolve(param);
                let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
                let location = match param.get("in").and_then(Value::as_str) {
                    Some("query") => Location::Query,
                    Some("header") => Location::Header,
                    other => {
                        // Path and cookie values are not checked: flag any constraint on them.
                        if let Some(schema) = param.get("schema") {
                            let mut probe = Vec::new();
                            walker.walk(
                                schema,
                                Location::Query,
                                &mut vec![name.into()],
                                &mut probe,
                            );
                            if !probe.is_empty() {
                                walker.unenforced.push(format!(
                                    "{}: constraints on {} parameter `{name}` are not checked",
                                    walker.operation,
                                    other.unwrap_or("?")
                                ));
                            }
                        }
                        continue;
                    }
                };
                if let Some(schema) = param.get("schema") {
                    let mut rules = std::mem::take(&mut walker.rules);
                    walker.walk(schema, location, &mut vec![name.to_owned()], &mut rules);
                    walker.rules = rules;
                }
            }
            if let Some(body) = op.get("requestBody") {
                let body = walker.resolve(body);
                let content = body.get("content").and_then(Value::as_mapping);
                for (media, content) in content.into_iter().flatten() {
                    let media = media.as_str().unwrap_or("");
                    let Some(schema) = content.get("schema") else {
                        continue;
                    };
                    if media == "application/json" {
                        let mut rules = std::mem::take(&mut walker.rules);
                        walker.walk(schema, Location::Body, &mut Vec::new(), &mut rules);
                        walker.rules = rules;
                    } else {
                        walker.unenforced.push(format!(
                            "{}: a `{media}` request body is not checked",
                            walker.operation
                        ));
                    }
                }
            }
            let rules = walker.rules;
            if !rules.is_empty() {
                out.operations.push((id, rules));
            }
        }
    }
    Ok(out)
}

struct Walker<'a> {
    spec: &'a Value,
    rules: Vec<Rule>,
    unenforced: &'a mut Vec<String>,
    operation: String,
    /// The `$ref`s being walked (a recursive schema stops at its second visit).
    stack: Vec<String>,
}

impl<'a> Walker<'a> {
    /// Follows a local `$ref` (`#/components/...`) to what it names.
    fn resolve(&self, value: &'a Value) -> &'a Value {
        let mut value = value;
        for _ in 0..16 {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return value;
            };
            let Some(pointer) = reference.strip_prefix("#/") else {
                return value;
            };
            let mut target = self.spec;
            for segment in pointer.split('/') {
                match target.get(segment) {
                    Some(next) => target = next,
                    None => return value,
                }
            }
            value = target;
        }
        value
    }

    fn flag(&mut self, path: &[String], what: &str) {
        let field = if path.is_empty() {
            "the body".to_owned()
        } else {
            format!("`{}`", path.join("."))
        };
        self.unenforced.push(format!(
            "{}: {field}: {what} is not enforced",
            self.operation
        ));
    }

    fn walk(
        &mut self,
        schema: &'a Value,
        location: Location,
        path: &mut Vec<String>,
        rules: &mut Vec<Rule>,
    ) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            if self.stack.iter().any(|r| r == reference) {
                // A recursive schema: its deeper levels are not walked.
                self.flag(
                    path,
                    &format!("the recursive `{reference}` (below the first level)"),
                );
                return;
            }
            self.stack.push(reference.to_owned());
            let target = self.resolve(schema);
            self.walk(target, location, path, rules);
            self.stack.pop();
            return;
        }
        let mut push = |check: Check| {
            rules.push(Rule {
                location,
                path: path.clone(),
                check,
            })
        };
        let flag_bool = |key: &str| schema.get(key).and_then(Value::as_bool).unwrap_or(false);
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            push(Check::Minimum(min, flag_bool("exclusiveMinimum")));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            push(Check::Maximum(max, flag_bool("exclusiveMaximum")));
        }
        let count = |key: &str| schema.get(key).and_then(Value::as_u64);
        if let Some(n) = count("minLength") {
            push(Check::MinLength(n));
        }
        if let Some(n) = count("maxLength") {
            push(Check::MaxLength(n));
        }
        if let Some(n) = count("minItems") {
            push(Check::MinItems(n));
        }
        if let Some(n) = count("maxItems") {
            push(Check::MaxItems(n));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            push(Check::Pattern(pattern.to_owned()));
        }
        let https = flag_bool("x-chathooks-require-https");
        let format = schema.get("format").and_then(Value::as_str);
        if https {
            push(Check::HttpsUri);
        } else if format == Some("uri") {
            push(Check::Uri);
        }
        let mut problems = Vec::new();
        if let Some(format) = format.filter(|f| !TYPED_FORMATS.contains(f)) {
            problems.push(format!("`format: {format}`"));
        }
        if schema.get("exclusiveMinimum").is_some() && schema.get("minimum").is_none() {
            problems.push("`exclusiveMinimum` without `minimum`".to_owned());
        }
        if schema.get("exclusiveMaximum").is_some() && schema.get("maximum").is_none() {
            problems.push("`exclusiveMaximum` without `maximum`".to_owned());
        }
        for keyword in UNENFORCED {
            if schema.get(*keyword).is_some() {
                problems.push(format!("`{keyword}`"));
            }
        }
        for problem in problems {
            self.flag(path, &problem);
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            self.walk(part, location, path, rules);
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_mapping) {
            for (name, property) in properties {
                path.push(name.as_str().unwrap_or("?").to_owned());
                self.walk(property, location, path, rules);
                path.pop();
            }
        }
        if let Some(items) = schema.get("items") {
            path.push("[]".to_owned());
            self.walk(items, location, path, rules);
            path.pop();
        }
        if let Some(values) = schema
            .get("additionalProperties")
            .filter(|v| v.is_mapping())
        {
            path.push("{}".to_owned());
            self.walk(values, location, path, rules);
            path.pop();
        }
    }
}

impl Constraints {
    /// Rust source: an `impl Client` with `REQUEST_CONSTRAINTS`, the table `src/validate.rs` reads.
    pub fn to_rust(&self) -> String {
        let mut out = String::from(
            "impl Client {\n\
             /// The request constraints of each operation, extracted from the spec by\n\
             /// `codegen/constraints.rs`; checked before sending by `crate::validate`.\n\
             pub(crate) const REQUEST_CONSTRAINTS: &'static [crate::validate::Operation] = &[\n",
        );
        for (id, rules) in &self.operations {
            out.push_str(&format!(
                "crate::validate::Operation {{ id: {id:?}, rules: &[\n"
            ));
            for rule in rules {
                let check = match &rule.check {
                    Check::Minimum(v, e) => {
                        format!("Minimum {{ value: {v:?}_f64, exclusive: {e} }}")
                    }
                    Check::Maximum(v, e) => {
                        format!("Maximum {{ value: {v:?}_f64, exclusive: {e} }}")
                    }
                    Check::MinLength(n) => format!("MinLength({n})"),
                    Check::MaxLength(n) => format!("MaxLength({n})"),
                    Check::MinItems(n) => format!("MinItems({n})"),
                    Check::MaxItems(n) => format!("MaxItems({n})"),
                    Check::Pattern(p) => format!("Pattern({p:?})"),
                    Check::Uri => "Uri".to_owned(),
                    Check::HttpsUri => "HttpsUri".to_owned(),
                };
                out.push_str(&format!(
                    "crate::validate::Rule {{ location: crate::validate::Location::{:?}, path: &{:?}, check: crate::validate::Check::{check} }},\n",
                    rule.location, rule.path
                ));
            }
            out.push_str("] },\n");
        }
        out.push_str("];\n}\n");
        out
    }
}
