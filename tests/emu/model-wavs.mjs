#!/usr/bin/env node
// The emulated table's microphone signals (src/inputs.mjs) as one WAV per
// microphone, for the laptop's replay: what the spectral detector makes of
// the modelled propagation delays, while the device cannot run it yet
// (docs/hardware.md). Chip-ADC microphones 0-2, sampled as the RP2040's
// round robin does (channel k 1/24000 s after channel 0), 8 kHz.
//
//   node tests/emu/model-wavs.mjs OUT_DIR
//   tabletalk replay --wav OUT_DIR/mic0.wav OUT_DIR/mic1.wav OUT_DIR/mic2.wav \
//       --set mic.spectral_on=true -o OUT_DIR/spectral.ttlog
//
// Talkers (seat: from-to s, level 600): 0: 2-4, 7.5-10, 12.5-13.5;
// 1: 5-6.5, 9-11 (overlapping 0 for 1 s); 2 silent. 16 s.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Inputs, CHANNELS } from './src/inputs.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: node tests/emu/model-wavs.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const RATE = 8000;
const SECONDS = 16;
const TURNS = [[0, 2, 4], [1, 5, 6.5], [0, 7.5, 10], [1, 9, 11], [0, 12.5, 13.5]];
const MICS = [0, 1, 2];
const inputs = new Inputs();
const data = MICS.map(() => new Int16Array(RATE * SECONDS));
for (let n = 0; n < RATE * SECONDS; n++) {
  for (const [i, mic] of MICS.entries()) {
    const t = n / RATE + mic / 24000;
    for (let k = 0; k < CHANNELS; k++) inputs.speaking[k] = 0;
    for (const [seat, from, to] of TURNS) if (t >= from && t < to) inputs.speaking[seat] = 600;
    // 12-bit ADC counts around the bias, as 16-bit PCM.
    data[i][n] = Math.max(-32768, Math.min(32767, Math.round(inputs.heard(mic, t) * 16)));
  }
}
for (const [i, mic] of MICS.entries()) {
  const pcm = Buffer.from(data[i].buffer);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  writeFileSync(join(out, `mic${mic}.wav`), Buffer.concat([h, pcm]));
}
