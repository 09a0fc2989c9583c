//! The constraint rule model: one definition for the code generator and the checker.
//!
//! `codegen/constraints.rs` fills it from a spec at build time (with owned strings) and emits it
//! as Rust tokens, the `REQUEST_CONSTRAINTS` table of each generated client; `validate/` checks
//! requests against that table at run time (with `&'static` strings). Both include this very
//! file (the build script with `#[path]`), so a rule the generator can write is a rule the
//! checker knows, and the compiler enforces it: a new [`Check`] is unmatched on both sides until
//! both handle it. It depends on nothing but `core`.

/// Where a constrained value travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A field of the JSON body.
    Body,
}

impl Location {
    /// The location's name in messages: `query`, `header` or `body`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Location::Query => "query",
            Location::Header => "header",
            Location::Body => "body",
        }
    }

    /// The location [`as_str`](Self::as_str) names.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "query" => Some(Location::Query),
            "header" => Some(Location::Header),
            "body" => Some(Location::Body),
            _ => None,
        }
    }
}

/// One rule a value must keep: a spec keyword and its argument. `Text` is `String` at build time
/// and `&'static str` in the generated table.
#[derive(Clone, Debug, PartialEq)]
#[allow(dead_code)] // a spec may use only some of them
pub enum Check<Text> {
    /// `minimum`, or `exclusiveMinimum: true` with it.
    Minimum {
        /// The bound.
        value: f64,
        /// Whether the bound itself is out.
        exclusive: bool,
    },
    /// `maximum`, or `exclusiveMaximum: true` with it.
    Maximum {
        /// The bound.
        value: f64,
        /// Whether the bound itself is out.
        exclusive: bool,
    },
    /// `minLength`, in characters.
    MinLength(u64),
    /// `maxLength`, in characters.
    MaxLength(u64),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
    /// `pattern` (regex-lite syntax).
    Pattern(Text),
    /// `format: uri`: an absolute URL.
    Uri,
    /// `x-chathooks-require-https: true`: an absolute `https` URL.
    HttpsUri,
}

impl<Text> Check<Text> {
    /// The spec keyword the rule comes from, as a broken rule names it.
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            Check::Minimum {
                exclusive: false, ..
            } => "minimum",
            Check::Minimum {
                exclusive: true, ..
            } => "exclusiveMinimum",
            Check::Maximum {
                exclusive: false, ..
            } => "maximum",
            Check::Maximum {
                exclusive: true, ..
            } => "exclusiveMaximum",
            Check::MinLength(_) => "minLength",
            Check::MaxLength(_) => "maxLength",
            Check::MinItems(_) => "minItems",
            Check::MaxItems(_) => "maxItems",
            Check::Pattern(_) => "pattern",
            Check::Uri => "format: uri",
            Check::HttpsUri => "https",
        }
    }
}

/// A constraint on one value of one operation's request. `Path` is `Vec<String>` at build time
/// and `&'static [&'static str]` in the generated table.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule<Path, Text> {
    /// Where the value travels.
    pub location: Location,
    /// The parameter or header name, or the body path (`"[]"`: every array item; `"{}"`: every
    /// map value).
    pub path: Path,
    /// The rule.
    pub check: Check<Text>,
}
