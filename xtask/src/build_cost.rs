//! `cargo xtask build-cost [--rounds N] [--timings] [--release] [--only a,b,c,d] [--keep]`: what chathooks
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
//! Each consumer is built `--rounds N` times (3 by default), every other round in reverse order,
//! each time from an empty target directory; the report gives the median wall time (the goal's
//! measure), each round's, and the median CPU time (user + system of cargo and the compilers it
//! ran), which a busy machine disturbs less than wall time.
//!
//! `--timings` passes `--timings` to the clean builds and lists the slowest compilation units of
//! each (first round) from cargo's report. Goals (issue 12): (a) ≤ 1.15 × (c), (b) ≤ 1.10 × (d).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::bench::median;

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
    rounds: usize,
    timings: bool,
    release: bool,
    keep: bool,
    only: Vec<char>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        rounds: 3,
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
            "--rounds" => {
                options.rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--rounds needs a count of at least 1")?;
            }
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

impl Measured {
    /// Median wall time over the rounds, in seconds.
    fn wall(&self) -> Option<f64> {
        median(self.clean.iter().map(|t| t.wall.as_secs_f64()).collect())
    }

    /// Median CPU time over the rounds, in seconds, when known for every round.
    fn cpu(&self) -> Option<f64> {
        let cpu: Option<Vec<f64>> = self
            .clean
            .iter()
            .map(|t| t.cpu.map(|c| c.as_secs_f64()))
            .collect();
        median(cpu?)
    }
}

/// How long one build took: wall-clock time, and the CPU time (user + system) of cargo and
/// everything it ran, when the platform tells (Linux: `/proc/self/stat`).
#[derive(Clone, Copy, Debug)]
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

/// The CPU time (user + system) of this process's waited-for children so far, from
/// `/proc/self/stat` (fields `cutime` and `cstime`, in clock ticks of 1/100 s on Linux).
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); cutime and cstime are fields 16 and 17.
    let cutime: u64 = fields.get(13)?.parse().ok()?;
    let cstime: u64 = fields.get(14)?.parse().ok()?;
    Some(Duration::from_millis((cutime + cstime) * 10))
}

/// What one consumer's builds gave.
struct Measured {
    key: char,
    name: &'static str,
    /// One per round.
    clean: Vec<Timing>,
    units: usize,
    slowest: Vec<(String, f64)>,
    forbidden: Vec<String>,
}

