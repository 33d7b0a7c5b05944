//! `tabletalk import rttm FILE.rttm [--uem FILE.uem] [--tick-ms N] --out-dir DIR`:
//! annotations or diarization output become logs, one per recording.

use std::path::{Path, PathBuf};

use tabletalk_core::records::{SessionId, MAX_LABEL_LEN};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::MarkerKind;

use crate::error::CliError;
use crate::logs::{encode_session, SessionSpec, LOG_EXTENSION};
use crate::session::MAX_LOG_SEATS;
use tabletalk_eval::rttm::{self, Recording};

/// Arguments of `tabletalk import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to import.
    #[command(subcommand)]
    pub what: What,
}

/// The formats `import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Speaker segments in RTTM: one log per recording, one seat per
    /// speaker (speakers in sorted order, names kept as seat labels).
    #[command(after_long_help = "\
Example:
  tabletalk import rttm ES2011a.rttm --uem ES2011a.uem --out-dir logs/
  tabletalk report logs/

Each speaker's segments become turns (their union: touching or overlapping
segments merge); times are rounded to the nearest tick. With a UEM, the
recording's extent is the UEM's and segments outside it are clipped; gaps
between UEM stretches become pauses.

With --decisions FILE, each line of FILE marks a decision: `SECONDS` (in
every recording) or `RECORDING SECONDS`, seconds from the recording's start
as in the RTTM; `#` starts a comment. `tabletalk report` then says who
spoke in the lead-up to each one:
  tabletalk import rttm meeting.rttm --decisions decisions.txt --out-dir logs/")]
    Rttm(RttmArgs),
}

/// Arguments of `tabletalk import rttm`.
#[derive(Debug, clap::Args)]
pub struct RttmArgs {
    /// The RTTM file (any number of recordings).
    #[arg(value_name = "FILE.rttm")]
    pub rttm: PathBuf,
    /// The scored extent of each recording.
    #[arg(long, value_name = "FILE.uem")]
    pub uem: Option<PathBuf>,
    /// Tick length of the logs in ms (1 keeps millisecond precision).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub tick_ms: u16,
    /// Where to write the logs (created if missing).
    #[arg(long, value_name = "DIR", required = true)]
    pub out_dir: PathBuf,
    /// Decision times: one per line, `SECONDS` or `RECORDING SECONDS`.
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
}

/// One decision of a `--decisions` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionTime {
    /// The recording it belongs to; `None`: every recording.
    pub recording: Option<String>,
    /// Seconds from the recording's start, in µs.
    pub at_us: u64,
}

/// Parses a `--decisions` file: one decision per line, `SECONDS` or
/// `RECORDING SECONDS`; blank lines and `#` comments are skipped.
///
/// ```
/// use tabletalk::commands::import::{parse_decisions, DecisionTime};
/// let times = parse_decisions("# agreed\n120.5\nES2011a 300\n").unwrap();
/// assert_eq!(times[0], DecisionTime { recording: None, at_us: 120_500_000 });
/// assert_eq!(times[1].recording.as_deref(), Some("ES2011a"));
/// assert!(parse_decisions("soon\n").unwrap_err().contains("line 1"));
/// ```
///
/// # Errors
/// The first line that is neither, with its number.
pub fn parse_decisions(text: &str) -> Result<Vec<DecisionTime>, String> {
    let mut times = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (recording, seconds) = match fields.as_slice() {
            [seconds] => (None, *seconds),
            [recording, seconds] => (Some((*recording).to_owned()), *seconds),
            _ => (None, ""),
        };
        let at_us = rttm::parse_seconds_us(seconds).ok_or_else(|| {
            format!(
                "line {}: expected `SECONDS` or `RECORDING SECONDS`, found `{line}`",
                number + 1
            )
        })?;
        times.push(DecisionTime { recording, at_us });
    }
    Ok(times)
}

/// A file name from a recording name: anything but letters, digits, `.`,
/// `-` and `_` becomes `_`.
pub fn file_stem(recording: &str) -> String {
    let stem: String = recording
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() || stem.starts_with('.') {
        format!("_{stem}")
    } else {
        stem
    }
}

/// A stable 16-bit nonce from a recording name (FNV-1a folded), so that
/// importing the same file twice gives identical logs.
fn nonce(name: &str) -> u16 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    (hash ^ (hash >> 16)) as u16
}

/// The log bytes of one recording.
///
/// # Errors
/// A message when the recording cannot be a log (more than 255 speakers).
pub fn recording_log(recording: &Recording, number: u32, tick_ms: u16) -> Result<Vec<u8>, String> {
    recording_log_with_decisions(recording, number, tick_ms, &[])
}

