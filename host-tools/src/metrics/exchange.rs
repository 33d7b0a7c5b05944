//! Exchange between roster groups: who passes the floor to whom, and who
//! interrupts whom, counted between organisations, sectors or roles
//! instead of between seats; and the E-I index of the floor passes.
//!
//! The **E-I index** (Krackhardt & Stern 1988) compares the ties between
//! groups with those inside them: `(E − I) / (E + I)`, with `E` the floor
//! passes between seats of different groups and `I` those between seats
//! of the same group. −1: the floor only ever passes within a group; +1:
//! it only ever passes across. It is null when no pass counts (no floor
//! change between two seats the roster places in this dimension). A seat
//! the roster does not place has its own row and column
//! ([`UNASSIGNED`]), but its passes count neither as internal nor as
//! external: its membership is unknown.
//!
//! The seat matrices come from the floor model ([`super::floor`]), so the
//! group figures always add up to the seat figures.

use serde::Serialize;

use super::groups::{GroupShare, RosterGroups, UNASSIGNED};
use super::SeatFigures;
use crate::roster::Dimension;

/// Floor passes and interruptions between the groups of one dimension;
/// `sessions[i].exchange.<dimension>` of the JSON report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GroupExchange {
    /// The groups, in the order of `sessions[i].roster_groups`.
    pub groups: Vec<String>,
    /// `floor_passes[g][h]`: how often a seat of group `h` took the floor
    /// from a seat of group `g`.
    pub floor_passes: Vec<Vec<u32>>,
    /// `interruptions[g][h]`: how often a seat of group `g` interrupted a
    /// seat of group `h`.
    pub interruptions: Vec<Vec<u32>>,
    /// `(E − I) / (E + I)` over the floor passes; null without any.
    pub ei_index: Option<f64>,
}

impl GroupExchange {
    /// The part of counted floor passes that went across groups,
    /// `E / (E + I)`; null without any.
    pub fn across_share(&self) -> Option<f64> {
        let (external, internal) = self.external_internal();
        let counted = external + internal;
        (counted > 0).then(|| f64::from(external) / f64::from(counted))
    }

    /// `(E, I)`: floor passes between and within placed groups.
    fn external_internal(&self) -> (u32, u32) {
        let mut external = 0;
        let mut internal = 0;
        for (g, row) in self.floor_passes.iter().enumerate() {
            for (h, &passes) in row.iter().enumerate() {
                let placed = |i: usize| self.groups.get(i).is_some_and(|n| n != UNASSIGNED);
                if !(placed(g) && placed(h)) {
                    continue;
                }
                if g == h {
                    internal += passes;
                } else {
                    external += passes;
                }
            }
        }
        (external, internal)
    }
}

/// The exchange in each roster dimension; `sessions[i].exchange`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Exchange {
    /// Between organisations.
    pub organisation: GroupExchange,
    /// Between sectors.
    pub sector: GroupExchange,
    /// Between roles.
    pub role: GroupExchange,
}

impl Exchange {
    /// The exchange of `dimension`.
    pub fn get(&self, dimension: Dimension) -> &GroupExchange {
        match dimension {
            Dimension::Organisation => &self.organisation,
            Dimension::Sector => &self.sector,
            Dimension::Role => &self.role,
        }
    }
}

/// The exchange in every dimension, from the seat matrices
/// `transitions[a][b]` (b took the floor from a) and `interruptions[a][b]`
/// (a interrupted b), with groups in the order of `groups`.
pub fn exchange(
    seats: &[SeatFigures],
    groups: &RosterGroups,
    transitions: &[Vec<u32>],
    interruptions: &[Vec<u32>],
) -> Exchange {
    let one =
        |dimension, shares: &[GroupShare]| by(seats, dimension, shares, transitions, interruptions);
    Exchange {
        organisation: one(Dimension::Organisation, &groups.organisation),
        sector: one(Dimension::Sector, &groups.sector),
        role: one(Dimension::Role, &groups.role),
    }
}

/// The exchange of one dimension.
pub fn by(
    seats: &[SeatFigures],
    dimension: Dimension,
    shares: &[GroupShare],
    transitions: &[Vec<u32>],
    interruptions: &[Vec<u32>],
) -> GroupExchange {
    let groups: Vec<String> = shares.iter().map(|g| g.group.clone()).collect();
    let group_of: Vec<Option<usize>> = seats
        .iter()
        .map(|seat| {
            let name = seat.group(dimension).unwrap_or(UNASSIGNED);
            groups.iter().position(|g| g == name)
        })
        .collect();
    let fold = |matrix: &[Vec<u32>]| {
        let mut out = vec![vec![0u32; groups.len()]; groups.len()];
        for (a, row) in matrix.iter().enumerate() {
            for (b, &count) in row.iter().enumerate() {
                let cell = group_of
                    .get(a)
                    .copied()
                    .flatten()
                    .zip(group_of.get(b).copied().flatten())
                    .and_then(|(g, h)| out.get_mut(g).and_then(|r| r.get_mut(h)));
                if let Some(cell) = cell {
                    *cell += count;
                }
            }
        }
        out
    };
    let mut exchange = GroupExchange {
        floor_passes: fold(transitions),
        interruptions: fold(interruptions),
        groups,
        ei_index: None,
    };
    let (external, internal) = exchange.external_internal();
    let counted = external + internal;
    exchange.ei_index =
        (counted > 0).then(|| (f64::from(external) - f64::from(internal)) / f64::from(counted));
    exchange
}

