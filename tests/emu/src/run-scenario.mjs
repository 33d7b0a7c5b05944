// tests/emu/run-scenario: the release firmware on an emulated RP2040, driven
// by a scenario, with the laptop tool talking to it over a pseudo-terminal.
// README.md has the contract; `run-scenario --help` the options.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Chip, FLASH_SIZE, Image } from './chip.mjs';
import { DeviceLog, findDecoder } from './defmt.mjs';
import { Inputs } from './inputs.mjs';
import { loadScenario, ScenarioError } from './scenario.mjs';
import { UsbHost } from './usbhost.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const DEFAULT_ELF = join(root, 'firmware/target/thumbv6m-none-eabi/release/tabletalk-firmware');

const USAGE = `usage: tests/emu/run-scenario SCENARIO.json --tabletalk PATH [--flash FILE] [--out DIR]
                             [--elf FIRMWARE] [--defmt-print PATH]

Runs the release firmware image on an emulated RP2040 (rp2040js), drives
its buttons and microphones as SCENARIO.json says and runs the laptop
tool's commands against its USB link. Prints the device's log and every
command's output. Exits 0 only if the firmware never faulted or stalled
and every command exited 0; 1 if either happened; 2 on bad usage.

  --tabletalk PATH    the laptop tool to run the scenario's commands with
  --flash FILE        start from this flash image if it exists; save the
                      image there at the end (as it is at a power cut)
  --out DIR           where {out} in a command points, and where the run's
                      summary.json and each command's output go
                      (default: a new temporary directory)
  --elf FIRMWARE      the image to run (default: the firmware step's
                      firmware/target/thumbv6m-none-eabi/release/tabletalk-firmware)
  --defmt-print PATH  the defmt decoder (default: defmt-print on PATH)`;

/** Emulated time between looks at the outside world (the pty, commands). */
const SLICE_NANOS = 1e6;
/** A core that runs this long without sleeping is stalled. */
const STALL_NANOS = 1e9;
/** USB must be configured this soon after each power-up. */
const ENUMERATION_NANOS = 2e9;
/** How long, in wall-clock time, commands may still run after the end. */
const COMMAND_GRACE_MS = 120_000;

function parseArgs(argv) {
  const opt = { elf: DEFAULT_ELF, defmtPrint: 'defmt-print' };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new ScenarioError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') opt.help = true;
    else if (a === '--tabletalk') opt.tabletalk = value();
    else if (a === '--flash') opt.flash = value();
    else if (a === '--out') opt.out = value();
    else if (a === '--elf') opt.elf = value();
    else if (a === '--defmt-print') opt.defmtPrint = value();
    else if (a.startsWith('-')) throw new ScenarioError(`unknown option ${a}`);
    else rest.push(a);
  }
  if (opt.help) return opt;
  if (rest.length !== 1) throw new ScenarioError('one SCENARIO.json is needed');
  if (!opt.tabletalk) throw new ScenarioError('--tabletalk PATH is needed');
  opt.scenario = rest[0];
  return opt;
}

class Run {
  constructor(opt, scenario) {
    this.opt = opt;
    this.scenario = scenario;
    this.image = new Image(opt.elf);
    this.inputs = new Inputs();
    this.problems = []; // what makes the run fail
    this.warned = new Set();
    this.waitingForUsb = [];
    this.commands = [];
    this.running = new Set();
    this.boots = [];
    this.baseNanos = 0; // emulated time at this power-up's start
    this.cutArmed = null; // 'erase' | 'program' while a power cut waits for that operation
    this.ended = null;
    this.out = opt.out ?? mkdtempSync(join(tmpdir(), 'tabletalk-emu-out-'));
    mkdirSync(this.out, { recursive: true });
    this.linkDir = mkdtempSync(join(tmpdir(), 'tabletalk-emu-'));
    this.link = join(this.linkDir, 'tty');
    const { decoder, why } = findDecoder(opt.defmtPrint);
    this.decoder = decoder;
    if (why) this.say(why);
    let flash = new Uint8Array(FLASH_SIZE).fill(0xff);
    if (opt.flash && existsSync(opt.flash)) {
      flash = new Uint8Array(readFileSync(opt.flash)).subarray(0, FLASH_SIZE);
      this.say(`flash image loaded from ${opt.flash}`);
    }
    this.powerUp(flash, null);
  }

