//! The Open Badges speaking detector, the baseline the core must beat.
//!
//! The rule, as published with the Open Badges research badges
//! (HumanDynamics `openbadge-analysis`, `is_speaking` and `make_stitched`):
//!
//! 1. amplitudes (one byte per 50 ms per badge) are clipped at 120;
//! 2. a trailing 2-minute rolling median is subtracted;
//! 3. power = mean of the squared result over a trailing 1 s window;
//! 4. a badge speaks where its power exceeds a fixed threshold (42) **and**
//!    it has the highest power of all badges at that moment (loudest wins);
//! 5. per badge, gaps shorter than 0.5 s are filled, then segments shorter
//!    than 2 s are dropped.
//!
//! This is a re-implementation from that description, not a port. Gaps are
//! filled only between two speech segments (not at the ends of the meeting).

use crate::badge_meter::BADGE_SAMPLE_MS;
use crate::spans::Span;

/// Parameters of the Open Badges rule; the defaults are the published ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenBadgesParams {
    /// Power threshold (badge units squared).
    pub threshold: f64,
    /// Amplitudes above this are clipped (non-speech bangs).
    pub clip: u8,
    /// Rolling median window (samples of 50 ms): 2 minutes.
    pub median_window: usize,
    /// Power window (samples): 1 s.
    pub power_window: usize,
    /// Gaps shorter than this many samples are filled: 0.5 s.
    pub min_gap: usize,
    /// Segments shorter than this many samples are dropped: 2 s.
    pub min_talk: usize,
}

impl Default for OpenBadgesParams {
    fn default() -> Self {
        OpenBadgesParams {
            threshold: 42.0,
            clip: 120,
            median_window: 2400,
            power_window: 20,
            min_gap: 10,
            min_talk: 40,
        }
    }
}

/// Step 1–3: the power series of one badge, `[window]`.
pub fn power(amplitudes: &[u8], params: &OpenBadgesParams) -> Vec<f32> {
    let clip = params.clip;
    let x: Vec<u8> = amplitudes.iter().map(|&a| a.min(clip)).collect();
    let mut histogram = [0u32; 256];
    let mut in_window = 0usize;
    let mut energy = Vec::with_capacity(x.len());
    for (i, &a) in x.iter().enumerate() {
        histogram[usize::from(a)] += 1;
        in_window += 1;
        if i >= params.median_window.max(1) {
            histogram[usize::from(x[i - params.median_window.max(1)])] -= 1;
            in_window -= 1;
        }
        let d = f64::from(a) - median(&histogram, in_window);
        energy.push(d * d);
    }
    // Trailing mean (min_periods = 1) via a running sum.
    let w = params.power_window.max(1);
    let mut out = Vec::with_capacity(energy.len());
    let mut sum = 0.0;
    for i in 0..energy.len() {
        sum += energy[i];
        if i >= w {
            sum -= energy[i - w];
        }
        out.push((sum / (i + 1).min(w) as f64) as f32);
    }
    out
}

/// The median of `count` values in a byte histogram (mean of the two middle
/// values for an even count, as pandas).
fn median(histogram: &[u32; 256], count: usize) -> f64 {
    if count == 0 {
        return 0.0;
    }
    let lower_rank = (count - 1) / 2; // 0-based
    let upper_rank = count / 2;
    let (mut lower, mut upper) = (None, None);
    let mut seen = 0usize;
    for (value, &c) in histogram.iter().enumerate() {
        seen += c as usize;
        if lower.is_none() && seen > lower_rank {
            lower = Some(value);
        }
        if seen > upper_rank {
            upper = Some(value);
            break;
        }
    }
    (lower.unwrap_or(0) + upper.unwrap_or(0)) as f64 / 2.0
}

