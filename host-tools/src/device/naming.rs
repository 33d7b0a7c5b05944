//! Names for pulled log files, and the few time formats the device commands
//! print. Names sort by device, then by start time.

use tabletalk_core::protocol::{DeviceInfo, SessionInfo};

/// The extension of a pulled session log.
pub const LOG_EXTENSION: &str = "ttlog";

/// A label for the device that is safe in a file name: its configured name
/// if it has one, else its id.
pub fn device_label(info: &DeviceInfo) -> String {
    let name = file_safe(&info.name);
    if name.is_empty() {
        format!("tabletalk-{:016x}", info.device_id)
    } else {
        name
    }
}

/// Keeps ASCII letters, digits, `-` and `_`; runs of anything else become
/// one `-`; no leading or trailing `-`. Never yields a path separator or a
/// dot, so the result cannot leave the folder it is joined to.
///
/// ```
/// use tabletalk::device::naming::file_safe;
/// assert_eq!(file_safe("Table 3 / Room B"), "Table-3-Room-B");
/// assert_eq!(file_safe("../.."), "");
/// ```
pub fn file_safe(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(40).collect()
}

/// The file name for a session: `<device>_<start as UTC>.ttlog`, e.g.
/// `table-3_2024-05-01T09-30-12Z.ttlog`, or `<device>_session-00012.ttlog`
/// when the device's clock was not set when the session started.
pub fn session_file_name(info: &DeviceInfo, session: &SessionInfo) -> String {
    let label = device_label(info);
    match session.start_unix_ms {
        Some(ms) => format!("{label}_{}.{LOG_EXTENSION}", utc_compact(ms)),
        None => format!("{label}_session-{:05}.{LOG_EXTENSION}", session.id.0),
    }
}

/// `2024-05-01T09-30-12Z`: ISO 8601 with `-` for `:`, valid in file names
/// everywhere.
pub fn utc_compact(unix_ms: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}-{mi:02}-{s:02}Z")
}

/// `2024-05-01 09:30:12 UTC`.
pub fn utc_readable(unix_ms: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// `1:02:03` or `2:03` for a duration in milliseconds.
pub fn clock_duration(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Human-readable byte count: `812 B`, `12.3 KiB`, `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

/// Year, month, day, hour, minute, second (UTC) of Unix milliseconds.
pub(crate) fn civil(unix_ms: u64) -> (i64, u32, u32, u64, u64, u64) {
    let secs = unix_ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days to a civil date (Howard Hinnant's algorithm, proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabletalk_core::protocol::{StoredSessionId, PROTOCOL_VERSION};

    #[test]
    fn civil_dates() {
        assert_eq!(utc_compact(0), "1970-01-01T00-00-00Z");
        assert_eq!(utc_readable(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_compact(1_714_555_812_345), "2024-05-01T09-30-12Z");
        assert_eq!(utc_compact(4_102_444_799_000), "2099-12-31T23-59-59Z");
    }

    #[test]
    fn names() {
        let mut info = DeviceInfo {
            protocol: PROTOCOL_VERSION,
            device_id: 0xE660_C0FF_EE00_1234,
            firmware: heapless::String::new(),
            name: heapless::String::new(),
            max_chunk: 512,
        };
        let mut session = SessionInfo {
            id: StoredSessionId(12),
            start_unix_ms: Some(1_714_555_812_345),
            len: 0,
            recording: false,
            truncated: false,
            interrupted: false,
        };
        assert_eq!(
            session_file_name(&info, &session),
            "tabletalk-e660c0ffee001234_2024-05-01T09-30-12Z.ttlog"
        );
        info.name = heapless::String::try_from("Room B/table 3").unwrap();
        session.start_unix_ms = None;
        assert_eq!(
            session_file_name(&info, &session),
            "Room-B-table-3_session-00012.ttlog"
        );
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(clock_duration(62_500), "1:02");
        assert_eq!(clock_duration(3_723_000), "1:02:03");
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(1536), "1.5 KiB");
    }
}
