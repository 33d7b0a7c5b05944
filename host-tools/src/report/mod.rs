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
pub mod table;
pub mod text;

use std::io::{self, Write};

use serde::Serialize;

use crate::metrics::exchange::{self, ExchangeTrend};
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
    /// Each session figure across sessions (empty with one session).
    pub trend: Vec<TrendFigure>,
    /// The E-I index of each session per roster dimension (with two or
    /// more sessions and a roster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_trend: Option<ExchangeTrend>,
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
        Report::from_figures(figures, inputs, options, roster.is_some())
    }

    /// A report from figures already computed.
    pub fn from_figures(
        sessions: Vec<SessionFigures>,
        inputs: Vec<InputSummary>,
        options: &Options,
        roster: bool,
    ) -> Report {
        Report {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            generator: format!("tabletalk {}", env!("CARGO_PKG_VERSION")),
            parameters: Parameters {
                backchannel_max_ms: options.backchannel_max_ms,
                window_ms: options.window_ms,
                lead_up_ms: options.lead_up_ms,
                roster,
            },
            inputs,
            trend: if sessions.len() >= 2 {
                trend(&sessions)
            } else {
                Vec::new()
            },
            exchange_trend: (sessions.len() >= 2 && roster).then(|| exchange::trend(&sessions)),
            sessions,
        }
    }
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
