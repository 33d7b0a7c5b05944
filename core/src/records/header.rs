//! The session header: everything needed to interpret a session's records.

use serde::ser::SerializeTuple;
use serde::{Deserialize, Serialize, Serializer};

use crate::params::DetectionParams;
use crate::records::codes::WireCode;
use crate::records::params_wire::{self, ParamsWire};
use crate::records::{Error, SessionId, Tick, MAX_BATCH_TURNS};
use crate::seat::InputKind;

/// Identifies a tabletalk log. It opens every header, and it seeds every
/// frame's CRC, so frames of any other COBS + CRC-32C stream fail their check.
pub const SCHEMA_KEY: [u8; 4] = *b"TTLG";

/// The longest seat label, in bytes of UTF-8.
pub const MAX_LABEL_LEN: usize = 64;

/// `label` cut to at most [`MAX_LABEL_LEN`] bytes at a character boundary,
/// so that [`Seats::with_labels`] accepts it.
///
/// ```
/// use tabletalk_core::records::fit_label;
///
/// assert_eq!(fit_label("Ana"), "Ana");
/// let long = format!("a{}", "é".repeat(40)); // 81 bytes
/// assert_eq!(fit_label(&long), format!("a{}", "é".repeat(31))); // 63
/// ```
pub fn fit_label(label: &str) -> &str {
    let mut end = label.len().min(MAX_LABEL_LEN);
    while !label.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    label.get(..end).unwrap_or_default()
}

/// The most seats a log can describe (a device drives at most
/// [`seat::MAX_SEATS`](crate::seat::MAX_SEATS); imported annotations may have more).
pub const MAX_LOG_SEATS: usize = 255;

/// When the writer turns its pending turns into a batch record.
///
/// A power cut loses at most the turns not yet flushed: fewer than
/// `max_turns`, all of which ended within the last `max_age_ms`. Smaller
/// values lose less and cost more bytes per turn (each batch carries about
/// 15 bytes of identity, base time and framing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FlushPolicy {
    /// Flush when this many turns are pending (1..=[`MAX_BATCH_TURNS`]).
    pub max_turns: u8,
    /// Flush when the oldest pending turn ended this long ago (ms).
    pub max_age_ms: u32,
}

impl Default for FlushPolicy {
    /// 32 turns or 2 minutes.
    fn default() -> Self {
        FlushPolicy {
            max_turns: 32,
            max_age_ms: 120_000,
        }
    }
}

impl FlushPolicy {
    fn validate(&self) -> Result<(), Error> {
        if self.max_turns == 0 || usize::from(self.max_turns) > MAX_BATCH_TURNS {
            return Err(Error::FlushPolicy);
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
enum Inputs<'a> {
    List(&'a [InputKind]),
    /// One validated code byte per seat.
    Wire(&'a [u8]),
}

#[derive(Clone, Copy, Debug)]
enum Labels<'a> {
    None,
    List(&'a [&'a str]),
    /// Validated `(length byte, UTF-8)` entries, one per seat.
    Wire(&'a [u8]),
}

/// The seats of a session: how many, each one's input kind, and optional
/// labels (names, roles). A view: it borrows either the caller's slices
/// (when writing) or the record's bytes (when reading).
///
/// ```
/// use tabletalk_core::records::Seats;
/// use tabletalk_core::seat::InputKind;
///
/// let kinds = [InputKind::Button, InputKind::Microphone];
/// let names = ["Ana", ""];
/// let seats = Seats::new(&kinds)?.with_labels(&names)?;
/// assert_eq!(seats.count(), 2);
/// assert_eq!(seats.label(0), Some("Ana"));
/// assert_eq!(seats.label(1), None); // empty = no label
/// assert_eq!(seats.input(1), Some(InputKind::Microphone));
/// # Ok::<(), tabletalk_core::records::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Seats<'a> {
    inputs: Inputs<'a>,
    labels: Labels<'a>,
}

impl<'a> Seats<'a> {
    /// Seats with these input kinds (1 to 255 of them), without labels.
    pub fn new(inputs: &'a [InputKind]) -> Result<Self, Error> {
        if inputs.is_empty() || inputs.len() > MAX_LOG_SEATS {
            return Err(Error::SeatCount);
        }
        Ok(Seats {
            inputs: Inputs::List(inputs),
            labels: Labels::None,
        })
    }

    /// The same seats, labelled: one label per seat, each at most
    /// [`MAX_LABEL_LEN`] bytes; an empty label means "no label".
    pub fn with_labels(self, labels: &'a [&'a str]) -> Result<Self, Error> {
        if labels.len() != usize::from(self.count()) {
            return Err(Error::LabelCount);
        }
        if labels.iter().any(|l| l.len() > MAX_LABEL_LEN) {
            return Err(Error::LabelTooLong);
        }
        Ok(Seats {
            labels: Labels::List(labels),
            ..self
        })
    }

    /// Number of seats, 1..=255.
    pub fn count(&self) -> u8 {
        let n = match self.inputs {
            Inputs::List(l) => l.len(),
            Inputs::Wire(w) => w.len(),
        };
        u8::try_from(n).unwrap_or(u8::MAX)
    }

    /// The input kind of seat `seat`.
    pub fn input(&self, seat: u8) -> Option<InputKind> {
        self.inputs().nth(usize::from(seat))
    }

    /// Every seat's input kind, in seat order.
    pub fn inputs(&self) -> impl Iterator<Item = InputKind> + 'a {
        let (list, wire): (&'a [InputKind], &'a [u8]) = match self.inputs {
            Inputs::List(l) => (l, &[]),
            Inputs::Wire(w) => (&[], w),
        };
        list.iter()
            .copied()
            .chain(wire.iter().filter_map(|&c| InputKind::from_code(c).ok()))
    }

