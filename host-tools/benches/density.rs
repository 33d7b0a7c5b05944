//! Density of the log format on real meeting timings.
//!
//! Every AMI meeting annotation under `../shared/data/ami/rttm/*/` (relative
//! to the workspace root) is turned into the log a device would write:
//! per speaker the union of their segments, one seat per speaker (sorted by
//! name, labelled with it), a 10 ms tick, Start and Stop markers, turns
//! pushed in end order through the core's `LogWriter` with its default
//! flush policy (32 turns or 2 minutes, with the writer polled before each
//! turn as a device polls it every second). The figure is every byte of the
//! log — header, batches, markers, end record, COBS, CRC and delimiters —
//! divided by the number of turns.
//!
//! `cargo bench -p tabletalk --bench density` prints the figures; the last
//! line is `density: <bytes per turn> B/turn` (the CI step reads it). The
//! target is at most 4.0.

use std::path::{Path, PathBuf};

use tabletalk_core::log::{Item, LogReader, LogWriter, MAX_WRITE_LEN};
use tabletalk_core::records::{Header, LoggedTurn, Record, Seats, SessionId};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{MarkerKind, TurnEnd};
use tabletalk_eval::rttm;

const TICK_MS: u16 = 10;
const LIMIT: f64 = 4.0;

struct Meeting {
    name: String,
    turns: usize,
    bytes: usize,
    header_bytes: usize,
    essentials_bytes: usize,
    batches: usize,
}

