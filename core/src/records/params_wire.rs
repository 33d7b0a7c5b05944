//! Detection parameters in the header, as a list of `(id, value)` pairs.
//!
//! Every parameter has a frozen one-byte id below. The header stores each as
//! its id (one byte) and its value (a postcard varint), in id order. This
//! keeps the header decodable forever while [`DetectionParams`] evolves: a
//! parameter the log does not carry (written before it existed) keeps its
//! default and is counted as *missing*; a parameter this decoder does not
//! know (written by a newer device) is skipped and counted as *unknown*.
//!
//! **Adding a field to [`DetectionParams`]**: add a row with the next free id
//! at the end of [`PARAMS`]. Never reuse or renumber an id. The test
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
    pub(crate) id: u8,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) name: &'static str,
    pub(crate) get: fn(&DetectionParams) -> u64,
    pub(crate) set: fn(&mut DetectionParams, u64) -> bool,
}

macro_rules! param_table {
    ($($id:literal => $($field:ident).+;)*) => {
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
            },
        )*];
    };
}

param_table! {
    1 => button.debounce_ms;
    2 => button.long_press_ms;
    3 => mic.sample_rate_hz;
    4 => mic.frame_rate_hz;
    5 => turns.max_turn_ms;
    6 => turns.backchannel_max_ms;
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

/// Serializes the parameters as a byte string of `(id, value)` pairs.
pub(crate) struct ParamsWire<'p>(pub(crate) &'p DetectionParams);

impl Serialize for ParamsWire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len: u32 = PARAMS
            .iter()
            .map(|row| 1 + varint_len((row.get)(self.0)))
            .sum();
        let mut t = s.serialize_tuple(1 + 2 * PARAMS.len())?;
        t.serialize_element(&len)?;
        for row in PARAMS {
            t.serialize_element(&row.id)?;
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

/// Decodes the `(id, value)` pairs of a header; ids must increase.
pub(crate) fn decode(mut bytes: &[u8]) -> Result<DecodedParams, Error> {
    let mut params = DetectionParams::default();
    let mut seen = 0usize;
    let mut unknown = 0u8;
    let mut last_id: Option<u8> = None;
    while let Some((&id, rest)) = bytes.split_first() {
        bytes = rest;
        if last_id.is_some_and(|last| id <= last) {
            return Err(Error::Malformed);
        }
        last_id = Some(id);
        let value = take_varint(&mut bytes).ok_or(Error::Malformed)?;
        match PARAMS.iter().find(|row| row.id == id) {
            Some(row) => {
                if !(row.set)(&mut params, value) {
                    return Err(Error::Malformed);
                }
                seen += 1;
            }
            None => unknown = unknown.saturating_add(1),
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
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
        // id 2 = 700, unknown id 200 = 5; everything else missing.
        let back = decode(&[2, 0xBC, 0x05, 200, 5]).unwrap();
        assert_eq!(back.params.button.long_press_ms, 700);
        assert_eq!(back.params.button.debounce_ms, 20);
        assert_eq!(back.unknown, 1);
        assert_eq!(usize::from(back.missing), PARAMS.len() - 1);
    }

    #[test]
    fn rejects_out_of_order_ids_bad_varints_and_out_of_range_values() {
        assert_eq!(decode(&[2, 1, 1, 1]), Err(Error::Malformed));
        assert_eq!(decode(&[1, 0x80]), Err(Error::Malformed));
        assert_eq!(
            decode(&[1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            Err(Error::Malformed)
        );
        // debounce_ms is a u16: 70000 does not fit.
        assert_eq!(decode(&[1, 0xF0, 0xA2, 0x04]), Err(Error::Malformed));
    }

    #[test]
    fn signed_values_zigzag() {
        for v in [0i32, -1, 1, i32::MIN, i32::MAX] {
            assert_eq!(i32::from_wire(v.to_wire()), Some(v));
        }
        assert_eq!((-1i16).to_wire(), 1);
    }
}
