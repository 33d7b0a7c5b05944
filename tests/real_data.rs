//! Real meetings (AMI, VoxConverse, Santa Barbara) through `import rttm`
//! and the log, checked against an independent computation on a
//! millisecond grid: each speaker's speaking time must equal the union of
//! its segments, and overlap the time in which two or more speak. At a
//! 1 ms tick these match exactly.

use std::path::PathBuf;

use tabletalk::commands::import::recording_log;
use tabletalk::logs::decode;
use tabletalk::metrics::{analyse, Options};
use tabletalk_eval::rttm::{group_recordings, parse_rttm, parse_uem};

fn fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Seconds text → milliseconds, rounded half up on the microsecond digit
/// string (written independently of the tool's parser).
fn ms(text: &str) -> u64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(4)
        .collect();
    let sub: u64 = digits.parse().unwrap(); // tenths of microseconds ×10: 4 digits = 0.1 ms
    whole.parse::<u64>().unwrap() * 1000 + sub / 10 + u64::from(sub % 10 >= 5)
}

struct Expected {
    speakers: Vec<String>,
    speaking_ms: Vec<u64>,
    speech_ms: u64,
    overlap_ms: u64,
}

/// The grid: one cell per ms of the scored extent; each speaker marks the
/// cells its segments cover (so its own overlaps count once), then cells
/// are counted.
fn grid_truth(rttm: &str, uem: &str, recording: &str) -> Expected {
    let mut segments: Vec<(String, u64, u64)> = Vec::new();
    for line in rttm.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() == Some(&"SPEAKER") && f[1] == recording {
            let start_us_text = f[3];
            let start = ms(start_us_text);
            // end = start + duration, rounded as the tool does: on the sum.
            let end_text = add_decimal(f[3], f[4]);
            segments.push((f[7].to_owned(), start, ms(&end_text)));
        }
    }
    let scored: Vec<(u64, u64)> = uem
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.first() == Some(&recording))
        .map(|f| (ms(f[2]), ms(f[3])))
        .collect();
    let end = scored
        .iter()
        .map(|s| s.1)
        .max()
        .unwrap_or_else(|| segments.iter().map(|s| s.2).max().unwrap());
    let mut in_scope = vec![scored.is_empty(); end as usize];
    for &(a, b) in &scored {
        in_scope[a as usize..b as usize].fill(true);
    }
    let mut speakers: Vec<String> = segments.iter().map(|s| s.0.clone()).collect();
    speakers.sort();
    speakers.dedup();
    let mut count = vec![0u16; end as usize];
    let mut speaking_ms = Vec::new();
    for speaker in &speakers {
        let mut mine = vec![false; end as usize];
        for (_, a, b) in segments.iter().filter(|s| &s.0 == speaker) {
            let (a, b) = (*a as usize, (*b as usize).min(end as usize));
            if a < b {
                mine[a..b].fill(true);
            }
        }
        let mut total = 0;
        for (i, &on) in mine.iter().enumerate() {
            if on && in_scope[i] {
                total += 1;
                count[i] += 1;
            }
        }
        speaking_ms.push(total);
    }
    Expected {
        speakers,
        speaking_ms,
        speech_ms: count.iter().filter(|&&c| c >= 1).count() as u64,
        overlap_ms: count.iter().filter(|&&c| c >= 2).count() as u64,
    }
}

/// Adds two decimal strings exactly (the segment end), as text.
fn add_decimal(a: &str, b: &str) -> String {
    let scale = |t: &str| {
        let (w, f) = t.split_once('.').unwrap_or((t, ""));
        let f: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
        w.parse::<u128>().unwrap() * 1_000_000_000 + f.parse::<u128>().unwrap()
    };
    let sum = scale(a) + scale(b);
    format!("{}.{:09}", sum / 1_000_000_000, sum % 1_000_000_000)
}

