//! `tabletalk score --ref REF.rttm LOG`: detected turns against a reference
//! annotation — missed speech, false alarm, seat confusion, their sum as a
//! diarization-error-style rate, and each seat's share-of-speaking-time error.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::CliError;
use crate::logs;
use tabletalk_eval::corpus::{meetings_from_rttm, Split};
use tabletalk_eval::score::{score, Mapping, Score, ScoreOptions, Track};

/// Arguments of `tabletalk score`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Time 0 of the log's session is time 0 of the reference recording \
(as for logs made by `tabletalk replay` and `tabletalk simulate`).

Speakers are paired with seats by label when every reference speaker's label names a seat, \
otherwise by the one-to-one pairing that maximises the time both agree on (Hungarian method).

Examples:
  tabletalk score --ref meeting.rttm meeting.ttlog
  tabletalk score --ref all.rttm --recording ES2011a --collar 0.25 --format json out.ttlog

Definitions: docs/mic-evaluation.md."
)]
pub struct Args {
    /// The reference annotation (RTTM).
    #[arg(long = "ref", value_name = "REF.rttm")]
    pub reference: PathBuf,
    /// The log whose turns are scored.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The scored extent of the recording (UEM); by default from 0 to the
    /// later of the session's end and the last reference segment.
    #[arg(long, value_name = "FILE.uem")]
    pub uem: Option<PathBuf>,
    /// Which recording of the RTTM (needed when it holds several and none
    /// is named like the log file).
    #[arg(long, value_name = "NAME")]
    pub recording: Option<String>,
    /// Which session of the log, counted from 0.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub session: usize,
    /// Not scored: this many seconds before and after every reference
    /// boundary (per side; md-eval's -c).
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub collar: f64,
    /// How speakers are paired with seats.
    #[arg(long, value_enum, default_value_t = Mapping::Auto)]
    pub map: Mapping,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats of `score`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A terminal table.
    Text,
    /// One JSON object (seconds and fractions).
    Json,
}

#[derive(Serialize)]
struct SeatJson {
    seat: usize,
    label: String,
    reference: Option<String>,
    reference_s: f64,
    missed_s: f64,
    false_alarm_s: f64,
    confusion_s: f64,
    error_rate: Option<f64>,
    share_reference: f64,
    share_detected: f64,
    share_error_pp: f64,
}

#[derive(Serialize)]
struct UnmappedJson {
    speaker: String,
    missed_s: f64,
    share_reference: f64,
}

#[derive(Serialize)]
struct ScoreJson {
    recording: String,
    log: String,
    session: usize,
    mapping: &'static str,
    collar_per_side_s: f64,
    scored_s: f64,
    reference_s: f64,
    missed_s: f64,
    false_alarm_s: f64,
    confusion_s: f64,
    error_rate: f64,
    seats: Vec<SeatJson>,
    unmapped_speakers: Vec<UnmappedJson>,
}

fn read_text(path: &PathBuf) -> Result<String, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::bad_input(format!("{}: not a text file", path.display())))
}

