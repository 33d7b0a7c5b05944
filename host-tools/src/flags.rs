//! Parsers for numeric flags. Every float flag goes through one of these,
//! so NaN, infinities and values outside a flag's meaning are refused by
//! clap with a clear message and exit code 2, before any work starts.
//! (Durations such as `5m` are parsed by [`crate::duration`].)

/// A finite number, e.g. a gain in dB.
///
/// ```
/// use tabletalk::flags::finite;
/// assert_eq!(finite("-6.5"), Ok(-6.5));
/// assert!(finite("NaN").is_err());
/// assert!(finite("inf").is_err());
/// ```
///
/// # Errors
/// A message saying what is expected.
pub fn finite(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("`{text}` is not a finite number"))
    }
}

/// A finite number ≥ 0, e.g. a collar.
///
/// ```
/// use tabletalk::flags::non_negative;
/// assert_eq!(non_negative("0"), Ok(0.0));
/// assert!(non_negative("-1").is_err());
/// ```
///
/// # Errors
/// A message saying what is expected.
pub fn non_negative(text: &str) -> Result<f64, String> {
    let value = finite(text)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("`{text}`: must be 0 or more"))
    }
}

/// A finite number > 0, e.g. a timeout or a rate.
///
/// ```
/// use tabletalk::flags::positive;
/// assert_eq!(positive("0.5"), Ok(0.5));
/// assert!(positive("0").is_err());
/// assert!(positive("-inf").is_err());
/// ```
///
/// # Errors
/// A message saying what is expected.
pub fn positive(text: &str) -> Result<f64, String> {
    let value = finite(text)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(format!("`{text}`: must be more than 0"))
    }
}

/// A clap value parser for a number in `min..=max`, e.g. a timeout in
/// seconds that must also fit a `Duration`.
///
/// ```
/// use tabletalk::flags::within;
/// let timeout = within(0.05, 600.0);
/// assert_eq!(timeout("2"), Ok(2.0));
/// assert!(timeout("1e9").unwrap_err().contains("0.05 to 600"));
/// ```
pub fn within(min: f64, max: f64) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync {
    move |text| {
        let value = finite(text)?;
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(format!("`{text}`: must be from {min} to {max}"))
        }
    }
}
