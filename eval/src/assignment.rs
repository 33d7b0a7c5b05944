//! Optimal one-to-one assignment (the Hungarian method, Kuhn–Munkres).
//!
//! Scoring uses it to map reference speakers to seats when their labels do
//! not match: the mapping that maximises the total time both agree on, as in
//! the standard diarization error rate (NIST md-eval, pyannote.metrics).

/// The assignment of rows to columns that maximises the summed weight.
///
/// `weights[r][c]` is the gain of giving row `r` to column `c`; rows may be
/// fewer or more than columns (the surplus stays unassigned). Returns, for
/// each row, its column or `None`. Ragged rows are read as if padded with
/// zeros. Runs in O(n³) with n = max(rows, columns).
///
/// ```
/// use tabletalk_eval::assignment::maximum_weight_assignment;
/// let w = vec![vec![1.0, 9.0], vec![8.0, 2.0]];
/// assert_eq!(maximum_weight_assignment(&w), vec![Some(1), Some(0)]);
/// ```
pub fn maximum_weight_assignment(weights: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = weights.len();
    let cols = weights.iter().map(Vec::len).max().unwrap_or(0);
    let n = rows.max(cols);
    if n == 0 {
        return Vec::new();
    }
    let max_weight = weights
        .iter()
        .flatten()
        .copied()
        .filter(|w| w.is_finite())
        .fold(0.0f64, f64::max);
    // Minimise cost = max - weight on a square matrix padded with zeros
    // (padding cost = max_weight: a dummy pairing gains nothing).
    let cost = |r: usize, c: usize| -> f64 {
        let w = weights
            .get(r)
            .and_then(|row| row.get(c))
            .copied()
            .filter(|w| w.is_finite())
            .unwrap_or(0.0);
        max_weight - w
    };
    // Potentials method with 1-based helper arrays (index 0 = virtual).
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    let mut owner = vec![0usize; n + 1]; // owner[c] = row (1-based) holding column c
    let mut way = vec![0usize; n + 1];
    for r in 1..=n {
        owner[0] = r;
        let mut c0 = 0usize;
        let mut min_to = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[c0] = true;
            let r0 = owner[c0];
            let mut delta = f64::INFINITY;
            let mut c1 = 0usize;
            for c in 1..=n {
                if used[c] {
                    continue;
                }
                let reduced = cost(r0 - 1, c - 1) - u[r0] - v[c];
                if reduced < min_to[c] {
                    min_to[c] = reduced;
                    way[c] = c0;
                }
                if min_to[c] < delta {
                    delta = min_to[c];
                    c1 = c;
                }
            }
            for c in 0..=n {
                if used[c] {
                    u[owner[c]] += delta;
                    v[c] -= delta;
                } else {
                    min_to[c] -= delta;
                }
            }
            c0 = c1;
            if owner[c0] == 0 {
                break;
            }
        }
        loop {
            let c1 = way[c0];
            owner[c0] = owner[c1];
            c0 = c1;
            if c0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![None; rows];
    for (c, &r) in owner.iter().enumerate().skip(1) {
        if r >= 1 && r <= rows && c <= cols {
            result[r - 1] = Some(c - 1);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(weights: &[Vec<f64>], a: &[Option<usize>]) -> f64 {
        a.iter()
            .enumerate()
            .filter_map(|(r, c)| c.map(|c| weights[r].get(c).copied().unwrap_or(0.0)))
            .sum()
    }

    fn brute_force(weights: &[Vec<f64>]) -> f64 {
        // All injective maps rows -> columns ∪ {none}.
        fn go(w: &[Vec<f64>], r: usize, cols: usize, used: &mut Vec<bool>) -> f64 {
            if r == w.len() {
                return 0.0;
            }
            let mut best = go(w, r + 1, cols, used);
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    let g = w[r].get(c).copied().unwrap_or(0.0) + go(w, r + 1, cols, used);
                    used[c] = false;
                    best = best.max(g);
                }
            }
            best
        }
        let cols = weights.iter().map(Vec::len).max().unwrap_or(0);
        go(weights, 0, cols, &mut vec![false; cols])
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        let mut rng = crate::rng::Rng::new(5);
        for _ in 0..300 {
            let rows = 1 + rng.below(5);
            let cols = 1 + rng.below(5);
            let w: Vec<Vec<f64>> = (0..rows)
                .map(|_| (0..cols).map(|_| (rng.below(20)) as f64).collect())
                .collect();
            let a = maximum_weight_assignment(&w);
            assert_eq!(a.len(), rows);
            let mut seen = vec![false; cols];
            for c in a.iter().flatten() {
                assert!(!seen[*c], "column used twice");
                seen[*c] = true;
            }
            assert!(
                (total(&w, &a) - brute_force(&w)).abs() < 1e-9,
                "{w:?} {a:?}"
            );
        }
    }

    #[test]
    fn more_rows_than_columns_leaves_the_weakest_out() {
        let w = vec![vec![5.0], vec![7.0], vec![1.0]];
        assert_eq!(maximum_weight_assignment(&w), vec![None, Some(0), None]);
        assert!(maximum_weight_assignment(&[]).is_empty());
    }
}
