//! `tabletalk evaluate`: how often the microphone mode is wrong, on
//! simulated microphones that follow real AMI meeting timings, against the
//! Open Badges detector on the same signals. Prints the targets.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;

use tabletalk_eval::config::detection_params;
use tabletalk_eval::corpus::{self, Meeting, Split};
use tabletalk_eval::evaluation::{
    self, evaluate_meeting, MeetingResult, Settings, Summary, SHARE_TOLERANCE_PP,
};
use tabletalk_eval::pipeline::CorePipeline;
use tabletalk_eval::score::Score;
use tabletalk_eval::tuning;

/// Arguments of `tabletalk evaluate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  tabletalk evaluate                            every AMI meeting, whole length
  tabletalk evaluate --meetings 4 --minutes 3   a quick look (what CI runs)
  tabletalk evaluate --split dev --set mic.hangover_ms=500

Definitions of every figure: docs/mic-evaluation.md.")]
pub struct Args {
    /// The shared data folder (with ami/rttm and ami/uem). By default
    /// ../shared/data from the repository (or $TABLETALK_DATA).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Evaluate this many meetings, spread evenly over the corpus (default:
    /// all).
    #[arg(long, value_name = "N")]
    pub meetings: Option<usize>,
    /// Only M minutes of each meeting (default: whole meetings), from
    /// --start.
    #[arg(long, value_name = "M")]
    pub minutes: Option<f64>,
    /// Skip this many minutes at the start of each meeting (setup, silence).
    #[arg(long, default_value_t = 0.0, value_name = "M")]
    pub start: f64,
    /// Which AMI list: train (used for tuning), dev (held out), or all.
    #[arg(long, value_enum, default_value_t = SplitArg::All)]
    pub split: SplitArg,
    /// Seed of the simulated rooms.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Detection parameters to evaluate (TOML; any subset of the core's
    /// DetectionParams). Default: the core's defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one parameter, e.g. --set mic.hangover_ms=500 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Collar per side around reference boundaries, in seconds.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub collar: f64,
    /// Threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Also print every meeting's figures.
    #[arg(long)]
    pub per_meeting: bool,
    /// Tune: try every combination of these values (repeatable, e.g.
    /// --tune mic.hangover_ms=300,400,600) on the train meetings of the
    /// selection, rank them, then check the best on the dev meetings (held
    /// out) against the parameters given without --tune.
    #[arg(long, value_name = "KEY=V1,V2,…")]
    pub tune: Vec<String>,
}

/// Which meetings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitArg {
    /// Train and dev.
    All,
    /// AMI's training list.
    Train,
    /// AMI's development list (held out from tuning).
    Dev,
}

/// Selects meetings as the flags say.
pub fn select(
    all: &[Meeting],
    split: SplitArg,
    count: Option<usize>,
    start: f64,
    minutes: Option<f64>,
) -> Vec<Meeting> {
    let chosen: Vec<Meeting> = all
        .iter()
        .filter(|m| match split {
            SplitArg::All => true,
            SplitArg::Train => m.split == Split::Train,
            SplitArg::Dev => m.split == Split::Dev,
        })
        .cloned()
        .collect();
    let chosen = match count {
        Some(n) => corpus::spread(&chosen, n),
        None => chosen,
    };
    chosen
        .iter()
        .map(|x| x.excerpt(start, minutes.unwrap_or(f64::INFINITY)))
        .filter(|x| x.duration_ms > 0)
        .collect()
}

