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

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const USAGE: &str =
    "usage: cargo xtask bench [--quick] [--json] [--only request,verify,parse,redis]";

/// The benchmark targets of `benches/Cargo.toml`.
const BENCH_TARGETS: [&str; 3] = ["request", "verify", "parse"];

/// Body sizes and secret counts, as in `benches/src/inputs.rs`.
const SIZES: [&str; 2] = ["1KiB", "256KiB"];
const SECRET_COUNTS: [u32; 3] = [1, 2, 4];
const PARSE_INPUTS: [&str; 5] = [
    "meta_message_received",
    "meta_media",
    "meta_statuses",
    "kirim_envelope",
    "kapso_batch50",
];

/// What a ratio must be to meet its goal.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// `ratio ≤ x`.
    AtMost(f64),
    /// `ratio ≥ x`.
    AtLeast(f64),
    /// `ratio < x` (strictly: "faster than").
    Below(f64),
    /// No goal: shown for information.
    Info,
}

impl Goal {
    fn met(self, ratio: f64) -> Option<bool> {
        match self {
            Goal::AtMost(x) => Some(ratio <= x),
            Goal::AtLeast(x) => Some(ratio >= x),
            Goal::Below(x) => Some(ratio < x),
            Goal::Info => None,
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goal::AtMost(x) => write!(f, "≤ {x:.2}"),
            Goal::AtLeast(x) => write!(f, "≥ {x:.2}"),
            Goal::Below(x) => write!(f, "< {x:.2}"),
            Goal::Info => write!(f, "info"),
        }
    }
}

/// One line of the table: `numerator / denominator` of two benchmarks' medians.
#[derive(Debug)]
pub struct Ratio {
    /// Stable name, e.g. `request.latency`.
    pub name: String,
    /// The ratio, or why there is none.
    pub value: Result<f64, String>,
    /// Its goal.
    pub goal: Goal,
    /// What is divided by what, in words.
    pub what: String,
    /// The two medians (ns), numerator first (the median over rounds of each).
    pub medians: Option<(f64, f64)>,
    /// The ratio in each round.
    pub rounds: Vec<f64>,
}

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
    let home = target_dir(root).join("criterion-xtask");
    let _ = std::fs::remove_dir_all(&home);
    let rounds = if quick || targets.is_empty() { 2 } else { 3 };
    let rounds = if targets.is_empty() { 0 } else { rounds };
    let mut per_round = Vec::new();
    for round in 0..rounds {
        let round_home = home.join(format!("round-{round}"));
        let reverse = round % 2 == 1;
        eprintln!(
            "== round {} of {rounds}{}",
            round + 1,
            if reverse {
                " (contenders in reverse order)"
            } else {
                ""
            }
        );
        if !run_round(root, &round_home, &targets, quick, json, reverse) {
            return false;
        }
        match read_medians(&round_home) {
            Ok(m) => per_round.push(
                ratios(&m)
                    .into_iter()
                    .filter(|r| targets.iter().any(|t| r.name.starts_with(&format!("{t}."))))
                    .collect(),
            ),
            Err(e) => {
                eprintln!(
                    "error: reading criterion's results in {}: {e}",
                    round_home.display()
                );
                return false;
            }
        }
    }
    let ratios = combine(per_round);
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
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&to_json(&ratios)).unwrap_or_default();
        if let Some(serde_json::Value::Object(report)) = &redis_report {
            object.extend(report.clone());
        }
        if let Ok(serde_json::Value::Object(goals)) = serde_json::from_str(&to_json(&goals)) {
            object.extend(goals);
        }
        let object = serde_json::Value::Object(object);
        println!(
            "{}",
            serde_json::to_string_pretty(&object).unwrap_or_default()
        );
    } else {
        if !ratios.is_empty() {
            print!("{}", table(&ratios, quick));
        }
        if let Some(serde_json::Value::Object(report)) = &redis_report {
            println!("\nReceiving at scale on 127.0.0.1 (round trips from one task):");
            for (name, v) in report.iter().filter(|(_, v)| v.get("p50_us").is_some()) {
                let us = |field: &str| v[field].as_f64().unwrap_or(f64::NAN);
                println!(
                    "  {name:<30} p50 {:>7.1} µs   p99 {:>7.1} µs   (n = {})",
                    us("p50_us"),
                    us("p99_us"),
                    v["n"]
                );
            }
            print!("{}", goal_lines(&goals));
        }
    }
    ratios
        .iter()
        .chain(&goals)
        .all(|r| r.value.is_ok() || r.value.as_ref().is_err_and(|e| e.starts_with("pending")))
}

