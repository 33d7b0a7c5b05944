#![no_std]
#![no_main]

mod marks;

use cortex_m_rt::entry;
use tabletalk_scenario::rng::Rng;
use tabletalk_scenario::seats::SEATS;
use tabletalk_scenario::signal::Microphone;

#[entry]
fn main() -> ! {
    let mut mic = Microphone::new(Rng::new(1), &SEATS[1]);
    let mut buf = [0u16; 80];
    let sum = marks::measure("scenario mic synthesis (sample)", 80 * 100, || {
        let mut sum = 0u32;
        for _ in 0..100 {
            mic.fill(core::hint::black_box(900), false, &mut buf);
            sum = sum.wrapping_add(u32::from(buf[3]));
        }
        sum
    });
    marks::figure("checksum", sum);
    marks::exit(0)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    marks::exit(101)
}
