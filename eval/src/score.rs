//! Scoring detected turns against a reference: missed speech, false alarm,
//! seat confusion (a diarization-error-style rate), and the error in each
//! seat's share of speaking time. Definitions: `docs/mic-evaluation.md`.
//!
//! Time is cut into elementary intervals at every boundary of every track.
//! In each scored interval of length `d`, with `N_ref` reference speakers
//! talking, `N_det` seats active and `N_ok` seats active whose mapped
//! reference speaker is talking:
//!
//! * missed = `d · max(0, N_ref − N_det)`
//! * false alarm = `d · max(0, N_det − N_ref)`
//! * confusion = `d · (min(N_ref, N_det) − N_ok)`
//!
//! and the error rate is their sum over the reference speaker time
//! `Σ d · N_ref`, exactly as NIST md-eval's DER (overlap scored).

use crate::assignment::maximum_weight_assignment;
use crate::spans::{self, Cursor, Span};

/// One speaker's or one seat's activity: a label and unioned spans (ms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    /// Speaker label (reference) or seat label (detection; may be empty).
    pub label: String,
    /// When active, `[start, end)` ms, sorted and merged.
    pub spans: Vec<Span>,
}

impl Track {
    /// A track from spans in any order (they are merged).
    pub fn new(label: impl Into<String>, spans: Vec<Span>) -> Self {
        Track {
            label: label.into(),
            spans: spans::union(spans),
        }
    }
}

/// How reference speakers are paired with seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mapping {
    /// By label when every reference speaker's label names a seat,
    /// otherwise optimal.
    #[default]
    Auto,
    /// By label only; speakers whose label names no seat stay unmapped.
    Label,
    /// The one-to-one pairing that maximises the time both agree on
    /// (Hungarian method), whatever the labels.
    Optimal,
}

/// Options of [`score`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ScoreOptions {
    /// Collar per side (ms): around every reference segment boundary, this
    /// much before *and* this much after is not scored (md-eval's `-c`).
    /// Does not apply to shares of speaking time.
    pub collar_ms: u64,
    /// The scored extent `[start, end)` (ms), e.g. from a UEM; by default
    /// from 0 to the last moment any track is active.
    pub region: Option<Span>,
    /// How speakers are paired with seats.
    pub mapping: Mapping,
}

/// Figures for one seat.
#[derive(Clone, Debug, PartialEq)]
pub struct SeatScore {
    /// Seat index.
    pub seat: usize,
    /// The seat's label.
    pub label: String,
    /// The reference speaker mapped to this seat, if any.
    pub reference: Option<String>,
    /// The mapped speaker's scored speech (ms).
    pub reference_ms: f64,
    /// Missed speech attributed to this seat (ms): its speaker talked, no
    /// seat took the time.
    pub missed_ms: f64,
    /// False alarm attributed to this seat (ms): active while its speaker was
    /// silent, and no other speaker's speech was missed at that moment.
    pub false_alarm_ms: f64,
    /// Confusion attributed to this seat (ms): its speaker talked, the seat
    /// was silent, and another seat was wrongly active instead.
    pub confusion_ms: f64,
    /// Share of the reference speaking time (0–1) of the mapped speaker.
    pub share_reference: f64,
    /// Share of the detected speaking time (0–1) of this seat.
    pub share_detected: f64,
}

impl SeatScore {
    /// (missed + false alarm + confusion) / reference time; `None` if the
    /// speaker never spoke in the scored time.
    pub fn error_rate(&self) -> Option<f64> {
        (self.reference_ms > 0.0)
            .then(|| (self.missed_ms + self.false_alarm_ms + self.confusion_ms) / self.reference_ms)
    }

    /// Detected minus reference share, in percentage points.
    pub fn share_error_pp(&self) -> f64 {
        100.0 * (self.share_detected - self.share_reference)
    }
}

