//! Benchmark (prints its figures): every AMI meeting in `../shared/data`
//! imported at a 1 ms tick, then the full metric set over all of them.
//!
//! Target: the full metric set for 100 meetings in under 100 ms of CPU.
//! For scale, pyannote.core needs about 18 s for speaking time and overlap
//! alone on 158 AMI meetings on this kind of machine.
//!
//! Run: `cargo bench -p tabletalk --bench report`. Skips with a message
//! when the data folder is absent.

use std::path::{Path, PathBuf};

use tabletalk::commands::import::recording_log;
use tabletalk::logs::decode;
use tabletalk::metrics::{analyse, Options};
use tabletalk::report::{render, Format, Report};
use tabletalk_eval::rttm::{group_recordings, parse_rttm, parse_uem, Segment, UemSegment};

const RUNS: usize = 21;

/// CPU time of this thread, in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Median CPU seconds of `f` over [`RUNS`] runs.
fn median_cpu(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = cpu_seconds();
            f();
            cpu_seconds() - start
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for split in ["train", "dev", "test"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(split)) {
            found.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == ext)),
            );
        }
    }
    found.sort();
    found
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/ami");
    let rttm_files = files(&data.join("rttm"), "rttm");
    if rttm_files.is_empty() {
        println!("report bench: SKIPPED, no AMI data at ../shared/data/ami (relative to the repository root)");
        return;
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut uem: Vec<UemSegment> = Vec::new();
    for path in &rttm_files {
        segments.extend(parse_rttm(&std::fs::read_to_string(path).unwrap()).unwrap());
    }
    for path in files(&data.join("uem"), "uem") {
        uem.extend(parse_uem(&std::fs::read_to_string(path).unwrap()).unwrap());
    }
    let recordings = group_recordings(&segments, &uem);
    let meetings = recordings.len();

    let mut logs = Vec::new();
    let import = median_cpu(|| {
        logs = recordings
            .iter()
            .enumerate()
            .map(|(i, r)| recording_log(r, i as u32, 1).unwrap())
            .collect();
    });
    let bytes: usize = logs.iter().map(Vec::len).sum();
    let sessions: Vec<_> = logs
        .iter()
        .flat_map(|b| decode(b, "bench").unwrap().sessions)
        .collect();
    let turns: usize = sessions.iter().map(|s| s.turns.len()).sum();

    let decode_time = median_cpu(|| {
        for bytes in &logs {
            std::hint::black_box(decode(bytes, "bench").unwrap());
        }
    });
    let options = Options {
        window_ms: Some(300_000),
        ..Options::default()
    };
    let metrics = median_cpu(|| {
        for session in &sessions {
            std::hint::black_box(analyse(session, &options, None));
        }
    });
    let report = median_cpu(|| {
        let report = Report::build(&sessions, Vec::new(), &options, None);
        let mut out = Vec::with_capacity(1 << 20);
        render(&report, &sessions, Format::Json, &mut out).unwrap();
        std::hint::black_box(out);
    });

    let per100 = |t: f64| t / meetings as f64 * 100.0 * 1000.0;
    println!("report bench: {meetings} AMI meetings, {turns} turns, {bytes} log bytes at a 1 ms tick (medians of {RUNS} runs, CPU time of one thread)");
    println!(
        "  import (RTTM -> log)           {:8.2} ms total  {:7.1} us/meeting  {:7.2} ms per 100",
        import * 1e3,
        import / meetings as f64 * 1e6,
        per100(import)
    );
    println!(
        "  decode (log -> sessions)       {:8.2} ms total  {:7.1} us/meeting  {:7.2} ms per 100",
        decode_time * 1e3,
        decode_time / meetings as f64 * 1e6,
        per100(decode_time)
    );
    println!(
        "  full metric set (with windows) {:8.2} ms total  {:7.1} us/meeting  {:7.2} ms per 100",
        metrics * 1e3,
        metrics / meetings as f64 * 1e6,
        per100(metrics)
    );
    println!(
        "  metrics + trend + JSON render  {:8.2} ms total  {:7.1} us/meeting  {:7.2} ms per 100",
        report * 1e3,
        report / meetings as f64 * 1e6,
        per100(report)
    );
    let decode_and_metrics = per100(decode_time + metrics);
    println!(
        "  decode + full metric set per 100 meetings: {decode_and_metrics:.2} ms (target < 100 ms: {})",
        if decode_and_metrics < 100.0 { "met" } else { "NOT met" }
    );
}
