//! Reading real Open Badges hub logs: per-member microphone amplitudes, one
//! byte every 50 ms, from badges worn in a meeting (JSON lines).
//!
//! Two layouts exist and both are read: version 1 (a metadata line, then one
//! object per audio chunk with `member`, `timestamp` (s), `timestamp_ms`,
//! `sampleDelay`, `samples`) and version 2 (typed lines; chunks are
//! `{"type":"audio received","data":{member, timestamp (s, fractional),
//! sample_period, samples}}`). Chunks are placed on one 50 ms grid starting
//! at the earliest chunk; a later chunk overwrites an earlier one where they
//! overlap; samples no chunk covers are filled with the member's median
//! (the quiet level), and counted.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use serde_json::Value;

use crate::sources::LevelTable;

/// The amplitude series of one hub log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeRecording {
    /// Member keys, sorted: one seat each.
    pub members: Vec<String>,
    /// Sample period (ms); 50 for every known badge.
    pub period_ms: u64,
    /// `levels[member][k]`: amplitude during `[k·period, (k+1)·period)`.
    pub levels: Vec<Vec<u8>>,
    /// How many samples per member no chunk covered (filled).
    pub filled: Vec<usize>,
}

struct Chunk {
    member: String,
    start_ms: u64,
    period_ms: u64,
    samples: Vec<u8>,
}

fn chunk_from(obj: &Value) -> Option<Chunk> {
    let samples = obj.get("samples")?.as_array()?;
    let member = obj.get("member")?.as_str()?.to_owned();
    let seconds = obj.get("timestamp")?.as_f64()?;
    let extra_ms = obj
        .get("timestamp_ms")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let period = obj
        .get("sampleDelay")
        .or_else(|| obj.get("sample_period"))
        .and_then(Value::as_u64)
        .unwrap_or(50);
    Some(Chunk {
        member,
        start_ms: (seconds * 1000.0 + extra_ms).round().max(0.0) as u64,
        period_ms: period.max(1),
        samples: samples
            .iter()
            .map(|v| v.as_u64().unwrap_or(0).min(255) as u8)
            .collect(),
    })
}

/// Parses a hub log's text.
pub fn parse(text: &str) -> anyhow::Result<BadgeRecording> {
    let mut chunks = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).with_context(|| format!("line {}: not JSON", n + 1))?;
        let obj = value
            .get("data")
            .filter(|d| d.get("samples").is_some())
            .unwrap_or(&value);
        if let Some(chunk) = chunk_from(obj) {
            chunks.push(chunk);
        }
    }
    if chunks.is_empty() {
        bail!("no audio chunks (objects with member, timestamp and samples)");
    }
    let period_ms = chunks[0].period_ms;
    if chunks.iter().any(|c| c.period_ms != period_ms) {
        bail!("audio chunks with different sample periods are not supported");
    }
    let t0 = chunks.iter().map(|c| c.start_ms).min().unwrap_or(0);
    let mut by_member: BTreeMap<String, Vec<Option<u8>>> = BTreeMap::new();
    for c in &chunks {
        let series = by_member.entry(c.member.clone()).or_default();
        let first = ((c.start_ms - t0) as f64 / period_ms as f64).round() as usize;
        if series.len() < first + c.samples.len() {
            series.resize(first + c.samples.len(), None);
        }
        for (k, &s) in c.samples.iter().enumerate() {
            series[first + k] = Some(s);
        }
    }
    let len = by_member.values().map(Vec::len).max().unwrap_or(0);
    let mut members = Vec::new();
    let mut levels = Vec::new();
    let mut filled = Vec::new();
    for (member, mut series) in by_member {
        series.resize(len, None);
        let mut known: Vec<u8> = series.iter().flatten().copied().collect();
        known.sort_unstable();
        let quiet = known.get(known.len() / 2).copied().unwrap_or(0);
        filled.push(series.iter().filter(|s| s.is_none()).count());
        levels.push(series.into_iter().map(|s| s.unwrap_or(quiet)).collect());
        members.push(member);
    }
    Ok(BadgeRecording {
        members,
        period_ms,
        levels,
        filled,
    })
}

/// The recording as a level table (one column per member, in badge units)
/// and its rows per second, for [`LevelSource`](crate::sources::LevelSource):
/// the core then sees, at each member's seat, ADC samples whose mean
/// absolute deviation is the badge's amplitude (times the level scale).
pub fn as_levels(recording: &BadgeRecording) -> (LevelTable, f64) {
    let len = recording.levels.iter().map(Vec::len).max().unwrap_or(0);
    let rows = (0..len)
        .map(|k| {
            recording
                .levels
                .iter()
                .map(|series| f64::from(series.get(k).copied().unwrap_or(0)))
                .collect()
        })
        .collect();
    (
        LevelTable {
            labels: Some(recording.members.clone()),
            rows,
        },
        1000.0 / recording.period_ms.max(1) as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_on_one_grid() {
        let v1 = r#"{"uuid":"X","members":["A","B"]}
{"timestamp":100,"timestamp_ms":0,"sampleDelay":50,"samples":[1,2,3],"member":"B"}
{"timestamp":100,"timestamp_ms":100,"sampleDelay":50,"samples":[7,8],"member":"A"}"#;
        let r = parse(v1).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(r.members, ["A", "B"]);
        assert_eq!(r.levels[1], [1, 2, 3, 2]); // the gap gets the median
        assert_eq!(r.levels[0], [8, 8, 7, 8]);
        assert_eq!(r.filled, [2, 1]);
        let v2 = r#"{"type":"meeting started","data":{}}
{"type":"audio received","data":{"timestamp":10.05,"sample_period":50,"samples":[4,5],"member":"Z"}}"#;
        let r = parse(v2).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((r.members.len(), r.levels[0].len()), (1, 2));
        assert!(parse("{}").is_err());
        assert!(parse("not json").is_err());
    }
}
