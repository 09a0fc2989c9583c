//! `cargo xtask bench [--quick] [--json]`: runs the criterion benchmarks of `benches/` and prints
//! one table of ratios, each with its goal (from issue 12). Ratios, not absolute times, are the
//! headline: each compares two contenders measured in the same run on the same machine.
//!
//! The benchmarks run in several rounds (3, or 2 with `--quick`); every other round runs the
//! contenders of each comparison in reverse order (`CHATHOOKS_BENCH_REVERSE=1`), so that a drift
//! in the machine's load does not always favour the same side. Each ratio is computed within a
//! round (both medians from the same round) and the table shows the median over the rounds, with
//! every round's value beside it.
//!
//! - `--quick`: 2 short rounds (0.2 s warm-up, 0.8 s measurement, 10 samples); under 3 minutes on
//!   2 cores once built.
//! - `--only request,verify,parse,redis`: run only these benchmark targets (and their lines);
//!   `redis` is receiving at scale (issue 15; `benches/src/bin/receiving_at_scale.rs`, against a
//!   `redis-server` started on a free 127.0.0.1 port): p50/p99 of one `SET NX`, a dedupe claim,
//!   claim + complete, an inbox append; one worker's drain rate; the inbox soak's duration. Its
//!   goals: an append within 2 × one `SET NX` (p50), at least 10,000 entries/s drained by one
//!   worker with a no-op handler, the soak under a minute;
//! - `--json`: print `{"name": {"ratio": r, "goal": "≤ 1.05", ...}, ...}` on stdout instead of the
//!   table (criterion's own output goes to stderr).
//!
//! Criterion writes to `target/criterion-xtask/round-N/`, emptied before each run.
//!
//! Layout: this file (the arguments and the run), `goals.rs` (what is compared, and each goal),
//! `rounds.rs` (criterion's rounds: run, read, combine), `receiving_at_scale.rs` (the Redis
//! measurements), `report.rs` (the table, the goal lines, the JSON).

use std::path::Path;

mod goals;
mod receiving_at_scale;
mod report;
mod rounds;

use goals::redis_goals;
use receiving_at_scale::receiving_at_scale;
pub(crate) use rounds::median;
use rounds::run_rounds;

const USAGE: &str =
    "usage: cargo xtask bench [--quick] [--json] [--only request,verify,parse,redis]";

/// The benchmark targets of `benches/Cargo.toml`.
const BENCH_TARGETS: [&str; 3] = ["request", "verify", "parse"];

/// Entry point: returns whether the benchmarks ran and every ratio could be computed (pending
/// ones aside). Missed goals do not fail the command: the numbers are noisy on shared machines.
pub fn run(root: &Path, args: &[String]) -> bool {
    let mut quick = false;
    let mut json = false;
    let mut targets: Vec<&str> = BENCH_TARGETS.to_vec();
    let mut redis = true;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--json" => json = true,
            "--only" => {
                let list = args.next().map(String::as_str).unwrap_or_default();
                targets = BENCH_TARGETS
                    .into_iter()
                    .filter(|t| list.split(',').any(|l| l.trim() == *t))
                    .collect();
                redis = list.split(',').any(|l| l.trim() == "redis");
                if targets.is_empty() && !redis {
                    eprintln!(
                        "error: --only takes some of {},redis",
                        BENCH_TARGETS.join(",")
                    );
                    return false;
                }
            }
            other => {
                eprintln!("error: unknown argument {other}; {USAGE}");
                return false;
            }
        }
    }
    let Some(ratios) = run_rounds(root, &targets, quick, json) else {
        return false;
    };
    let redis_report = match redis {
        true => match receiving_at_scale(root, quick) {
            Ok(report) => Some(report),
            Err(e) => {
                eprintln!("error: the Redis measurements: {e}");
                return false;
            }
        },
        false => None,
    };
    let goals = redis_report.as_ref().map(redis_goals).unwrap_or_default();
    if json {
        println!("{}", report::json(&ratios, redis_report.as_ref(), &goals));
    } else {
        print!(
            "{}",
            report::text(&ratios, redis_report.as_ref(), &goals, quick)
        );
    }
    ratios
        .iter()
        .chain(&goals)
        .all(|r| r.value.is_ok() || r.value.as_ref().is_err_and(|e| e.starts_with("pending")))
}
