//! The device configuration as a TOML file, and the command-line edits of
//! `tabletalk device config`.
//!
//! The file is the protocol's [`DeviceConfig`] as TOML, so what
//! `tabletalk device config` prints can be saved, edited and sent back with
//! `--file`:
//!
//! ```toml
//! name = "table-3"
//! led_feedback = true
//! when_full = "Stop"            # or "OverwriteOldest"
//!
//! [[seats]]
//! seat = 0
//! input = "Button"              # "Microphone", "ButtonAndMicrophone"
//! button_mode = "HoldToTalk"    # or "Toggle"
//!
//! [params.button]               # detection parameters, as in log headers
//! debounce_ms = 20
//! ```

use std::path::Path;

use anyhow::Context;
use tabletalk_core::protocol::{DeviceConfig, FullPolicy, SeatSettings};
use tabletalk_core::seat::{ButtonMode, InputKind, SeatId, MAX_SEATS};

/// Reads a configuration file.
pub fn read(path: &Path) -> anyhow::Result<DeviceConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not a device configuration", path.display()))
}

/// Parses a configuration from TOML.
pub fn parse(text: &str) -> anyhow::Result<DeviceConfig> {
    let config: DeviceConfig = toml::from_str(text)?;
    config
        .validate()
        .map_err(|problem| anyhow::anyhow!("{problem}"))?;
    Ok(config)
}

/// The configuration as TOML.
pub fn to_toml(config: &DeviceConfig) -> anyhow::Result<String> {
    Ok(toml::to_string(config)?)
}

/// Parses a seat spec: `N:KIND[:MODE][@CHANNEL]`, e.g. `0:button`,
/// `1:button:toggle`, `2:mic@0`, `3:button+mic:hold@1`.
///
/// ```
/// use tabletalk::device::config_file::parse_seat;
/// use tabletalk_core::seat::{ButtonMode, InputKind};
/// let seat = parse_seat("3:button+mic:toggle@1").unwrap();
/// assert_eq!(seat.seat.index(), 3);
/// assert_eq!(seat.input, InputKind::ButtonAndMicrophone);
/// assert_eq!(seat.button_mode, ButtonMode::Toggle);
/// assert_eq!(seat.mic_channel, Some(1));
/// ```
pub fn parse_seat(spec: &str) -> Result<SeatSettings, String> {
    let usage = || {
        format!(
            "`{spec}`: a seat is N:KIND[:MODE][@CHANNEL], KIND one of button, mic, button+mic, \
             MODE hold or toggle, e.g. 0:button:toggle or 2:mic@1"
        )
    };
    let (body, channel) = match spec.split_once('@') {
        Some((body, channel)) => (body, Some(channel.parse::<u8>().map_err(|_| usage())?)),
        None => (spec, None),
    };
    let mut parts = body.split(':');
    let seat = parts
        .next()
        .and_then(|n| n.trim().parse::<u8>().ok())
        .ok_or_else(usage)?;
    let seat = SeatId::new(seat)
        .ok_or_else(|| format!("`{spec}`: seats are numbered 0 to {}", MAX_SEATS - 1))?;
    let input = match parts.next().map(str::trim) {
        Some("button") => InputKind::Button,
        Some("mic" | "microphone") => InputKind::Microphone,
        Some("button+mic" | "both") => InputKind::ButtonAndMicrophone,
        _ => return Err(usage()),
    };
    let button_mode = match parts.next().map(str::trim) {
        None | Some("hold") => ButtonMode::HoldToTalk,
        Some("toggle") => ButtonMode::Toggle,
        Some(_) => return Err(usage()),
    };
    if parts.next().is_some() {
        return Err(usage());
    }
    Ok(SeatSettings {
        seat,
        input,
        button_mode,
        mic_channel: channel,
    })
}

/// Edits from command-line flags.
#[derive(Clone, Debug, Default)]
pub struct ConfigEdits {
    /// New device name.
    pub name: Option<String>,
    /// LED feedback on or off.
    pub led_feedback: Option<bool>,
    /// Full-store policy.
    pub when_full: Option<FullPolicy>,
    /// Seats to add or replace.
    pub seats: Vec<SeatSettings>,
    /// Seats to remove.
    pub remove_seats: Vec<SeatId>,
    /// Detection parameters to set, `section.field=value` as in log
    /// headers and `tabletalk replay --set` (e.g. `mic.spectral_on=true`).
    pub params: Vec<String>,
}

