//! The laptop's path from bytes to a report: [`tabletalk::logs::decode`],
//! the metrics, and every report format.
//!
//! Input: as for [`log_decoder`](crate::log_decoder) (mode byte, then a raw
//! log or a framed program).
//!
//! Checked: decoding ends in bounded time and memory; the JSON report is
//! valid JSON with the schema's name, one entry per session and the loss
//! counted exactly as the reader counted it; shares are numbers in 0..=1;
//! no seat speaks longer than its session lasts; the text, CSV, Markdown and
//! HTML renderings succeed.

use serde_json::Value;
use tabletalk::metrics::Options;
use tabletalk::report::{render, Format, Report, SCHEMA};

use crate::log_decoder::log_of;

/// Runs one input. Bits 1 to 3 of the mode byte may ask for time windows:
/// 5 minutes, 1 s, or (rarely, it is slow) 1 ms, the most there can be.
pub fn run(data: &[u8]) {
    let mode = data.first().copied().unwrap_or(0);
    let window_ms = match mode & 14 {
        2 => Some(300_000),
        4 => Some(1_000),
        14 => Some(1),
        _ => None,
    };
    check(&log_of(data), window_ms);
}

/// Reports on `log` in every format and checks the JSON.
pub fn check(log: &[u8], window_ms: Option<u64>) {
    let Ok(loaded) = tabletalk::logs::decode(log, "fuzz.ttlog") else {
        return;
    };
    let report = Report::build(
        &loaded.sessions,
        vec![loaded.summary()],
        &Options {
            window_ms,
            ..Options::default()
        },
        None,
    );
    let mut json = Vec::new();
    render(&report, &loaded.sessions, Format::Json, &mut json).expect("JSON renders");
    let value: Value = serde_json::from_slice(&json).expect("the JSON report is valid JSON");
    assert_eq!(value["schema"], SCHEMA);
    assert_eq!(value["inputs"][0]["frames_lost"], loaded.frames_lost);
    assert_eq!(
        value["inputs"][0]["lost_byte_ranges"]
            .as_array()
            .map(Vec::len),
        Some(loaded.damaged.len())
    );
    let sessions = value["sessions"].as_array().expect("sessions[]");
    assert_eq!(sessions.len(), loaded.sessions.len());
    for session in sessions {
        // Time windows are capped (10 000 per session).
        assert!(session["windows"].as_array().map_or(0, Vec::len) <= 10_001);
        let duration = session["group"]["duration_ms"]
            .as_u64()
            .expect("duration_ms");
        for seat in session["seats"].as_array().expect("seats[]") {
            for field in ["share", "turn_share"] {
                let x = seat[field]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{field} is {}", seat[field]));
                assert!((0.0..=1.0 + 1e-9).contains(&x), "{field} = {x}");
            }
            let speaking = seat["speaking_ms"].as_u64().expect("speaking_ms");
            assert!(
                speaking <= duration,
                "a seat spoke {speaking} ms in {duration} ms"
            );
        }
    }
    for format in [Format::Text, Format::Csv, Format::Md, Format::Html] {
        let mut out = Vec::new();
        render(&report, &loaded.sessions, format, &mut out).expect("renders");
    }
}
