//! Every parameter that shapes what the device detects. All of them are
//! written into each session's log header, so a log can always be
//! re-interpreted knowing exactly how it was made.
//!
//! Changing, removing or reordering a field changes the log format: only do it
//! together with a new format version (see `docs/log-format.md`).
//!
//! ## Units
//!
//! Every field name ends in its unit: `_ms` milliseconds, `_hz` per second,
//! `_db10` tenths of a decibel (so `90` is 9.0 dB), `_per_mille` thousandths,
//! `_q8` a fixed-point number with 8 fractional bits (`256` is 1.0). Levels
//! are amplitudes (mean absolute deviation around the DC bias), so a ratio
//! of two levels in dB is `20·log10` of the amplitude ratio.
//!
//! ## Checking
//!
//! [`DetectionParams::validate`] rejects combinations the engine cannot run
//! with (a frame rate above the sample rate, an off threshold above the on
//! threshold, …). The engine refuses to start with invalid parameters rather
//! than silently clamping them: a log header must say what really ran.
//!
//! ```
//! use tabletalk_core::params::DetectionParams;
//! let params = DetectionParams::default();
//! assert_eq!(params.button.debounce_ms, 20);
//! assert_eq!(params.turns.max_turn_ms, 600_000);
//! assert!(params.validate().is_ok());
//! ```

use serde::{Deserialize, Serialize};

/// Push-button parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ButtonParams {
    /// A pin must hold a new level this long to count (ms). The accepted
    /// edge is back-dated to the first reading at the new level.
    pub debounce_ms: u16,
    /// The facilitator button held at least this long is a long press (ms):
    /// it starts or stops the session as soon as this much time has passed.
    pub long_press_ms: u16,
    /// A pin that keeps changing without ever holding a level for
    /// `debounce_ms`, for this long, is reported as chattering (ms).
    pub chatter_ms: u16,
}

impl Default for ButtonParams {
    fn default() -> Self {
        ButtonParams {
            debounce_ms: 20,
            long_press_ms: 1500,
            chatter_ms: 500,
        }
    }
}

