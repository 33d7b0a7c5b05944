// What the table does to the device's pins: buttons (active low, GP2-GP9
// for seats 0-7, GP22 for the facilitator) and microphones (ADC0-2 on the
// chip, MCP3008 channels 0-7 on SPI0 as microphone channels 3-10). The
// state lives here, outside any one Chip, so that a held button stays held
// and a speaker keeps speaking across a reset.

import { GPIOPinState } from 'rp2040js';

export const SEAT_PINS = [2, 3, 4, 5, 6, 7, 8, 9];
export const FACILITATOR_PIN = 22;
/** Microphone channels: 0-2 the RP2040's ADC, 3-10 the MCP3008's CH0-7. */
export const CHIP_CHANNELS = 3;
export const CHANNELS = CHIP_CHANNELS + 8;
/** Amplitude (ADC counts) of the quiet room noise on every channel. */
export const ROOM_NOISE = 12;
const MCP_CS_PIN = 21;
const STATUS_LED_PIN = 25;

/** A speech-like envelope: about 4 syllables a second, a 16 dB swing. The
 * core's noise floor takes a steady level for noise after half a second,
 * as it should, so a constant tone would not be speech. */
const syllables = (seconds, channel) => 0.15 + 0.85 * Math.abs(Math.sin(2 * Math.PI * 2 * seconds + channel));

// ---- The table: talkers, microphones, propagation ----------------------
//
// Seat k (the talker whose microphone is channel k, 0-10) sits at a round
// table, mouths on a circle of radius TABLE_RADIUS_M, 360/11 degrees apart,
// channel 0 at angle 0 and counting anticlockwise (neighbouring channels
// are neighbouring seats, about 0.57 m apart). Each seat's microphone is
// MIC_DISTANCE_M(k) in front of its mouth, towards the table's centre
// (0.15-0.30 m, as docs/hardware.md places a gooseneck), and points at that
// mouth: a cardioid capsule, gain (1 + cos θ) / 2 for sound arriving θ off
// its axis, never below CARDIOID_FLOOR (-20 dB: real capsules' rear
// rejection). Flat, 2-D, free field: no reflections, no reverberation.
//
// A talker is one source signal (band-limited noise through the syllable
// envelope) that reaches every microphone, delayed by distance / 343 m/s
// and attenuated by distance (1/r) and the capsule's angle, all relative
// to its own microphone, where its peak amplitude is the scenario's
// `level`. Every microphone adds its own independent room noise. The delay
// is applied at the instant each sample is taken (the chip's ADC
// round-robins its channels ~42 µs apart, the MCP3008 is read in bursts),
// so the arrival differences in the samples are those a real device would
// see: between neighbours about 0.9 ms, 7 samples at 8 kHz.

/** Speed of sound (m/s). */
export const SOUND_M_PER_S = 343;
/** Radius of the circle of mouths (m). */
export const TABLE_RADIUS_M = 1.0;
/** Distance of seat k's microphone from its mouth (m): 0.15-0.30. */
export const MIC_DISTANCE_M = (k) => 0.15 + 0.015 * ((5 * k) % 11);
/** Least gain of a cardioid capsule, from behind. */
export const CARDIOID_FLOOR = 0.1;

const SEATS_AROUND = 11; // one per microphone channel (CHANNELS, below)

/** Mouth and microphone positions (m) of seat k. */
export function seatGeometry(k) {
  const angle = (2 * Math.PI * k) / SEATS_AROUND;
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const mic = TABLE_RADIUS_M - MIC_DISTANCE_M(k);
  return { mouth: [TABLE_RADIUS_M * c, TABLE_RADIUS_M * s], mic: [mic * c, mic * s] };
}

/** For talker t and microphone m: delay (s) and gain relative to t's own
 * microphone (1 there). */
export function propagation(t, m) {
  const mouth = seatGeometry(t).mouth;
  const { mic, mouth: own } = seatGeometry(m);
  const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const r = dist(mouth, mic);
  const axis = [own[0] - mic[0], own[1] - mic[1]];
  const toward = [mouth[0] - mic[0], mouth[1] - mic[1]];
  const cos = (axis[0] * toward[0] + axis[1] * toward[1]) / (Math.hypot(...axis) * r);
  const cardioid = Math.max(CARDIOID_FLOOR, (1 + cos) / 2);
  return { delay: r / SOUND_M_PER_S, gain: (dist(mouth, seatGeometry(t).mic) / r) * cardioid };
}

/** Rate (Hz) of the grid the source signals are made on; between its points
 * they are interpolated linearly. */
const SOURCE_RATE = 16000;
/** Low-pass FIR (windowed sinc, 3.4 kHz at 16 kHz) that band-limits the
 * source noise below the ADC's Nyquist frequency, as a microphone module's
 * output is before an 8 kHz ADC (an aliased component would carry another
 * frequency's delay); scaled to keep the variance of the uniform noise it
 * filters (so `level` means what it did with independent noise). */