/// The log bytes of one recording with `Decision` markers at `decisions_us`
/// (µs from the recording's start; times outside its extent are left out,
/// see [`outside_extent`]).
///
/// # Errors
/// A message when the recording cannot be a log (more than 255 speakers).
pub fn recording_log_with_decisions(
    recording: &Recording,
    number: u32,
    tick_ms: u16,
    decisions_us: &[u64],
) -> Result<Vec<u8>, String> {
    if recording.speakers.len() > MAX_LOG_SEATS {
        return Err(format!(
            "{} has {} speakers; a log holds at most {MAX_LOG_SEATS} seats",
            recording.name,
            recording.speakers.len()
        ));
    }
    let ticked = recording.ticked(u32::from(tick_ms));
    let spec = SessionSpec {
        session: SessionId {
            number,
            nonce: nonce(&recording.name),
        },
        tick_ms,
        inputs: vec![InputKind::External; recording.speakers.len()],
        labels: recording.speakers.iter().cloned().map(Some).collect(),
        ..SessionSpec::default()
    };
    let turns: Vec<(u8, u64, u64)> = ticked
        .turns
        .iter()
        .enumerate()
        .flat_map(|(seat, turns)| {
            let seat = u8::try_from(seat).unwrap_or(u8::MAX);
            turns.iter().map(move |&(a, b)| (seat, a, b))
        })
        .collect();
    let mut markers = vec![(ticked.extent.0, MarkerKind::Start)];
    for &(a, b) in &ticked.gaps {
        markers.push((a, MarkerKind::Pause));
        markers.push((b, MarkerKind::Resume));
    }
    for &at in decisions_us {
        let at = rttm::us_to_tick(at, u32::from(tick_ms));
        if (ticked.extent.0..=ticked.extent.1).contains(&at) {
            markers.push((at, MarkerKind::Decision));
        }
    }
    markers.push((ticked.extent.1, MarkerKind::Stop));
    encode_session(&spec, &turns, &markers, ticked.extent.1)
        .map_err(|e| format!("{}: {e}", recording.name))
}

/// How many of `decisions_us` fall outside the recording's extent.
pub fn outside_extent(recording: &Recording, decisions_us: &[u64]) -> usize {
    let (from, to) = recording.extent_us();
    decisions_us
        .iter()
        .filter(|&&at| at < from || at > to)
        .count()
}

fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::bad_input(format!("{}: not UTF-8 text", path.display())))
}

/// Runs `tabletalk import`.
///
/// # Errors
/// Unreadable input (exit 2 for bad contents, 1 for I/O).
pub fn run(args: Args) -> anyhow::Result<()> {
    let What::Rttm(args) = args.what;
    let segments = rttm::parse_rttm(&read_text(&args.rttm)?)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.rttm.display())))?;
    let uem = match &args.uem {
        Some(path) => rttm::parse_uem(&read_text(path)?)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let decisions = match &args.decisions {
        Some(path) => parse_decisions(&read_text(path)?)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let recordings = rttm::group_recordings(&segments, &uem);
    for unknown in decisions
        .iter()
        .filter_map(|d| d.recording.as_deref())
        .filter(|name| !recordings.iter().any(|r| r.name == *name))
    {
        eprintln!("tabletalk: warning: decisions name recording `{unknown}`, which the RTTM does not have (ignored)");
    }
    if recordings.is_empty() {
        return Err(CliError::bad_input(format!(
            "{}: no SPEAKER lines, nothing to import",
            args.rttm.display()
        ))
        .into());
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| CliError::failure(format!("cannot create {}: {e}", args.out_dir.display())))?;
    let (mut written, mut turns, mut skipped) = (0usize, 0usize, 0usize);
    for (number, recording) in recordings.iter().enumerate() {
        if !uem.is_empty() && recording.scored.is_empty() {
            eprintln!(
                "tabletalk: warning: {} is not in the UEM; its extent is taken from its segments",
                recording.name
            );
        }
        if let Some(long) = recording.speakers.iter().find(|s| s.len() > MAX_LABEL_LEN) {
            eprintln!(
                "tabletalk: warning: {}: speaker name `{long}` is longer than {MAX_LABEL_LEN} bytes and was shortened",
                recording.name
            );
        }
        let mine: Vec<u64> = decisions
            .iter()
            .filter(|d| d.recording.as_deref().is_none_or(|r| r == recording.name))
            .map(|d| d.at_us)
            .collect();
        let outside = outside_extent(recording, &mine);
        if outside > 0 {
            eprintln!(
                "tabletalk: warning: {}: {outside} decision time(s) outside the recording's extent (left out)",
                recording.name
            );
        }
        let bytes = match recording_log_with_decisions(
            recording,
            u32::try_from(number).unwrap_or(u32::MAX),
            args.tick_ms,
            &mine,
        ) {
            Ok(bytes) => bytes,
            Err(message) => {
                eprintln!("tabletalk: warning: {message} (skipped)");
                skipped += 1;
                continue;
            }
        };
        let path = args
            .out_dir
            .join(format!("{}.{LOG_EXTENSION}", file_stem(&recording.name)));
        std::fs::write(&path, bytes)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
        written += 1;
        turns += recording.segments.len();
    }
    eprintln!(
        "tabletalk: imported {written} recording{} ({turns} segments) into {}{}",
        if written == 1 { "" } else { "s" },
        args.out_dir.display(),
        if skipped > 0 {
            format!("; {skipped} skipped")
        } else {
            String::new()
        }
    );
    if written == 0 {
        return Err(CliError::bad_input("nothing could be imported").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("ES2011a"), "ES2011a");
        assert_eq!(file_stem("a/b c"), "a_b_c");
        assert_eq!(file_stem("..x"), "_..x");
        assert_eq!(file_stem(""), "_");
        assert_ne!(nonce("a"), nonce("b"));
    }
}
