//! Human-readable numbers shared by the text, Markdown and HTML reports.

use crate::metrics::trend::Unit;
use crate::metrics::SessionFigures;

/// A duration for people: `850 ms`, `4.2 s`, `3:07`, `1:02:03`.
///
/// ```
/// use tabletalk::report::format::duration;
/// assert_eq!(duration(850), "850 ms");
/// assert_eq!(duration(4_249), "4.2 s");
/// assert_eq!(duration(187_000), "3:07");
/// assert_eq!(duration(3_723_000), "1:02:03");
/// ```
pub fn duration(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        clock(ms)
    }
}

/// A position in a session: `m:ss` or `h:mm:ss`.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A duration given as `f64` ms (a mean or median), or `–` when undefined.
pub fn duration_f(ms: Option<f64>) -> String {
    ms.map_or_else(|| "–".to_owned(), |ms| duration(ms.max(0.0).round() as u64))
}

/// A share as a whole percentage: `0.314` → `31%`.
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A figure with two decimals, or `–` when undefined.
pub fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

/// A value of a figure in `unit`, or `–` when undefined.
///
/// ```
/// use tabletalk::metrics::trend::Unit;
/// use tabletalk::report::format::in_unit;
/// assert_eq!(in_unit(Unit::Ms, Some(264_023.5)), "4:24");
/// assert_eq!(in_unit(Unit::Share, Some(0.19)), "19%");
/// assert_eq!(in_unit(Unit::Count, Some(12.0)), "12");
/// ```
pub fn in_unit(unit: Unit, value: Option<f64>) -> String {
    match (unit, value) {
        (_, None) => "–".to_owned(),
        (Unit::Ms, Some(ms)) => duration(ms.max(0.0).round() as u64),
        (Unit::Share, Some(v)) => percent(v),
        (Unit::Count, Some(v)) if v.fract() == 0.0 => format!("{v:.0}"),
        (Unit::Count, Some(v)) => format!("{v:.1}"),
        (Unit::Ratio, Some(v)) => format!("{v:.2}"),
    }
}

/// A signed change of a figure in `unit` (a slope per session, a
/// difference), or `–` when undefined.
///
/// ```
/// use tabletalk::metrics::trend::Unit;
/// use tabletalk::report::format::change_in_unit;
/// assert_eq!(change_in_unit(Unit::Ms, Some(264_023.5)), "+4:24");
/// assert_eq!(change_in_unit(Unit::Ms, Some(-1_500.0)), "−1.5 s");
/// assert_eq!(change_in_unit(Unit::Share, Some(0.051)), "+5.1 pts");
/// assert_eq!(change_in_unit(Unit::Ratio, Some(-0.031)), "−0.03");
/// assert_eq!(change_in_unit(Unit::Ratio, Some(-0.001)), "+0.00");
/// ```
pub fn change_in_unit(unit: Unit, value: Option<f64>) -> String {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return "–".to_owned();
    };
    let size = v.abs();
    let magnitude = match unit {
        Unit::Ms => duration(size.round() as u64),
        Unit::Share => format!("{:.1} pts", size * 100.0),
        Unit::Count => format!("{size:.1}"),
        Unit::Ratio => format!("{size:.2}"),
    };
    // A change that rounds to zero has no sign worth reading.
    let rounds_to_zero = !magnitude.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if v < 0.0 && !rounds_to_zero {
        "−"
    } else {
        "+"
    };
    format!("{sign}{magnitude}")
}

/// At most `max` values joined by arrows, the middle elided.
///
/// ```
/// let v: Vec<String> = (1..=9).map(|i| i.to_string()).collect();
/// assert_eq!(tabletalk::report::format::arrows(&v, 6), "1 → 2 → 3 → … → 7 → 8 → 9");
/// assert_eq!(tabletalk::report::format::arrows(&v[..3], 6), "1 → 2 → 3");
/// ```
pub fn arrows(values: &[String], max: usize) -> String {
    if values.len() <= max {
        return values.join(" → ");
    }
    let half = max / 2;
    let head = values.iter().take(half);
    let tail = values.iter().skip(values.len() - (max - half));
    let mut parts: Vec<&str> = head.map(String::as_str).collect();
    parts.push("…");
    parts.extend(tail.map(String::as_str));
    parts.join(" → ")
}

/// A signed offset in ms as seconds: `-0.20 s`, `+0.45 s`.
pub fn offset(ms: Option<f64>) -> String {
    ms.map_or_else(|| "–".to_owned(), |ms| format!("{:+.2} s", ms / 1000.0))
}

/// A bar of `width` cells for a share in 0–1, in eighths of a cell.
///
/// ```
/// assert_eq!(tabletalk::report::format::bar(0.5, 4), "██");
/// ```
pub fn bar(share: f64, width: usize) -> String {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (share.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    bar.push_str(EIGHTHS.get(eighths % 8).copied().unwrap_or(""));
    bar
}

/// How a figure compares with an equal share, in words a facilitator can
/// read: `about fair`, `1.6× fair share`, `half a fair share`, `silent`.
pub fn versus_fair(share: f64, seats: usize) -> String {
    if seats == 0 {
        return String::new();
    }
    let ratio = share * seats as f64;
    if share == 0.0 {
        "silent".to_owned()
    } else if (0.8..=1.25).contains(&ratio) {
        "about fair".to_owned()
    } else {
        format!("{ratio:.1}× fair share")
    }
}

/// Plain words for the balance of a session: its evenness (1 = everyone
/// spoke equally, 0 = one person did all the talking). "Balance" is the
/// evenness everywhere in the reports, on cards and charts alike.
pub fn balance_words(evenness: Option<f64>) -> &'static str {
    match evenness {
        None => "no speech",
        Some(e) if e >= 0.95 => "very balanced",
        Some(e) if e >= 0.85 => "fairly balanced",
        Some(e) if e >= 0.70 => "unbalanced",
        Some(_) => "dominated by a few",
    }
}

/// A wall-clock time (Unix ms) as `2026-12-03 14:05 UTC`.
///
/// ```
/// assert_eq!(tabletalk::report::format::wall_clock(0), "1970-01-01 00:00 UTC");
/// assert_eq!(tabletalk::report::format::wall_clock(1_796_306_700_000), "2026-12-03 14:05 UTC");
/// ```
pub fn wall_clock(unix_ms: u64) -> String {
    let (year, month, day, hour, minute, _) = crate::device::naming::civil(unix_ms);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

/// What a meeting is called in headings: its start on the device's wall
/// clock when known, else its recording (the log's file name).
pub fn meeting_name(s: &SessionFigures) -> String {
    match s.wall_clock_start_ms {
        Some(ms) => wall_clock(ms),
        None => crate::roster::recording(&s.source).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_bars() {
        assert_eq!(versus_fair(0.25, 4), "about fair");
        assert_eq!(versus_fair(0.4, 4), "1.6× fair share");
        assert_eq!(versus_fair(0.0, 4), "silent");
        assert_eq!(bar(0.0, 10), "");
        assert_eq!(bar(1.0, 3), "███");
        assert_eq!(bar(0.5, 1), "▌");
        assert_eq!(offset(Some(-200.0)), "-0.20 s");
        assert_eq!(duration_f(None), "–");
        assert_eq!(balance_words(Some(0.5)), "dominated by a few");
        assert_eq!(balance_words(Some(0.96)), "very balanced");
        assert_eq!(wall_clock(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
