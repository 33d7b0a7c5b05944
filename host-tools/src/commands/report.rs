//! `tabletalk report LOG...`: participation-equity reports.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::duration::parse_duration_ms;
use crate::error::CliError;
use crate::metrics::Options;
use crate::report::{render, Format, Report};
use crate::roster::Roster;
use crate::{inputs, session::Session};

/// Arguments of `tabletalk report`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  tabletalk report meeting.ttlog                  a table in the terminal
  tabletalk report logs/ --format html -o out.html  one page with charts, for a facilitator
  tabletalk report logs/ --roster roster.toml --format md
  tabletalk report meeting.ttlog --window 5m --format json
  tabletalk report meeting.ttlog --roster roster.toml --lead-up 10m   who spoke before each decision

Damaged frames are skipped with a warning on stderr; everything intact is
reported. Exit codes: 0 ok (warnings possible), 1 I/O error, 2 not a log /
nothing decodable / bad usage.
Definitions of every figure: docs/metrics.md.")]
pub struct Args {
    /// Log files or directories of logs (searched recursively for .ttlog).
    /// RTTM files are read too, one session per recording.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Roster (TOML): seat → name, organisation, sector, role. Adds group
    /// shares; names stay on this laptop.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Also report figures per time window, e.g. 5m, 90s, 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub window: Option<u64>,
    /// Longest backchannel (default: each log header's value, 1 s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub backchannel_max: Option<u64>,
    /// How far back from each decision marker to look at who spoke, e.g.
    /// 5m (the default), 90s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub lead_up: Option<u64>,
}

/// Loads every input, warning about damage and skipping unusable files;
/// fails only when nothing at all is usable. Returns the sessions and the
/// per-input summaries.
///
/// # Errors
/// The first input's error when no input yields a session.
pub fn load_all(
    paths: &[PathBuf],
) -> Result<(Vec<Session>, Vec<crate::report::InputSummary>), CliError> {
    let files = inputs::expand(paths)?;
    let loaded: Vec<_> = files.par_iter().map(|path| inputs::load(path)).collect();
    let mut sessions = Vec::new();
    let mut summaries = Vec::new();
    let mut first_error = None;
    let many = loaded.len() > 1;
    for result in loaded {
        match result {
            Ok(log) => {
                if let Some(warning) = log.warning() {
                    eprintln!("tabletalk: warning: {warning}");
                }
                summaries.push(log.summary());
                sessions.extend(log.sessions);
            }
            Err(error) => {
                if many {
                    eprintln!("tabletalk: warning: {error} (skipped)");
                }
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if sessions.is_empty() => Err(error),
        _ => Ok((sessions, summaries)),
    }
}

/// Runs `tabletalk report`.
///
/// # Errors
/// Unusable inputs or roster (exit 2), I/O (exit 1).
pub fn run(args: Args) -> anyhow::Result<()> {
    let roster = match &args.roster {
        Some(path) => Some(Roster::load(path).map_err(CliError::bad_input)?),
        None => None,
    };
    let (sessions, summaries) = load_all(&args.logs)?;
    let options = Options {
        backchannel_max_ms: args.backchannel_max,
        window_ms: args.window,
        lead_up_ms: args.lead_up,
    };
    let report = Report::build(&sessions, summaries, &options, roster.as_ref());
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::failure(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match render(&report, &sessions, args.format, &mut out).and_then(|()| out.flush()) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::failure(format!("cannot write the report: {e}")).into()),
        Ok(()) => Ok(()),
    }
}
