// The scenario file: `{"seconds": N, "events": [...]}` (README.md). Read
// into a timeline of actions at emulated milliseconds; anything it does not
// know is an error with the event's index, never ignored.

import { readFileSync } from 'node:fs';
import { FACILITATOR_PIN, SEAT_PINS, CHANNELS, CHIP_CHANNELS } from './inputs.mjs';

export class ScenarioError extends Error {}

const KINDS = ['press', 'speak', 'cmd', 'power_cut', 'watchdog_reset', 'stop'];
const OPTIONAL = {
  press: ['for_ms'],
  speak: ['for_ms', 'level'],
  cmd: ['for_ms'],
  power_cut: ['during'],
  watchdog_reset: [],
  stop: [],
};
const REQUIRED = { press: ['for_ms'], speak: ['for_ms', 'level'] };

const isMs = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Returns { seconds, actions, usesExtAdc }: actions sorted by time (stable
 * for equal times), each { at_ms, do: 'press' | 'release' | 'speak' |
 * 'quiet' | 'cmd' | 'power_cut' | 'watchdog_reset' | 'stop', ... }.
 */
export function loadScenario(path) {
  let json;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ScenarioError(`${path}: ${e.message}`);
  }
  const fail = (what) => {
    throw new ScenarioError(`${path}: ${what}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('not a JSON object');
  for (const key of Object.keys(json)) if (!['seconds', 'events'].includes(key)) fail(`unknown key "${key}" (seconds, events)`);
  if (!(typeof json.seconds === 'number' && json.seconds > 0 && json.seconds <= 3600)) fail('"seconds" must be a number in (0, 3600]');
  if (!Array.isArray(json.events)) fail('"events" must be an array');
  const actions = [];
  let usesExtAdc = false;
  json.events.forEach((event, i) => {
    const bad = (what) => fail(`event ${i}: ${what}`);
    if (event === null || typeof event !== 'object' || Array.isArray(event)) bad('not an object');
    if (!isMs(event.at_ms)) bad('"at_ms" must be a number of milliseconds >= 0');
    if (event.at_ms > json.seconds * 1000) bad(`at_ms ${event.at_ms} is after the run's end (${json.seconds} s)`);
    const kinds = KINDS.filter((k) => k in event);
    if (kinds.length !== 1) bad(`needs exactly one of ${KINDS.join(', ')}`);
    const kind = kinds[0];
    for (const key of Object.keys(event)) {
      if (key !== 'at_ms' && key !== kind && !OPTIONAL[kind].includes(key)) bad(`unknown key "${key}" for ${kind}`);
    }
    for (const key of REQUIRED[kind] ?? []) if (!(key in event)) bad(`${kind} needs "${key}"`);
    if ('for_ms' in event && !(isMs(event.for_ms) && event.for_ms > 0)) bad('"for_ms" must be a number of milliseconds > 0');
    const at = event.at_ms;
    const end = at + (event.for_ms ?? 0);
    switch (kind) {
      case 'press': {
        const who = event.press;
        const pin = who === 'facilitator' ? FACILITATOR_PIN : Number.isInteger(who) ? SEAT_PINS[who] : undefined;
        if (pin === undefined) bad(`press: a seat 0-${SEAT_PINS.length - 1} or "facilitator", not ${JSON.stringify(who)}`);
        actions.push({ at_ms: at, do: 'press', pin, who }, { at_ms: end, do: 'release', pin, who });
        break;
      }
      case 'speak': {
        const channel = event.speak;
        if (!(Number.isInteger(channel) && channel >= 0 && channel < CHANNELS)) bad(`speak: a channel 0-${CHANNELS - 1}, not ${JSON.stringify(channel)}`);
        if (!(typeof event.level === 'number' && event.level > 0 && event.level <= 2047)) bad('speak: "level" must be ADC counts in (0, 2047]');
        if (channel >= CHIP_CHANNELS) usesExtAdc = true;
        actions.push({ at_ms: at, do: 'speak', channel, level: event.level }, { at_ms: end, do: 'quiet', channel });
        break;
      }
      case 'cmd': {
        const args = event.cmd;
        if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string')) bad('cmd: a non-empty array of strings');
        if (args.includes('--port')) bad('cmd: --port is added by the runner');
        actions.push({ at_ms: at, do: 'cmd', args, interrupt_after_ms: event.for_ms ?? null, index: i });
        break;
      }
      case 'power_cut': {
        if (event.power_cut !== true) bad('power_cut must be true');
        const during = event.during ?? null;
        if (during !== null && !['erase', 'program'].includes(during)) bad('power_cut: "during" is "erase" or "program"');
        actions.push({ at_ms: at, do: 'power_cut', during });
        break;
      }
      case 'watchdog_reset':
      case 'stop':
        if (event[kind] !== true) bad(`${kind} must be true`);
        actions.push({ at_ms: at, do: kind });
        break;
    }
  });
  actions.sort((a, b) => a.at_ms - b.at_ms);
  return { seconds: json.seconds, actions, usesExtAdc };
}