  say(text) {
    console.log(`[emu ${(this.nanos() / 1e6).toFixed(0).padStart(6)} ms] ${text}`);
  }

  nanos() {
    return this.baseNanos + (this.chip?.nanos ?? 0);
  }

  powerUp(flash, retained) {
    this.chip = new Chip(this.image, flash, {
      retained,
      flashOp: (kind, offset, length) => {
        if (this.cutArmed !== kind) return true;
        this.say(`power cut during a flash ${kind} of ${length} bytes at 0x${offset.toString(16)}`);
        return false;
      },
      // Once per kind: rp2040js warns about every write to a register
      // it does not model.
      warn: (text) => {
        const kind = text.replace(/ @ .*$/, '').replace(/: 0x[0-9a-f]+$/, '');
        if (this.warned.has(kind)) return;
        this.warned.add(kind);
        this.say(text);
      },
    });
    this.inputs.attach(this.chip);
    this.boot = { at_ms: this.nanos() / 1e6, usbConfigured: null };
    this.boots.push(this.boot);
    this.log?.close();
    this.log = new DeviceLog(this.image, this.decoder, (line) => console.log(`[device] ${line}`));
    this.usb = new UsbHost(this.chip.rp, {
      initialDtr: this.bridge?.open ?? false,
      nakInWhileClosed: true,
      onConfigured: () => {
        this.boot.usbConfigured = this.nanos() / 1e6;
        this.say(`USB configured (serial ${this.usb.descriptors.serial})`);
        for (const action of this.waitingForUsb.splice(0)) this.runCommand(action);
      },
      onData: (bytes) => this.bridge?.process.stdin.write(bytes),
    });
  }

  startBridge() {
    const process = spawn('python3', [join(here, 'ptybridge.py'), this.link], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
    this.bridge = { process, open: false };
    let pending = '';
    process.stdio[3].on('data', (chunk) => {
      pending += chunk.toString();
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const event = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        this.bridge.open = event === 'open';
        this.usb.setDtr(this.bridge.open);
      }
    });
    process.stdout.on('data', (bytes) => this.usb.send(bytes));
    return new Promise((resolve) => {
      const wait = () => (existsSync(this.link) ? resolve() : setTimeout(wait, 5));
      wait();
    });
  }

