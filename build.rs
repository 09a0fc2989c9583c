//! Generates the platform clients from `openapi/*.yaml` into `OUT_DIR` at compile time.
//!
//! The generator settings live in `codegen/generate.rs` (with `codegen/constraints.rs`, which
//! extracts the request constraints checked before sending), shared with `cargo xtask regen`; a change
//! there recompiles this script, which reruns it. Otherwise it reruns only when `build.rs` or a
//! spec changes, so a no-op rebuild does not regenerate anything.

#[cfg(feature = "client")]
#[path = "codegen/constraints.rs"]
mod constraints;
#[cfg(feature = "client")]
#[path = "codegen/generate.rs"]
mod generate;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    #[cfg(feature = "client")]
    clients();
}

#[cfg(feature = "client")]
fn clients() {
    use std::path::PathBuf;

    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    // Lets tests compare what was generated here with the committed snapshots.
    println!(
        "cargo::rustc-env=CHATHOOKS_GENERATED_DIR={}",
        out_dir.display()
    );
    let mut failed = false;
    for client in generate::GENERATED_CLIENTS {
        let feature = format!(
            "CARGO_FEATURE_{}",
            client.feature.to_uppercase().replace('-', "_")
        );
        if std::env::var_os(feature).is_none() {
            continue;
        }
        println!("cargo::rerun-if-changed={}", client.spec_path());
        match client.generate_from(&root) {
            Ok(code) => {
                let path = out_dir.join(format!("{}.rs", client.name));
                if let Err(e) = std::fs::write(&path, code) {
                    println!("cargo::error=cannot write {}: {e}", path.display());
                    failed = true;
                }
            }
            Err(e) => {
                println!("cargo::error={e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
