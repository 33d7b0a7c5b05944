//! RTTM and UEM: the plain-text formats of speaker diarization, so that any
//! annotated corpus or diarization output can be analysed like a device log.
//!
//! * RTTM ("Rich Transcription Time Marked"): one segment per line,
//!   `SPEAKER <recording> <channel> <start s> <duration s> <NA> <NA> <speaker> <NA> <NA>`.
//!   Only `SPEAKER` lines carry turns; other line types (`SPKR-INFO`,
//!   `LEXEME`, …), blank lines and `;;` / `#` comments are skipped.
//! * UEM ("Un-partitioned Evaluation Map"): the scored extent of each
//!   recording, `<recording> <channel> <start s> <end s>`, possibly several
//!   lines (stretches) per recording.
//!
//! Times are parsed **exactly** from their decimal text into integer
//! microseconds (no floating point), so that a segment `34.27 10.12` is
//! 34 270 000 µs long 10 120 000 µs and conversions to any tick are
//! reproducible. Digits beyond the sixth decimal are rounded half up.
//!
//! ```
//! use tabletalk_eval::rttm;
//! let text = "SPEAKER ES2011a 1 34.27 10.12 <NA> <NA> FEE041 <NA> <NA>\n";
//! let segments = rttm::parse_rttm(text).unwrap();
//! assert_eq!(segments[0].speaker, "FEE041");
//! assert_eq!(segments[0].start_us, 34_270_000);
//! assert_eq!(segments[0].end_us(), 44_390_000);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

/// One `SPEAKER` line of an RTTM file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The recording (file) the segment belongs to.
    pub recording: String,
    /// The channel field, usually `1`.
    pub channel: String,
    /// Where the segment begins, in microseconds from the recording's start.
    pub start_us: u64,
    /// How long it lasts, in microseconds.
    pub duration_us: u64,
    /// Who speaks.
    pub speaker: String,
}

impl Segment {
    /// Where the segment ends (µs), saturating.
    pub fn end_us(&self) -> u64 {
        self.start_us.saturating_add(self.duration_us)
    }
}

/// One line of a UEM file: a scored stretch of a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UemSegment {
    /// The recording.
    pub recording: String,
    /// The channel field.
    pub channel: String,
    /// Start of the scored stretch (µs).
    pub start_us: u64,
    /// End of the scored stretch (µs); never before `start_us`.
    pub end_us: u64,
}

/// Why a line could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The line has fewer fields than the format requires.
    TooFewFields {
        /// How many the format needs.
        needed: usize,
        /// How many the line has.
        found: usize,
    },
    /// A time field is not a non-negative decimal number of seconds.
    BadTime(String),
    /// A UEM line ends before it starts.
    EndBeforeStart,
    /// The file is not text (not UTF-8).
    NotText,
}

/// A line of an RTTM or UEM file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            ParseErrorKind::TooFewFields { needed, found } => {
                write!(f, "{found} fields, expected at least {needed}")
            }
            ParseErrorKind::BadTime(text) => {
                write!(f, "`{text}` is not a time in seconds")
            }
            ParseErrorKind::EndBeforeStart => f.write_str("the stretch ends before it starts"),
            ParseErrorKind::NotText => f.write_str("not UTF-8 text"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Reads a non-negative decimal number of seconds (`12`, `12.5`, `.25`,
/// `1.5e2`) as whole microseconds, exactly for up to six decimals and
/// rounded half up beyond. `None` for anything else, negative numbers and
/// values beyond `u64` microseconds.
///
/// ```
/// use tabletalk_eval::rttm::parse_seconds_us;
/// assert_eq!(parse_seconds_us("34.27"), Some(34_270_000));
/// assert_eq!(parse_seconds_us("0.0000005"), Some(1));
/// assert_eq!(parse_seconds_us("-1"), None);
/// assert_eq!(parse_seconds_us("<NA>"), None);
/// ```
pub fn parse_seconds_us(text: &str) -> Option<u64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.contains(['e', 'E']) {
        return parse_scientific_us(text);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole_s: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut micros: u64 = 0;
    let mut digits = fraction.bytes();
    for _ in 0..6 {
        let digit = digits.next().map_or(0, |b| u64::from(b - b'0'));
        micros = micros * 10 + digit;
    }
    let round_up = digits.next().is_some_and(|b| b >= b'5');
    whole_s
        .checked_mul(1_000_000)?
        .checked_add(micros)?
        .checked_add(u64::from(round_up))
}

/// Scientific notation is rare in RTTM; it is read through `f64` and
/// rounded to the nearest microsecond.
fn parse_scientific_us(text: &str) -> Option<u64> {
    let seconds: f64 = text.parse().ok()?;
    let micros = (seconds * 1e6).round();
    (micros.is_finite() && (0.0..1.8e19).contains(&micros)).then_some(micros as u64)
}

fn fields(line: &str) -> Option<Vec<&str>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with(";;") || line.starts_with('#') {
        return None;
    }
    Some(line.split_whitespace().collect())
}

/// Parses the `SPEAKER` lines of an RTTM text, in file order.
///
/// # Errors
/// The first line that is a `SPEAKER` line but cannot be read.
pub fn parse_rttm(text: &str) -> Result<Vec<Segment>, ParseError> {
    let mut segments = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(fields) = fields(line) else { continue };
        if fields.first() != Some(&"SPEAKER") {
            continue;
        }
        let error = |kind| ParseError {
            line: number + 1,
            kind,
        };
        let [_, recording, channel, start, duration, _, _, speaker, ..] = fields[..] else {
            return Err(error(ParseErrorKind::TooFewFields {
                needed: 8,
                found: fields.len(),
            }));
        };
        let time = |text: &str| {
            parse_seconds_us(text).ok_or_else(|| error(ParseErrorKind::BadTime(text.to_owned())))
        };
        segments.push(Segment {
            recording: recording.to_owned(),
            channel: channel.to_owned(),
            start_us: time(start)?,
            duration_us: time(duration)?,
            speaker: speaker.to_owned(),
        });
    }
    Ok(segments)
}