/// Runs `benches/src/bin/receiving_at_scale.rs` (release) and returns its JSON report
/// (`{"redis.set_nx": {"p50_us", "p99_us", "n"}, …, "redis.worker_drain": {"entries_per_sec",
/// "n"}, "redis.soak": {"secs", …}}`).
fn receiving_at_scale(root: &Path, quick: bool) -> Result<serde_json::Value, String> {
    let (n, drain) = if quick {
        ("1000", "10000")
    } else {
        ("5000", "20000")
    };
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["run", "--release", "-q", "-p", "chathooks-benches"])
        .args(["--bin", "receiving_at_scale", "--", "--json"])
        .args(["--n", n, "--drain", drain])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("receiving_at_scale failed: {}", output.status));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("unreadable report: {e}"))
}

/// The goals of issue 15, from [`receiving_at_scale`]'s report. A line whose measurement is
/// missing says so instead of a value.
pub fn redis_goals(report: &serde_json::Value) -> Vec<Ratio> {
    let get = |name: &str, field: &str| report[name][field].as_f64();
    let line = |name: &str, value: Option<f64>, goal: Goal, what: &str| Ratio {
        name: name.to_owned(),
        value: value.ok_or_else(|| format!("missing measurement for {name}")),
        goal,
        what: what.to_owned(),
        medians: None,
        rounds: Vec::new(),
    };
    let over_set_nx = |case: &str, field: &str| {
        Some(get(case, field)? / get("redis.set_nx", field).filter(|d| *d > 0.0)?)
    };
    vec![
        line(
            "redis.enqueue_vs_set_nx",
            over_set_nx("redis.inbox_enqueue", "p50_us"),
            Goal::AtMost(2.0),
            "p50, one inbox append / one SET NX round trip",
        ),
        line(
            "redis.enqueue_vs_set_nx.p99",
            over_set_nx("redis.inbox_enqueue", "p99_us"),
            Goal::Info,
            "p99, one inbox append / one SET NX round trip",
        ),
        line(
            "redis.claim_complete_vs_set_nx",
            over_set_nx("redis.claim_complete", "p50_us"),
            Goal::Info,
            "p50, a dedupe claim then complete (two round trips) / one SET NX",
        ),
        line(
            "redis.worker_drain",
            get("redis.worker_drain", "entries_per_sec"),
            Goal::AtLeast(10_000.0),
            "entries/s drained by one worker with a no-op handler",
        ),
        line(
            "redis.soak",
            get("redis.soak", "secs"),
            Goal::Below(60.0),
            "seconds for the inbox soak (10,000 deliveries, 20 % duplicates, failures, aborts)",
        ),
    ]
}

/// The goal lines, one a line: value, goal, whether it is met, what it is.
pub fn goal_lines(goals: &[Ratio]) -> String {
    let mut s = String::from("\nGoals (issue 15):\n");
    for g in goals {
        let (value, met) = match &g.value {
            Ok(v) => (
                format!("{v:.2}"),
                match g.goal.met(*v) {
                    Some(true) => "met",
                    Some(false) => "NOT met",
                    None => "info",
                },
            ),
            Err(e) => (e.clone(), "—"),
        };
        s.push_str(&format!(
            "  {:<32} {value:>10}   goal {:<10} {met:<8} {}\n",
            g.name,
            g.goal.to_string(),
            g.what
        ));
    }
    s
}

