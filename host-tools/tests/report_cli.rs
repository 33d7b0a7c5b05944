//! `tabletalk report` as a reader meets it: roster per log and its
//! warnings, the `people` list, `--title`, `--color` and `NO_COLOR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tabletalk(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tabletalk"));
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One person at two seats in two AMI meetings (by a per-log entry), one
/// entry that matches nothing.
const ROSTER: &str = r#"
[[seat]]
label = "FEE042"
name = "Ben Okafor"
organisation = "Harbour Trust"
sector = "community"
[[seat]]
log = "IB4001"
label = "MIO091"
name = "Ben Okafor"
[[seat]]
label = "NOBODY"
name = "Ghost"
"#;

#[test]
fn the_people_list_follows_a_person_across_seats_and_logs() {
    let dir = scratch("report_cli_people");
    let roster = dir.join("roster.toml");
    std::fs::write(&roster, ROSTER).unwrap();
    let (a, b) = (fixture("ami/ES2011a.rttm"), fixture("ami/IB4001.rttm"));
    let out = tabletalk(
        &[
            "report",
            &a,
            &b,
            "--roster",
            roster.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: roster entry Ghost (label \"NOBODY\") matches no seat"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let people = json["people"].as_array().unwrap();
    assert_eq!(people.len(), 2);
    let ben = &people[0];
    assert_eq!(ben["name"], "Ben Okafor");
    assert_eq!(ben["organisation"], "Harbour Trust");
    assert_eq!(ben["sector"], "community");
    assert!(ben["role"].is_null());
    let sessions = ben["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(sessions[0]["source"].as_str().unwrap().ends_with("ES2011a"));
    assert!(sessions[1]["source"].as_str().unwrap().ends_with("IB4001"));
    assert_ne!(sessions[0]["seat"], sessions[1]["seat"]);
    assert!(sessions[1]["share"].as_f64().unwrap() > 0.0);
    assert!(people[1]["sessions"].as_array().unwrap().is_empty());
    // Followed across the series too.
    let trend = json["trend"].as_array().unwrap();
    assert!(trend
        .iter()
        .any(|t| t["person"] == "Ben Okafor" && t["figure"] == "share"));
    let voices = json["series"]["people"].as_array().unwrap();
    assert!(voices
        .iter()
        .any(|v| v["name"] == "Ben Okafor" && v["meetings"] == 2));
}

#[test]
fn a_roster_that_matches_nothing_is_one_warning() {
    let dir = scratch("report_cli_no_match");
    let roster = dir.join("roster.toml");
    std::fs::write(
        &roster,
        "[[seat]]\nlabel = \"X\"\nname = \"A\"\n[[seat]]\nseat = 99\nname = \"B\"\n",
    )
    .unwrap();
    let out = tabletalk(
        &[
            "report",
            &fixture("ami/ES2011a.rttm"),
            "--roster",
            roster.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("warning").count(), 1, "{stderr}");
    assert!(
        stderr.contains("matches no seat of any session"),
        "{stderr}"
    );
}

#[test]
fn colour_and_titles() {
    let a = fixture("ami/ES2011a.rttm");
    let plain = tabletalk(&["report", &a, "--title", "Harbour board"], &[]);
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(text.starts_with("Harbour board\n"), "{text}");
    assert!(!text.contains('\x1b'), "colour into a pipe");
    let always = tabletalk(&["report", &a, "--color", "always"], &[("NO_COLOR", "1")]);
    assert!(String::from_utf8_lossy(&always.stdout).contains("\x1b[1m"));
    let never = tabletalk(&["report", &a, "--color", "never"], &[]);
    assert!(!String::from_utf8_lossy(&never.stdout).contains('\x1b'));
    let narrow = tabletalk(&["report", &a], &[("COLUMNS", "80")]);
    let text = String::from_utf8_lossy(&narrow.stdout);
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 80, "{widest} columns:\n{text}");
    let html = tabletalk(
        &[
            "report",
            &a,
            "--title",
            "Harbour <board>",
            "--format",
            "html",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&html.stdout).contains("<h1>Harbour &lt;board&gt;</h1>"));
    let help = tabletalk(&["report", "--help"], &[]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("log = \"ES2011b\"") && help.contains("--color"),
        "{help}"
    );
}