/// Parses a UEM text, in file order.
///
/// # Errors
/// The first line that cannot be read.
pub fn parse_uem(text: &str) -> Result<Vec<UemSegment>, ParseError> {
    let mut stretches = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(fields) = fields(line) else { continue };
        let error = |kind| ParseError {
            line: number + 1,
            kind,
        };
        let [recording, channel, start, end, ..] = fields[..] else {
            return Err(error(ParseErrorKind::TooFewFields {
                needed: 4,
                found: fields.len(),
            }));
        };
        let time = |text: &str| {
            parse_seconds_us(text).ok_or_else(|| error(ParseErrorKind::BadTime(text.to_owned())))
        };
        let (start_us, end_us) = (time(start)?, time(end)?);
        if end_us < start_us {
            return Err(error(ParseErrorKind::EndBeforeStart));
        }
        stretches.push(UemSegment {
            recording: recording.to_owned(),
            channel: channel.to_owned(),
            start_us,
            end_us,
        });
    }
    Ok(stretches)
}

/// The segments of one recording, grouped by speaker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    /// The recording's name (the RTTM's second field).
    pub name: String,
    /// Its speakers in sorted (byte-wise) order; a speaker's position here is
    /// its seat index when imported.
    pub speakers: Vec<String>,
    /// `(speaker index, start µs, end µs)` in file order; a speaker's own
    /// segments may touch or overlap.
    pub segments: Vec<(usize, u64, u64)>,
    /// The scored stretches from the UEM, sorted and merged; empty when no
    /// UEM line names this recording.
    pub scored: Vec<(u64, u64)>,
}

impl Recording {
    /// Speaker `speaker`'s segments `(start µs, end µs)` as written, in
    /// file order.
    pub fn segments_of(&self, speaker: usize) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.segments
            .iter()
            .filter(move |seg| seg.0 == speaker)
            .map(|&(_, start, end)| (start, end))
    }

    /// The whole extent of the recording: the UEM's first start to its last
    /// end when known, else 0 to the end of the last segment.
    pub fn extent_us(&self) -> (u64, u64) {
        match (self.scored.first(), self.scored.last()) {
            (Some(first), Some(last)) => (first.0, last.1),
            _ => (
                0,
                self.segments.iter().map(|s| s.2).max().unwrap_or_default(),
            ),
        }
    }
}

/// Groups RTTM segments (and the UEM stretches, if any) by recording, in
/// sorted recording order. Recordings named only in the UEM are left out:
/// without a single segment there is no speaker to give a seat to.
pub fn group_recordings(segments: &[Segment], uem: &[UemSegment]) -> Vec<Recording> {
    let mut by_name: BTreeMap<&str, Vec<&Segment>> = BTreeMap::new();
    for segment in segments {
        by_name.entry(&segment.recording).or_default().push(segment);
    }
    by_name
        .into_iter()
        .map(|(name, segments)| {
            let mut speakers: Vec<String> = segments.iter().map(|s| s.speaker.clone()).collect();
            speakers.sort();
            speakers.dedup();
            let segments = segments
                .iter()
                .map(|s| {
                    let index = speakers.binary_search(&s.speaker).unwrap_or_default();
                    (index, s.start_us, s.end_us())
                })
                .collect();
            let mut scored: Vec<(u64, u64)> = uem
                .iter()
                .filter(|u| u.recording == name)
                .map(|u| (u.start_us, u.end_us))
                .collect();
            scored.sort_unstable();
            Recording {
                name: name.to_owned(),
                speakers,
                segments,
                scored: merge_intervals(scored),
            }
        })
        .collect()
}