/// One round: `cargo bench` of every target, results into `home`.
fn run_round(
    root: &Path,
    home: &Path,
    targets: &[&str],
    quick: bool,
    json: bool,
    reverse: bool,
) -> bool {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(root)
        .args(["bench", "-p", "chathooks-benches"])
        .env("CRITERION_HOME", home)
        .env("CHATHOOKS_BENCH_REVERSE", if reverse { "1" } else { "0" });
    for target in targets {
        command.args(["--bench", target]);
    }
    command.arg("--");
    if quick {
        command.args([
            "--warm-up-time",
            "0.2",
            "--measurement-time",
            "0.8",
            "--sample-size",
            "10",
        ]);
    } else {
        command.args(["--warm-up-time", "1", "--measurement-time", "3"]);
    }
    if json {
        // Keep stdout for the JSON object.
        command.stdout(Stdio::from(std::io::stderr()));
    }
    eprintln!("running: {command:?}");
    match command.status() {
        Ok(status) if status.success() => true,
        Ok(status) => {
            eprintln!("error: cargo bench failed: {status}");
            false
        }
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            false
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Merges the rounds' tables: each line's ratio is the median of its per-round ratios.
pub fn combine(per_round: Vec<Vec<Ratio>>) -> Vec<Ratio> {
    let mut rounds = per_round.into_iter();
    let Some(first) = rounds.next() else {
        return Vec::new();
    };
    let rest: Vec<Vec<Ratio>> = rounds.collect();
    first
        .into_iter()
        .enumerate()
        .map(|(i, mut line)| {
            let same = |r: &Vec<Ratio>| {
                r.get(i)
                    .filter(|o| o.name == line.name)
                    .map(|o| (o.value.clone(), o.medians))
            };
            let mut values = Vec::new();
            let mut nums = Vec::new();
            let mut dens = Vec::new();
            let all = std::iter::once((line.value.clone(), line.medians))
                .chain(rest.iter().filter_map(same));
            for (value, medians) in all {
                if let Ok(v) = value {
                    values.push(v);
                }
                if let Some((n, d)) = medians {
                    nums.push(n);
                    dens.push(d);
                }
            }
            if let Some(v) = median(values.clone()) {
                line.value = Ok(v);
            }
            if let (Some(n), Some(d)) = (median(nums), median(dens)) {
                line.medians = Some((n, d));
            }
            line.rounds = values;
            line
        })
        .collect()
}

/// The target directory: `CARGO_TARGET_DIR` or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Every benchmark's median time in ns, by criterion's full id (`group/function/parameter`).
pub fn read_medians(home: &Path) -> Result<BTreeMap<String, f64>, String> {
    let mut medians = BTreeMap::new();
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "benchmark.json")
                && path.parent().is_some_and(|p| p.ends_with("new"))
            {
                let read = |p: &Path| -> Result<serde_json::Value, String> {
                    let text =
                        std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
                };
                let benchmark = read(&path)?;
                let estimates = read(&path.with_file_name("estimates.json"))?;
                let id = benchmark["full_id"]
                    .as_str()
                    .ok_or_else(|| format!("{}: no full_id", path.display()))?;
                let median = estimates["median"]["point_estimate"]
                    .as_f64()
                    .ok_or_else(|| format!("{}: no median", path.display()))?;
                medians.insert(id.to_owned(), median);
            }
        }
    }
    if medians.is_empty() {
        return Err("no results".into());
    }
    Ok(medians)
}

/// The table's lines, from the medians.
pub fn ratios(m: &BTreeMap<String, f64>) -> Vec<Ratio> {
    let mut out = Vec::new();
    let ratio = |name: String, num: &str, den: &str, goal: Goal, what: String| {
        let (value, medians) = match (m.get(num), m.get(den)) {
            (Some(&n), Some(&d)) if d > 0.0 => (Ok(n / d), Some((n, d))),
            _ => (Err(format!("missing result {num} or {den}")), None),
        };
        Ratio {
            name,
            value,
            goal,
            what,
            medians,
            rounds: Vec::new(),
        }
    };
    out.push(ratio(
        "request.latency".into(),
        "request/latency/chathooks",
        "request/latency/handwritten",
        Goal::AtMost(1.05),
        "median latency, chathooks / hand-written reqwest".into(),
    ));
    // Throughput ratio = (32 / t_chathooks) / (32 / t_handwritten) = t_handwritten / t_chathooks.
    out.push(ratio(
        "request.throughput32".into(),
        "request/concurrent32/handwritten",
        "request/concurrent32/chathooks",
        Goal::AtLeast(0.95),
        "throughput at 32 in flight, chathooks / hand-written".into(),
    ));
    if m.contains_key("request/latency/chathooks_retries_off") {
        out.push(ratio(
            "request.retries_on_vs_off".into(),
            "request/latency/chathooks",
            "request/latency/chathooks_retries_off",
            Goal::AtMost(1.02),
            "median latency, retries on (default) / max_retries(0)".into(),
        ));
    } else {
        out.push(Ratio {
            name: "request.retries_on_vs_off".into(),
            value: Err("pending: the retry layer is not on this branch yet".into()),
            goal: Goal::AtMost(1.02),
            what: "median latency, retries on / off".into(),
            medians: None,
            rounds: Vec::new(),
        });
    }
    for platform in ["kirim", "kapso"] {
        for size in SIZES {
            for n in SECRET_COUNTS {
                let id = |who: &str| format!("verify/{who}/{size}/{n}");
                // Throughput ratio = t_hmac / t_chathooks.
                out.push(ratio(
                    format!("verify.{platform}.{size}.{n}secret.vs_hmac"),
                    &id(&format!("{platform}_hmac")),
                    &id(platform),
                    Goal::AtLeast(0.95),
                    "throughput, chathooks / bare HMAC-SHA256".into(),
                ));
                if platform == "kirim" && size == "1KiB" {
                    out.push(ratio(
                        format!("verify.kirim.1KiB.{n}secret.prekeyed_vs_hmac"),
                        &id("kirim_hmac_prekeyed"),
                        &id("kirim_hmac"),
                        Goal::Info,
                        "time, HMAC with keys prepared once / keyed per call".into(),
                    ));
                }
                out.push(ratio(
                    format!("verify.{platform}.{size}.{n}secret.vs_svix"),
                    &id(platform),
                    &id("svix"),
                    Goal::Below(1.0),
                    "time, chathooks / svix Webhook::verify".into(),
                ));
            }
        }
    }
    for input in PARSE_INPUTS {
        out.push(ratio(
            format!("parse.{input}.typed_vs_value"),
            &format!("parse/{input}/typed"),
            &format!("parse/{input}/value"),
            Goal::Below(1.0),
            "time, typed parse / serde_json::Value".into(),
        ));
        out.push(ratio(
            format!("parse.{input}.direct_vs_value"),
            &format!("parse/{input}/direct"),
            &format!("parse/{input}/value"),
            Goal::Info,
            "time, one-pass from_slice into the same types / Value".into(),
        ));
    }
    out
}

