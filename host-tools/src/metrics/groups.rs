//! Roster groups: each organisation's, sector's or role's share of speaking
//! time and of turns against its share of seats.

use std::collections::BTreeMap;

use serde::Serialize;

use super::speaking::share;
use super::SeatFigures;
use crate::roster::Dimension;

/// The group of seats the roster does not describe in a dimension.
pub const UNASSIGNED: &str = "(not in roster)";

/// One group in one dimension.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GroupShare {
    /// The group's name (e.g. the organisation).
    pub group: String,
    /// Seats in the group.
    pub seats: usize,
    /// Its share of seats, 0–1 (its fair share).
    pub seat_share: f64,
    /// Its members' speaking time (ms).
    pub speaking_ms: u64,
    /// Its share of speaking time, 0–1.
    pub speaking_share: f64,
    /// Its members' turns.
    pub turns: u32,
    /// Its share of turns, 0–1.
    pub turn_share: f64,
    /// `speaking_share / seat_share`: 1 = exactly its fair share, 2 =
    /// twice it, 0.5 = half.
    pub voice_ratio: f64,
}

/// Shares by each roster dimension.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RosterGroups {
    /// By organisation.
    pub organisation: Vec<GroupShare>,
    /// By sector.
    pub sector: Vec<GroupShare>,
    /// By role.
    pub role: Vec<GroupShare>,
}

/// Groups the seats (already carrying their roster fields) by each dimension.
pub fn roster_groups(seats: &[SeatFigures]) -> RosterGroups {
    RosterGroups {
        organisation: by(seats, Dimension::Organisation),
        sector: by(seats, Dimension::Sector),
        role: by(seats, Dimension::Role),
    }
}

/// The groups of one dimension, largest share of seats first.
pub fn by(seats: &[SeatFigures], dimension: Dimension) -> Vec<GroupShare> {
    let total_speaking: u64 = seats.iter().map(|s| s.speaking_ms).sum();
    let total_turns: u32 = seats.iter().map(|s| s.turns).sum();
    let mut groups: BTreeMap<&str, (usize, u64, u32)> = BTreeMap::new();
    for seat in seats {
        let entry = groups
            .entry(seat.group(dimension).unwrap_or(UNASSIGNED))
            .or_default();
        entry.0 += 1;
        entry.1 += seat.speaking_ms;
        entry.2 += seat.turns;
    }
    let mut shares: Vec<GroupShare> = groups
        .into_iter()
        .map(|(group, (count, speaking_ms, turns))| {
            let seat_share = share(count as u64, seats.len() as u64);
            let speaking_share = share(speaking_ms, total_speaking);
            GroupShare {
                group: group.to_owned(),
                seats: count,
                seat_share,
                speaking_ms,
                speaking_share,
                turns,
                turn_share: share(u64::from(turns), u64::from(total_turns)),
                voice_ratio: if seat_share > 0.0 {
                    speaking_share / seat_share
                } else {
                    0.0
                },
            }
        })
        .collect();
    shares.sort_by(|a, b| b.seats.cmp(&a.seats).then_with(|| a.group.cmp(&b.group)));
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        let seat = |org: Option<&str>, speaking_ms, turns| SeatFigures {
            organisation: org.map(str::to_owned),
            speaking_ms,
            turns,
            ..SeatFigures::default()
        };
        // Council has 2 of 4 seats (1/2) and 600 of 1000 ms (0.6).
        let seats = [
            seat(Some("council"), 500, 5),
            seat(Some("council"), 100, 1),
            seat(Some("trust"), 400, 2),
            seat(None, 0, 0),
        ];
        let groups = by(&seats, Dimension::Organisation);
        assert_eq!(groups[0].group, "council");
        assert_eq!(groups[0].seat_share, 0.5);
        assert_eq!(groups[0].speaking_share, 0.6);
        assert_eq!(groups[0].turn_share, 0.75);
        assert!((groups[0].voice_ratio - 1.2).abs() < 1e-12);
        assert_eq!(groups[1].group, UNASSIGNED);
        assert_eq!(groups[1].voice_ratio, 0.0);
        assert_eq!(groups[2].group, "trust");
        assert!((groups[2].voice_ratio - 1.6).abs() < 1e-12);
    }
}
