//! `cargo xtask build-cost [--timings] [--release] [--only a,b,c,d] [--keep]`: what chathooks
//! costs its users at build time, measured as clean builds of scratch consumer crates, each with
//! a fresh target directory, one after the other on this machine:
//!
//! - (a) a crate that depends on chathooks with its default features (both clients, rustls,
//!   receiving);
//! - (b) chathooks with only `webhooks` (receiving);
//! - (c) the floor for (a): a hand-written reqwest + serde client of the same 27 operations, with
//!   the same TLS backend (`build_cost/handwritten_client.rs`);
//! - (d) the floor for (b): hmac, sha2, hex, serde and serde_json only, with a hand-written
//!   verifier and event types (`build_cost/receiving_floor.rs`).
//!
//! chathooks is packaged first (`cargo package`), so the consumers build what a user downloads
//! from crates.io. Dependencies resolve to the versions in the workspace's `Cargo.lock`, and are
//! fetched before the clock starts. After (a), two more builds show what the build script costs
//! on rebuilds: a no-op rebuild and one after an edit to chathooks' `src/` must not run
//! `build.rs` again (they are timed too).
//!
//! `--timings` passes `--timings` to the clean builds and lists the slowest compilation units of
//! each from cargo's report. Goals (issue 12): (a) ≤ 1.15 × (c), (b) ≤ 1.10 × (d).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const HANDWRITTEN_CLIENT: &str = include_str!("build_cost/handwritten_client.rs");
const RECEIVING_FLOOR: &str = include_str!("build_cost/receiving_floor.rs");

/// Consumer (a) and (b)'s code: a few calls, so that the generic parts are instantiated.
const USES_CLIENTS: &str = r#"//! Consumer (a): chathooks with default features.
pub async fn touch(key: &str) -> chathooks::Result<()> {
    let kirim = chathooks::kirim::Client::new(key)?;
    let update = chathooks::kirim::UpdateWebhookSubscriptionRequest::new().url("https://example.com");
    kirim.update_webhook_subscription().id("wbs_1").body(update).send().await?;
    let legacy = chathooks::kapso::legacy::Client::new(key)?;
    let platform = chathooks::kapso::platform::Client::new(key)?;
    let _ = (legacy, platform);
    Ok(())
}
"#;

const USES_WEBHOOKS: &str = r#"//! Consumer (b): chathooks with only `webhooks`.
use chathooks::webhooks::{kapso, kirim};

