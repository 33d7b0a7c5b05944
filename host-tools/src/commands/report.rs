//! `tabletalk report LOG...`: participation-equity reports.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::duration::parse_duration_ms;
use crate::error::CliError;
use crate::metrics::{analyse, Options};
use crate::output::{refuse_clashes, Target};
use crate::report::text::Terminal;
use crate::report::{html, render, Format, Report};
use crate::roster::Roster;
use crate::{diag, inputs, session::Session};

/// Arguments of `tabletalk report`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  tabletalk report meeting.ttlog                  a table in the terminal
  tabletalk report logs/ --format html -o out.html  one page with charts, for a facilitator
  tabletalk report logs/ --roster roster.toml --format md
  tabletalk report meeting.ttlog --window 5m --format json
  tabletalk report meeting.ttlog --roster roster.toml --lead-up 10m   who spoke before each decision

Roster (--roster FILE, TOML; names stay on this laptop, never in a log):
  [[seat]]
  seat = 0                  match by seat index (from 0, as in the log) …
  name = \"Ana Ruiz\"
  organisation = \"Harbour Trust\"   # also sector = \"…\", role = \"…\"
  [[seat]]
  label = \"FEE041\"        … or by the seat's label (e.g. an RTTM speaker)
  name = \"Ben Okafor\"
  [[seat]]
  log = \"ES2011b\"         this log only (file name without extension, or
  seat = 2                  an RTTM recording id); wins over entries without
  name = \"Ana Ruiz\"       `log`, which apply to every log
The same name at different seats is one person: the JSON `people` list and
the series view follow them across meetings. An entry that matches no seat
is a warning.

Damaged frames are skipped with a warning on stderr; everything intact is
reported. Exit codes: 0 ok (warnings possible), 1 I/O error, 2 not a log /
nothing decodable / bad usage.
Definitions of every figure: docs/metrics.md.")]
pub struct Args {
    /// Log files or directories of logs (searched recursively for .ttlog;
    /// each file read once, links followed, loops and FIFOs skipped). RTTM
    /// files are read too, one session per recording. `-` reads a log
    /// from standard input.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write to FILE instead of standard output (`-`: standard output).
    /// The file is replaced whole, or not at all.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The scored extent of RTTM inputs (UEM): each recording's extent is
    /// the UEM's, and gaps between its stretches become pauses.
    #[arg(long, value_name = "FILE.uem")]
    pub uem: Option<PathBuf>,
    /// Roster (TOML): seat → name, organisation, sector, role. Adds group
    /// shares; names stay on this laptop.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Also report figures per time window, e.g. 5m, 90s, 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub window: Option<u64>,
    /// Colour in the terminal report: auto (when standard output is a
    /// terminal and NO_COLOR is unset), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColourChoice::Auto)]
    pub color: ColourChoice,
    /// The report's heading (default: \"Who spoke at the table\").
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Longest backchannel (default: each log header's value, 1 s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub backchannel_max: Option<u64>,
    /// How far back from each decision marker to look at who spoke, e.g.
    /// 5m (the default), 90s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub lead_up: Option<u64>,
}

/// When to colour the terminal report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColourChoice {
    /// When standard output is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How the text report is shown on this terminal: its width (from the
/// terminal, else `COLUMNS`) and whether to colour it.
fn terminal(choice: ColourChoice, to_stdout: bool) -> Terminal {
    use std::io::IsTerminal;
    let is_terminal = to_stdout && std::io::stdout().is_terminal();
    let width = if is_terminal {
        terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
    } else {
        None
    }
    .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
    .filter(|&w| w >= 20);
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Terminal {
        width,
        colour: match choice {
            ColourChoice::Always => true,
            ColourChoice::Never => false,
            ColourChoice::Auto => is_terminal && !no_colour,
        },
    }
}

/// Loads every input file (see [`inputs::expand`]), warning about damage
/// and skipping unusable files; fails only when nothing at all is usable.
/// Returns the sessions and the per-input summaries. `uem` gives the
/// scored extent of RTTM inputs.
///
/// # Errors
/// The first input's error when no input yields a session.
pub fn load_all(
    files: &[PathBuf],
    uem: Option<&Path>,
) -> Result<(Vec<Session>, Vec<crate::report::InputSummary>), CliError> {
    let uem = uem.map(inputs::read_uem).transpose()?;
    map_sessions(files, uem.as_deref().unwrap_or_default(), |session| session)
}

/// Like [`load_all`], but hands every session to `f` as soon as it is read
/// (inputs in parallel, each streamed) and keeps only what `f` returns, in
/// input order: a report over many or long logs holds one session's turns
/// at a time per thread, plus what `f` keeps (e.g. its figures). `files`
/// are expanded inputs ([`inputs::expand`]).
///
/// # Errors
/// The first input's error when no input yields a session.
pub fn map_sessions<T: Send>(
    files: &[PathBuf],
    uem: &[tabletalk_eval::rttm::UemSegment],
    f: impl Fn(Session) -> T + Sync,
) -> Result<(Vec<T>, Vec<crate::report::InputSummary>), CliError> {
    map_sessions_at(files, uem, |_, session| f(session))
}

/// Where a session was read: its input's index in `files`, and its
/// position among that input's sessions (the order they were handed on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// The input's index.
    pub file: usize,
    /// The session's position in its input.
    pub nth: usize,
}

