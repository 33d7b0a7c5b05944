//! Small in-place damage to logs, seeded, and how much of a log survives
//! it: the measure behind the header's redundancy (docs/reliability.md).
//!
//! A [`Damage`] is what flash wear, a bad sector or a careless tool does
//! to a log in place: 1 to 8 bits flipped anywhere, or a run of 1 to 64
//! bytes set to `0x00` or `0xFF`. The log keeps its length; nothing is
//! inserted or removed. [`turns_kept`] says which share of the intact
//! log's turns a damaged copy still reports, exactly (a turn that moved,
//! or a session that merged with another, does not count).
//!
//! ```
//! use tabletalk::damage::{turns_kept, Damage, Rng};
//! use tabletalk::logs::{encode_session, SessionSpec};
//! use tabletalk_core::seat::InputKind;
//!
//! let spec = SessionSpec { inputs: vec![InputKind::Button; 2], ..SessionSpec::default() };
//! let turns: Vec<(u8, u64, u64)> = (0..200).map(|i| ((i % 2) as u8, i * 10, i * 10 + 5)).collect();
//! let log = encode_session(&spec, &turns, &[], 3_000).unwrap();
//! let mut rng = Rng::new(7);
//! let damage = Damage::draw(&mut rng, log.len());
//! let mut damaged = log.clone();
//! damage.apply(&mut damaged, &mut rng);
//! let kept = turns_kept(&log, &damaged);
//! assert!((0.0..=1.0).contains(&kept));
//! ```

use std::collections::HashSet;

use tabletalk_core::records::Record;

use crate::logs::decode;

/// A small, seedable generator (SplitMix64): the same seed draws the same
/// damage on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `range` (start inclusive, end exclusive; `start` if empty).
    pub fn below(&mut self, range: std::ops::Range<usize>) -> usize {
        let span = range.end.saturating_sub(range.start).max(1) as u64;
        range.start + (self.next_u64() % span) as usize
    }
}

/// One in-place damage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// `count` (1..=8) bits flipped at random places.
    BitFlips {
        /// Bits flipped.
        count: usize,
    },
    /// `len` (1..=64) bytes from `at` set to `0x00`.
    Zeroed {
        /// First byte.
        at: usize,
        /// Bytes.
        len: usize,
    },
    /// `len` (1..=64) bytes from `at` set to `0xFF` (erased flash).
    Erased {
        /// First byte.
        at: usize,
        /// Bytes.
        len: usize,
    },
}

impl Damage {
    /// Draws one damage for a log of `len` bytes: bit flips, zeros and
    /// 0xFF each a third of the time, sizes and places uniform.
    pub fn draw(rng: &mut Rng, len: usize) -> Damage {
        let run = |rng: &mut Rng| {
            let n = rng.below(1..65);
            (rng.below(0..len.saturating_sub(n) + 1), n)
        };
        match rng.below(0..3) {
            0 => Damage::BitFlips {
                count: rng.below(1..9),
            },
            1 => {
                let (at, len) = run(rng);
                Damage::Zeroed { at, len }
            }
            _ => {
                let (at, len) = run(rng);
                Damage::Erased { at, len }
            }
        }
    }

    /// Applies the damage to `log` in place (bit places drawn from `rng`).
    pub fn apply(&self, log: &mut [u8], rng: &mut Rng) {
        let fill = |log: &mut [u8], at: usize, len: usize, byte: u8| {
            let end = at.saturating_add(len).min(log.len());
            if let Some(run) = log.get_mut(at.min(end)..end) {
                run.fill(byte);
            }
        };
        match *self {
            Damage::BitFlips { count } => {
                for _ in 0..count {
                    let bit = rng.below(0..log.len() * 8);
                    if let Some(byte) = log.get_mut(bit / 8) {
                        *byte ^= 1 << (bit % 8);
                    }
                }
            }
            Damage::Zeroed { at, len } => fill(log, at, len, 0x00),
            Damage::Erased { at, len } => fill(log, at, len, 0xFF),
        }
    }
}

/// Every turn of a log as `(session source index, seat, start, end)`.
fn turns(log: &[u8]) -> HashSet<(usize, usize, u64, u64)> {
    let Ok(loaded) = decode(log, "log") else {
        return HashSet::new();
    };
    loaded
        .sessions
        .iter()
        .flat_map(|s| {
            s.turns
                .iter()
                .map(move |t| (s.index, t.seat, t.start_ms, t.end_ms))
        })
        .collect()
}

/// The share (0 to 1) of `intact`'s turns that `damaged` still reports
/// exactly; 1 for a log without turns.
pub fn turns_kept(intact: &[u8], damaged: &[u8]) -> f64 {
    share_kept(&turns(intact), damaged)
}

fn share_kept(want: &HashSet<(usize, usize, u64, u64)>, damaged: &[u8]) -> f64 {
    if want.is_empty() {
        return 1.0;
    }
    let got = turns(damaged);
    want.intersection(&got).count() as f64 / want.len() as f64
}

