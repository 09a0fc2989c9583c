//! What the builds gave, and the report `cargo xtask build-cost` prints: the consumers' times, every
//! goal with met / not met, the rebuild checks and the slowest units.

use super::builds::{Rebuilds, Timing};
use crate::bench::median;

/// A goal: the median wall time of one consumer over another's, at most `at_most`.
pub struct Goal {
    /// The ratio's name in the report.
    pub name: &'static str,
    /// The consumer measured.
    pub numerator: char,
    /// The consumer it is measured against.
    pub denominator: char,
    /// The bound the ratio must keep.
    pub at_most: f64,
}

/// Every goal, in report order: what the design costs against a hand-written client, what
/// chathooks adds to bare progenitor (issue 20), what receiving costs against its floor.
pub const GOALS: [Goal; 3] = [
    Goal {
        name: "build.default_vs_handwritten (a/c)",
        numerator: 'a',
        denominator: 'c',
        at_most: 1.15,
    },
    Goal {
        name: "build.default_vs_bare_progenitor (a/e)",
        numerator: 'a',
        denominator: 'e',
        at_most: 1.05,
    },
    Goal {
        name: "build.webhooks_vs_floor (b/d)",
        numerator: 'b',
        denominator: 'd',
        at_most: 1.10,
    },
];

/// What one consumer's builds gave.
pub struct Measured {
    /// The consumer's key.
    pub key: char,
    /// What it is.
    pub name: &'static str,
    /// One per round.
    pub clean: Vec<Timing>,
    /// Crates compiled by a clean build.
    pub units: usize,
    /// The slowest units of the first round (`--timings`).
    pub slowest: Vec<(String, f64)>,
    /// For (b): crates compiled that receiving alone must not.
    pub forbidden: Vec<String>,
}

impl Measured {
    /// Median wall time over the rounds, in seconds.
    pub fn wall(&self) -> Option<f64> {
        median(self.clean.iter().map(|t| t.wall.as_secs_f64()).collect())
    }

    /// Median CPU time over the rounds, in seconds, when known for every round.
    pub fn cpu(&self) -> Option<f64> {
        let cpu: Option<Vec<f64>> = self
            .clean
            .iter()
            .map(|t| t.cpu.map(|c| c.as_secs_f64()))
            .collect();
        median(cpu?)
    }
}

/// The report's Markdown text.
pub fn report(
    measured: &[Measured],
    rebuilds: Option<&Rebuilds>,
    rounds: usize,
    release: bool,
) -> String {
    let mut s = String::new();
    let profile = if release { "release" } else { "dev" };
    s.push_str(&format!(
        "\nClean builds ({profile} profile), each with a fresh target directory, one after the other:\n\n"
    ));
    s.push_str(&format!(
        "{rounds} round(s), every other one in reverse order; times are medians over the rounds.\n\n"
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
    s.push_str(&goals(measured));
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

/// The goals' table: every goal, met, not met, or not run (a consumer left out by `--only`), and
/// a count.
fn goals(measured: &[Measured]) -> String {
    let find = |k: char| measured.iter().find(|m| m.key == k);
    let mut s = String::from(
        "\n| ratio | wall | goal | status | each round | CPU time ratio |\n|---|---:|---|---|---|---:|\n",
    );
    let (mut met, mut run) = (0, 0);
    for goal in &GOALS {
        let name = goal.name;
        let bound = format!("≤ {:.2}", goal.at_most);
        let pair = find(goal.numerator).zip(find(goal.denominator));
        let Some(((num, n), (den, d))) =
            pair.and_then(|(num, den)| Some(((num, num.wall()?), (den, den.wall()?))))
        else {
            s.push_str(&format!(
                "| {name} | — | {bound} | not run (`--only`) | | — |\n"
            ));
            continue;
        };
        let r = n / d;
        run += 1;
        if r <= goal.at_most {
            met += 1;
        }
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
            "| {name} | {r:.2} | {bound} | {} | {} | {cpu} |\n",
            if r <= goal.at_most {
                "met"
            } else {
                "**not met**"
            },
            per_round.join(" ")
        ));
    }
    s.push_str(&format!(
        "\nGoals met: {met} of {run} measured ({} in all).\n",
        GOALS.len()
    ));
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn measured(key: char, walls: &[u64]) -> Measured {
        Measured {
            key,
            name: "x",
            clean: walls
                .iter()
                .map(|w| Timing {
                    wall: Duration::from_secs(*w),
                    cpu: Some(Duration::from_secs(2 * w)),
                })
                .collect(),
            units: 1,
            slowest: Vec::new(),
            forbidden: Vec::new(),
        }
    }

    #[test]
    fn medians_and_cpu_times() {
        let mut m = measured('a', &[10, 30, 20]);
        assert_eq!(m.wall(), Some(20.0));
        assert_eq!(m.cpu(), Some(40.0));
        m.clean[1].cpu = None;
        assert_eq!(m.cpu(), None, "unknown in one round");
    }

    #[test]
    fn every_goal_says_met_not_met_or_not_run() {
        // a/e = 1.10 (goal 1.05: not met), a/c = 1.10 (goal 1.15: met), b/d not run.
        let all = [
            measured('a', &[110, 110]),
            measured('c', &[100, 100]),
            measured('e', &[100, 100]),
        ];
        let text = report(&all, None, 2, false);
        let line = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("| {name}")))
                .unwrap_or_else(|| panic!("no line for {name} in\n{text}"))
                .to_owned()
        };
        let ae = line("build.default_vs_bare_progenitor (a/e)");
        assert!(
            ae.contains("| 1.10 | ≤ 1.05 | **not met** | 1.10 1.10 | 1.10 |"),
            "{ae}"
        );
        let ac = line("build.default_vs_handwritten (a/c)");
        assert!(ac.contains("| ≤ 1.15 | met |"), "{ac}");
        let bd = line("build.webhooks_vs_floor (b/d)");
        assert!(bd.contains("not run"), "{bd}");
        assert!(
            text.contains("Goals met: 1 of 2 measured (3 in all)."),
            "{text}"
        );
        // (a/e) is reported beside (a/c).
        let ac_at = text.find("(a/c)").unwrap();
        let ae_at = text.find("(a/e)").unwrap();
        let bd_at = text.find("(b/d)").unwrap();
        assert!(ac_at < ae_at && ae_at < bd_at);
    }
}