/// [`map_sessions`], telling `f` where each session was read.
///
/// # Errors
/// As [`map_sessions`].
pub fn map_sessions_at<T: Send>(
    files: &[PathBuf],
    uem: &[tabletalk_eval::rttm::UemSegment],
    f: impl Fn(Place, Session) -> T + Sync,
) -> Result<(Vec<T>, Vec<crate::report::InputSummary>), CliError> {
    let loaded: Vec<_> = files
        .par_iter()
        .enumerate()
        .map(|(file, path)| {
            let mut kept = Vec::new();
            inputs::load_each(path, uem, |session| {
                let place = Place {
                    file,
                    nth: kept.len(),
                };
                kept.push(f(place, session));
            })
            .map(|log| (log, kept))
        })
        .collect();
    let mut sessions = Vec::new();
    let mut summaries = Vec::new();
    let mut first_error = None;
    let many = loaded.len() > 1;
    for result in loaded {
        match result {
            Ok((log, kept)) => {
                if let Some(warning) = log.warning() {
                    diag::warn(warning);
                }
                summaries.push(log.summary());
                sessions.extend(kept);
            }
            Err(error) => {
                if many {
                    diag::warn(format_args!("{error} (skipped)"));
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

/// What [`analyse_all`] gives: every session's figures, the sessions the
/// format draws, and the per-input summaries.
pub type Analysed = (
    Vec<crate::metrics::SessionFigures>,
    Vec<Session>,
    Vec<crate::report::InputSummary>,
);

/// The figures of every session of `files`, in input order, and the
/// sessions themselves that `format` draws: each session is analysed as it
/// is read and dropped, except that the HTML page keeps the turns of the
/// meetings it details (the first [`html::DETAILED`]: at most that many
/// sessions of each of the first that many inputs are kept while reading,
/// then the leading ones), so memory does not grow with the number of
/// logs.
///
/// # Errors
/// As [`map_sessions`].
pub fn analyse_all(
    files: &[PathBuf],
    uem: &[tabletalk_eval::rttm::UemSegment],
    options: &Options,
    roster: Option<&Roster>,
    format: Format,
) -> Result<Analysed, CliError> {
    let detailed = if format == Format::Html {
        html::DETAILED
    } else {
        0
    };
    let (analysed, summaries) = map_sessions_at(files, uem, |place, session| {
        let figures = analyse(&session, options, roster);
        let keep = place.file < detailed && place.nth < detailed;
        (figures, keep.then_some(session))
    })?;
    let (figures, kept): (Vec<_>, Vec<_>) = analysed.into_iter().unzip();
    // The page draws the turns of the first `detailed` sessions: those
    // that were kept, up to the first that was not (its section then has
    // no timeline).
    let sessions = kept.into_iter().take(detailed).map_while(|s| s).collect();
    Ok((figures, sessions, summaries))
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
    let target = Target::from_flag(args.output.as_deref());
    let files = inputs::expand(&args.logs)?;
    let mut read: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    read.extend(args.roster.as_deref());
    read.extend(args.uem.as_deref());
    refuse_clashes(&read, &[target.file().unwrap_or(Path::new("-"))])?;
    let uem = args.uem.as_deref().map(inputs::read_uem).transpose()?;
    let options = Options {
        backchannel_max_ms: args.backchannel_max,
        window_ms: args.window,
        lead_up_ms: args.lead_up,
    };
    let (figures, sessions, summaries) = analyse_all(
        &files,
        uem.as_deref().unwrap_or_default(),
        &options,
        roster.as_ref(),
        args.format,
    )?;
    let mut report = Report::from_figures(figures, summaries, &options, roster.as_ref());
    report.title = args.title;
    report.terminal = terminal(args.color, target.file().is_none());
    for warning in &report.warnings {
        diag::warn(warning);
    }
    target.write_with(|out| render(&report, &sessions, args.format, out))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{encode_session, SessionSpec};
    use tabletalk_core::records::SessionId;
    use tabletalk_core::seat::InputKind;

    /// An HTML report over more logs than it details keeps the turns of
    /// the detailed meetings only, and its page is byte for byte the page
    /// made with every session kept.
    #[test]
    fn an_html_report_keeps_only_the_sessions_it_details() {
        let dir = std::env::temp_dir().join(format!("tabletalk-html-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let count = html::DETAILED + 7;
        let files: Vec<PathBuf> = (0..count)
            .map(|i| {
                let spec = SessionSpec {
                    session: SessionId {
                        number: i as u32,
                        nonce: 1,
                    },
                    tick_ms: 10,
                    inputs: vec![InputKind::Button; 3],
                    ..SessionSpec::default()
                };
                let turns: Vec<(u8, u64, u64)> = (0..30)
                    .map(|t| ((t % 3) as u8, t * 100 + i as u64, t * 100 + 60))
                    .collect();
                let path = dir.join(format!("m{i:03}.ttlog"));
                std::fs::write(&path, encode_session(&spec, &turns, &[], 3_100).unwrap()).unwrap();
                path
            })
            .collect();
        let options = Options::default();
        let (figures, sessions, summaries) =
            analyse_all(&files, &[], &options, None, Format::Html).unwrap();
        assert_eq!(figures.len(), count);
        assert_eq!(sessions.len(), html::DETAILED);
        let (_, none, _) = analyse_all(&files, &[], &options, None, Format::Json).unwrap();
        assert!(none.is_empty());

        let page = |sessions: &[Session]| {
            let report = Report::from_figures(figures.clone(), summaries.clone(), &options, None);
            let mut out = Vec::new();
            render(&report, sessions, Format::Html, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let (all, _) = load_all(&files, None).unwrap();
        assert_eq!(all.len(), count);
        let bounded = page(&sessions);
        assert_eq!(bounded, page(&all));
        assert_eq!(
            bounded.matches("<section class=\"session\"").count(),
            html::DETAILED
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
