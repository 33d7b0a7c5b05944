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
    /// Participation-equity report of one or many logs (text, JSON, CSV,
    /// Markdown or HTML).
    Report(commands::report::Args),
    /// Make logs from speaker annotations or diarization output (RTTM).
    Import(commands::import::Args),
    /// Write a log's turns in another format (RTTM).
    Export(commands::export::Args),
    /// Every session of every log as table rows (CSV or Parquet), on all cores.
    Batch(commands::batch::Args),
    /// Talk to a table device over USB: status, list, pull, erase, config,
    /// set-time, live.
    Device(commands::device::Args),
    /// Score a log's turns against a reference annotation (RTTM): missed
    /// speech, false alarm, seat confusion, share-of-speaking-time error.
    Score(commands::score::Args),
    /// Measure the microphone mode on simulated microphones that follow
    /// real AMI meeting timings, against the Open Badges detector; prints
    /// the targets.
    Evaluate(commands::evaluate::Args),
    /// Run recorded microphones (WAV per seat, or level tracks) through the
    /// device's core, with the device's parameters, and write a log.
    Replay(commands::replay::Args),
    /// Simulate a meeting's microphones (a demo, an AMI meeting, any RTTM),
    /// run them through the device's core and write a log.
    Simulate(commands::simulate::Args),
    /// Print a shell's completion script (bash, zsh, fish, elvish,
    /// powershell).
    Completions(commands::shell::CompletionsArgs),
    /// Print the manual page (roff), or write one per command.
    Man(commands::shell::ManArgs),
}

/// `--format text|json` for commands that print either.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    /// For people.
    #[default]
    Text,
    /// For scripts: one JSON document.
    Json,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Decode(args) => commands::decode::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Batch(args) => commands::batch::run(args),
        Command::Device(args) => commands::device::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Completions(args) => commands::shell::completions(args),
        Command::Man(args) => commands::shell::man(args),
    }
}
