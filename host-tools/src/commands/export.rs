//! `tabletalk export rttm LOG`: a log's turns as RTTM (and its extent as UEM).

use std::io::Write;
use std::path::PathBuf;

use crate::error::CliError;
use crate::logs;
use tabletalk_eval::rttm::{format_seconds, write_segment};

/// Arguments of `tabletalk export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to export to.
    #[command(subcommand)]
    pub what: What,
}

/// The formats `export` writes.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Every turn as an RTTM SPEAKER line (speaker = seat label, or
    /// `seat<N>`; recording = the log's file name, plus `_s<i>` for its
    /// second and later sessions).
    Rttm(RttmArgs),
}

/// Arguments of `tabletalk export rttm`.
#[derive(Debug, clap::Args)]
pub struct RttmArgs {
    /// The log.
    pub log: PathBuf,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write each session's recorded extent (pauses left out) as UEM.
    #[arg(long, value_name = "FILE.uem")]
    pub uem: Option<PathBuf>,
}

/// Runs `tabletalk export`.
///
/// # Errors
/// Not a log (exit 2), I/O (exit 1).
pub fn run(args: Args) -> anyhow::Result<()> {
    let What::Rttm(args) = args.what;
    let log = logs::read(&args.log)?;
    if let Some(warning) = log.warning() {
        eprintln!("tabletalk: warning: {warning}");
    }
    let stem = args.log.file_stem().map_or_else(
        || "recording".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name = |i: usize| {
        if i == 0 {
            stem.clone()
        } else {
            format!("{stem}_s{i}")
        }
    };
    let mut rttm = Vec::new();
    let mut uem = String::new();
    for (i, session) in log.sessions.iter().enumerate() {
        let recording = name(i);
        for turn in &session.turns {
            let speaker = session
                .seats
                .get(turn.seat)
                .and_then(|s| s.label.clone())
                .filter(|l| !l.is_empty() && !l.contains(char::is_whitespace))
                .unwrap_or_else(|| format!("seat{}", turn.seat));
            write_segment(
                &mut rttm,
                &recording,
                &speaker,
                turn.start_ms.saturating_mul(1000),
                turn.duration_ms().saturating_mul(1000),
            )?;
        }
        // The recorded extent: start..end less pauses.
        let mut from = session.start_ms;
        for (a, b) in session
            .paused()
            .into_iter()
            .chain([(session.end_ms, session.end_ms)])
        {
            if a > from {
                uem.push_str(&format!(
                    "{recording} 1 {} {}\n",
                    format_seconds(from.saturating_mul(1000)),
                    format_seconds(a.saturating_mul(1000))
                ));
            }
            from = b;
        }
    }
    let write = |path: &Option<PathBuf>, bytes: &[u8]| -> Result<(), CliError> {
        match path {
            Some(path) => std::fs::write(path, bytes)
                .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display()))),
            None => {
                let mut out = std::io::stdout().lock();
                match out.write_all(bytes).and_then(|()| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        Err(CliError::failure(format!("cannot write: {e}")))
                    }
                    _ => Ok(()),
                }
            }
        }
    };
    write(&args.output, &rttm)?;
    if let Some(path) = &args.uem {
        write(&Some(path.clone()), uem.as_bytes())?;
    }
    Ok(())
}