/// The result of [`score`].
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// Time scored (ms): the region minus the collars.
    pub scored_ms: u64,
    /// Reference speaker time scored (ms): `Σ d · N_ref`.
    pub reference_ms: f64,
    /// Missed speech (ms).
    pub missed_ms: f64,
    /// False alarm (ms).
    pub false_alarm_ms: f64,
    /// Seat confusion (ms).
    pub confusion_ms: f64,
    /// Whether the pairing came from labels (`true`) or optimal assignment.
    pub mapped_by_label: bool,
    /// One row per seat.
    pub seats: Vec<SeatScore>,
    /// Reference speakers that no seat was paired with, with their missed
    /// (scored) time in ms and their share of the reference speaking time.
    pub unmapped: Vec<(String, f64, f64)>,
}

impl Score {
    /// (missed + false alarm + confusion) / reference speaker time (0 when
    /// nobody spoke and nothing was detected; infinite if only detected).
    pub fn error_rate(&self) -> f64 {
        let err = self.missed_ms + self.false_alarm_ms + self.confusion_ms;
        if self.reference_ms > 0.0 {
            err / self.reference_ms
        } else if err > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }

    /// The largest absolute share error over the seats (percentage points).
    pub fn worst_share_error_pp(&self) -> f64 {
        self.seats
            .iter()
            .map(|s| s.share_error_pp().abs())
            .fold(0.0, f64::max)
    }
}

/// Pairs each reference track with a seat (`result[r] = Some(seat)`).
pub fn map_speakers(
    reference: &[Track],
    detected: &[Track],
    mapping: Mapping,
) -> (Vec<Option<usize>>, bool) {
    let by_label = |r: &Track| {
        detected
            .iter()
            .position(|d| !d.label.is_empty() && d.label == r.label)
    };
    let labels_work = {
        let found: Vec<Option<usize>> = reference.iter().map(by_label).collect();
        let mut used = vec![false; detected.len()];
        found.iter().all(|f| match f {
            Some(i) if !used[*i] => {
                used[*i] = true;
                true
            }
            _ => false,
        })
    };
    match mapping {
        Mapping::Label => {
            let mut used = vec![false; detected.len()];
            let m = reference
                .iter()
                .map(|r| {
                    by_label(r).filter(|&i| {
                        let free = !used[i];
                        used[i] = true;
                        free
                    })
                })
                .collect();
            (m, true)
        }
        Mapping::Auto if labels_work && !reference.is_empty() => {
            (reference.iter().map(by_label).collect(), true)
        }
        _ => {
            let weights: Vec<Vec<f64>> = reference
                .iter()
                .map(|r| {
                    detected
                        .iter()
                        .map(|d| spans::overlap(&r.spans, &d.spans) as f64)
                        .collect()
                })
                .collect();
            (maximum_weight_assignment(&weights), false)
        }
    }
}

