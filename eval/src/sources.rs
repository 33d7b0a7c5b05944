//! Where ADC samples come from when the core runs on a laptop: a simulated
//! meeting, recorded WAV files (one per seat), or level tracks (CSV). Each
//! yields, millisecond by millisecond, the interleaved `u16` samples the
//! device's ADC would have read at the device sample rate, so that the core
//! always runs its real per-sample path.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::error::BadInput;
use crate::resample::Resampler;
use crate::synth::Synth;

/// A source of per-seat ADC samples at the device rate.
pub trait SampleSource {
    /// Number of seats (samples per sampling instant).
    fn seats(&self) -> usize;
    /// Writes the next millisecond's samples into `out` (cleared first),
    /// interleaved `out[k * seats + seat]`; returns the number of sampling
    /// instants, 0 when the input is over.
    fn next_ms(&mut self, out: &mut Vec<u16>) -> anyhow::Result<usize>;
}

impl SampleSource for Synth {
    fn seats(&self) -> usize {
        Synth::seats(self)
    }

    fn next_ms(&mut self, out: &mut Vec<u16>) -> anyhow::Result<usize> {
        Ok(Synth::next_ms(self, out))
    }
}

/// Sampling instants in millisecond `t` at `rate_hz` (exact over time for
/// rates that are not multiples of 1000).
pub fn instants_in_ms(t: u64, rate_hz: u32) -> usize {
    let r = u64::from(rate_hz);
    ((t + 1) * r / 1000 - t * r / 1000) as usize
}

/// Half the ADC's range: where the microphone's silence sits (2048 for a
/// 12-bit ADC), and how many counts audio full scale spans on each side.
pub fn adc_half(full_scale: u16) -> f64 {
    (f64::from(full_scale) + 1.0) / 2.0
}

/// Maps an audio sample in `[-1, 1]` to an ADC reading: the microphone's
/// silence sits at mid-scale and audio full scale spans the ADC's range.
/// Exactly inverts [`adc_to_audio`] for any ADC of up to 16 bits.
fn to_adc(x: f32, gain: f32, full_scale: u16) -> u16 {
    let half = adc_half(full_scale) as f32;
    (half + x * gain * half)
        .round()
        .clamp(0.0, f32::from(full_scale)) as u16
}

/// An ADC reading as a 16-bit audio sample (mid-scale = 0).
pub fn adc_to_audio(x: u16, full_scale: u16) -> i16 {
    let half = adc_half(full_scale);
    ((f64::from(x) - half) * 32768.0 / half)
        .round()
        .clamp(-32768.0, 32767.0) as i16
}

struct WavSeat {
    path: PathBuf,
    reader: hound::WavReader<BufReader<File>>,
    channels: usize,
    scale: f32,
    float: bool,
    resampler: Resampler,
    ready: VecDeque<f32>,
    exhausted: bool,
}

impl WavSeat {
    fn open(path: &Path, device_rate: u32) -> anyhow::Result<WavSeat> {
        let reader = hound::WavReader::open(path).map_err(|e| {
            BadInput::new(format!("{}: not a readable WAV file ({e})", path.display()))
        })?;
        let spec = reader.spec();
        let float = spec.sample_format == hound::SampleFormat::Float;
        if !float && !(1..=32).contains(&spec.bits_per_sample) {
            bail!(BadInput::new(format!(
                "{}: unsupported sample size",
                path.display()
            )));
        }
        Ok(WavSeat {
            path: path.to_owned(),
            channels: usize::from(spec.channels.max(1)),
            scale: if float {
                1.0
            } else {
                1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32
            },
            float,
            resampler: Resampler::new(spec.sample_rate, device_rate),
            reader,
            ready: VecDeque::new(),
            exhausted: false,
        })
    }

    /// Makes at least `n` resampled samples ready, unless the file ends.
    fn fill(&mut self, n: usize) -> anyhow::Result<()> {
        let mut frame = Vec::with_capacity(self.channels);
        let mut mono = Vec::with_capacity(4096);
        let mut out = Vec::new();
        while self.ready.len() < n && !self.exhausted {
            mono.clear();
            out.clear();
            let mut read = 0;
            while read < 4096 {
                frame.clear();
                for _ in 0..self.channels {
                    let sample = if self.float {
                        self.reader.samples::<f32>().next()
                    } else {
                        self.reader
                            .samples::<i32>()
                            .next()
                            .map(|s| s.map(|v| v as f32 * self.scale))
                    };
                    match sample {
                        Some(s) => frame.push(s.with_context(|| {
                            format!("{}: damaged audio data", self.path.display())
                        })?),
                        None => break,
                    }
                }
                if frame.len() < self.channels {
                    self.exhausted = true;
                    break;
                }
                // Several channels are mixed down to one seat.
                mono.push(frame.iter().sum::<f32>() / self.channels as f32);
                read += 1;
            }
            self.resampler.push(&mono, &mut out);
            if self.exhausted {
                self.resampler.finish(&mut out);
            }
            self.ready.extend(out.iter().copied());
        }
        Ok(())
    }
}

