//! The code build.rs generated must equal the committed snapshots in `tests/snapshots/`, so that
//! every change to a spec (or to progenitor) lands as a reviewable diff of Rust code.

#[cfg(feature = "kirim")]
#[test]
fn kirim_snapshot_is_fresh() {
    assert_fresh(
        "kirim",
        include_str!(concat!(env!("CHATHOOKS_GENERATED_DIR"), "/kirim.rs")),
        include_str!("snapshots/kirim.rs"),
    );
}

#[cfg(feature = "kapso")]
#[test]
fn kapso_snapshot_is_fresh() {
    assert_fresh(
        "kapso",
        include_str!(concat!(env!("CHATHOOKS_GENERATED_DIR"), "/kapso.rs")),
        include_str!("snapshots/kapso.rs"),
    );
}

#[cfg(feature = "kapso")]
#[test]
fn kapso_platform_snapshot_is_fresh() {
    assert_fresh(
        "kapso_platform",
        include_str!(concat!(
            env!("CHATHOOKS_GENERATED_DIR"),
            "/kapso_platform.rs"
        )),
        include_str!("snapshots/kapso_platform.rs"),
    );
}

fn assert_fresh(name: &str, generated: &str, snapshot: &str) {
    if generated != snapshot {
        let line = generated
            .lines()
            .zip(snapshot.lines())
            .position(|(g, s)| g != s)
            .map_or_else(
                || generated.lines().count().min(snapshot.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "tests/snapshots/{name}.rs is stale: openapi/{name}.yaml (or the generator) changed and \
             the generated code now differs from line {line}. Run `cargo xtask regen` and commit \
             the snapshot."
        );
    }
}
