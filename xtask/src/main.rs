//! Repository chores:
//!
//! - `cargo xtask regen`: validate each spec and rewrite its committed snapshot of generated code;
//! - `cargo xtask lint`: our own rules for the specs (see `lint.rs`);
//! - `cargo xtask check`: `lint`, then fail when a snapshot is stale (CI runs this);
//! - `cargo xtask bench [--quick] [--json] [--only …]`: run the benchmarks of `benches/`, print the ratios
//!   with their goals (see `bench.rs`);
//! - `cargo xtask build-cost [--timings] [--only a,b,c,d]`: time clean builds of scratch consumer
//!   crates (see `build_cost.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod build_cost;
#[path = "../../codegen/generate.rs"]
mod generate;
mod lint;

const USAGE: &str = "usage: cargo xtask <regen|lint|check|bench [--quick] [--json] [--only request,verify,parse]|build-cost [--timings] [--only a,b,c,d]>";

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

fn snapshot_path(root: &Path, platform: &generate::Platform) -> PathBuf {
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
    for platform in generate::PLATFORMS {
        let file = platform.spec_path();
        let findings = match std::fs::read_to_string(root.join(&file)) {
            Ok(text) => lint::lint(&file, &text),
            Err(e) => vec![format!("{file}: cannot read: {e}")],
        };
        for finding in &findings {
            eprintln!("error: {finding}");
        }
        ok &= findings.is_empty();
    }
    ok
}

fn regen(root: &Path) -> bool {
    let mut ok = true;
    for platform in generate::PLATFORMS {
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
    for platform in generate::PLATFORMS {
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
mod tests {
    use super::generate::PLATFORMS;

    #[test]
    fn a_broken_spec_is_an_error_naming_the_file_not_a_panic() {
        let platform = &PLATFORMS[0];
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
        let err = PLATFORMS[1]
            .generate(
                "x.yaml",
                "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("3.1.0"), "{err}");
    }
}
