#!/usr/bin/env node
// Runs a bare-metal thumbv6m ELF on rp2040js (an RP2040 emulator) and counts,
// deterministically, the instructions and the Cortex-M0+ cycles between
// measurement marks that the image sets with BKPT instructions.
//
//   node rp2040-run.mjs IMAGE.elf [--json FILE] [--profile FILE]
//
// Prints one line per measurement label (instructions and cycles per item,
// the most cycles any single measured call took, and the deepest the stack
// went below the stack pointer at the begin mark); --json also writes
// them, with the figures, for scripts. --profile writes how often each
// instruction address ran inside each measurement (JSON: label -> {address:
// count}), for profile.py to map to source lines and functions.
//
// The image talks to this runner only through breakpoints (see
// src/marks.rs):
//   bkpt #0x10  begin a measurement: r0 = items measured, r1/r2 = address
//               and length of its label (UTF-8)
//   bkpt #0x11  end the measurement begun last
//   bkpt #0x12  a figure to print: r0 = value, r1/r2 = label
//   bkpt #0x7f  done, r0 = exit code (0 = success)
// A UDF (how Rust aborts on a panic) or running past the instruction budget
// ends the run with a failure.
//
// No bootrom or second-stage boot loader is loaded: the ELF's segments are
// copied straight into flash and SRAM and the core starts at the reset
// vector, so flash reads cost no wait states here (on a Pico, hot code runs
// from the XIP cache or RAM at about the same speed). Cycles are rp2040js's
// timing model of the Cortex-M0+ (one per instruction, plus one per memory
// access, plus the pipeline refill of taken branches and calls).

import { readFileSync, writeFileSync } from 'node:fs';
import { RP2040 } from 'rp2040js';

const FLASH_START = 0x10000000;
const SRAM_START = 0x20000000;
const MAX_INSTRUCTIONS = 4_000_000_000;

