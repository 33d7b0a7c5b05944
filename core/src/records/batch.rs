//! Turn batches: whole turns, Rice-coded, a few dozen per record.
//!
//! A batch is self-contained: it names its session, its sequence number and
//! the absolute end time of its first turn, so it decodes even when every
//! frame before it is lost. Inside, turns are ordered by end time and each
//! one costs:
//!
//! * the seat, in `ceil(log2(seat count))` bits (fixed per batch);
//! * if any turn of the batch did not end naturally: 1 bit (`0` natural) or
//!   2 bits (`10` cut, `11` session ended);
//! * except for the first turn: the gap from the previous turn's end, Rice
//!   coded with parameter `k_gap`;
//! * the duration, Rice coded with parameter `k_dur`.
//!
//! `k_gap` and `k_dur` are chosen per batch to minimise its size. The bit
//! stream opens with a 17-bit preamble: seat bits (4), `k_gap` (6), `k_dur`
//! (6), "some turn did not end naturally" (1); it is padded with zero bits to
//! a whole byte. See `docs/log-format.md` for the byte-level layout.

use serde::ser::SerializeTuple;
use serde::{Deserialize, Serialize, Serializer};

use crate::records::bits::{best_rice_k, BitReader, BitWriter};
use crate::records::{Error, SessionId, Tick};
use crate::turns::TurnEnd;

/// The most turns one batch can hold.
pub const MAX_BATCH_TURNS: usize = 64;

/// One turn as the log stores it: session-relative ticks, seat as a plain
/// index (a log may describe up to 255 seats; a device has at most 16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LoggedTurn {
    /// Seat index, below the session's seat count.
    pub seat: u8,
    /// First tick of the turn.
    pub start: Tick,
    /// Tick at which the turn ended; never before `start`.
    pub end: Tick,
    /// Why the turn ended.
    pub how: TurnEnd,
}

impl LoggedTurn {
    /// Length of the turn in ticks.
    pub const fn duration(&self) -> Tick {
        self.end.saturating_sub(self.start)
    }

    /// The order turns have inside a batch: by end, then seat, start, reason.
    pub(crate) fn batch_order(&self) -> (Tick, u8, Tick, u8) {
        (self.end, self.seat, self.start, how_rank(self.how))
    }
}

fn how_rank(how: TurnEnd) -> u8 {
    match how {
        TurnEnd::Natural => 0,
        TurnEnd::Cut => 1,
        TurnEnd::SessionEnded => 2,
    }
}

/// Bits that seat indices below `seat_count` need.
pub const fn seat_bits(seat_count: u8) -> u8 {
    if seat_count <= 1 {
        0
    } else {
        (u8::BITS - (seat_count - 1).leading_zeros()) as u8
    }
}

/// A batch's coding choices, from the preamble of its bit stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Coding {
    seat_bits: u8,
    k_gap: u8,
    k_dur: u8,
    has_how: bool,
}

const PREAMBLE_BITS: u64 = 4 + 6 + 6 + 1;

impl Coding {
    fn read(r: &mut BitReader<'_>) -> Result<Self, Error> {
        let seat_bits = r.bits(4).ok_or(Error::BadBitstream)? as u8;
        let k_gap = r.bits(6).ok_or(Error::BadBitstream)? as u8;
        let k_dur = r.bits(6).ok_or(Error::BadBitstream)? as u8;
        let has_how = r.bit().ok_or(Error::BadBitstream)?;
        if seat_bits > 8 {
            return Err(Error::BadBitstream);
        }
        Ok(Coding {
            seat_bits,
            k_gap,
            k_dur,
            has_how,
        })
    }
}

/// A decoded, validated turn batch: a view over the record's bytes.
///
/// Parsing checks the whole bit stream once, so [`TurnBatch::turns`] yields
/// plain [`LoggedTurn`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnBatch<'a> {
    session: SessionId,
    seq: u32,
    first_end: Tick,
    count: u8,
    coding: Coding,
    bits: &'a [u8],
}

impl<'a> TurnBatch<'a> {
    /// The session the turns belong to.
    pub const fn session(&self) -> SessionId {
        self.session
    }

    /// The batch's sequence number within its session (0, 1, 2, …); a gap
    /// means batches were lost.
    pub const fn seq(&self) -> u32 {
        self.seq
    }

