//! The one error kind of the evaluation that callers act on.

use std::fmt;

/// The input is not usable: a malformed parameter, WAV, level table or
/// reference. The CLI ends with its "bad input" exit code on it; any other
/// error is an ordinary failure.
#[derive(Debug)]
pub struct BadInput {
    message: String,
}

impl BadInput {
    /// An error with one line for the user.
    pub fn new(message: impl Into<String>) -> Self {
        BadInput {
            message: message.into(),
        }
    }
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BadInput {}
