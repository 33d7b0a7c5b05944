//! Decisions: who held the floor in the lead-up to each decision.
//!
//! A decision is a `Decision` marker: set on the device by the
//! facilitator's double press or by `tabletalk device mark decision`, or
//! given with an import (`--decisions FILE`). Its **lead-up** is the
//! `lead_up_ms` before it (5 minutes unless `--lead-up` says otherwise),
//! cut at the session's start: `[max(start, at − lead_up), at)`. In it,
//! each seat's speaking time is clipped to the lead-up and its share is
//! that time over all seats' (0 when nobody spoke); with a roster the same
//! is summed per group, as in `sessions[i].roster_groups`.

use serde::Serialize;

use super::groups::{roster_groups, RosterGroups};
use super::speaking::share;
use super::timeline::{clipped_length, starting_in};
use super::SeatFigures;
use crate::session::Session;
use tabletalk_core::turns::MarkerKind;

/// The lead-up when `--lead-up` is not given: 5 minutes.
pub const DEFAULT_LEAD_UP_MS: u64 = 5 * 60 * 1000;

/// One decision; `sessions[i].decisions[k]` of the JSON report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Decision {
    /// When it was marked (session ms).
    pub at_ms: u64,
    /// The lead-up's length (ms): the asked-for lead-up, shorter when the
    /// decision came earlier than that after the session's start.
    pub lead_up_ms: u64,
    /// Each seat's speaking in the lead-up, silent seats included.
    pub seats: Vec<DecisionSeat>,
    /// The same by roster group (with `--roster`), else null.
    pub groups: Option<RosterGroups>,
}

/// One seat in one lead-up.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DecisionSeat {
    /// Seat index.
    pub seat: usize,
    /// Speaking time inside the lead-up (ms).
    pub speaking_ms: u64,
    /// Share of all speaking in the lead-up, 0–1.
    pub share: f64,
}

/// The decisions of `session` with their lead-ups of `lead_up_ms`; `seats`
/// carry the roster fields, used for the groups when `with_groups`.
pub fn decisions(
    session: &Session,
    by_seat: &[Vec<(u64, u64)>],
    seats: &[SeatFigures],
    lead_up_ms: u64,
    with_groups: bool,
) -> Vec<Decision> {
    session
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Decision)
        .filter(|m| (session.start_ms..=session.end_ms).contains(&m.at_ms))
        .map(|marker| {
            let to = marker.at_ms;
            let from = to.saturating_sub(lead_up_ms).max(session.start_ms);
            let speaking: Vec<u64> = by_seat
                .iter()
                .map(|s| clipped_length(s, from, to))
                .collect();
            let total: u64 = speaking.iter().sum();
            let groups = with_groups.then(|| {
                let in_lead_up: Vec<SeatFigures> = seats
                    .iter()
                    .map(|seat| SeatFigures {
                        speaking_ms: speaking.get(seat.seat).copied().unwrap_or(0),
                        turns: by_seat
                            .get(seat.seat)
                            .map_or(0, |s| starting_in(s, from, to)),
                        ..seat.clone()
                    })
                    .collect();
                roster_groups(&in_lead_up)
            });
            Decision {
                at_ms: to,
                lead_up_ms: to - from,
                seats: speaking
                    .iter()
                    .enumerate()
                    .map(|(seat, &ms)| DecisionSeat {
                        seat,
                        speaking_ms: ms,
                        share: share(ms, total),
                    })
                    .collect(),
                groups,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{analyse, Options};
    use crate::roster::Roster;
    use crate::session::{SeatInfo, SessionBuilder};
    use tabletalk_core::seat::InputKind;
    use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

    #[test]
    fn lead_ups_hand_computed() {
        // Seat 0 speaks 0–60 s, seat 1 60–100 s, seat 2 never. Decisions
        // at 100 s and at 30 s; lead-up 50 s.
        let mut b = SessionBuilder::new(vec![SeatInfo::new(None, InputKind::Button); 3]);
        b.push_turn(0, 0, 60_000, TurnEnd::Natural);
        b.push_turn(1, 60_000, 100_000, TurnEnd::Natural);
        for at in [30_000, 100_000] {
            b.push(&Event::Marker {
                at,
                kind: MarkerKind::Decision,
            });
        }
        let session = b.finish();
        let roster = Roster::parse(
            "[[seat]]\nseat = 0\norganisation = \"council\"\n\
             [[seat]]\nseat = 1\norganisation = \"trust\"\n\
             [[seat]]\nseat = 2\norganisation = \"council\"\n",
        )
        .unwrap();
        let options = Options {
            lead_up_ms: Some(50_000),
            ..Options::default()
        };
        let f = analyse(&session, &options, Some(&roster));
        let summary: Vec<(u64, u64, Vec<u64>)> = f
            .decisions
            .iter()
            .map(|d| {
                let ms = d.seats.iter().map(|s| s.speaking_ms).collect();
                (d.at_ms, d.lead_up_ms, ms)
            })
            .collect();
        // At 30 s the lead-up is cut at the start: 0–30 s, all seat 0.
        // At 100 s: 50–100 s, seat 0 10 s, seat 1 40 s.
        assert_eq!(
            summary,
            [
                (30_000, 30_000, vec![30_000, 0, 0]),
                (100_000, 50_000, vec![10_000, 40_000, 0])
            ]
        );
        assert_eq!(f.decisions[1].seats[1].share, 0.8);
        let groups = f.decisions[1].groups.as_ref().unwrap();
        let council = groups
            .organisation
            .iter()
            .find(|g| g.group == "council")
            .unwrap();
        assert_eq!((council.speaking_ms, council.speaking_share), (10_000, 0.2));
        // Without a roster: no groups.
        let plain = analyse(&session, &options, None);
        assert!(plain.decisions.iter().all(|d| d.groups.is_none()));
        // The default lead-up is 5 minutes: both lead-ups reach the start.
        let default = analyse(&session, &Options::default(), None);
        assert_eq!(default.decisions[1].lead_up_ms, 100_000);
    }
}
