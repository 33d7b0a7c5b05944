// A stand-in for the RP2040 boot ROM, for rp2040js (which ships none, and no
// registry package ships the real one).
//
// The firmware never runs the ROM's boot path here (chip.mjs starts it at
// the reset vector of the image, as boot2 would), but embassy-rp calls ROM
// functions through the ROM's lookup table: memcpy44 (to copy boot2 to RAM),
// and the flash functions connect_internal_flash, flash_exit_xip,
// flash_range_erase, flash_range_program, flash_flush_cache,
// flash_enter_cmd_xip. Each function here is `bkpt #0xB0; bx lr`; the
// chip's onBreak handler sees the BKPT, does the work in JavaScript on
// rp2040js's flash/SRAM arrays, and the `bx lr` returns to the caller.
//
// Layout (all inside the 16 KiB that rp2040js maps at 0x00000000):
//   0x0000  initial SP, reset vector (unused)
//   0x0010  'M' 'u' 0x01, version (0x13)
//   0x0014  u16 -> function table, 0x0016 u16 -> data table,
//   0x0018  u16 -> rom_table_lookup (thumb address)
//   0x0100  rom_table_lookup:  bkpt #0xB1; bx lr
//   0x0200  function stubs, 4 bytes each: bkpt #0xB0; bx lr
//   0x0400  function table (code, ptr) pairs (informational)
//   0x0600  data table

export const BKPT_ROM_FN = 0xb0;
export const BKPT_ROM_LOOKUP = 0xb1;

const FUNC_TABLE = 0x400;
const DATA_TABLE = 0x600;
const LOOKUP = 0x100;
const STUBS = 0x200;

// RP2040 datasheet 2.8.3: two ASCII characters, first in the low byte.
const code = (s) => s.charCodeAt(0) | (s.charCodeAt(1) << 8);

const FUNCTIONS = [
  'P3', 'R3', 'L3', 'T3', // popcount32, reverse32, clz32, ctz32
  'MS', 'S4', 'MC', 'C4', // memset, memset4, memcpy, memcpy44
  'IF', 'EX', 'RE', 'RP', 'FC', 'CX', // flash
  'UB', 'DT', 'DE', 'WV', // reset_to_usb_boot, debug trampolines, wait_for_vector
];

export function buildRom() {
  const bytes = new Uint8Array(16 * 1024);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x20042000, true);
  view.setUint32(4, LOOKUP | 1, true);
  bytes[0x10] = 0x4d; // 'M'
  bytes[0x11] = 0x75; // 'u'
  bytes[0x12] = 0x01;
  bytes[0x13] = 0x03; // B2 silicon's ROM version
  view.setUint16(0x14, FUNC_TABLE, true);
  view.setUint16(0x16, DATA_TABLE, true);
  view.setUint16(0x18, LOOKUP | 1, true);
  view.setUint16(LOOKUP, 0xbe00 | BKPT_ROM_LOOKUP, true);
  view.setUint16(LOOKUP + 2, 0x4770, true); // bx lr
  const byAddress = new Map();
  const byCode = new Map();
  FUNCTIONS.forEach((name, i) => {
    const at = STUBS + 4 * i;
    view.setUint16(at, 0xbe00 | BKPT_ROM_FN, true);
    view.setUint16(at + 2, 0x4770, true);
    byAddress.set(at, name);
    byCode.set(code(name), at);
    view.setUint16(FUNC_TABLE + 4 * i, code(name), true);
    view.setUint16(FUNC_TABLE + 4 * i + 2, at | 1, true);
  });
  return { words: new Uint32Array(bytes.buffer), byAddress, byCode, FUNC_TABLE, DATA_TABLE };
}

/**
 * Installs the ROM into `rp` and returns a handler for BKPTs it raised
 * (returns true when the BKPT was the ROM's). `log(name, args)` is called for
 * every ROM call. `flashOp(kind, offset, length)` is asked before each erase
 * or program whether it completes (true) or the power is cut during it
 * (false): then the flash is left as a cut operation leaves it and
 * `onCut()` is called.
 */
