//! Running cargo on a consumer: timed clean builds (wall and CPU time), the rebuild checks of
//! consumer (a), the crates receiving must not compile, and the slowest units of a `--timings`
//! report.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one build took: wall-clock time, and the CPU time (user + system) of cargo and
/// everything it ran, when the platform tells (Linux: `/proc/self/stat`).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Wall-clock time.
    pub wall: Duration,
    /// User + system time of cargo and what it ran.
    pub cpu: Option<Duration>,
}

/// The CPU time (user + system) of this process's waited-for children so far, from
/// `/proc/self/stat` (fields `cutime` and `cstime`, in clock ticks of 1/100 s on Linux).
pub fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); cutime and cstime are fields 16 and 17.
    let cutime: u64 = fields.get(13)?.parse().ok()?;
    let cstime: u64 = fields.get(14)?.parse().ok()?;
    Some(Duration::from_millis((cutime + cstime) * 10))
}

/// Runs cargo in `dir` with its own target directory; returns stderr (cargo's progress).
pub fn cargo(dir: &Path, args: &[&str]) -> Result<String, String> {
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

/// Runs cargo like [`cargo`] and times it.
pub fn timed(dir: &Path, args: &[&str]) -> Result<(Timing, String), String> {
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
pub fn forbidden_crates(build_output: &str) -> Vec<String> {
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

/// What the rebuilds of consumer (a) after its first clean build showed.
pub struct Rebuilds {
    /// A no-op rebuild's wall time.
    pub noop: Duration,
    /// The line that ran chathooks' build script in the no-op rebuild, if it ran.
    pub noop_ran_build_script: Option<String>,
    /// The wall time of a rebuild after an edit to chathooks' `src/lib.rs`.
    pub edit: Duration,
    /// The line that ran chathooks' build script in that rebuild, if it ran.
    pub edit_ran_build_script: Option<String>,
    /// Whether that rebuild recompiled chathooks.
    pub edit_recompiled_chathooks: bool,
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

/// A no-op rebuild of consumer (a), then one after an edit to chathooks' `src/lib.rs`.
pub fn rebuild_checks(dir: &Path, chathooks: &Path, release: bool) -> Result<Rebuilds, String> {
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
pub fn slowest_units(report: &Path) -> Result<Vec<(String, f64)>, String> {
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
    fn cpu_time_of_children_is_known_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(children_cpu().is_some());
        }
    }
}
