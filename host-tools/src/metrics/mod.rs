//! Participation metrics over a [`Session`]: per seat, per session, per
//! time window and agenda segment, by roster group, and across sessions.
//!
//! Every definition (formula, convention, source) is written out in
//! `docs/metrics.md`; each idea lives in its own module here. All of it is
//! computed from the timeline partition (see [`timeline`]) in O(n log n)
//! for n turns. Silent seats count everywhere: they have a share of 0,
//! they raise the Gini and lower the evenness.
//!
//! ```
//! use tabletalk::metrics::{analyse, Options};
//! use tabletalk::session::{SeatInfo, SessionBuilder};
//! use tabletalk_core::seat::InputKind;
//! use tabletalk_core::turns::TurnEnd;
//!
//! let mut builder = SessionBuilder::new(vec![SeatInfo::new(None, InputKind::Button); 3]);
//! builder.push_turn(0, 0, 3_000, TurnEnd::Natural);
//! builder.push_turn(1, 3_000, 4_000, TurnEnd::Natural);
//! let figures = analyse(&builder.finish(), &Options::default(), None);
//! assert_eq!(figures.seats[0].speaking_ms, 3_000);
//! assert_eq!(figures.seats[0].share, 0.75);
//! assert_eq!(figures.seats[2].turns, 0); // silent, but counted
//! assert_eq!(figures.group.transitions[0][1], 1);
//! ```

pub mod backchannels;
pub mod balance;
pub mod decisions;
pub mod exchange;
pub mod floor;
pub mod groups;
pub mod overlap;
pub mod speaking;
pub mod timeline;
pub mod trend;
pub mod windows;

use serde::Serialize;

use crate::roster::{Dimension, Roster};
use crate::session::{Marker, Session};
use speaking::share;

/// What the metrics depend on besides the session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Longest backchannel (ms); `None`: the log header's value.
    pub backchannel_max_ms: Option<u64>,
    /// Length of the time windows (ms); `None`: no windows.
    pub window_ms: Option<u64>,
    /// How far before each decision its lead-up reaches (ms); `None`:
    /// [`decisions::DEFAULT_LEAD_UP_MS`].
    pub lead_up_ms: Option<u64>,
}

/// Everything computed for one session; serialised as `sessions[i]` of
/// the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionFigures {
    /// The file it came from.
    pub source: String,
    /// Its position among the sessions of that file, from 0.
    pub session: usize,
    /// The recording device, when known.
    pub device_id: Option<u64>,
    /// Wall-clock start (Unix ms), when known.
    pub wall_clock_start_ms: Option<u64>,
    /// The log's tick (ms).
    pub tick_ms: u32,
    /// Start of the session's extent (session ms).
    pub start_ms: u64,
    /// End of the session's extent (session ms).
    pub end_ms: u64,
    /// The backchannel limit used (ms).
    pub backchannel_max_ms: u64,
    /// Per seat, silent seats included, in seat order.
    pub seats: Vec<SeatFigures>,
    /// The session as a whole.
    pub group: GroupFigures,
    /// Markers (agenda points, pauses…).
    pub markers: Vec<Marker>,
    /// Figures per time window (`--window`), in order.
    pub windows: Vec<windows::RangeFigures>,
    /// Figures per agenda segment (between `Agenda` markers), in order;
    /// empty when the session has no agenda markers.
    pub segments: Vec<windows::RangeFigures>,
    /// Shares by roster group (with `--roster`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roster_groups: Option<groups::RosterGroups>,
    /// Floor passes and interruptions between roster groups (with
    /// `--roster`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<exchange::Exchange>,
    /// Who spoke in the lead-up to each `Decision` marker, in order.
    pub decisions: Vec<decisions::Decision>,
    /// What a reader should know about the data (merged turns, losses…).
    pub notes: Vec<String>,
}

