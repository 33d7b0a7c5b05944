//! Measurement marks: breakpoints that the rp2040js runner
//! (`rp2040-run.mjs`) catches to read its instruction and cycle counters.

use core::arch::asm;

/// Runs `work` between a begin and an end mark, as the measurement `label`
/// of `items` items (the runner divides by `items`).
#[inline(always)]
pub fn measure<R>(label: &str, items: u32, work: impl FnOnce() -> R) -> R {
    // SAFETY: a BKPT that the runner handles and returns from; the asm
    // blocks are compiler barriers (no `nomem`), so `work` stays between
    // them.
    unsafe {
        asm!("bkpt #0x10", in("r0") items, in("r1") label.as_ptr(), in("r2") label.len());
    }
    let result = core::hint::black_box(work());
    unsafe {
        asm!("bkpt #0x11");
    }
    result
}

/// Reports a figure computed on the target (a checksum, a size).
pub fn figure(label: &str, value: u32) {
    // SAFETY: as above.
    unsafe {
        asm!("bkpt #0x12", in("r0") value, in("r1") label.as_ptr(), in("r2") label.len());
    }
}

/// Ends the run with `code` (0: success).
pub fn exit(code: u32) -> ! {
    loop {
        // SAFETY: as above; the runner stops at this mark.
        unsafe {
            asm!("bkpt #0x7f", in("r0") code);
        }
    }
}

/// Label of the calibration measurement.
pub const CALIBRATION: &str = "calibration: 1000 x (subs; bne)";

/// A measurement whose counts are known exactly, to check the counter: two
/// set-up instructions and a 1000-pass loop of `subs` + `bne` between the
/// marks. 2002 instructions; on a Cortex-M0+, 3001 cycles (each
/// instruction 1, a taken branch 2, the last `bne` falls through).
pub fn calibrate() {
    let label = CALIBRATION;
    // SAFETY: as above; the loop only uses the scratch register it declares.
    unsafe {
        asm!(
            "bkpt #0x10",
            "movs {n}, #250",
            "lsls {n}, {n}, #2",
            "2:",
            "subs {n}, #1",
            "bne 2b",
            "bkpt #0x11",
            n = out(reg) _,
            in("r0") 1000u32,
            in("r1") label.as_ptr(),
            in("r2") label.len(),
        );
    }
}