const LOWPASS = (() => {
  const taps = 17;
  const fc = 3400 / SOURCE_RATE;
  const h = Array.from({ length: taps }, (_, i) => {
    const n = i - (taps - 1) / 2;
    const sinc = n === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * n) / (Math.PI * n);
    return sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (taps - 1)));
  });
  const norm = Math.sqrt(h.reduce((a, x) => a + x * x, 0));
  return h.map((x) => x / norm);
})();

/** Uniform in [-1, 1) for talker `t` at grid point `k`: a hash, so a
 * source's value at any instant is the same whenever it is asked for. */
function white(t, k) {
  let x = (Math.imul(k | 0, 0x9e3779b1) ^ Math.imul(t + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return ((x >>> 0) / 2 ** 32) * 2 - 1;
}

/** Talker `t`'s band-limited noise, unit peak scale, on the source grid,
 * with a small cache (samples are asked for in nearly increasing time). */
class Source {
  constructor(t) {
    this.t = t;
    this.keys = new Float64Array(1024).fill(-1);
    this.values = new Float64Array(1024);
  }

  at(k) {
    const slot = k & 1023;
    if (this.keys[slot] === k) return this.values[slot];
    let v = 0;
    for (let i = 0; i < LOWPASS.length; i++) v += LOWPASS[i] * white(this.t, k - i);
    this.keys[slot] = k;
    this.values[slot] = v;
    return v;
  }

  /** The signal (peak 1 before the envelope) emitted at `seconds`. */
  emitted(seconds) {
    const x = seconds * SOURCE_RATE;
    const k = Math.floor(x);
    const f = x - k;
    return syllables(seconds, this.t) * ((1 - f) * this.at(k) + f * this.at(k + 1));
  }
}

export class Inputs {
  constructor() {
    this.pressed = new Set(); // pins held low
    this.speaking = new Array(CHANNELS).fill(0); // peak amplitude, 0: room noise only
    this.seed = 12345;
    this.sources = Array.from({ length: CHANNELS }, (_, t) => new Source(t));
    this.paths = Array.from({ length: CHANNELS }, (_, t) =>
      Array.from({ length: CHANNELS }, (_, m) => propagation(t, m)));
    this.adcConversions = 0;
    this.mcpSamples = 0;
    this.statusLedEdges = 0;
  }

  /** Uniform in [-1, 1), from a fixed seed: runs repeat exactly. */
  noise() {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return (this.seed / 2 ** 32) * 2 - 1;
  }

  /** What microphone `channel` hears at `seconds` (12-bit ADC counts
   * around the bias): every talker's sound as it arrives there, and the
   * microphone's own room noise. */
  heard(channel, seconds) {
    let v = ROOM_NOISE * this.noise();
    for (let t = 0; t < CHANNELS; t++) {
      const peak = this.speaking[t];
      if (!peak) continue;
      const { delay, gain } = this.paths[t][channel];
      v += peak * gain * this.sources[t].emitted(seconds - delay);
    }
    return v;
  }

  press(pin, chip) {
    this.pressed.add(pin);
    chip?.rp.gpio[pin].setInputValue(false);
  }

  release(pin, chip) {
    this.pressed.delete(pin);
    chip?.rp.gpio[pin].setInputValue(true);
  }

  /** Wires a freshly powered chip's pins to this table. */
  attach(chip) {
    const rp = chip.rp;
    const seconds = () => chip.nanos / 1e9;
    // rp2040js models no pull-ups: released buttons are driven high here.
    for (const pin of [...SEAT_PINS, FACILITATOR_PIN]) rp.gpio[pin].setInputValue(!this.pressed.has(pin));
    rp.gpio[STATUS_LED_PIN].addListener(() => this.statusLedEdges++);

    rp.adc.onADCRead = (channel) => {
      this.adcConversions++;
      rp.adc.currentChannel = channel;
      const value = 2048 + this.heard(channel, seconds());
      rp.adc.channelValues[channel] = Math.max(0, Math.min(4095, Math.round(value)));
      rp.adc.sampleAlarm.schedule(rp.adc.sampleTime * 1000);
    };

    // MCP3008 (feature ext-adc): CS on GP21, a 3-byte frame per sample:
    // [0x01, 0x80 | ch << 4, 0] in, [x, B9..B8, B7..B0] out. 10 bits, so a
    // level in 12-bit counts is a quarter as many here. Each byte takes 8
    // SPI clocks at the configured rate (rp2040js would complete at once).
    let index = 0;
    let value = 0;
    rp.gpio[MCP_CS_PIN].addListener((state) => {
      if (state === GPIOPinState.Low) index = 0;
    });
    const spi = rp.spi[0];
    let reply = 0;
    const done = rp.clock.createAlarm(() => spi.completeTransmit(reply));
    spi.onTransmit = (byte) => {
      reply = 0;
      if (index === 1) {
        const channel = CHIP_CHANNELS + ((byte >> 4) & 7);
        value = Math.round(512 + this.heard(channel, seconds()) / 4);
        value = Math.max(0, Math.min(1023, value));
        this.mcpSamples++;
        reply = (value >> 8) & 3;
      } else if (index === 2) reply = value & 0xff;
      index++;
      done.schedule((8 / (spi.clockFrequency || 1_350_000)) * 1e9);
    };
  }
}
