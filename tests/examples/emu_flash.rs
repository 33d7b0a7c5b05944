//! Writes a Pico flash image whose session log is nearly full, for the
//! emulator's store-full scenarios (tests/emu/suite.py):
//!
//!     emu_flash OUT.bin [FREE_BYTES]
//!
//! The log partition (at `flash_map::LOG_OFFSET`) gets sessions of button
//! turns, each a real log (header, turn batches, end) written through the
//! same `SessionRecorder` and `SessionStore` the firmware uses, until fewer than
//! FREE_BYTES (default 1700) remain. Everything else is erased flash: the
//! device then boots with its default configuration.

use std::process::ExitCode;

use tabletalk_core::log::MAX_WRITE_LEN;
use tabletalk_core::recorder::{SessionRecorder, Stored};
use tabletalk_core::records::{Header, Seats, SessionId};
use tabletalk_core::seat::{InputKind, SeatId};
use tabletalk_core::store::flash_map::{FLASH_SIZE, LOG_OFFSET, LOG_SIZE};
use tabletalk_core::store::{FullPolicy, RamFlash, SessionStore};
use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

type LogFlash = RamFlash<{ LOG_SIZE as usize }>;

/// Turns per generated session: about 40 KiB of log each.
const TURNS_PER_SESSION: u32 = 10_000;

fn main() -> ExitCode {
    // The log partition is moved around by value (1.7 MiB): a thread with
    // room for it.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(generate)
        .expect("a thread")
        .join()
        .unwrap_or(ExitCode::FAILURE)
}

fn generate() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), free) = (args.first(), args.get(1)) else {
        eprintln!("usage: emu_flash OUT.bin [FREE_BYTES]");
        return ExitCode::from(2);
    };
    let Ok(free) = free.map_or(Ok(1700), |f| f.parse::<u32>()) else {
        eprintln!("emu_flash: FREE_BYTES must be a number of bytes");
        return ExitCode::from(2);
    };
    let (mut store, _) = SessionStore::<_, 96>::mount(LogFlash::new(), FullPolicy::Stop)
        .expect("an erased log mounts");
    let kinds = [InputKind::Button; 4];
    let seats = Seats::new(&kinds).expect("4 seats");
    let room = |store: &SessionStore<LogFlash, 96>| {
        let usage = store.usage();
        usage.capacity - usage.used
    };
    // The firmware's recorder over the firmware's store.
    let mut recorder = SessionRecorder::new();
    let mut sessions = 0u32;
    let mut full = false;
    while !full && room(&store) > free {
        let mut header = Header::new(
            SessionId {
                number: 0,
                nonce: 0x5eed,
            },
            0xe661_3893_5f2c_3a2d,
            seats,
        );
        let started = Some(1_700_000_000_000 + u64::from(sessions) * 3_600_000);
        let begun = recorder.begin(&mut store, &mut header, started);
        assert_eq!(begun, Stored::Ok, "room for a session");
        sessions += 1;
        let mut at = 0u64;
        for turn in 0..TURNS_PER_SESSION {
            let seat = SeatId::new((turn % 4) as u8).expect("seat");
            let event = Event::TurnEnded {
                seat,
                start: at,
                end: at + 700,
                how: TurnEnd::Natural,
            };
            at += 1000;
            if recorder.record(&mut store, &event) != Stored::Ok {
                break;
            }
            if room(&store) <= free + MAX_WRITE_LEN as u32 {
                full = true;
                break;
            }
        }
        // The last bytes in small steps: agenda markers (each flushes the
        // pending turns first).
        let agenda = Event::Marker {
            at,
            kind: MarkerKind::Agenda,
        };
        while full && room(&store) > free && recorder.recording().is_some() {
            if recorder.record(&mut store, &agenda) != Stored::Ok {
                break;
            }
        }
        // Ends the session (if the store being full did not already).
        let _ = recorder.end(&mut store, at);
    }
    let left = room(&store);
    let mut image = vec![0xFFu8; FLASH_SIZE];
    image[LOG_OFFSET as usize..].copy_from_slice(store.release().bytes());
    if let Err(e) = std::fs::write(out, &image) {
        eprintln!("emu_flash: {out}: {e}");
        return ExitCode::FAILURE;
    }
    println!("{out}: {sessions} sessions, {left} bytes of the log free");
    ExitCode::SUCCESS
}
