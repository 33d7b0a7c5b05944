//! Detection parameters in the header: an append-only list of values.
//!
//! Every parameter has a frozen position (its id, counting from 1) in
//! [`PARAMS`]. The header stores a byte string holding each parameter's
//! value as a postcard varint (signed values zigzagged), in id order, and
//! nothing else. This keeps every header decodable forever while
//! [`DetectionParams`] evolves: a log written before a parameter existed
//! simply ends earlier, and the parameter keeps its default and is counted
//! as *missing*; values after the last id this decoder knows (written by a
//! newer device) are skipped and counted as *unknown*.
//!
//! **Adding a field to [`DetectionParams`]**: add a row with the next id at
//! the end of [`PARAMS`], with the value that reproduces how logs written
//! before it were made (`id => path = absent;`): a log that ends before a
//! parameter describes a device that did not have it, not one that had
//! today's default. Never reorder, renumber or remove a row (a parameter
//! that is dropped keeps its row and writes its last value). The test
//! `every_parameter_has_an_id` fails until the row exists.

use serde::ser::SerializeTuple;
use serde::{Serialize, Serializer};

use crate::params::DetectionParams;
use crate::records::Error;

/// A parameter value as it goes on the wire (an unsigned varint).
pub(crate) trait ParamValue: Sized {
    fn to_wire(self) -> u64;
    fn from_wire(v: u64) -> Option<Self>;
}

macro_rules! unsigned_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn to_wire(self) -> u64 { u64::from(self) }
            fn from_wire(v: u64) -> Option<Self> { <$t>::try_from(v).ok() }
        }
    )*};
}
unsigned_param!(u8, u16, u32, u64);

macro_rules! signed_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            // Zigzag, as postcard does for signed integers.
            fn to_wire(self) -> u64 {
                let v = i64::from(self);
                ((v << 1) ^ (v >> 63)) as u64
            }
            fn from_wire(v: u64) -> Option<Self> {
                let v = ((v >> 1) as i64) ^ -((v & 1) as i64);
                <$t>::try_from(v).ok()
            }
        }
    )*};
}
signed_param!(i8, i16, i32, i64);

impl ParamValue for bool {
    fn to_wire(self) -> u64 {
        u64::from(self)
    }
    fn from_wire(v: u64) -> Option<Self> {
        match v {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// One parameter: its frozen id, its path in [`DetectionParams`] and how to
/// read and write it.
pub(crate) struct ParamRow {
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) id: u8,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) name: &'static str,
    pub(crate) get: fn(&DetectionParams) -> u64,
    pub(crate) set: fn(&mut DetectionParams, u64) -> bool,
    /// The value a log without this parameter was made with (`None`: the
    /// current default, for parameters every log has had).
    pub(crate) absent: Option<u64>,
}

macro_rules! param_table {
    ($($id:literal => $($field:ident).+ $(= $absent:expr)?;)*) => {
        /// Every detection parameter, in id order.
        pub(crate) const PARAMS: &[ParamRow] = &[$(
            ParamRow {
                id: $id,
                name: stringify!($($field).+),
                get: |p| ParamValue::to_wire(p.$($field).+),
                set: |p, v| match ParamValue::from_wire(v) {
                    Some(x) => { p.$($field).+ = x; true }
                    None => false,
                },
                absent: param_table!(@absent $($absent)?),
            },
        )*];
    };
    (@absent) => { None };
    (@absent $absent:expr) => { Some($absent) };
}

param_table! {
    1 => button.debounce_ms;
    2 => button.long_press_ms;
    3 => button.chatter_ms;
    4 => mic.sample_rate_hz;
    5 => mic.frame_rate_hz;
    6 => mic.dc_shift;
    7 => mic.floor_window_ms;
    8 => mic.on_threshold_db10;
    9 => mic.off_threshold_db10;
    10 => mic.onset_lookback_ms;
    11 => mic.hangover_ms;
    12 => mic.min_turn_ms;
    13 => mic.coupling_initial_db10;
    14 => mic.coupling_step_db10;
    15 => mic.coupling_learn_snr_db10;
    16 => mic.crosstalk_margin_db10;
    17 => mic.flat_q8;
    18 => mic.rail_band_per_mille;
    19 => mic.clip_fraction_per_mille;
    20 => mic.fault_set_ms;
    21 => mic.fault_clear_ms;
    22 => turns.max_turn_ms;
    23 => turns.backchannel_max_ms;
    24 => mic.floor_steady_db10;
    25 => mic.crosstalk_tail_db_per_s;
    26 => mic.coupling_mode_frames = 0;
    27 => mic.highpass_hz = 0;
    28 => mic.arrival_lag_us = 0;
    29 => mic.arrival_margin_per_mille;
    30 => mic.arrival_coherence_per_mille;
    31 => mic.arrival_votes_max;
    32 => mic.spectral_on = 0;
    // 33-34: the defaults until spectral_on became the default (logs
    // without them have spectral_on false and decode as they always did).
    33 => mic.spectral.lead_lo_q14 = 1638;
    34 => mic.spectral.lead_hi_q14 = 2294;
    35 => mic.spectral.fill_ms;
    36 => mic.spectral.min_run_ms;
    37 => mic.spectral.pole_shift;
    38 => mic.spectral.lag_min_samples;
    39 => mic.spectral.lag_max_samples;
    40 => mic.spectral.band_lo_hz;
    41 => mic.spectral.band_hi_hz;
    42 => mic.spectral.min_snr_db10;
    43 => mic.spectral.reference_mics = 0;
}

fn varint_len(mut v: u64) -> u32 {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Reads a postcard varint (at most 10 bytes, no overflow) from the front of `bytes`.
fn take_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..10u32 {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        let low = u64::from(byte & 0x7F);
        if i == 9 && low > 1 {
            return None;
        }
        value |= low << (7 * i);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Serializes the parameters as a byte string of varints in id order.
pub(crate) struct ParamsWire<'p>(pub(crate) &'p DetectionParams);

impl Serialize for ParamsWire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len: u32 = PARAMS.iter().map(|row| varint_len((row.get)(self.0))).sum();
        let mut t = s.serialize_tuple(1 + PARAMS.len())?;
        t.serialize_element(&len)?;
        for row in PARAMS {
            t.serialize_element(&(row.get)(self.0))?;
        }
        t.end()
    }
}

