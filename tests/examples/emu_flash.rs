//! Writes a Pico flash image whose session log is nearly full, for the
//! emulator's store-full scenarios (tests/emu/suite.py):
//!
//!     emu_flash OUT.bin [FREE_BYTES]
//!
//! The log partition (at `flash_map::LOG_OFFSET`) gets sessions of button
//! turns, each a real log (header, turn batches, end) written through the
//! same `LogWriter` and `SessionStore` the firmware uses, until fewer than
//! FREE_BYTES (default 1700) remain. Everything else is erased flash: the
//! device then boots with its default configuration.

use std::process::ExitCode;

use tabletalk_core::log::{LogWriter, MAX_WRITE_LEN};
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
    let mut out_buf = [0u8; 2 * MAX_WRITE_LEN];
    let room = |store: &SessionStore<LogFlash, 96>| {
        let usage = store.usage();
        usage.capacity - usage.used
    };
    let mut sessions = 0u32;
    let mut full = false;
    while !full && room(&store) > free {
        let (id, _) = store
            .begin_session(Some(1_700_000_000_000 + u64::from(sessions) * 3_600_000))
            .expect("room for a session");
        sessions += 1;
        let header = Header::new(
            SessionId {
                number: id.0,
                nonce: 0x5eed,
            },
            0xe661_3893_5f2c_3a2d,
            seats,
        );
        let (mut writer, n) = LogWriter::start(&header, &mut out_buf).expect("header");
        store.append(&out_buf[..n]).expect("room for the header");
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
            let n = writer.push(&event, &mut out_buf).expect("turn");
            if n > 0 && store.append(&out_buf[..n]).is_err() {
                break;
            }
            if room(&store) <= free + MAX_WRITE_LEN as u32 {
                full = true;
                break;
            }
        }
        // The last bytes in small steps: agenda markers (each flushes the
        // pending turns first).
        while full && room(&store) > free {
            let n = writer
                .push_marker(writer.tick_of(at), MarkerKind::Agenda, &mut out_buf)
                .expect("marker");
            if store.append(&out_buf[..n]).is_err() {
                break;
            }
        }
        let n = writer
            .finish(writer.tick_of(at), &mut out_buf)
            .expect("end");
        let _ = store.append_final(&out_buf[..n]);
        store.end_session().expect("session end");
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