/// Steps 4–5 on precomputed powers `[seat][window]`: speaking spans (ms)
/// per seat.
pub fn decide(powers: &[Vec<f32>], threshold: f64, params: &OpenBadgesParams) -> Vec<Vec<Span>> {
    let len = powers.iter().map(Vec::len).min().unwrap_or(0);
    let mut speech = vec![vec![false; len]; powers.len()];
    for t in 0..len {
        let loudest = powers.iter().map(|p| p[t]).fold(f32::MIN, f32::max);
        for (seat, p) in powers.iter().enumerate() {
            speech[seat][t] = f64::from(p[t]) > threshold && p[t] == loudest;
        }
    }
    speech
        .iter_mut()
        .map(|s| {
            fill_short_gaps(s, params.min_gap);
            drop_short_runs(s, params.min_talk);
            runs(s)
                .into_iter()
                .map(|(a, b)| (a as u64 * BADGE_SAMPLE_MS, b as u64 * BADGE_SAMPLE_MS))
                .collect()
        })
        .collect()
}

/// The whole rule on amplitudes `[seat][window]`.
pub fn detect(amplitudes: &[Vec<u8>], params: &OpenBadgesParams) -> Vec<Vec<Span>> {
    let powers: Vec<Vec<f32>> = amplitudes.iter().map(|a| power(a, params)).collect();
    decide(&powers, params.threshold, params)
}

/// `[start, end)` index runs of `true`.
fn runs(s: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &v) in s.iter().enumerate() {
        match (v, start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                out.push((a, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(a) = start {
        out.push((a, s.len()));
    }
    out
}

fn fill_short_gaps(s: &mut [bool], min_gap: usize) {
    let r = runs(s);
    for w in r.windows(2) {
        let (gap_start, gap_end) = (w[0].1, w[1].0);
        if gap_end - gap_start < min_gap {
            s[gap_start..gap_end].fill(true);
        }
    }
}

fn drop_short_runs(s: &mut [bool], min_talk: usize) {
    for (a, b) in runs(s) {
        if b - a < min_talk {
            s[a..b].fill(false);
        }
    }
}

/// Thresholds tried when tuning the baseline on the truth: 60 values spaced
/// logarithmically from 1 to 10 000 badge units², which brackets every
/// sensible setting (the published 42 included).
pub fn threshold_grid() -> Vec<f64> {
    let mut g: Vec<f64> = (0..60).map(|k| 10f64.powf(4.0 * k as f64 / 59.0)).collect();
    g.push(42.0);
    g.sort_by(f64::total_cmp);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_matches_pandas_convention() {
        let mut h = [0u32; 256];
        h[1] = 1;
        h[5] = 1;
        assert_eq!(median(&h, 2), 3.0);
        h[9] = 1;
        assert_eq!(median(&h, 3), 5.0);
    }

    #[test]
    fn gap_filling_then_short_segment_dropping() {
        // 3 s speech, 0.3 s gap, 1 s speech, 1 s gap, 1.5 s speech.
        let mut s = Vec::new();
        s.extend([true; 60]);
        s.extend([false; 6]);
        s.extend([true; 20]);
        s.extend([false; 20]);
        s.extend([true; 30]);
        s.extend([false; 10]);
        let p = OpenBadgesParams::default();
        fill_short_gaps(&mut s, p.min_gap);
        drop_short_runs(&mut s, p.min_talk);
        assert_eq!(runs(&s), vec![(0, 86)]);
    }

    #[test]
    fn loudest_badge_wins_and_quiet_badges_stay_silent() {
        // Two badges: A talks for 5 s at 30 units over a floor of 3; B hears
        // it at 15 units. Only A is detected; no overlap is possible.
        let mut a = vec![3u8; 400];
        let mut b = vec![3u8; 400];
        for t in 100..200 {
            a[t] = 30;
            b[t] = 15;
        }
        let spans = detect(&[a, b], &OpenBadgesParams::default());
        assert_eq!(spans[1], vec![]);
        assert_eq!(spans[0].len(), 1);
        let (s, e) = spans[0][0];
        // Power rises within the first samples and lingers 1 s after.
        assert!((5000..5200).contains(&s), "{s}");
        assert!((10_000..11_100).contains(&e), "{e}");
    }

    #[test]
    fn threshold_grid_brackets_the_published_value() {
        let g = threshold_grid();
        assert!(g.contains(&42.0) && g[0] <= 1.0 && *g.last().unwrap_or(&0.0) >= 10_000.0);
    }
}
