//! Why a command failed, and the exit code that says so: 0 ok, 1 an API or network error or a
//! refused delivery, 2 a usage or validation error.

use std::process::ExitCode;

/// Why a command failed, which decides the exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A usage or validation error: exit 2.
    Usage(String),
    /// An API or network error, or a refused delivery: exit 1.
    Failed(String),
}

impl Failure {
    /// Prints the failure on stderr and returns its exit code.
    pub(crate) fn exit(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                eprintln!("error: {message}\n\nFor more information, try '--help'.");
                ExitCode::from(2)
            }
            Failure::Failed(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        }
    }
}

impl From<chathooks::Error> for Failure {
    fn from(error: chathooks::Error) -> Self {
        match error {
            chathooks::Error::Config(e) => Failure::Usage(e.to_string()),
            chathooks::Error::InvalidRequest(e) => Failure::Usage(e),
            e @ chathooks::Error::Validation(_) => Failure::Usage(e.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}
