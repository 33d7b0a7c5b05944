//! Real meeting timings to simulate: the AMI meetings in the shared data
//! folder (`ami/rttm/{train,dev}/*.rttm` with `ami/uem/…`), or any RTTM.
//!
//! The shared data folder is found, in order, from `--data`, the
//! `TABLETALK_DATA` environment variable, a `shared/data` folder beside the
//! current directory or one of its ancestors (`../shared/data` from the
//! repository root), or beside the repository this tool was built from.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::error::BadInput;
use crate::rttm;
use crate::score::Track;
use crate::spans::{self, Span};

/// Which part of AMI a meeting belongs to. Tuning uses `Train`; `Dev` is
/// held out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Split {
    /// The AMI diarization setup's training list.
    Train,
    /// Its development list (held out from tuning).
    Dev,
    /// Not from AMI's lists (a user's RTTM).
    Other,
}

impl Split {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Other => "other",
        }
    }
}

/// One meeting's real timings, seat per speaker in sorted label order, in
/// ms from the start of its scored extent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    /// Recording name (e.g. `ES2011a`).
    pub name: String,
    /// Where it comes from.
    pub split: Split,
    /// `(speaker label, unioned speech spans)`, one per seat.
    pub speakers: Vec<(String, Vec<Span>)>,
    /// Each speaker's segments as annotated (same order as `speakers`; a
    /// speaker's touching or overlapping segments kept apart): where the
    /// scorer puts its collars, as md-eval does.
    pub segments: Vec<Vec<Span>>,
    /// Length (ms): the UEM extent when known.
    pub duration_ms: u64,
}

impl Meeting {
    /// The first `minutes` of the meeting (all of it if shorter).
    pub fn truncated(&self, minutes: f64) -> Meeting {
        self.excerpt(0.0, minutes)
    }

    /// `minutes` of the meeting from minute `start`, shifted to start at 0
    /// (shorter where the meeting ends first).
    pub fn excerpt(&self, start: f64, minutes: f64) -> Meeting {
        let from = ((start * 60_000.0).max(0.0) as u64).min(self.duration_ms);
        let end = from
            .saturating_add((minutes * 60_000.0).max(0.0) as u64)
            .min(self.duration_ms);
        let cut = |s: &[Span]| -> Vec<Span> {
            spans::clip(s, from, end)
                .into_iter()
                .map(|(a, b)| (a - from, b - from))
                .collect()
        };
        Meeting {
            name: self.name.clone(),
            split: self.split,
            segments: self.segments.iter().map(|s| cut(s)).collect(),
            speakers: self
                .speakers
                .iter()
                .map(|(l, s)| (l.clone(), cut(s)))
                .collect(),
            duration_ms: end - from,
        }
    }