/// Runs `tabletalk evaluate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config_text = match &args.config {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    let params = detection_params(config_text.as_deref(), &args.set)?;
    let data = corpus::find_data_dir(args.data.as_deref()).ok_or_else(|| {
        crate::error::CliError::bad_input(
            "no shared data folder found: pass --data DIR (the folder with ami/rttm), or set TABLETALK_DATA",
        )
    })?;
    let all = corpus::load_ami(&data)?;
    let meetings = select(&all, args.split, args.meetings, args.start, args.minutes);
    let mut settings = Settings {
        collar_ms: (args.collar.max(0.0) * 1000.0).round() as u64,
        sample_rate_hz: params.mic.sample_rate_hz,
        ..Settings::default()
    };
    settings.scene.seed = args.seed;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let threads = pool.current_num_threads();
    if !args.tune.is_empty() {
        return pool.install(|| tune(&args, config_text.as_deref(), &meetings, &settings, &params));
    }
    let started = Instant::now();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = meetings.len();
    let progress = std::io::stderr().is_terminal();
    let results: Vec<MeetingResult> = pool.install(|| {
        meetings
            .par_iter()
            .map(|m| {
                let mut core =
                    CorePipeline::new(&params, m.speakers.len(), settings.scene.full_scale)?;
                let r = evaluate_meeting(m, &settings, &mut core).with_context(|| m.name.clone());
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\r  {n}/{total} meetings");
                }
                r
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    if progress {
        eprintln!();
    }
    let wall = started.elapsed();
    let mut out = std::io::stdout().lock();
    print_report(
        &mut out,
        &results,
        &settings,
        wall,
        threads,
        args.per_meeting,
    )?;
    Ok(())
}

/// Runs every meeting through the core with `params` (and the baseline).
fn evaluate_all(
    meetings: &[Meeting],
    settings: &Settings,
    params: &tabletalk_core::params::DetectionParams,
) -> anyhow::Result<Vec<MeetingResult>> {
    meetings
        .par_iter()
        .map(|m| {
            let mut core = CorePipeline::new(params, m.speakers.len(), settings.scene.full_scale)?;
            evaluate_meeting(m, settings, &mut core).with_context(|| m.name.clone())
        })
        .collect()
}

/// `--tune`: rank the grid on the train meetings, check the best on dev.
fn tune(
    args: &Args,
    config_text: Option<&str>,
    meetings: &[Meeting],
    settings: &Settings,
    base: &tabletalk_core::params::DetectionParams,
) -> anyhow::Result<()> {
    let candidates = tuning::grid(config_text, &args.set, &args.tune)?;
    let train: Vec<Meeting> = meetings
        .iter()
        .filter(|m| m.split != Split::Dev)
        .cloned()
        .collect();
    let dev: Vec<Meeting> = meetings
        .iter()
        .filter(|m| m.split == Split::Dev)
        .cloned()
        .collect();
    if train.is_empty() || candidates.is_empty() {
        return Err(crate::error::CliError::bad_input(
            "--tune needs train meetings in the selection and valid values",
        )
        .into());
    }
    let started = Instant::now();
    let cached: Vec<tuning::CachedMeeting> = train
        .par_iter()
        .map(|m| tuning::CachedMeeting::new(m, settings))
        .collect();
    let mut with_base = candidates.clone();
    with_base.push(tuning::Candidate {
        settings: vec!["(as given)".into()],
        params: *base,
    });
    let ranked = tuning::rank(&with_base, &cached, settings)?;
    let minutes: f64 = train.iter().map(|m| m.duration_ms as f64 / 60_000.0).sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "tuning on {} train meetings ({minutes:.0} min), {} candidates, {:.1} s",
        train.len(),
        candidates.len(),
        started.elapsed().as_secs_f64()
    )?;
    writeln!(out, "  rank    error  share ±3 pp  settings")?;
    for (k, r) in ranked.iter().enumerate() {
        let given = r
            .candidate
            .settings
            .first()
            .is_some_and(|s| s == "(as given)");
        if k < 15 || given {
            writeln!(
                out,
                "  {:>4} {} {:>11}  {}",
                k + 1,
                pct(r.errors.rate()),
                pct(r.share.fraction()),
                r.candidate.settings.join(" ")
            )?;
        }
    }
    let best = &ranked[0].candidate;
    writeln!(
        out,
        "
best on train: {}",
        best.settings.join(" ")
    )?;
    if dev.is_empty() {
        writeln!(
            out,
            "(no dev meetings in the selection: nothing held out to check on)"
        )?;
        return Ok(());
    }
    let tuned = evaluate_all(&dev, settings, &best.params)?;
    let given = evaluate_all(&dev, settings, base)?;
    let t: Vec<&MeetingResult> = tuned.iter().collect();
    let g: Vec<&MeetingResult> = given.iter().collect();
    let st = evaluation::summarize(&t, &settings.thresholds);
    let sg = evaluation::summarize(&g, &settings.thresholds);
    writeln!(
        out,
        "
held out: {} dev meetings",
        dev.len()
    )?;
    writeln!(
        out,
        "  {:<34} {:>8} {:>8} {:>8} {:>8}   share within ±{SHARE_TOLERANCE_PP} pp",
        "", "missed", "f.alarm", "confus.", "error"
    )?;
    row(&mut out, "core, best on train", &st.core, &st.core_share)?;
    row(&mut out, "core, as given", &sg.core, &sg.core_share)?;
    baseline_rows(&mut out, &st)?;
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:5.1} %", 100.0 * x)
}

