//! The host twin of the emulated table device.
//!
//! `scripts/test.d/60-qemu.sh` runs the scripted meeting of
//! `tabletalk-scenario` through tabletalk-core on an emulated Cortex-M0 and
//! compares its log and `tabletalk report` with the host twin's
//! (`examples/host_twin.rs`), byte for byte. These tests check the twin
//! itself: that it is deterministic (otherwise no comparison could hold)
//! and that its log says what the script did.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tabletalk_core::log::{Item, LogReader};
use tabletalk_core::records::Record;
use tabletalk_core::turns::{Condition, MarkerKind};
use tabletalk_scenario::record::LABELS;
use tabletalk_scenario::{record_meeting, Script, Summary};

fn record(script: &Script) -> (Vec<u8>, Summary) {
    let mut log = Vec::new();
    let summary = record_meeting(script, &mut |bytes: &[u8]| log.extend_from_slice(bytes))
        .expect("the pipeline records the scripted meeting");
    (log, summary)
}

/// A fresh directory under the system's temp dir for this test.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tabletalk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `tabletalk report --format json LOG`, through the CLI's own code.
fn report_json(log: &Path, out: &Path) -> Value {
    use clap::Parser;
    let cli = tabletalk::cli::Cli::try_parse_from([
        "tabletalk".as_ref(),
        "report".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        log.as_os_str(),
    ])
    .expect("valid command line");
    tabletalk::cli::run(cli).expect("tabletalk report succeeds");
    serde_json::from_slice(&std::fs::read(out).expect("report written")).expect("report is JSON")
}

#[test]
fn the_twin_writes_the_same_log_every_time() {
    let short = Script {
        duration_ms: 40_000,
        agenda_at_ms: 20_000,
        fault: (30_000, 3_000),
        ..Script::STANDARD
    };
    let (first, summary) = record(&short);
    let (second, _) = record(&short);
    assert_eq!(first, second);
    assert_eq!(summary.log_bytes as usize, first.len());

    let (other, _) = record(&Script { seed: 99, ..short });
    assert_ne!(first, other, "a different seed makes a different meeting");
}

#[test]
fn the_twin_log_holds_the_scripted_meeting() {
    let script = Script::STANDARD;
    let (log, summary) = record(&script);
    let truth = summary.truth;
    assert_eq!(summary.engine.dropped_events, 0, "{summary:?}");
    assert_eq!(summary.engine.forced_edges, 0, "{summary:?}");

    // The log, record by record: intact, with the facilitator's agenda
    // point and the clipped microphone where the script put them.
    let mut scratch = vec![0u8; log.len()];
    let mut agenda = Vec::new();
    let mut conditions = Vec::new();
    let mut end = None;
    for item in LogReader::new(&log, &mut scratch).expect("a log") {
        match item {
            Item::Record { record, .. } => match record {
                Record::Marker(m) if m.kind == MarkerKind::Agenda => agenda.push(m.at),
                Record::Condition(c) => conditions.push((c.seat, c.at, c.what)),
                Record::End(e) => end = Some(e),
                _ => {}
            },
            other => panic!("damage in a freshly written log: {other:?}"),
        }
    }
    // Ticks of 10 ms: the press at 150.00 s lasts 250 ms.
    assert!(
        matches!(agenda[..], [at] if (15_000..=15_030).contains(&at)),
        "agenda markers {agenda:?}"
    );
    let (fault_at, fault_len) = script.fault;
    let saturated = conditions
        .iter()
        .find(|c| c.2 == Condition::MicSaturated)
        .unwrap_or_else(|| panic!("no MicSaturated among {conditions:?}"));
    assert_eq!(saturated.0, 2, "the clipped microphone is seat 2");
    let fault_ticks = u64::from(fault_at / 10)..=u64::from((fault_at + fault_len) / 10);
    assert!(fault_ticks.contains(&saturated.1), "{conditions:?}");
    assert!(
        conditions
            .iter()
            .any(|c| c.0 == 2 && c.2 == Condition::MicOk && c.1 > saturated.1),
        "the microphone recovers: {conditions:?}"
    );
    let end = end.expect("a session-end record");
    assert_eq!(end.turns, summary.turns);
    assert_eq!(end.at, u64::from(script.duration_ms / 10));

    // What `tabletalk report` makes of it.
    let dir = scratch_dir("twin-report");
    let path = dir.join("meeting.ttlog");
    std::fs::write(&path, &log).expect("log written");
    let report = report_json(&path, &dir.join("report.json"));
    let session = &report["sessions"][0];
    assert_eq!(report["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        session["end_ms"].as_u64(),
        Some(u64::from(script.duration_ms))
    );
    let seats = session["seats"].as_array().expect("seats");
    let labels: Vec<_> = seats
        .iter()
        .map(|s| s["label"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(labels, LABELS);

    // The button seat is exact: held while talking, so its speaking time
    // is the script's to within debouncing and the 10 ms tick.
    let button_ms = seats[0]["speaking_ms"].as_u64().expect("speaking_ms");
    let scripted = u64::from(truth.talk_ms[0]);
    assert!(
        button_ms.abs_diff(scripted) <= 10 * 11 * 2,
        "{button_ms} vs {scripted}"
    );
    assert_eq!(
        seats[0]["turns"].as_u64(),
        Some(u64::from(truth.utterances[0]))
    );

    // Microphone seats: no talker goes missing, the quiet one included.
    for (seat, (report, &scripted)) in seats.iter().zip(&truth.talk_ms).enumerate().skip(1) {
        let detected = report["speaking_ms"].as_u64().unwrap_or(0);
        let scripted = u64::from(scripted);
        assert!(
            detected * 2 >= scripted,
            "seat {seat}: detected {detected} of {scripted} ms"
        );
    }

    // Two agenda segments, split at the facilitator's press.
    let segments = session["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 2);
    let split = segments[0]["end_ms"].as_u64().unwrap_or(0);
    assert!((150_000..=150_300).contains(&split), "split at {split}");
    let _ = std::fs::remove_dir_all(&dir);
}
