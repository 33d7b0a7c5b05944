#!/usr/bin/env node
// Turns the measurements of the target-cost image (rp2040-run.mjs --json)
// into the figures issue 4 asks for, against their targets:
//
//   * instructions per seat-sample of the level path (target <= 350),
//   * instructions and cycles per frame of the turn tracker,
//   * the RP2040 load for 8 microphone seats at 8 kHz at 125 MHz
//     (target < 25%, issue 10): level path + one tracker frame per 10 ms,
//   * the spectral detector per 20 ms frame, and the whole pipeline with it
//     on (push_samples for 8 mic seats + tick per 10 ms) against the same
//     25% (printed, never failing: the firmware does not build it).
//
// Exits 1 only when a figure is far over target (twice the budget), so a
// small overshoot is printed loudly without failing CI.
//
//   node summarize.mjs COST.json

import { readFileSync } from 'node:fs';

const CLOCK_HZ = 125e6;
const MIC_SEATS = 8;
const SAMPLE_RATE_HZ = 8000;
const FRAMES_PER_S = 100;
const BUTTON_POLLS_PER_S = 1000;
// Issue 10 allows the whole pipeline a quarter of one core, which is
// about 490 cycles per seat-sample; instructions take ~1.3 cycles.
const TARGET_INSTR_PER_SAMPLE = 350;
const TARGET_LOAD = 0.25;
const FAR_OVER = 2;

const path = process.argv[2];
if (!path) {
  console.error('usage: node summarize.mjs COST.json');
  process.exit(2);
}
const { measurements } = JSON.parse(readFileSync(path, 'utf8'));
const find = (prefix) => {
  const m = measurements.find((x) => x.label.startsWith(prefix));
  if (!m) {
    console.error(`summarize: no measurement "${prefix}…" in ${path}`);
    process.exit(2);
  }
  return m;
};
// The counter itself: a loop whose instruction and M0+ cycle counts are
// known exactly (src/marks.rs, calibrate).
const calibration = find('calibration');
if (calibration.instructions !== 2002 || calibration.cycles !== 3001) {
  console.error(
    `summarize: the counter is off: calibration counted ${calibration.instructions} instructions and ` +
      `${calibration.cycles} cycles, not 2002 and 3001`,
  );
  process.exit(1);
}
const level = find('level path: push_samples');
const large = find('  same, 320-sample blocks');
const envelope = find('envelope loop only');
const tracker = find('turn tracker');
const buttons = find('buttons');

const levelLoad = (level.cycles_per_item * MIC_SEATS * SAMPLE_RATE_HZ) / CLOCK_HZ;
const trackerLoad = (tracker.cycles_per_item * FRAMES_PER_S) / CLOCK_HZ;
const load = levelLoad + trackerLoad;
const buttonLoad = (buttons.cycles_per_item * BUTTON_POLLS_PER_S) / CLOCK_HZ;
const pct = (x) => `${(100 * x).toFixed(2)}%`;
const verdict = (value, target) =>
  value <= target ? 'ok' : value <= FAR_OVER * target ? 'OVER TARGET' : 'FAR OVER TARGET (fails)';

// Per call, per frame and per sample, from the two block sizes: a block of
// B samples (B/80 frames) costs c + B*s + (B/80)*f instructions, s the
// envelope loop.
const perCall = (4 * level.instructions_per_item * 80 - large.instructions_per_item * 320) / 3;
const perFrame = level.instructions_per_item * 80 - perCall - envelope.instructions_per_item * 80;

