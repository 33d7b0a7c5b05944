//! The host twin of the emulated device: plays the scripted meeting through
//! tabletalk-core on this machine and writes the log, for comparison with
//! the one the emulated Cortex-M0 wrote (`scripts/test.d/60-qemu.sh`).
//!
//!     cargo run -p tabletalk-tests --example host_twin -- OUT.ttlog

use std::process::ExitCode;

use tabletalk_scenario::{record_meeting, Script};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("usage: host_twin OUT.ttlog");
        return ExitCode::from(2);
    };
    let script = Script::STANDARD;
    let mut log = Vec::new();
    let summary = match record_meeting(&script, &mut |bytes: &[u8]| log.extend_from_slice(bytes)) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("host twin: the pipeline failed: {e:?}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&out, &log) {
        eprintln!("host twin: cannot write {}: {e}", out.to_string_lossy());
        return ExitCode::FAILURE;
    }
    println!(
        "host twin: {} s of meeting, {} mic samples, {} events, {} turns, {} log bytes, engine {:?}",
        script.duration_ms / 1000,
        summary.truth.samples,
        summary.events,
        summary.turns,
        summary.log_bytes,
        summary.engine,
    );
    ExitCode::SUCCESS
}
