//! The one definition of how chathooks turns an OpenAPI spec into Rust.
//!
//! `build.rs` (which writes the clients into `OUT_DIR`) and `cargo xtask regen` (which writes the
//! reviewable snapshots in `tests/snapshots/`) both include this file with `#[path]`, so the two can
//! never drift apart. It depends only on progenitor, openapiv3, yaml_serde, syn and prettyplease,
//! and on its sibling `constraints.rs` (which the includer declares as `mod constraints`).

use std::fmt;
use std::path::Path;

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};

/// A client generated from one spec: the spec's file stem, the cargo feature that compiles it and
/// the handwritten types that replace generated ones (open enums, secrets, the PATCH bodies that
/// must be able to send `null`).
pub struct GeneratedClient {
    /// File stem: `kirim` reads `openapi/kirim.yaml` and writes `kirim.rs` (in `OUT_DIR` and in
    /// `tests/snapshots/`).
    pub name: &'static str,
    /// The cargo feature that compiles this client (several specs may share one feature).
    #[allow(dead_code)] // read by build.rs, not by `cargo xtask`
    pub feature: &'static str,
    /// `(schema name, replacement type path, impls the replacement provides)`.
    replacements: &'static [(&'static str, &'static str, &'static [Impl])],
}

/// Trait impls a replacement type provides (what typify may rely on).
#[derive(Clone, Copy)]
enum Impl {
    Display,
    FromStr,
}

/// Every client chathooks generates (Kirim.chat; Kapso's legacy API; Kapso's Platform API), in a
/// stable order.
pub const GENERATED_CLIENTS: &[GeneratedClient] = &[
    GeneratedClient {
        name: "kirim",
        feature: "kirim",
        replacements: &[
            ("SecretValue", "crate::secret::SecretString", &[]),
            (
                "SubscriptionStatus",
                "crate::kirim::SubscriptionStatus",
                &[Impl::Display, Impl::FromStr],
            ),
            (
                "EventType",
                "crate::kirim::EventType",
                &[Impl::Display, Impl::FromStr],
            ),
            (
                "DeliveryStatus",
                "crate::kirim::DeliveryStatus",
                &[Impl::Display, Impl::FromStr],
            ),
            (
                "UpdateWebhookSubscriptionRequest",
                "crate::kirim::UpdateWebhookSubscriptionRequest",
                &[],
            ),
        ],
    },
    GeneratedClient {
        name: "kapso",
        feature: "kapso",
        replacements: &[
            ("SecretValue", "crate::secret::SecretString", &[]),
            (
                "WebhookEvent",
                "crate::kapso::WebhookEvent",
                &[Impl::Display, Impl::FromStr],
            ),
            ("KapsoError", "crate::kapso::ErrorBody", &[]),
        ],
    },
    GeneratedClient {
        name: "kapso_platform",
        feature: "kapso",
        replacements: &[
            ("SecretValue", "crate::secret::SecretString", &[]),
            ("RequiredSecretValue", "crate::secret::SecretString", &[]),
            (
                "WebhookEvent",
                "crate::kapso::WebhookEvent",
                &[Impl::Display, Impl::FromStr],
            ),
            (
                "WebhookKind",
                "crate::kapso::platform::WebhookKind",
                &[Impl::Display, Impl::FromStr],
            ),
            (
                "DeliveryStatus",
                "crate::kapso::platform::DeliveryStatus",
                &[Impl::Display, Impl::FromStr],
            ),
            ("ErrorResponse", "crate::kapso::ErrorBody", &[]),
        ],
    },
];

/// Why a spec could not be turned into code. Always names the spec file.
#[derive(Debug)]
pub struct GenerateError {
    /// The spec file.
    pub file: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for GenerateError {}

impl GeneratedClient {
    /// The spec's path relative to the crate root.
    pub fn spec_path(&self) -> String {
        format!("openapi/{}.yaml", self.name)
    }

    /// The generator settings for this client. Builder-style operations, our hooks for auth and
    /// transport, and the handwritten replacement types.
    pub fn settings(&self) -> GenerationSettings {
        let mut settings = GenerationSettings::new();
        settings
            .with_interface(InterfaceStyle::Builder)
            .with_tag(TagStyle::Merged)
            .with_inner_type(
                "crate::transport::ClientState"
                    .parse()
                    .expect("static tokens"),
            );
        for (schema, replacement, impls) in self.replacements {
            settings.with_replacement(
                schema,
                replacement,
                impls.iter().map(|i| match i {
                    Impl::Display => TypeImpl::Display,
                    Impl::FromStr => TypeImpl::FromStr,
                }),
            );
        }
        settings
    }

    /// Parses and validates the spec text and generates pretty-printed Rust source.
    ///
    /// `file` is only used to name the spec in errors. progenitor panics on some unsupported
    /// constructs; those panics are caught and reported as errors naming the file too.
    pub fn generate(&self, file: &str, spec_text: &str) -> Result<String, GenerateError> {
        let err = |message: String| GenerateError {
            file: file.to_string(),
            message,
        };
        let spec: openapiv3::OpenAPI = yaml_serde::from_str(spec_text)
            .map_err(|e| err(format!("not a valid OpenAPI 3.0 document: {e}")))?;
        if !spec.openapi.starts_with("3.0.") {
            return Err(err(format!(
                "`openapi: {}` is not supported; progenitor reads OpenAPI 3.0.x",
                spec.openapi
            )));
        }
        let settings = self.settings();
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let generated =
            std::panic::catch_unwind(move || Generator::new(&settings).generate_tokens(&spec));
        std::panic::set_hook(previous_hook);
        let tokens = match generated {
            Ok(Ok(tokens)) => tokens,
            Ok(Err(e)) => return Err(err(format!("progenitor rejected the spec: {e}"))),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown reason");
                return Err(err(format!("progenitor panicked on the spec: {what}")));
            }
        };
        let mut file_ast: syn::File = syn::parse2(tokens)
            .map_err(|e| err(format!("progenitor produced unparsable code: {e}")))?;
        // The request constraints, checked before sending (`src/client/validate/`), as an
        // associated const of the generated `Client`: every platform gets its table, named by
        // nothing else.
        let constraints = super::constraints::extract(spec_text).map_err(err)?;
        file_ast.items.push(constraints.table().map_err(err)?);
        Ok(format!(
            "// Generated by progenitor from {} — do not edit; run `cargo xtask regen`.\n{}",
            self.spec_path(),
            prettyplease::unparse(&file_ast)
        ))
    }

    /// Reads the spec below `root` (the crate root) and generates its source.
    pub fn generate_from(&self, root: &Path) -> Result<String, GenerateError> {
        let file = self.spec_path();
        let text = std::fs::read_to_string(root.join(&file)).map_err(|e| GenerateError {
            file: file.clone(),
            message: format!("cannot read the spec: {e}"),
        })?;
        self.generate(&file, &text)
    }
}
