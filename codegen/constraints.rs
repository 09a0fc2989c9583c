//! The request-side constraints of a spec, extracted for checking before a request is sent.
//!
//! typify turns some constraints into types (an integer `format`, a `minimum: 1` into `NonZero…`)
//! but drops others (`maximum`, `maxLength`, `pattern`, `format: uri`). This walks every
//! operation's parameters and JSON request body (following `$ref` and `allOf`, into `properties`,
//! `items` and `additionalProperties`) and lists each constraint keyword with where it applies;
//! [`Constraints::table`] emits the list, in the rule model it shares with the checker
//! (`src/client/validate/rules.rs`), as the static table `src/client/validate/` checks in the
//! client's `pre` hook, and `cargo xtask lint` fails on every constraint the checker does not enforce.
//!
//! Enforced: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (OpenAPI 3.0 booleans),
//! `minLength`, `maxLength`, `pattern` (regex-lite syntax), `minItems`, `maxItems`,
//! `format: uri` (an absolute URL) and `x-chathooks-require-https: true` (an absolute `https` URL).
//! Shared by `build.rs` and `xtask` through `#[path]`; depends only on yaml_serde, syn, quote
//! and proc-macro2.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;
use yaml_serde::Value;

/// The rule model, one definition shared with the run-time checker (`src/client/validate/`).
#[path = "../src/client/validate/rules.rs"]
#[allow(dead_code)] // the checker's half (names, keywords) is not used here
mod rules;

pub use rules::Location;
/// One rule a value must keep, as extracted (owned text).
pub type Check = rules::Check<String>;
/// A constraint on one value of one operation's request, as extracted (owned text).
pub type Rule = rules::Rule<Vec<String>, String>;

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
            push(Check::Minimum {
                value: min,
                exclusive: flag_bool("exclusiveMinimum"),
            });
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            push(Check::Maximum {
                value: max,
                exclusive: flag_bool("exclusiveMaximum"),
            });
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
    /// The table `crate::validate` checks requests against, as an item of the generated code: an
    /// `impl Client` with `REQUEST_CONSTRAINTS`, built as tokens from the shared rule model (each
    /// [`Rule`] becomes the expression that constructs it at run time).
    pub fn table(&self) -> Result<syn::Item, String> {
        let mut operations = Vec::with_capacity(self.operations.len());
        for (id, rules) in &self.operations {
            let rules = rules
                .iter()
                .map(rule_tokens)
                .collect::<Result<Vec<_>, String>>()
                .map_err(|e| format!("{id}: {e}"))?;
            operations.push(quote! {
                crate::validate::Operation { id: #id, rules: &[#(#rules),*] }
            });
        }
        syn::parse2(quote! {
            impl Client {
                /// The request constraints of each operation, extracted from the spec by
                /// `codegen/constraints.rs`; checked before sending by `crate::validate`.
                pub(crate) const REQUEST_CONSTRAINTS: &'static [crate::validate::Operation] = &[
                    #(#operations),*
                ];
            }
        })
        .map_err(|e| format!("the constraint table does not parse: {e}"))
    }
}

/// The expression that constructs `rule` in the generated table.
fn rule_tokens(rule: &Rule) -> Result<TokenStream, String> {
    let location = Ident::new(
        match rule.location {
            Location::Query => "Query",
            Location::Header => "Header",
            Location::Body => "Body",
        },
        Span::call_site(),
    );
    let path = &rule.path;
    let check = match &rule.check {
        Check::Minimum { value, exclusive } => {
            let value = float(*value)?;
            quote!(Minimum { value: #value, exclusive: #exclusive })
        }
        Check::Maximum { value, exclusive } => {
            let value = float(*value)?;
            quote!(Maximum { value: #value, exclusive: #exclusive })
        }
        Check::MinLength(n) => count("MinLength", *n),
        Check::MaxLength(n) => count("MaxLength", *n),
        Check::MinItems(n) => count("MinItems", *n),
        Check::MaxItems(n) => count("MaxItems", *n),
        Check::Pattern(pattern) => quote!(Pattern(#pattern)),
        Check::Uri => quote!(Uri),
        Check::HttpsUri => quote!(HttpsUri),
    };
    Ok(quote! {
        crate::validate::Rule {
            location: crate::validate::Location::#location,
            path: &[#(#path),*],
            check: crate::validate::Check::#check,
        }
    })
}

/// `Variant(n)`, with `n` an unsuffixed integer literal.
fn count(variant: &str, n: u64) -> TokenStream {
    let variant = Ident::new(variant, Span::call_site());
    let n = Literal::u64_unsuffixed(n);
    quote!(#variant(#n))
}

/// A bound as a float expression (`1.0`, `-0.5`); a spec's `.inf` or `.nan` is an error.
fn float(value: f64) -> Result<TokenStream, String> {
    if !value.is_finite() {
        return Err(format!("the bound {value} is not a finite number"));
    }
    let magnitude = Literal::f64_unsuffixed(value.abs());
    Ok(match value.is_sign_negative() && value != 0.0 {
        true => quote!(-#magnitude),
        false => quote!(#magnitude),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    get:
      operationId: list_things
      parameters:
        - {name: offset, in: query, schema: {type: number, minimum: -2.5, exclusiveMinimum: true}}
        - {name: name, in: query, schema: {type: string, maxLength: 3, pattern: '^"a\b'}}
      responses: {'204': {description: ok}}
"#;

    /// The emitted table, as the generated file shows it.
    fn shown(constraints: &Constraints) -> Result<String, String> {
        let item = constraints.table()?;
        let mut file: syn::File = syn::parse_str("").map_err(|e| e.to_string())?;
        file.items.push(item);
        Ok(prettyplease::unparse(&file))
    }

    #[test]
    fn the_table_constructs_each_rule_of_the_shared_model() {
        let table = shown(&extract(SPEC).unwrap()).unwrap();
        for expected in [
            "pub(crate) const REQUEST_CONSTRAINTS: &'static [crate::validate::Operation] = &[",
            "id: \"list_things\",",
            "location: crate::validate::Location::Query,",
            "path: &[\"offset\"],",
            "check: crate::validate::Check::Minimum {",
            "value: -2.5,",
            "exclusive: true,",
            "check: crate::validate::Check::MaxLength(3),",
            r#"check: crate::validate::Check::Pattern("^\"a\\b"),"#,
        ] {
            assert!(table.contains(expected), "{expected}\n{table}");
        }
    }

    #[test]
    fn a_bound_that_is_not_a_finite_number_is_an_error() {
        let spec = SPEC.replace("minimum: -2.5", "minimum: .inf");
        let err = shown(&extract(&spec).unwrap()).unwrap_err();
        assert!(err.starts_with("list_things: "), "{err}");
        assert!(err.contains("not a finite number"), "{err}");
    }
}
