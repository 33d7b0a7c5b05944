//! The microphone commands end to end, through the real binary: simulate →
//! log → score, replay of what simulate wrote, evaluate on the fixtures,
//! and clear errors for bad input.

mod common;

use std::path::{Path, PathBuf};

use common::tabletalk;

fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("mic-cli-{name}"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("fixtures")
        .join("mic")
}

#[test]
fn simulate_then_score_then_replay() {
    let dir = scratch("sim");
    let out = tabletalk(
        &[
            "simulate",
            "--meeting",
            "demo",
            "--minutes",
            "1",
            "--out",
            "d.ttlog",
            "--ref-out",
            "d.rttm",
            "--levels-out",
            "d.csv",
            "--wav-out",
            "wav",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("through the core"));

    let out = tabletalk(
        &["score", "--ref", "d.rttm", "d.ttlog", "--format", "json"],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["mapping"], "label");
    assert_eq!(json["seats"].as_array().map(Vec::len), Some(4));
    let reference = json["reference_s"].as_f64().unwrap_or(0.0);
    assert!(reference > 20.0, "{json}");
    let parts =
        ["missed_s", "false_alarm_s", "confusion_s"].map(|k| json[k].as_f64().unwrap_or(f64::NAN));
    let rate = json["error_rate"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (parts.iter().sum::<f64>() / reference - rate).abs() < 1e-3,
        "{json}"
    );

    let text = tabletalk(
        &["score", "--ref", "d.rttm", "d.ttlog", "--collar", "0.25"],
        &dir,
    );
    assert!(String::from_utf8_lossy(&text.stdout).contains("collar 0.25 s per side"));

    // The WAV files simulate wrote replay to the very same log.
    let mut args = vec![
        "replay",
        "--labels",
        "Ana,Ben,Chloe,Dev",
        "-o",
        "r.ttlog",
        "--wav",
    ];
    let wavs = [
        "wav/00-Ana.wav",
        "wav/01-Ben.wav",
        "wav/02-Chloe.wav",
        "wav/03-Dev.wav",
    ];
    args.extend(wavs);
    let out = tabletalk(&args, &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let simulated = std::fs::read(dir.join("d.ttlog")).unwrap_or_default();
    let replayed = std::fs::read(dir.join("r.ttlog")).unwrap_or_default();
    assert!(!simulated.is_empty());
    assert_eq!(simulated.len(), replayed.len(), "same turns, same log size");

    // Levels replay (another carrier: close, not identical).
    let out = tabletalk(
        &[
            "replay", "--levels", "d.csv", "--rate", "100", "-o", "l.ttlog",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tabletalk(
        &["score", "--ref", "d.rttm", "l.ttlog", "--format", "json"],
        &dir,
    );
    assert!(out.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_code_2() {
    let dir = scratch("bad");
    std::fs::write(dir.join("x.csv"), "1,2\n3\n").unwrap_or_default();
    std::fs::write(dir.join("not.rttm"), "hello\n").unwrap_or_default();
    std::fs::write(dir.join("not.ttlog"), "hello\n").unwrap_or_default();
    let cases: [&[&str]; 5] = [
        &[
            "replay", "--levels", "x.csv", "--rate", "20", "-o", "o.ttlog",
        ],
        &["replay", "--wav", "missing.wav", "-o", "o.ttlog"],
        &[
            "replay",
            "--levels",
            "x.csv",
            "--rate",
            "20",
            "--set",
            "mic.typo=1",
            "-o",
            "o.ttlog",
        ],
        &["score", "--ref", "not.rttm", "not.ttlog"],
        &["simulate", "--meeting", "nosuch.rttm"],
    ];
    for args in cases {
        let out = tabletalk(args, &dir);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn evaluate_runs_on_the_fixtures_and_prints_the_targets() {
    let dir = scratch("eval");
    let data = fixtures();
    let out = tabletalk(
        &[
            "evaluate",
            "--data",
            data.to_str().unwrap_or_default(),
            "--meetings",
            "2",
            "--start",
            "5",
            "--minutes",
            "0.5",
            "--jobs",
            "2",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "core (tabletalk)",
        "Open Badges, threshold 42",
        "tuned on truth",
        "targets",
        "share within ±3 pp",
        "timings",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let out = tabletalk(
        &["evaluate", "--data", dir.to_str().unwrap_or_default()],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2), "no meetings there");
    std::fs::remove_dir_all(&dir).ok();
}