fn check(rttm_path: &str, uem_path: Option<&str>) -> usize {
    let rttm = fixture(rttm_path);
    let uem = uem_path.map(fixture).unwrap_or_default();
    let recordings = group_recordings(&parse_rttm(&rttm).unwrap(), &parse_uem(&uem).unwrap());
    assert!(!recordings.is_empty());
    for (i, recording) in recordings.iter().enumerate() {
        let bytes = recording_log(recording, i as u32, 1).unwrap();
        let log = decode(&bytes, &recording.name).unwrap();
        assert_eq!(log.frames_lost, 0);
        assert_eq!(log.sessions.len(), 1);
        let session = &log.sessions[0];
        let figures = analyse(session, &Options::default(), None);
        let expected = grid_truth(&rttm, &uem, &recording.name);

        let labels: Vec<String> = session
            .seats
            .iter()
            .map(|s| s.label.clone().unwrap())
            .collect();
        assert_eq!(
            labels, expected.speakers,
            "{}: seats in sorted speaker order",
            recording.name
        );
        let speaking: Vec<u64> = figures.seats.iter().map(|s| s.speaking_ms).collect();
        assert_eq!(
            speaking, expected.speaking_ms,
            "{}: speaking time per speaker",
            recording.name
        );
        assert_eq!(
            figures.group.speech_ms, expected.speech_ms,
            "{}: speech",
            recording.name
        );
        assert_eq!(
            figures.group.overlap_ms, expected.overlap_ms,
            "{}: overlap",
            recording.name
        );

        // Consistency between figures that are computed separately.
        let total: u64 = speaking.iter().sum();
        let shares: f64 = figures.seats.iter().map(|s| s.share).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        assert!(
            total >= figures.group.speech_ms
                && total - figures.group.speech_ms >= figures.group.overlap_ms
        );
        let seat_overlap: u64 = figures.seats.iter().map(|s| s.overlap_ms).sum();
        assert!(seat_overlap >= 2 * figures.group.overlap_ms);
        let transitions: u32 = figures.group.transitions.iter().flatten().sum();
        assert_eq!(transitions, figures.group.floor_transitions);
        let floor_turns: u32 = figures.seats.iter().map(|s| s.floor_turns).sum();
        // Every tenure follows another but the openings: the first, and
        // the first after each pause of the recording (the floor is
        // forgotten there, as on the device).
        let last_start = session.turns.iter().map(|t| t.start_ms).max();
        let reopened = session
            .marked_pauses()
            .iter()
            .filter(|p| last_start.is_some_and(|s| s >= p.1))
            .count() as u32;
        assert_eq!(floor_turns, figures.group.floor_transitions + 1 + reopened);
        let made: u32 = figures.seats.iter().map(|s| s.interruptions_made).sum();
        let suffered: u32 = figures.seats.iter().map(|s| s.interruptions_suffered).sum();
        assert_eq!(made, suffered);
        let g = figures.group.gini.unwrap();
        let n = figures.seats.len() as f64;
        assert!((0.0..=(n - 1.0) / n + 1e-12).contains(&g));
        assert_eq!(figures.group.duration_ms, session.recorded_ms());
    }
    recordings.len()
}

#[test]
fn ami_meetings_match_the_grid() {
    assert_eq!(check("ami/ES2011a.rttm", Some("ami/ES2011a.uem")), 1);
    assert_eq!(check("ami/IB4001.rttm", Some("ami/IB4001.uem")), 1);
}

#[test]
fn voxconverse_recordings_match_the_grid_beyond_16_speakers() {
    assert_eq!(check("voxconverse/vmaiq.rttm", None), 1);
    assert_eq!(check("voxconverse/kbkon.rttm", None), 1);
}

#[test]
fn santa_barbara_conversations_match_the_grid_with_scored_stretches() {
    // SBC001's UEM has five stretches (four unscored gaps become pauses);
    // SBC021 has 113 speakers.
    assert_eq!(
        check(
            "sbcsae/SBC001_SBC021.rttm",
            Some("sbcsae/SBC001_SBC021.uem")
        ),
        2
    );
}

#[test]
fn ami_population_gini_is_in_the_published_range() {
    // The data's README: population Gini of speaking time over AMI dev+test
    // ranges 0.03–0.62.
    for name in ["ES2011a", "IB4001"] {
        let rttm = fixture(&format!("ami/{name}.rttm"));
        let uem = fixture(&format!("ami/{name}.uem"));
        let recording =
            &group_recordings(&parse_rttm(&rttm).unwrap(), &parse_uem(&uem).unwrap())[0];
        let session = tabletalk::annotation::session(&recording.ticked(1), recording);
        let figures = analyse(&session, &Options::default(), None);
        let gini = figures.group.gini.unwrap();
        assert!((0.03..=0.62).contains(&gini), "{name}: {gini}");
        let ratio = figures.group.overlap_ratio.unwrap();
        assert!(
            (0.04..=0.30).contains(&ratio),
            "{name}: overlap ratio {ratio}"
        );
    }
}
