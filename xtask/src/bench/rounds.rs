//! Running criterion in rounds and reading it back ([`run_rounds`]): one round of `cargo bench`
//! ([`run_round`]), the medians criterion wrote ([`read_medians`]), and the rounds combined into
//! one line each ([`combine`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::goals::{ratios, Ratio};

/// Every round of the benchmark `targets` (3, or 2 with `quick`; none without targets), every
/// other one with the contenders in reverse order, combined into one line per ratio. `None`
/// (said on stderr) when a round fails or its results cannot be read.
pub(super) fn run_rounds(
    root: &Path,
    targets: &[&str],
    quick: bool,
    json: bool,
) -> Option<Vec<Ratio>> {
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
        if !run_round(root, &round_home, targets, quick, json, reverse) {
            return None;
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
                return None;
            }
        }
    }
    Some(combine(per_round))
}

/// One round: `cargo bench` of every target, results into `home`.
pub(super) fn run_round(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::goals::tests::medians;

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