/// The E-I index of each session, per dimension: `exchange_trend` of the
/// JSON report (null where a session has no roster or no counted pass).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExchangeTrend {
    /// Between organisations, one value per session.
    pub organisation: Vec<Option<f64>>,
    /// Between sectors.
    pub sector: Vec<Option<f64>>,
    /// Between roles.
    pub role: Vec<Option<f64>>,
}

/// The E-I index of every session in order.
pub fn trend(sessions: &[super::SessionFigures]) -> ExchangeTrend {
    let series = |dimension| {
        sessions
            .iter()
            .map(|s| s.exchange.as_ref().and_then(|e| e.get(dimension).ei_index))
            .collect()
    };
    ExchangeTrend {
        organisation: series(Dimension::Organisation),
        sector: series(Dimension::Sector),
        role: series(Dimension::Role),
    }
}

#[cfg(test)]
mod tests {
    use super::super::groups::roster_groups;
    use super::*;

    fn seat(organisation: Option<&str>) -> SeatFigures {
        SeatFigures {
            organisation: organisation.map(str::to_owned),
            ..SeatFigures::default()
        }
    }

    #[test]
    fn hand_computed() {
        // Council: seats 0, 1; trust: seat 2; seat 3 not in the roster.
        let seats = [
            seat(Some("council")),
            seat(Some("council")),
            seat(Some("trust")),
            seat(None),
        ];
        // 0→1 ×3 (internal), 1→2 ×1, 2→0 ×1 (external), 2→3 ×2 (unknown).
        let transitions = vec![
            vec![0, 3, 0, 0],
            vec![0, 0, 1, 0],
            vec![1, 0, 0, 2],
            vec![0, 0, 0, 0],
        ];
        // Seat 2 interrupted seat 0 twice; seat 1 interrupted seat 0 once.
        let interruptions = vec![
            vec![0, 0, 0, 0],
            vec![1, 0, 0, 0],
            vec![2, 0, 0, 0],
            vec![0, 0, 0, 0],
        ];
        let groups = roster_groups(&seats);
        let e = by(
            &seats,
            Dimension::Organisation,
            &groups.organisation,
            &transitions,
            &interruptions,
        );
        assert_eq!(e.groups, ["council", UNASSIGNED, "trust"]);
        assert_eq!(
            e.floor_passes,
            [vec![3, 0, 1], vec![0, 0, 0], vec![1, 2, 0]]
        );
        assert_eq!(
            e.interruptions,
            [vec![1, 0, 0], vec![0, 0, 0], vec![2, 0, 0]]
        );
        // E = 2, I = 3: (2 − 3) / 5.
        assert_eq!(e.ei_index, Some(-0.2));
        assert_eq!(e.across_share(), Some(0.4));
    }

    #[test]
    fn extremes_and_no_passes() {
        let seats = [seat(Some("a")), seat(Some("b")), seat(Some("a"))];
        let groups = roster_groups(&seats);
        let zero = vec![vec![0; 3]; 3];
        let run = |t: &[Vec<u32>]| {
            by(
                &seats,
                Dimension::Organisation,
                &groups.organisation,
                t,
                &zero,
            )
            .ei_index
        };
        assert_eq!(
            run(&[vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 0]]),
            Some(1.0)
        );
        assert_eq!(
            run(&[vec![0, 0, 4], vec![0, 0, 0], vec![2, 0, 0]]),
            Some(-1.0)
        );
        assert_eq!(run(&zero), None);
        // Nobody placed in the sector dimension: every pass is unknown.
        let sector = by(
            &seats,
            Dimension::Sector,
            &groups.sector,
            &[vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 0]],
            &zero,
        );
        assert_eq!(sector.groups, [UNASSIGNED]);
        assert_eq!(sector.floor_passes, [vec![2]]);
        assert_eq!(sector.ei_index, None);
    }

    #[test]
    fn the_trend_has_one_index_per_session() {
        let with = |ei_index| {
            let mut s = super::super::SessionFigures::empty();
            s.exchange = Some(Exchange {
                organisation: GroupExchange {
                    ei_index,
                    ..GroupExchange::default()
                },
                ..Exchange::default()
            });
            s
        };
        let sessions = [
            with(Some(-0.5)),
            super::super::SessionFigures::empty(),
            with(None),
            with(Some(1.0)),
        ];
        let t = trend(&sessions);
        assert_eq!(t.organisation, [Some(-0.5), None, None, Some(1.0)]);
        assert_eq!(t.role, [None; 4]);
    }
}