    /// Number of turns (at least 1).
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Always false: an empty batch is never written nor accepted.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bits per seat index in this batch; seats below `2^seat_bits` fit.
    pub const fn seat_bits(&self) -> u8 {
        self.coding.seat_bits
    }

    /// The turns, ordered by end time.
    pub fn turns(&self) -> BatchTurns<'a> {
        let mut reader = BitReader::new(self.bits);
        // Parsing already read this preamble successfully.
        let _ = Coding::read(&mut reader);
        BatchTurns {
            reader,
            coding: self.coding,
            remaining: self.count,
            prev_end: self.first_end,
            first: true,
        }
    }

    pub(crate) fn parse(raw: RawBatch<'a>) -> Result<Self, Error> {
        if raw.count == 0 || usize::from(raw.count) > MAX_BATCH_TURNS {
            return Err(Error::BatchSize);
        }
        let mut reader = BitReader::new(raw.bits);
        let coding = Coding::read(&mut reader)?;
        let batch = TurnBatch {
            session: raw.session,
            seq: raw.seq,
            first_end: raw.first_end,
            count: raw.count,
            coding,
            bits: raw.bits,
        };
        // Walk the stream once: every turn must decode and nothing but
        // padding may follow.
        let mut turns = BatchTurns {
            reader,
            coding,
            remaining: raw.count,
            prev_end: raw.first_end,
            first: true,
        };
        while turns.decode_next()?.is_some() {}
        if !turns.reader.at_padding() {
            return Err(Error::BadBitstream);
        }
        Ok(batch)
    }
}

impl Serialize for TurnBatch<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(5)?;
        t.serialize_element(&self.session)?;
        t.serialize_element(&self.seq)?;
        t.serialize_element(&self.first_end)?;
        t.serialize_element(&self.count)?;
        t.serialize_element(&Bytes(self.bits))?;
        t.end()
    }
}

/// Serializes as a byte string (postcard: varint length, then the bytes).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A turn batch as it comes off the wire, before validation.
#[derive(Deserialize)]
pub(crate) struct RawBatch<'a> {
    session: SessionId,
    seq: u32,
    first_end: u64,
    count: u8,
    #[serde(borrow)]
    bits: &'a [u8],
}

/// The turns of a [`TurnBatch`], ordered by end time.
#[derive(Clone, Debug)]
pub struct BatchTurns<'a> {
    reader: BitReader<'a>,
    coding: Coding,
    remaining: u8,
    prev_end: Tick,
    first: bool,
}

impl BatchTurns<'_> {
    fn decode_next(&mut self) -> Result<Option<LoggedTurn>, Error> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let r = &mut self.reader;
        let bad = Error::BadBitstream;
        let seat = r.bits(u32::from(self.coding.seat_bits)).ok_or(bad)? as u8;
        let how = if self.coding.has_how && r.bit().ok_or(bad)? {
            if r.bit().ok_or(bad)? {
                TurnEnd::SessionEnded
            } else {
                TurnEnd::Cut
            }
        } else {
            TurnEnd::Natural
        };
        let end = if self.first {
            self.prev_end
        } else {
            let gap = r.rice(u32::from(self.coding.k_gap)).ok_or(bad)?;
            self.prev_end.checked_add(gap).ok_or(Error::TimeOverflow)?
        };
        let duration = r.rice(u32::from(self.coding.k_dur)).ok_or(bad)?;
        let start = end
            .checked_sub(duration)
            .ok_or(Error::TurnEndsBeforeStart)?;
        self.first = false;
        self.prev_end = end;
        self.remaining -= 1;
        Ok(Some(LoggedTurn {
            seat,
            start,
            end,
            how,
        }))
    }
}

impl Iterator for BatchTurns<'_> {
    type Item = LoggedTurn;

    fn next(&mut self) -> Option<LoggedTurn> {
        // A parsed batch decodes without error; should it not, stop.
        self.decode_next().ok().flatten()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }
}

/// Encodes a batch straight from turns, without an intermediate buffer: it
/// serializes to exactly the bytes a [`TurnBatch`] with these turns would.
pub(crate) struct BatchEncoder<'t> {
    pub(crate) session: SessionId,
    pub(crate) seq: u32,
    /// Non-empty, at most [`MAX_BATCH_TURNS`], sorted by [`LoggedTurn::batch_order`],
    /// every seat below `2^seat_bits`.
    pub(crate) turns: &'t [LoggedTurn],
    pub(crate) seat_bits: u8,
}

