// One power-up of the emulated Pico: an rp2040js RP2040 with the stand-in
// boot ROM (rom.mjs) and the fixes rp2040js 1.4.1 needs (patches.mjs), the
// firmware image loaded over the flash contents, started at its reset
// vector as boot2 would leave it.
//
// A reset (watchdog, or the firmware's own AIRCR request after a panic or a
// fault) is a new Chip built from the old one's flash, SRAM and watchdog
// scratch registers, which on silicon survive everything but a power cut.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RP2040 } from 'rp2040js';
import { installRom } from './rom.mjs';
import { applyPatches } from './patches.mjs';

/** The Pico's flash chip (W25Q16JV). */
export const FLASH_SIZE = 2 * 1024 * 1024;
const XIP_BASE = 0x10000000;
/** embassy-rp's image: boot2 in the first 256 bytes, the vector table after. */
const VECTORS = XIP_BASE + 0x100;
const CYCLE_NANOS = 1e9 / 125e6;

/** The firmware image: its loadable segments and its symbols. */
export class Image {
  constructor(path) {
    this.path = path;
    this.segments = [];
    this.functions = []; // [address, name], by address
    this.symbols = new Map();
    this.#parse(readFileSync(path));
    this.#readSymbols();
  }

  #parse(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, false) !== 0x7f454c46) throw new Error(`${this.path}: not an ELF file`);
    const phoff = view.getUint32(28, true);
    const phentsize = view.getUint16(42, true);
    const phnum = view.getUint16(44, true);
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (view.getUint32(ph, true) !== 1) continue; // PT_LOAD
      const offset = view.getUint32(ph + 4, true);
      const paddr = view.getUint32(ph + 12, true);
      const filesz = view.getUint32(ph + 16, true);
      if (filesz) this.segments.push([paddr, bytes.subarray(offset, offset + filesz)]);
    }
  }

  // llvm-nm (Debian's llvm) names the functions in fault reports and finds
  // the RTT control block; without it both are missing, nothing else.
  #readSymbols() {
    let out = '';
    try {
      out = execFileSync('llvm-nm', ['-n', '--defined-only', this.path], { encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch {
      return;
    }
    for (const line of out.split('\n')) {
      const [addr, type, name] = line.split(' ');
      if (!name) continue;
      const at = parseInt(addr, 16);
      this.symbols.set(name, at);
      if (/[tT]/.test(type)) this.functions.push([at, name]);
    }
  }

  /** `function+0xoffset` for a code address. */
  symbolize(pc) {
    let lo = 0;
    let hi = this.functions.length - 1;
    let best = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.functions[mid][0] <= pc) {
        best = this.functions[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!best) return `0x${pc.toString(16)}`;
    return `${best[1].replace(/17h[0-9a-f]{16}E$/, '')}+0x${(pc - best[0]).toString(16)}`;
  }
}

/** What unused stack holds (see Chip's constructor). */
const STACK_PAINT = 0xa5;

export class Chip {
  /**
   * @param image an Image
   * @param flash the flash contents at power-up (FLASH_SIZE bytes)
   * @param retained what a reset keeps ({ sram, scratch, reason }), or null at power-up
   * @param flashOp see rom.mjs; `onCut` is called when it cut an operation short
   */
  constructor(image, flash, { retained = null, uid, flashOp, onCut, warn = () => {} } = {}) {
    this.image = image;
    this.rp = new RP2040();
    this.stop = null; // why the core stopped: {kind: 'reset'|'fault'|'cut', text}
    const rp = this.rp;
    rp.logger = {
      debug() {},
      info: (_component, message) => {
        if (message === 'SEV') this.patches.sev();
      },
      warn: (component, message) => warn(`rp2040js ${component}: ${message} @ ${this.where()}`),
      error: (component, message) => warn(`rp2040js error ${component}: ${message} @ ${this.where()}`),
    };
    rp.flash.set(flash.subarray(0, FLASH_SIZE));
    for (const [addr, data] of image.segments) {
      if (addr >= XIP_BASE && addr < XIP_BASE + FLASH_SIZE) rp.flash.set(data, addr - XIP_BASE);
      else if (addr >= 0x20000000) rp.sram.set(data, addr - 0x20000000);
      else throw new Error(`${image.path}: a segment at 0x${addr.toString(16)}`);
    }
    // The stack's high-water mark: at power-up everything between the
    // statics' end (__sheap) and the top of RAM is painted; the firmware's
    // startup code touches only .data and .bss, so whatever the stack ever
    // wrote there (zeros too) shows (stackUsed). A reset keeps the paint
    // as it was, so the mark is since power-up.
    this.stackTop = image.symbols.get('_stack_start');
    this.stackFloor = image.symbols.get('__sheap');
    if (!retained && this.stackTop && this.stackFloor) {
      rp.sram.fill(STACK_PAINT, this.stackFloor - 0x20000000, this.stackTop - 0x20000000);
    }
    const watchdog = rp.peripherals[0x40058];
    if (retained) {
      // .data and .bss are set up by the firmware's startup code anyway;
      // what it does not initialise is what survives on silicon.
      rp.sram.set(retained.sram);
      watchdog.scratchData.set(retained.scratch);
      watchdog.reason = retained.reason;
    }
    this.rom = installRom(rp, { flashOp, onCut: () => { onCut?.(); this.halt('cut', 'power cut during a flash operation'); } });
    this.patches = applyPatches(rp, {
      uid,
      onReset: (why) => this.halt('fault', `${why} reset requested at ${this.where()}`),
    });
    watchdog.onWatchdogTrigger = () => this.halt('reset', `watchdog ${watchdog.reason & 2 ? 'forced' : 'timed out'} at ${this.where()}`);
    rp.onBreak = (code) => {
      if (this.rom.handle(code)) return;
      const at = (rp.core.PC - 2) >>> 0;
      const what = rp.readUint16(at) >> 8 === 0xbe ? 'BKPT' : 'UDF';
      this.halt('fault', `${what} #${code} at ${image.symbolize(at)}`);
    };
    const core = rp.core;
    core.VTOR = VECTORS;
    core.SP = rp.readUint32(VECTORS);
    core.PC = rp.readUint32(VECTORS + 4) & ~1;
    this.instructions = 0;
    this.idleNanos = 0;
    this.busySinceNanos = 0; // when the core last slept (WFE/WFI)
    this.longestBusyNanos = 0;
  }


  /** The most stack the firmware used since power-up (bytes), and how much
   * was left below it; null if the image names no stack bounds. */
  stackUsed() {
    if (!this.stackTop || !this.stackFloor) return null;
    const sram = this.rp.sram;
    let at = this.stackFloor - 0x20000000;
    const top = this.stackTop - 0x20000000;
    while (at < top && sram[at] === STACK_PAINT) at++;
    return { used: top - at, free: at - (this.stackFloor - 0x20000000) };
  }
  where() {
    return this.image.symbolize(this.rp.core.PC >>> 0);
  }

  get nanos() {
    return this.rp.clock.nanos;
  }

  halt(kind, text) {
    this.stop ??= { kind, text };
  }

  /** Runs until emulated time `until` (ns) or until the core stops. */
  run(until) {
    const { core, clock } = this.rp;
    while (clock.nanos < until && this.stop === null) {
      if (core.waiting) {
        const next = clock.nextAlarm ? clock.nextAlarm.nanos : until;
        const target = Math.min(Math.max(next, clock.nanos), until);
        this.idleNanos += target - clock.nanos;
        clock.tick(target - clock.nanos);
        this.busySinceNanos = clock.nanos;
        continue;
      }
      const cycles = core.executeInstruction();
      this.instructions++;
      clock.tick(cycles * CYCLE_NANOS);
      const busy = clock.nanos - this.busySinceNanos;
      if (busy > this.longestBusyNanos) this.longestBusyNanos = busy;
    }
  }

  /** The watchdog fires now, as when a task hangs. */
  forceWatchdog() {
    const watchdog = this.rp.peripherals[0x40058];
    watchdog.reason = 1; // TIMER
    this.halt('reset', `watchdog timed out (the scenario's watchdog_reset) at ${this.where()}`);
  }

  /** What a reset keeps. */
  retained() {
    const watchdog = this.rp.peripherals[0x40058];
    return { sram: this.rp.sram.slice(), scratch: watchdog.scratchData.slice(), reason: watchdog.reason };
  }

  flash() {
    return this.rp.flash.subarray(0, FLASH_SIZE);
  }
}