/// Runs `tabletalk score`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rttm_text = read_text(&args.reference)?;
    let uem_text = args.uem.as_ref().map(read_text).transpose()?;
    let recordings = meetings_from_rttm(&rttm_text, uem_text.as_deref(), Split::Other)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.reference.display())))?;
    let stem = args
        .log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let recording = match (&args.recording, recordings.len()) {
        (Some(name), _) => recordings.iter().find(|m| &m.name == name),
        (None, 1) => recordings.first(),
        (None, _) => recordings.iter().find(|m| m.name == stem),
    };
    let Some(recording) = recording else {
        let names: Vec<&str> = recordings.iter().map(|m| m.name.as_str()).collect();
        return Err(CliError::bad_input(if names.is_empty() {
            format!("{}: no SPEAKER lines", args.reference.display())
        } else {
            format!(
                "{}: choose a recording with --recording ({})",
                args.reference.display(),
                names.join(", ")
            )
        })
        .into());
    };

    let log = logs::read(&args.log)?;
    if let Some(w) = log.warning() {
        eprintln!("tabletalk: warning: {w}");
    }
    let session = log.sessions.get(args.session).ok_or_else(|| {
        CliError::bad_input(format!(
            "{}: no session {} (the log has {})",
            args.log.display(),
            args.session,
            log.sessions.len()
        ))
    })?;

    let reference: Vec<Track> = recording
        .speakers
        .iter()
        .map(|(l, s)| Track::new(l.clone(), s.clone()))
        .collect();
    let detected: Vec<Track> = session
        .stretches_by_seat()
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let label = session
                .seats
                .get(i)
                .and_then(|x| x.label.clone())
                .unwrap_or_default();
            Track::new(label, s)
        })
        .collect();
    let ref_end = reference
        .iter()
        .filter_map(|t| t.spans.last().map(|s| s.1))
        .max()
        .unwrap_or(0);
    let region = if uem_text.is_some() {
        (0, recording.duration_ms)
    } else {
        (0, session.end_ms.max(ref_end))
    };
    let options = ScoreOptions {
        collar_ms: (args.collar.max(0.0) * 1000.0).round() as u64,
        region: Some(region),
        mapping: args.map,
    };
    let result = score(&reference, &detected, &options);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => print_text(&mut out, &result, &recording.name, session, args.collar)?,
        Format::Json => {
            let json = to_json(
                &result,
                &recording.name,
                &args.log,
                args.session,
                args.collar,
            );
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn s(ms: f64) -> f64 {
    (ms / 1000.0 * 1000.0).round() / 1000.0
}

fn to_json(
    r: &Score,
    recording: &str,
    log: &std::path::Path,
    session: usize,
    collar: f64,
) -> ScoreJson {
    ScoreJson {
        recording: recording.to_owned(),
        log: log.display().to_string(),
        session,
        mapping: if r.mapped_by_label {
            "label"
        } else {
            "optimal"
        },
        collar_per_side_s: collar,
        scored_s: s(r.scored_ms as f64),
        reference_s: s(r.reference_ms),
        missed_s: s(r.missed_ms),
        false_alarm_s: s(r.false_alarm_ms),
        confusion_s: s(r.confusion_ms),
        error_rate: r.error_rate(),
        seats: r
            .seats
            .iter()
            .map(|x| SeatJson {
                seat: x.seat,
                label: x.label.clone(),
                reference: x.reference.clone(),
                reference_s: s(x.reference_ms),
                missed_s: s(x.missed_ms),
                false_alarm_s: s(x.false_alarm_ms),
                confusion_s: s(x.confusion_ms),
                error_rate: x.error_rate(),
                share_reference: x.share_reference,
                share_detected: x.share_detected,
                share_error_pp: x.share_error_pp(),
            })
            .collect(),
        unmapped_speakers: r
            .unmapped
            .iter()
            .map(|(speaker, missed, share)| UnmappedJson {
                speaker: speaker.clone(),
                missed_s: s(*missed),
                share_reference: *share,
            })
            .collect(),
    }
}

fn print_text(
    out: &mut impl Write,
    r: &Score,
    recording: &str,
    session: &crate::session::Session,
    collar: f64,
) -> std::io::Result<()> {
    let pct = |x: f64| {
        if x.is_finite() {
            format!("{:.1} %", 100.0 * x)
        } else {
            "—".into()
        }
    };
    writeln!(
        out,
        "{recording}: {} seats, speakers paired {}, collar {collar} s per side, {:.1} s scored",
        session.seats.len(),
        if r.mapped_by_label {
            "by label"
        } else {
            "by optimal assignment"
        },
        r.scored_ms as f64 / 1000.0
    )?;
    writeln!(
        out,
        "\n  {:<16} {:<16} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "seat",
        "speaker",
        "speech s",
        "missed s",
        "f.alarm s",
        "confus. s",
        "error",
        "ref %",
        "det %",
        "err pp"
    )?;
    for x in &r.seats {
        writeln!(
            out,
            "  {:<16} {:<16} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>8} {:>8.1} {:>8.1} {:>+8.1}",
            session
                .seats
                .get(x.seat)
                .map_or(format!("seat {}", x.seat), |i| i.display_label(x.seat)),
            x.reference.as_deref().unwrap_or("—"),
            x.reference_ms / 1000.0,
            x.missed_ms / 1000.0,
            x.false_alarm_ms / 1000.0,
            x.confusion_ms / 1000.0,
            x.error_rate().map_or("—".into(), pct),
            100.0 * x.share_reference,
            100.0 * x.share_detected,
            x.share_error_pp()
        )?;
    }
    for (speaker, missed, share) in &r.unmapped {
        writeln!(
            out,
            "  {:<16} {:<16} {:>9} {:>9.1} {:>9} {:>9} {:>8} {:>8.1}",
            "(no seat)",
            speaker,
            "",
            missed / 1000.0,
            "",
            "",
            "",
            100.0 * share
        )?;
    }
    let ref_s = r.reference_ms.max(1.0);
    writeln!(
        out,
        "\n  overall: missed {} + false alarm {} + confusion {} = error {}   (of {:.1} s of reference speech)",
        pct(r.missed_ms / ref_s),
        pct(r.false_alarm_ms / ref_s),
        pct(r.confusion_ms / ref_s),
        pct(r.error_rate()),
        r.reference_ms / 1000.0
    )?;
    writeln!(
        out,
        "  worst share error: {:.1} pp",
        r.worst_share_error_pp()
    )
}