pub fn kirim_event(secret: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<kirim::Event, chathooks::webhooks::Error> {
    let delivery = kirim::Verifier::new([secret])?.verify(headers, body)?;
    kirim::parse(&delivery, body)
}

pub fn kapso_events(secret: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<kapso::Payload, chathooks::webhooks::Error> {
    let delivery = kapso::Verifier::new([secret])?.verify(headers, body)?;
    kapso::parse(&delivery, body)
}
"#;

struct Consumer {
    key: char,
    name: &'static str,
    dependencies: String,
    source: &'static str,
}

fn consumers(chathooks: &Path) -> Vec<Consumer> {
    let path = chathooks.display().to_string().replace('\\', "/");
    vec![
        Consumer {
            key: 'a',
            name: "chathooks, default features",
            dependencies: format!("chathooks = {{ path = \"{path}\" }}\n"),
            source: USES_CLIENTS,
        },
        Consumer {
            key: 'b',
            name: "chathooks, only `webhooks`",
            dependencies: format!(
                "chathooks = {{ path = \"{path}\", default-features = false, features = [\"webhooks\"] }}\n"
            ),
            source: USES_WEBHOOKS,
        },
        Consumer {
            key: 'c',
            name: "hand-written reqwest + serde client (floor for a)",
            dependencies: concat!(
                "reqwest = { version = \"0.13\", default-features = false, features = [\"json\", \"query\", \"rustls\"] }\n",
                "serde = { version = \"1\", features = [\"derive\"] }\n",
                "serde_json = \"1\"\n",
                "chrono = { version = \"0.4\", default-features = false, features = [\"serde\", \"std\"] }\n",
            )
            .into(),
            source: HANDWRITTEN_CLIENT,
        },
        Consumer {
            key: 'd',
            name: "hmac + sha2 + hex + serde + serde_json (floor for b)",
            dependencies: concat!(
                "hmac = \"0.12\"\n",
                "sha2 = \"0.10\"\n",
                "hex = \"0.4\"\n",
                "serde = { version = \"1\", features = [\"derive\"] }\n",
                "serde_json = \"1\"\n",
            )
            .into(),
            source: RECEIVING_FLOOR,
        },
    ]
}

struct Options {
    timings: bool,
    release: bool,
    keep: bool,
    only: Vec<char>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        timings: false,
        release: false,
        keep: false,
        only: vec!['a', 'b', 'c', 'd'],
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--timings" => options.timings = true,
            "--release" => options.release = true,
            "--keep" => options.keep = true,
            "--only" => {
                let list = args.next().ok_or("--only needs a list, e.g. --only b,d")?;
                options.only = list
                    .split(',')
                    .map(|s| match s.trim() {
                        k @ ("a" | "b" | "c" | "d") => Ok(k.chars().next().unwrap_or('a')),
                        other => Err(format!("--only: unknown consumer {other:?}")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// What one consumer's builds gave.
struct Measured {
    key: char,
    name: &'static str,
    clean: Duration,
    units: usize,
    slowest: Vec<(String, f64)>,
    forbidden: Vec<String>,
}

/// Entry point; returns whether every build succeeded and the build script did not rerun.
pub fn run(root: &Path, args: &[String]) -> bool {
    let options = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\nusage: cargo xtask build-cost [--timings] [--release] [--only a,b,c,d] [--keep]");
            return false;
        }
    };
    match measure(root, &options) {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

fn measure(root: &Path, options: &Options) -> Result<bool, String> {
    let scratch = std::env::temp_dir().join(format!("chathooks-build-cost-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    eprintln!("scratch directory: {}", scratch.display());
    let chathooks = package(root, &scratch)?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| e.to_string())?;

    let mut measured = Vec::new();
    let mut rebuilds = None;
    let mut ok = true;
    for consumer in consumers(&chathooks) {
        if !options.only.contains(&consumer.key) {
            continue;
        }
        let dir = scratch.join(format!("consumer-{}", consumer.key));
        write_consumer(&dir, &consumer, &lock)?;
        // Fetch outside the clock.
        cargo(&dir, &["fetch"])?;
        let mut build_args = vec!["build", "--offline"];
        if options.release {
            build_args.push("--release");
        }
        if options.timings {
            build_args.push("--timings");
        }
        eprintln!("({}) clean build: {}", consumer.key, consumer.name);
        let (clean, output) = timed(&dir, &build_args)?;
        let units = output.matches("Compiling ").count();
        eprintln!(
            "({}) {:.1} s, {units} crates compiled",
            consumer.key,
            clean.as_secs_f64()
        );
        let slowest = if options.timings {
            slowest_units(&dir.join("target/cargo-timings/cargo-timing.html")).unwrap_or_else(|e| {
                eprintln!("warning: cannot read the timings report: {e}");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let forbidden = if consumer.key == 'b' {
            forbidden_crates(&output)
        } else {
            Vec::new()
        };
        ok &= forbidden.is_empty();
        if consumer.key == 'a' {
            let result = rebuild_checks(&dir, &chathooks, options.release)?;
            ok &= result.noop_ran_build_script.is_none() && result.edit_ran_build_script.is_none();
            rebuilds = Some(result);
        }
        measured.push(Measured {
            key: consumer.key,
            name: consumer.name,
            clean,
            units,
            slowest,
            forbidden,
        });
    }
    print!("{}", report(&measured, rebuilds.as_ref(), options));
    if !options.keep {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(ok)
}

/// `cargo package` chathooks (what crates.io would serve) and unpack it into `scratch`.
fn package(root: &Path, scratch: &Path) -> Result<PathBuf, String> {
    let target = scratch.join("package-target");
    let target_arg = target.display().to_string();
    cargo(
        root,
        &[
            "package",
            "-p",
            "chathooks",
            "--no-verify",
            "--allow-dirty",
            "--offline",
            "--target-dir",
            &target_arg,
        ],
    )?;
    let crate_file = std::fs::read_dir(target.join("package"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "crate"))
        .ok_or("cargo package made no .crate")?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&crate_file)
        .arg("-C")
        .arg(scratch)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar failed on {}", crate_file.display()));
    }
    let name = crate_file
        .file_stem()
        .ok_or("a crate file name")?
        .to_owned();
    Ok(scratch.join(name))
}

fn write_consumer(dir: &Path, consumer: &Consumer, lock: &str) -> Result<(), String> {
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().unwrap_or(dir))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write(
        dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"consumer-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{}\n[workspace]\n",
            consumer.key, consumer.dependencies
        ),
    )?;
    // The workspace's lock: the same dependency versions as chathooks is tested with.
    write(dir.join("Cargo.lock"), lock)?;
    write(dir.join("src/lib.rs"), consumer.source)
}

/// Runs cargo in `dir` with its own target directory; returns stderr (cargo's progress).
fn cargo(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(format!(
            "cargo {} in {} failed:\n{stderr}",
            args.join(" "),
            dir.display()
        ));
    }
    Ok(stderr)
}

fn timed(dir: &Path, args: &[&str]) -> Result<(Duration, String), String> {
    let start = Instant::now();
    let output = cargo(dir, args)?;
    Ok((start.elapsed(), output))
}

/// Crates that receiving alone must not compile.
fn forbidden_crates(build_output: &str) -> Vec<String> {
    build_output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Compiling "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| {
            matches!(
                *name,
                "reqwest" | "tokio" | "hyper" | "progenitor" | "progenitor-client" | "typify"
            )
        })
        .map(str::to_owned)
        .collect()
}

struct Rebuilds {
    noop: Duration,
    noop_ran_build_script: Option<String>,
    edit: Duration,
    edit_ran_build_script: Option<String>,
    edit_recompiled_chathooks: bool,
}

/// The verbose cargo line that runs chathooks' build script, if any.
fn build_script_run(verbose_output: &str) -> Option<String> {
    verbose_output
        .lines()
        .find(|l| {
            l.contains("Running `")
                && l.contains("/build/chathooks-")
                && l.trim_end().ends_with("build-script-build`")
        })
        .map(|l| l.trim().chars().take(200).collect())
}

fn rebuild_checks(dir: &Path, chathooks: &Path, release: bool) -> Result<Rebuilds, String> {
    let mut args = vec!["build", "--offline", "-v"];
    if release {
        args.push("--release");
    }
    eprintln!("(a) no-op rebuild");
    let (noop, output) = timed(dir, &args)?;
    let noop_ran_build_script = build_script_run(&output);

    eprintln!("(a) rebuild after an edit to chathooks' src/lib.rs");
    let lib = chathooks.join("src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    text.push_str("\n// edited by cargo xtask build-cost\n");
    std::fs::write(&lib, text).map_err(|e| format!("{}: {e}", lib.display()))?;
    let (edit, output) = timed(dir, &args)?;
    let edit_recompiled_chathooks = output
        .lines()
        .any(|l| l.contains("Compiling chathooks") || l.contains("Dirty chathooks"));
    Ok(Rebuilds {
        noop,
        noop_ran_build_script,
        edit,
        edit_ran_build_script: build_script_run(&output),
        edit_recompiled_chathooks,
    })
}

/// The ten slowest units of a `cargo build --timings` report (name and seconds), read from the
/// `UNIT_DATA` array the HTML report embeds.
fn slowest_units(report: &Path) -> Result<Vec<(String, f64)>, String> {
    let html = std::fs::read_to_string(report).map_err(|e| format!("{}: {e}", report.display()))?;
    let start = html
        .find("const UNIT_DATA = ")
        .ok_or("no UNIT_DATA in the report")?
        + "const UNIT_DATA = ".len();
    let end = html[start..].find(";\n").ok_or("UNIT_DATA does not end")? + start;
    let units: serde_json::Value =
        serde_json::from_str(&html[start..end]).map_err(|e| format!("UNIT_DATA: {e}"))?;
    let mut out: Vec<(String, f64)> = units
        .as_array()
        .ok_or("UNIT_DATA is not an array")?
        .iter()
        .filter_map(|u| {
            let name = u["name"].as_str()?;
            let version = u["version"].as_str().unwrap_or("");
            let target = u["target"].as_str().unwrap_or("");
            Some((format!("{name} {version}{target}"), u["duration"].as_f64()?))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out.truncate(10);
    Ok(out)
}

fn report(measured: &[Measured], rebuilds: Option<&Rebuilds>, options: &Options) -> String {
    let mut s = String::new();
    let profile = if options.release { "release" } else { "dev" };
    s.push_str(&format!(
        "\nClean builds ({profile} profile), each with a fresh target directory, one after the other:\n\n"
    ));
    s.push_str("| consumer | what | wall time | crates compiled |\n|---|---|---:|---:|\n");
    for m in measured {
        s.push_str(&format!(
            "| ({}) | {} | {:.1} s | {} |\n",
            m.key,
            m.name,
            m.clean.as_secs_f64(),
            m.units
        ));
    }
    let time = |k: char| measured.iter().find(|m| m.key == k).map(|m| m.clean);
    let mut ratios = Vec::new();
    if let (Some(a), Some(c)) = (time('a'), time('c')) {
        ratios.push(("build.default_vs_handwritten (a/c)", a, c, 1.15));
    }
    if let (Some(b), Some(d)) = (time('b'), time('d')) {
        ratios.push(("build.webhooks_vs_floor (b/d)", b, d, 1.10));
    }
    if !ratios.is_empty() {
        s.push_str("\n| ratio | value | goal | met |\n|---|---:|---|---|\n");
        for (name, num, den, goal) in ratios {
            let r = num.as_secs_f64() / den.as_secs_f64();
            s.push_str(&format!(
                "| {name} | {r:.2} | ≤ {goal:.2} | {} |\n",
                if r <= goal { "yes" } else { "**no**" }
            ));
        }
    }
    for m in measured {
        if m.key == 'b' {
            s.push_str(&if m.forbidden.is_empty() {
                "\n(b) compiled none of reqwest, tokio, hyper, progenitor, typify.\n".to_owned()
            } else {
                format!(
                    "\n(b) compiled **{}**, which receiving alone must not.\n",
                    m.forbidden.join(", ")
                )
            });
        }
    }
    if let Some(r) = rebuilds {
        let says = |ran: &Option<String>| match ran {
            None => "build.rs not rerun".to_owned(),
            Some(line) => format!("**build.rs reran**: {line}"),
        };
        s.push_str(&format!(
            "\nRebuilds of (a): no-op {:.2} s ({}); after an edit to chathooks' src/lib.rs {:.1} s ({}; chathooks recompiled: {}).\n",
            r.noop.as_secs_f64(),
            says(&r.noop_ran_build_script),
            r.edit.as_secs_f64(),
            says(&r.edit_ran_build_script),
            if r.edit_recompiled_chathooks { "yes" } else { "no" },
        ));
    }
    for m in measured.iter().filter(|m| !m.slowest.is_empty()) {
        s.push_str(&format!(
            "\nSlowest units of ({}), from `--timings`:\n\n",
            m.key
        ));
        for (name, secs) in &m.slowest {
            s.push_str(&format!("- {name}: {secs:.1} s\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_script_run_is_found_in_verbose_output() {
        let ran = "       Fresh serde v1.0.228\n     Running `CARGO=/usr/bin/cargo /tmp/x/target/debug/build/chathooks-0a1b2c/build-script-build`\n   Compiling chathooks v0.1.0";
        assert!(build_script_run(ran).is_some());
        let compiled_only = "     Running `rustc --crate-name build_script_build --edition=2021 /tmp/chathooks-0.1.0/build.rs`\n       Fresh chathooks v0.1.0";
        assert!(build_script_run(compiled_only).is_none());
        let other = "     Running `/tmp/x/target/debug/build/serde-0a1b2c/build-script-build`";
        assert!(build_script_run(other).is_none());
    }

    #[test]
    fn forbidden_crates_are_named() {
        let out = "   Compiling serde v1.0.228\n   Compiling tokio v1.54.1\n   Compiling hmac v0.12.1\n   Compiling reqwest v0.13.5";
        assert_eq!(forbidden_crates(out), ["tokio", "reqwest"]);
        assert!(forbidden_crates("   Compiling tokio-macros v2.0.0").is_empty());
    }

    #[test]
    fn arguments_are_checked() {
        let o = parse_args(&["--only".into(), "b,d".into(), "--timings".into()]).unwrap();
        assert_eq!(o.only, ['b', 'd']);
        assert!(o.timings);
        assert!(parse_args(&["--only".into(), "e".into()]).is_err());
        assert!(parse_args(&["--fast".into()]).is_err());
    }
}
