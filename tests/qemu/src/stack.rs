//! Stack painting: how deep did the stack ever go?
//!
//! At start the free part of the stack region (from the end of the statics
//! up to just below the painter's own frame) is filled with a pattern; at
//! the end, the lowest word that no longer holds the pattern marks the
//! deepest point the stack reached. This needs raw memory access, so it
//! lives here in the test image and never in the core.

use core::ptr;

/// The fill word: unlikely as real stack content (not a small integer, not
/// a RAM, flash or peripheral address, odd so never a saved aligned pointer).
const PAINT: u32 = 0xC0DE_5AFE ^ 0x1;

extern "C" {
    // Defined by cortex-m-rt's link.x: the initial stack pointer (top of
    // RAM) and the end of the statics (where the stack may grow down to).
    static _stack_start: u32;
    static _stack_end: u32;
}

/// The stack region, as addresses: `[bottom, top)`.
fn region() -> (usize, usize) {
    // Only the symbols' addresses are taken, never their contents.
    (
        ptr::addr_of!(_stack_end) as usize,
        ptr::addr_of!(_stack_start) as usize,
    )
}

fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register; no memory is touched.
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

/// The stack's extent as painted at start.
#[derive(Clone, Copy, Debug)]
pub struct Painted {
    /// Lowest address of the stack region (end of the statics).
    pub bottom: usize,
    /// Initial stack pointer (top of RAM).
    pub top: usize,
    /// The stack pointer while painting: how deep the stack already was.
    pub depth_at_paint: usize,
    /// Painting stopped here, a margin below the painter's own frame.
    painted_to: usize,
}

/// Bytes left unpainted below the painter's stack pointer: its own frame
/// is live while it paints.
const MARGIN: usize = 128;

impl Painted {
    /// Bytes the stack may use in all.
    pub fn capacity(&self) -> usize {
        self.top - self.bottom
    }

    /// Deepest stack use since painting, in bytes below the top of RAM.
    pub fn high_water(&self) -> usize {
        let mut address = self.bottom;
        while address < self.painted_to {
            // SAFETY: `address` is word aligned, inside the painted part of
            // the stack region, which is below every live frame of this
            // call chain or was overwritten by one that has returned.
            let word = unsafe { ptr::read_volatile(address as *const u32) };
            if word != PAINT {
                break;
            }
            address += 4;
        }
        self.top - address
    }

    /// Stack used below the frame that painted: what the code it called
    /// afterwards needed.
    pub fn used_after_paint(&self) -> usize {
        self.high_water().saturating_sub(self.depth_at_paint)
    }
}

/// Paints the free stack. Call it early, from the frame whose callees are
/// to be measured.
#[inline(never)]
pub fn paint() -> Painted {
    let (bottom, top) = region();
    let sp = stack_pointer();
    let painted_to = sp.saturating_sub(MARGIN) & !3;
    let mut address = (bottom + 3) & !3;
    while address < painted_to {
        // SAFETY: [bottom, painted_to) is RAM reserved for the stack and
        // below every live frame (ours included: the margin covers it).
        unsafe { ptr::write_volatile(address as *mut u32, PAINT) };
        address += 4;
    }
    Painted {
        bottom,
        top,
        depth_at_paint: top - sp,
        painted_to,
    }
}
