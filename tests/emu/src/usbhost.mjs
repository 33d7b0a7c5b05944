// A minimal USB host for rp2040js's device-mode USB controller: enumerates
// the device (SET_ADDRESS, descriptors, SET_CONFIGURATION), opens its CDC-ACM
// function (SET_LINE_CODING, SET_CONTROL_LINE_STATE with DTR), then moves
// bytes over the bulk endpoints.
//
// rp2040js's own USBCDC helper does not fit embassy-usb: it sends the CDC
// class request to the device instead of the interface (embassy stalls it, so
// DTR never comes), and its controller model clears an OUT buffer's
// AVAILABLE bit the moment the firmware arms it, before any data arrived
// (embassy-rp polls that bit, so every read would complete at once with stale
// bytes). patchController() fixes the latter: an armed OUT buffer stays
// AVAILABLE until the host fills it.

const USB_BUF_CTRL_AVAILABLE = 1 << 10;
const USB_BUF_CTRL_STALL = 1 << 11;
const USB_BUF_CTRL_FULL = 1 << 15;
const USB_BUF_CTRL_LEN_MASK = 0x3ff;
const EP0_IN_BUFFER_CONTROL = 0x80;
const EP15_OUT_BUFFER_CONTROL = 0xfc;

export function patchController(usb, rp2040, onStall) {
  // IN packets the host is not reading yet (a closed port): endpoint -> buffer-control offset.
  usb.heldIn = new Map();
  usb.inGate = () => true;
  usb.releaseIn = function () {
    for (const [endpoint, offset] of this.heldIn) {
      this.heldIn.delete(endpoint);
      this.DPRAMUpdated(offset, rp2040.usbDPRAMView.getUint32(offset, true));
    }
  };
  usb.DPRAMUpdated = function (offset, value) {
    if (this.hostMode) return;
    if (offset < EP0_IN_BUFFER_CONTROL || offset > EP15_OUT_BUFFER_CONTROL) return;
    const endpoint = (offset - EP0_IN_BUFFER_CONTROL) >> 3;
    const out = !!(offset & 4);
    if (value & USB_BUF_CTRL_STALL) onStall?.(endpoint, out);
    if (!(value & USB_BUF_CTRL_AVAILABLE)) return;
    if (endpoint !== 0) {
      const control = this.readEndpointControlReg(endpoint, out);
      if (control & (1 << 30)) this.warn(`double-buffered endpoint ${endpoint} not modelled`);
    }
    const length = value & USB_BUF_CTRL_LEN_MASK;
    const bufferOffset = this.getEndpointBufferOffset(endpoint, out);
    if (out) {
      // Stays AVAILABLE until the host sends a packet (finishRead).
      this.onEndpointRead?.(endpoint, length);
    } else if (!this.inGate(endpoint)) {
      // The host does not poll this IN endpoint now (NAK): the buffer stays AVAILABLE.
      this.heldIn.set(endpoint, offset);
    } else {
      value &= ~(USB_BUF_CTRL_AVAILABLE | USB_BUF_CTRL_FULL);
      rp2040.usbDPRAMView.setUint32(offset, value, true);
      const buffer = rp2040.usbDPRAM.slice(bufferOffset, bufferOffset + length);
      this.indicateBufferReady(endpoint, false);
      this.endpointWriteAlarms[endpoint].schedule(buffer, this.writeDelayMicroseconds * 1000);
    }
  };
  usb.finishRead = function (endpoint, buffer) {
    const bufferOffset = this.getEndpointBufferOffset(endpoint, true);
    const reg = EP0_IN_BUFFER_CONTROL + endpoint * 8 + 4;
    let control = rp2040.usbDPRAMView.getUint32(reg, true);
    if (!(control & USB_BUF_CTRL_AVAILABLE)) {
      this.warn(`host sent to OUT endpoint ${endpoint}, which is not armed`);
      return;
    }
    const length = Math.min(buffer.length, control & USB_BUF_CTRL_LEN_MASK);
    control &= ~(USB_BUF_CTRL_AVAILABLE | USB_BUF_CTRL_LEN_MASK);
    control |= USB_BUF_CTRL_FULL | length;
    rp2040.usbDPRAM.set(buffer.subarray(0, length), bufferOffset);
    rp2040.usbDPRAMView.setUint32(reg, control, true);
    this.indicateBufferReady(endpoint, true);
  };
}

const setup = (bmRequestType, bRequest, wValue, wIndex, wLength) =>
  new Uint8Array([bmRequestType, bRequest, wValue & 0xff, wValue >> 8, wIndex & 0xff, wIndex >> 8, wLength & 0xff, wLength >> 8]);

