//! `tabletalk batch DIR -o FILE [--format csv|parquet]`: every session of
//! every log as rows (one per session, one per seat), on all cores.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::duration::parse_duration_ms;
use crate::error::CliError;
use crate::metrics::{analyse, Options};
use crate::output::{refuse_clashes, AtomicFile};
use crate::report::table::Table;
use crate::roster::Roster;
use crate::{diag, inputs};

/// Output formats of `batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet (typed columns, nulls).
    Parquet,
}

/// Arguments of `tabletalk batch`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Example:
  tabletalk batch logs/ -o sessions.parquet
  duckdb -c \"select source, gini from 'sessions.parquet' where level = 'session'\"

Rows: level = 'session' (the session's figures) or 'seat' (one seat's).
Columns are those of `tabletalk report --format csv` (docs/metrics.md).
Unreadable logs are skipped with a warning; damaged frames are reported.")]
pub struct Args {
    /// Directory of logs (searched recursively for .ttlog), or log files.
    #[arg(required = true, value_name = "DIR")]
    pub inputs: Vec<PathBuf>,
    /// Output file (`.csv` or `.parquet`), replaced whole or not at all.
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "out",
        value_name = "FILE",
        required = true
    )]
    pub output: PathBuf,
    /// Output format (default: from the extension of --output; any other
    /// extension needs --format).
    #[arg(long, value_enum)]
    pub format: Option<BatchFormat>,
    /// Roster (TOML) to add names, organisations, sectors and roles.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Longest backchannel (default: each log header's value).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub backchannel_max: Option<u64>,
}

/// The format an output file's extension names.
///
/// # Errors
/// Any extension but `.csv` and `.parquet` (exit code 2): writing CSV into
/// `x.xlsx` would only make a file that its program cannot open.
pub fn format_of(path: &Path) -> Result<BatchFormat, CliError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv") => Ok(BatchFormat::Csv),
        Some("parquet") => Ok(BatchFormat::Parquet),
        _ => Err(CliError::bad_input(format!(
            "{}: say --format csv or --format parquet (the name ends in neither .csv nor .parquet)",
            path.display()
        ))),
    }
}

/// Runs `tabletalk batch`.
///
/// # Errors
/// Nothing usable (exit 2), I/O (exit 1).
pub fn run(args: Args) -> anyhow::Result<()> {
    let format = match args.format {
        Some(format) => format,
        None => format_of(&args.output)?,
    };
    let roster = match &args.roster {
        Some(path) => Some(Roster::load(path).map_err(CliError::bad_input)?),
        None => None,
    };
    let files = inputs::expand(&args.inputs)?;
    let mut read: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    read.extend(args.roster.as_deref());
    refuse_clashes(&read, &[&args.output])?;
    let progress = ProgressBar::new(files.len() as u64);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} logs · {elapsed} · eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        progress.set_draw_target(ProgressDrawTarget::hidden());
    }
    let options = Options {
        backchannel_max_ms: args.backchannel_max,
        window_ms: None,
        lead_up_ms: None,
    };
    let results: Vec<_> = files
        .par_iter()
        .map(|path| {
            let mut table = Table::default();
            let result = inputs::load_each(path, &[], |session| {
                table.push_session(&analyse(&session, &options, roster.as_ref()));
            })
            .map(|log| (log.warning(), log.session_count, table.rows));
            progress.inc(1);
            result
        })
        .collect();
    progress.finish_and_clear();

    let mut table = Table::new();
    let (mut sessions, mut logs, mut skipped) = (0usize, 0usize, 0usize);
    let mut first_error = None;
    for result in results {
        match result {
            Ok((warning, count, rows)) => {
                if let Some(warning) = warning {
                    diag::warn(warning);
                }
                sessions += count;
                logs += 1;
                table.rows.extend(rows);
            }
            Err(error) => {
                diag::warn(format_args!("{error} (skipped)"));
                skipped += 1;
                first_error.get_or_insert(error);
            }
        }
    }
    if logs == 0 {
        return Err(first_error
            .unwrap_or_else(|| CliError::bad_input("no logs found"))
            .into());
    }
    let mut file = AtomicFile::create(&args.output)?;
    let written = match format {
        BatchFormat::Csv => crate::report::csv::write(&table, &mut file).map_err(|e| e.to_string()),
        BatchFormat::Parquet => {
            crate::report::parquet::write(&table, &mut file).map_err(|e| e.to_string())
        }
    };
    written
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", args.output.display())))?;
    file.commit()?;
    diag::note(format_args!(
        "{sessions} session{} from {logs} log{} → {} ({} rows){}",
        if sessions == 1 { "" } else { "s" },
        if logs == 1 { "" } else { "s" },
        args.output.display(),
        table.rows.len(),
        if skipped > 0 {
            format!("; {skipped} skipped")
        } else {
            String::new()
        }
    ));
    Ok(())
}
