//! The `tabletalk` binary as a user meets it: commands, formats, exit codes
//! and messages on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tabletalk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabletalk"))
        .args(args)
        .output()
        .unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh directory under the target dir, for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Imports the AMI fixture ES2011a and returns the log's path.
fn ami_log(dir: &Path) -> PathBuf {
    let ami = fixtures().join("ami");
    let out = tabletalk(&[
        "import",
        "rttm",
        ami.join("ES2011a.rttm").to_str().unwrap(),
        "--uem",
        ami.join("ES2011a.uem").to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir.join("ES2011a.ttlog")
}

#[test]
fn report_in_every_format() {
    let dir = scratch("formats");
    let log = ami_log(&dir);
    let log = log.to_str().unwrap();

    let text = tabletalk(&["report", log]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("FEE041") && text.contains("Gini"), "{text}");

    let json = tabletalk(&["report", log, "--format", "json", "--window", "5m"]);
    assert!(json.status.success());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["schema"], "tabletalk.report");
    assert_eq!(json["schema_version"], 1);
    let session = &json["sessions"][0];
    for field in [
        "seat",
        "label",
        "speaking_ms",
        "share",
        "turns",
        "interruptions_made",
        "interruptions_suffered",
        "backchannels",
    ] {
        assert!(session["seats"][0].get(field).is_some(), "seats[0].{field}");
    }
    for field in [
        "duration_ms",
        "speech_ms",
        "overlap_ms",
        "gini",
        "gini_corrected",
        "evenness",
        "turn_count_variance",
        "transitions",
    ] {
        assert!(session["group"].get(field).is_some(), "group.{field}");
    }
    assert_eq!(session["seats"][0]["label"], "FEE041");
    assert_eq!(session["group"]["transitions"].as_array().unwrap().len(), 4);
    assert_eq!(session["windows"].as_array().unwrap().len(), 4); // 18:33 in 5 min windows

    let csv_path = dir.join("r.csv");
    let csv = tabletalk(&[
        "report",
        log,
        "--format",
        "csv",
        "-o",
        csv_path.to_str().unwrap(),
    ]);
    assert!(csv.status.success());
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().count(), 1 + 1 + 4); // header, session, 4 seats
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("level,source,session,"));

    let md = tabletalk(&["report", log, "--format", "md"]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.starts_with("# Participation report") && md.contains("| FEE041 |"),
        "{md}"
    );

    let html = tabletalk(&["report", log, "--format", "html"]);
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.matches("<svg").count() >= 4);
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
}