  runCommand(action) {
    const args = action.args.map((a) => a.replaceAll('{out}', this.out));
    const started = this.nanos() / 1e6;
    const n = this.commands.length;
    const record = { args, at_ms: started, exit: null, signal: null, interrupted: false, stdout: `cmd-${n}.stdout`, stderr: `cmd-${n}.stderr` };
    this.commands.push(record);
    const child = spawn(this.opt.tabletalk, [...args, '--port', this.link], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const entry = { child, record, interruptAt: action.interrupt_after_ms === null ? null : this.nanos() + action.interrupt_after_ms * 1e6 };
    this.running.add(entry);
    child.on('error', (e) => (stderr += `${e.message}\n`));
    child.on('close', (code, signal) => {
      this.running.delete(entry);
      record.exit = code;
      record.signal = signal;
      record.ended_ms = this.nanos() / 1e6;
      writeFileSync(join(this.out, record.stdout), stdout);
      writeFileSync(join(this.out, record.stderr), stderr);
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      const body = `${stdout}${stderr}`.replace(/\n$/, '');
      console.log(`$ tabletalk ${args.join(' ')}   [${started.toFixed(0)}..${record.ended_ms.toFixed(0)} ms] ${how}${body ? `\n${body}` : ''}`);
      // Interrupted like Ctrl-C on purpose: the tool must still end cleanly.
      const ok = code === 0 || (record.interrupted && (code === 130 || signal === 'SIGINT'));
      if (!ok && !record.cut) this.problems.push(`command failed (${how}): tabletalk ${args.join(' ')}`);
    });
  }

  act(action) {
    const pin = action.pin;
    switch (action.do) {
      case 'press':
        return this.inputs.press(pin, this.chip);
      case 'release':
        return this.inputs.release(pin, this.chip);
      case 'speak':
        this.inputs.speaking[action.channel] = action.level;
        return;
      case 'quiet':
        this.inputs.speaking[action.channel] = 0;
        return;
      case 'cmd':
        // The port exists once the device has enumerated: until then the
        // command waits, as a laptop would for the device to appear.
        if (this.boot.usbConfigured === null) {
          this.waitingForUsb.push(action);
          return;
        }
        return this.runCommand(action);
      case 'power_cut':
        if (action.during) {
          this.cutArmed = action.during;
          this.say(`power will be cut during the next flash ${action.during}`);
        } else this.end('power_cut', 'power cut');
        return;
      case 'watchdog_reset':
        this.chip.forceWatchdog();
        return;
      case 'stop':
        return this.end('stop', 'stop');
    }
  }

  end(kind, text) {
    this.ended ??= { kind, text, at_ms: this.nanos() / 1e6 };
  }

  /** A stopped core: reset it (keeping what a reset keeps), or end the run. */
  handleStop() {
    const stop = this.chip.stop;
    this.say(`core stopped: ${stop.text}`);
    if (stop.kind === 'cut') return this.end('power_cut', stop.text);
    const retained = this.chip.retained();
    if (stop.kind === 'fault') {
      this.problems.push(`firmware fault: ${stop.text}`);
      retained.reason = 0; // SYSRESETREQ sets neither watchdog reason
    } else if (!/scenario/.test(stop.text)) this.problems.push(`firmware stalled: ${stop.text}`);
    this.log.drain(this.chip.rp);
    this.say('reset: booting again');
    this.baseNanos += this.chip.nanos;
    this.powerUp(this.chip.flash().slice(), retained);
  }

  checkHealth() {
    const chip = this.chip;
    if (chip.longestBusyNanos > STALL_NANOS && !this.stalled) {
      this.stalled = true;
      this.problems.push(`firmware stalled: busy for ${(chip.longestBusyNanos / 1e6).toFixed(0)} ms without sleeping, at ${chip.where()}`);
    }
    if (this.boot.usbConfigured === null && chip.nanos > ENUMERATION_NANOS && !this.boot.enumerationReported) {
      this.boot.enumerationReported = true;
      this.problems.push(`USB not configured ${ENUMERATION_NANOS / 1e9} s after power-up`);
    }
  }

  async run() {
    await this.startBridge();
    const actions = [...this.scenario.actions];
    const endNanos = this.scenario.seconds * 1e9;
    const yieldToIo = () => new Promise((r) => setImmediate(r));
    let lastDrain = 0;
    const started = Date.now();
    while (this.ended === null) {
      if (this.nanos() >= endNanos) {
        if (this.cutArmed) this.problems.push(`power cut during a flash ${this.cutArmed} was asked for, but none happened`);
        this.end('time', `${this.scenario.seconds} s are over`);
        break;
      }
      const until = Math.min(this.nanos() + SLICE_NANOS, endNanos);
      while (actions.length && actions[0].at_ms * 1e6 <= until && this.ended === null && this.chip.stop === null) {
        const action = actions[0];
        if (action.at_ms * 1e6 > this.nanos()) this.chip.run(action.at_ms * 1e6 - this.baseNanos);
        if (this.chip.stop) break;
        actions.shift();
        this.act(action);
      }
      if (this.ended) break;
      if (this.chip.stop === null) this.chip.run(until - this.baseNanos);
      if (this.chip.stop) {
        this.handleStop();
        continue;
      }
      for (const entry of this.running) {
        if (entry.interruptAt !== null && entry.interruptAt <= this.nanos()) {
          entry.interruptAt = null;
          entry.record.interrupted = true;
          entry.child.kill('SIGINT');
        }
      }
      if (this.nanos() - lastDrain >= 5e6) {
        this.log.drain(this.chip.rp);
        lastDrain = this.nanos();
      }
      this.checkHealth();
      await yieldToIo();
    }
    // After `stop` or the end of time the device keeps running until the
    // commands still talking to it are done; a power cut ends them.
    if (this.ended.kind === 'power_cut') {
      for (const entry of this.running) {
        entry.record.cut = true;
        entry.child.kill('SIGKILL');
      }
    }
    const graceUntil = Date.now() + COMMAND_GRACE_MS;
    while (this.running.size && this.ended.kind !== 'power_cut') {
      if (Date.now() > graceUntil) {
        for (const entry of this.running) entry.child.kill('SIGKILL');
        this.problems.push('commands still running after the end: killed');
        break;
      }
      this.chip.run(this.chip.nanos + SLICE_NANOS);
      if (this.chip.stop) this.handleStop();
      this.log.drain(this.chip.rp);
      await yieldToIo();
    }
    while (this.running.size) await new Promise((r) => setTimeout(r, 10));
    this.log.drain(this.chip.rp);
    await this.log.close();
    if (this.opt.flash) writeFileSync(this.opt.flash, this.chip.flash());
    this.bridge.process.kill();
    rmSync(this.linkDir, { recursive: true, force: true });
    return this.summary((Date.now() - started) / 1000);
  }

  summary(wallSeconds) {
    const chip = this.chip;
    const summary = {
      ended: this.ended,
      emulated_ms: Math.round(this.nanos() / 1e6),
      wall_s: wallSeconds,
      boots: this.boots,
      problems: this.problems,
      commands: this.commands,
      device_log: this.log.lines,
      device_log_bytes: this.log.bytes,
      instructions_last_boot: chip.instructions,
      idle_fraction_last_boot: chip.idleNanos / Math.max(1, chip.nanos),
      longest_busy_ms: chip.longestBusyNanos / 1e6,
      stack: chip.stackUsed(),
      adc_conversions: this.inputs.adcConversions,
      mcp3008_samples: this.inputs.mcpSamples,
      status_led_edges: this.inputs.statusLedEdges,
    };
    writeFileSync(join(this.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  }
}

async function main() {
  let opt;
  let scenario;
  try {
    opt = parseArgs(process.argv.slice(2));
    if (opt.help) {
      console.log(USAGE);
      return 0;
    }
    if (!existsSync(opt.elf)) throw new ScenarioError(`no firmware image at ${opt.elf}: build it with (cd firmware && cargo build --release), or give --elf`);
    scenario = loadScenario(opt.scenario);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    console.error(`run-scenario: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const run = new Run(opt, scenario);
  if (scenario.usesExtAdc && run.image.symbols.size && ![...run.image.symbols.keys()].some((name) => name.includes('ext_adc'))) {
    console.error(`run-scenario: the scenario speaks on channels 3 and up, but ${opt.elf} was built without the ext-adc feature`);
    return 2;
  }
  const summary = await run.run();
  console.log(
    `[emu] ${summary.ended.text} at ${summary.ended.at_ms.toFixed(0)} ms; ${summary.emulated_ms} ms emulated in ${summary.wall_s.toFixed(1)} s, ` +
      `${summary.boots.length} power-up(s), ${summary.commands.length} command(s); summary in ${join(run.out, 'summary.json')}`,
  );
  for (const problem of summary.problems) console.log(`[emu] FAIL: ${problem}`);
  return summary.problems.length ? 1 : 0;
}

process.exit(await main());