/// Recorded microphones: one WAV file per seat, any sample rate and sample
/// format, resampled to the device rate; several channels are averaged.
/// A file that ends early continues as silence until the longest ends.
pub struct WavSource {
    seats: Vec<WavSeat>,
    rate_hz: u32,
    full_scale: u16,
    gain: f32,
    t: u64,
}

impl WavSource {
    /// Opens `paths` (seat order) for a device sampling at `rate_hz` with an
    /// ADC of `full_scale`; `gain_db` scales the audio before the ADC.
    pub fn open(
        paths: &[PathBuf],
        rate_hz: u32,
        full_scale: u16,
        gain_db: f64,
    ) -> anyhow::Result<Self> {
        if paths.is_empty() {
            bail!(BadInput::new("give one WAV file per seat"));
        }
        let seats = paths
            .iter()
            .map(|p| WavSeat::open(p, rate_hz))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(WavSource {
            seats,
            rate_hz,
            full_scale,
            gain: 10f64.powf(gain_db / 20.0) as f32,
            t: 0,
        })
    }
}

impl SampleSource for WavSource {
    fn seats(&self) -> usize {
        self.seats.len()
    }

    fn next_ms(&mut self, out: &mut Vec<u16>) -> anyhow::Result<usize> {
        out.clear();
        let n = instants_in_ms(self.t, self.rate_hz);
        for seat in &mut self.seats {
            seat.fill(n)?;
        }
        if self.seats.iter().all(|s| s.exhausted && s.ready.is_empty()) {
            return Ok(0);
        }
        for _ in 0..n {
            for seat in &mut self.seats {
                let x = seat.ready.pop_front().unwrap_or(0.0);
                out.push(to_adc(x, self.gain, self.full_scale));
            }
        }
        self.t += 1;
        Ok(n)
    }
}

/// Level tracks: rows of per-seat levels at a fixed rate. A level is a mean
/// absolute deviation from the microphone's bias, in ADC counts (times
/// `scale`). Each level is held for its row's duration and played as the
/// ADC samples `bias + L, bias − L, …` around mid-scale, whose rectified
/// mean is exactly `L`: the core's real envelope path then sees that level.
pub struct LevelSource {
    rows: Vec<Vec<f64>>,
    seats: usize,
    rows_per_s: f64,
    rate_hz: u32,
    full_scale: u16,
    scale: f64,
    t: u64,
    parity: bool,
}

/// A parsed level table.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelTable {
    /// Column names from a header row, if the file has one.
    pub labels: Option<Vec<String>>,
    /// `rows[k][seat]`.
    pub rows: Vec<Vec<f64>>,
}

/// Parses a level CSV: one column per seat, one row per time step; an
/// optional header row of seat labels; `,`, `;` or tab separated; `#`
/// comment lines and blank lines skipped.
pub fn parse_levels(text: &str) -> anyhow::Result<LevelTable> {
    let mut labels = None;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut width = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        if let Some(w) = width {
            if cells.len() != w {
                bail!(BadInput::new(format!(
                    "line {}: {} columns, expected {w} (one per seat)",
                    n + 1,
                    cells.len()
                )));
            }
        }
        width = Some(cells.len());
        let parsed: Result<Vec<f64>, _> = cells.iter().map(|c| c.parse::<f64>()).collect();
        match parsed {
            Ok(values) => {
                if let Some(bad) = values.iter().position(|v| !v.is_finite() || *v < 0.0) {
                    bail!(BadInput::new(format!(
                        "line {}, column {}: a level must be a non-negative number",
                        n + 1,
                        bad + 1
                    )));
                }
                rows.push(values);
            }
            Err(_) if rows.is_empty() && labels.is_none() => {
                labels = Some(cells.iter().map(|c| c.to_string()).collect());
            }
            Err(_) => {
                let col = cells
                    .iter()
                    .position(|c| c.parse::<f64>().is_err())
                    .unwrap_or(0);
                bail!(BadInput::new(format!(
                    "line {}, column {}: {:?} is not a number",
                    n + 1,
                    col + 1,
                    cells.get(col).copied().unwrap_or("")
                )));
            }
        }
    }
    if rows.is_empty() {
        bail!(BadInput::new("no level rows"));
    }
    Ok(LevelTable { labels, rows })
}