/// Microphone (level) path parameters. Fixed-point where fractional.
///
/// The level of a frame is the mean absolute deviation of its samples from
/// the tracked DC bias, expressed in tenths of a dB relative to the ADC's
/// full scale (dBFS × 10, so `-400` is −40 dBFS). Thresholds are relative to
/// each seat's own noise floor, which makes them independent of the
/// microphone's gain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MicParams {
    /// ADC samples per second per seat that the level path expects (Hz).
    pub sample_rate_hz: u32,
    /// Activity decisions per second (Hz). A frame holds
    /// `sample_rate_hz / frame_rate_hz` samples, at most 4095.
    pub frame_rate_hz: u16,
    /// Time constant of the DC-bias tracker, as a power of two in samples
    /// (log2 samples): the bias moves by `1 / 2^dc_shift` of the difference
    /// each sample. `10` at 8 kHz is 128 ms, a high-pass corner near 1.2 Hz.
    pub dc_shift: u8,
    /// Window of the minimum-statistics noise floor (ms): the floor is the
    /// lowest frame level seen in roughly the last `floor_window_ms`, so it
    /// falls at once and rises at most this late after the noise steps up.
    pub floor_window_ms: u16,
    /// A silent seat becomes active when a frame is this far above its noise
    /// floor (dB × 10).
    pub on_threshold_db10: u16,
    /// An active seat counts a frame as speech while it stays this far above
    /// its noise floor (dB × 10); at most `on_threshold_db10` (hysteresis).
    pub off_threshold_db10: u16,
    /// The start of a turn is back-dated to the first frame of the rise above
    /// the off threshold, but by no more than this before the frame that
    /// crossed the on threshold (ms).
    pub onset_lookback_ms: u16,
    /// Speech pauses shorter than this do not end a turn (ms). The turn's end
    /// is the end of its last speech frame, not the end of the hangover.
    pub hangover_ms: u16,
    /// Speech shorter than this (onset to last speech frame) is not a turn
    /// (ms). A turn is reported only once it is this long.
    pub min_turn_ms: u16,
    /// Initial coupling from any seat's voice into any other seat's
    /// microphone (dB × 10, negative: a leaked copy is this much quieter).
    /// Learned per pair afterwards when `coupling_step_db10` is not zero.
    pub coupling_initial_db10: i16,
    /// Learning step of the coupling estimate (dB × 10 per frame): the
    /// estimate tracks the upper quartile of the level difference between a
    /// clearly dominant speaker and each other microphone that hears
    /// something (it rises 3 steps, falls 1). `0` keeps the initial coupling.
    pub coupling_step_db10: u8,
    /// Only frames whose dominant speaker is at least this far above its
    /// floor teach the coupling estimate (dB × 10).
    pub coupling_learn_snr_db10: u16,
    /// A seat's frame is explained as crosstalk when its level is at most
    /// (a louder seat's level + coupling + this margin) (dB × 10). Larger
    /// margins suppress more crosstalk and more genuine double talk.
    pub crosstalk_margin_db10: u16,
    /// A frame whose mean absolute deviation is at most this many ADC steps
    /// is flat (no signal) (LSB, Q8: `64` is a quarter of one step).
    pub flat_q8: u16,
    /// Samples within this fraction of full scale from either rail count as
    /// clipped (per mille of full scale).
    pub rail_band_per_mille: u16,
    /// A frame with at least this share of clipped samples is a clipping
    /// frame: never speech, and evidence of a saturated microphone (per
    /// mille of the frame's samples).
    pub clip_fraction_per_mille: u16,
    /// Flat or clipping frames this long in a row raise `MicSilent` or
    /// `MicSaturated` (ms).
    pub fault_set_ms: u16,
    /// Normal frames this long in a row clear a microphone fault (`MicOk`)
    /// (ms).
    pub fault_clear_ms: u16,
    /// Half a second of frames whose levels all stayed within this spread
    /// is steady noise, not speech: the noise floor rises to it at once
    /// instead of waiting for the whole window (dB × 10; `0` disables).
    /// Speech varies far more from syllable to syllable.
    pub floor_steady_db10: u16,
    /// A seat's voice reaches the other microphones with the room's
    /// reverberant tail, which outlasts the direct sound. A louder seat
    /// therefore explains crosstalk with its recent peak level, decaying at
    /// this rate, rather than with its level in the same frame (dB per
    /// second; slower than the room's reverberation decays, i.e. below
    /// 60 dB / RT60).
    pub crosstalk_tail_db_per_s: u16,
    /// A pair of microphones whose level difference has settled in two
    /// modes (one per person speaking), each seen in at least this many
    /// frames, takes both its couplings from the modes' centres instead of
    /// the frame-by-frame learning (frames; `0`: off). See
    /// [`leak_modes`](crate::activity::leak_modes). Logs written before
    /// this parameter existed read it as `0`, which is how they were made.
    pub coupling_mode_frames: u16,
    /// Corner of a second-order high-pass filter between the DC tracker and
    /// the envelope (Hz; `0`: none). Rumble from ventilation, traffic or
    /// the table itself is loud below 200 Hz and would otherwise hold a
    /// seat's floor up or its turn on; speech keeps its loudness above.
    /// Logs written before this parameter existed read it as `0`.
    pub highpass_hz: u16,
    /// Arrival order between microphones (µs; `0`: off; needs the
    /// high-pass): a seat that speaks but whose sound reached the loudest
    /// seat's microphone first, at a lag of at most this, is hearing that
    /// seat, whatever the levels say. About the largest extra path between
    /// two seats' microphones over the speed of sound. See
    /// [`arrival`](crate::activity::arrival). Logs written before this
    /// parameter existed read it as `0`.
    pub arrival_lag_us: u16,
    /// One side's best correlation must beat the other side's by this much
    /// for an arrival order to count (per mille).
    pub arrival_margin_per_mille: u16,
    /// The winning correlation must reach this much of the two windows'
    /// energies (a normalised correlation, per mille): unrelated sounds
    /// give no order.
    pub arrival_coherence_per_mille: u16,
    /// Each seat's arrival evidence is the count of frames its sound
    /// reached its own microphone first minus those it reached another's
    /// first, kept within ±this: a seat whose count is below zero is
    /// hearing another (frames). See [`arrival`](crate::activity::arrival).
    pub arrival_votes_max: u8,
    /// Attribute speech with the [spectral](crate::activity::spectral)
    /// detector instead of the levels: a seat speaks while its microphone
    /// hears the dominant sound of enough band bins first, ahead of every
    /// other microphone (needs `sample_rate_hz` 8000 and the high-pass).
    /// The level path still reports faults, and a faulted microphone is
    /// taken out of the spectral detector until its fault clears. With fewer
    /// than two microphone seats there is no arrival order to judge, and the
    /// level path decides the turns instead. The spectral detector needs the
    /// microphones sampled together by one device (not one unsynchronised
    /// recorder per seat, such as badges).
    ///
    /// **On by default** in builds with the `spectral` feature (the laptop
    /// tools); off in builds without it (the firmware, until the detector
    /// fits its budgets), where it cannot run. Logs written before this
    /// parameter existed read it as `false`.
    pub spectral_on: bool,
    /// The spectral detector's settings (used while `spectral_on`).
    pub spectral: crate::activity::spectral::Settings,
}