    /// True if the seats carry labels (some may still be empty).
    pub fn has_labels(&self) -> bool {
        !matches!(self.labels, Labels::None)
    }

    /// The label of seat `seat`, if it has a non-empty one.
    pub fn label(&self, seat: u8) -> Option<&'a str> {
        self.labels().nth(usize::from(seat)).flatten()
    }

    /// Every seat's label (`None` for none), in seat order; empty if the
    /// seats carry no labels.
    pub fn labels(&self) -> SeatLabels<'a> {
        SeatLabels {
            labels: self.labels,
            index: 0,
        }
    }

    fn from_wire(inputs: &'a [u8], labels: &'a [u8]) -> Result<Self, Error> {
        if inputs.is_empty() || inputs.len() > MAX_LOG_SEATS {
            return Err(Error::SeatCount);
        }
        for &code in inputs {
            InputKind::from_code(code)?;
        }
        let labels = if labels.is_empty() {
            Labels::None
        } else {
            let mut rest = labels;
            let mut n = 0usize;
            while !rest.is_empty() {
                take_label(&mut rest)?;
                n += 1;
            }
            if n != inputs.len() {
                return Err(Error::LabelCount);
            }
            Labels::Wire(labels)
        };
        Ok(Seats {
            inputs: Inputs::Wire(inputs),
            labels,
        })
    }
}

/// Takes one `(length byte, UTF-8)` label entry off the front of `bytes`.
fn take_label<'a>(bytes: &mut &'a [u8]) -> Result<&'a str, Error> {
    let (&len, rest) = bytes.split_first().ok_or(Error::Malformed)?;
    let len = usize::from(len);
    if len > MAX_LABEL_LEN {
        return Err(Error::LabelTooLong);
    }
    let (text, rest) = rest.split_at_checked(len).ok_or(Error::Malformed)?;
    *bytes = rest;
    core::str::from_utf8(text).map_err(|_| Error::Malformed)
}

impl PartialEq for Seats<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.count() == other.count()
            && self.inputs().eq(other.inputs())
            && self.labels().eq(other.labels())
    }
}

impl Eq for Seats<'_> {}

/// The labels of a session's seats, see [`Seats::labels`].
#[derive(Clone, Debug)]
pub struct SeatLabels<'a> {
    labels: Labels<'a>,
    index: usize,
}

impl<'a> Iterator for SeatLabels<'a> {
    type Item = Option<&'a str>;

    fn next(&mut self) -> Option<Option<&'a str>> {
        let label = match &mut self.labels {
            Labels::None => return None,
            Labels::List(list) => *list.get(self.index)?,
            Labels::Wire(rest) => {
                if rest.is_empty() {
                    return None;
                }
                take_label(rest).ok()?
            }
        };
        self.index += 1;
        Some(if label.is_empty() { None } else { Some(label) })
    }
}

/// Serializes seat input kinds as a byte string of codes.
struct InputsWire<'s, 'a>(&'s Seats<'a>);

impl Serialize for InputsWire<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(256)?;
        t.serialize_element(&u32::from(self.0.count()))?;
        for kind in self.0.inputs() {
            t.serialize_element(&kind.code())?;
        }
        t.end()
    }
}