/// Scores `detected` seats against `reference` speakers.
pub fn score(reference_tracks: &[Track], detected: &[Track], options: &ScoreOptions) -> Score {
    let (map, mapped_by_label) = map_speakers(reference_tracks, detected, options.mapping);
    let last = reference_tracks
        .iter()
        .chain(detected)
        .filter_map(|t| t.spans.last().map(|s| s.1))
        .max()
        .unwrap_or(0);
    let (region_start, region_end) = options.region.unwrap_or((0, last));
    let reference: Vec<Vec<Span>> = reference_tracks
        .iter()
        .map(|t| spans::clip(&t.spans, region_start, region_end))
        .collect();
    let detected_spans: Vec<Vec<Span>> = detected
        .iter()
        .map(|t| spans::clip(&t.spans, region_start, region_end))
        .collect();

    // Scored time: the region minus the collars around reference boundaries.
    let collar = options.collar_ms;
    let no_score = spans::union(
        reference
            .iter()
            .flatten()
            .flat_map(|&(s, e)| [s, e])
            .filter(|_| collar > 0)
            .map(|b| (b.saturating_sub(collar), b.saturating_add(collar)))
            .collect(),
    );
    let mut scored = Vec::new();
    let mut from = region_start;
    for &(s, e) in &no_score {
        if s > from {
            scored.push((from, s.min(region_end)));
        }
        from = from.max(e);
    }
    if region_end > from {
        scored.push((from, region_end));
    }
    let scored = spans::union(scored);

    let mut cuts: Vec<u64> = scored.iter().flat_map(|&(s, e)| [s, e]).collect();
    cuts.extend(
        reference
            .iter()
            .chain(&detected_spans)
            .flatten()
            .flat_map(|&(s, e)| [s, e]),
    );
    cuts.sort_unstable();
    cuts.dedup();

    let seats = detected.len();
    let speakers = reference.len();
    let mut seat_of = map;
    seat_of.resize(speakers, None);
    let mut speaker_of = vec![None; seats];
    for (r, s) in seat_of.iter().enumerate() {
        if let Some(s) = *s {
            speaker_of[s] = Some(r);
        }
    }

    let mut missed = vec![0.0f64; speakers];
    let mut confused = vec![0.0f64; speakers];
    let mut ref_time = vec![0.0f64; speakers];
    let mut false_alarm = vec![0.0f64; seats];
    let (mut total_missed, mut total_fa, mut total_conf, mut total_ref) = (0.0, 0.0, 0.0, 0.0);

    let mut scored_cursor = Cursor::new(&scored);
    let mut ref_cursors: Vec<Cursor> = reference.iter().map(|s| Cursor::new(s)).collect();
    let mut det_cursors: Vec<Cursor> = detected_spans.iter().map(|s| Cursor::new(s)).collect();
    let mut ref_on = vec![false; speakers];
    let mut det_on = vec![false; seats];
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = (b - a) as f64;
        for (on, c) in ref_on.iter_mut().zip(&mut ref_cursors) {
            *on = c.contains(a);
        }
        for (on, c) in det_on.iter_mut().zip(&mut det_cursors) {
            *on = c.contains(a);
        }
        if !scored_cursor.contains(a) {
            continue;
        }
        // Missed set: talking speakers whose seat is silent (or unmapped).
        let miss_set = |r: usize| ref_on[r] && !seat_of[r].is_some_and(|s| det_on[s]);
        let false_set = |s: usize| det_on[s] && !speaker_of[s].is_some_and(|r| ref_on[r]);
        let n_miss = (0..speakers).filter(|&r| miss_set(r)).count();
        let n_false = (0..seats).filter(|&s| false_set(s)).count();
        let n_ref = ref_on.iter().filter(|&&x| x).count();
        let conf = n_miss.min(n_false);
        total_ref += d * n_ref as f64;
        total_missed += d * (n_miss - conf) as f64;
        total_fa += d * (n_false - conf) as f64;
        total_conf += d * conf as f64;
        for r in 0..speakers {
            if ref_on[r] {
                ref_time[r] += d;
            }
            if miss_set(r) {
                let conf_part = conf as f64 / n_miss as f64;
                confused[r] += d * conf_part;
                missed[r] += d * (1.0 - conf_part);
            }
        }
        for (s, fa) in false_alarm.iter_mut().enumerate() {
            if false_set(s) {
                *fa += d * (1.0 - conf as f64 / n_false as f64);
            }
        }
    }

    // Shares over the whole region (no collar).
    let ref_totals: Vec<f64> = reference.iter().map(|s| spans::total(s) as f64).collect();
    let det_totals: Vec<f64> = detected_spans
        .iter()
        .map(|s| spans::total(s) as f64)
        .collect();
    let ref_sum: f64 = ref_totals.iter().sum();
    let det_sum: f64 = det_totals.iter().sum();
    let share = |x: f64, sum: f64| if sum > 0.0 { x / sum } else { 0.0 };

    let seat_rows = (0..seats)
        .map(|s| {
            let r = speaker_of[s];
            SeatScore {
                seat: s,
                label: detected[s].label.clone(),
                reference: r.map(|r| reference_tracks[r].label.clone()),
                reference_ms: r.map_or(0.0, |r| ref_time[r]),
                missed_ms: r.map_or(0.0, |r| missed[r]),
                false_alarm_ms: false_alarm[s],
                confusion_ms: r.map_or(0.0, |r| confused[r]),
                share_reference: r.map_or(0.0, |r| share(ref_totals[r], ref_sum)),
                share_detected: share(det_totals[s], det_sum),
            }
        })
        .collect();
    Score {
        scored_ms: spans::total(&scored),
        reference_ms: total_ref,
        missed_ms: total_missed,
        false_alarm_ms: total_fa,
        confusion_ms: total_conf,
        mapped_by_label,
        seats: seat_rows,
        unmapped: (0..speakers)
            .filter(|&r| seat_of[r].is_none())
            .map(|r| {
                (
                    reference_tracks[r].label.clone(),
                    missed[r] + confused[r],
                    share(ref_totals[r], ref_sum),
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    fn t(label: &str, spans: &[(u64, u64)]) -> Track {
        Track::new(label, spans.iter().map(|&(a, b)| (a * S, b * S)).collect())
    }

    fn run(reference: &[Track], detected: &[Track], collar_ms: u64) -> Score {
        score(
            reference,
            detected,
            &ScoreOptions {
                collar_ms,
                ..Default::default()
            },
        )
    }

    #[test]
    fn perfect_detection_scores_zero() {
        let r = [t("A", &[(0, 10)]), t("B", &[(10, 20)])];
        let s = run(&r, &r, 0);
        assert_eq!(s.error_rate(), 0.0);
        assert_eq!(s.reference_ms, 20_000.0);
        assert!(s.mapped_by_label);
        assert!(s.seats.iter().all(|x| x.share_error_pp().abs() < 1e-9));
    }

    #[test]
    fn missed_and_false_alarm_by_hand() {
        // B starts 2 s late (missed 2 s) and runs 5 s over (false alarm 5 s).
        let r = [t("A", &[(0, 10)]), t("B", &[(10, 20)])];
        let d = [t("A", &[(0, 10)]), t("B", &[(12, 25)])];
        let s = run(&r, &d, 0);
        assert_eq!(
            (s.missed_ms, s.false_alarm_ms, s.confusion_ms),
            (2000.0, 5000.0, 0.0)
        );
        assert!((s.error_rate() - 0.35).abs() < 1e-12);
        assert_eq!(s.seats[1].missed_ms, 2000.0);
        assert_eq!(s.seats[1].false_alarm_ms, 5000.0);
        assert_eq!(s.seats[1].error_rate(), Some(0.7));
        // Shares: reference 50/50, detected 10/23 and 13/23.
        assert!((s.seats[1].share_error_pp() - 100.0 * (13.0 / 23.0 - 0.5)).abs() < 1e-9);
    }

    #[test]
    fn the_wrong_seat_is_confusion_counted_once() {
        let r = [t("A", &[(0, 10)]), t("B", &[])];
        let d = [t("A", &[]), t("B", &[(0, 10)])];
        let s = run(&r, &d, 0);
        assert_eq!(
            (s.missed_ms, s.false_alarm_ms, s.confusion_ms),
            (0.0, 0.0, 10_000.0)
        );
        assert_eq!(s.error_rate(), 1.0);
        // Attributed to the seat whose speech went elsewhere.
        assert_eq!(s.seats[0].confusion_ms, 10_000.0);
        assert_eq!(s.seats[1].false_alarm_ms, 0.0);
        assert_eq!(s.seats[1].error_rate(), None);
    }

    #[test]
    fn overlap_counts_each_speaker() {
        let r = [t("A", &[(0, 10)]), t("B", &[(5, 10)])];
        let d = [t("A", &[(0, 10)]), t("B", &[])];
        let s = run(&r, &d, 0);
        assert_eq!(s.reference_ms, 15_000.0);
        assert_eq!(s.missed_ms, 5000.0);
        assert!((s.error_rate() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn two_wrong_seats_for_one_speaker_is_one_confusion_one_false_alarm() {
        let r = [t("A", &[(0, 10)]), t("B", &[]), t("C", &[])];
        let d = [t("A", &[]), t("B", &[(0, 10)]), t("C", &[(0, 10)])];
        let s = run(&r, &d, 0);
        assert_eq!(
            (s.missed_ms, s.false_alarm_ms, s.confusion_ms),
            (0.0, 10_000.0, 10_000.0)
        );
        // The false alarm is split between the two wrong seats.
        assert_eq!(s.seats[1].false_alarm_ms, 5000.0);
        assert_eq!(s.seats[2].false_alarm_ms, 5000.0);
    }

    #[test]
    fn collar_is_per_side_of_each_reference_boundary() {
        let r = [t("A", &[(0, 10)])];
        let d = [Track::new("A", vec![(500, 10_800)])];
        let s = run(&r, &d, 1000);
        // Not scored: [0, 1 s) and [9 s, 11 s); the region ends at 10.8 s.
        assert_eq!(s.scored_ms, 8000);
        assert_eq!(s.error_rate(), 0.0);
        let s = run(&r, &d, 400);
        assert_eq!(s.missed_ms, 100.0);
        assert_eq!(s.false_alarm_ms, 400.0);
    }

    #[test]
    fn optimal_mapping_when_labels_differ() {
        let r = [t("spk1", &[(0, 10)]), t("spk2", &[(10, 20), (30, 31)])];
        let d = [t("x", &[(10, 20)]), t("y", &[(0, 10), (30, 31)])];
        let s = run(&r, &d, 0);
        assert!(!s.mapped_by_label);
        assert_eq!(s.seats[0].reference.as_deref(), Some("spk2"));
        assert_eq!(s.seats[1].reference.as_deref(), Some("spk1"));
        assert_eq!(s.confusion_ms, 1000.0);
        assert!((s.error_rate() - 1.0 / 21.0).abs() < 1e-12);
    }

    #[test]
    fn more_speakers_than_seats_leaves_one_missed() {
        let r = [t("A", &[(0, 10)]), t("B", &[(10, 20)]), t("C", &[(20, 22)])];
        let d = [t("A", &[(0, 10)]), t("B", &[(10, 20)])];
        let s = run(&r, &d, 0);
        assert!(!s.mapped_by_label);
        assert_eq!(s.unmapped.len(), 1);
        assert_eq!(s.unmapped[0].0, "C");
        assert_eq!(s.missed_ms, 2000.0);
    }

    #[test]
    fn share_error_in_percentage_points() {
        let r = [t("A", &[(0, 30)]), t("B", &[(30, 40)])];
        let d = [t("A", &[(0, 20)]), t("B", &[(20, 40)])];
        let s = run(&r, &d, 0);
        assert!((s.seats[0].share_error_pp() + 25.0).abs() < 1e-9);
        assert!((s.seats[1].share_error_pp() - 25.0).abs() < 1e-9);
        assert!((s.worst_share_error_pp() - 25.0).abs() < 1e-9);
    }

    #[test]
    fn region_limits_scoring() {
        let r = [t("A", &[(0, 10)])];
        let d = [t("A", &[(0, 20)])];
        let opts = ScoreOptions {
            region: Some((0, 10_000)),
            ..Default::default()
        };
        assert_eq!(score(&r, &d, &opts).error_rate(), 0.0);
        assert_eq!(run(&r, &d, 0).false_alarm_ms, 10_000.0);
    }
}
