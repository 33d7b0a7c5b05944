//! What the command line refuses or guards against, end to end: float
//! flags that make no sense, outputs that are inputs, outputs cut short by a
//! full disk, directory inputs with links, loops and FIFOs, terminal
//! escapes in labels and file names, and the shape of the CLI (one output
//! flag, `--format json`, `-` for standard streams, completions, man page).
//! About 4 s in a debug build.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tabletalk")
}

fn tabletalk(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-safety-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Imports the AMI fixture into `dir`; returns the log.
fn ami_log(dir: &Path) -> PathBuf {
    let ami = fixtures().join("ami");
    let out = tabletalk(&[
        "import",
        "rttm",
        s(&ami.join("ES2011a.rttm")),
        "--uem",
        s(&ami.join("ES2011a.uem")),
        "--out-dir",
        s(dir),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir.join("ES2011a.ttlog")
}

/// A small RTTM with the given speaker names, imported as a log.
fn log_with_speakers(dir: &Path, recording: &str, speakers: &[&str]) -> PathBuf {
    let rttm = dir.join(format!(
        "{}.rttm",
        recording.replace(|c: char| !c.is_alphanumeric(), "_")
    ));
    let text: String = speakers
        .iter()
        .enumerate()
        .map(|(i, who)| {
            format!(
                "SPEAKER {recording} 1 {}.0 4.0 <NA> <NA> {who} <NA> <NA>\n",
                i * 5
            )
        })
        .collect();
    fs::write(&rttm, text).unwrap();
    let logs = dir.join("logs");
    let out = tabletalk(&["import", "rttm", s(&rttm), "--out-dir", s(&logs)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = String::from_utf8(out.stdout).unwrap();
    PathBuf::from(written.lines().last().unwrap())
}

fn temporaries(dir: &Path) -> Vec<String> {
    tabletalk::output::temporaries_in(dir).unwrap()
}

#[test]
fn float_flags_refuse_nan_infinities_and_meaningless_values() {
    let cases: &[&[&str]] = &[
        &["device", "--port", "none", "--timeout", "NaN", "status"],
        &["device", "--port", "none", "--timeout", "inf", "list"],
        &["device", "--port", "none", "--timeout=-1", "list"],
        &["device", "--port", "none", "live", "--for", "1e300"],
        &["simulate", "--minutes", "NaN"],
        &["simulate", "--minutes", "1e9"],
        &["simulate", "--minutes=-5"],
        &["score", "--ref", "a.rttm", "b.ttlog", "--collar", "NaN"],
        &["score", "--ref", "a.rttm", "b.ttlog", "--collar=-0.5"],
        &["evaluate", "--minutes", "inf"],
        &["evaluate", "--start=-1"],
        &["evaluate", "--collar", "nan"],
        &[
            "replay", "--levels", "l.csv", "--rate", "NaN", "-o", "x.ttlog",
        ],
        &[
            "replay",
            "--wav",
            "a.wav",
            "--gain-db",
            "inf",
            "-o",
            "x.ttlog",
        ],
        &[
            "replay",
            "--wav",
            "a.wav",
            "--level-scale=-2",
            "-o",
            "x.ttlog",
        ],
    ];
    for args in cases {
        let out = tabletalk(args);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
        let value = args
            .iter()
            .rev()
            .map(|a| a.rsplit('=').next().unwrap())
            .find(|a| a.parse::<f64>().is_ok())
            .unwrap();
        assert!(
            message.contains(&format!("`{value}`")) && message.contains("--"),
            "{args:?}: {message}"
        );
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = scratch("clash");
    let log = ami_log(&dir);
    let before = fs::read(&log).unwrap();
    let same = dir.join(".").join("ES2011a.ttlog");
    let cases: Vec<Vec<&str>> = vec![
        vec!["report", s(&log), "-o", s(&log)],
        vec!["report", s(&dir), "--format", "csv", "-o", s(&same)],
        vec!["export", "rttm", s(&log), "-o", s(&same)],
        vec!["export", "rttm", s(&log), "--uem", s(&log)],
        vec!["batch", s(&dir), "--format", "csv", "-o", s(&log)],
        vec!["decode", s(&log)], // reads only: succeeds
    ];
    for args in &cases[..cases.len() - 1] {
        let out = tabletalk(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("it is the input"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(fs::read(&log).unwrap(), before, "{args:?} changed the log");
    }
    assert!(tabletalk(&cases[cases.len() - 1]).status.success());

    // Two outputs that are one file.
    let twice = dir.join("s");
    let out = tabletalk(&[
        "simulate",
        "--minutes",
        "0.1",
        "--out",
        s(&twice),
        "--ref-out",
        s(&twice),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("twice"), "{}", stderr(&out));
    assert!(!twice.exists());
}

/// Runs tabletalk with the file size limit at 1 KiB (SIGXFSZ ignored, so
/// writes fail with EFBIG as on a full disk).
fn tabletalk_on_a_full_disk(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2; exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_full_disk_leaves_the_old_file_whole_and_no_partial_file() {
    let dir = scratch("full");
    let log = ami_log(&dir);
    let out_dir = dir.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let html = out_dir.join("report.html");
    let csv = out_dir.join("rows.csv");
    let rttm = out_dir.join("turns.rttm");
    fs::write(&html, "the old report").unwrap();
    fs::write(&csv, "the old rows").unwrap();
    fs::write(&rttm, "the old turns").unwrap();
    let runs: [&[&str]; 3] = [
        &["report", s(&log), "--format", "html", "-o", s(&html)],
        &["batch", s(&log), "-o", s(&csv)],
        &["export", "rttm", s(&log), "-o", s(&rttm)],
    ];
    for args in runs {
        let out = tabletalk_on_a_full_disk(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot write"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(fs::read_to_string(&html).unwrap(), "the old report");
    assert_eq!(fs::read_to_string(&csv).unwrap(), "the old rows");
    assert_eq!(fs::read_to_string(&rttm).unwrap(), "the old turns");
    assert!(
        temporaries(&out_dir).is_empty(),
        "{:?}",
        temporaries(&out_dir)
    );

    // An import cut short writes no log at all (a truncated log would
    // later read as a plausible shorter meeting).
    let logs = dir.join("imported");
    let ami = fixtures().join("ami");
    let out = tabletalk_on_a_full_disk(&[
        "import",
        "rttm",
        s(&ami.join("ES2011a.rttm")),
        "--out-dir",
        s(&logs),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(fs::read_dir(&logs).unwrap().next().is_none());
}

#[test]
fn concurrent_reports_to_one_file_leave_one_whole_report() {
    let dir = scratch("concurrent");
    let a = ami_log(&dir);
    let b = log_with_speakers(&dir, "other", &["Ana", "Ben", "Chloe"]);
    let target = dir.join("same.html");
    let whole = |log: &Path| {
        let out = tabletalk(&["report", s(log), "--format", "html"]);
        assert!(out.status.success());
        out.stdout
    };
    let (whole_a, whole_b) = (whole(&a), whole(&b));
    let children: Vec<_> = (0..8)
        .map(|i| {
            Command::new(bin())
                .args([
                    "report",
                    s(if i % 2 == 0 { &a } else { &b }),
                    "--format",
                    "html",
                ])
                .args(["-o", s(&target)])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let written = fs::read(&target).unwrap();
    assert!(written == whole_a || written == whole_b, "a mixed file");
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

#[cfg(unix)]
#[test]
fn a_directory_with_links_loops_and_fifos_reads_each_log_once() {
    use std::os::unix::fs::symlink;
    let dir = scratch("links");
    let logs = dir.join("logs");
    fs::create_dir_all(logs.join("sub")).unwrap();
    let log = ami_log(&logs);
    symlink(".", logs.join("self")).unwrap();
    symlink("..", logs.join("sub/up")).unwrap();
    symlink("loop-b", logs.join("loop-a")).unwrap();
    symlink("loop-a", logs.join("loop-b")).unwrap();
    symlink(&log, logs.join("sub/again.ttlog")).unwrap();
    let fifo = logs.join("pipe.ttlog");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    let out = tabletalk(&["report", s(&logs), "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["inputs"].as_array().unwrap().len(),
        1,
        "{}",
        json["inputs"]
    );
    let warnings = stderr(&out);
    assert!(
        warnings.contains("pipe.ttlog: not a regular file"),
        "{warnings}"
    );
    assert!(warnings.contains("(a loop), skipped"), "{warnings}");

    // The same file named twice on the command line is read once too.
    let out = tabletalk(&[
        "report",
        s(&log),
        s(&logs.join("sub/again.ttlog")),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["inputs"].as_array().unwrap().len(), 1);
}

#[test]
fn control_characters_in_labels_and_names_never_reach_the_output_raw() {
    let dir = scratch("escapes");
    let log = log_with_speakers(
        &dir,
        "meet\x1b[2Jing",
        &["Ana\x1b]0;owned\x07", "Ben\rX", "Chloe"],
    );
    for format in ["text", "md", "csv", "html", "json"] {
        let out = tabletalk(&["report", s(&log), "--format", format]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains(['\x1b', '\x07', '\r']), "{format}: {text:?}");
        assert!(text.contains("Ana"), "{format}: {text}");
        assert!(!stderr(&out).contains('\x1b'), "{}", stderr(&out));
    }
    let out = tabletalk(&["export", "rttm", s(&log)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rttm = String::from_utf8(out.stdout).unwrap();
    assert!(!rttm.contains(['\x1b', '\x07', '\r']), "{rttm:?}");
    for line in rttm.lines() {
        assert_eq!(line.split_whitespace().count(), 10, "{line:?}");
    }
}

#[test]
fn one_cli_flags_formats_and_standard_streams() {
    let dir = scratch("one-cli");
    let log = ami_log(&dir);

    // `-` is standard input for a log, standard output for -o.
    let bytes = fs::read(&log).unwrap();
    let mut child = Command::new(bin())
        .args(["report", "-", "--format", "json", "-o", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], "tabletalk.report");
    assert!(!dir.join("-").exists());

    // batch: -o/--output, with --out kept; an unknown extension is refused.
    for flag in ["-o", "--output", "--out"] {
        let csv = dir.join(format!("rows{flag}.csv"));
        let out = tabletalk(&["batch", s(&log), flag, s(&csv)]);
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        assert!(fs::read_to_string(&csv).unwrap().starts_with("level,"));
    }
    let xlsx = dir.join("rows.xlsx");
    let out = tabletalk(&["batch", s(&log), "-o", s(&xlsx)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--format csv"), "{}", stderr(&out));
    assert!(!xlsx.exists());

    // report reads RTTM with its UEM.
    let ami = fixtures().join("ami");
    let out = tabletalk(&[
        "report",
        s(&ami.join("ES2011a.rttm")),
        "--uem",
        s(&ami.join("ES2011a.uem")),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let with_uem: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_log: serde_json::Value =
        serde_json::from_slice(&tabletalk(&["report", s(&log), "--format", "json"]).stdout)
            .unwrap();
    let duration = |v: &serde_json::Value| v["sessions"][0]["duration_ms"].clone();
    assert_eq!(duration(&with_uem), duration(&from_log));

    // import prints what it wrote.
    let out = tabletalk(&[
        "import",
        "rttm",
        s(&ami.join("ES2011a.rttm")),
        "--out-dir",
        s(&dir.join("again")),
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        s(&dir.join("again").join("ES2011a.ttlog"))
    );

    // Completions and a man page.
    let bash = tabletalk(&["completions", "bash"]);
    assert!(bash.status.success());
    assert!(String::from_utf8_lossy(&bash.stdout).contains("--out-dir"));
    let man = tabletalk(&["man"]);
    assert!(String::from_utf8_lossy(&man.stdout).contains(".TH tabletalk 1"));
    let pages = dir.join("man");
    assert!(tabletalk(&["man", "--out-dir", s(&pages)]).status.success());
    assert!(pages.join("tabletalk-report.1").is_file());

    // JSON everywhere: device status/list take --format json (and --json).
    for args in [
        &["device", "status", "--help"][..],
        &["device", "list", "--help"],
        &["evaluate", "--help"],
    ] {
        let help = String::from_utf8(tabletalk(args).stdout).unwrap();
        assert!(help.contains("--format <FORMAT>"), "{args:?}: {help}");
    }
    let out = tabletalk(&["device", "--port", "none", "pull", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--out-dir <DIR>"));
}