/// Entry point; returns whether every build succeeded and the build script did not rerun.
pub fn run(root: &Path, args: &[String]) -> bool {
    let options = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\nusage: cargo xtask build-cost [--rounds N] [--timings] [--release] [--only a,b,c,d] [--keep]");
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

    let selected: Vec<Consumer> = consumers(&chathooks)
        .into_iter()
        .filter(|c| options.only.contains(&c.key))
        .collect();
    for consumer in &selected {
        let dir = scratch.join(format!("consumer-{}", consumer.key));
        write_consumer(&dir, consumer, &lock)?;
        // Fetch outside the clock.
        cargo(&dir, &["fetch"])?;
    }
    let mut build_args = vec!["build", "--offline"];
    if options.release {
        build_args.push("--release");
    }
    if options.timings {
        build_args.push("--timings");
    }

    let mut measured: Vec<Measured> = selected
        .iter()
        .map(|c| Measured {
            key: c.key,
            name: c.name,
            clean: Vec::new(),
            units: 0,
            slowest: Vec::new(),
            forbidden: Vec::new(),
        })
        .collect();
    let mut rebuilds = None;
    let mut ok = true;
    for round in 0..options.rounds {
        // Every other round builds the consumers in reverse order.
        let order: Vec<usize> = if round % 2 == 0 {
            (0..selected.len()).collect()
        } else {
            (0..selected.len()).rev().collect()
        };
        for i in order {
            let consumer = &selected[i];
            let dir = scratch.join(format!("consumer-{}", consumer.key));
            let _ = std::fs::remove_dir_all(dir.join("target"));
            eprintln!(
                "round {}/{}: ({}) clean build: {}",
                round + 1,
                options.rounds,
                consumer.key,
                consumer.name
            );
            let (clean, output) = timed(&dir, &build_args)?;
            let m = &mut measured[i];
            m.units = output.matches("Compiling ").count();
            eprintln!(
                "({}) {:.1} s wall, {:.1} s CPU, {} crates compiled",
                consumer.key,
                clean.wall.as_secs_f64(),
                clean.cpu.map_or(f64::NAN, |c| c.as_secs_f64()),
                m.units
            );
            m.clean.push(clean);
            if options.timings {
                match slowest_units(&dir.join("target/cargo-timings/cargo-timing.html")) {
                    Ok(slowest) if round == 0 => m.slowest = slowest,
                    Ok(_) => {}
                    Err(e) => eprintln!("warning: cannot read the timings report: {e}"),
                }
            }
            if consumer.key == 'b' {
                m.forbidden = forbidden_crates(&output);
                ok &= m.forbidden.is_empty();
            }
            if consumer.key == 'a' && rebuilds.is_none() {
                let result = rebuild_checks(&dir, &chathooks, options.release)?;
                ok &= result.noop_ran_build_script.is_none()
                    && result.edit_ran_build_script.is_none();
                rebuilds = Some(result);
            }
        }
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

fn timed(dir: &Path, args: &[&str]) -> Result<(Timing, String), String> {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let output = cargo(dir, args)?;
    let wall = start.elapsed();
    let cpu = match (cpu_before, children_cpu()) {
        (Some(before), Some(after)) => after.checked_sub(before),
        _ => None,
    };
    Ok((Timing { wall, cpu }, output))
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
    let noop = noop.wall;
    let noop_ran_build_script = build_script_run(&output);

    eprintln!("(a) rebuild after an edit to chathooks' src/lib.rs");
    let lib = chathooks.join("src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    text.push_str("\n// edited by cargo xtask build-cost\n");
    std::fs::write(&lib, text).map_err(|e| format!("{}: {e}", lib.display()))?;
    let (edit, output) = timed(dir, &args)?;
    let edit = edit.wall;
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
    s.push_str(&format!(
        "{} round(s), every other one in reverse order; times are medians over the rounds.\n\n",
        options.rounds
    ));
    s.push_str("| consumer | what | wall time | each round | CPU time | crates compiled |\n|---|---|---:|---|---:|---:|\n");
    for m in measured {
        let rounds: Vec<String> = m
            .clean
            .iter()
            .map(|t| format!("{:.1}", t.wall.as_secs_f64()))
            .collect();
        s.push_str(&format!(
            "| ({}) | {} | {:.1} s | {} | {} | {} |\n",
            m.key,
            m.name,
            m.wall().unwrap_or(f64::NAN),
            rounds.join(" "),
            m.cpu().map_or("—".to_owned(), |c| format!("{c:.1} s")),
            m.units
        ));
    }
    let find = |k: char| measured.iter().find(|m| m.key == k);
    let mut ratios = Vec::new();
    if let (Some(a), Some(c)) = (find('a'), find('c')) {
        ratios.push(("build.default_vs_handwritten (a/c)", a, c, 1.15));
    }
    if let (Some(b), Some(d)) = (find('b'), find('d')) {
        ratios.push(("build.webhooks_vs_floor (b/d)", b, d, 1.10));
    }
    if !ratios.is_empty() {
        s.push_str("\n| ratio | wall (goal) | goal | met | each round | CPU time ratio |\n|---|---:|---|---|---|---:|\n");
        for (name, num, den, goal) in ratios {
            let (Some(n), Some(d)) = (num.wall(), den.wall()) else {
                continue;
            };
            let r = n / d;
            let per_round: Vec<String> = num
                .clean
                .iter()
                .zip(&den.clean)
                .map(|(x, y)| format!("{:.2}", x.wall.as_secs_f64() / y.wall.as_secs_f64()))
                .collect();
            let cpu = match (num.cpu(), den.cpu()) {
                (Some(x), Some(y)) => format!("{:.2}", x / y),
                _ => "—".into(),
            };
            s.push_str(&format!(
                "| {name} | {r:.2} | ≤ {goal:.2} | {} | {} | {cpu} |\n",
                if r <= goal { "yes" } else { "**no**" },
                per_round.join(" ")
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
    fn medians_and_cpu_times() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![]), None);
        let m = Measured {
            key: 'a',
            name: "x",
            clean: vec![
                Timing {
                    wall: Duration::from_secs(10),
                    cpu: Some(Duration::from_secs(15)),
                },
                Timing {
                    wall: Duration::from_secs(30),
                    cpu: None,
                },
                Timing {
                    wall: Duration::from_secs(20),
                    cpu: Some(Duration::from_secs(25)),
                },
            ],
            units: 1,
            slowest: Vec::new(),
            forbidden: Vec::new(),
        };
        assert_eq!(m.wall(), Some(20.0));
        assert_eq!(m.cpu(), None, "unknown in one round");
        if cfg!(target_os = "linux") {
            assert!(children_cpu().is_some());
        }
    }

    #[test]
    fn arguments_are_checked() {
        let o = parse_args(&["--only".into(), "b,d".into(), "--timings".into()]).unwrap();
        assert_eq!(o.only, ['b', 'd']);
        assert!(o.timings);
        assert!(parse_args(&["--only".into(), "e".into()]).is_err());
        assert!(parse_args(&["--fast".into()]).is_err());
        assert_eq!(o.rounds, 3);
        assert_eq!(
            parse_args(&["--rounds".into(), "1".into()]).unwrap().rounds,
            1
        );
        assert!(parse_args(&["--rounds".into(), "0".into()]).is_err());
    }
}
