//! How evenly something is spread over the seats: Gini (two forms),
//! evenness (normalised entropy), variance and coefficient of variation;
//! and burstiness of event timing. Definitions and sources: docs/metrics.md.

/// Gini coefficient, population form: `Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ)`.
/// 0 = all equal; its maximum for n values is `(n − 1)/n` (one holds all).
/// `None` when there are no values or they sum to 0.
///
/// ```
/// use tabletalk::metrics::balance::gini;
/// assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), Some(0.0));
/// assert_eq!(gini(&[0.0, 0.0, 0.0, 4.0]), Some(0.75));
/// ```
pub fn gini(values: &[f64]) -> Option<f64> {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Σᵢ (2i − n − 1) x₍ᵢ₎ / (n Σx), i from 1, equals the pairwise form.
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x)
        .sum();
    Some((weighted / (n as f64 * total)).max(0.0))
}

/// Gini coefficient with the small-group correction `n/(n − 1)`, which
/// reaches 1 when one of n holds everything. `None` as [`gini`], or n < 2.
///
/// ```
/// use tabletalk::metrics::balance::gini_corrected;
/// assert_eq!(gini_corrected(&[0.0, 0.0, 0.0, 4.0]), Some(1.0));
/// ```
pub fn gini_corrected(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    gini(values).map(|g| g * n as f64 / (n as f64 - 1.0))
}

/// Evenness (Pielou's J): Shannon entropy of the shares over `ln n`,
/// 1 = all equal, 0 = one holds everything (`0 ln 0 = 0`). `None` for
/// n < 2 or a zero total.
///
/// ```
/// use tabletalk::metrics::balance::evenness;
/// assert_eq!(evenness(&[2.0, 2.0]), Some(1.0));
/// assert_eq!(evenness(&[0.0, 5.0]), Some(0.0));
/// ```
pub fn evenness(values: &[f64]) -> Option<f64> {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n < 2 || total <= 0.0 {
        return None;
    }
    let entropy: f64 = values
        .iter()
        .filter(|&&x| x > 0.0)
        .map(|x| {
            let p = x / total;
            -p * p.ln()
        })
        .sum();
    Some((entropy / (n as f64).ln()).clamp(0.0, 1.0))
}

/// Arithmetic mean; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Population variance `Σ (x − μ)² / n`; `None` when empty.
///
/// ```
/// use tabletalk::metrics::balance::variance;
/// assert_eq!(variance(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), Some(4.0));
/// ```
pub fn variance(values: &[f64]) -> Option<f64> {
    let mu = mean(values)?;
    Some(values.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / values.len() as f64)
}

/// Coefficient of variation, population standard deviation over the mean;
/// `None` when empty or the mean is 0.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    let mu = mean(values)?;
    (mu > 0.0).then(|| variance(values).unwrap_or(0.0).sqrt() / mu)
}

/// Median (mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The `q` quantile (0 ≤ q ≤ 1) with linear interpolation between order
/// statistics (type 7, the default of R and NumPy); `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (a, b) = (sorted.get(lo)?, sorted.get(hi)?);
    Some(a + (b - a) * (h - lo as f64))
}

/// Burstiness `B = (σ − μ)/(σ + μ)` of inter-event times (Goh & Barabási
/// 2008): −1 perfectly regular, 0 random (Poisson), towards 1 bursty.
/// `None` with fewer than two intervals or all intervals 0.
///
/// ```
/// use tabletalk::metrics::balance::burstiness;
/// assert_eq!(burstiness(&[0, 10, 20, 30]), Some(-1.0)); // a metronome
/// ```
pub fn burstiness(onsets: &[u64]) -> Option<f64> {
    let gaps: Vec<f64> = onsets
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]) as f64)
        .collect();
    if gaps.len() < 2 {
        return None;
    }
    let mu = mean(&gaps)?;
    let sigma = variance(&gaps)?.sqrt();
    (sigma + mu > 0.0).then(|| (sigma - mu) / (sigma + mu))
}

/// Least-squares slope of `values` against their position 0, 1, 2, …
/// (missing values skipped); `None` with fewer than two values.
///
/// ```
/// use tabletalk::metrics::balance::slope;
/// assert_eq!(slope(&[Some(1.0), None, Some(5.0)]), Some(2.0));
/// ```
pub fn slope(values: &[Option<f64>]) -> Option<f64> {
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
        .collect();
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    /// The pairwise definition, for comparison with the sorted formula.
    fn gini_pairwise(x: &[f64]) -> f64 {
        let n = x.len() as f64;
        let mu = x.iter().sum::<f64>() / n;
        let sum: f64 = x
            .iter()
            .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
            .sum();
        sum / (2.0 * n * n * mu)
    }

    #[test]
    fn gini_hand_computed() {
        // 1, 2, 3, 4: Σ|xi−xj| over ordered pairs = 20, n² = 16, μ = 2.5 → 20/80.
        assert!(close(gini(&[1.0, 2.0, 3.0, 4.0]), 0.25));
        assert!(close(
            gini_corrected(&[1.0, 2.0, 3.0, 4.0]),
            0.25 * 4.0 / 3.0
        ));
        // Two seats, one silent: population 0.5, corrected 1.
        assert!(close(gini(&[0.0, 10.0]), 0.5));
        assert!(close(gini_corrected(&[0.0, 10.0]), 1.0));
        assert_eq!(gini(&[0.0, 0.0]), None);
        assert_eq!(gini(&[]), None);
        assert_eq!(gini_corrected(&[3.0]), None);
        for x in [vec![3.0, 1.0, 7.0], vec![5.0, 0.0, 0.0, 2.0, 9.0]] {
            assert!(close(gini(&x), gini_pairwise(&x)));
        }
    }

    #[test]
    fn evenness_hand_computed() {
        // shares 1/2, 1/4, 1/4: H = 1.5 ln 2, ln 3 → J = 1.5 ln2 / ln3.
        let expected = 1.5 * 2f64.ln() / 3f64.ln();
        assert!(close(evenness(&[2.0, 1.0, 1.0]), expected));
        assert_eq!(evenness(&[1.0]), None);
        assert_eq!(evenness(&[0.0, 0.0]), None);
    }

    #[test]
    fn spread_hand_computed() {
        // Turn counts 2, 4, 6: mean 4, variance 8/3, CV = sqrt(8/3)/4.
        assert!(close(variance(&[2.0, 4.0, 6.0]), 8.0 / 3.0));
        assert!(close(
            coefficient_of_variation(&[2.0, 4.0, 6.0]),
            (8.0f64 / 3.0).sqrt() / 4.0
        ));
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), Some(2.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn burstiness_hand_computed() {
        // gaps 1, 1, 10: μ = 4, σ = sqrt(18) → (σ − μ)/(σ + μ).
        let s = 18f64.sqrt();
        assert!(close(burstiness(&[0, 1, 2, 12]), (s - 4.0) / (s + 4.0)));
        assert_eq!(burstiness(&[0, 5]), None);
        assert_eq!(burstiness(&[3, 3, 3]), None);
    }
}