export function installRom(rp, { log = () => {}, flashOp = () => true, onCut = () => {} } = {}) {
  const rom = buildRom();
  rp.bootrom.set(rom.words);
  const core = rp.core;
  const calls = new Map();
  const unknown = [];
  function handle(code) {
    const at = (core.PC - 2) >>> 0;
    const r = core.registers;
    if (code === BKPT_ROM_LOOKUP && at === LOOKUP) {
      const table = r[0] >>> 0;
      const wanted = r[1] & 0xffff;
      const name = String.fromCharCode(wanted & 0xff, wanted >> 8);
      if (table === rom.FUNC_TABLE && rom.byCode.has(wanted)) {
        r[0] = rom.byCode.get(wanted) | 1;
      } else {
        unknown.push(`${table === rom.FUNC_TABLE ? 'function' : 'data'} '${name}'`);
        log('lookup-unknown', [name, table]);
        r[0] = 0;
      }
      return true;
    }
    if (code !== BKPT_ROM_FN || !rom.byAddress.has(at)) return false;
    const name = rom.byAddress.get(at);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    const a0 = r[0] >>> 0, a1 = r[1] >>> 0, a2 = r[2] >>> 0;
    log(name, [a0, a1, a2, r[3] >>> 0]);
    switch (name) {
      case 'MC': case 'C4':
        for (let i = 0; i < a2; i++) rp.writeUint8(a0 + i, rp.readUint8(a1 + i));
        break; // r0 = dest already
      case 'MS': case 'S4':
        for (let i = 0; i < a2; i++) rp.writeUint8(a0 + i, a1 & 0xff);
        break;
      case 'P3': { let v = a0, n = 0; while (v) { n += v & 1; v >>>= 1; } r[0] = n; break; }
      case 'R3': { let v = a0, o = 0; for (let i = 0; i < 32; i++) { o = (o << 1) | (v & 1); v >>>= 1; } r[0] = o >>> 0; break; }
      case 'L3': r[0] = Math.clz32(a0); break;
      case 'T3': r[0] = a0 === 0 ? 32 : 31 - Math.clz32(a0 & -a0); break;
      case 'IF': case 'EX': case 'FC': case 'CX':
        break; // the XIP/SSI state is not modelled
      case 'RE': { // flash_range_erase(offset, count, block_size, block_cmd)
        if (a0 % 4096 || a1 % 4096 || a0 + a1 > rp.flash.length) {
          log('bad-erase', [a0, a1]);
          break;
        }
        if (flashOp('erase', a0, a1)) {
          rp.flash.fill(0xff, a0, a0 + a1);
          break;
        }
        // Cut halfway through its first sector: that one half erased (its
        // first half 0xff, the rest as it was).
        rp.flash.fill(0xff, a0, a0 + 2048);
        onCut();
        break;
      }
      case 'RP': { // flash_range_program(offset, data, count): NOR, bits only go 1 -> 0
        if (a0 % 256 || a2 % 256 || a0 + a2 > rp.flash.length) {
          log('bad-program', [a0, a2]);
          break;
        }
        let done = a2;
        if (!flashOp('program', a0, a2)) {
          // Cut halfway through the bytes that change (the driver pads a
          // write to whole 256-byte pages with 0xff, which programs
          // nothing): the entry being written is torn.
          let first = 0;
          let last = a2 - 1;
          while (first < a2 && rp.readUint8(a1 + first) === 0xff) first++;
          while (last > first && rp.readUint8(a1 + last) === 0xff) last--;
          done = first + ((last - first + 1) >> 1);
        }
        for (let i = 0; i < done; i++) rp.flash[a0 + i] &= rp.readUint8(a1 + i);
        if (done < a2) onCut();
        break;
      }
      default:
        log('unhandled', [name]);
    }
    return true;
  }
  return { handle, calls, unknown };
}
