//! `tabletalk decode LOG`: every record as JSON lines.

use std::path::PathBuf;

/// Arguments of `tabletalk decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log file to decode.
    pub log: PathBuf,
}

/// Runs `tabletalk decode`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("decode: not implemented yet")
}