    /// The reference tracks to score against: each speaker's label, speech
    /// and segment boundaries (the collars of [`crate::score::score`]).
    pub fn reference_tracks(&self) -> Vec<Track> {
        self.speakers
            .iter()
            .enumerate()
            .map(|(i, (label, _))| {
                Track::new(
                    label.clone(),
                    self.segments.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Total speech of all speakers (ms).
    pub fn speech_ms(&self) -> u64 {
        self.speakers.iter().map(|(_, s)| spans::total(s)).sum()
    }
}

/// Meetings from RTTM text (and UEM text, if any), one per recording.
/// Times are rounded to whole ms and shifted so the extent starts at 0.
pub fn meetings_from_rttm(
    rttm_text: &str,
    uem_text: Option<&str>,
    split: Split,
) -> anyhow::Result<Vec<Meeting>> {
    let segments = rttm::parse_rttm(rttm_text).map_err(|e| BadInput::new(e.to_string()))?;
    let uem = match uem_text {
        Some(t) => rttm::parse_uem(t).map_err(|e| BadInput::new(e.to_string()))?,
        None => Vec::new(),
    };
    Ok(rttm::group_recordings(&segments, &uem)
        .into_iter()
        .map(|rec| {
            let (start_us, end_us) = rec.extent_us();
            let ms = |us: u64| (us.saturating_sub(start_us) + 500) / 1000;
            let segments: Vec<Vec<Span>> = (0..rec.speakers.len())
                .map(|i| {
                    rec.segments_of(i)
                        .map(|(start, end)| (ms(start), ms(end.min(end_us))))
                        .collect()
                })
                .collect();
            let speakers = rec
                .speakers
                .iter()
                .zip(&segments)
                .map(|(label, s)| (label.clone(), spans::union(s.clone())))
                .collect();
            Meeting {
                name: rec.name,
                split,
                speakers,
                segments,
                duration_ms: ms(end_us),
            }
        })
        .collect())
}

/// Finds the shared data folder (see the module docs).
pub fn find_data_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    let is_data = |p: &Path| p.join("ami").is_dir();
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    if let Some(p) = std::env::var_os("TABLETALK_DATA").map(PathBuf::from) {
        return Some(p);
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            for candidate in [
                dir.join("shared").join("data"),
                dir.join("..").join("shared").join("data"),
            ] {
                if is_data(&candidate) {
                    return Some(candidate);
                }
            }
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("shared")
        .join("data");
    is_data(&built_from).then_some(built_from)
}

/// Every AMI meeting under `data_dir/ami`, sorted by split then name.
pub fn load_ami(data_dir: &Path) -> anyhow::Result<Vec<Meeting>> {
    let mut meetings = Vec::new();
    for split in [Split::Train, Split::Dev] {
        let dir = data_dir.join("ami").join("rttm").join(split.name());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rttm"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let stem = file.file_stem().unwrap_or_default().to_string_lossy();
            let uem_path = data_dir
                .join("ami")
                .join("uem")
                .join(split.name())
                .join(format!("{stem}.uem"));
            let uem = std::fs::read_to_string(&uem_path).ok();
            meetings.extend(
                meetings_from_rttm(&text, uem.as_deref(), split)
                    .with_context(|| format!("{}", file.display()))?,
            );
        }
    }
    if meetings.is_empty() {
        bail!(BadInput::new(format!(
            "no AMI meetings under {} (expected ami/rttm/train/*.rttm)",
            data_dir.display()
        )));
    }
    Ok(meetings)
}

/// `count` meetings spread evenly over `meetings` (all if `count` is
/// larger), so that a small selection still covers the corpus's rooms.
pub fn spread<T: Clone>(meetings: &[T], count: usize) -> Vec<T> {
    if count >= meetings.len() {
        return meetings.to_vec();
    }
    (0..count)
        .filter_map(|k| meetings.get(k * meetings.len() / count))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rttm_to_meeting_in_ms_with_uem_extent() {
        let rttm = "SPEAKER m1 1 1.0 2.0 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER m1 1 2.5 1.0 <NA> <NA> B <NA> <NA>\n\
                    SPEAKER m1 1 0.0 1.5 <NA> <NA> A <NA> <NA>\n";
        let m =
            meetings_from_rttm(rttm, Some("m1 1 0.000 10.0\n"), Split::Other).unwrap_or_default();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].speakers[0], ("A".to_string(), vec![(0, 1500)]));
        assert_eq!(m[0].speakers[1], ("B".to_string(), vec![(1000, 3500)]));
        assert_eq!(m[0].duration_ms, 10_000);
        assert_eq!(m[0].speech_ms(), 4000);
        let t = m[0].truncated(2.0 / 60.0);
        assert_eq!(
            (t.duration_ms, t.speakers[1].1.clone()),
            (2000, vec![(1000, 2000)])
        );
    }

    #[test]
    fn spread_picks_evenly() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(spread(&v, 3), vec![0, 3, 6]);
        assert_eq!(spread(&v, 20).len(), 10);
    }
}