fn row(
    out: &mut impl Write,
    name: &str,
    t: &evaluation::ErrorTotals,
    share: &evaluation::ShareTally,
) -> std::io::Result<()> {
    let r = t.reference_ms.max(1.0);
    writeln!(
        out,
        "  {name:<34} {:>8} {:>8} {:>8} {:>8}   {} ({}/{})",
        pct(t.missed_ms / r),
        pct(t.false_alarm_ms / r),
        pct(t.confusion_ms / r),
        pct(t.rate()),
        pct(share.fraction()),
        share.within,
        share.total
    )
}

/// Prints the summary, the targets, the failures and the timings.
pub fn print_report(
    out: &mut impl Write,
    results: &[MeetingResult],
    settings: &Settings,
    wall: Duration,
    threads: usize,
    per_meeting: bool,
) -> std::io::Result<()> {
    let all: Vec<&MeetingResult> = results.iter().collect();
    let s = evaluation::summarize(&all, &settings.thresholds);
    let train = results.iter().filter(|r| r.split == Split::Train).count();
    writeln!(
        out,
        "mic evaluation: {} meetings ({} train, {} dev), {:.1} h simulated, {} seat-meetings, seed {}, collar {} s per side",
        s.meetings,
        train,
        s.meetings - train,
        s.duration_ms as f64 / 3.6e6,
        s.core_share.total,
        settings.scene.seed,
        settings.collar_ms as f64 / 1000.0
    )?;
    writeln!(
        out,
        "\n  {:<34} {:>8} {:>8} {:>8} {:>8}   share within ±{SHARE_TOLERANCE_PP} pp",
        "speech detection", "missed", "f.alarm", "confus.", "error"
    )?;
    summary_rows(out, &s)?;
    writeln!(out, "\ntargets")?;
    let half = 0.5 * s.tuned.rate();
    writeln!(
        out,
        "  error ≤ ½ of the tuned baseline   core {} vs ≤ {}   {}",
        pct(s.core.rate()).trim(),
        pct(half).trim(),
        verdict(s.core.rate() <= half)
    )?;
    writeln!(
        out,
        "  error ≤ ½ of the baseline         core {} vs ≤ {}   {}",
        pct(s.core.rate()).trim(),
        pct(0.5 * s.baseline.rate()).trim(),
        verdict(s.core.rate() <= 0.5 * s.baseline.rate())
    )?;
    writeln!(
        out,
        "  share within ±3 pp in ≥ 95 %      core {}            {}",
        pct(s.core_share.fraction()).trim(),
        verdict(s.core_share.fraction() >= 0.95)
    )?;

    for split in [Split::Train, Split::Dev] {
        let part: Vec<&MeetingResult> = results.iter().filter(|r| r.split == split).collect();
        if part.is_empty() || part.len() == results.len() {
            continue;
        }
        let p = evaluation::summarize(&part, &settings.thresholds);
        writeln!(
            out,
            "\n{} ({} meetings; baseline tuned on these)",
            split.name(),
            p.meetings
        )?;
        summary_rows(out, &p)?;
    }

    if per_meeting {
        writeln!(out, "\nper meeting                 seats  minutes   core   base  tuned*  worst share error (pp)")?;
        let k = best_index(&s, settings);
        for r in results {
            writeln!(
                out,
                "  {:<12} {:<5} {:>6} {:>8.1} {} {} {} {:>8.1}",
                r.name,
                r.split.name(),
                r.seats,
                r.duration_ms as f64 / 60_000.0,
                pct(r.core.error_rate().unwrap_or(f64::NAN)),
                pct(r.baseline.error_rate().unwrap_or(f64::NAN)),
                pct(r
                    .sweep
                    .get(k)
                    .and_then(Score::error_rate)
                    .unwrap_or(f64::NAN)),
                r.core.worst_share_error_pp()
            )?;
        }
        writeln!(
            out,
            "  (* baseline at the threshold tuned on all these meetings)"
        )?;
    }

    let mut failing: Vec<(&MeetingResult, usize)> = results
        .iter()
        .flat_map(|r| {
            r.core
                .seats
                .iter()
                .filter(|x| x.share_error_pp().abs() > SHARE_TOLERANCE_PP)
                .map(move |x| (r, x.seat))
        })
        .collect();
    failing.sort_by(|a, b| {
        let e = |(r, i): &(&MeetingResult, usize)| r.core.seats[*i].share_error_pp().abs();
        e(b).total_cmp(&e(a))
    });
    if !failing.is_empty() {
        writeln!(
            out,
            "\nseat-meetings outside ±{SHARE_TOLERANCE_PP} pp ({} of {}), worst first: why",
            failing.len(),
            s.core_share.total
        )?;
        writeln!(
            out,
            "  meeting      seat      ref %   det %   err pp | missed: alone overlap | f.alarm: over others in silence | crosstalk in  voice"
        )?;
        for (r, i) in failing.iter().take(25) {
            let seat = &r.core.seats[*i];
            let d = &r.diagnosis[*i];
            writeln!(
                out,
                "  {:<12} {:<8} {:>6.1} {:>7.1} {:>+8.1} | {:>8.0} s {:>6.0} s | {:>13.0} s {:>8.0} s | {:>9.1} dB {:>+5.1} dB",
                r.name,
                seat.label,
                100.0 * seat.share_reference,
                100.0 * seat.share_detected,
                seat.share_error_pp(),
                d.missed_alone_ms as f64 / 1000.0,
                d.missed_in_overlap_ms as f64 / 1000.0,
                d.false_alarm_over_others_ms as f64 / 1000.0,
                d.false_alarm_in_silence_ms as f64 / 1000.0,
                d.loudest_crosstalk_db,
                d.voice_db
            )?;
        }
        if failing.len() > 25 {
            writeln!(out, "  … and {} more", failing.len() - 25)?;
        }
    }

    let cpu_core: Duration = results.iter().map(|r| r.core_time).sum();
    let cpu_base: Duration = results.iter().map(|r| r.baseline_time).sum();
    let samples: u64 = results.iter().map(|r| r.samples).sum();
    writeln!(
        out,
        "\ntimings: wall {:.1} s on {threads} threads; simulation + core {:.1} s CPU ({:.0} M samples, {:.0} M samples/s per thread); baseline sweep + scoring {:.1} s CPU",
        wall.as_secs_f64(),
        cpu_core.as_secs_f64(),
        samples as f64 / 1e6,
        samples as f64 / 1e6 / cpu_core.as_secs_f64().max(1e-9),
        cpu_base.as_secs_f64()
    )?;
    Ok(())
}

fn best_index(s: &Summary, settings: &Settings) -> usize {
    settings
        .thresholds
        .iter()
        .position(|&t| t == s.tuned_threshold)
        .unwrap_or(0)
}

fn summary_rows(out: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    row(out, "core (tabletalk)", &s.core, &s.core_share)?;
    baseline_rows(out, s)
}

fn baseline_rows(out: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    row(
        out,
        "Open Badges, threshold 42",
        &s.baseline,
        &s.baseline_share,
    )?;
    row(
        out,
        &format!("Open Badges, tuned on truth ({:.1})", s.tuned_threshold),
        &s.tuned,
        &s.tuned_share,
    )?;
    let r = s.oracle.reference_ms.max(1.0);
    writeln!(
        out,
        "  {:<34} {:>8} {:>8} {:>8} {:>8}",
        "Open Badges, best per meeting",
        pct(s.oracle.missed_ms / r),
        pct(s.oracle.false_alarm_ms / r),
        pct(s.oracle.confusion_ms / r),
        pct(s.oracle.rate())
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}
