//! Across sessions: each session figure in session order, and its trend.

use serde::Serialize;

use super::{balance, SessionFigures};

/// One session figure across sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TrendFigure {
    /// The figure's name, as in `sessions[i].group`.
    pub figure: String,
    /// Its value in each session, in report order (null where undefined).
    pub values: Vec<Option<f64>>,
    /// Least-squares slope per session (change per session).
    pub slope_per_session: Option<f64>,
    /// Last defined value minus first.
    pub change: Option<f64>,
}

/// The trends of the session figures, in report order of the sessions.
pub fn trend(sessions: &[SessionFigures]) -> Vec<TrendFigure> {
    type Getter = fn(&SessionFigures) -> Option<f64>;
    let figures: [(&str, Getter); 15] = [
        ("duration_ms", |s| Some(s.group.duration_ms as f64)),
        ("speech_ms", |s| Some(s.group.speech_ms as f64)),
        ("silence_ms", |s| Some(s.group.silence_ms as f64)),
        ("overlap_ms", |s| Some(s.group.overlap_ms as f64)),
        ("overlap_ratio", |s| s.group.overlap_ratio),
        ("gini", |s| s.group.gini),
        ("gini_corrected", |s| s.group.gini_corrected),
        ("evenness", |s| s.group.evenness),
        ("turns", |s| Some(f64::from(s.group.turns))),
        ("turn_count_variance", |s| s.group.turn_count_variance),
        ("turn_count_cv", |s| s.group.turn_count_cv),
        ("floor_transitions", |s| {
            Some(f64::from(s.group.floor_transitions))
        }),
        ("backchannels", |s| Some(f64::from(s.group.backchannels))),
        ("longest_monologue_ms", |s| {
            Some(
                s.group
                    .longest_monologue
                    .as_ref()
                    .map_or(0.0, |m| m.duration_ms as f64),
            )
        }),
        ("burstiness", |s| s.group.burstiness),
    ];
    figures
        .iter()
        .map(|(name, get)| {
            let values: Vec<Option<f64>> = sessions.iter().map(get).collect();
            let defined: Vec<f64> = values.iter().flatten().copied().collect();
            TrendFigure {
                figure: (*name).to_owned(),
                slope_per_session: balance::slope(&values),
                change: match (defined.first(), defined.last()) {
                    (Some(a), Some(b)) if defined.len() >= 2 => Some(b - a),
                    _ => None,
                },
                values,
            }
        })
        .collect()
}