fn format_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The human-readable table (Markdown, so it can be pasted into BENCHMARKS.md).
pub fn table(ratios: &[Ratio], quick: bool) -> String {
    let mut s = String::new();
    if quick {
        s.push_str("(quick run: 2 rounds of 10 samples each; indicative only)\n\n");
    }
    s.push_str("| name | ratio | goal | met | rounds | what | medians (num / den) |\n");
    s.push_str("|---|---:|---|---|---|---|---|\n");
    for r in ratios {
        let (ratio, met) = match &r.value {
            Ok(v) => (
                format!("{v:.3}"),
                match r.goal.met(*v) {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "",
                }
                .to_owned(),
            ),
            Err(e) => ("—".to_owned(), e.clone()),
        };
        let medians = r
            .medians
            .map(|(n, d)| format!("{} / {}", format_ns(n), format_ns(d)))
            .unwrap_or_default();
        let rounds: Vec<String> = r.rounds.iter().map(|v| format!("{v:.2}")).collect();
        s.push_str(&format!(
            "| {} | {ratio} | {} | {met} | {} | {} | {medians} |\n",
            r.name,
            r.goal,
            rounds.join(" "),
            r.what
        ));
    }
    s
}

/// `{"name": {"ratio": r, "goal": "≤ 1.05", "met": bool|null, ...}, ...}`; a pending or missing
/// ratio is `null` with a `note`.
pub fn to_json(ratios: &[Ratio]) -> String {
    let mut object = serde_json::Map::new();
    for r in ratios {
        let mut entry = serde_json::Map::new();
        match &r.value {
            Ok(v) => {
                entry.insert("ratio".into(), serde_json::json!(round(*v)));
                entry.insert("met".into(), serde_json::json!(r.goal.met(*v)));
            }
            Err(e) => {
                entry.insert("ratio".into(), serde_json::Value::Null);
                entry.insert("note".into(), serde_json::json!(e));
            }
        }
        entry.insert("goal".into(), serde_json::json!(r.goal.to_string()));
        if let Some((n, d)) = r.medians {
            entry.insert("median_ns".into(), serde_json::json!([round(n), round(d)]));
        }
        if !r.rounds.is_empty() {
            let rounds: Vec<f64> = r.rounds.iter().copied().map(round).collect();
            entry.insert("rounds".into(), serde_json::json!(rounds));
        }
        object.insert(r.name.clone(), serde_json::Value::Object(entry));
    }
    serde_json::to_string_pretty(&serde_json::Value::Object(object)).unwrap_or_default()
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn medians() -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        m.insert("request/latency/chathooks".into(), 105.0);
        m.insert("request/latency/handwritten".into(), 100.0);
        m.insert("request/concurrent32/chathooks".into(), 200.0);
        m.insert("request/concurrent32/handwritten".into(), 180.0);
        m.insert("verify/kirim_hmac/1KiB/1".into(), 90.0);
        m.insert("verify/kirim/1KiB/1".into(), 100.0);
        m.insert("verify/svix/1KiB/1".into(), 150.0);
        m
    }

    #[test]
    fn ratios_divide_the_right_medians_and_check_their_goals() {
        let ratios = ratios(&medians());
        let get = |name: &str| ratios.iter().find(|r| r.name == name).unwrap();
        let latency = get("request.latency");
        assert!((latency.value.as_ref().unwrap() - 1.05).abs() < 1e-9);
        assert_eq!(latency.goal.met(1.05), Some(true));
        let throughput = get("request.throughput32");
        assert!((throughput.value.as_ref().unwrap() - 0.9).abs() < 1e-9);
        assert_eq!(throughput.goal.met(0.9), Some(false));
        let hmac = get("verify.kirim.1KiB.1secret.vs_hmac");
        assert!((hmac.value.as_ref().unwrap() - 0.9).abs() < 1e-9);
        let svix = get("verify.kirim.1KiB.1secret.vs_svix");
        assert!((svix.value.as_ref().unwrap() - 100.0 / 150.0).abs() < 1e-9);
        assert_eq!(svix.goal.met(1.0), Some(false));
        assert!(get("request.retries_on_vs_off")
            .value
            .as_ref()
            .unwrap_err()
            .starts_with("pending"));
        assert!(get("verify.kapso.1KiB.1secret.vs_hmac").value.is_err());
    }

    #[test]
    fn json_has_ratio_and_goal_for_every_line() {
        let ratios = ratios(&medians());
        let json: serde_json::Value = serde_json::from_str(&to_json(&ratios)).unwrap();
        assert_eq!(json["request.latency"]["ratio"], 1.05);
        assert_eq!(json["request.latency"]["goal"], "≤ 1.05");
        assert_eq!(json["request.throughput32"]["met"], false);
        assert!(json["request.retries_on_vs_off"]["ratio"].is_null());
        assert_eq!(json.as_object().unwrap().len(), ratios.len());
    }

    #[test]
    fn rounds_combine_into_the_median_ratio() {
        let mut slower = medians();
        slower.insert("request/latency/chathooks".into(), 130.0);
        let mut faster = medians();
        faster.insert("request/latency/chathooks".into(), 90.0);
        let combined = combine(vec![ratios(&medians()), ratios(&slower), ratios(&faster)]);
        let latency = combined
            .iter()
            .find(|r| r.name == "request.latency")
            .unwrap();
        assert!((latency.value.as_ref().unwrap() - 1.05).abs() < 1e-9);
        assert_eq!(latency.rounds.len(), 3);
        assert_eq!(latency.medians, Some((105.0, 100.0)));
        let pending = combined
            .iter()
            .find(|r| r.name == "request.retries_on_vs_off")
            .unwrap();
        assert!(pending.value.is_err());
        assert!(pending.rounds.is_empty());
        assert_eq!(median(vec![3.0, 1.0]), Some(2.0));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn redis_goals_read_the_report() {
        let report = serde_json::json!({
            "redis.set_nx": {"p50_us": 20.0, "p99_us": 40.0, "n": 10},
            "redis.inbox_enqueue": {"p50_us": 30.0, "p99_us": 100.0, "n": 10},
            "redis.claim_complete": {"p50_us": 42.0, "p99_us": 90.0, "n": 10},
            "redis.worker_drain": {"entries_per_sec": 9000.0, "n": 10},
        });
        let goals = redis_goals(&report);
        let get = |name: &str| goals.iter().find(|g| g.name == name).unwrap();
        let enqueue = get("redis.enqueue_vs_set_nx");
        assert!((enqueue.value.as_ref().unwrap() - 1.5).abs() < 1e-9);
        assert_eq!(enqueue.goal.met(1.5), Some(true));
        assert!((get("redis.enqueue_vs_set_nx.p99").value.as_ref().unwrap() - 2.5).abs() < 1e-9);
        let drain = get("redis.worker_drain");
        assert_eq!(drain.goal.met(*drain.value.as_ref().unwrap()), Some(false));
        assert!(get("redis.soak").value.is_err(), "no soak in this report");
        let text = goal_lines(&goals);
        assert!(
            text.contains("redis.worker_drain") && text.contains("NOT met"),
            "{text}"
        );
        assert!(
            text.contains("missing measurement for redis.soak"),
            "{text}"
        );
    }

    #[test]
    fn medians_are_read_from_criterion_files() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        let new = dir.join("request/latency/chathooks/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"request","function_id":"latency","value_str":"chathooks","full_id":"request/latency/chathooks"}"#,
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"mean":{"point_estimate":12.0},"median":{"point_estimate":11.5}}"#,
        )
        .unwrap();
        let base = dir.join("request/latency/chathooks/base");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("benchmark.json"), "not read").unwrap();
        let medians = read_medians(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(medians.len(), 1);
        assert_eq!(medians["request/latency/chathooks"], 11.5);
    }
}