/// A recording's speech in whole ticks, ready to become a log or a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickedRecording {
    /// The tick length (ms).
    pub tick_ms: u32,
    /// Each speaker's turns as `(start tick, end tick)`: the union of its
    /// segments, clipped to the scored stretches, sorted, disjoint and not
    /// touching.
    pub turns: Vec<Vec<(u64, u64)>>,
    /// The extent in ticks.
    pub extent: (u64, u64),
    /// Unscored gaps between scored stretches, in ticks (become pauses).
    pub gaps: Vec<(u64, u64)>,
    /// Segments dropped or shortened because they lie outside the scored
    /// stretches.
    pub clipped_segments: usize,
}

/// Microseconds to the nearest tick (halves round up).
pub fn us_to_tick(us: u64, tick_ms: u32) -> u64 {
    let tick_us = u64::from(tick_ms.max(1)) * 1000;
    us / tick_us + u64::from(us % tick_us >= tick_us.div_ceil(2))
}

impl Recording {
    /// The recording at a tick of `tick_ms` (at least 1): each endpoint is
    /// rounded to the nearest tick, segments are clipped to the scored
    /// stretches (when a UEM gave them), and each speaker's segments are
    /// merged into their union.
    pub fn ticked(&self, tick_ms: u32) -> TickedRecording {
        let tick_ms = tick_ms.max(1);
        let to_tick = |us| us_to_tick(us, tick_ms);
        let scored: Vec<(u64, u64)> = self
            .scored
            .iter()
            .map(|&(a, b)| (to_tick(a), to_tick(b)))
            .collect();
        let mut per_speaker: Vec<Vec<(u64, u64)>> = vec![Vec::new(); self.speakers.len()];
        let mut clipped_segments = 0;
        for &(speaker, start, end) in &self.segments {
            let (start, end) = (to_tick(start), to_tick(end));
            let Some(list) = per_speaker.get_mut(speaker) else {
                continue;
            };
            if scored.is_empty() {
                if start < end {
                    list.push((start, end));
                }
                continue;
            }
            let mut kept = 0;
            for &(a, b) in &scored {
                let (s, e) = (start.max(a), end.min(b));
                if s < e {
                    list.push((s, e));
                    kept += e - s;
                }
            }
            if kept < end.saturating_sub(start) {
                clipped_segments += 1;
            }
        }
        let turns: Vec<Vec<(u64, u64)>> = per_speaker
            .into_iter()
            .map(|mut list| {
                list.sort_unstable();
                merge_intervals(list)
            })
            .collect();
        let extent = match (scored.first(), scored.last()) {
            (Some(first), Some(last)) => (first.0, last.1),
            _ => (
                0,
                turns
                    .iter()
                    .filter_map(|t| t.last())
                    .map(|t| t.1)
                    .max()
                    .unwrap_or(0),
            ),
        };
        let gaps = scored
            .windows(2)
            .map(|w| (w[0].1, w[1].0))
            .filter(|(a, b)| a < b)
            .collect();
        TickedRecording {
            tick_ms,
            turns,
            extent,
            gaps,
            clipped_segments,
        }
    }
}

