//! Durations on the command line: `5m`, `90s`, `1h30m`, `2.5m`, `750ms`.

/// Parses a duration into milliseconds: one or more `<number><unit>` parts
/// with units `h`, `m`, `s`, `ms` (a bare number means seconds). Decimals
/// are allowed. Zero is refused (a window must have a length).
///
/// ```
/// use tabletalk::duration::parse_duration_ms;
/// assert_eq!(parse_duration_ms("5m"), Ok(300_000));
/// assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
/// assert_eq!(parse_duration_ms("2.5s"), Ok(2_500));
/// assert_eq!(parse_duration_ms("750ms"), Ok(750));
/// assert_eq!(parse_duration_ms("90"), Ok(90_000));
/// assert!(parse_duration_ms("5 parsecs").is_err());
/// ```
///
/// # Errors
/// A message saying what is expected.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a duration: use e.g. 5m, 90s, 1h30m or 750ms");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let value: f64 = number.parse().map_err(|_| bad())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale = match unit {
            "h" => 3_600_000.0,
            "m" | "min" => 60_000.0,
            "s" | "" => 1_000.0,
            "ms" => 1.0,
            _ => return Err(bad()),
        };
        if unit.is_empty() && !after.is_empty() {
            return Err(bad());
        }
        total += value * scale;
        rest = after;
    }
    let ms = total.round();
    if !(1.0..1e15).contains(&ms) {
        return Err(format!(
            "`{text}` is not a usable duration (it must be at least 1 ms)"
        ));
    }
    Ok(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_nonsense() {
        for bad in ["", "m", "0", "0s", "-5m", "5x", "1.2.3s", "5m 3"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration_ms("1m30s"), Ok(90_000));
    }
}
