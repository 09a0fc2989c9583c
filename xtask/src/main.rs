//! Repository chores:
//!
//! - `cargo xtask regen`: validate each spec and rewrite its committed snapshot of generated code;
//! - `cargo xtask lint`: our own rules for the specs (see `lint.rs`);
//! - `cargo xtask check`: `lint`, then fail when a snapshot is stale (CI runs this);
//! - `cargo xtask bench [--quick] [--json] [--only …]`: run the benchmarks of `benches/`, print the ratios
//!   with their goals (see `bench/mod.rs`);
//! - `cargo xtask build-cost [--rounds N] [--timings] [--only a,b,c,d,e]`: time clean builds of scratch consumer
//!   crates, print the ratios with their goals (see `build_cost/mod.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod build_cost;
#[path = "../../codegen/constraints.rs"]
#[allow(dead_code)]
mod constraints;
#[path = "../../codegen/generate.rs"]
mod generate;
mod lint;

const USAGE: &str = "usage: cargo xtask <regen|lint|check|bench [--quick] [--json] [--only request,verify,parse,redis]|build-cost [--rounds N] [--timings] [--only a,b,c,d,e]>";

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf();
    let command = std::env::args().nth(1);
    let rest: Vec<String> = std::env::args().skip(2).collect();
    match command.as_deref() {
        Some("bench") => exit(bench::run(&root, &rest)),
        Some("build-cost") => exit(build_cost::run(&root, &rest)),
        Some("regen") => exit(lint_specs(&root) && regen(&root)),
        Some("lint") => exit(lint_specs(&root)),
        Some("check") => {
            let linted = lint_specs(&root);
            exit(check(&root) && linted)
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn snapshot_path(root: &Path, platform: &generate::GeneratedClient) -> PathBuf {
    root.join("tests/snapshots")
        .join(format!("{}.rs", platform.name))
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs our spec rules over every platform's spec; prints each finding.
fn lint_specs(root: &Path) -> bool {
    let mut ok = true;
    for platform in generate::GENERATED_CLIENTS {
        let file = platform.spec_path();
        let findings = match std::fs::read_to_string(root.join(&file)) {
            Ok(text) => {
                let mut findings = lint::lint(&file, &text);
                findings.extend(unenforced_constraints(&file, &text));
                findings
            }
            Err(e) => vec![format!("{file}: cannot read: {e}")],
        };
        for finding in &findings {
            eprintln!("error: {finding}");
        }
        ok &= findings.is_empty();
    }
    ok
}

/// Every request-side constraint that the client's pre-send check (`src/client/validate/`, fed by
/// `codegen/constraints.rs`) would not enforce, and every `pattern` it cannot compile.
fn unenforced_constraints(file: &str, text: &str) -> Vec<String> {
    let found = match constraints::extract(text) {
        Ok(found) => found,
        Err(e) => return vec![format!("{file}: {e}")],
    };
    let mut findings: Vec<String> = found
        .unenforced
        .iter()
        .map(|what| format!("{file}: {what} before sending"))
        .collect();
    for (operation, rules) in &found.operations {
        for rule in rules {
            if let constraints::Check::Pattern(pattern) = &rule.check {
                if let Err(e) = regex_lite::Regex::new(pattern) {
                    findings.push(format!(
                        "{file}: {operation}: `{}`: pattern {pattern:?} is not regex-lite syntax: {e}",
                        rule.path.join(".")
                    ));
                }
            }
        }
    }
    findings
}

fn regen(root: &Path) -> bool {
    let mut ok = true;
    for platform in generate::GENERATED_CLIENTS {
        let path = snapshot_path(root, platform);
        match platform.generate_from(root) {
            Ok(code) => {
                let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == code);
                if unchanged {
                    println!("unchanged {}", path.display());
                } else if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent"))
                    .and_then(|()| std::fs::write(&path, code))
                {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    ok = false;
                } else {
                    println!("wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    ok
}

fn check(root: &Path) -> bool {
    let mut ok = true;
    for platform in generate::GENERATED_CLIENTS {
        let path = snapshot_path(root, platform);
        match platform.generate_from(root) {
            Ok(code) => match std::fs::read_to_string(&path) {
                Ok(old) if old == code => println!("fresh {}", path.display()),
                Ok(_) => {
                    eprintln!(
                        "error: {} is stale: {} changed; run `cargo xtask regen`",
                        path.display(),
                        platform.spec_path()
                    );
                    ok = false;
                }
                Err(e) => {
                    eprintln!(
                        "error: cannot read {}: {e}; run `cargo xtask regen`",
                        path.display()
                    );
                    ok = false;
                }
            },
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    ok
}

#[cfg(test)]
mod constraint_tests {
    use super::constraints::{extract, Check, Location};
    use super::unenforced_constraints;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, maxLength: 9}}
    post:
      operationId: make_thing
      parameters:
        - {$ref: '#/components/parameters/Limit'}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses: {'204': {description: ok}}
components:
  parameters:
    Limit: {name: limit, in: query, schema: {type: integer, minimum: 0, exclusiveMinimum: true}}
  schemas:
    Thing:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          properties:
            tags: {type: array, maxItems: 3, items: {type: string, pattern: '^[a-z]+$'}}
            hook: {type: string, format: uri, x-chathooks-require-https: true}
            child: {$ref: '#/components/schemas/Thing'}
            ratio: {type: number, multipleOf: 0.5}
            mail: {type: string, format: email}
    Base:
      type: object
      properties:
        name: {type: string, minLength: 1}
"#;

    #[test]
    fn refs_all_of_items_and_parameters_are_followed() {
        let found = extract(SPEC).unwrap();
        let (id, rules) = &found.operations[0];
        assert_eq!(id, "make_thing");
        let summary: Vec<(Location, String, Check)> = rules
            .iter()
            .map(|r| (r.location, r.path.join("."), r.check.clone()))
            .collect();
        assert!(summary.contains(&(
            Location::Query,
            "limit".into(),
            Check::Minimum {
                value: 0.0,
                exclusive: true
            }
        )));
        assert!(summary.contains(&(Location::Body, "name".into(), Check::MinLength(1))));
        assert!(summary.contains(&(Location::Body, "tags".into(), Check::MaxItems(3))));
        assert!(summary.contains(&(
            Location::Body,
            "tags.[]".into(),
            Check::Pattern("^[a-z]+$".into())
        )));
        assert!(summary.contains(&(Location::Body, "hook".into(), Check::HttpsUri)));
        // The recursive `child` is not walked forever; it is flagged instead.
        assert!(!summary.iter().any(|(_, path, _)| path.starts_with("child")));
        assert!(found
            .unenforced
            .iter()
            .any(|f| f.contains("`child`") && f.contains("recursive")));
    }

    #[test]
    fn constraints_the_checker_does_not_enforce_are_lint_findings() {
        let findings = unenforced_constraints("openapi/t.yaml", SPEC);
        let text = findings.join("\n");
        assert!(text.contains("`ratio`: `multipleOf`"), "{text}");
        assert!(text.contains("`mail`: `format: email`"), "{text}");
        assert!(text.contains("path parameter `id`"), "{text}");
        let broken = SPEC.replace("'^[a-z]+$'", "'(?<=a)b'");
        let findings = unenforced_constraints("openapi/t.yaml", &broken).join("\n");
        assert!(findings.contains("not regex-lite syntax"), "{findings}");
    }

    #[test]
    fn the_real_specs_have_nothing_unenforced() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for platform in super::generate::GENERATED_CLIENTS {
            let file = platform.spec_path();
            let text = std::fs::read_to_string(root.join(&file)).unwrap();
            assert_eq!(unenforced_constraints(&file, &text), Vec::<String>::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::generate::GENERATED_CLIENTS;

    #[test]
    fn a_broken_spec_is_an_error_naming_the_file_not_a_panic() {
        let platform = &GENERATED_CLIENTS[0];
        let missing_version = "openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n";
        let err = platform
            .generate("openapi/broken.yaml", missing_version)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("openapi/broken.yaml: "),
            "{err}"
        );
        assert!(err.to_string().contains("version"), "{err}");

        // progenitor asserts (panics) when one operation's error responses differ in schema.
        let two_error_schemas = r#"
openapi: 3.0.3
info: {title: x, version: '1'}
paths:
  /a:
    get:
      operationId: a
      responses:
        '204': {description: ok}
        '400': {description: e, content: {application/json: {schema: {type: string}}}}
        '500': {description: e, content: {application/json: {schema: {type: integer}}}}
"#;
        let err = platform
            .generate("openapi/two.yaml", two_error_schemas)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("openapi/two.yaml: progenitor"),
            "{err}"
        );
    }

    #[test]
    fn openapi_3_1_is_refused_with_a_reason() {
        let err = GENERATED_CLIENTS[1]
            .generate(
                "x.yaml",
                "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("3.1.0"), "{err}");
    }
}
