//! Hostile and damaged bytes never panic the laptop side: decoding, the
//! session model and every metric and report format take whatever survives.
//! What survives is real: damage never invents a turn (every turn decoded
//! from a damaged log is a turn of the intact one), and every report format
//! renders whatever decodes, the JSON with one entry per session.

use proptest::prelude::*;
use tabletalk::logs::{decode, encode_session, SessionSpec};
use tabletalk::metrics::Options;
use tabletalk::report::{render, Format, Report};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::MarkerKind;

fn valid_log() -> Vec<u8> {
    let spec = SessionSpec {
        inputs: vec![InputKind::Button; 5],
        labels: (0..5).map(|i| Some(format!("seat-{i}"))).collect(),
        tick_ms: 10,
        ..SessionSpec::default()
    };
    let turns: Vec<(u8, u64, u64)> = (0..300u64)
        .map(|i| ((i * 7 % 5) as u8, i * 40, i * 40 + 25 + i % 30))
        .collect();
    let markers = [
        (0, MarkerKind::Start),
        (3000, MarkerKind::Agenda),
        (6000, MarkerKind::Pause),
        (6500, MarkerKind::Resume),
    ];
    encode_session(&spec, &turns, &markers, 13_000).unwrap()
}

/// A log's turns as (seat, start, end) in ms.
fn turns(log: &tabletalk::logs::LoadedLog) -> Vec<(usize, u64, u64)> {
    log.sessions
        .iter()
        .flat_map(|s| s.turns.iter().map(|t| (t.seat, t.start_ms, t.end_ms)))
        .collect()
}

/// Decodes and reports `bytes` in every format; returns the turns decoded.
fn everything(bytes: &[u8]) -> Vec<(usize, u64, u64)> {
    let Ok(log) = decode(bytes, "fuzz") else {
        return Vec::new();
    };
    {
        let _ = log.warning();
        let options = Options {
            window_ms: Some(1000),
            backchannel_max_ms: None,
            lead_up_ms: None,
        };
        let report = Report::build(&log.sessions, vec![log.summary()], &options, None);
        for format in [
            Format::Text,
            Format::Json,
            Format::Csv,
            Format::Md,
            Format::Html,
        ] {
            let mut out = Vec::new();
            render(&report, &log.sessions, format, &mut out).unwrap();
            assert!(!out.is_empty(), "{format:?} rendered nothing");
            if format == Format::Json {
                let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(
                    json["sessions"].as_array().map(Vec::len),
                    Some(log.sessions.len())
                );
            }
        }
    }
    turns(&log)
}

/// Every turn decoded from damaged bytes is a turn of the intact log.
fn only_real_turns(decoded: &[(usize, u64, u64)]) {
    static REAL: std::sync::OnceLock<std::collections::HashSet<(usize, u64, u64)>> =
        std::sync::OnceLock::new();
    let real = REAL.get_or_init(|| {
        turns(&decode(&valid_log(), "intact").unwrap())
            .into_iter()
            .collect()
    });
    for turn in decoded {
        assert!(real.contains(turn), "invented turn {turn:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        everything(&bytes);
    }

    #[test]
    fn flipped_bytes_of_a_real_log(flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..12)) {
        let mut bytes = valid_log();
        let len = bytes.len();
        for (at, mask) in flips {
            bytes[at % len] ^= mask;
        }
        let decoded = everything(&bytes);
        prop_assert!(decoded.len() <= 300);
        only_real_turns(&decoded);
    }

    #[test]
    fn cut_and_spliced_logs(cut in any::<usize>(), from in any::<usize>()) {
        let log = valid_log();
        let (cut, from) = (cut % log.len(), from % log.len());
        let mut bytes = log[..cut].to_vec();
        bytes.extend_from_slice(&log[from..]);
        only_real_turns(&everything(&bytes));
    }
}

#[test]
fn a_damaged_log_keeps_every_intact_session() {
    // Three sessions back to back; the second one's header is damaged.
    let mut logs = Vec::new();
    for number in 0..3u32 {
        let spec = SessionSpec {
            session: tabletalk_core::records::SessionId { number, nonce: 7 },
            inputs: vec![InputKind::Button; 2],
            ..SessionSpec::default()
        };
        logs.push(encode_session(&spec, &[(0, 0, 100), (1, 50, 300)], &[], 400).unwrap());
    }
    let mut bytes = Vec::new();
    let middle = logs[0].len() + 3;
    for log in &logs {
        bytes.extend_from_slice(log);
    }
    bytes[middle] ^= 0xFF;
    // The session's essentials stand in: nothing is lost but the damaged
    // frame (and the detection parameters and labels, which a note says).
    let log = decode(&bytes, "t").unwrap();
    assert_eq!(log.sessions.len(), 3);
    assert_eq!(log.frames_lost, 1);
    assert_eq!(log.orphan_records, 0);
    assert_eq!(log.sessions[1].turns.len(), 2);
    assert!(log.sessions[1]
        .notes
        .contains(&tabletalk::session::Note::HeaderLost));
    // Destroy the essentials too (after the batch that follows the
    // header, and those before the short session's copy): that session's
    // records cannot be used.
    let second = logs[0].len()..logs[0].len() + logs[1].len();
    let mut essentials = 0;
    let mut at = second.start + 1;
    while at < second.end {
        let len = bytes[at..].iter().position(|&b| b == 0).unwrap();
        // COBS code, version 1, record 6 (essentials)
        if bytes[at + 1] == 1 && bytes[at + 2] == 6 {
            bytes[at + 3] ^= 0xFF;
            essentials += 1;
        }
        at += len + 1;
    }
    assert!(essentials >= 2, "{essentials}");
    let log = decode(&bytes, "t").unwrap();
    assert_eq!(log.sessions.len(), 2);
    assert_eq!(log.frames_lost, 1 + essentials);
    assert!(log.orphan_records > 0);
    assert!(log.warning().unwrap().contains("header was lost"));
}
