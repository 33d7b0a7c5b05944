// Fixes and stubs that rp2040js 1.4.1 needs to run an embassy-rp firmware.
// Each one was found by running the tabletalk firmware (README.md lists
// them); the USB ones are in usbhost.mjs.

class Stub {
  constructor(name, regs = {}) { this.name = name; this.regs = regs; this.rawWriteValue = 0; }
  readUint32(offset) { const r = this.regs[offset & 0xfff]; return typeof r === 'function' ? r() : (r ?? 0); }
  writeUint32() {}
  writeUint32Atomic(offset, value) { this.rawWriteValue = value; this.writeUint32(offset, value); }
}

/**
 * @param rp an RP2040 from rp2040js
 * @param uid the flash's 64-bit unique id (BigInt)
 * @param onReset called with a reason when the firmware asks for a reset
 *   through AIRCR (the watchdog's reset is chip.mjs's)
 */
export function applyPatches(rp, { uid = 0xe66138935f2c3a2dn, onReset = () => {} } = {}) {
  const core = rp.core;

  // 1. Unmodelled blocks: reads of 0xffffffff would hang embassy-rp.
  //    XIP_CTRL: STAT = FIFO_EMPTY | FLUSH_READY, STREAM_CTR = 0 (flash.rs waits on both).
  rp.peripherals[0x14000] = new Stub('XIP_CTRL', { 0x08: 0b011 });
  //    ROSC: STATUS stable + enabled; RANDOMBIT random (RoscRng seeds the recorder).
  rp.peripherals[0x40060] = new Stub('ROSC', { 0x18: 0x80001000, 0x1c: () => (Math.random() < 0.5 ? 1 : 0) });
  rp.peripherals[0x40064] = new Stub('VREG_AND_CHIP_RESET', {});
  rp.peripherals[0x40018] = new Stub('IO_QSPI', {});

  // 2. SEV must set the local event register too, or a task woken from
  //    thread mode waits in WFE for the next interrupt. rp2040js only logs
  //    'SEV' at info level; the chip's logger calls this.
  const sev = () => (core.eventRegistered = true);

  // 3. SSI: the flash's read-unique-id (0x4B) and JEDEC-id (0x9F) commands in
  //    EEPROM-read mode (TMOD=3), as embassy-rp's read_flash_inner issues
  //    them. Without this the device id (USB serial number) is 0.
  const ssi = rp.peripherals[0x18000];
  {
    const rx = [];
    const read = ssi.readUint32.bind(ssi);
    const write = ssi.writeUint32.bind(ssi);
    ssi.readUint32 = (offset) => {
      if (offset === 0x60 && rx.length) return rx.shift();
      if (offset === 0x24) return rx.length;
      return read(offset);
    };
    ssi.writeUint32 = (offset, value) => {
      if (offset === 0x60 && ssi.ssienr && ((ssi.crtlr0 >> 8) & 3) === 3) {
        const frames = (ssi.crtlr1 & 0xffff) + 1;
        const command = value & 0xff; // strb: rp2040js replicates the byte over the word
        let reply = [];
        if (command === 0x4b) {
          reply = [0, 0, 0, 0];
          for (let i = 7; i >= 0; i--) reply.push(Number((uid >> BigInt(8 * i)) & 0xffn));
        } else if (command === 0x9f) reply = [0xef, 0x40, 0x15]; // W25Q16JV
        while (reply.length < frames) reply.push(0);
        rx.push(...reply.slice(0, frames));
        return;
      }
      if (offset === 0x08 && !value) rx.length = 0;
      write(offset, value);
    };
  }

  // 4. DMA CHAN_ABORT reads 0xffffffff (unimplemented); embassy-rp's
  //    Transfer::drop does a read-modify-write of it, which would abort
  //    every channel. It reads 0 on silicon when nothing is aborting.
  {
    const read = rp.dma.readUint32.bind(rp.dma);
    rp.dma.readUint32 = (offset) => (offset === 0x444 ? 0 : read(offset));
  }

  // 5. ADC round robin: rp2040js's activeChannel setter masks the channel
  //    with CS_AINSEL_SHIFT (12) instead of the mask (7), so every
  //    conversion after the first reads channel 0.
  const adc = rp.adc;
  Object.defineProperty(adc, 'activeChannel', {
    get() { return (this.cs >> 12) & 7; },
    set(channel) { this.cs = (this.cs & ~(7 << 12)) | ((channel & 7) << 12); },
  });

  // 6. ADC DREQ: rp2040js updates it only on a FIFO push/pull while DREQ_EN
  //    is set, so a sample that lands after the DMA finished leaves DREQ
  //    asserted; embassy-rp then drains the FIFO with DREQ_EN off and the
  //    next read_many's DMA runs through an empty FIFO at once (zeros), for
  //    ever: the mics task spins and the recorder starves. On silicon DREQ
  //    is FIFO level >= THRESH while DREQ_EN: recompute it after every access.
  {
    const DREQ_ADC = adc.dreq;
    const update = () => {
      const thresh = (adc.fcs >> 24) & 0xf;
      if (adc.fcs & (1 << 3) && adc.fifo.itemCount >= Math.max(thresh, 1)) rp.dma.setDREQ(DREQ_ADC);
      else rp.dma.clearDREQ(DREQ_ADC);
    };
    adc.updateDMA = update;
    const read = adc.readUint32.bind(adc);
    const write = adc.writeUint32.bind(adc);
    adc.readUint32 = (offset) => { const v = read(offset); if (offset === 0x0c) update(); return v; };
    adc.writeUint32 = (offset, value) => { write(offset, value); if (offset === 0x08) update(); };
  }

  // 7. AIRCR.SYSRESETREQ (the panic and HardFault handlers call
  //    SCB::sys_reset) is not modelled: report it; the runner resets.
  {
    const write = rp.ppb.writeUint32.bind(rp.ppb);
    rp.ppb.writeUint32 = (offset, value) => {
      if (offset === 0xd0c && value >>> 16 === 0x05fa && value & 4) onReset('AIRCR.SYSRESETREQ');
      write(offset, value);
    };
  }

  return { sev };
}