/// The `p`-quantile (0 to 1) of `values` (sorted in place), nearest rank.
pub fn quantile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values.get(rank - 1).copied().unwrap_or(f64::NAN)
}

/// Damages each log `per_log` times (seeded by `seed`) and returns the
/// share of turns kept for every damaged copy.
pub fn survey(logs: &[Vec<u8>], per_log: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut kept = Vec::with_capacity(logs.len() * per_log);
    for log in logs {
        let want = turns(log);
        for _ in 0..per_log {
            let damage = Damage::draw(&mut rng, log.len());
            let mut copy = log.clone();
            damage.apply(&mut copy, &mut rng);
            kept.push(share_kept(&want, &copy));
        }
    }
    kept
}

/// The logs `tabletalk import rttm` makes (10 ms tick) of every recording
/// in these RTTM files.
///
/// # Errors
/// A file that cannot be read or parsed.
pub fn logs_from_rttm(paths: &[std::path::PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    let mut logs = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let segments = tabletalk_eval::rttm::parse_rttm(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for (number, recording) in tabletalk_eval::rttm::group_recordings(&segments, &[])
            .iter()
            .enumerate()
        {
            let number = u32::try_from(number).unwrap_or(u32::MAX);
            logs.push(crate::commands::import::recording_log(
                recording, number, 10,
            )?);
        }
    }
    Ok(logs)
}

/// How writers of the format laid out a session's redundancy: the
/// baselines today's layout is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// As written today: the header once, its essentials after batches 0,
    /// 1, 32, 64, …, and a short session's batches again before its end.
    Copies,
    /// The header once and its essentials, no copies (before the short
    /// sessions' copies, early December 2026).
    Essentials,
    /// The header frame twice in a row, no essentials (December 2026).
    HeaderTwice,
    /// The header once, nothing else (the first version-1 writers).
    HeaderOnce,
}

/// `log` (as written today) laid out as `layout`: a short session's
/// copies and the essentials before them removed; for the older layouts
/// every essentials frame removed, and for [`Layout::HeaderTwice`] every
/// header frame repeated.
pub fn as_layout(log: &[u8], layout: Layout) -> Vec<u8> {
    if layout == Layout::Copies {
        return log.to_vec();
    }
    let mut out = Vec::with_capacity(log.len() + 256);
    let mut scratch = Vec::new();
    let frames: Vec<&[u8]> = log.split_inclusive(|&b| b == 0).collect();
    // What each frame holds: 'E' essentials, 'C' a batch read before (a
    // copy), a batch's sequence number, or another record.
    let mut seen = HashSet::new();
    let kinds: Vec<Kind> = frames
        .iter()
        .map(|frame| {
            let body = frame.strip_suffix(&[0]).unwrap_or(frame);
            scratch.resize(body.len(), 0);
            match tabletalk_core::log::decode_frame(body, &mut scratch) {
                Ok((_, Record::Essentials(_))) => Kind::Essentials,
                Ok((_, Record::Turns(b))) if !seen.insert((b.session(), b.seq())) => Kind::Copy,
                Ok((_, Record::Turns(b))) => Kind::Batch(b.seq()),
                _ => Kind::Other,
            }
        })
        .collect();
    // The essentials that keep the copies apart: the run before a copy,
    // but for the one due after the batch before it.
    let mut extra = vec![false; frames.len()];
    for (i, kind) in kinds.iter().enumerate() {
        if *kind != Kind::Copy || kinds.get(i.wrapping_sub(1)) == Some(&Kind::Copy) {
            continue;
        }
        let mut start = i;
        while start > 0 && kinds[start - 1] == Kind::Essentials {
            start -= 1;
        }
        if let Some(Kind::Batch(seq)) = start.checked_sub(1).map(|j| kinds[j]) {
            if seq < 2 || seq % tabletalk_core::log::ESSENTIALS_EVERY == 0 {
                start += 1;
            }
        }
        extra[start.min(i)..i].fill(true);
    }
    for (i, frame) in frames.iter().enumerate() {
        if kinds[i] == Kind::Copy || extra[i] {
            continue;
        }
        if layout == Layout::Essentials {
            out.extend_from_slice(frame);
            continue;
        }
        let body = frame.strip_suffix(&[0]).unwrap_or(frame);
        scratch.resize(body.len(), 0);
        match tabletalk_core::log::decode_frame(body, &mut scratch) {
            Ok((_, Record::Essentials(_))) => continue,
            Ok((_, Record::Header(_))) if layout == Layout::HeaderTwice => {
                out.extend_from_slice(frame);
            }
            _ => {}
        }
        out.extend_from_slice(frame);
    }
    out
}

/// What a frame of a log holds, for [`as_layout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Essentials,
    Copy,
    Batch(u32),
    Other,
}
