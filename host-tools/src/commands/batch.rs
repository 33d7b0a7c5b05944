//! `tabletalk batch DIR --out FILE --format csv|parquet`: every session of
//! every log as rows (one per session, one per seat), on all cores.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::duration::parse_duration_ms;
use crate::error::CliError;
use crate::inputs;
use crate::metrics::{analyse, Options};
use crate::report::table::Table;
use crate::roster::Roster;

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
  tabletalk batch logs/ --out sessions.parquet --format parquet
  duckdb -c \"select source, gini from 'sessions.parquet' where level = 'session'\"

Rows: level = 'session' (the session's figures) or 'seat' (one seat's).
Columns are those of `tabletalk report --format csv` (docs/metrics.md).
Unreadable logs are skipped with a warning; damaged frames are reported.")]
pub struct Args {
    /// Directory of logs (searched recursively for .ttlog), or log files.
    #[arg(required = true, value_name = "DIR")]
    pub inputs: Vec<PathBuf>,
    /// Output file.
    #[arg(long, value_name = "FILE", required = true)]
    pub out: PathBuf,
    /// Output format (default: from the extension of --out, else csv).
    #[arg(long, value_enum)]
    pub format: Option<BatchFormat>,
    /// Roster (TOML) to add names, organisations, sectors and roles.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Longest backchannel (default: each log header's value).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_ms)]
    pub backchannel_max: Option<u64>,
}

/// Runs `tabletalk batch`.
///
/// # Errors
/// Nothing usable (exit 2), I/O (exit 1).
pub fn run(args: Args) -> anyhow::Result<()> {
    let format = args.format.unwrap_or_else(|| {
        if args
            .out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            BatchFormat::Parquet
        } else {
            BatchFormat::Csv
        }
    });
    let roster = match &args.roster {
        Some(path) => Some(Roster::load(path).map_err(CliError::bad_input)?),
        None => None,
    };
    let files = inputs::expand(&args.inputs)?;
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
            let result = inputs::load(path).map(|log| {
                let mut table = Table::default();
                for session in &log.sessions {
                    table.push_session(&analyse(session, &options, roster.as_ref()));
                }
                (log.warning(), log.sessions.len(), table.rows)
            });
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
                    eprintln!("tabletalk: warning: {warning}");
                }
                sessions += count;
                logs += 1;
                table.rows.extend(rows);
            }
            Err(error) => {
                eprintln!("tabletalk: warning: {error} (skipped)");
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
    let file = std::fs::File::create(&args.out)
        .map_err(|e| CliError::failure(format!("cannot create {}: {e}", args.out.display())))?;
    let written = match format {
        BatchFormat::Csv => {
            let mut out = std::io::BufWriter::new(file);
            crate::report::csv::write(&table, &mut out)
                .and_then(|()| std::io::Write::flush(&mut out))
                .map_err(|e| e.to_string())
        }
        BatchFormat::Parquet => {
            crate::report::parquet::write(&table, file).map_err(|e| e.to_string())
        }
    };
    written.map_err(|e| CliError::failure(format!("cannot write {}: {e}", args.out.display())))?;
    eprintln!(
        "tabletalk: {sessions} session{} from {logs} log{} → {} ({} rows){}",
        if sessions == 1 { "" } else { "s" },
        if logs == 1 { "" } else { "s" },
        args.out.display(),
        table.rows.len(),
        if skipped > 0 {
            format!("; {skipped} skipped")
        } else {
            String::new()
        }
    );
    Ok(())
}