impl LevelSource {
    /// Plays `table` at `rows_per_s` rows per second to a device sampling at
    /// `rate_hz`, levels multiplied by `scale`.
    pub fn new(
        table: &LevelTable,
        rows_per_s: f64,
        rate_hz: u32,
        full_scale: u16,
        scale: f64,
    ) -> anyhow::Result<Self> {
        if !(rows_per_s.is_finite() && rows_per_s > 0.0) {
            bail!(BadInput::new(
                "--rate must be a positive number of rows per second"
            ));
        }
        Ok(LevelSource {
            seats: table.rows.first().map_or(0, Vec::len),
            rows: table.rows.clone(),
            rows_per_s,
            rate_hz,
            full_scale,
            scale,
            t: 0,
            parity: false,
        })
    }
}

impl SampleSource for LevelSource {
    fn seats(&self) -> usize {
        self.seats
    }

    fn next_ms(&mut self, out: &mut Vec<u16>) -> anyhow::Result<usize> {
        out.clear();
        let row = ((self.t as f64 + 0.5) * self.rows_per_s / 1000.0) as usize;
        let Some(levels) = self.rows.get(row) else {
            return Ok(0);
        };
        let n = instants_in_ms(self.t, self.rate_hz);
        let mid = f64::from(self.full_scale / 2);
        for _ in 0..n {
            let sign = if self.parity { -1.0 } else { 1.0 };
            self.parity = !self.parity;
            for &level in levels {
                let x = (mid + sign * level * self.scale)
                    .round()
                    .clamp(0.0, f64::from(self.full_scale));
                out.push(x as u16);
            }
        }
        self.t += 1;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_csv_with_header_and_errors() {
        let t = parse_levels("ana,ben\n1,2\n3.5,0\n").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(t.labels, Some(vec!["ana".into(), "ben".into()]));
        assert_eq!(t.rows, vec![vec![1.0, 2.0], vec![3.5, 0.0]]);
        assert!(parse_levels("1,2\n3\n")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        assert!(parse_levels("1,2\n3,x\n")
            .unwrap_err()
            .to_string()
            .contains("column 2"));
        assert!(parse_levels("1,-2\n").is_err());
        assert!(parse_levels("").is_err());
    }

    #[test]
    fn levels_become_samples_whose_rectified_mean_is_the_level() {
        let t = LevelTable {
            labels: None,
            rows: vec![vec![10.0, 0.0], vec![20.0, 5.0]],
        };
        let mut s =
            LevelSource::new(&t, 20.0, 8000, 4095, 1.0).unwrap_or_else(|e| unreachable!("{e}"));
        let mut buf = Vec::new();
        let mut ms = 0;
        let mut sums = [[0.0f64; 2]; 2];
        while s.next_ms(&mut buf).unwrap_or(0) > 0 {
            for frame in buf.chunks(2) {
                for seat in 0..2 {
                    sums[ms / 50][seat] += (f64::from(frame[seat]) - 2047.0).abs() / 400.0;
                }
            }
            ms += 1;
        }
        assert_eq!(ms, 100, "two rows at 20 Hz last 100 ms");
        let want = [[10.0, 0.0], [20.0, 5.0]];
        for (got, want) in sums.iter().flatten().zip(want.iter().flatten()) {
            assert!((got - want).abs() < 1e-9, "{sums:?}");
        }
    }

    #[test]
    fn wav_files_are_resampled_to_the_device_rate() {
        let dir = std::env::temp_dir().join(format!("tabletalk-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("seat.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        {
            let mut w =
                hound::WavWriter::create(&path, spec).unwrap_or_else(|e| unreachable!("{e}"));
            for n in 0..16_000 {
                let x = (0.5
                    * (2.0 * std::f64::consts::PI * 500.0 * n as f64 / 16_000.0).sin()
                    * 32767.0) as i16;
                w.write_sample(x).unwrap_or_default();
                w.write_sample(x).unwrap_or_default();
            }
            w.finalize().unwrap_or_default();
        }
        let mut s = WavSource::open(std::slice::from_ref(&path), 8000, 4095, 0.0)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let mut buf = Vec::new();
        let mut all = Vec::new();
        while s.next_ms(&mut buf).unwrap_or(0) > 0 {
            all.extend_from_slice(&buf);
        }
        assert!((all.len() as i64 - 8000).abs() <= 8, "{}", all.len());
        let peak = all[1000..7000]
            .iter()
            .map(|&x| (f64::from(x) - 2047.5).abs())
            .fold(0.0, f64::max);
        assert!((peak - 1023.0).abs() < 15.0, "{peak}");
        assert!(WavSource::open(&[dir.join("missing.wav")], 8000, 4095, 0.0).is_err());
        std::fs::remove_dir_all(&dir).unwrap_or_default();
    }
}
