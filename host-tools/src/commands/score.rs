//! `tabletalk score --ref REF.rttm LOG`: detected turns against a reference
//! annotation — missed speech, false alarm, seat confusion, their sum as a
//! diarization-error-style rate, and each seat's share-of-speaking-time error.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::CliError;
use crate::logs;
use tabletalk_eval::rttm::{self, Recording};
use tabletalk_eval::score::{score, Mapping, Score, ScoreOptions, Track};

/// Arguments of `tabletalk score`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "What is scored is what NIST md-eval (md-eval-22.pl) scores, with the \
same figures (its SCORED SPEAKER, MISSED SPEAKER, FALARM SPEAKER and SPEAKER ERROR times):

  * Time 0 of the log's session is time 0 of the reference recording (as for logs made by \
`tabletalk replay`, `simulate` and `import`); neither is shifted.
  * The scored region is the UEM's stretches for the recording, the gaps between them left \
out; without --uem, the reference's extent: from its first segment's start to its last \
segment's end. Turns outside the region count for nothing.
  * --collar c leaves [b - c, b + c] unscored around every start and end b of every \
reference segment as written in the RTTM (touching segments of one speaker keep the boundary \
between them); a UEM cutting a segment makes no boundary.
  * Overlapping speech is scored: missed = max(0, speakers - seats on), false alarm = \
max(0, seats on - speakers), confusion = min(speakers, seats on) - seats on whose paired \
speaker talks, each times the interval's length; the error rate is their sum over the \
reference speaker time. When no reference speech is scored the rate is undefined and is \
shown as such (JSON: null), never as 0.

Speakers are paired with seats by label when every reference speaker's label names a seat, \
otherwise (and always with --map optimal, as md-eval) by the one-to-one pairing that \
maximises the time both agree on inside the region (Hungarian method). Shares of speaking \
time are over the region, collars not taken out.

Only SPEAKER lines of the RTTM are read: md-eval's NOSCORE and NON-LEX exclusion zones do not \
apply.

Examples:
  tabletalk score --ref meeting.rttm meeting.ttlog
  tabletalk score --ref all.rttm --uem all.uem --recording ES2011a --collar 0.25 out.ttlog
  tabletalk score --ref all.rttm --recording ES2011a --format json out.ttlog

Definitions: docs/mic-evaluation.md."
)]
pub struct Args {
    /// The reference annotation (RTTM).
    #[arg(long = "ref", value_name = "REF.rttm")]
    pub reference: PathBuf,
    /// The log whose turns are scored.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The scored stretches of the recording (UEM); by default the
    /// reference's extent, first segment start to last segment end.
    #[arg(long, value_name = "FILE.uem")]
    pub uem: Option<PathBuf>,
    /// Which recording of the RTTM (needed when it holds several and none
    /// is named like the log file).
    #[arg(long, value_name = "NAME")]
    pub recording: Option<String>,
    /// Which session of the log, counted from 0.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub session: usize,
    /// Not scored: this many seconds before and after every start and end
    /// of every reference segment (per side; md-eval's -c).
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
    error_rate: Option<f64>,
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
    if !(args.collar.is_finite() && args.collar >= 0.0) {
        return Err(CliError::bad_input(format!(
            "--collar {}: give a number of seconds, 0 or more",
            args.collar
        ))
        .into());
    }
    let recording = read_reference(&args)?;
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

    let ms = |us: u64| rttm::us_to_tick(us, 1);
    let reference: Vec<Track> = recording
        .speakers
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let segments = recording
                .segments_of(i)
                .map(|(start, end)| (ms(start), ms(end)))
                .collect();
            Track::new(label.clone(), segments)
        })
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
    let options = ScoreOptions {
        collar_ms: (args.collar * 1000.0).round() as u64,
        region: (!recording.scored.is_empty()).then(|| {
            recording
                .scored
                .iter()
                .map(|&(a, b)| (ms(a), ms(b)))
                .collect()
        }),
        mapping: args.map,
    };
    let result = score(&reference, &detected, &options);
    if result.error_rate().is_none() {
        eprintln!(
            "tabletalk: warning: {}: {}",
            recording.name,
            nothing_scored(&result, args.collar)
        );
    }
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

/// The recording of `--ref` (and its `--uem` stretches) that the log is
/// scored against.
fn read_reference(args: &Args) -> anyhow::Result<Recording> {
    let rttm_text = read_text(&args.reference)?;
    let segments = rttm::parse_rttm(&rttm_text)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.reference.display())))?;
    let uem = match &args.uem {
        Some(path) => rttm::parse_uem(&read_text(path)?)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let mut recordings = rttm::group_recordings(&segments, &uem);
    let stem = args
        .log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chosen = match (&args.recording, recordings.len()) {
        (Some(name), _) => recordings.iter().position(|m| &m.name == name),
        (None, 1) => Some(0),
        (None, _) => recordings.iter().position(|m| m.name == stem),
    };
    let Some(chosen) = chosen else {
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
    let recording = recordings.swap_remove(chosen);
    if let (Some(path), true) = (&args.uem, recording.scored.is_empty()) {
        return Err(CliError::bad_input(format!(
            "{}: no line for recording {}",
            path.display(),
            recording.name
        ))
        .into());
    }
    Ok(recording)
}

/// Why there is no error rate.
fn nothing_scored(r: &Score, collar: f64) -> String {
    if r.scored_ms == 0 && collar > 0.0 {
        format!(
            "nothing was scored: the collars ({collar} s per side) cover the whole scored region"
        )
    } else if r.scored_ms == 0 {
        "nothing was scored: the scored region is empty".to_owned()
    } else {
        format!(
            "no reference speech in the {:.1} s scored, so no error rate ({:.1} s of false alarm)",
            r.scored_ms as f64 / 1000.0,
            r.false_alarm_ms / 1000.0
        )
    }
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
    match r.error_rate() {
        Some(rate) => {
            let ref_ms = r.reference_ms;
            writeln!(
                out,
                "\n  overall: missed {} + false alarm {} + confusion {} = error {}   (of {:.1} s of reference speech)",
                pct(r.missed_ms / ref_ms),
                pct(r.false_alarm_ms / ref_ms),
                pct(r.confusion_ms / ref_ms),
                pct(rate),
                ref_ms / 1000.0
            )?;
        }
        None => writeln!(out, "\n  overall: {}", nothing_scored(r, collar))?,
    }
    writeln!(
        out,
        "  worst share error: {:.1} pp",
        r.worst_share_error_pp()
    )
}