/// Parameters read back from a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DecodedParams {
    pub(crate) params: DetectionParams,
    pub(crate) missing: u8,
    pub(crate) unknown: u8,
}

/// Decodes the values of a header's parameter list.
pub(crate) fn decode(mut bytes: &[u8]) -> Result<DecodedParams, Error> {
    let mut params = DetectionParams::default();
    let mut rows = PARAMS.iter();
    let mut seen = 0usize;
    let mut unknown = 0u8;
    while !bytes.is_empty() {
        let value = take_varint(&mut bytes).ok_or(Error::Malformed)?;
        match rows.next() {
            Some(row) => {
                if !(row.set)(&mut params, value) {
                    return Err(Error::Malformed);
                }
                seen += 1;
            }
            None => unknown = unknown.saturating_add(1),
        }
    }
    for row in PARAMS.iter().skip(seen) {
        if let Some(value) = row.absent {
            // Cannot fail for a value the table itself gives.
            let _ = (row.set)(&mut params, value);
        }
    }
    let missing = u8::try_from(PARAMS.len().saturating_sub(seen)).unwrap_or(u8::MAX);
    Ok(DecodedParams {
        params,
        missing,
        unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;

    fn encode(p: &DetectionParams) -> std::vec::Vec<u8> {
        postcard::to_allocvec(&ParamsWire(p)).unwrap()
    }

    #[test]
    fn ids_are_unique_and_increasing() {
        for pair in PARAMS.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} / {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    /// Fills every field of `DetectionParams` (whatever fields it has today)
    /// by decoding a run of identical bytes with postcard, then checks the
    /// table carries each field through the header: a field without a row
    /// comes back as its default and fails one of the two fills.
    #[test]
    fn every_parameter_has_an_id() {
        for fill in [0u8, 1] {
            let bytes = [fill; 512];
            let original: DetectionParams = postcard::from_bytes(&bytes).unwrap();
            let wire = encode(&original);
            let body: &[u8] = postcard::from_bytes(&wire).unwrap();
            let back = decode(body).unwrap();
            assert_eq!(
                back.params, original,
                "a DetectionParams field has no row in records/params_wire.rs PARAMS"
            );
            assert_eq!((back.missing, back.unknown), (0, 0));
        }
    }

    #[test]
    fn missing_and_unknown_parameters_are_counted() {
        // An old log: only debounce_ms = 30 and long_press_ms = 700.
        let back = decode(&[30, 0xBC, 0x05]).unwrap();
        assert_eq!(back.params.button.debounce_ms, 30);
        assert_eq!(back.params.button.long_press_ms, 700);
        assert_eq!(back.unknown, 0);
        assert_eq!(usize::from(back.missing), PARAMS.len() - 2);
        // A newer log: two values more than this decoder knows.
        let mut newer = encode(&DetectionParams::default());
        newer.extend_from_slice(&[7, 0x80, 0x01]);
        newer[0] += 3;
        let body: &[u8] = postcard::from_bytes(&newer).unwrap();
        let back = decode(body).unwrap();
        assert_eq!(back.params, DetectionParams::default());
        assert_eq!((back.missing, back.unknown), (0, 2));
    }

    #[test]
    fn a_log_older_than_a_parameter_reads_how_it_was_made() {
        // Written by a device with parameters 1..=25 only: it had no leak
        // modes, so the parameter reads 0 (off), not today's default.
        let mut older = encode(&DetectionParams::default());
        let last = PARAMS
            .iter()
            .position(|r| r.name == "mic.coupling_mode_frames")
            .unwrap();
        let body: &[u8] = postcard::from_bytes(&older).unwrap();
        let mut rest = body;
        for _ in 0..last {
            take_varint(&mut rest).unwrap();
        }
        let kept = body.len() - rest.len();
        older = body[..kept].to_vec();
        let back = decode(&older).unwrap();
        assert_eq!(back.params.mic.coupling_mode_frames, 0);
        assert_ne!(DetectionParams::default().mic.coupling_mode_frames, 0);
        assert_eq!(usize::from(back.missing), PARAMS.len() - last);
        // Parameters every log has had keep the default when cut off.
        assert_eq!(back.params.mic.crosstalk_tail_db_per_s, 60);
    }

    #[test]
    fn rejects_bad_varints_and_out_of_range_values() {
        assert_eq!(decode(&[1, 0x80]), Err(Error::Malformed));
        assert_eq!(
            decode(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            Err(Error::Malformed)
        );
        // debounce_ms is a u16: 70000 does not fit.
        assert_eq!(decode(&[0xF0, 0xA2, 0x04]), Err(Error::Malformed));
    }

    #[test]
    fn signed_values_zigzag() {
        for v in [0i32, -1, 1, i32::MIN, i32::MAX] {
            assert_eq!(i32::from_wire(v.to_wire()), Some(v));
        }
        assert_eq!((-1i16).to_wire(), 1);
    }
}
