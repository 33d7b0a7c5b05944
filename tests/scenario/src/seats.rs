//! The scripted table: four seats, one with a push-button and three with
//! microphones, each with its own voice.

use tabletalk_core::seat::{InputKind, SeatId};

/// Seats at the scripted table.
pub const SEAT_COUNT: usize = 4;

/// How one scripted participant sits at the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatSetup {
    /// What the device reads for this seat.
    pub kind: InputKind,
    /// How often this participant takes the floor, relative to the others.
    pub weight: u32,
    /// Peak deviation of the voice at the seat's own microphone (ADC LSB).
    pub voice: u16,
    /// How much of this voice reaches the *other* microphones, in 1/256.
    pub leak: u16,
    /// Syllable rhythm of the voice (ms per syllable).
    pub syllable_ms: u16,
    /// The microphone's DC bias (ADC LSB; mid-scale is 2048).
    pub bias: u16,
}

/// The four seats. Participation is unequal on purpose (weights 2:5:3:1)
/// and one talker is quiet, so balance figures and adaptive thresholds are
/// exercised.
pub const SEATS: [SeatSetup; SEAT_COUNT] = [
    // A push-to-talk seat: its voice still reaches the table microphones a
    // little (someone at the far end).
    SeatSetup {
        kind: InputKind::Button,
        weight: 2,
        voice: 1_000,
        leak: 8,
        syllable_ms: 210,
        bias: 2_048,
    },
    SeatSetup {
        kind: InputKind::Microphone,
        weight: 5,
        voice: 1_400,
        leak: 24,
        syllable_ms: 190,
        bias: 2_041,
    },
    SeatSetup {
        kind: InputKind::Microphone,
        weight: 3,
        voice: 900,
        leak: 24,
        syllable_ms: 240,
        bias: 2_060,
    },
    // A quiet talker.
    SeatSetup {
        kind: InputKind::Microphone,
        weight: 1,
        voice: 350,
        leak: 16,
        syllable_ms: 260,
        bias: 2_035,
    },
];

/// The seat id of table position `index` (always valid: `SEAT_COUNT` is
/// far below the core's limit).
pub fn seat_id(index: usize) -> Option<SeatId> {
    u8::try_from(index).ok().and_then(SeatId::new)
}

/// Whether the seat has a microphone.
pub fn has_mic(seat: &SeatSetup) -> bool {
    matches!(
        seat.kind,
        InputKind::Microphone | InputKind::ButtonAndMicrophone
    )
}

/// Whether the seat has a button.
pub fn has_button(seat: &SeatSetup) -> bool {
    matches!(
        seat.kind,
        InputKind::Button | InputKind::ButtonAndMicrophone
    )
}
