//! A crash must end the emulation with a failure, never hang it: the
//! HardFault handler and the panic handler report and exit through
//! semihosting.

use cortex_m_rt::{exception, ExceptionFrame};

/// Exit code of the emulator when the image panicked.
pub const EXIT_PANIC: i32 = 101;
/// Exit code of the emulator when the CPU faulted.
pub const EXIT_FAULT: i32 = 102;

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    semihosting::eprintln!(
        "HARD FAULT at pc={:#010x} lr={:#010x}",
        frame.pc(),
        frame.lr()
    );
    semihosting::process::exit(EXIT_FAULT)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    semihosting::eprintln!("PANIC: {}", info);
    semihosting::process::exit(EXIT_PANIC)
}