console.log('on-target cost (thumbv6m, rp2040js: instructions counted, Cortex-M0+ cycles estimated, no flash wait states)');
console.log('  counter calibrated: 2002 instructions, 3001 cycles for the reference loop, as expected');
console.log(
  `  level path, 8 mic seats, 80-sample blocks: ${level.instructions_per_item.toFixed(1)} instructions per seat-sample ` +
    `(target <= ${TARGET_INSTR_PER_SAMPLE}: ${verdict(level.instructions_per_item, TARGET_INSTR_PER_SAMPLE)}), ` +
    `${level.cycles_per_item.toFixed(1)} cycles`,
);
console.log(
  `    of which: sample loop ${envelope.instructions_per_item.toFixed(1)}/sample, ` +
    `per-frame work ~${Math.round(perFrame)}/frame (${(perFrame / 80).toFixed(1)}/sample), ` +
    `per-call overhead ~${Math.round(perCall)}/call (${(perCall / 80).toFixed(1)}/sample)`,
);
console.log(
  `    with 320-sample blocks: ${large.instructions_per_item.toFixed(1)} instructions, ${large.cycles_per_item.toFixed(1)} cycles per seat-sample`,
);
console.log(
  `  turn tracker (8 seats): ${Math.round(tracker.instructions_per_item)} instructions, ${Math.round(tracker.cycles_per_item)} cycles per frame ` +
    `(worst frame ${tracker.max_call_cycles} cycles)`,
);
console.log(
  `  RP2040 load, 8 mic seats at 8 kHz + tracker at 100 frames/s, 125 MHz: ${pct(load)} ` +
    `(level path ${pct(levelLoad)}, tracker ${pct(trackerLoad)}; target < ${pct(TARGET_LOAD)}: ${verdict(load, TARGET_LOAD)})`,
);
console.log(
  `  stack below the caller (deepest call): push_samples ${level.max_stack_bytes} bytes, ` +
    `tracker frame ${tracker.max_stack_bytes} bytes, poll_buttons ${buttons.max_stack_bytes} bytes (Engine<8>)`,
);
console.log(
  `  for comparison, buttons: ${Math.round(buttons.instructions_per_item)} instructions per poll of 8 seats; ` +
    `${pct(buttonLoad)} of the RP2040 when polled every ms`,
);

// The spectral detector (issue 10), per 20 ms frame of 8 seats, if measured.
const SPECTRAL_FRAMES_PER_S = 50;
const spectralRows = measurements.filter((x) => x.label.startsWith('spectral'));
for (const m of spectralRows) {
  const spectralLoad = (m.cycles_per_item * SPECTRAL_FRAMES_PER_S) / CLOCK_HZ;
  console.log(
    `  ${m.label.replace(', per frame', '')}: ${Math.round(m.cycles_per_item)} cycles per frame ` +
      `= ${pct(spectralLoad)} of the RP2040 at 50 frames/s; with the level path and tracker ${pct(load + spectralLoad)} ` +
      `(target < ${pct(TARGET_LOAD)}: ${verdict(load + spectralLoad, TARGET_LOAD)}); stack ${m.max_stack_bytes} bytes`,
  );
}

// The whole pipeline as the device would run it with the spectral detector
// deciding (issue 10's budget: all of it within a quarter of one core).
// Printed against the target, never failing the step: the firmware does not
// build the spectral detector yet.
const pipeline = measurements.find((x) => x.label.startsWith('whole pipeline, spectral on'));
if (pipeline) {
  const pipelineLoad = (pipeline.cycles_per_item * FRAMES_PER_S) / CLOCK_HZ;
  console.log(
    `  WHOLE PIPELINE with the spectral detector on (8 mic seats push_samples + tick, every 10 ms): ` +
      `${Math.round(pipeline.cycles_per_item)} cycles per 10 ms (worst ${pipeline.max_call_cycles}) = ${pct(pipelineLoad)} ` +
      `of the RP2040 at 125 MHz (target < ${pct(TARGET_LOAD)}: ${pipelineLoad <= TARGET_LOAD ? 'ok' : 'OVER TARGET, not enforced: the firmware does not run it yet'}); ` +
      `stack ${pipeline.max_stack_bytes} bytes`,
  );
}

const failed =
  level.instructions_per_item > FAR_OVER * TARGET_INSTR_PER_SAMPLE || load > FAR_OVER * TARGET_LOAD;
process.exit(failed ? 1 : 0);
