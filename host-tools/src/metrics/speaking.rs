//! Speaking time and turns per seat: the union of each seat's activity,
//! and the length distribution of its turns.

use super::balance;

/// One seat's speaking figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Speaking {
    /// Total speaking time: the length of the union of the seat's turns.
    pub speaking_ms: u64,
    /// Number of turns (maximal stretches of activity).
    pub turns: u32,
    /// Mean turn length; `None` without turns.
    pub mean_turn_ms: Option<f64>,
    /// Median turn length; `None` without turns.
    pub median_turn_ms: Option<f64>,
    /// Longest turn; 0 without turns.
    pub longest_turn_ms: u64,
}

/// Speaking figures of each seat from its sorted, disjoint stretches.
pub fn per_seat(by_seat: &[Vec<(u64, u64)>]) -> Vec<Speaking> {
    by_seat
        .iter()
        .map(|stretches| {
            let lengths: Vec<f64> = stretches.iter().map(|(a, b)| (b - a) as f64).collect();
            Speaking {
                speaking_ms: stretches.iter().map(|(a, b)| b - a).sum(),
                turns: u32::try_from(stretches.len()).unwrap_or(u32::MAX),
                mean_turn_ms: balance::mean(&lengths),
                median_turn_ms: balance::median(&lengths),
                longest_turn_ms: stretches.iter().map(|(a, b)| b - a).max().unwrap_or(0),
            }
        })
        .collect()
}

/// `part / whole`, 0 when the whole is 0 (a silent meeting has no shares).
pub fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        let figures = per_seat(&[vec![(0, 100), (200, 500), (600, 700)], vec![]]);
        assert_eq!(figures[0].speaking_ms, 500);
        assert_eq!(figures[0].turns, 3);
        assert_eq!(figures[0].mean_turn_ms, Some(500.0 / 3.0));
        assert_eq!(figures[0].median_turn_ms, Some(100.0));
        assert_eq!(figures[0].longest_turn_ms, 300);
        assert_eq!(figures[1], Speaking::default());
        assert_eq!(share(1, 4), 0.25);
        assert_eq!(share(0, 0), 0.0);
    }
}
