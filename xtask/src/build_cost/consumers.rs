//! The scratch consumer crates that `cargo xtask build-cost` builds, and how they are written out:
//! their manifests and sources, and the chathooks package they depend on.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::builds::cargo;

const HANDWRITTEN_CLIENT: &str = include_str!("handwritten_client.rs");
const RECEIVING_FLOOR: &str = include_str!("receiving_floor.rs");
const BARE_PROGENITOR: &str = include_str!("bare_progenitor/lib.rs");
const BARE_PROGENITOR_BUILD: &str = include_str!("bare_progenitor/build.rs");

/// Every consumer's key, in report order.
pub const KEYS: [char; 5] = ['a', 'b', 'c', 'd', 'e'];

/// Consumer (a) and (b)'s code: a few calls, so that the generic parts are instantiated.
const USES_CLIENTS: &str = r#"//! Consumer (a): chathooks with default features.
pub async fn touch(key: &str) -> chathooks::Result<()> {
    let kirim = chathooks::kirim::Client::new(key)?;
    let update = chathooks::kirim::UpdateWebhookSubscriptionRequest::new().url("https://example.com");
    kirim.update_webhook_subscription().id("wbs_1").body(update).send().await?;
    let legacy = chathooks::kapso::legacy::Client::new(key)?;
    let platform = chathooks::kapso::platform::Client::new(key)?;
    let _ = (legacy, platform);
    Ok(())
}
"#;

const USES_WEBHOOKS: &str = r#"//! Consumer (b): chathooks with only `webhooks`.
use chathooks::webhooks::{kapso, kirim};

pub fn kirim_event(secret: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<kirim::Event, chathooks::webhooks::Error> {
    let delivery = kirim::Verifier::new([secret])?.verify(headers, body)?;
    kirim::parse(&delivery, body)
}

pub fn kapso_events(secret: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<kapso::Payload, chathooks::webhooks::Error> {
    let delivery = kapso::Verifier::new([secret])?.verify(headers, body)?;
    kapso::parse(&delivery, body)
}
"#;

/// The client dependencies (c) and (e) share with chathooks' default features: reqwest with the
/// features chathooks enables (`json`, `query`) and its TLS backend (`rustls`, i.e. aws-lc-rs),
/// serde, serde_json, and chrono for timestamps.
const CLIENT_DEPENDENCIES: &str = concat!(
    "reqwest = { version = \"0.13\", default-features = false, features = [\"json\", \"query\", \"rustls\"] }\n",
    "serde = { version = \"1\", features = [\"derive\"] }\n",
    "serde_json = \"1\"\n",
    "chrono = { version = \"0.4\", default-features = false, features = [\"serde\", \"std\"] }\n",
);

/// One scratch crate.
pub struct Consumer {
    /// `a` to `e`.
    pub key: char,
    /// What it is, for the report.
    pub name: &'static str,
    /// Its `[dependencies]`.
    dependencies: String,
    /// Its `[build-dependencies]` (empty: none).
    build_dependencies: &'static str,
    /// Its `src/lib.rs`.
    source: &'static str,
    /// Its `build.rs`, if any; a consumer with one also gets chathooks' `openapi/*.yaml`.
    build_script: Option<&'static str>,
}

/// The consumers, in report order; `chathooks` is the unpacked package they depend on.
pub fn consumers(chathooks: &Path) -> Vec<Consumer> {
    let path = chathooks.display().to_string().replace('\\', "/");
    vec![
        Consumer {
            key: 'a',
            name: "chathooks, default features",
            dependencies: format!("chathooks = {{ path = \"{path}\" }}\n"),
            build_dependencies: "",
            source: USES_CLIENTS,
            build_script: None,
        },
        Consumer {
            key: 'b',
            name: "chathooks, only `webhooks`",
            dependencies: format!(
                "chathooks = {{ path = \"{path}\", default-features = false, features = [\"webhooks\"] }}\n"
            ),
            build_dependencies: "",
            source: USES_WEBHOOKS,
            build_script: None,
        },
        Consumer {
            key: 'c',
            name: "hand-written reqwest + serde client (floor for a)",
            dependencies: CLIENT_DEPENDENCIES.into(),
            build_dependencies: "",
            source: HANDWRITTEN_CLIENT,
            build_script: None,
        },
        Consumer {
            key: 'd',
            name: "hmac + sha2 + hex + serde + serde_json (floor for b)",
            dependencies: concat!(
                "hmac = \"0.12\"\n",
                "sha2 = \"0.10\"\n",
                "hex = \"0.4\"\n",
                "serde = { version = \"1\", features = [\"derive\"] }\n",
                "serde_json = \"1\"\n",
            )
            .into(),
            build_dependencies: "",
            source: RECEIVING_FLOOR,
            build_script: None,
        },
        Consumer {
            key: 'e',
            name: "bare progenitor, its build.rs recipe (design floor for a)",
            // What the generated code uses (progenitor's README: progenitor-client, reqwest,
            // serde, serde_json; chrono for `date-time`, uuid for `format: uuid`), nothing else.
            dependencies: format!(
                "progenitor-client = \"0.15.1\"\n{CLIENT_DEPENDENCIES}{}",
                "uuid = { version = \"1\", default-features = false, features = [\"serde\", \"std\"] }\n"
            ),
            // chathooks' own build-dependencies, with the same versions and features.
            build_dependencies: concat!(
                "progenitor = { version = \"=0.15.1\", default-features = false }\n",
                "openapiv3 = \"2\"\n",
                "yaml_serde = \"0.10\"\n",
                "prettyplease = \"0.3\"\n",
                "syn = { version = \"3\", default-features = false, features = [\"parsing\", \"full\", \"printing\"] }\n",
                "quote = \"1\"\n",
                "proc-macro2 = \"1\"\n",
            ),
            source: BARE_PROGENITOR,
            build_script: Some(BARE_PROGENITOR_BUILD),
        },
    ]
}

/// `cargo package` chathooks (what crates.io would serve) and unpack it into `scratch`.
pub fn package(root: &Path, scratch: &Path) -> Result<PathBuf, String> {
    let target = scratch.join("package-target");
    let target_arg = target.display().to_string();
    cargo(
        root,
        &[
            "package",
            "-p",
            "chathooks",
            "--no-verify",
            "--allow-dirty",
            "--offline",
            "--target-dir",
            &target_arg,
        ],
    )?;
    let crate_file = std::fs::read_dir(target.join("package"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "crate"))
        .ok_or("cargo package made no .crate")?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&crate_file)
        .arg("-C")
        .arg(scratch)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar failed on {}", crate_file.display()));
    }
    let name = crate_file
        .file_stem()
        .ok_or("a crate file name")?
        .to_owned();
    Ok(scratch.join(name))
}