function usage(message) {
  console.error(`rp2040-run: ${message}\nusage: node rp2040-run.mjs IMAGE.elf [--json FILE] [--profile FILE]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let elfPath = null;
let jsonPath = null;
let profilePath = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') jsonPath = args[++i] ?? usage('--json needs a file');
  else if (args[i] === '--profile') profilePath = args[++i] ?? usage('--profile needs a file');
  else if (args[i].startsWith('-')) usage(`unknown option ${args[i]}`);
  else if (elfPath === null) elfPath = args[i];
  else usage('one image only');
}
if (elfPath === null) usage('no image given');

// --- ELF32 little-endian ARM: copy every PT_LOAD segment to its load address.
function loadElf(rp, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf || bytes[4] !== 1 || bytes[5] !== 1) throw new Error('not a 32-bit little-endian ELF');
  if (view.getUint16(18, true) !== 40) throw new Error('not an ARM ELF');
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== 1 /* PT_LOAD */) continue;
    const offset = view.getUint32(ph + 4, true);
    const paddr = view.getUint32(ph + 12, true);
    const filesz = view.getUint32(ph + 16, true);
    if (filesz === 0) continue;
    const data = bytes.subarray(offset, offset + filesz);
    if (paddr >= FLASH_START && paddr + filesz <= FLASH_START + rp.flash.length) {
      rp.flash.set(data, paddr - FLASH_START);
    } else if (paddr >= SRAM_START && paddr + filesz <= SRAM_START + rp.sram.length) {
      rp.sram.set(data, paddr - SRAM_START);
    } else {
      throw new Error(`segment at 0x${paddr.toString(16)} (${filesz} bytes) is outside flash and SRAM`);
    }
  }
}

function readLabel(core, address, length) {
  const bytes = new Uint8Array(Math.min(length, 200));
  for (let i = 0; i < bytes.length; i++) bytes[i] = core.readUint8(address + i);
  return new TextDecoder().decode(bytes);
}

const rp = new RP2040();
rp.logger = { debug() {}, info() {}, warn() {}, error: (_c, m) => console.error(`rp2040js: ${m}`) };
loadElf(rp, readFileSync(elfPath));
const core = rp.core;
core.VTOR = FLASH_START;
core.SP = core.readUint32(FLASH_START);
core.PC = core.readUint32(FLASH_START + 4) & ~1;

let instructions = 0;
let open = null;
let exitCode = null;
// Measurements with the same label add up (a workload measured call by
// call); the largest single call is kept too.
const measurements = new Map();
const figures = [];

function record(label, items, spentInstructions, spentCycles, stackBytes) {
  let m = measurements.get(label);
  if (m === undefined) {
    m = { label, calls: 0, items: 0, instructions: 0, cycles: 0, max_call_instructions: 0, max_call_cycles: 0, max_stack_bytes: 0 };
    measurements.set(label, m);
  }
  m.calls += 1;
  m.items += items;
  m.instructions += spentInstructions;
  m.cycles += spentCycles;
  m.max_call_instructions = Math.max(m.max_call_instructions, spentInstructions);
  m.max_call_cycles = Math.max(m.max_call_cycles, spentCycles);
  m.max_stack_bytes = Math.max(m.max_stack_bytes, stackBytes);
}

rp.onBreak = (code) => {
  const r = core.registers;
  const at = core.PC - 2; // rp2040js has already stepped past the BKPT
  const isBkpt = core.readUint16(at) >> 8 === 0xbe;
  if (!isBkpt) {
    console.error(`rp2040-run: the image aborted (UDF #${code}) at 0x${at.toString(16)}`);
    exitCode = 101;
    return;
  }
  switch (code) {
    case 0x10:
      if (open !== null) throw new Error(`measurement "${open.label}" is still open`);
      // Counters before this BKPT; the BKPT itself is taken off at the end.
      open = {
        label: readLabel(core, r[1], r[2]),
        items: r[0],
        instructions,
        cycles: core.cycles,
        sp: core.SP,
        minSp: core.SP,
      };
      break;
    case 0x11:
      if (open === null) throw new Error('end of a measurement that never began');
      record(open.label, open.items, instructions - open.instructions - 1, core.cycles - open.cycles - 1, open.sp - open.minSp);
      open = null;
      break;
    case 0x12:
      figures.push({ label: readLabel(core, r[1], r[2]), value: r[0] });
      break;
    case 0x7f:
      exitCode = r[0];
      break;
    default:
      console.error(`rp2040-run: unknown breakpoint #${code} at 0x${at.toString(16)}`);
      exitCode = 1;
  }
};

const profile = new Map();
const started = process.hrtime.bigint();
while (exitCode === null) {
  if (open !== null && core.SP < open.minSp) open.minSp = core.SP;
  if (profilePath !== null && open !== null) {
    let counts = profile.get(open.label);
    if (counts === undefined) profile.set(open.label, (counts = new Map()));
    const pc = core.PC & ~1;
    counts.set(pc, (counts.get(pc) ?? 0) + 1);
  }
  core.executeInstruction();
  instructions++;
  if (instructions >= MAX_INSTRUCTIONS) {
    console.error(`rp2040-run: no end after ${instructions} instructions (pc=0x${core.PC.toString(16)})`);
    exitCode = 124;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const results = [...measurements.values()].map((m) => ({
  ...m,
  instructions_per_item: m.instructions / m.items,
  cycles_per_item: m.cycles / m.items,
}));
if (jsonPath !== null) {
  const document = { image: elfPath, measurements: results, figures, instructions, cycles: core.cycles };
  writeFileSync(jsonPath, JSON.stringify(document, null, 2) + '\n');
}
if (profilePath !== null) {
  const document = {};
  for (const [label, counts] of profile) {
    document[label] = Object.fromEntries([...counts].map(([pc, n]) => [`0x${pc.toString(16)}`, n]));
  }
  writeFileSync(profilePath, JSON.stringify({ image: elfPath, profile: document }) + '\n');
}
const fixed = (x, width) => x.toFixed(1).padStart(width);
console.log(
  `${'measurement'.padEnd(46)} ${'items'.padStart(8)} ${'instr/item'.padStart(10)} ${'cycles/item'.padStart(11)} ` +
    `${'max call (cycles)'.padStart(18)} ${'stack (bytes)'.padStart(13)}`,
);
for (const m of results) {
  console.log(
    `${m.label.padEnd(46)} ${String(m.items).padStart(8)} ${fixed(m.instructions_per_item, 10)} ${fixed(m.cycles_per_item, 11)} ` +
      `${String(m.max_call_cycles).padStart(18)} ${String(m.max_stack_bytes).padStart(13)}`,
  );
}
for (const f of figures) console.log(`${f.label.padEnd(46)} ${f.value}`);
console.error(
  `rp2040-run: ${instructions} instructions, ${core.cycles} cycles emulated in ${seconds.toFixed(2)} s, exit ${exitCode}`,
);
process.exit(exitCode);
