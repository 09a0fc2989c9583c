//! [`Provider`]: whose webhooks a command signs, verifies, fakes, receives or imitates (the
//! `<PLATFORM>` argument of `sign`, `verify`, `fake`, `listen` and `trigger`).

use clap::ValueEnum;

/// Whose webhooks: a business platform, or Meta itself. (Named so as not to collide with the
/// library's client trait or Kapso's "Platform API"; users still type `kirim`, `kapso`, `meta`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Provider {
    /// Kirim.chat.
    Kirim,
    /// Kapso.
    Kapso,
    /// Meta: WhatsApp Cloud API webhooks straight from Meta (`X-Hub-Signature-256`, app secret).
    Meta,
}

impl Provider {
    /// The name users type, and that `listen` prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Provider::Kirim => "kirim",
            Provider::Kapso => "kapso",
            Provider::Meta => "meta",
        }
    }
}
