//! Integer logarithms: levels in tenths of a decibel without floating point.
//!
//! Speech detection compares levels as *ratios* (a frame 9 dB above the
//! noise floor, a neighbour 10 dB quieter), so the level path works in the
//! log domain: ratios become differences of small integers. The unit is a
//! tenth of a decibel of amplitude (`db10`), i.e. `200·log10(ratio)`.
//!
//! [`log2_q12`] is exact at powers of two and interpolates a 17-entry table
//! in between (error below 0.001 in log2, 0.006 dB); it runs once per frame
//! per seat, never per sample.
//!
//! ```
//! use tabletalk_core::activity::db::{db10_of_ratio, log2_q12};
//! assert_eq!(log2_q12(1), Some(0));
//! assert_eq!(log2_q12(1024), Some(10 * 4096));
//! assert_eq!(log2_q12(0), None);
//! // An amplitude ratio of 10 is 20 dB.
//! assert_eq!(db10_of_ratio(1000, 100), 200);
//! // Half the amplitude is -6.0 dB.
//! assert_eq!(db10_of_ratio(50, 100), -60);
//! ```

/// log2(1 + i/16) in Q16, i = 0..=16.
const LOG2_TABLE_Q16: [u32; 17] = [
    0, 5732, 11136, 16248, 21098, 25711, 30109, 34312, 38336, 42196, 45904, 49472, 52911, 56229,
    59434, 62534, 65536,
];

/// 200·log10(2) in Q8: tenths of a dB per octave of amplitude.
const DB10_PER_OCTAVE_Q8: i32 = 15413;

/// The lowest level the level path reports (−140 dBFS), also used for a
/// frame with no deviation at all.
pub const LEVEL_MIN_DB10: i16 = -1400;

/// The highest level the level path reports (+6 dBFS; full-scale square
/// waves measure 0 dBFS).
pub const LEVEL_MAX_DB10: i16 = 60;

/// Significant bits of `x` (0 for 0), by table: Cortex-M0+ has no CLZ
/// (`leading_zeros` is a library call there).
#[inline(always)]
pub(crate) fn bit_length(x: u32) -> u32 {
    let len = |v: u32| u32::from(BIT_LENGTH.get(v as usize).copied().unwrap_or(8));
    // Two comparisons for any `x`.
    if x < 1 << 16 {
        if x < 1 << 8 {
            len(x)
        } else {
            8 + len(x >> 8)
        }
    } else if x < 1 << 24 {
        16 + len(x >> 16)
    } else {
        24 + len(x >> 24)
    }
}

/// Significant bits of `0..256` (evaluated at compile time: an index out
/// of range would not compile).
#[allow(clippy::indexing_slicing)]
const BIT_LENGTH: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 1;
    while i < 256 {
        t[i] = (8 - (i as u8).leading_zeros()) as u8;
        i += 1;
    }
    t
};

/// log2(`x`) with 12 fractional bits, or `None` for 0.
pub fn log2_q12(x: u32) -> Option<i32> {
    if x == 0 {
        return None;
    }
    let octave = bit_length(x) - 1;
    // The 16 bits below the leading one.
    let frac = ((x << (31 - octave)) >> 15) & 0xFFFF;
    let index = (frac >> 12) as usize;
    let within = frac & 0xFFF;
    let low = LOG2_TABLE_Q16.get(index).copied().unwrap_or(0);
    let high = LOG2_TABLE_Q16.get(index + 1).copied().unwrap_or(65536);
    let mantissa_q16 = low + (((high - low) * within) >> 12);
    Some((octave as i32) * 4096 + (mantissa_q16 >> 4) as i32)
}

/// Converts log2 Q12 to tenths of a dB of amplitude (rounds toward −∞).
/// Once per frame, so 64-bit arithmetic is affordable and rules out
/// overflow for any input.
pub const fn db10_from_log2_q12(log2: i32) -> i32 {
    ((log2 as i64 * DB10_PER_OCTAVE_Q8 as i64) >> 20) as i32
}

/// `200·log10(num / den)`: the amplitude ratio in tenths of a dB; 0 if
/// either is 0.
pub fn db10_of_ratio(num: u32, den: u32) -> i32 {
    match (log2_q12(num), log2_q12(den)) {
        (Some(a), Some(b)) => {
            let d = i64::from(a - b);
            // Round to nearest, symmetric around 0.
            let scaled = d * i64::from(DB10_PER_OCTAVE_Q8);
            let rounded = if scaled >= 0 {
                (scaled + (1 << 19)) >> 20
            } else {
                -((-scaled + (1 << 19)) >> 20)
            };
            rounded as i32
        }
        _ => 0,
    }
}

/// The level of a frame in dBFS × 10: the mean absolute deviation
/// `sum_q4 / 16 / count` relative to `full_scale`, given `log2_q12` of the
/// full scale. Clamped to [`LEVEL_MIN_DB10`]..=[`LEVEL_MAX_DB10`].
pub fn frame_level_db10(sum_q4: u32, count: u32, log2_full_scale_q12: i32) -> i16 {
    let (Some(sum), Some(n)) = (log2_q12(sum_q4), log2_q12(count)) else {
        return LEVEL_MIN_DB10;
    };
    let log2 = sum - n - 4 * 4096 - log2_full_scale_q12;
    let db10 = db10_from_log2_q12(log2);
    db10.clamp(i32::from(LEVEL_MIN_DB10), i32::from(LEVEL_MAX_DB10)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_is_32_minus_leading_zeros() {
        let mut x = 0u32;
        for b in 0..32 {
            for v in [
                1u32 << b,
                (1u32 << b).wrapping_sub(1),
                (1u32 << b) | 1,
                (3u32 << b) >> 1,
            ] {
                assert_eq!(bit_length(v), 32 - v.leading_zeros(), "{v}");
            }
        }
        for _ in 0..100_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = x >> (x % 32);
            assert_eq!(bit_length(v), 32 - v.leading_zeros(), "{v}");
        }
        assert_eq!(bit_length(u32::MAX), 32);
    }

    #[test]
    fn log2_is_close_everywhere() {
        let mut x = 1u32;
        while x < u32::MAX / 3 {
            let exact = (x as f64).log2();
            let got = f64::from(log2_q12(x).unwrap_or(-1)) / 4096.0;
            assert!(
                (exact - got).abs() < 0.0012,
                "x={x} exact={exact} got={got}"
            );
            x = x + x / 7 + 1;
        }
        assert!(log2_q12(u32::MAX).is_some_and(|v| v < 32 * 4096));
    }

    #[test]
    fn frame_level_of_full_scale_and_of_small_signals() {
        let fs = log2_q12(4095).unwrap_or(0);
        // Mean absolute deviation equal to full scale: 0 dBFS.
        assert!(frame_level_db10(4095 * 16 * 80, 80, fs).abs() <= 1);
        // A tenth of full scale: -20 dBFS.
        assert!((frame_level_db10(4095 * 16 * 8, 80, fs) + 200).abs() <= 1);
        assert_eq!(frame_level_db10(0, 80, fs), LEVEL_MIN_DB10);
        assert_eq!(frame_level_db10(10, 0, fs), LEVEL_MIN_DB10);
    }
}
