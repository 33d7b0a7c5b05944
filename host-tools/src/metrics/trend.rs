//! Across sessions: each session figure in session order, and its trend;
//! the same for each person's share and turns.

use serde::Serialize;

use super::people::{attendance, Attendance};
use super::{balance, SeatFigures, SessionFigures};

/// What a figure counts, which decides how it is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A duration in ms.
    Ms,
    /// A ratio or index (Gini, evenness, a share…).
    Ratio,
    /// A count (turns, floor changes…).
    Count,
    /// A share, 0–1, read as a percentage.
    Share,
}

/// A figure followed across sessions. Serialised by its JSON name, as in
/// `sessions[i].group` (or `sessions[i].seats[j]` for [`Figure::Share`]
/// and [`Figure::Turns`] of one person).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // each variant is the JSON field of the same name
pub enum Figure {
    DurationMs,
    SpeechMs,
    SilenceMs,
    OverlapMs,
    OverlapRatio,
    Gini,
    GiniCorrected,
    Evenness,
    Turns,
    TurnCountVariance,
    TurnCountCv,
    FloorTransitions,
    Backchannels,
    LongestMonologueMs,
    Burstiness,
    /// One person's share of the speaking.
    Share,
}

impl Figure {
    /// The session figures, in report order.
    pub const GROUP: [Figure; 15] = [
        Figure::DurationMs,
        Figure::SpeechMs,
        Figure::SilenceMs,
        Figure::OverlapMs,
        Figure::OverlapRatio,
        Figure::Gini,
        Figure::GiniCorrected,
        Figure::Evenness,
        Figure::Turns,
        Figure::TurnCountVariance,
        Figure::TurnCountCv,
        Figure::FloorTransitions,
        Figure::Backchannels,
        Figure::LongestMonologueMs,
        Figure::Burstiness,
    ];

    /// The figures a person is followed by.
    pub const PERSON: [Figure; 2] = [Figure::Share, Figure::Turns];

    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Figure::DurationMs => "duration_ms",
            Figure::SpeechMs => "speech_ms",
            Figure::SilenceMs => "silence_ms",
            Figure::OverlapMs => "overlap_ms",
            Figure::OverlapRatio => "overlap_ratio",
            Figure::Gini => "gini",
            Figure::GiniCorrected => "gini_corrected",
            Figure::Evenness => "evenness",
            Figure::Turns => "turns",
            Figure::TurnCountVariance => "turn_count_variance",
            Figure::TurnCountCv => "turn_count_cv",
            Figure::FloorTransitions => "floor_transitions",
            Figure::Backchannels => "backchannels",
            Figure::LongestMonologueMs => "longest_monologue_ms",
            Figure::Burstiness => "burstiness",
            Figure::Share => "share",
        }
    }

    /// What the figure counts.
    pub fn unit(self) -> Unit {
        match self {
            Figure::DurationMs
            | Figure::SpeechMs
            | Figure::SilenceMs
            | Figure::OverlapMs
            | Figure::LongestMonologueMs => Unit::Ms,
            Figure::Turns | Figure::FloorTransitions | Figure::Backchannels => Unit::Count,
            Figure::OverlapRatio
            | Figure::Gini
            | Figure::GiniCorrected
            | Figure::Evenness
            | Figure::TurnCountVariance
            | Figure::TurnCountCv
            | Figure::Burstiness => Unit::Ratio,
            Figure::Share => Unit::Share,
        }
    }

    /// The figure's value for one seat: [`Figure::PERSON`] only.
    pub fn seat_value(self, seat: &SeatFigures) -> Option<f64> {
        match self {
            Figure::Share => Some(seat.share),
            Figure::Turns => Some(f64::from(seat.turns)),
            _ => None,
        }
    }

    /// The figure's value for session `s` as a whole.
    pub fn value(self, s: &SessionFigures) -> Option<f64> {
        let g = &s.group;
        match self {
            Figure::DurationMs => Some(g.duration_ms as f64),
            Figure::SpeechMs => Some(g.speech_ms as f64),
            Figure::SilenceMs => Some(g.silence_ms as f64),
            Figure::OverlapMs => Some(g.overlap_ms as f64),
            Figure::OverlapRatio => g.overlap_ratio,
            Figure::Gini => g.gini,
            Figure::GiniCorrected => g.gini_corrected,
            Figure::Evenness => g.evenness,
            Figure::Turns => Some(f64::from(g.turns)),
            Figure::TurnCountVariance => g.turn_count_variance,
            Figure::TurnCountCv => g.turn_count_cv,
            Figure::FloorTransitions => Some(f64::from(g.floor_transitions)),
            Figure::Backchannels => Some(f64::from(g.backchannels)),
            Figure::LongestMonologueMs => Some(
                g.longest_monologue
                    .as_ref()
                    .map_or(0.0, |m| m.duration_ms as f64),
            ),
            Figure::Burstiness => g.burstiness,
            Figure::Share => None,
        }
    }
}