impl BatchEncoder<'_> {
    fn gaps(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        self.turns.windows(2).map(|w| match w {
            [a, b] => b.end.saturating_sub(a.end),
            _ => 0,
        })
    }

    fn durations(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        self.turns.iter().map(LoggedTurn::duration)
    }

    fn coding(&self) -> (Coding, u64) {
        let (k_gap, gap_bits) = best_rice_k(self.gaps());
        let (k_dur, dur_bits) = best_rice_k(self.durations());
        let has_how = self.turns.iter().any(|t| t.how != TurnEnd::Natural);
        let n = self.turns.len() as u64;
        let how_bits = if has_how {
            self.turns
                .iter()
                .map(|t| if t.how == TurnEnd::Natural { 1 } else { 2 })
                .sum()
        } else {
            0
        };
        let bits = PREAMBLE_BITS
            .saturating_add(n.saturating_mul(u64::from(self.seat_bits)))
            .saturating_add(how_bits)
            .saturating_add(if n > 1 { gap_bits } else { 0 })
            .saturating_add(dur_bits);
        let coding = Coding {
            seat_bits: self.seat_bits,
            k_gap: k_gap as u8,
            k_dur: k_dur as u8,
            has_how,
        };
        (coding, bits)
    }
}

impl Serialize for BatchEncoder<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (coding, bits) = self.coding();
        let first_end = self.turns.first().map_or(0, |t| t.end);
        let blob_len = u32::try_from(bits.div_ceil(8))
            .map_err(|_| serde::ser::Error::custom("batch too large"))?;
        let mut t = s.serialize_tuple(6)?;
        t.serialize_element(&self.session)?;
        t.serialize_element(&self.seq)?;
        t.serialize_element(&first_end)?;
        t.serialize_element(&(self.turns.len() as u8))?;
        // A byte string's length prefix is a varint, as for a u32.
        t.serialize_element(&blob_len)?;
        let mut w = BitWriter::new(|byte: u8| t.serialize_element(&byte));
        w.bits(u64::from(coding.seat_bits), 4)?;
        w.bits(u64::from(coding.k_gap), 6)?;
        w.bits(u64::from(coding.k_dur), 6)?;
        w.bit(coding.has_how)?;
        let mut prev_end = first_end;
        for (i, turn) in self.turns.iter().enumerate() {
            w.bits(u64::from(turn.seat), u32::from(coding.seat_bits))?;
            if coding.has_how {
                match turn.how {
                    TurnEnd::Natural => w.bit(false)?,
                    TurnEnd::Cut => w.bits(0b10, 2)?,
                    TurnEnd::SessionEnded => w.bits(0b11, 2)?,
                }
            }
            if i > 0 {
                w.rice(turn.end.saturating_sub(prev_end), u32::from(coding.k_gap))?;
            }
            w.rice(turn.duration(), u32::from(coding.k_dur))?;
            prev_end = turn.end;
        }
        w.finish()?;
        t.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_bits_cover_every_seat_index() {
        let cases = [
            (1u8, 0u8),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (16, 4),
            (17, 5),
            (128, 7),
            (129, 8),
            (255, 8),
        ];
        for (count, bits) in cases {
            assert_eq!(seat_bits(count), bits, "{count} seats");
            assert!(u32::from(count - 1) < 1 << bits);
        }
        assert_eq!(seat_bits(0), 0);
    }

    #[test]
    fn turns_order_by_end_then_seat_then_start() {
        let t = |seat, start, end| LoggedTurn {
            seat,
            start,
            end,
            how: TurnEnd::Natural,
        };
        let mut turns = [t(2, 5, 9), t(1, 0, 9), t(1, 3, 9), t(0, 0, 10), t(3, 1, 2)];
        turns.sort_unstable_by_key(LoggedTurn::batch_order);
        assert_eq!(
            turns,
            [t(3, 1, 2), t(1, 0, 9), t(1, 3, 9), t(2, 5, 9), t(0, 0, 10)]
        );
    }
}
