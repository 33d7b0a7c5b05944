//! `tabletalk score` equals NIST md-eval (`md-eval-22.pl`), through the real
//! binary: the cases where it used to differ, built by hand, and real
//! meetings (AMI, SBCSAE, VoxConverse) scored against a perturbed copy of
//! their own reference. Every expected number is md-eval's own output; how
//! it was obtained: `tests/fixtures/score/README.md`.

mod common;

use std::path::{Path, PathBuf};

use common::tabletalk;
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("md-eval-{name}"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("fixtures")
}

fn fixture(path: &str) -> String {
    fixtures().join(path).display().to_string()
}

/// Imports `hypothesis` (RTTM, with `options`) as logs into `dir/logs`,
/// one per recording.
fn import_with(hypothesis: &str, options: &[&str], dir: &Path) {
    let mut args = vec!["import", "rttm", hypothesis, "--out-dir", "logs"];
    args.extend(options);
    let out = tabletalk(&args, dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// [`import_with`] without options.
fn import(hypothesis: &str, dir: &Path) {
    import_with(hypothesis, &[], dir);
}

/// `score --format json` with `args`, which must succeed.
fn score_json(args: &[&str], dir: &Path) -> Value {
    let mut all = vec!["score", "--format", "json"];
    all.extend(args);
    let out = tabletalk(&all, dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

/// md-eval's SCORED SPEAKER, MISSED SPEAKER, FALARM SPEAKER and SPEAKER
/// ERROR times (s).
#[derive(Debug)]
struct MdEval {
    scored_speaker: f64,
    missed: f64,
    false_alarm: f64,
    confusion: f64,
}

/// Asserts the JSON's times equal md-eval's to the millisecond (md-eval
/// prints microseconds; `score` works in whole milliseconds and rounds its
/// JSON to them).
fn assert_equals_md_eval(json: &Value, want: &MdEval) {
    let got = |k: &str| json[k].as_f64().unwrap_or(f64::NAN);
    for (key, value) in [
        ("reference_s", want.scored_speaker),
        ("missed_s", want.missed),
        ("false_alarm_s", want.false_alarm),
        ("confusion_s", want.confusion),
    ] {
        assert!(
            (got(key) - value).abs() <= 0.001 + 1e-9,
            "{key}: score {} vs md-eval {value} ({want:?})\n{json}",
            got(key)
        );
    }
    let der = (want.missed + want.false_alarm + want.confusion) / want.scored_speaker;
    assert!((got("error_rate") - der).abs() < 1e-5, "{der} vs {json}");
}

/// Writes `files` (name, text) into a new scratch folder.
fn case(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// One line of RTTM: speaker `who` of recording `r` from `start` for
/// `duration` seconds.
fn line(start: f64, duration: f64, who: &str) -> String {
    format!("SPEAKER r 1 {start} {duration} <NA> <NA> {who} <NA> <NA>\n")
}

/// A hand-made case: `reference` (RTTM), the log imported from `hypothesis`
/// (RTTM), and `options` of `score`; md-eval gave `scored_speaker` s of
/// speaker time and no error. Returns the JSON.
fn check(
    name: &str,
    reference: &str,
    hypothesis: &str,
    options: &[&str],
    scored_speaker: f64,
) -> Value {
    let dir = case(
        name,
        &[
            ("r.rttm", reference),
            ("h.rttm", hypothesis),
            ("r.uem", "r 1 10 100\n"),
            ("gaps.uem", "r 1 0 4\nr 1 6 10\n"),
            ("cut.uem", "r 1 2 8\n"),
        ],
    );
    import("h.rttm", &dir);
    let mut args = vec!["--ref", "r.rttm"];
    args.extend(options);
    args.push("logs/r.ttlog");
    let json = score_json(&args, &dir);
    assert_equals_md_eval(&json, &md(scored_speaker, 0.0, 0.0, 0.0));
    std::fs::remove_dir_all(&dir).ok();
    json
}

#[test]
fn a_uem_start_shifts_neither_reference_nor_log() {
    let a = line(20.0, 5.0, "A");
    let json = check("shift", &a, &a, &["--uem", "r.uem"], 5.0);
    assert_eq!(json["scored_s"], 90.0);
}

#[test]
fn only_the_uem_stretches_are_scored() {
    // The log talks through the gap 4–6 s that the UEM leaves out: no false
    // alarm.
    let reference = line(0.0, 4.0, "A") + &line(6.0, 4.0, "A");
    let json = check(
        "gaps",
        &reference,
        &line(0.0, 10.0, "A"),
        &["--uem", "gaps.uem"],
        8.0,
    );
    assert_eq!(json["scored_s"], 8.0);
}

#[test]
fn every_reference_segment_boundary_gets_a_collar_and_a_uem_cut_none() {
    let whole = line(0.0, 10.0, "A");
    // Touching segments [0,5] and [5,10]: a collar at 5 s too.
    let touching = line(0.0, 5.0, "A") + &line(5.0, 5.0, "A");
    check("touch", &touching, &whole, &["--collar", "0.25"], 9.0);
    // [0,10] cut by the UEM to [2,8]: no collar at 2 s or 8 s.
    let options = ["--uem", "cut.uem", "--collar", "0.25"];
    check("cut", &whole, &whole, &options, 6.0);
}

#[test]
fn without_a_uem_the_reference_extent_is_scored() {
    // Reference 2–10 s, log 0–12 s: no false alarm.
    check(
        "extent",
        &line(2.0, 8.0, "A"),
        &line(0.0, 12.0, "A"),
        &[],
        8.0,
    );
}

#[test]
fn nothing_scored_is_said_not_rated_zero() {
    let dir = case("nothing", &[("r.rttm", &line(20.0, 5.0, "A"))]);
    import("r.rttm", &dir);
    let args = [
        "score",
        "--ref",
        "r.rttm",
        "--collar",
        "100000",
        "logs/r.ttlog",
    ];
    let out = tabletalk(&args, &dir);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("nothing was scored"), "{text}");
    assert!(!text.contains("error 0.0"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was scored"));
    let json = score_json(&args[1..], &dir);
    assert_eq!(json["scored_s"], 0.0);
    assert!(json["error_rate"].is_null(), "{json}");
    // A UEM without this recording, and a collar that is not a number, are
    // refused.
    std::fs::write(dir.join("other.uem"), "q 1 0 10\n").unwrap_or_else(|e| panic!("{e}"));
    for bad in [
        &[
            "score",
            "--ref",
            "r.rttm",
            "--uem",
            "other.uem",
            "logs/r.ttlog",
        ][..],
        &[
            "score",
            "--ref",
            "r.rttm",
            "--collar",
            "NaN",
            "logs/r.ttlog",
        ],
        &["score", "--ref", "r.rttm", "--collar=-1", "logs/r.ttlog"],
    ] {
        let out = tabletalk(bad, &dir);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        // The first line says what is wrong (flag values are refused by the
        // argument parser, which adds its `--help` hint below).
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        let named = bad.iter().any(|a| {
            let value = a.rsplit('=').next().unwrap_or(a);
            first.contains(value)
        });
        assert!(named && !first.contains("panicked"), "{bad:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// One real recording: reference (and UEM) fixtures, the hypothesis log's
/// name, and md-eval's figures at collar 0 and 0.25 s.
struct Meeting {
    reference: &'static str,
    uem: Option<&'static str>,
    hypothesis: &'static str,
    log: &'static str,
    collar_0: MdEval,
    collar_025: MdEval,
}

const fn md(scored_speaker: f64, missed: f64, false_alarm: f64, confusion: f64) -> MdEval {
    MdEval {
        scored_speaker,
        missed,
        false_alarm,
        confusion,
    }
}

#[test]
fn real_meetings_score_as_md_eval_does() {
    let meetings = [
        Meeting {
            reference: "ami/ES2011a.rttm",
            uem: Some("ami/ES2011a.uem"),
            hypothesis: "score/ES2011a.hyp.rttm",
            log: "ES2011a",
            collar_0: md(938.280, 170.280, 40.520, 115.990),
            collar_025: md(733.860, 78.060, 25.650, 95.970),
        },
        Meeting {
            reference: "ami/IB4001.rttm",
            uem: Some("ami/IB4001.uem"),
            hypothesis: "score/IB4001.hyp.rttm",
            log: "IB4001",
            collar_0: md(1577.650, 413.880, 89.660, 196.010),
            collar_025: md(1108.700, 185.150, 50.350, 152.160),
        },
        Meeting {
            reference: "sbcsae/SBC001_SBC021.rttm",
            uem: Some("sbcsae/SBC001_SBC021.uem"),
            hypothesis: "score/SBC001_SBC021.hyp.rttm",
            log: "SBC001",
            collar_0: md(1248.587, 535.543, 107.579, 113.300),
            collar_025: md(622.910, 148.264, 48.720, 70.408),
        },
        Meeting {
            reference: "sbcsae/SBC001_SBC021.rttm",
            uem: Some("sbcsae/SBC001_SBC021.uem"),
            hypothesis: "score/SBC001_SBC021.hyp.rttm",
            log: "SBC021",
            collar_0: md(1268.637, 498.824, 110.732, 110.029),
            collar_025: md(720.614, 145.140, 50.058, 73.071),
        },
        Meeting {
            reference: "voxconverse/kbkon.rttm",
            uem: None,
            hypothesis: "score/kbkon.hyp.rttm",
            log: "kbkon",
            collar_0: md(154.280, 13.000, 3.540, 2.380),
            collar_025: md(122.820, 3.630, 1.970, 0.830),
        },
    ];
    let dir = scratch("real");
    for m in &meetings {
        import(&fixture(m.hypothesis), &dir);
        let reference = fixture(m.reference);
        let uem = m.uem.map(fixture);
        let log = format!("logs/{}.ttlog", m.log);
        for (collar, want) in [("0", &m.collar_0), ("0.25", &m.collar_025)] {
            // md-eval always pairs speakers by the most time agreed on.
            let mut args = vec!["--ref", &reference, "--map", "optimal", "--collar", collar];
            if let Some(uem) = &uem {
                args.extend(["--uem", uem]);
            }
            args.push(&log);
            assert_equals_md_eval(&score_json(&args, &dir), want);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_reference_scored_against_itself_has_no_error() {
    // SBCSAE logs imported with their five-stretch scored.uem (turns
    // clipped to it), scored against the reference and the same UEM:
    // md-eval 0.00 %, scoring
    // 1248.587 s (SBC001) and 1268.637 s (SBC021) of speaker time at collar
    // 0, 622.910 s and 720.614 s at 0.25 s.
    let dir = scratch("self");
    let reference = fixture("sbcsae/SBC001_SBC021.rttm");
    let uem = fixture("sbcsae/SBC001_SBC021.uem");
    import_with(&reference, &["--uem", &uem], &dir);
    for (log, collar, speaker_time) in [
        ("logs/SBC001.ttlog", "0", 1248.587),
        ("logs/SBC021.ttlog", "0", 1268.637),
        ("logs/SBC001.ttlog", "0.25", 622.910),
        ("logs/SBC021.ttlog", "0.25", 720.614),
    ] {
        let json = score_json(
            &["--ref", &reference, "--uem", &uem, "--collar", collar, log],
            &dir,
        );
        assert_equals_md_eval(&json, &md(speaker_time, 0.0, 0.0, 0.0));
    }
    std::fs::remove_dir_all(&dir).ok();
}
