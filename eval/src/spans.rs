//! Sets of time spans (milliseconds): what a seat or a reference speaker was
//! doing, as the scorer and the baseline see it.

/// A half-open time span `[start, end)` in milliseconds.
pub type Span = (u64, u64);

/// Sorts spans and merges those that overlap or touch; drops empty ones.
///
/// ```
/// use tabletalk_eval::spans::union;
/// assert_eq!(union(vec![(5, 9), (0, 2), (2, 3), (8, 12), (20, 20)]), vec![(0, 3), (5, 12)]);
/// ```
pub fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|(s, e)| e > s);
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Total length of already-unioned spans.
pub fn total(spans: &[Span]) -> u64 {
    spans.iter().map(|(s, e)| e - s).sum()
}

/// Total length of the intersection of two unioned span lists.
pub fn overlap(a: &[Span], b: &[Span]) -> u64 {
    let (mut i, mut j, mut sum) = (0, 0, 0u64);
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if e > s {
            sum += e - s;
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    sum
}

/// The parts of unioned `a` not in unioned `b`.
///
/// ```
/// use tabletalk_eval::spans::difference;
/// assert_eq!(difference(&[(0, 10), (20, 30)], &[(5, 22)]), vec![(0, 5), (22, 30)]);
/// ```
pub fn difference(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(s, e) in a {
        let mut from = s;
        while j < b.len() && b[j].1 <= from {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].0 < e {
            if b[k].0 > from {
                out.push((from, b[k].0));
            }
            from = from.max(b[k].1);
            k += 1;
        }
        if from < e {
            out.push((from, e));
        }
    }
    out
}

/// The parts of unioned `a` that are also in unioned `b`.
pub fn intersection(a: &[Span], b: &[Span]) -> Vec<Span> {
    difference(a, &difference(a, b))
}

/// Clips unioned spans to `[start, end)`.
pub fn clip(spans: &[Span], start: u64, end: u64) -> Vec<Span> {
    spans
        .iter()
        .filter_map(|&(s, e)| {
            let (s, e) = (s.max(start), e.min(end));
            (e > s).then_some((s, e))
        })
        .collect()
}

/// A cursor answering "is time t inside one of these spans?" for
/// non-decreasing t in amortised O(1).
#[derive(Debug)]
pub struct Cursor<'a> {
    spans: &'a [Span],
    next: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of unioned `spans`.
    pub fn new(spans: &'a [Span]) -> Self {
        Cursor { spans, next: 0 }
    }

    /// Whether `t` lies in a span; `t` must not decrease between calls.
    pub fn contains(&mut self, t: u64) -> bool {
        while let Some(&(_, e)) = self.spans.get(self.next) {
            if e <= t {
                self.next += 1;
            } else {
                break;
            }
        }
        self.spans.get(self.next).is_some_and(|&(s, _)| s <= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_and_cursor() {
        let a = union(vec![(0, 10), (20, 30)]);
        let b = union(vec![(5, 25)]);
        assert_eq!(overlap(&a, &b), 10);
        assert_eq!(total(&a), 20);
        assert_eq!(clip(&a, 5, 22), vec![(5, 10), (20, 22)]);
        assert_eq!(intersection(&a, &b), vec![(5, 10), (20, 25)]);
        assert_eq!(difference(&b, &a), vec![(10, 20)]);
        assert_eq!(difference(&a, &[]), a);
        assert_eq!(difference(&a, &[(0, 100)]), vec![]);
        let mut c = Cursor::new(&a);
        let hits: Vec<bool> = [0, 9, 10, 19, 20, 29, 30]
            .iter()
            .map(|&t| c.contains(t))
            .collect();
        assert_eq!(hits, [true, true, false, false, true, true, false]);
    }
}