/// One seat's figures; `sessions[i].seats[j]` of the JSON report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SeatFigures {
    /// Seat index, from 0.
    pub seat: usize,
    /// The seat's label from the log, if any.
    pub label: Option<String>,
    /// From the roster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// From the roster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// From the roster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// From the roster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Speaking time: the union of the seat's turns (ms).
    pub speaking_ms: u64,
    /// Share of all seats' speaking time, 0–1.
    pub share: f64,
    /// Turns (maximal stretches of activity, backchannels included).
    pub turns: u32,
    /// Share of all turns, 0–1.
    pub turn_share: f64,
    /// Floor turns: times the seat took the floor.
    pub floor_turns: u32,
    /// Mean turn length (ms); null without turns.
    pub mean_turn_ms: Option<f64>,
    /// Median turn length (ms); null without turns.
    pub median_turn_ms: Option<f64>,
    /// Longest turn (ms).
    pub longest_turn_ms: u64,
    /// Time speaking while another seat speaks too (ms).
    pub overlap_ms: u64,
    /// Interruptions this seat made (successful or not).
    pub interruptions_made: u32,
    /// Of those, successful ones.
    pub interruptions_made_successful: u32,
    /// Interruptions this seat suffered while holding the floor.
    pub interruptions_suffered: u32,
    /// Of those, ones that cost it the floor.
    pub interruptions_suffered_successful: u32,
    /// Backchannels this seat gave.
    pub backchannels: u32,
}

impl SeatFigures {
    /// The seat's group in `dimension`, from the roster.
    pub fn group(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::Organisation => self.organisation.as_deref(),
            Dimension::Sector => self.sector.as_deref(),
            Dimension::Role => self.role.as_deref(),
        }
    }
}

/// The session as a whole; `sessions[i].group` of the JSON report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GroupFigures {
    /// Number of seats.
    pub seats: usize,
    /// Recorded time: the extent less pauses (ms).
    pub duration_ms: u64,
    /// Time in which at least one seat speaks (ms).
    pub speech_ms: u64,
    /// `duration_ms − speech_ms`.
    pub silence_ms: u64,
    /// Time in which two or more seats speak (ms).
    pub overlap_ms: u64,
    /// `overlap_ms / speech_ms`; null without speech.
    pub overlap_ratio: Option<f64>,
    /// Gini of speaking time over seats, population form; null without speech.
    pub gini: Option<f64>,
    /// Gini with the n/(n−1) correction; null without speech or with one seat.
    pub gini_corrected: Option<f64>,
    /// Normalised entropy of shares; null without speech or with one seat.
    pub evenness: Option<f64>,
    /// Total turns.
    pub turns: u32,
    /// Population variance of turn counts over seats.
    pub turn_count_variance: Option<f64>,
    /// Coefficient of variation of turn counts; null without turns.
    pub turn_count_cv: Option<f64>,
    /// Number of floor changes.
    pub floor_transitions: u32,
    /// `transitions[a][b]`: how often seat b took the floor from seat a.
    pub transitions: Vec<Vec<u32>>,
    /// Row probabilities of `transitions`; null rows for seats never left.
    pub transition_probabilities: Vec<Vec<Option<f64>>>,
    /// `interruptions[a][b]`: how often seat a interrupted seat b.
    pub interruptions: Vec<Vec<u32>>,
    /// Backchannels in the session.
    pub backchannels: u32,
    /// Gaps and overlaps between speakers, pauses within one.
    pub floor_transfer: FloorTransfer,
    /// The longest monologue; null when no one ever held the floor.
    pub longest_monologue: Option<Monologue>,
    /// Burstiness of turn onsets; null with fewer than three onsets.
    pub burstiness: Option<f64>,
}

/// Floor-transfer offsets (between speakers) and pauses (within one).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FloorTransfer {
    /// Floor changes measured.
    pub transfers: u32,
    /// Of those, with silence between the speakers (offset > 0).
    pub gaps: u32,
    /// Of those, with overlap (offset < 0).
    pub overlaps: u32,
    /// Median offset (ms); null without transfers.
    pub offset_median_ms: Option<f64>,
    /// Mean offset (ms).
    pub offset_mean_ms: Option<f64>,
    /// First quartile of offsets (ms).
    pub offset_q1_ms: Option<f64>,
    /// Third quartile of offsets (ms).
    pub offset_q3_ms: Option<f64>,
    /// Pauses within one speaker's floor.
    pub pauses: u32,
    /// Median pause (ms).
    pub pause_median_ms: Option<f64>,
    /// Mean pause (ms).
    pub pause_mean_ms: Option<f64>,
}

/// The longest floor tenure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Monologue {
    /// Who.
    pub seat: usize,
    /// Start of the speech that won the floor (ms).
    pub start_ms: u64,
    /// End of the holder's last speech before losing it (ms).
    pub end_ms: u64,
    /// `end_ms − start_ms`.
    pub duration_ms: u64,
}

