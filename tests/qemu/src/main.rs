//! The emulated table device: see README.md.
#![no_std]
#![no_main]

mod fault;
mod stack;

use cortex_m_rt::entry;
use tabletalk_core::seat::SeatId;
use tabletalk_core::time::Instant;
use tabletalk_scenario::{Device, Script};

struct Null(u32);
impl Device for Null {
    fn button(&mut self, _: Instant, _: SeatId, p: bool) {
        self.0 = self.0.wrapping_add(p as u32);
    }
    fn facilitator(&mut self, _: Instant, _: bool) {}
    fn samples(&mut self, _: Instant, _: SeatId, s: &[u16]) {
        for &x in s {
            self.0 = self.0.wrapping_add(x as u32);
        }
    }
    fn tick(&mut self, _: Instant) {}
}

#[entry]
fn main() -> ! {
    let painted = stack::paint();
    let mut dev = Null(0);
    let truth = Script::STANDARD.play(&mut dev);
    semihosting::println!("{:?} {}", truth, dev.0);
    semihosting::println!(
        "stack: {} of {} bytes, {} after paint",
        painted.high_water(),
        painted.capacity(),
        painted.used_after_paint()
    );
    semihosting::process::exit(0)
}
