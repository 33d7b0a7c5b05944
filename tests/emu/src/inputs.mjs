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

export class Inputs {
  constructor() {
    this.pressed = new Set(); // pins held low
    this.speaking = new Array(CHANNELS).fill(0); // peak amplitude, 0: room noise only
    this.seed = 12345;
    this.adcConversions = 0;
    this.mcpSamples = 0;
    this.statusLedEdges = 0;
  }

  /** Uniform in [-1, 1), from a fixed seed: runs repeat exactly. */
  noise() {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return (this.seed / 2 ** 32) * 2 - 1;
  }

  /** The signal's amplitude (12-bit ADC counts) on `channel` now. */
  amplitude(channel, seconds) {
    const peak = this.speaking[channel] ?? 0;
    return peak ? peak * syllables(seconds, channel) : ROOM_NOISE;
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
      const value = 2048 + this.amplitude(channel, seconds()) * this.noise();
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
        value = Math.round(512 + (this.amplitude(channel, seconds()) / 4) * this.noise());
        value = Math.max(0, Math.min(1023, value));
        this.mcpSamples++;
        reply = (value >> 8) & 3;
      } else if (index === 2) reply = value & 0xff;
      index++;
      done.schedule((8 / (spi.clockFrequency || 1_350_000)) * 1e9);
    };
  }
}
