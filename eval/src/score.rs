//! Scoring detected turns against a reference: missed speech, false alarm,
//! seat confusion (a diarization error rate), and the error in each seat's
//! share of speaking time. Definitions: `docs/mic-evaluation.md`.
//!
//! What is scored is what NIST md-eval (`md-eval-22.pl`) scores:
//!
//! * the scored region is the given stretches (a UEM's lines, gaps between
//!   them left out), by default the reference's extent: from its first
//!   segment's start to its last segment's end;
//! * a collar `c` takes `[b − c, b + c]` out of the region around every
//!   start and end `b` of every reference segment as annotated (touching or
//!   overlapping segments of one speaker each keep their own boundaries;
//!   where the region cuts a segment is not a boundary);
//! * speakers are paired with seats by the most time both agree on inside
//!   the region (collars not taken out), or by label.
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
//! `Σ d · N_ref`, exactly as md-eval's DER (overlap scored).

use crate::assignment::maximum_weight_assignment;
use crate::spans::{self, Cursor, Span};

/// One speaker's or one seat's activity: a label and unioned spans (ms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    /// Speaker label (reference) or seat label (detection; may be empty).
    pub label: String,
    /// When active, `[start, end)` ms, sorted and merged.
    pub spans: Vec<Span>,
    /// Every start and end of the spans as given, before merging, empty
    /// spans included (sorted): where a reference track's collars go.
    pub boundaries: Vec<u64>,
}

impl Track {
    /// A track from spans in any order (they are merged; their boundaries
    /// are kept for collars).
    pub fn new(label: impl Into<String>, spans: Vec<Span>) -> Self {
        let mut boundaries: Vec<u64> = spans.iter().flat_map(|&(s, e)| [s, e]).collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        Track {
            label: label.into(),
            spans: spans::union(spans),
            boundaries,
        }
    }