/// Merges sorted `(start, end)` intervals that overlap or touch.
pub fn merge_intervals(sorted: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Formats microseconds as seconds with exactly as many decimals as needed
/// (at most six): `34270000` → `34.27`.
pub fn format_seconds(us: u64) -> String {
    let (whole, fraction) = (us / 1_000_000, us % 1_000_000);
    if fraction == 0 {
        return format!("{whole}.000");
    }
    let digits = format!("{fraction:06}");
    let trimmed = digits.trim_end_matches('0');
    let width = trimmed.len().max(3);
    format!("{whole}.{}", &digits[..width])
}

/// Writes one RTTM `SPEAKER` line.
///
/// ```
/// let mut out = Vec::new();
/// tabletalk_eval::rttm::write_segment(&mut out, "ES2011a", "FEE041", 34_270_000, 10_120_000).unwrap();
/// assert_eq!(out, b"SPEAKER ES2011a 1 34.270 10.120 <NA> <NA> FEE041 <NA> <NA>\n");
/// ```
///
/// # Errors
/// Whatever writing to `out` fails with.
pub fn write_segment(
    out: &mut impl Write,
    recording: &str,
    speaker: &str,
    start_us: u64,
    duration_us: u64,
) -> io::Result<()> {
    writeln!(
        out,
        "SPEAKER {recording} 1 {} {} <NA> <NA> {speaker} <NA> <NA>",
        format_seconds(start_us),
        format_seconds(duration_us)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_parsed_exactly() {
        assert_eq!(parse_seconds_us("0"), Some(0));
        assert_eq!(parse_seconds_us("1."), Some(1_000_000));
        assert_eq!(parse_seconds_us(".5"), Some(500_000));
        assert_eq!(parse_seconds_us("6.640000"), Some(6_640_000));
        assert_eq!(parse_seconds_us("1113.845375"), Some(1_113_845_375));
        assert_eq!(parse_seconds_us("0.1234565"), Some(123_457));
        assert_eq!(parse_seconds_us("0.1234564"), Some(123_456));
        assert_eq!(parse_seconds_us("1.5e2"), Some(150_000_000));
        assert_eq!(parse_seconds_us("."), None);
        assert_eq!(parse_seconds_us(""), None);
        assert_eq!(parse_seconds_us("1.2.3"), None);
        assert_eq!(parse_seconds_us("99999999999999999999"), None);
        assert_eq!(parse_seconds_us("-1e3"), None);
        assert_eq!(parse_seconds_us("NaN"), None);
    }

    #[test]
    fn rttm_lines_are_read_and_others_skipped() {
        let text = ";; comment\n\nSPKR-INFO x 1 <NA> <NA> <NA> unknown A <NA>\n\
                    SPEAKER rec 1 1.5 2 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER rec 1 0 1 <NA> <NA> A <NA> <NA>\n";
        let segments = parse_rttm(text).unwrap();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].start_us, 1_500_000);
        assert_eq!(segments[0].end_us(), 3_500_000);
        let recordings = group_recordings(&segments, &[]);
        assert_eq!(recordings.len(), 1);
        assert_eq!(recordings[0].speakers, ["A", "B"]);
        assert_eq!(
            recordings[0].segments,
            [(1, 1_500_000, 3_500_000), (0, 0, 1_000_000)]
        );
        assert_eq!(recordings[0].extent_us(), (0, 3_500_000));
    }

    #[test]
    fn bad_lines_name_their_number() {
        let error = parse_rttm("SPEAKER rec 1 x 2 <NA> <NA> B\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert_eq!(error.to_string(), "line 1: `x` is not a time in seconds");
        let error = parse_rttm("\nSPEAKER rec 1 1\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(matches!(error.kind, ParseErrorKind::TooFewFields { .. }));
        let error = parse_uem("rec 1 5 4\n").unwrap_err();
        assert_eq!(error.kind, ParseErrorKind::EndBeforeStart);
    }

    #[test]
    fn uem_stretches_give_the_extent() {
        let uem = parse_uem("r 1 0.000 21.202\nr 1 21.831 22.247\nr 1 23.213 824.915\n").unwrap();
        let segments = parse_rttm("SPEAKER r 1 6.31 2.9 <NA> <NA> X <NA> <NA>").unwrap();
        let recordings = group_recordings(&segments, &uem);
        assert_eq!(recordings[0].scored.len(), 3);
        assert_eq!(recordings[0].extent_us(), (0, 824_915_000));
    }

    #[test]
    fn ticking_rounds_clips_and_merges() {
        assert_eq!(us_to_tick(1_499, 1), 1);
        assert_eq!(us_to_tick(1_500, 1), 2);
        assert_eq!(us_to_tick(14_999, 10), 1);
        assert_eq!(us_to_tick(15_000, 10), 2);
        let text = "SPEAKER r 1 0.0 1.0 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER r 1 0.5 1.0 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER r 1 1.5 0.5 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER r 1 2.5 1.0 <NA> <NA> A <NA> <NA>\n\
                    SPEAKER r 1 9.0 2.0 <NA> <NA> A <NA> <NA>\n";
        let uem = parse_uem("r 1 0 3.0\nr 1 3.2 10.0\n").unwrap();
        let recording = &group_recordings(&parse_rttm(text).unwrap(), &uem)[0];
        let ticked = recording.ticked(1);
        // B: 0..1, 0.5..1.5, 1.5..2 → one turn 0..2000 (touching merged).
        assert_eq!(ticked.turns[1], [(0, 2000)]);
        // A: 2.5..3.5 loses the gap 3.0..3.2; 9..11 is clipped to 9..10.
        assert_eq!(ticked.turns[0], [(2500, 3000), (3200, 3500), (9000, 10000)]);
        assert_eq!(ticked.clipped_segments, 2);
        assert_eq!(ticked.extent, (0, 10000));
        assert_eq!(ticked.gaps, [(3000, 3200)]);
    }

    #[test]
    fn seconds_are_formatted_back() {
        assert_eq!(format_seconds(0), "0.000");
        assert_eq!(format_seconds(1_500_000), "1.500");
        assert_eq!(format_seconds(1_234_567), "1.234567");
        assert_eq!(format_seconds(10_000), "0.010");
        for us in [0, 1, 999, 1_000, 123_456_789, 34_270_000] {
            assert_eq!(parse_seconds_us(&format_seconds(us)), Some(us));
        }
    }
}