#[test]
fn roster_groups_use_names_and_organisations() {
    let dir = scratch("roster");
    let log = ami_log(&dir);
    let roster = dir.join("roster.toml");
    std::fs::write(
        &roster,
        "[[seat]]\nlabel = \"FEE041\"\nname = \"Ana\"\norganisation = \"Council\"\nrole = \"chair\"\n\
         [[seat]]\nseat = 1\nname = \"Ben\"\norganisation = \"Council\"\n\
         [[seat]]\nseat = 2\norganisation = \"Trust\"\n",
    )
    .unwrap();
    let out = tabletalk(&[
        "report",
        log.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &json["sessions"][0];
    assert_eq!(s["seats"][0]["name"], "Ana");
    let orgs = s["roster_groups"]["organisation"].as_array().unwrap();
    let council = orgs.iter().find(|g| g["group"] == "Council").unwrap();
    assert_eq!(council["seats"], 2);
    assert_eq!(council["seat_share"], 0.5);
    let share = s["seats"][0]["share"].as_f64().unwrap() + s["seats"][1]["share"].as_f64().unwrap();
    assert!((council["speaking_share"].as_f64().unwrap() - share).abs() < 1e-12);

    std::fs::write(&roster, "[[seat]]\nname = \"nobody\"\n").unwrap();
    let bad = tabletalk(&[
        "report",
        log.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("neither"), "{}", stderr(&bad));
}

#[test]
fn damaged_frames_are_reported_and_the_rest_kept() {
    let dir = scratch("damaged");
    let log = ami_log(&dir);
    let mut bytes = std::fs::read(&log).unwrap();
    let intact = tabletalk(&["report", log.to_str().unwrap(), "--format", "json"]);
    let intact: serde_json::Value = serde_json::from_slice(&intact.stdout).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xA5;
    let damaged = dir.join("damaged.ttlog");
    std::fs::write(&damaged, &bytes).unwrap();

    let out = tabletalk(&["report", damaged.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let warning = stderr(&out);
    assert!(
        warning.contains("warning")
            && warning.contains("1 damaged frame")
            && warning.contains("bytes "),
        "{warning}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &json["inputs"][0];
    assert_eq!(input["frames_lost"], 1);
    let range = input["lost_byte_ranges"][0].as_array().unwrap();
    let (a, b) = (
        range[0].as_u64().unwrap() as usize,
        range[1].as_u64().unwrap() as usize,
    );
    assert!(a <= middle && middle < b);
    let turns = |v: &serde_json::Value| v["sessions"][0]["group"]["turns"].as_u64().unwrap();
    assert!(turns(&json) < turns(&intact) && turns(&json) > 0);
    assert!(json["sessions"][0]["notes"].to_string().contains("lost"));

    let decode = tabletalk(&["decode", damaged.to_str().unwrap()]);
    assert_eq!(decode.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(decode.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.iter().filter(|l| l["record"] == "damaged").count(), 1);
    assert_eq!(lines[0]["record"], "header");
    assert_eq!(lines.last().unwrap()["record"], "end");
}

#[test]
fn not_a_log_is_one_line_and_exit_code_2() {
    let dir = scratch("not_a_log");
    let text = dir.join("notes.ttlog");
    std::fs::write(&text, "minutes of the meeting\n".repeat(50)).unwrap();
    let empty = dir.join("empty.ttlog");
    std::fs::write(&empty, b"").unwrap();
    let noise = dir.join("noise.ttlog");
    let mut state = 0x2545_f491_u32;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    std::fs::write(&noise, bytes).unwrap();
    for file in [&text, &empty, &noise] {
        for command in [&["report"][..], &["decode"], &["export", "rttm"]] {
            let mut args = command.to_vec();
            args.push(file.to_str().unwrap());
            let out = tabletalk(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            let message = stderr(&out);
            assert_eq!(message.trim_end().lines().count(), 1, "{message}");
            assert!(
                message.contains("not a tabletalk log") || message.contains("nothing decodable"),
                "{message}"
            );
            assert!(!message.contains("panicked"));
        }
    }
    let missing = tabletalk(&["report", "no/such/file.ttlog"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn wrong_flags_get_clap_help() {
    let out = tabletalk(&["report", "--colour", "x.ttlog"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Usage:"), "{}", stderr(&out));
    let out = tabletalk(&["report", "x.ttlog", "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values"), "{}", stderr(&out));
    let out = tabletalk(&["report", "x.ttlog", "--window", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a duration"));
    let out = tabletalk(&["import", "rttm", "a.rttm"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--out-dir"));
    let help = tabletalk(&["report", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--roster"));
}

#[test]
fn export_then_import_gives_the_same_turns() {
    let dir = scratch("roundtrip");
    let log = ami_log(&dir);
    let rttm = dir.join("back.rttm");
    let uem = dir.join("back.uem");
    let out = tabletalk(&[
        "export",
        "rttm",
        log.to_str().unwrap(),
        "-o",
        rttm.to_str().unwrap(),
        "--uem",
        uem.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = dir.join("again");
    let out = tabletalk(&[
        "import",
        "rttm",
        rttm.to_str().unwrap(),
        "--uem",
        uem.to_str().unwrap(),
        "--out-dir",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = tabletalk::logs::read(&log).unwrap();
    let second = tabletalk::logs::read(&again.join("ES2011a.ttlog")).unwrap();
    assert_eq!(first.sessions[0].turns, second.sessions[0].turns);
    assert_eq!(first.sessions[0].seats, second.sessions[0].seats);
    assert_eq!(
        (first.sessions[0].start_ms, first.sessions[0].end_ms),
        (second.sessions[0].start_ms, second.sessions[0].end_ms)
    );
}

#[test]
fn batch_writes_csv_and_parquet_rows_per_session_and_seat() {
    let dir = scratch("batch");
    let logs = dir.join("logs");
    let fx = fixtures();
    for (rttm, uem) in [
        ("ami/ES2011a.rttm", Some("ami/ES2011a.uem")),
        ("ami/IB4001.rttm", Some("ami/IB4001.uem")),
        ("voxconverse/kbkon.rttm", None),
    ] {
        let mut args = vec!["import", "rttm"];
        let rttm = fx.join(rttm);
        args.push(rttm.to_str().unwrap());
        let uem = uem.map(|u| fx.join(u));
        if let Some(uem) = &uem {
            args.extend(["--uem", uem.to_str().unwrap()]);
        }
        args.extend(["--out-dir", logs.to_str().unwrap()]);
        assert!(tabletalk(&args).status.success());
    }
    std::fs::write(logs.join("broken.ttlog"), b"garbage").unwrap();
    let csv = dir.join("all.csv");
    let out = tabletalk(&[
        "batch",
        logs.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("broken.ttlog") && stderr(&out).contains("skipped"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let seats = 4 + 4 + 6; // ES2011a, IB4001, kbkon
    assert_eq!(text.lines().count(), 1 + 3 + seats);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("session,")).count(),
        3
    );

    let parquet = dir.join("all.parquet");
    let out = tabletalk(&[
        "batch",
        logs.to_str().unwrap(),
        "--out",
        parquet.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&parquet).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
}

/// A hand-made meeting: A speaks 0–60 s, B 60–100 s, C 100–110 s; A and
/// C are the council, B the trust. Decisions at 30 s and 100 s (and one
/// at 200 s, after the end).
#[test]
fn decisions_and_exchange_from_an_import() {
    let dir = scratch("decisions");
    let rttm = dir.join("meeting.rttm");
    std::fs::write(
        &rttm,
        "SPEAKER meeting 1 0.000 60.000 <NA> <NA> A <NA> <NA>\n\
         SPEAKER meeting 1 60.000 40.000 <NA> <NA> B <NA> <NA>\n\
         SPEAKER meeting 1 100.000 10.000 <NA> <NA> C <NA> <NA>\n",
    )
    .unwrap();
    let decisions = dir.join("decisions.txt");
    std::fs::write(
        &decisions,
        "# agreed on the budget\nmeeting 30\n100.0\n200\n",
    )
    .unwrap();
    let out = tabletalk(&[
        "import",
        "rttm",
        rttm.to_str().unwrap(),
        "--decisions",
        decisions.to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 decision time(s) outside"),
        "{}",
        stderr(&out)
    );
    let roster = dir.join("roster.toml");
    std::fs::write(
        &roster,
        "[[seat]]\nlabel = \"A\"\norganisation = \"council\"\n\
         [[seat]]\nlabel = \"B\"\norganisation = \"trust\"\n\
         [[seat]]\nlabel = \"C\"\norganisation = \"council\"\n",
    )
    .unwrap();
    let log = dir.join("meeting.ttlog");
    let report = |format: &str| {
        let out = tabletalk(&[
            "report",
            log.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--lead-up",
            "50s",
            "--format",
            format,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    let s = &json["sessions"][0];
    let d = s["decisions"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d[0]["at_ms"].as_u64(), d[0]["lead_up_ms"].as_u64()),
        (Some(30_000), Some(30_000))
    );
    assert_eq!(d[0]["seats"][0]["speaking_ms"], 30_000);
    assert_eq!(
        (d[1]["at_ms"].as_u64(), d[1]["lead_up_ms"].as_u64()),
        (Some(100_000), Some(50_000))
    );
    assert_eq!(d[1]["seats"][1]["speaking_ms"], 40_000);
    assert_eq!(d[1]["seats"][1]["share"], 0.8);
    let trust = d[1]["groups"]["organisation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "trust")
        .unwrap();
    assert_eq!(trust["speaking_share"], 0.8);
    // A → B and B → C: both across organisations.
    let e = &s["exchange"]["organisation"];
    assert_eq!(e["groups"], serde_json::json!(["council", "trust"]));
    assert_eq!(e["floor_passes"], serde_json::json!([[0, 1], [1, 0]]));
    assert_eq!(e["interruptions"], serde_json::json!([[0, 0], [0, 0]]));
    assert_eq!(e["ei_index"], 1.0);
    let html = report("html");
    assert!(
        html.contains("The floor passed across organisations 100% of the time"),
        "{html}"
    );
    assert!(
        html.contains("In the 50 seconds before decision 2, trust spoke 80% of the time."),
        "{html}"
    );
}
