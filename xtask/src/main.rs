//! `cargo xtask regen` rewrites the committed snapshots of the generated clients;
//! `cargo xtask check` fails when a snapshot is stale or a spec is invalid.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "../../codegen/generate.rs"]
mod generate;

const USAGE: &str = "usage: cargo xtask <regen|check>";

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf();
    let command = std::env::args().nth(1);
    match command.as_deref() {
        Some("regen") => regen(&root),
        Some("check") => check(&root),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn snapshot_path(root: &Path, platform: &generate::Platform) -> PathBuf {
    root.join("tests/snapshots")
        .join(format!("{}.rs", platform.name))
}

fn regen(root: &Path) -> ExitCode {
    let mut ok = true;
    for platform in generate::PLATFORMS {
        let path = snapshot_path(root, platform);
        match platform.generate_from(root) {
            Ok(code) => {
                let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == code);
                if unchanged {
                    println!("unchanged {}", path.display());
                } else if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent"))
                    .and_then(|()| std::fs::write(&path, code))
                {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    ok = false;
                } else {
                    println!("wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check(root: &Path) -> ExitCode {
    let mut ok = true;
    for platform in generate::PLATFORMS {
        let path = snapshot_path(root, platform);
        match platform.generate_from(root) {
            Ok(code) => match std::fs::read_to_string(&path) {
                Ok(old) if old == code => println!("fresh {}", path.display()),
                Ok(_) => {
                    eprintln!(
                        "error: {} is stale: {} changed; run `cargo xtask regen`",
                        path.display(),
                        platform.spec_path()
                    );
                    ok = false;
                }
                Err(e) => {
                    eprintln!(
                        "error: cannot read {}: {e}; run `cargo xtask regen`",
                        path.display()
                    );
                    ok = false;
                }
            },
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