/// One figure across sessions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrendFigure {
    /// The figure, by its name in `sessions[i].group` (or `seats[j]`).
    pub figure: Figure,
    /// The person it follows (roster name, else seat label, else
    /// `seat N`); absent for session figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Its value in each session, in report order (null where undefined
    /// or where the person was not there).
    pub values: Vec<Option<f64>>,
    /// Least-squares slope per session (change per session).
    pub slope_per_session: Option<f64>,
    /// Last defined value minus first.
    pub change: Option<f64>,
}

impl TrendFigure {
    fn of(figure: Figure, person: Option<String>, values: Vec<Option<f64>>) -> TrendFigure {
        let defined: Vec<f64> = values.iter().flatten().copied().collect();
        TrendFigure {
            figure,
            person,
            slope_per_session: balance::slope(&values),
            change: match (defined.first(), defined.last()) {
                (Some(a), Some(b)) if defined.len() >= 2 => Some(b - a),
                _ => None,
            },
            values,
        }
    }
}

/// People followed in `trend` at most: a long series of one-off speakers
/// (RTTM speaker ids are per recording) would otherwise grow as people ×
/// sessions. Those with the most meetings are kept.
pub const MAX_PEOPLE: usize = 200;

/// The trends of the session figures, then of each person's share and
/// turns (people who sat in two or more sessions, at most [`MAX_PEOPLE`],
/// in order of first appearance), in report order of the sessions.
pub fn trend(sessions: &[SessionFigures]) -> Vec<TrendFigure> {
    let mut trends: Vec<TrendFigure> = Figure::GROUP
        .iter()
        .map(|&f| TrendFigure::of(f, None, sessions.iter().map(|s| f.value(s)).collect()))
        .collect();
    let mut people: Vec<(usize, Attendance<'_>)> = attendance(sessions)
        .into_iter()
        .filter(|(_, seats)| seats.len() >= 2)
        .enumerate()
        .collect();
    if people.len() > MAX_PEOPLE {
        people.sort_by_key(|(order, (_, seats))| (std::cmp::Reverse(seats.len()), *order));
        people.truncate(MAX_PEOPLE);
        people.sort_by_key(|(order, _)| *order);
    }
    for (_, (person, seats)) in people {
        for figure in Figure::PERSON {
            let mut values = vec![None; sessions.len()];
            for &(i, seat) in &seats {
                if let Some(v) = values.get_mut(i) {
                    *v = figure.seat_value(seat);
                }
            }
            trends.push(TrendFigure::of(figure, Some(person.clone()), values));
        }
    }
    trends
}

#[cfg(test)]
mod tests {
    use super::*;
    fn session(shares: &[(&str, f64, u32)]) -> SessionFigures {
        let mut s = crate::metrics::people::tests::session("", shares);
        s.group.duration_ms = 60_000 * (s.seats.len() as u64);
        s
    }

    #[test]
    fn people_are_followed_by_name_across_seats() {
        let sessions = [
            session(&[("A", 0.9, 9), ("B", 0.1, 1)]),
            session(&[("B", 0.5, 5), ("A", 0.5, 4)]),
            session(&[("A", 0.2, 2), ("C", 0.8, 8)]),
        ];
        let trends = trend(&sessions);
        let duration = &trends[0];
        assert_eq!(duration.figure, Figure::DurationMs);
        assert_eq!(duration.slope_per_session, Some(0.0));
        let share_of = |who: &str| {
            trends
                .iter()
                .find(|t| t.figure == Figure::Share && t.person.as_deref() == Some(who))
                .unwrap()
        };
        assert_eq!(share_of("A").values, [Some(0.9), Some(0.5), Some(0.2)]);
        assert!((share_of("A").slope_per_session.unwrap() + 0.35).abs() < 1e-12);
        assert_eq!(share_of("B").values, [Some(0.1), Some(0.5), None]);
        assert!((share_of("B").change.unwrap() - 0.4).abs() < 1e-12);
        // C sat in one session only: nothing to follow.
        assert!(!trends.iter().any(|t| t.person.as_deref() == Some("C")));
        assert_eq!(trends.len(), 15 + 2 * 2);
        let json = serde_json::to_value(share_of("A")).unwrap();
        assert_eq!(json["figure"], "share");
        assert_eq!(json["person"], "A");
        assert!(serde_json::to_value(duration)
            .unwrap()
            .get("person")
            .is_none());
    }

    #[test]
    fn json_names_are_the_serialised_names() {
        for f in Figure::GROUP.into_iter().chain(Figure::PERSON) {
            assert_eq!(serde_json::to_value(f).unwrap(), f.name());
        }
    }
}