impl Default for MicParams {
    fn default() -> Self {
        MicParams {
            sample_rate_hz: 8000,
            frame_rate_hz: 100,
            dc_shift: 10,
            floor_window_ms: 12_000,
            on_threshold_db10: 90,
            off_threshold_db10: 50,
            onset_lookback_ms: 150,
            hangover_ms: 400,
            min_turn_ms: 250,
            coupling_initial_db10: -60,
            coupling_step_db10: 2,
            coupling_learn_snr_db10: 150,
            crosstalk_margin_db10: 40,
            flat_q8: 64,
            rail_band_per_mille: 8,
            clip_fraction_per_mille: 250,
            fault_set_ms: 2000,
            fault_clear_ms: 1000,
            floor_steady_db10: 60,
            crosstalk_tail_db_per_s: 60,
            coupling_mode_frames: 300,
            highpass_hz: 250,
            arrival_lag_us: 3000,
            arrival_margin_per_mille: 100,
            arrival_coherence_per_mille: 400,
            arrival_votes_max: 3,
            spectral_on: cfg!(feature = "spectral"),
            // For the hardware guide's cardioid capsules; held-out figures
            // on `Settings::default` (omni modules: lead_lo_q14 1802,
            // lead_hi_q14 2621).
            spectral: crate::activity::spectral::Settings::default(),
        }
    }
}

/// Turn-taking parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TurnParams {
    /// A turn longer than this is cut (a stuck button, a mic that never
    /// falls silent) (ms).
    pub max_turn_ms: u32,
    /// A burst inside another's turn no longer than this, that does not take
    /// the floor, is a backchannel (ms).
    pub backchannel_max_ms: u32,
}

impl Default for TurnParams {
    fn default() -> Self {
        TurnParams {
            max_turn_ms: 10 * 60 * 1000,
            backchannel_max_ms: 1000,
        }
    }
}

/// All detection parameters, as written into a log header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DetectionParams {
    /// Buttons.
    pub button: ButtonParams,
    /// Microphones.
    pub mic: MicParams,
    /// Turns.
    pub turns: TurnParams,
}

/// Why a set of [`DetectionParams`] cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ParamError {
    /// `frame_rate_hz` is 0 or above 1000 (frames are timed in whole ms).
    FrameRate,
    /// `sample_rate_hz` is below `frame_rate_hz`, or a frame would hold more
    /// than 4095 samples.
    SampleRate,
    /// `dc_shift` is not in `1..=16`.
    DcShift,
    /// `off_threshold_db10` is above `on_threshold_db10`.
    Hysteresis,
    /// `rail_band_per_mille` is 500 or more (the rails would meet), or
    /// `clip_fraction_per_mille` is above 1000.
    Clipping,
    /// `max_turn_ms` is 0.
    MaxTurn,
    /// `spectral_on` without `sample_rate_hz` 8000 and a high-pass, or in a
    /// build without the `spectral` feature.
    SpectralInput,
    /// `spectral_on` with settings the spectral detector cannot run.
    Spectral(crate::activity::spectral::SettingsError),
    /// `spectral_on` with more microphone seats than the spectral detector
    /// has [slots](crate::activity::slots::MIC_SLOTS) (the board's
    /// microphone channels). Found when the seats are known (the engine).
    SpectralMics {
        /// Microphone seats configured.
        mics: u8,
    },
}