/// The consumer's `Cargo.toml`.
fn manifest(consumer: &Consumer) -> String {
    let mut toml = format!(
        "[package]\nname = \"consumer-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{}\n",
        consumer.key, consumer.dependencies
    );
    if !consumer.build_dependencies.is_empty() {
        toml.push_str(&format!(
            "[build-dependencies]\n{}\n",
            consumer.build_dependencies
        ));
    }
    toml.push_str("[workspace]\n");
    toml
}

/// Writes the consumer's crate into `dir`, with the workspace's lock and, for a consumer with a
/// build script, the specs of the unpacked `chathooks` package.
pub fn write_consumer(
    dir: &Path,
    consumer: &Consumer,
    lock: &str,
    chathooks: &Path,
) -> Result<(), String> {
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().unwrap_or(dir))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write(dir.join("Cargo.toml"), &manifest(consumer))?;
    // The workspace's lock: the same dependency versions as chathooks is tested with.
    write(dir.join("Cargo.lock"), lock)?;
    write(dir.join("src/lib.rs"), consumer.source)?;
    if let Some(build_script) = consumer.build_script {
        write(dir.join("build.rs"), build_script)?;
        let specs = chathooks.join("openapi");
        let entries = std::fs::read_dir(&specs).map_err(|e| format!("{}: {e}", specs.display()))?;
        for spec in entries.flatten().map(|e| e.path()) {
            if spec.extension().is_some_and(|x| x == "yaml") {
                let text = std::fs::read_to_string(&spec)
                    .map_err(|e| format!("{}: {e}", spec.display()))?;
                write(
                    dir.join("openapi")
                        .join(spec.file_name().unwrap_or_default()),
                    &text,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::bare_progenitor_build as bare_build;
    use super::*;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn bare_progenitor_takes_our_three_specs_as_they_are() {
        for platform in crate::generate::GENERATED_CLIENTS {
            let text = std::fs::read_to_string(workspace().join(platform.spec_path())).unwrap();
            let code = bare_build::generate(&text);
            assert!(code.contains("pub struct Client"), "{}", platform.name);
            // Nothing of chathooks' settings: no inner type, no replacement types.
            assert!(!code.contains("crate::"), "{}", platform.name);
        }
        // The build script reads exactly the specs chathooks generates clients from.
        let ours: Vec<&str> = crate::generate::GENERATED_CLIENTS
            .iter()
            .map(|p| p.name)
            .collect();
        assert!(BARE_PROGENITOR_BUILD.contains(&format!("{ours:?}")));
    }

    #[test]
    fn bare_progenitor_uses_our_yaml_parser_and_build_dependencies() {
        let generate = std::fs::read_to_string(workspace().join("codegen/generate.rs")).unwrap();
        assert!(generate.contains("yaml_serde::from_str"));
        assert!(BARE_PROGENITOR_BUILD.contains("yaml_serde::from_str"));
        let manifest_e = manifest(&consumers(Path::new("/x"))[4]);
        let ours = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
        let build_deps = ours
            .split("[build-dependencies]")
            .nth(1)
            .and_then(|s| s.split("\n[").next())
            .unwrap();
        for line in build_deps.lines().filter(|l| !l.trim().is_empty()) {
            // `x = { version = "1", optional = true }` is `x = "1"` in (e), where nothing is
            // optional.
            let line = line.replace(", optional = true", "");
            let line = match line.split_once("{ version = ") {
                Some((name, rest)) if !rest.contains(',') => {
                    format!("{name}{}", rest.trim_end_matches(" }"))
                }
                _ => line,
            };
            assert!(manifest_e.contains(&line), "(e) lacks {line}\n{manifest_e}");
        }
        // The client side: reqwest with chathooks' features and its default TLS backend.
        let reqwest = ours.lines().find(|l| l.starts_with("reqwest = ")).unwrap();
        for feature in ["\"json\"", "\"query\""] {
            assert!(reqwest.contains(feature));
        }
        assert!(ours.contains("rustls = [\"reqwest?/rustls\"]"));
        assert!(manifest_e.contains("features = [\"json\", \"query\", \"rustls\"]"));
        assert!(!manifest_e.contains("chathooks"));
    }

    #[test]
    fn only_consumers_with_a_build_script_have_build_dependencies() {
        for c in consumers(Path::new("/x")) {
            assert_eq!(
                c.build_script.is_some(),
                manifest(&c).contains("[build-dependencies]"),
                "({})",
                c.key
            );
        }
        let keys: Vec<char> = consumers(Path::new("/x")).iter().map(|c| c.key).collect();
        assert_eq!(keys, KEYS);
    }
}