fn rttm_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(sets) = std::fs::read_dir(root) else {
        return files;
    };
    for set in sets.flatten() {
        let Ok(entries) = std::fs::read_dir(set.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rttm") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Each speaker's segments, unioned, in ticks; speakers sorted by name.
fn speaker_turns(segments: &[rttm::Segment]) -> Vec<(String, Vec<(u64, u64)>)> {
    let mut by_speaker: std::collections::BTreeMap<&str, Vec<(u64, u64)>> = Default::default();
    for s in segments {
        by_speaker
            .entry(&s.speaker)
            .or_default()
            .push((s.start_us, s.end_us()));
    }
    by_speaker
        .into_iter()
        .map(|(name, mut spans)| {
            spans.sort_unstable();
            let ticks = rttm::merge_intervals(spans)
                .into_iter()
                .map(|(a, b)| {
                    (
                        rttm::us_to_tick(a, u32::from(TICK_MS)),
                        rttm::us_to_tick(b, u32::from(TICK_MS)),
                    )
                })
                .collect();
            (name.to_owned(), ticks)
        })
        .collect()
}

fn encode_meeting(index: u32, name: &str, segments: &[rttm::Segment]) -> Meeting {
    let speakers = speaker_turns(segments);
    let kinds = vec![InputKind::External; speakers.len()];
    let labels: Vec<&str> = speakers.iter().map(|(n, _)| n.as_str()).collect();
    let seats = Seats::new(&kinds)
        .and_then(|s| s.with_labels(&labels))
        .expect("AMI meetings have 1..=255 speakers with short names");
    let nonce = name
        .bytes()
        .fold(0u16, |h, b| h.rotate_left(5) ^ u16::from(b));
    let mut header = Header::new(
        SessionId {
            number: index,
            nonce,
        },
        0,
        seats,
    );
    header.tick_ms = TICK_MS;

    let mut turns: Vec<LoggedTurn> = speakers
        .iter()
        .enumerate()
        .flat_map(|(seat, (_, spans))| {
            spans.iter().map(move |&(start, end)| LoggedTurn {
                seat: seat as u8,
                start,
                end,
                how: TurnEnd::Natural,
            })
        })
        .collect();
    turns.sort_by_key(|t| (t.end, t.seat, t.start));
    let first = turns.iter().map(|t| t.start).min().unwrap_or(0);
    let last = turns.last().map_or(0, |t| t.end);

    let mut log = vec![0u8; MAX_WRITE_LEN + 64 * 1024];
    let (mut writer, mut len) = LogWriter::start(&header, &mut log).expect("header fits");
    let header_bytes = len;
    let write = |len: &mut usize, log: &mut Vec<u8>, f: &mut dyn FnMut(&mut [u8]) -> usize| {
        if log.len() < *len + MAX_WRITE_LEN {
            log.resize(*len + MAX_WRITE_LEN, 0);
        }
        *len += f(&mut log[*len..]);
    };
    write(&mut len, &mut log, &mut |out| {
        writer
            .push_marker(first, MarkerKind::Start, out)
            .expect("room")
    });
    for turn in &turns {
        write(&mut len, &mut log, &mut |out| {
            writer.poll(turn.end, out).expect("room")
        });
        write(&mut len, &mut log, &mut |out| {
            writer.push_turn(*turn, out).expect("valid turn")
        });
    }
    write(&mut len, &mut log, &mut |out| {
        writer
            .push_marker(last, MarkerKind::Stop, out)
            .expect("room")
    });
    write(&mut len, &mut log, &mut |out| {
        writer.finish(last, out).expect("room")
    });
    log.truncate(len);

    // The log must read back to exactly these turns.
    let mut scratch = vec![0u8; log.len()];
    let mut decoded: Vec<LoggedTurn> = Vec::new();
    let mut batches = 0;
    let mut essentials_bytes = 0;
    for item in LogReader::new(&log, &mut scratch).expect("scratch fits") {
        match item {
            Item::Record {
                record: Record::Essentials(_),
                range,
                ..
            } => essentials_bytes += range.len(),
            Item::Record {
                record: Record::Turns(batch),
                ..
            } => {
                batches += 1;
                decoded.extend(batch.turns());
            }
            Item::Record { .. } => {}
            Item::Damaged(d) => panic!("{name}: freshly written log damaged: {d:?}"),
        }
    }
    decoded.sort_by_key(|t| (t.end, t.seat, t.start));
    assert_eq!(decoded, turns, "{name}: turns did not round-trip");

    Meeting {
        name: name.to_owned(),
        turns: turns.len(),
        bytes: log.len(),
        header_bytes,
        essentials_bytes,
        batches,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The shared data folder: `TABLETALK_SHARED_DATA`, else next to the
    // repository (a worktree elsewhere names it).
    let data = std::env::var_os("TABLETALK_SHARED_DATA").map_or_else(
        || workspace.join("../shared/data"),
        std::path::PathBuf::from,
    );
    let root = data.join("ami/rttm");
    let files = rttm_files(&root);
    if files.is_empty() {
        println!(
            "density: skipped — no AMI annotations under {} (the shared data \
             folder next to the repository is not present)",
            root.display()
        );
        return;
    }

    let mut meetings = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("readable rttm");
        let segments = rttm::parse_rttm(&text).expect("valid rttm");
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        meetings.push(encode_meeting(index as u32, &name, &segments));
    }

    let turns: usize = meetings.iter().map(|m| m.turns).sum();
    let bytes: usize = meetings.iter().map(|m| m.bytes).sum();
    let headers: usize = meetings.iter().map(|m| m.header_bytes).sum();
    let batches: usize = meetings.iter().map(|m| m.batches).sum();
    let essentials: usize = meetings.iter().map(|m| m.essentials_bytes).sum();
    // The December 2026 layout: the header frame (without the leading
    // 0x00) twice, no essentials.
    let twice = bytes - essentials + headers - meetings.len();
    let mut per_meeting: Vec<(f64, &str)> = meetings
        .iter()
        .filter(|m| m.turns > 0)
        .map(|m| (m.bytes as f64 / m.turns as f64, m.name.as_str()))
        .collect();
    per_meeting.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = per_meeting
        .get(per_meeting.len() / 2)
        .copied()
        .unwrap_or((0.0, ""));
    let worst = per_meeting.last().copied().unwrap_or((0.0, ""));
    let figure = bytes as f64 / turns.max(1) as f64;

    println!(
        "AMI meetings: {}, turns (per-speaker union, {TICK_MS} ms tick): {turns}",
        meetings.len()
    );
    println!(
        "log bytes: {bytes} (headers {headers}, {batches} batches, {:.1} turns/batch)",
        turns as f64 / batches.max(1) as f64
    );
    println!(
        "per meeting: median {:.3} B/turn ({}), worst {:.3} B/turn ({})",
        median.0, median.1, worst.0, worst.1
    );
    println!(
        "essentials: {essentials} bytes ({:.3} B/turn); the header twice instead (Dec 2026): {:.3} B/turn",
        essentials as f64 / turns.max(1) as f64,
        twice as f64 / turns.max(1) as f64
    );
    println!("density: {figure:.3} B/turn (target <= {LIMIT})");
}
