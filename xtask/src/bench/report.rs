//! What `cargo xtask bench` prints: the Markdown table of ratios ([`table`]), the goal lines,
//! the Redis round trips, or all of it as one JSON object ([`to_json`]).

use super::goals::Ratio;

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

/// Everything as one JSON object (`cargo xtask bench --json`): the ratios' lines ([`to_json`]),
/// the Redis report's measurements as they came, and the goal lines.
pub fn json(ratios: &[Ratio], redis_report: Option<&serde_json::Value>, goals: &[Ratio]) -> String {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&to_json(ratios)).unwrap_or_default();
    if let Some(serde_json::Value::Object(report)) = redis_report {
        object.extend(report.clone());
    }
    if let Ok(serde_json::Value::Object(goals)) = serde_json::from_str(&to_json(goals)) {
        object.extend(goals);
    }
    let object = serde_json::Value::Object(object);
    serde_json::to_string_pretty(&object).unwrap_or_default()
}

/// Everything as text: the table (when there are ratios), then the Redis round trips and the goal
/// lines (when there is a Redis report).
pub fn text(
    ratios: &[Ratio],
    redis_report: Option<&serde_json::Value>,
    goals: &[Ratio],
    quick: bool,
) -> String {
    let mut s = String::new();
    if !ratios.is_empty() {
        s.push_str(&table(ratios, quick));
    }
    if let Some(serde_json::Value::Object(report)) = redis_report {
        s.push_str("\nReceiving at scale on 127.0.0.1 (round trips from one task):\n");
        for (name, v) in report.iter().filter(|(_, v)| v.get("p50_us").is_some()) {
            let us = |field: &str| v[field].as_f64().unwrap_or(f64::NAN);
            s.push_str(&format!(
                "  {name:<30} p50 {:>7.1} µs   p99 {:>7.1} µs   (n = {})\n",
                us("p50_us"),
                us("p99_us"),
                v["n"]
            ));
        }
        s.push_str(&goal_lines(goals));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::goals::ratios;
    use crate::bench::goals::tests::medians;

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
}