/// Computes every figure for `session`.
pub fn analyse(session: &Session, options: &Options, roster: Option<&Roster>) -> SessionFigures {
    let seats = session.seat_count();
    let by_seat = session.stretches_by_seat();
    let pieces = timeline::partition(&by_seat);
    let speaking = speaking::per_seat(&by_seat);
    let overlap = overlap::overlap(pieces.iter().copied(), seats);

    let backchannel_max_ms = options
        .backchannel_max_ms
        .unwrap_or(u64::from(session.params.turns.backchannel_max_ms));
    let resets: Vec<u64> = session.marked_pauses().iter().map(|p| p.0).collect();
    let floor = floor::floor(&by_seat, backchannel_max_ms, &resets);
    let flags = &floor.backchannels;
    let floor_seats = backchannels::without(&by_seat, flags);
    let interruptions = &floor.interruptions;
    let floor_turns = floor::floor_turns(&floor, seats);

    let total_speaking: u64 = speaking.iter().map(|s| s.speaking_ms).sum();
    let total_turns: u32 = speaking.iter().map(|s| s.turns).sum();
    let seat_figures: Vec<SeatFigures> = (0..seats)
        .map(|seat| {
            let s = speaking.get(seat).cloned().unwrap_or_default();
            let entry = roster.and_then(|r| r.entry(session, seat));
            let made = interruptions.iter().filter(|i| i.by == seat);
            let suffered = interruptions.iter().filter(|i| i.of == seat);
            SeatFigures {
                seat,
                label: session.seats.get(seat).and_then(|s| s.label.clone()),
                name: entry.and_then(|e| e.name.clone()),
                organisation: entry.and_then(|e| e.organisation.clone()),
                sector: entry.and_then(|e| e.sector.clone()),
                role: entry.and_then(|e| e.role.clone()),
                speaking_ms: s.speaking_ms,
                share: share(s.speaking_ms, total_speaking),
                turns: s.turns,
                turn_share: share(u64::from(s.turns), u64::from(total_turns)),
                floor_turns: floor_turns.get(seat).copied().unwrap_or(0),
                mean_turn_ms: s.mean_turn_ms,
                median_turn_ms: s.median_turn_ms,
                longest_turn_ms: s.longest_turn_ms,
                overlap_ms: overlap.seat_overlap_ms.get(seat).copied().unwrap_or(0),
                interruptions_made: count(made.clone()),
                interruptions_made_successful: count(made.filter(|i| i.successful)),
                interruptions_suffered: count(suffered.clone()),
                interruptions_suffered_successful: count(suffered.filter(|i| i.successful)),
                backchannels: flags
                    .get(seat)
                    .map_or(0, |f| count(f.iter().filter(|&&b| b))),
            }
        })
        .collect();

    let speaking_values: Vec<f64> = speaking.iter().map(|s| s.speaking_ms as f64).collect();
    let turn_values: Vec<f64> = speaking.iter().map(|s| f64::from(s.turns)).collect();
    let interruption_matrix = floor::interruption_counts(&floor, seats);
    let transitions = floor::transition_counts(&floor, seats);
    let mut onsets: Vec<u64> = floor_seats.iter().flatten().map(|s| s.0).collect();
    onsets.sort_unstable();
    let duration_ms = session.recorded_ms();

    let group = GroupFigures {
        seats,
        duration_ms,
        speech_ms: overlap.speech_ms,
        silence_ms: duration_ms.saturating_sub(overlap.speech_ms),
        overlap_ms: overlap.overlap_ms,
        overlap_ratio: (overlap.speech_ms > 0)
            .then(|| overlap.overlap_ms as f64 / overlap.speech_ms as f64),
        gini: balance::gini(&speaking_values),
        gini_corrected: balance::gini_corrected(&speaking_values),
        evenness: balance::evenness(&speaking_values),
        turns: total_turns,
        turn_count_variance: balance::variance(&turn_values),
        turn_count_cv: balance::coefficient_of_variation(&turn_values),
        floor_transitions: count(floor.tenures.iter().filter(|t| t.from.is_some())),
        transition_probabilities: floor::row_probabilities(&transitions),
        transitions,
        interruptions: interruption_matrix,
        backchannels: seat_figures.iter().map(|s| s.backchannels).sum(),
        floor_transfer: floor_transfer(&floor),
        longest_monologue: floor
            .tenures
            .iter()
            .max_by_key(|t| (t.monologue_ms(), std::cmp::Reverse(t.speech_start)))
            .map(|t| Monologue {
                seat: t.seat,
                start_ms: t.speech_start,
                end_ms: t.speech_end,
                duration_ms: t.monologue_ms(),
            }),
        burstiness: balance::burstiness(&onsets),
    };

    let windows = options
        .window_ms
        .filter(|&w| w > 0)
        .map_or_else(Vec::new, |w| {
            windows::ranges(
                session,
                &by_seat,
                &pieces,
                &windows::window_bounds(session, w),
            )
        });
    let segments = match windows::agenda_bounds(session) {
        Some(bounds) => windows::ranges(session, &by_seat, &pieces, &bounds),
        None => Vec::new(),
    };
    let roster_groups = roster.map(|_| groups::roster_groups(&seat_figures));
    let exchange = roster_groups.as_ref().map(|groups| {
        exchange::exchange(
            &seat_figures,
            groups,
            &group.transitions,
            &group.interruptions,
        )
    });
    let lead_up_ms = options.lead_up_ms.unwrap_or(decisions::DEFAULT_LEAD_UP_MS);
    let decisions = decisions::decisions(
        session,
        &by_seat,
        &seat_figures,
        lead_up_ms,
        roster_groups.is_some(),
    );

    SessionFigures {
        source: session.source.clone(),
        session: session.index,
        device_id: session.device_id,
        wall_clock_start_ms: session.wall_clock_start_ms,
        tick_ms: session.tick_ms,
        start_ms: session.start_ms,
        end_ms: session.end_ms,
        backchannel_max_ms,
        seats: seat_figures,
        group,
        markers: session.markers.clone(),
        windows,
        segments,
        roster_groups,
        exchange,
        decisions,
        notes: session.notes.clone(),
    }
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

fn floor_transfer(floor: &floor::Floor) -> FloorTransfer {
    let offsets: Vec<f64> = floor
        .tenures
        .iter()
        .filter_map(|t| t.from.map(|(_, offset)| offset as f64))
        .collect();
    let pauses: Vec<f64> = floor.pauses.iter().map(|&(_, ms)| ms as f64).collect();
    FloorTransfer {
        transfers: count(offsets.iter()),
        gaps: count(offsets.iter().filter(|&&o| o > 0.0)),
        overlaps: count(offsets.iter().filter(|&&o| o < 0.0)),
        offset_median_ms: balance::median(&offsets),
        offset_mean_ms: balance::mean(&offsets),
        offset_q1_ms: balance::quantile(&offsets, 0.25),
        offset_q3_ms: balance::quantile(&offsets, 0.75),
        pauses: count(pauses.iter()),
        pause_median_ms: balance::median(&pauses),
        pause_mean_ms: balance::mean(&pauses),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{SeatInfo, SessionBuilder};
    use tabletalk_core::seat::InputKind;
    use tabletalk_core::turns::TurnEnd;

    /// A: 0–4 s and 6–10 s. B: "mm-hm" 1.0–1.5 s inside A's turn, then
    /// 3–5 s: cuts in on A, A stops at 4 s, B holds the floor; 1 s of
    /// silence; A takes it back. C never speaks.
    fn meeting() -> SessionFigures {
        let mut b = SessionBuilder::new(vec![SeatInfo::new(None, InputKind::Button); 3]);
        for (seat, start, end) in [
            (0, 0, 4000),
            (0, 6000, 10_000),
            (1, 1000, 1500),
            (1, 3000, 5000),
        ] {
            b.push_turn(seat, start, end, TurnEnd::Natural);
        }
        analyse(&b.finish(), &Options::default(), None)
    }

    #[test]
    fn every_figure_hand_computed() {
        let f = meeting();
        let (a, b, c) = (&f.seats[0], &f.seats[1], &f.seats[2]);
        assert_eq!(
            (a.speaking_ms, b.speaking_ms, c.speaking_ms),
            (8000, 2500, 0)
        );
        assert_eq!(
            (a.share, b.share, c.share),
            (8000.0 / 10500.0, 2500.0 / 10500.0, 0.0)
        );
        assert_eq!((a.turns, b.turns, c.turns), (2, 2, 0));
        assert_eq!((a.turn_share, b.turn_share), (0.5, 0.5));
        assert_eq!((a.floor_turns, b.floor_turns, c.floor_turns), (2, 1, 0));
        assert_eq!(
            (a.mean_turn_ms, b.median_turn_ms, c.mean_turn_ms),
            (Some(4000.0), Some(1250.0), None)
        );
        assert_eq!((a.longest_turn_ms, b.longest_turn_ms), (4000, 2000));
        assert_eq!((a.overlap_ms, b.overlap_ms, c.overlap_ms), (1500, 1500, 0));
        assert_eq!(
            (b.interruptions_made, b.interruptions_made_successful),
            (1, 1)
        );
        assert_eq!(
            (
                a.interruptions_suffered,
                a.interruptions_suffered_successful
            ),
            (1, 1)
        );
        assert_eq!((a.interruptions_made, b.interruptions_suffered), (0, 0));
        assert_eq!((a.backchannels, b.backchannels), (0, 1));

        let g = &f.group;
        assert_eq!(
            (
                g.seats,
                g.duration_ms,
                g.speech_ms,
                g.silence_ms,
                g.overlap_ms
            ),
            (3, 10_000, 9000, 1000, 1500)
        );
        assert_eq!(g.overlap_ratio, Some(1500.0 / 9000.0));
        // Sorted 0, 2500, 8000: Σ(2i − n − 1)x = 2 · 8000 = 16000; / (3 · 10500).
        let gini = 16_000.0 / 31_500.0;
        assert!((g.gini.unwrap() - gini).abs() < 1e-12);
        assert!((g.gini_corrected.unwrap() - gini * 1.5).abs() < 1e-12);
        let (p, q) = (8000.0f64 / 10500.0, 2500.0f64 / 10500.0);
        assert!((g.evenness.unwrap() - (-(p * p.ln() + q * q.ln()) / 3f64.ln())).abs() < 1e-12);
        // Turn counts 2, 2, 0: mean 4/3, variance 8/9, CV √2/2.
        assert!((g.turn_count_variance.unwrap() - 8.0 / 9.0).abs() < 1e-12);
        assert!((g.turn_count_cv.unwrap() - 2f64.sqrt() / 2.0).abs() < 1e-12);
        assert_eq!((g.turns, g.floor_transitions, g.backchannels), (4, 2, 1));
        assert_eq!(g.transitions, [vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 0]]);
        assert_eq!(
            g.transition_probabilities[0],
            [Some(0.0), Some(1.0), Some(0.0)]
        );
        assert_eq!(g.transition_probabilities[2], [None, None, None]);
        assert_eq!(
            g.interruptions,
            [vec![0, 0, 0], vec![1, 0, 0], vec![0, 0, 0]]
        );
        // Offsets: A→B 3000 − 4000 = −1000 (overlap), B→A 6000 − 5000 = +1000 (gap).
        let t = &g.floor_transfer;
        assert_eq!((t.transfers, t.gaps, t.overlaps, t.pauses), (2, 1, 1, 0));
        assert_eq!(
            (t.offset_median_ms, t.offset_mean_ms),
            (Some(0.0), Some(0.0))
        );
        assert_eq!(
            (t.offset_q1_ms, t.offset_q3_ms),
            (Some(-500.0), Some(500.0))
        );
        assert_eq!(
            g.longest_monologue,
            Some(Monologue {
                seat: 0,
                start_ms: 0,
                end_ms: 4000,
                duration_ms: 4000
            })
        );
        // Onsets 0, 3000, 6000 (the backchannel set aside): perfectly regular.
        assert_eq!(g.burstiness, Some(-1.0));
    }

    #[test]
    fn a_session_without_speech_has_no_balance_figures() {
        let b = SessionBuilder::new(vec![SeatInfo::new(None, InputKind::Button); 4]);
        let f = analyse(
            &b.finish(),
            &Options {
                window_ms: Some(1000),
                ..Options::default()
            },
            None,
        );
        assert_eq!(f.seats.len(), 4);
        assert_eq!(
            (f.group.gini, f.group.evenness, f.group.turn_count_cv),
            (None, None, None)
        );
        assert_eq!(f.group.turn_count_variance, Some(0.0));
        assert!(f.group.longest_monologue.is_none() && f.windows.is_empty());
    }
}