    /// The same track active only inside unioned `region`.
    fn within(&self, region: &[Span]) -> Track {
        Track {
            label: self.label.clone(),
            spans: spans::intersection(&self.spans, region),
            boundaries: self.boundaries.clone(),
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
#[derive(Clone, Debug, Default)]
pub struct ScoreOptions {
    /// Collar per side (ms): around every boundary of every reference
    /// segment, this much before *and* this much after is not scored
    /// (md-eval's `-c`). Does not apply to shares of speaking time.
    pub collar_ms: u64,
    /// The scored stretches `[start, end)` (ms) in any order, e.g. a UEM's
    /// lines for the recording; by default the reference's extent, from
    /// its first boundary to its last (md-eval's default).
    pub region: Option<Vec<Span>>,
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
    /// (missed + false alarm + confusion) / reference speaker time; `None`
    /// when no reference speech was scored (nothing scored at all, or only
    /// silence), where a rate would be a made-up number.
    pub fn error_rate(&self) -> Option<f64> {
        (self.reference_ms > 0.0)
            .then(|| (self.missed_ms + self.false_alarm_ms + self.confusion_ms) / self.reference_ms)
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
pub fn score(reference: &[Track], detected: &[Track], options: &ScoreOptions) -> Score {
    let region = scored_region(reference, options.region.as_deref());
    let reference_in: Vec<Track> = reference.iter().map(|t| t.within(&region)).collect();
    let detected_in: Vec<Track> = detected.iter().map(|t| t.within(&region)).collect();
    let (seat_of, by_label) = map_speakers(&reference_in, &detected_in, options.mapping);
    let pairing = Pairing::new(seat_of, reference.len(), detected.len(), by_label);
    let scored = without_collars(&region, reference, options.collar_ms);
    let tally = Tally::count(&scored, &reference_in, &detected_in, &pairing);
    tally.into_score(&reference_in, &detected_in, &pairing, &scored)
}

/// Who is paired with whom, both ways.
struct Pairing {
    /// `seat_of[speaker]`.
    seat_of: Vec<Option<usize>>,
    /// `speaker_of[seat]`.
    speaker_of: Vec<Option<usize>>,
    /// Whether the pairing came from labels.
    by_label: bool,
}

impl Pairing {
    /// The pairing of [`map_speakers`], for `speakers` and `seats`.
    fn new(mut seat_of: Vec<Option<usize>>, speakers: usize, seats: usize, by_label: bool) -> Self {
        seat_of.resize(speakers, None);
        let mut speaker_of = vec![None; seats];
        for (r, s) in seat_of.iter().enumerate() {
            if let Some(slot) = s.and_then(|s| speaker_of.get_mut(s)) {
                *slot = Some(r);
            }
        }
        Pairing {
            seat_of,
            speaker_of,
            by_label,
        }
    }
}

/// The scored stretches before collars: `given` unioned, or the reference's
/// extent.
fn scored_region(reference: &[Track], given: Option<&[Span]>) -> Vec<Span> {
    match given {
        Some(stretches) => spans::union(stretches.to_vec()),
        None => {
            let boundaries = || reference.iter().flat_map(|t| t.boundaries.iter().copied());
            match (boundaries().min(), boundaries().max()) {
                (Some(first), Some(last)) => spans::union(vec![(first, last)]),
                _ => Vec::new(),
            }
        }
    }
}

/// `region` minus `[b − collar, b + collar]` around every boundary `b` of
/// every reference track.
fn without_collars(region: &[Span], reference: &[Track], collar: u64) -> Vec<Span> {
    if collar == 0 {
        return region.to_vec();
    }
    let collars = spans::union(
        reference
            .iter()
            .flat_map(|t| &t.boundaries)
            .map(|&b| (b.saturating_sub(collar), b.saturating_add(collar)))
            .collect(),
    );
    spans::difference(region, &collars)
}

/// Scored time per speaker and per seat, and the totals.
struct Tally {
    missed: Vec<f64>,
    confused: Vec<f64>,
    reference_time: Vec<f64>,
    false_alarm: Vec<f64>,
    total_missed: f64,
    total_false_alarm: f64,
    total_confusion: f64,
    total_reference: f64,
}

impl Tally {
    /// Walks the elementary intervals of `scored` time.
    fn count(scored: &[Span], reference: &[Track], detected: &[Track], pairing: &Pairing) -> Tally {
        let (speakers, seats) = (reference.len(), detected.len());
        let mut cuts: Vec<u64> = scored
            .iter()
            .chain(reference.iter().chain(detected).flat_map(|t| &t.spans))
            .flat_map(|&(s, e)| [s, e])
            .collect();
        cuts.sort_unstable();
        cuts.dedup();

        let mut tally = Tally {
            missed: vec![0.0; speakers],
            confused: vec![0.0; speakers],
            reference_time: vec![0.0; speakers],
            false_alarm: vec![0.0; seats],
            total_missed: 0.0,
            total_false_alarm: 0.0,
            total_confusion: 0.0,
            total_reference: 0.0,
        };
        let mut scored_cursor = Cursor::new(scored);
        let mut ref_cursors: Vec<Cursor> =
            reference.iter().map(|t| Cursor::new(&t.spans)).collect();
        let mut det_cursors: Vec<Cursor> = detected.iter().map(|t| Cursor::new(&t.spans)).collect();
        let mut ref_on = vec![false; speakers];
        let mut det_on = vec![false; seats];
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            for (on, c) in ref_on.iter_mut().zip(&mut ref_cursors) {
                *on = c.contains(a);
            }
            for (on, c) in det_on.iter_mut().zip(&mut det_cursors) {
                *on = c.contains(a);
            }
            if scored_cursor.contains(a) {
                tally.interval((b - a) as f64, &ref_on, &det_on, pairing);
            }
        }
        tally
    }

    /// Adds one scored elementary interval of length `d`.
    fn interval(&mut self, d: f64, ref_on: &[bool], det_on: &[bool], pairing: &Pairing) {
        let Pairing {
            seat_of,
            speaker_of,
            ..
        } = pairing;
        // Missed set: talking speakers whose seat is silent (or unmapped).
        let miss_set = |r: usize| ref_on[r] && !seat_of[r].is_some_and(|s| det_on[s]);
        let false_set = |s: usize| det_on[s] && !speaker_of[s].is_some_and(|r| ref_on[r]);
        let n_miss = (0..ref_on.len()).filter(|&r| miss_set(r)).count();
        let n_false = (0..det_on.len()).filter(|&s| false_set(s)).count();
        let n_ref = ref_on.iter().filter(|&&x| x).count();
        let conf = n_miss.min(n_false);
        self.total_reference += d * n_ref as f64;
        self.total_missed += d * (n_miss - conf) as f64;
        self.total_false_alarm += d * (n_false - conf) as f64;
        self.total_confusion += d * conf as f64;
        for (r, &on) in ref_on.iter().enumerate() {
            if on {
                self.reference_time[r] += d;
            }
            if miss_set(r) {
                let conf_part = conf as f64 / n_miss as f64;
                self.confused[r] += d * conf_part;
                self.missed[r] += d * (1.0 - conf_part);
            }
        }
        for (s, fa) in self.false_alarm.iter_mut().enumerate() {
            if false_set(s) {
                *fa += d * (1.0 - conf as f64 / n_false as f64);
            }
        }
    }

    /// The per-seat rows, with shares of speaking time over the whole
    /// region (no collar).
    fn into_score(
        self,
        reference: &[Track],
        detected: &[Track],
        pairing: &Pairing,
        scored: &[Span],
    ) -> Score {
        let ref_totals: Vec<f64> = reference
            .iter()
            .map(|t| spans::total(&t.spans) as f64)
            .collect();
        let det_totals: Vec<f64> = detected
            .iter()
            .map(|t| spans::total(&t.spans) as f64)
            .collect();
        let ref_sum: f64 = ref_totals.iter().sum();
        let det_sum: f64 = det_totals.iter().sum();
        let share = |x: f64, sum: f64| if sum > 0.0 { x / sum } else { 0.0 };
        let seats = pairing
            .speaker_of
            .iter()
            .enumerate()
            .map(|(s, &r)| SeatScore {
                seat: s,
                label: detected[s].label.clone(),
                reference: r.map(|r| reference[r].label.clone()),
                reference_ms: r.map_or(0.0, |r| self.reference_time[r]),
                missed_ms: r.map_or(0.0, |r| self.missed[r]),
                false_alarm_ms: self.false_alarm[s],
                confusion_ms: r.map_or(0.0, |r| self.confused[r]),
                share_reference: r.map_or(0.0, |r| share(ref_totals[r], ref_sum)),
                share_detected: share(det_totals[s], det_sum),
            })
            .collect();
        Score {
            scored_ms: spans::total(scored),
            reference_ms: self.total_reference,
            missed_ms: self.total_missed,
            false_alarm_ms: self.total_false_alarm,
            confusion_ms: self.total_confusion,
            mapped_by_label: pairing.by_label,
            seats,
            unmapped: (0..reference.len())
                .filter(|&r| pairing.seat_of[r].is_none())
                .map(|r| {
                    (
                        reference[r].label.clone(),
                        self.missed[r] + self.confused[r],
                        share(ref_totals[r], ref_sum),
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    fn t(label: &str, spans: &[(u64, u64)]) -> Track {
        Track::new(label, spans.iter().map(|&(a, b)| (a * S, b * S)).collect())
    }

    /// The error rate, which these cases all have.
    fn rate(s: &Score) -> f64 {
        s.error_rate().unwrap_or(f64::NAN)
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
        assert_eq!(rate(&s), 0.0);
        assert_eq!(s.reference_ms, 20_000.0);
        assert!(s.mapped_by_label);
        assert!(s.seats.iter().all(|x| x.share_error_pp().abs() < 1e-9));
    }

    #[test]
    fn missed_and_false_alarm_by_hand() {
        // B starts 2 s late (missed 2 s) and runs 5 s over (false alarm 5 s)
        // into the scored region.
        let r = [t("A", &[(0, 10)]), t("B", &[(10, 20)])];
        let d = [t("A", &[(0, 10)]), t("B", &[(12, 25)])];
        let s = score(&r, &d, &with_region(0, &[(0, 25_000)]));
        assert_eq!(
            (s.missed_ms, s.false_alarm_ms, s.confusion_ms),
            (2000.0, 5000.0, 0.0)
        );
        assert!((rate(&s) - 0.35).abs() < 1e-12);
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
        assert_eq!(rate(&s), 1.0);
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
        assert!((rate(&s) - 1.0 / 3.0).abs() < 1e-12);
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
        // Not scored: [0, 1 s) and [9 s, 11 s); the region is the
        // reference's extent, [0, 10 s).
        assert_eq!(s.scored_ms, 8000);
        assert_eq!(rate(&s), 0.0);
        let s = run(&r, &d, 400);
        assert_eq!(s.missed_ms, 100.0);
        assert_eq!(s.false_alarm_ms, 0.0);
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
        assert!((rate(&s) - 1.0 / 21.0).abs() < 1e-12);
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
            region: Some(vec![(0, 10_000)]),
            ..Default::default()
        };
        assert_eq!(rate(&score(&r, &d, &opts)), 0.0);
        let opts = ScoreOptions {
            region: Some(vec![(0, 20_000)]),
            ..Default::default()
        };
        assert_eq!(score(&r, &d, &opts).false_alarm_ms, 10_000.0);
    }

    // The cases below are md-eval-22.pl's: every expected time is what it
    // printed for the same RTTM (and UEM) files, `-c` in seconds.

    fn with_region(collar_ms: u64, region: &[(u64, u64)]) -> ScoreOptions {
        ScoreOptions {
            collar_ms,
            region: Some(region.to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn by_default_the_reference_extent_is_scored() {
        // Reference 2–10 s, detection 0–12 s: md-eval scores 8 s, no error.
        let s = run(&[t("A", &[(2, 10)])], &[t("A", &[(0, 12)])], 0);
        assert_eq!((s.scored_ms, s.reference_ms), (8000, 8000.0));
        assert_eq!(rate(&s), 0.0);
    }

    #[test]
    fn touching_segments_each_get_their_collars() {
        // A at [0,5] and [5,10], detected [0,10], -c 0.25: md-eval 9.0 s.
        let r = [Track::new("A", vec![(0, 5000), (5000, 10_000)])];
        let s = run(&r, &[t("A", &[(0, 10)])], 250);
        assert_eq!((s.scored_ms, s.reference_ms), (9000, 9000.0));
        // A zero-length segment (B at 5 s) is a boundary too: 9.0 s.
        let r = [t("A", &[(0, 10)]), Track::new("B", vec![(5000, 5000)])];
        let s = run(&r, &[t("A", &[(0, 10)])], 250);
        assert_eq!((s.scored_ms, s.reference_ms), (9000, 9000.0));
    }

    #[test]
    fn where_the_region_cuts_a_segment_is_no_boundary() {
        // A at [0,10], UEM 2–8 s, -c 0.25: md-eval 6.0 s.
        let r = [t("A", &[(0, 10)])];
        let s = score(&r, &r, &with_region(250, &[(2000, 8000)]));
        assert_eq!((s.scored_ms, s.reference_ms), (6000, 6000.0));
    }

    #[test]
    fn gaps_between_stretches_are_not_scored() {
        // A at [0,4] and [6,10], detected [0,10], UEM 0–4 and 6–10 s:
        // md-eval 8.0 s, no false alarm in the gap.
        let r = [t("A", &[(0, 4), (6, 10)])];
        let s = score(
            &r,
            &[t("A", &[(0, 10)])],
            &with_region(0, &[(6000, 10_000), (0, 4000)]),
        );
        assert_eq!(
            (s.scored_ms, s.reference_ms, s.false_alarm_ms),
            (8000, 8000.0, 0.0)
        );
        // Shares, too, are of the scored stretches only.
        assert!(s.seats[0].share_error_pp().abs() < 1e-9);
    }

    #[test]
    fn speakers_are_paired_by_what_happens_in_the_region() {
        // Outside 0–50 s seat a agrees with speaker 1 for 200 s; inside, a
        // agrees with speaker 2 and b with speaker 1. md-eval pairs by the
        // region only (here: no error).
        let r = [t("s1", &[(0, 10), (100, 300)]), t("s2", &[(20, 40)])];
        let d = [t("a", &[(20, 40), (100, 300)]), t("b", &[(0, 10)])];
        let opts = ScoreOptions {
            mapping: Mapping::Optimal,
            ..with_region(0, &[(0, 50_000)])
        };
        let s = score(&r, &d, &opts);
        assert_eq!(s.seats[0].reference.as_deref(), Some("s2"));
        assert_eq!(rate(&s), 0.0);
    }

    #[test]
    fn nothing_scored_has_no_rate() {
        let r = [t("A", &[(0, 10)])];
        let s = run(&r, &r, 100_000_000);
        assert_eq!(s.scored_ms, 0);
        assert_eq!(s.error_rate(), None);
        // Silence only: scored, but there is no speech to rate against.
        let s = score(
            &r,
            &[t("A", &[(20, 25)])],
            &with_region(0, &[(15_000, 30_000)]),
        );
        assert_eq!((s.scored_ms, s.false_alarm_ms), (15_000, 5000.0));
        assert_eq!(s.error_rate(), None);
    }
}
