//! `chathooks kirim …` and `chathooks kapso …`: the management commands, on the crate's clients.
//! One file per API (`kirim.rs`, `kapso_legacy.rs`, `kapso_platform.rs`: its arguments and one
//! function per subcommand); `table.rs` prints what they get back. Each command builds the one
//! client it calls, from the flags and that client's own environment variables.

pub(crate) mod kapso_legacy;
pub(crate) mod kapso_platform;
pub(crate) mod kirim;
mod table;

use std::path::PathBuf;

use chathooks::kapso::WebhookEvent;
use chathooks::transport::{ApiClient, ClientBuilder};
use clap::{Args, Subcommand};
use serde_json::Value;

use crate::{Failure, SecretArgs};
use table::Output;

/// Where the API is and how to authenticate.
#[derive(Args)]
pub(crate) struct Connection {
    /// The API's base URL (default: $KIRIM_BASE_URL, $KAPSO_BASE_URL or
    /// $KAPSO_PLATFORM_BASE_URL, else production).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// Read the API key from this file (default: $KIRIM_API_KEY / $KAPSO_API_KEY). A warning
    /// says when group or others may read it.
    #[arg(long, global = true, value_name = "PATH")]
    api_key_file: Option<PathBuf>,
    /// Show webhooks' signing secrets (`secret_key`) and credential-bearing custom headers,
    /// which tables and `--json` otherwise print as `***`.
    #[arg(long, global = true)]
    show_secrets: bool,
}

impl Connection {
    /// A client of API `C`: the key from `--api-key-file` or `C`'s key variable
    /// (`KIRIM_API_KEY`, `KAPSO_API_KEY`), the base URL from `--base-url` or `C`'s base-URL
    /// variable (`KIRIM_BASE_URL`, `KAPSO_BASE_URL`, `KAPSO_PLATFORM_BASE_URL`), else production.
    fn client<C: ApiClient>(&self) -> Result<C, Failure> {
        let mut builder = ClientBuilder::<C>::new().api_key(self.api_key(C::API_KEY_ENV)?);
        if let Some(url) = self.base_url(C::BASE_URL_ENV) {
            builder = builder.base_url(url);
        }
        Ok(builder.build()?)
    }

    /// How to print, given `--json` and this connection's `--show-secrets`.
    fn output(&self, json: bool) -> Output {
        Output {
            json,
            show_secrets: self.show_secrets,
        }
    }

    fn api_key(&self, var: &str) -> Result<String, Failure> {
        let key = match &self.api_key_file {
            Some(path) => {
                crate::secrets::warn_if_others_can_read(path);
                std::fs::read_to_string(path)
                    .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
                    .trim()
                    .to_owned()
            }
            None => std::env::var(var).unwrap_or_default().trim().to_owned(),
        };
        if key.is_empty() {
            return Err(Failure::Usage(format!(
                "no API key: set {var} or pass --api-key-file PATH"
            )));
        }
        Ok(key)
    }

    fn base_url(&self, var: &str) -> Option<String> {
        self.base_url
            .clone()
            .or_else(|| std::env::var(var).ok().filter(|u| !u.is_empty()))
    }
}

/// `chathooks kapso`.
#[derive(Args)]
pub(crate) struct KapsoArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: KapsoCommand,
}

#[derive(Subcommand)]
enum KapsoCommand {
    /// WhatsApp webhooks of a WhatsApp configuration (legacy API, app.kapso.ai/api/v1).
    #[command(subcommand)]
    Webhooks(kapso_legacy::WebhookCommand),
    /// Kapso's Platform API (api.kapso.ai/platform/v1; base URL: $KAPSO_PLATFORM_BASE_URL).
    #[command(subcommand)]
    Platform(kapso_platform::PlatformCommand),
}

/// `chathooks kapso …`: the legacy API's or the Platform API's commands, each on its own client.
pub(crate) async fn kapso(args: KapsoArgs, json: bool) -> Result<(), Failure> {
    match args.command {
        KapsoCommand::Webhooks(command) => kapso_legacy::run(&args.connection, command, json).await,
        KapsoCommand::Platform(command) => {
            kapso_platform::run(&args.connection, command, json).await
        }
    }
}

/// What an update of a Kapso webhook may change, in both APIs.
#[derive(Args)]
struct WebhookChanges {
    /// A new delivery URL.
    #[arg(long)]
    url: Option<String>,
    /// The new event list (repeat for several).
    #[arg(long = "event")]
    events: Vec<String>,
    /// Activate (true) or deactivate (false).
    #[arg(long)]
    active: Option<bool>,
    /// A new signing secret.
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    settings: WebhookSettings,
}

impl WebhookChanges {
    /// The new event list, when one was given.
    fn events(&self) -> Option<Vec<WebhookEvent>> {
        (!self.events.is_empty()).then(|| {
            self.events
                .iter()
                .map(|e| WebhookEvent::from(e.as_str()))
                .collect()
        })
    }
}

/// The usage error of an update that changes nothing.
fn nothing_to_change() -> Failure {
    Failure::Usage("nothing to change: pass --url, --event, --active, a secret or a setting".into())
}

/// Settings shared by create and update.
#[derive(Args)]
struct WebhookSettings {
    /// A custom header sent with every delivery, `Name: value` (repeatable).
    #[arg(long = "header", value_parser = crate::parse_header)]
    headers: Vec<(String, String)>,
    /// Deliver received messages in batches.
    #[arg(long)]
    buffer: Option<bool>,
    /// Batch window in seconds, 1–60.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=60))]
    buffer_window_seconds: Option<u8>,
    /// Largest batch, 1–100.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    max_buffer_size: Option<u8>,
    /// Minutes of silence before `whatsapp.conversation.inactive`, 1–1440.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1440))]
    inactivity_minutes: Option<u16>,
}

/// Custom headers as the Platform API's JSON object (`None` when there are none).
fn json_headers(headers: Vec<(String, String)>) -> Option<serde_json::Map<String, Value>> {
    (!headers.is_empty()).then(|| {
        headers
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    })
}

/// An operation's error, as a CLI failure.
fn api<E>(error: E) -> Failure
where
    chathooks::Error: From<E>,
{
    Failure::from(chathooks::Error::from(error))
}
