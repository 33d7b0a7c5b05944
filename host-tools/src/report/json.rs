//! The JSON report: [`Report`] serialised, pretty-printed.

use std::io::{self, Write};

use super::Report;

/// Writes `report` as pretty-printed JSON and a final newline.
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
