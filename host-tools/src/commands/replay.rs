//! `tabletalk replay`: recorded microphones through the device's core on a
//! laptop — the same engine code and parameters — written as a log.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::error::CliError;
use tabletalk_eval::badge_meter::BADGE_UNIT_COUNTS;
use tabletalk_eval::config::detection_params;
use tabletalk_eval::openbadge;
use tabletalk_eval::pipeline::{write_log, CorePipeline};
use tabletalk_eval::sources::{parse_levels, LevelSource, SampleSource, WavSource};

/// Arguments of `tabletalk replay`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  tabletalk replay --wav ana.wav ben.wav chloe.wav --out meeting.ttlog
  tabletalk replay --levels levels.csv --rate 20 --level-scale 4 --out badges.ttlog
  tabletalk replay --wav a.wav b.wav --config room.toml --set mic.hangover_ms=500 --out m.ttlog

Parameters: the core's defaults, then --config (TOML, any subset, e.g. \"[mic]\\nhangover_ms = 500\"), \
then each --set. They are written into the log header, as on the device. \
`tabletalk evaluate --help` and docs/mic-evaluation.md explain how to judge them.")]
pub struct Args {
    /// One WAV file per seat, in seat order (any sample rate and format;
    /// resampled to the device rate, channels averaged).
    #[arg(long, num_args = 1.., value_name = "SEAT.wav", conflicts_with_all = ["levels", "rate", "openbadge"], required_unless_present_any = ["levels", "openbadge"])]
    pub wav: Vec<PathBuf>,
    /// Level tracks instead: a CSV with one column per seat (mean absolute
    /// deviation from the microphone's bias, in ADC counts), an optional
    /// header row of seat labels.
    #[arg(
        long,
        value_name = "FILE.csv",
        requires = "rate",
        conflicts_with = "openbadge"
    )]
    pub levels: Option<PathBuf>,
    /// An Open Badges hub log (JSON lines of badge amplitudes, one byte per
    /// 50 ms): each member becomes a seat, amplitudes become levels of
    /// 4 ADC counts per badge unit (times --level-scale).
    #[arg(long, value_name = "HUB_LOG")]
    pub openbadge: Option<PathBuf>,
    /// Rows per second of the --levels file.
    #[arg(long, value_name = "HZ")]
    pub rate: Option<f64>,
    /// Multiply every level of the --levels file by this.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub level_scale: f64,
    /// Gain applied to the WAV audio before the ADC (dB).
    #[arg(long, default_value_t = 0.0, value_name = "DB")]
    pub gain_db: f64,
    /// The ADC's full scale (4095: the RP2040's 12-bit ADC).
    #[arg(long, default_value_t = 4095, value_name = "N")]
    pub full_scale: u16,
    /// Seat labels, comma-separated (default: the CSV header, or the WAV
    /// file names).
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub labels: Vec<String>,
    /// Detection parameters (TOML file, any subset of DetectionParams).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one parameter, e.g. --set mic.hangover_ms=500 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The log to write.
    #[arg(long, short = 'o', value_name = "FILE.ttlog")]
    pub out: PathBuf,
}

/// Reads `--config` (if any) and applies `--set`.
pub fn params_from(
    config: Option<&Path>,
    set: &[String],
) -> anyhow::Result<tabletalk_core::params::DetectionParams> {
    let text = match config {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", p.display())))?,
        ),
        None => None,
    };
    detection_params(text.as_deref(), set)
}

/// Runs `tabletalk replay`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let params = params_from(args.config.as_deref(), &args.set)?;
    let rate = params.mic.sample_rate_hz;
    let (mut source, mut labels): (Box<dyn SampleSource>, Vec<String>) =
        if let Some(path) = &args.openbadge {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
            let recording = openbadge::parse(&text)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
            let (table, rows_per_s) = openbadge::as_levels(&recording);
            let scale = BADGE_UNIT_COUNTS * args.level_scale;
            let source = LevelSource::new(&table, rows_per_s, rate, args.full_scale, scale)?;
            (Box::new(source), recording.members.clone())
        } else if let Some(path) = &args.levels {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
            let table = parse_levels(&text)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
            let labels = table.labels.clone().unwrap_or_default();
            let source = LevelSource::new(
                &table,
                args.rate.unwrap_or(0.0),
                rate,
                args.full_scale,
                args.level_scale,
            )?;
            (Box::new(source), labels)
        } else {
            let labels = args
                .wav
                .iter()
                .map(|p| {
                    p.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            (
                Box::new(WavSource::open(
                    &args.wav,
                    rate,
                    args.full_scale,
                    args.gain_db,
                )?),
                labels,
            )
        };
    let seats = source.seats();
    if !args.labels.is_empty() {
        if args.labels.len() != seats {
            return Err(CliError::bad_input(format!(
                "--labels names {} seats, the input has {seats}",
                args.labels.len()
            ))
            .into());
        }
        labels = args.labels.clone();
    }
    labels.resize(seats, String::new());

    let started = Instant::now();
    let mut pipeline = CorePipeline::run(&params, source.as_mut(), args.full_scale)?;
    let end_ms = pipeline.now_ms();
    let events = pipeline.finish().to_vec();
    let bytes = write_log(&events, &labels, &params, end_ms, Default::default())?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    let spans = pipeline.spans();
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "tabletalk: replayed {seats} seats, {:.1} s of input at {rate} Hz through the core in {elapsed:.1} s ({:.0}× real time): {} turns → {}",
        end_ms as f64 / 1000.0,
        end_ms as f64 / 1000.0 / elapsed.max(1e-9),
        spans.iter().map(Vec::len).sum::<usize>(),
        args.out.display()
    );
    for (i, s) in spans.iter().enumerate() {
        let talk: u64 = s.iter().map(|(a, b)| b - a).sum();
        let label = labels
            .get(i)
            .filter(|l| !l.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("seat {i}"));
        eprintln!(
            "  {label:<16} {:>4} turns {:>8.1} s",
            s.len(),
            talk as f64 / 1000.0
        );
    }
    Ok(())
}
