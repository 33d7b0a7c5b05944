//! The emulated table device: tabletalk-core's full pipeline on a Cortex-M0.
//!
//! Boots on QEMU's micro:bit machine, plays the scripted meeting of
//! `tabletalk-scenario` through the engine and the log writer (the very
//! code its host twin runs), writes the log to a host file through
//! semihosting, and prints what it measured: the deepest stack (by
//! painting) and the emulated run's counts. Exit code 0 means the log is
//! complete; the comparison with the host twin is done outside (see
//! `scripts/test.d/60-qemu.sh`).
#![no_std]
#![no_main]

mod fault;
mod stack;

use cortex_m_rt::entry;
use semihosting::fs::File;
use semihosting::io::Write;
use tabletalk_scenario::{record_meeting_observed, Script};

/// Where the log goes, relative to the emulator's working directory.
const LOG_PATH: &core::ffi::CStr = c"meeting.ttlog";

#[entry]
fn main() -> ! {
    let painted = stack::paint();
    let code = run(&painted);
    semihosting::process::exit(code)
}

/// Records the meeting; returns the exit code. Kept out of `main` so that
/// its frame, and everything below, is measured by the stack painting.
#[inline(never)]
fn run(at_start: &stack::Painted) -> i32 {
    let mut file = match File::create(LOG_PATH) {
        Ok(file) => file,
        Err(e) => {
            semihosting::eprintln!("emulated device: cannot create {:?}: {:?}", LOG_PATH, e);
            return 2;
        }
    };
    let mut write_error = None;
    let script = Script::STANDARD;
    // Setting up (engine, writer, buffers, built on the stack and moved)
    // and running the meeting are measured apart: when the pipeline is
    // ready, the setup's high-water mark is read and the stack painted
    // again below the pipeline's state.
    let mut setup_high_water = 0;
    let mut at_ready = None;
    let result = record_meeting_observed(
        &script,
        &mut |bytes: &[u8]| {
            if let Err(e) = file.write_all(bytes) {
                write_error.get_or_insert(e);
            }
        },
        || {
            setup_high_water = at_start.high_water();
            at_ready = Some(stack::paint());
        },
    );
    drop(file);
    if let Some(e) = write_error {
        semihosting::eprintln!("emulated device: writing the log failed: {:?}", e);
        return 3;
    }
    match result {
        Ok(summary) => {
            semihosting::println!(
                "emulated device: {} s of meeting, {} mic samples, {} events, {} turns, {} log bytes, engine {:?}",
                script.duration_ms / 1000,
                summary.truth.samples,
                summary.events,
                summary.turns,
                summary.log_bytes,
                summary.engine,
            );
            let Some(at_ready) = at_ready else {
                semihosting::eprintln!("emulated device: the pipeline never became ready");
                return 1;
            };
            semihosting::println!(
                "emulated device: stack: {} bytes while running the meeting (below the pipeline's state, \
                 which sat {} bytes deep); {} bytes at most while setting up; {} bytes of RAM for stack",
                at_ready.used_after_paint(),
                at_ready.depth_at_paint,
                setup_high_water,
                at_start.capacity(),
            );
            0
        }
        Err(e) => {
            semihosting::eprintln!("emulated device: the pipeline failed: {:?}", e);
            1
        }
    }
}