/// Serializes seat labels as a byte string of `(length byte, UTF-8)` entries.
struct LabelsWire<'s, 'a>(&'s Seats<'a>);

impl Serialize for LabelsWire<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len: usize = self.0.labels().map(|l| 1 + l.map_or(0, str::len)).sum();
        let mut t = s.serialize_tuple(len + 1)?;
        t.serialize_element(&(len as u32))?;
        for label in self.0.labels() {
            let text = label.unwrap_or("");
            // Labels are at most MAX_LABEL_LEN (64) bytes: checked on entry.
            t.serialize_element(&(text.len() as u8))?;
            for byte in text.bytes() {
                t.serialize_element(&byte)?;
            }
        }
        t.end()
    }
}

/// The first record of every session.
///
/// The format version is not a field: it is the first byte of every frame
/// (see [`log`](crate::log)), so each frame can be decoded on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Which session this is.
    pub session: SessionId,
    /// The writing device (e.g. its flash unique id); 0 when not from a device.
    pub device_id: u64,
    /// Length of one tick in ms; every time in the session counts ticks.
    pub tick_ms: u16,
    /// Wall-clock time at tick 0 (Unix ms), if the device knew it.
    pub started_at_unix_ms: Option<u64>,
    /// When the writer flushes turn batches.
    pub flush: FlushPolicy,
    /// Every detection parameter the device used.
    pub params: DetectionParams,
    /// When reading: parameters this decoder knows that the log did not
    /// record (written before they existed); they hold their defaults in
    /// `params`. Ignored when writing.
    pub params_missing: u8,
    /// When reading: recorded parameters this decoder does not know
    /// (written by a newer version). Ignored when writing.
    pub params_unknown: u8,
    /// The seats.
    pub seats: Seats<'a>,
}

impl<'a> Header<'a> {
    /// A header with a 10 ms tick, default flush policy and parameters,
    /// and no wall-clock time.
    pub fn new(session: SessionId, device_id: u64, seats: Seats<'a>) -> Self {
        Header {
            session,
            device_id,
            tick_ms: 10,
            started_at_unix_ms: None,
            flush: FlushPolicy::default(),
            params: DetectionParams::default(),
            params_missing: 0,
            params_unknown: 0,
            seats,
        }
    }

    /// Checks what the type cannot: a non-zero tick and a valid flush policy.
    pub fn validate(&self) -> Result<(), Error> {
        if self.tick_ms == 0 {
            return Err(Error::ZeroTick);
        }
        self.flush.validate()
    }

    /// Session milliseconds at tick `tick` (saturating).
    pub fn ticks_to_ms(&self, tick: Tick) -> u64 {
        tick.saturating_mul(u64::from(self.tick_ms))
    }

    pub(crate) fn parse(raw: RawHeader<'a>) -> Result<Self, Error> {
        if raw.schema != SCHEMA_KEY {
            return Err(Error::NotALog);
        }
        let seats = Seats::from_wire(raw.inputs, raw.labels)?;
        let params = params_wire::decode(raw.params)?;
        let header = Header {
            session: raw.session,
            device_id: raw.device_id,
            tick_ms: raw.tick_ms,
            started_at_unix_ms: raw.started_at_unix_ms,
            flush: FlushPolicy {
                max_turns: raw.flush.0,
                max_age_ms: raw.flush.1,
            },
            params: params.params,
            params_missing: params.missing,
            params_unknown: params.unknown,
            seats,
        };
        header.validate()?;
        Ok(header)
    }
}

impl Serialize for Header<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(9)?;
        t.serialize_element(&SCHEMA_KEY)?;
        t.serialize_element(&self.session)?;
        t.serialize_element(&self.device_id)?;
        t.serialize_element(&self.tick_ms)?;
        t.serialize_element(&self.started_at_unix_ms)?;
        t.serialize_element(&(self.flush.max_turns, self.flush.max_age_ms))?;
        t.serialize_element(&InputsWire(&self.seats))?;
        t.serialize_element(&LabelsWire(&self.seats))?;
        t.serialize_element(&ParamsWire(&self.params))?;
        t.end()
    }
}

/// A header as it comes off the wire, before validation.
#[derive(Deserialize)]
pub(crate) struct RawHeader<'a> {
    schema: [u8; 4],
    session: SessionId,
    device_id: u64,
    tick_ms: u16,
    started_at_unix_ms: Option<u64>,
    flush: (u8, u32),
    #[serde(borrow)]
    inputs: &'a [u8],
    #[serde(borrow)]
    labels: &'a [u8],
    #[serde(borrow)]
    params: &'a [u8],
}
