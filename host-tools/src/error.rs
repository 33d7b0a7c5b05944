//! Exit codes and the user-facing error type.

use std::fmt;

/// Process exit codes that scripts can rely on.
pub mod exit {
    /// Everything went fine (warnings, e.g. damaged frames, may be on stderr).
    pub const OK: u8 = 0;
    /// An ordinary failure (I/O, bad configuration).
    pub const FAILURE: u8 = 1;
    /// The input is not usable: not a log, nothing decodable, bad usage.
    pub const BAD_INPUT: u8 = 2;
}

/// An error that carries the exit code it should end the process with.
#[derive(Debug)]
pub struct CliError {
    /// Exit code, see [`exit`].
    pub code: u8,
    /// One line for the user.
    pub message: String,
}

impl CliError {
    /// An ordinary failure: I/O, configuration (exit code 1).
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            code: exit::FAILURE,
            message: message.into(),
        }
    }

    /// The input was not usable (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError {
            code: exit::BAD_INPUT,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code `err` ends the process with: a [`CliError`]'s own, the
/// bad-input code for the evaluation's
/// [`BadInput`](tabletalk_eval::error::BadInput), otherwise a failure.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(e) = err.downcast_ref::<CliError>() {
        e.code
    } else if err.is::<tabletalk_eval::error::BadInput>() {
        exit::BAD_INPUT
    } else {
        exit::FAILURE
    }
}