impl core::fmt::Display for ParamError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ParamError::FrameRate => "mic.frame_rate_hz must be in 1..=1000",
            ParamError::SampleRate => {
                "mic.sample_rate_hz must be at least mic.frame_rate_hz and at most 4095 samples per frame"
            }
            ParamError::DcShift => "mic.dc_shift must be in 1..=16",
            ParamError::Hysteresis => {
                "mic.off_threshold_db10 must not be above mic.on_threshold_db10"
            }
            ParamError::Clipping => {
                "mic.rail_band_per_mille must be below 500 and mic.clip_fraction_per_mille at most 1000"
            }
            ParamError::MaxTurn => "turns.max_turn_ms must not be 0",
            ParamError::SpectralInput => {
                "mic.spectral_on needs mic.sample_rate_hz = 8000, mic.highpass_hz above 0 and a core built with the spectral feature"
            }
            ParamError::Spectral(e) => return write!(f, "mic.{e}"),
            ParamError::SpectralMics { mics } => {
                return write!(
                    f,
                    "mic.spectral_on takes at most {} microphone seats (the device's microphone channels); {mics} are configured",
                    crate::activity::slots::MIC_SLOTS
                )
            }
        })
    }
}

impl core::error::Error for ParamError {}

impl DetectionParams {
    /// Checks that the engine can run with these parameters.
    ///
    /// ```
    /// use tabletalk_core::params::{DetectionParams, ParamError};
    /// let mut params = DetectionParams::default();
    /// params.mic.off_threshold_db10 = params.mic.on_threshold_db10 + 1;
    /// assert_eq!(params.validate(), Err(ParamError::Hysteresis));
    /// ```
    pub fn validate(&self) -> Result<(), ParamError> {
        let mic = &self.mic;
        if mic.frame_rate_hz == 0 || mic.frame_rate_hz > 1000 {
            return Err(ParamError::FrameRate);
        }
        let per_frame = mic.sample_rate_hz / u32::from(mic.frame_rate_hz);
        if per_frame == 0 || per_frame > 4095 {
            return Err(ParamError::SampleRate);
        }
        if mic.dc_shift == 0 || mic.dc_shift > 16 {
            return Err(ParamError::DcShift);
        }
        if mic.off_threshold_db10 > mic.on_threshold_db10 {
            return Err(ParamError::Hysteresis);
        }
        if mic.rail_band_per_mille >= 500 || mic.clip_fraction_per_mille > 1000 {
            return Err(ParamError::Clipping);
        }
        if self.turns.max_turn_ms == 0 {
            return Err(ParamError::MaxTurn);
        }
        if mic.spectral_on {
            if !cfg!(feature = "spectral")
                || mic.sample_rate_hz != crate::activity::spectral::SAMPLE_RATE_HZ
                || mic.highpass_hz == 0
            {
                return Err(ParamError::SpectralInput);
            }
            mic.spectral.validate().map_err(ParamError::Spectral)?;
        }
        Ok(())
    }

    /// Checks that the engine can run with these parameters and
    /// `mic_seats` microphone seats: [`validate`](Self::validate), and
    /// with `spectral_on` at most
    /// [`MIC_SLOTS`](crate::activity::slots::MIC_SLOTS) microphones.
    ///
    /// ```
    /// use tabletalk_core::params::{DetectionParams, ParamError};
    /// let mut params = DetectionParams::default();
    /// params.mic.spectral_on = false;
    /// assert_eq!(params.validate_with_mics(12), Ok(()));
    /// params.mic.spectral_on = true;
    /// # if cfg!(feature = "spectral") {
    /// assert_eq!(params.validate_with_mics(11), Ok(()));
    /// assert_eq!(params.validate_with_mics(12), Err(ParamError::SpectralMics { mics: 12 }));
    /// # }
    /// ```
    pub fn validate_with_mics(&self, mic_seats: usize) -> Result<(), ParamError> {
        self.validate()?;
        if self.mic.spectral_on && mic_seats > crate::activity::slots::MIC_SLOTS {
            return Err(ParamError::SpectralMics {
                mics: u8::try_from(mic_seats).unwrap_or(u8::MAX),
            });
        }
        Ok(())
    }
}
