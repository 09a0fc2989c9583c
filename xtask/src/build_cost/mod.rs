//! `cargo xtask build-cost [--rounds N] [--timings] [--release] [--only a,b,c,d,e] [--keep]`: what
//! chathooks costs its users at build time, measured as clean builds of scratch consumer crates,
//! each with a fresh target directory, one after the other on this machine:
//!
//! - (a) a crate that depends on chathooks with its default features (both clients, rustls,
//!   receiving);
//! - (b) chathooks with only `webhooks` (receiving);
//! - (c) the floor for (a): a hand-written reqwest + serde client of the same 27 operations, with
//!   the same TLS backend (`build_cost/handwritten_client.rs`);
//! - (d) the floor for (b): hmac, sha2, hex, serde and serde_json only, with a hand-written
//!   verifier and event types (`build_cost/receiving_floor.rs`);
//! - (e) the design's own floor for (a): bare progenitor, i.e. the same three specs through
//!   progenitor's documented `build.rs` recipe, with the same TLS backend and YAML parser and
//!   nothing of chathooks' (`build_cost/bare_progenitor/`).
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
//! each (first round) from cargo's report. Goals, each printed as met or not met (`report.rs`):
//! (a) ≤ 1.15 × (c) and (b) ≤ 1.10 × (d) (issue 12), (a) ≤ 1.05 × (e) (issue 20).
//!
//! The files: `consumers.rs` (the scratch crates), `builds.rs` (running and timing cargo, the
//! rebuild checks), `report.rs` (the goals and the report).

/// (e)'s build script, compiled in tests so that the recipe is checked against the real specs.
#[cfg(test)]
#[allow(dead_code)]
#[path = "bare_progenitor/build.rs"]
mod bare_progenitor_build;
mod builds;
mod consumers;
mod report;

use std::path::Path;

use builds::{cargo, forbidden_crates, rebuild_checks, slowest_units, timed};
use consumers::{consumers, package, write_consumer, Consumer, KEYS};
use report::{report, Measured};

const USAGE: &str =
    "usage: cargo xtask build-cost [--rounds N] [--timings] [--release] [--only a,b,c,d,e] [--keep]";

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
        only: KEYS.to_vec(),
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
                    .map(|s| {
                        let s = s.trim();
                        let mut chars = s.chars();
                        match (chars.next(), chars.next()) {
                            (Some(k), None) if KEYS.contains(&k) => Ok(k),
                            _ => Err(format!("--only: unknown consumer {s:?}")),
                        }
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// Entry point; returns whether every build succeeded and the build script did not rerun.
pub fn run(root: &Path, args: &[String]) -> bool {
    let options = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
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
        write_consumer(&dir, consumer, &lock, &chathooks)?;
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
    print!(
        "{}",
        report(
            &measured,
            rebuilds.as_ref(),
            options.rounds,
            options.release
        )
    );
    if !options.keep {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked() {
        let o = parse_args(&["--only".into(), "b,d".into(), "--timings".into()]).unwrap();
        assert_eq!(o.only, ['b', 'd']);
        assert!(o.timings);
        assert_eq!(
            parse_args(&["--only".into(), "a,e".into()]).unwrap().only,
            ['a', 'e']
        );
        assert!(parse_args(&["--only".into(), "f".into()]).is_err());
        assert!(parse_args(&["--only".into(), "ae".into()]).is_err());
        assert!(parse_args(&["--fast".into()]).is_err());
        assert_eq!(o.rounds, 3);
        assert_eq!(
            parse_args(&["--rounds".into(), "1".into()]).unwrap().rounds,
            1
        );
        assert!(parse_args(&["--rounds".into(), "0".into()]).is_err());
        assert_eq!(parse_args(&[]).unwrap().only, ['a', 'b', 'c', 'd', 'e']);
    }
}
