//! Where secrets come from: `--secret` (warned about: `ps` and the shell history show it),
//! `--secret-env NAME`, `--secret-file PATH` (warned about when others may read it).

use std::path::PathBuf;

use clap::Args;

use crate::Failure;

/// Where signing secrets come from: a flag (lands in the shell history), an environment
/// variable, or a file. Each may repeat; an empty secret is rejected.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct SecretArgs {
    /// A signing secret (repeatable). Visible in `ps` and the shell history (a warning says
    /// so): prefer --secret-env or --secret-file.
    #[arg(long = "secret")]
    secret: Vec<String>,
    /// The name of an environment variable holding a secret (repeatable).
    #[arg(long = "secret-env", value_name = "NAME")]
    secret_env: Vec<String>,
    /// A file holding a secret; a trailing newline is ignored (repeatable). A warning says when
    /// group or others may read it.
    #[arg(long = "secret-file", value_name = "PATH")]
    secret_file: Vec<PathBuf>,
}

impl SecretArgs {
    /// Whether no secret was given at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.secret.is_empty() && self.secret_env.is_empty() && self.secret_file.is_empty()
    }

    /// Every secret given, in order: flags, variables, files. At least one, none empty.
    pub(crate) fn resolve(&self) -> Result<Vec<String>, Failure> {
        let mut secrets = Vec::new();
        if !self.secret.is_empty() {
            eprintln!(
                "warning: --secret puts the secret on the command line, where `ps` and the shell \
                 history show it; prefer --secret-env NAME or --secret-file PATH"
            );
        }
        for secret in &self.secret {
            secrets.push(nonempty(secret.clone(), "--secret")?);
        }
        for name in &self.secret_env {
            let value = std::env::var(name)
                .map_err(|_| Failure::Usage(format!("environment variable {name} is not set")))?;
            secrets.push(nonempty(value, &format!("${name}"))?);
        }
        for path in &self.secret_file {
            warn_if_others_can_read(path);
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            secrets.push(nonempty(text.to_owned(), &path.display().to_string())?);
        }
        if secrets.is_empty() {
            return Err(Failure::Usage(
                "a signing secret is required: --secret-env NAME, --secret-file PATH or --secret"
                    .into(),
            ));
        }
        Ok(secrets)
    }
}

impl SecretArgs {
    /// The one secret given, or `None` when none was (commands that set a webhook's single
    /// `secret_key`); more than one is a usage error.
    pub(crate) fn at_most_one(&self) -> Result<Option<String>, Failure> {
        if self.is_empty() {
            return Ok(None);
        }
        let [secret] = <[String; 1]>::try_from(self.resolve()?)
            .map_err(|_| Failure::Usage("give exactly one secret".into()))?;
        Ok(Some(secret))
    }
}

/// Warns on stderr when group or others may read a file that holds a secret (unix permission
/// bits; elsewhere there is nothing to check).
pub(crate) fn warn_if_others_can_read(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o044 != 0 {
                eprintln!(
                    "warning: {} is readable by group or others (mode {mode:04o}); \
                     `chmod 600` it",
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn nonempty(secret: String, from: &str) -> Result<String, Failure> {
    if secret.is_empty() {
        Err(Failure::Usage(format!("the secret from {from} is empty")))
    } else {
        Ok(secret)
    }
}