export class UsbHost {
  constructor(rp2040, { log = () => {}, onConfigured = () => {}, onData = () => {}, initialDtr = true, nakInWhileClosed = false } = {}) {
    this.initialDtr = initialDtr;
    this.rp = rp2040;
    this.usb = rp2040.usbCtrl;
    this.log = log;
    this.onConfigured = onConfigured;
    this.onData = onData;
    this.queue = [];
    this.current = null;
    this.pendingOut = new Map(); // endpoint -> armed size
    this.toDevice = [];
    this.configured = false;
    this.descriptors = {};
    this.events = [];
    this.stalls = 0;
    this.bulkIn = -1;
    this.bulkOut = -1;
    this.commInterface = 0;
    this.alarm = rp2040.clock.createAlarm(() => this.next());
    patchController(this.usb, rp2040, (ep, out) => this.stalled(ep, out));
    // Like Linux's cdc-acm: bulk IN is read only while a program has the port open.
    this.nakInWhileClosed = nakInWhileClosed;
    this.usb.inGate = (ep) => !(this.nakInWhileClosed && ep === this.bulkIn && !this.dtr);

    this.usb.onUSBEnabled = () => {
      this.event('controller enabled (pull-up on): host resets the bus in 10 ms');
      this.usb.resetDevice();
    };
    this.usb.onResetReceived = () => {
      this.event('bus reset seen by the firmware: enumerating');
      this.enumerate();
    };
    this.usb.onEndpointWrite = (ep, buffer) => this.fromDevice(ep, buffer);
    this.usb.onEndpointRead = (ep, size) => this.armed(ep, size);
  }

  event(text) {
    const ms = (this.rp.clock.nanos / 1e6).toFixed(3);
    this.events.push(`${ms} ms: ${text}`);
    this.log(`[usb ${ms} ms] ${text}`);
  }

  enumerate() {
    const t = this;
    this.queue = [
      { name: 'SET_ADDRESS 1', setup: setup(0x00, 5, 1, 0, 0) },
      { name: 'GET_DESCRIPTOR device', setup: setup(0x80, 6, 0x0100, 0, 18), done: (d) => (t.descriptors.device = d) },
      { name: 'GET_DESCRIPTOR config (9)', setup: setup(0x80, 6, 0x0200, 0, 9), done: (d) => t.configHeader(d) },
    ];
    this.schedule(100);
  }

  configHeader(d) {
    const total = d[2] | (d[3] << 8);
    const t = this;
    this.queue.unshift(
      { name: `GET_DESCRIPTOR config (${total})`, setup: setup(0x80, 6, 0x0200, 0, total), done: (c) => t.config(c) },
    );
  }

  config(c) {
    this.descriptors.config = c;
    const dev = this.descriptors.device;
    const strings = [
      ['manufacturer', dev?.[14]],
      ['product', dev?.[15]],
      ['serial', dev?.[16]],
    ].filter(([, i]) => i);
    // Find the CDC interfaces and the data interface's bulk endpoints.
    let inData = false;
    for (let i = 0; i < c.length && c[i] >= 2; i += c[i]) {
      const type = c[i + 1];
      if (type === 4) {
        inData = c[i + 5] === 0x0a;
        if (c[i + 5] === 0x02) this.commInterface = c[i + 2];
      }
      if (type === 5 && inData && (c[i + 3] & 3) === 2) {
        if (c[i + 2] & 0x80) this.bulkIn = c[i + 2] & 0xf;
        else this.bulkOut = c[i + 2] & 0xf;
      }
    }
    const t = this;
    const dtr = this.initialDtr;
    const tail = [
      { name: 'GET_DESCRIPTOR string 0', setup: setup(0x80, 6, 0x0300, 0, 255) },
      ...strings.map(([what, index]) => ({
        name: `GET_DESCRIPTOR string ${index} (${what})`,
        setup: setup(0x80, 6, 0x0300 | index, 0x0409, 255),
        done: (s) => {
          const chars = [];
          for (let k = 2; k + 1 < s.length; k += 2) chars.push(s[k] | (s[k + 1] << 8));
          t.descriptors[what] = String.fromCharCode(...chars);
        },
      })),
      { name: 'SET_CONFIGURATION 1', setup: setup(0x00, 9, 1, 0, 0) },
      {
        name: 'SET_LINE_CODING 115200 8N1',
        setup: setup(0x21, 0x20, 0, this.commInterface, 7),
        data: new Uint8Array([0x00, 0xc2, 0x01, 0x00, 0, 0, 8]),
      },
      {
        name: `SET_CONTROL_LINE_STATE ${dtr ? 'DTR|RTS' : '0'}`,
        setup: setup(0x21, 0x22, dtr ? 3 : 0, this.commInterface, 0),
        done: () => {
          t.configured = true;
          t.dtr = dtr;
          t.event(`configured: ${JSON.stringify({ ...t.descriptors, device: undefined, config: undefined })}, bulk IN ${t.bulkIn}, OUT ${t.bulkOut}`);
          t.onConfigured();
          // The port opened or closed while the device enumerated.
          if (t.initialDtr !== dtr) t.setDtr(t.initialDtr);
          t.pump();
        },
      },
    ];
    this.queue.unshift(...tail);
  }

