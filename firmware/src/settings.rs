//! The device configuration: how it is kept in flash, what this board can
//! do with it, and how it maps onto the engine's seats and the board's pins.

use heapless::Vec;
use tabletalk_core::engine::SeatWiring;
use tabletalk_core::params::DetectionParams;
use tabletalk_core::protocol::{DeviceConfig, ErrorCode, SeatSettings};
use tabletalk_core::seat::{InputKind, SeatId, MAX_SEATS};

use crate::board;

/// First byte of the stored configuration: the layout of what follows
/// (postcard of [`DeviceConfig`]). A stored configuration of another format
/// is ignored (the defaults apply) rather than misread.
const STORED_FORMAT: u8 = 1;

/// Bytes a stored configuration may take.
pub const STORED_MAX: usize = 512;

/// The configuration of a device nobody configured yet: four hold-to-talk
/// buttons (seats 1-4), LEDs off, stop when full.
pub fn default_config() -> DeviceConfig {
    let mut config = DeviceConfig::default();
    for index in 0..4 {
        if let Some(seat) = SeatId::new(index) {
            let _ = config.seats.push(SeatSettings::button(seat));
        }
    }
    config
}

/// Encodes `config` for flash into `buf`; `None` if it does not fit.
pub fn encode<'b>(config: &DeviceConfig, buf: &'b mut [u8; STORED_MAX]) -> Option<&'b [u8]> {
    let (format, rest) = buf.split_first_mut()?;
    *format = STORED_FORMAT;
    let used = postcard::to_slice(config, rest).ok()?.len();
    buf.get(..used + 1)
}

/// Decodes a stored configuration; `None` if it is of another format or
/// damaged.
pub fn decode(bytes: &[u8]) -> Option<DeviceConfig> {
    let (&format, rest) = bytes.split_first()?;
    if format != STORED_FORMAT {
        return None;
    }
    postcard::from_bytes(rest).ok()
}

/// Refuses what this board cannot do: a button on a seat without a button
/// input, a microphone channel it does not have, no seats at all.
pub fn check(config: &DeviceConfig) -> Result<(), ErrorCode> {
    if config.seats.is_empty() {
        return Err(ErrorCode::InvalidConfig);
    }
    let map = SeatMap::new(config);
    for seat in &config.seats {
        let has_button = matches!(
            seat.input,
            InputKind::Button | InputKind::ButtonAndMicrophone
        );
        if has_button && seat.seat.index() >= board::SEAT_BUTTONS {
            return Err(ErrorCode::InvalidConfig);
        }
    }
    if map.unplaced_mics > 0 {
        return Err(ErrorCode::Unsupported);
    }
    Ok(())
}

/// The configuration as the engine and the board see it.
pub struct SeatMap {
    /// Engine seat `i` is `engine_seats[i]`; unconfigured seats between
    /// configured ones are external seats that never speak.
    pub engine_seats: Vec<SeatWiring, MAX_SEATS>,
    /// The seat each microphone channel feeds, if any.
    pub channel_seat: [Option<SeatId>; board::MIC_CHANNELS as usize],
    /// Seats with a button wired: bit `i` for seat `i`.
    pub button_seats: u16,
    /// Seats configured: bit `i` for seat `i`.
    pub used_seats: u16,
    /// Microphone seats that got no channel (asked for one the board does
    /// not have, or more microphones than channels).
    pub unplaced_mics: u8,
}

impl SeatMap {
    /// Maps `config` onto the board. A microphone seat without a channel of
    /// its own gets the lowest channel no other seat asked for.
    pub fn new(config: &DeviceConfig) -> Self {
        let count = config
            .seats
            .iter()
            .map(|s| s.seat.index() + 1)
            .max()
            .unwrap_or(0);
        let mut map = SeatMap {
            engine_seats: Vec::new(),
            channel_seat: [None; board::MIC_CHANNELS as usize],
            button_seats: 0,
            used_seats: 0,
            unplaced_mics: 0,
        };
        // Explicit channels first, then the rest in seat order.
        let mut claimed = [false; board::MIC_CHANNELS as usize];
        for seat in &config.seats {
            if let Some(channel) = seat.mic_channel {
                match claimed.get_mut(usize::from(channel)) {
                    Some(slot) if !*slot => *slot = true,
                    _ => map.unplaced_mics += 1,
                }
            }
        }
        for index in 0..count {
            let Some(seat) = SeatId::new(index as u8) else {
                break;
            };
            let engine_seat = match config.seat(seat) {
                None => SeatWiring::external(),
                Some(found) => {
                    map.used_seats |= 1 << index;
                    let has_mic = matches!(
                        found.input,
                        InputKind::Microphone | InputKind::ButtonAndMicrophone
                    );
                    let channel = if has_mic {
                        found.mic_channel.or_else(|| {
                            let free = claimed.iter().position(|c| !*c)?;
                            if let Some(slot) = claimed.get_mut(free) {
                                *slot = true;
                            }
                            Some(free as u8)
                        })
                    } else {
                        None
                    };
                    if let Some(slot) =
                        channel.and_then(|c| map.channel_seat.get_mut(usize::from(c)))
                    {
                        *slot = Some(seat);
                    } else if has_mic && found.mic_channel.is_none() {
                        map.unplaced_mics += 1;
                    }
                    let full_scale = board::full_scale(channel.unwrap_or(0));
                    match found.input {
                        InputKind::Button => {
                            map.button_seats |= 1 << index;
                            SeatWiring::button(found.button_mode)
                        }
                        InputKind::Microphone => SeatWiring::microphone(full_scale),
                        InputKind::ButtonAndMicrophone => {
                            map.button_seats |= 1 << index;
                            SeatWiring::button_and_microphone(found.button_mode, full_scale)
                        }
                        InputKind::External => SeatWiring::external(),
                    }
                }
            };
            let _ = map.engine_seats.push(engine_seat);
        }
        map
    }

    /// The input kind of each engine seat, for the log header.
    pub fn kinds(&self) -> Vec<InputKind, MAX_SEATS> {
        self.engine_seats.iter().map(|s| s.input).collect()
    }
}

/// The detection parameters the engine runs with: the configured ones, at
/// the board's sample rate.
pub fn engine_params(config: &DeviceConfig) -> DetectionParams {
    let mut params = config.params;
    params.mic.sample_rate_hz = board::SAMPLE_RATE_HZ;
    params
}
