//! `tabletalk simulate`: a meeting's microphones simulated from turn
//! timings (a built-in demo, an AMI meeting, or any RTTM), run through the
//! device's core, written as a log — and optionally the reference timings,
//! the level tracks and the per-seat audio-rate signals.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::commands::replay::params_from;
use crate::error::CliError;
use tabletalk_eval::corpus::{self, Meeting, Split};
use tabletalk_eval::demo::demo_meeting;
use tabletalk_eval::pipeline::{write_log, CorePipeline};
use tabletalk_eval::rttm;
use tabletalk_eval::scene::{Scene, SceneParams};
use tabletalk_eval::sources::adc_to_audio;
use tabletalk_eval::synth::Synth;

/// Arguments of `tabletalk simulate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  tabletalk simulate --meeting demo --out demo.ttlog && tabletalk report demo.ttlog
  tabletalk simulate --meeting ES2011a --minutes 5 --out es.ttlog --ref-out es.rttm
  tabletalk score --ref es.rttm es.ttlog
  tabletalk simulate --meeting talk.rttm --wav-out seats/ --levels-out levels.csv

The room (gains, crosstalk, reverberation, noise steps, coughs/taps/paper) is drawn from --seed \
and the meeting's name: the same command always gives the same samples. The model: \
docs/mic-evaluation.md.")]
pub struct Args {
    /// `demo` (a made-up 4-person meeting), an AMI meeting name from the
    /// shared data (e.g. ES2011a), or an RTTM file.
    #[arg(long, default_value = "demo", value_name = "demo|NAME|FILE.rttm")]
    pub meeting: String,
    /// Only the first M minutes (the demo lasts 10 minutes by default).
    #[arg(long, value_name = "M")]
    pub minutes: Option<f64>,
    /// Seed of the simulated room.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Which recording of a multi-recording RTTM.
    #[arg(long, value_name = "NAME")]
    pub recording: Option<String>,
    /// The shared data folder (for AMI meeting names).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The log to write (default: MEETING.ttlog).
    #[arg(long, short = 'o', value_name = "FILE.ttlog")]
    pub out: Option<PathBuf>,
    /// Also write the timings the simulation followed, as RTTM (the
    /// reference for `tabletalk score`).
    #[arg(long, value_name = "FILE.rttm")]
    pub ref_out: Option<PathBuf>,
    /// Also write per-seat levels (mean absolute deviation from the bias,
    /// ADC counts) as CSV, replayable with `tabletalk replay --levels`.
    #[arg(long, value_name = "FILE.csv")]
    pub levels_out: Option<PathBuf>,
    /// Rows per second of --levels-out.
    #[arg(long, default_value_t = 100, value_name = "HZ")]
    pub levels_rate: u32,
    /// Also write one 16-bit WAV per seat at the device rate into DIR,
    /// replayable with `tabletalk replay --wav`.
    #[arg(long, value_name = "DIR")]
    pub wav_out: Option<PathBuf>,
    /// Detection parameters (TOML file, any subset of DetectionParams).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one parameter, e.g. --set mic.hangover_ms=500 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// The meeting the flags name.
pub fn load_meeting(args: &Args) -> anyhow::Result<Meeting> {
    let m = if args.meeting == "demo" {
        demo_meeting(args.minutes.unwrap_or(10.0), args.seed)
    } else if args.meeting.ends_with(".rttm") || Path::new(&args.meeting).is_file() {
        let text = std::fs::read_to_string(&args.meeting)
            .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", args.meeting)))?;
        let all = corpus::meetings_from_rttm(&text, None, Split::Other)?;
        match (&args.recording, all.len()) {
            (Some(name), _) => all.into_iter().find(|m| &m.name == name),
            (None, 1) => all.into_iter().next(),
            (None, _) => None,
        }
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "{}: name one recording with --recording",
                args.meeting
            ))
        })?
    } else {
        let data = corpus::find_data_dir(args.data.as_deref()).ok_or_else(|| {
            CliError::bad_input(format!(
                "{}: not a file, and no shared data folder to find an AMI meeting of that name (pass --data DIR)",
                args.meeting
            ))
        })?;
        corpus::load_ami(&data)?
            .into_iter()
            .find(|m| m.name == args.meeting)
            .ok_or_else(|| CliError::bad_input(format!("no AMI meeting named {}", args.meeting)))?
    };
    Ok(match args.minutes {
        Some(minutes) if args.meeting != "demo" => m.truncated(minutes),
        _ => m,
    })
}