  schedule(micros) {
    this.alarm.schedule(micros * 1000);
  }

  next() {
    if (this.current !== null) return;
    const transfer = this.queue.shift();
    if (!transfer) return;
    this.current = { ...transfer, received: [], stage: 'setup' };
    this.usb.sendSetupPacket(transfer.setup);
  }

  finish(data) {
    const transfer = this.current;
    this.current = null;
    this.event(`${transfer.name}: ok${data ? ` (${data.length} bytes)` : ''}`);
    transfer.done?.(data);
    this.schedule(50);
  }

  stalled(ep, out) {
    if (ep !== 0 || this.current === null) return;
    this.stalls++;
    const transfer = this.current;
    this.current = null;
    this.event(`${transfer.name}: STALL`);
    this.schedule(50);
  }

  fromDevice(ep, buffer) {
    if (ep === 0) {
      const transfer = this.current;
      if (transfer === null) return;
      const wLength = transfer.setup[6] | (transfer.setup[7] << 8);
      const deviceToHost = !!(transfer.setup[0] & 0x80);
      if (deviceToHost) {
        transfer.received.push(...buffer);
        if (buffer.length < 64 || transfer.received.length >= wLength) {
          transfer.stage = 'status-out';
          // Status stage: a zero-length OUT once the firmware arms EP0 OUT.
          if (this.pendingOut.has(0)) this.completeStatusOut();
        }
      } else if (buffer.length === 0) {
        this.finish(null); // status stage of a control OUT
      }
      return;
    }
    if (ep === this.bulkIn) this.onData(buffer);
  }

  completeStatusOut() {
    this.pendingOut.delete(0);
    this.usb.endpointReadDone(0, new Uint8Array(0));
    this.finish(Uint8Array.from(this.current.received));
  }

  armed(ep, size) {
    if (ep !== 0) this.log(`[usb ${(this.rp.clock.nanos / 1e6).toFixed(3)} ms] OUT ${ep} armed (${size})`);
    this.pendingOut.set(ep, size);
    if (ep === 0) {
      const transfer = this.current;
      if (transfer === null) return;
      if (transfer.stage === 'status-out') this.completeStatusOut();
      else if (transfer.data && transfer.stage === 'setup') {
        transfer.stage = 'data-out-sent';
        this.pendingOut.delete(0);
        this.usb.endpointReadDone(0, transfer.data);
      }
      return;
    }
    if (ep === this.bulkOut) this.pump();
  }

  /** Raises or drops DTR (and RTS), as a host does when a program opens or closes the port. */
  setDtr(on) {
    if (!this.configured) {
      this.initialDtr = on;
      return;
    }
    this.queue.push({
      name: `SET_CONTROL_LINE_STATE ${on ? 'DTR|RTS' : '0'}`,
      setup: setup(0x21, 0x22, on ? 3 : 0, this.commInterface, 0),
      done: () => this.pump(),
    });
    this.dtr = on;
    // Closing the port kills the writes still queued (as Linux's cdc-acm).
    if (!on) this.toDevice.length = 0;
    if (on) this.usb.releaseIn();
    if (this.current === null) this.schedule(20);
  }

  /** Queues bytes for the device's bulk OUT endpoint. Before the device
   * is configured there is no port to write to (no tty exists): dropped. */
  send(bytes) {
    if (!this.configured) return;
    this.toDevice.push(...bytes);
    this.pump();
  }

  pump() {
    if (!this.configured || this.toDevice.length === 0 || !this.pendingOut.has(this.bulkOut)) return;
    // Bytes follow any control request queued before them (DTR first).
    if (this.current !== null || this.queue.length) return;
    const size = Math.min(this.pendingOut.get(this.bulkOut), 64, this.toDevice.length);
    this.pendingOut.delete(this.bulkOut);
    const packet = Uint8Array.from(this.toDevice.splice(0, size));
    this.log(`[usb ${(this.rp.clock.nanos / 1e6).toFixed(3)} ms] OUT ${this.bulkOut} <- ${packet.length} bytes`);
    this.usb.endpointReadDone(this.bulkOut, packet);
  }
}
