//! `tabletalk export rttm LOG`: a log's turns as RTTM (and its extent as UEM).

use std::path::{Path, PathBuf};

use crate::diag::{self, printable};
use crate::inputs;
use crate::output::{refuse_clashes, Target};
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
#[command(after_long_help = "\
Examples:
  tabletalk export rttm meeting.ttlog -o meeting.rttm --uem meeting.uem
  tabletalk export rttm meeting.ttlog | grep ' FEE041 '
  tabletalk score --ref truth.rttm meeting.ttlog     scores the same turns

Both files are written whole or not at all; neither may be the log itself.")]
pub struct RttmArgs {
    /// The log (`-`: standard input).
    pub log: PathBuf,
    /// Write to FILE instead of standard output (`-`: standard output).
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
    let target = Target::from_flag(args.output.as_deref());
    let mut outputs = vec![target.file().unwrap_or(Path::new("-"))];
    outputs.extend(args.uem.as_deref());
    refuse_clashes(&[&args.log], &outputs)?;
    let log = inputs::load(&args.log, &[])?;
    if let Some(warning) = log.warning() {
        diag::warn(warning);
    }
    // RTTM fields are separated by white space: none may hold any.
    let field = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect()
    };
    let stem = match args.log.file_stem() {
        Some(stem) if args.log != Path::new(inputs::STDIN) => {
            field(&printable(&stem.to_string_lossy()))
        }
        _ => "recording".to_owned(),
    };
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
            let speaker = field(&speaker);
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
    target.write_with(|out| out.write_all(&rttm))?;
    if let Some(path) = &args.uem {
        Target::from_flag(Some(path)).write_with(|out| out.write_all(uem.as_bytes()))?;
    }
    Ok(())
}