impl ConfigEdits {
    /// Whether there is anything to change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.led_feedback.is_none()
            && self.when_full.is_none()
            && self.seats.is_empty()
            && self.remove_seats.is_empty()
            && self.params.is_empty()
    }

    /// Applies the edits to `config` (seats stay sorted by number).
    pub fn apply(&self, config: &mut DeviceConfig) -> anyhow::Result<()> {
        if let Some(name) = &self.name {
            config.name = heapless::String::try_from(name.as_str()).map_err(|_| {
                anyhow::anyhow!(
                    "the name is too long: at most {} bytes",
                    tabletalk_core::protocol::config::MAX_NAME_LEN
                )
            })?;
        }
        if let Some(on) = self.led_feedback {
            config.led_feedback = on;
        }
        if let Some(policy) = self.when_full {
            config.when_full = policy;
        }
        let mut seats: Vec<SeatSettings> = config
            .seats
            .iter()
            .filter(|s| !self.remove_seats.contains(&s.seat))
            .filter(|s| !self.seats.iter().any(|new| new.seat == s.seat))
            .copied()
            .collect();
        seats.extend(self.seats.iter().copied());
        seats.sort_by_key(|s| s.seat);
        seats.dedup_by_key(|s| s.seat);
        config.seats = heapless::Vec::from_slice(&seats)
            .map_err(|()| anyhow::anyhow!("at most {MAX_SEATS} seats"))?;
        config
            .validate()
            .map_err(|problem| anyhow::anyhow!("{problem}"))?;
        if !self.params.is_empty() {
            // The device's parameters, then each --set, as the laptop's
            // replay builds its own; the device stores what it is sent.
            let current = toml::to_string(&config.params)?;
            config.params = tabletalk_eval::config::detection_params(Some(&current), &self.params)?;
        }
        // What the device's engine would refuse, said here by name (the
        // device answers only "invalid configuration").
        let mics = config
            .seats
            .iter()
            .filter(|s| {
                matches!(
                    s.input,
                    InputKind::Microphone | InputKind::ButtonAndMicrophone
                )
            })
            .count();
        config
            .params
            .validate_with_mics(mics)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip() {
        let mut config = DeviceConfig::default();
        ConfigEdits {
            name: Some("table-3".into()),
            led_feedback: Some(true),
            when_full: Some(FullPolicy::OverwriteOldest),
            seats: vec![
                parse_seat("1:mic@2").unwrap(),
                parse_seat("0:button:toggle").unwrap(),
            ],
            remove_seats: vec![],
            params: vec![],
        }
        .apply(&mut config)
        .unwrap();
        let text = to_toml(&config).unwrap();
        assert!(text.contains("name = \"table-3\""), "{text}");
        assert!(text.contains("when_full = \"OverwriteOldest\""), "{text}");
        assert_eq!(parse(&text).unwrap(), config);
        assert_eq!(config.seats[0].seat.index(), 0, "seats sorted");
    }

    #[test]
    fn bad_files_and_specs_are_explained() {
        let err = parse("name = 3").unwrap_err();
        assert!(format!("{err:#}").contains("name"), "{err:#}");
        let mut twice = DeviceConfig::default();
        let seat = parse_seat("1:button").unwrap();
        twice.seats.extend([seat, seat]);
        let err = parse(&to_toml(&twice).unwrap()).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
        assert!(parse_seat("16:button").unwrap_err().contains("0 to 15"));
        assert!(parse_seat("1:laser").unwrap_err().contains("KIND"));
        assert!(parse_seat("1:button:hold:x").is_err());
    }

    #[test]
    fn set_changes_detection_parameters_and_refuses_what_the_engine_would() {
        let mut config = DeviceConfig::default();
        config.params.mic.hangover_ms = 500;
        ConfigEdits {
            seats: vec![
                parse_seat("0:mic@0").unwrap(),
                parse_seat("1:mic@1").unwrap(),
            ],
            params: vec![
                "mic.spectral_on=true".into(),
                "mic.spectral.lead_lo_q14=1475".into(),
            ],
            ..Default::default()
        }
        .apply(&mut config)
        .unwrap();
        assert!(config.params.mic.spectral_on);
        assert_eq!(config.params.mic.spectral.lead_lo_q14, 1475);
        // What was set before stays.
        assert_eq!(config.params.mic.hangover_ms, 500);
        let unknown = ConfigEdits {
            params: vec!["mic.spectral_of=true".into()],
            ..Default::default()
        }
        .apply(&mut config.clone())
        .unwrap_err();
        assert!(
            format!("{unknown:#}").contains("unknown parameter"),
            "{unknown:#}"
        );
        // Twelve microphones are more than the spectral detector's slots.
        let many = ConfigEdits {
            seats: (0..12)
                .map(|n| parse_seat(&format!("{n}:mic")).unwrap())
                .collect(),
            ..Default::default()
        }
        .apply(&mut config.clone())
        .unwrap_err();
        assert!(
            format!("{many:#}").contains("at most 11 microphone seats"),
            "{many:#}"
        );
    }

    #[test]
    fn edits_replace_and_remove_seats() {
        let mut config = DeviceConfig::default();
        let edits = ConfigEdits {
            seats: vec![
                parse_seat("0:button").unwrap(),
                parse_seat("1:button").unwrap(),
            ],
            ..Default::default()
        };
        edits.apply(&mut config).unwrap();
        let edits = ConfigEdits {
            seats: vec![parse_seat("1:mic").unwrap()],
            remove_seats: vec![SeatId::new(0).unwrap()],
            ..Default::default()
        };
        edits.apply(&mut config).unwrap();
        assert_eq!(config.seats.len(), 1);
        assert_eq!(config.seats[0].input, InputKind::Microphone);
    }
}
