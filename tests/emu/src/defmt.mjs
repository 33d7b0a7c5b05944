// The firmware's log: defmt frames in the RTT up-channel 0 in SRAM (what a
// debug probe would read), drained by the runner and decoded by
// `defmt-print` (scripts/setup.sh installs it), one line per message.

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The decoder, or null (with a reason) when it is not installed. */
export function findDecoder(path) {
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { decoder: null, why: `${path} not found (scripts/setup.sh --tests installs it): the device log is not decoded` };
  return { decoder: path, why: null };
}

export class DeviceLog {
  /**
   * @param image the firmware Image (its ELF holds the format strings)
   * @param decoder the defmt-print program, or null
   * @param print called with each decoded line
   */
  constructor(image, decoder, print) {
    this.rtt = image.symbols.get('_SEGGER_RTT');
    this.bytes = 0;
    this.lines = [];
    this.process = null;
    if (this.rtt === undefined || !decoder) return;
    this.process = spawn(decoder, ['-e', image.path], { stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (stream) =>
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        print(line);
      });
    collect(this.process.stdout);
    collect(this.process.stderr);
    this.closed = new Promise((resolve) => this.process.on('close', resolve));
  }

  /** Moves what the firmware wrote since the last call out of its ring. */
  drain(rp) {
    if (this.rtt === undefined) return;
    const up = this.rtt + 24; // after the 16-byte id and two channel counts
    const buffer = rp.readUint32(up + 4);
    const size = rp.readUint32(up + 8);
    const write = rp.readUint32(up + 12);
    let read = rp.readUint32(up + 16);
    if (!size || write === read || write >= size) return;
    const bytes = [];
    while (read !== write) {
      bytes.push(rp.readUint8(buffer + read));
      read = (read + 1) % size;
    }
    rp.writeUint32(up + 16, read);
    this.bytes += bytes.length;
    this.process?.stdin.write(Uint8Array.from(bytes));
  }

  /** Every line decoded (waits for the decoder to finish). */
  async close() {
    if (!this.process) return;
    this.process.stdin.end();
    await this.closed;
  }
}