/// Runs `tabletalk simulate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let params = params_from(args.config.as_deref(), &args.set)?;
    let meeting = load_meeting(&args)?;
    if meeting.speakers.is_empty() {
        return Err(CliError::bad_input("the meeting has no speakers").into());
    }
    let scene_params = SceneParams {
        seed: args.seed,
        ..SceneParams::default()
    };
    let full_scale = scene_params.full_scale;
    let scene = Scene::draw(
        &meeting.name,
        &meeting.speakers,
        meeting.duration_ms,
        &scene_params,
    );
    let biases: Vec<f64> = scene.seats.iter().map(|s| s.bias).collect();
    let drifts: Vec<(f64, f64, f64)> = scene.seats.iter().map(|s| s.drift).collect();
    let mut synth = Synth::new(scene, params.mic.sample_rate_hz);
    let seats = synth.seats();
    let labels: Vec<String> = meeting.speakers.iter().map(|(l, _)| l.clone()).collect();

    let mut wavs = match &args.wav_out {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: params.mic.sample_rate_hz,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let path = dir.join(format!(
                        "{:02}-{}.wav",
                        i,
                        crate::commands::import::file_stem(l)
                    ));
                    hound::WavWriter::create(&path, spec)
                        .with_context(|| format!("creating {}", path.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?
        }
        None => Vec::new(),
    };
    let mut levels = match &args.levels_out {
        Some(path) => {
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            writeln!(w, "{}", labels.join(","))?;
            Some(w)
        }
        None => None,
    };
    let rows_per_s = args.levels_rate.clamp(1, 1000);
    let mut level_sum = vec![0.0f64; seats];
    let mut level_count = 0usize;

    let started = Instant::now();
    let mut pipeline = CorePipeline::new(&params, seats, full_scale)?;
    let mut buf = Vec::new();
    while synth.next_ms(&mut buf) > 0 {
        pipeline.push_ms(&buf);
        let t = synth.now_ms() - 1;
        if !wavs.is_empty() {
            for frame in buf.chunks_exact(seats) {
                for (w, &x) in wavs.iter_mut().zip(frame) {
                    w.write_sample(adc_to_audio(x, full_scale))?;
                }
            }
        }
        if let Some(w) = levels.as_mut() {
            for frame in buf.chunks_exact(seats) {
                for (i, &x) in frame.iter().enumerate() {
                    let (amp, period, phase) = drifts[i];
                    let bias =
                        biases[i] + amp * (std::f64::consts::TAU * t as f64 / period + phase).sin();
                    level_sum[i] += (f64::from(x) - bias).abs();
                }
                level_count += 1;
            }
            // A row ends where the next row's time begins.
            if ((t + 1) * u64::from(rows_per_s)) / 1000 != (t * u64::from(rows_per_s)) / 1000 {
                let row: Vec<String> = level_sum
                    .iter()
                    .map(|s| format!("{:.2}", s / level_count.max(1) as f64))
                    .collect();
                writeln!(w, "{}", row.join(","))?;
                level_sum.iter_mut().for_each(|s| *s = 0.0);
                level_count = 0;
            }
        }
    }
    let events = pipeline.finish().to_vec();
    let elapsed = started.elapsed().as_secs_f64();
    for w in wavs {
        w.finalize()?;
    }
    if let Some(mut w) = levels {
        w.flush()?;
    }
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}.ttlog",
            crate::commands::import::file_stem(&meeting.name)
        ))
    });
    let nonce = meeting
        .name
        .bytes()
        .fold(args.seed as u16, |h, b| h.rotate_left(5) ^ u16::from(b));
    let session = tabletalk_core::records::SessionId { number: 1, nonce };
    let bytes = write_log(&events, &labels, &params, meeting.duration_ms, session)?;
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    if let Some(path) = &args.ref_out {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        for (label, spans) in &meeting.speakers {
            for &(s, e) in spans {
                rttm::write_segment(&mut w, &meeting.name, label, s * 1000, (e - s) * 1000)?;
            }
        }
        w.flush()?;
    }
    let spans = pipeline.spans();
    eprintln!(
        "tabletalk: simulated {} ({} seats, {:.1} min, seed {}) through the core in {elapsed:.1} s: {} turns → {}",
        meeting.name,
        seats,
        meeting.duration_ms as f64 / 60_000.0,
        args.seed,
        spans.iter().map(Vec::len).sum::<usize>(),
        out.display()
    );
    Ok(())
}
