//! Consumer (e) of `cargo xtask build-cost`, its build script: progenitor's own `build.rs` recipe
//! (its README, sections "`build.rs`" and "Enabling the builder style in build.rs", at
//! <https://github.com/oxidecomputer/progenitor>), run over the three specs chathooks ships.
//! (Not compiled by the workspace: `cargo xtask build-cost` copies it into a scratch crate; the
//! xtask tests run `generate` over the real specs.)
//!
//! What differs from the README, and why:
//!
//! - the specs are YAML, so they are read with `yaml_serde` (the parser chathooks' own build
//!   script uses) instead of `serde_json`;
//! - the settings are the README's builder-style ones plus `TagStyle::Merged`, which is the
//!   interface chathooks generates: the same operations, builders and types, so that (a) and (e)
//!   compile the same shape of code. Nothing else of chathooks' settings: no inner type, no
//!   hooks, no replacement types (progenitor generates its own closed enums and plain `String`
//!   secrets instead of chathooks' handwritten ones);
//! - no spec preprocessing: progenitor 0.15.1 takes all three specs as they are (chathooks' build
//!   does none either; its replacements are settings, and its constraint table comes on top).
//!
//! The `unwrap`s are the README's: a build script that cannot generate fails the build.

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

/// The specs, read from `openapi/` (copied from the chathooks package), and the module each
/// becomes in `src/lib.rs`.
const SPECS: [&str; 3] = ["kirim", "kapso", "kapso_platform"];

/// The README's recipe for one spec: parse, generate, pretty-print.
pub fn generate(spec_text: &str) -> String {
    let spec: openapiv3::OpenAPI = yaml_serde::from_str(spec_text).unwrap();
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged);
    let mut generator = Generator::new(&settings);
    let tokens = generator.generate_tokens(&spec).unwrap();
    let ast = syn::parse2(tokens).unwrap();
    prettyplease::unparse(&ast)
}

fn main() {
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for name in SPECS {
        let src = format!("openapi/{name}.yaml");
        println!("cargo:rerun-if-changed={src}");
        let text = std::fs::read_to_string(&src).unwrap();
        std::fs::write(out_dir.join(format!("{name}.rs")), generate(&text)).unwrap();
    }
}
