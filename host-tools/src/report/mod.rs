//! Reports: the figures of one or many sessions, rendered for a terminal
//! (`text`), scripts (`json`), spreadsheets (`csv`), meeting notes (`md`)
//! or a facilitator's browser (`html`).
//!
//! [`Report`] is the JSON document itself (schema in `docs/metrics.md`,
//! versioned by [`SCHEMA_VERSION`]); the other formats render the same
//! struct, so they never disagree.

pub mod csv;
pub mod format;
pub mod html;
pub mod json;
pub mod markdown;
pub mod parquet;
pub mod rows;
pub mod svg;
pub mod table;
pub mod text;

use std::io::{self, Write};

use serde::Serialize;

use crate::metrics::exchange::{self, ExchangeTrend};
use crate::metrics::people::{self, Person, Voice};
use crate::metrics::trend::{trend, TrendFigure};
use crate::metrics::{analyse, Options, SessionFigures};
use crate::roster::Roster;
use crate::session::Session;

/// The schema's name, written into every JSON report.
pub const SCHEMA: &str = "tabletalk.report";
/// The schema's version: bumped when a field changes meaning or goes away
/// (adding fields does not bump it).
pub const SCHEMA_VERSION: u32 = 1;

/// The output formats of `tabletalk report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A terminal table.
    Text,
    /// The versioned JSON document.
    Json,
    /// One row per session and per seat, for spreadsheets.
    Csv,
    /// Markdown tables, for meeting notes.
    Md,
    /// One self-contained page with charts.
    Html,
}

/// What was lost reading one input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InputSummary {
    /// The file.
    pub path: String,
    /// Sessions read from it.
    pub sessions: usize,
    /// Damaged frames skipped.
    pub frames_lost: usize,
    /// Byte ranges `[start, end)` that could not be decoded.
    pub lost_byte_ranges: Vec<[u64; 2]>,
}

/// Settings the report was made with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Parameters {
    /// `--backchannel-max` when given (else each log header's value).
    pub backchannel_max_ms: Option<u64>,
    /// `--window` when given.
    pub window_ms: Option<u64>,
    /// `--lead-up` when given (else 5 minutes).
    pub lead_up_ms: Option<u64>,
    /// Whether a roster was applied.
    pub roster: bool,
}

/// A whole report: the JSON document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `tabletalk <version>`.
    pub generator: String,
    /// Settings.
    pub parameters: Parameters,
    /// One entry per input file.
    pub inputs: Vec<InputSummary>,
    /// One entry per session, in input order.
    pub sessions: Vec<SessionFigures>,
    /// One entry per roster name: the person's seat and figures in each
    /// session (empty without a roster).
    pub people: Vec<Person>,
    /// Each session figure across sessions, then each person's share and
    /// turns (empty with one session).
    pub trend: Vec<TrendFigure>,
    /// The E-I index of each session per roster dimension (with two or
    /// more sessions and a roster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_trend: Option<ExchangeTrend>,
    /// Every person across the sessions (with two or more sessions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    /// `--title`: the page's and the terminal report's heading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the reader of the command should be told (not part of the
    /// document): roster entries that matched no seat.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// How the terminal report is shown (not part of the document).
    #[serde(skip)]
    pub terminal: text::Terminal,
}

/// A series of sessions: `series` of the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    /// Every person (roster name, else seat label, else `seat N`), in order
    /// of first appearance: newcomers and quiet voices.
    pub people: Vec<Voice>,
}

impl Report {
    /// Analyses `sessions` into a report.
    pub fn build(
        sessions: &[Session],
        inputs: Vec<InputSummary>,
        options: &Options,
        roster: Option<&Roster>,
    ) -> Report {
        let figures: Vec<SessionFigures> = sessions
            .iter()
            .map(|s| analyse(s, options, roster))
            .collect();
        Report::from_figures(figures, inputs, options, roster)
    }

    /// A report from figures already computed.
    pub fn from_figures(
        sessions: Vec<SessionFigures>,
        inputs: Vec<InputSummary>,
        options: &Options,
        roster: Option<&Roster>,
    ) -> Report {
        let series = sessions.len() >= 2;
        Report {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            generator: format!("tabletalk {}", env!("CARGO_PKG_VERSION")),
            parameters: Parameters {
                backchannel_max_ms: options.backchannel_max_ms,
                window_ms: options.window_ms,
                lead_up_ms: options.lead_up_ms,
                roster: roster.is_some(),
            },
            inputs,
            people: roster.map_or_else(Vec::new, |r| people::people(r, &sessions)),
            trend: if series { trend(&sessions) } else { Vec::new() },
            exchange_trend: (series && roster.is_some()).then(|| exchange::trend(&sessions)),
            series: series.then(|| Series {
                people: people::voices(&sessions),
            }),
            title: None,
            terminal: text::Terminal::default(),
            warnings: roster.map_or_else(Vec::new, |r| roster_warnings(r, &sessions)),
            sessions,
        }
    }
}

/// Warnings for the roster entries no seat of `sessions` matched.
fn roster_warnings(roster: &Roster, sessions: &[SessionFigures]) -> Vec<String> {
    let mut used = vec![false; roster.entries.len()];
    for s in sessions {
        for seat in &s.seats {
            if let Some(i) = roster.entry_index(&s.source, seat.seat, seat.label.as_deref()) {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
            }
        }
    }
    roster.unmatched_warnings(&used)
}

/// Writes `report` in `format`. `sessions` are the sessions it was built
/// from, in the same order (the HTML timeline draws their turns).
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn render(
    report: &Report,
    sessions: &[Session],
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write(report, out),
        Format::Csv => csv::write(&table::Table::from_report(report), out),
        Format::Md => markdown::write(report, out),
        Format::Html => html::write(report, sessions, out),
    }
}
