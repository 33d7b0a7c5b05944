//! The command line: one subcommand per file in `commands/`.

use clap::{Parser, Subcommand};

use crate::commands;

/// tabletalk turns the logs of a meeting-table device into
/// participation-equity reports: who spoke how long and how often, who
/// followed or interrupted whom, and how balanced the meeting was.
///
/// No audio is ever stored: logs hold only per-seat speaking activity.
#[derive(Debug, Parser)]
#[command(name = "tabletalk", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every record of a log as JSON lines, for scripting.
    Decode(commands::decode::Args),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Decode(args) => commands::decode::run(args),
    }
}
