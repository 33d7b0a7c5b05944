//! Panic freedom of tabletalk-core's device paths, proven by the linker.
//!
//! The program below calls every entry point the firmware uses — the
//! engine (buttons, samples, ticks, external activity, session controls,
//! flush, live figures, floor), the log writer (every record kind), the log
//! and session readers, single-frame decoding, the device protocol (the
//! handler with a backend, live updates, the laptop's frame decoder and
//! message parsers), the flash stores (mounting flash of any content,
//! recording, reading, erasing, the configuration slot), the session
//! recorder over the store (begin, resume, every kind of record, dropped
//! events, poll, end, checkpoint) and the wall clock — with every input
//! passed through
//! [`black_box`], so the optimiser must assume any value. The panic
//! handler calls a function that exists nowhere: if any path to a panic
//! survives optimisation, the link fails with
//! `undefined symbol: __tabletalk_core_can_panic`.
//!
//! With `--features diagnose` the handler is an ordinary loop instead, the
//! image links, and `scripts/panic-callers.py` lists what still calls it.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::log::{
    decode_frame, encode_frame, Item, LogReader, LogWriter, SessionReader, MAX_WRITE_LEN,
};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::protocol::frame::{self, MessageDecoder};
use tabletalk_core::protocol::{
    decode_device_frame, decode_request, ClockSet, DeviceBackend, DeviceConfig, DeviceHandler,
    DeviceIdentity, EraseScope, ErrorCode, LiveUpdate, RecordingState, SessionInfo, SessionRead,
    Status, StoredSessionId, WallClock, MAX_FRAME,
};
use tabletalk_core::recorder::{Checkpoint, SessionRecorder};
use tabletalk_core::records::{Header, LoggedTurn, Record, Seats, SessionId, StoreEvent};
use tabletalk_core::seat::{ButtonMode, InputKind, SeatId, MAX_SEATS};
use tabletalk_core::store::{ConfigStore, FullPolicy, SessionStore};
use tabletalk_core::time::{Instant, SessionClock};
use tabletalk_core::turns::{Condition, MarkerKind, TurnEnd};

#[cfg(not(feature = "diagnose"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    extern "Rust" {
        fn __tabletalk_core_can_panic() -> !;
    }
    // SAFETY: the symbol does not exist, so this call can never run: an
    // image in which it is still reachable does not link.
    unsafe { __tabletalk_core_can_panic() }
}

#[cfg(feature = "diagnose")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// A value the optimiser knows nothing about.
#[inline(always)]
fn opaque<T>(value: T) -> T {
    black_box(value)
}

#[entry]
fn main() -> ! {
    loop {
        match opaque(0u8) {
            0 => engine_and_writer(),
            1 => readers(),
            2 => protocol(),
            3 => stores(),
            4 => recorder(),
            5 => spectral(),
            _ => clocks(),
        }
    }
}

/// The spectral detector (issue 10) with any settings, seats and samples.
fn spectral() {
    use tabletalk_core::activity::spectral::{Settings, Spectral};
    let mut settings = Settings::default();
    black_box(&mut settings);
    let _ = black_box(settings.validate());
    let mut detector = Spectral::<8>::new(&settings, opaque([true; 8]));
    let mut samples = [0i16; 200];
    loop {
        black_box(&mut samples);
        let seat = opaque(0usize);
        let _ = black_box(detector.push(seat, &samples[..opaque(200usize).min(200)]));
        let mut out = |seat: usize, change| {
            black_box((seat, change));
        };
        if opaque(false) {
            detector.set_mic(seat, opaque(true), &mut out);
        }
        let _ = black_box(detector.frame(&mut out));
        if opaque(false) {
            detector.flush(&mut out);
            return;
        }
    }
}

fn seat_config(code: u8) -> SeatWiring {
    let mode = if code & 4 == 0 {
        ButtonMode::HoldToTalk
    } else {
        ButtonMode::Toggle
    };
    match code & 3 {
        0 => SeatWiring::button(mode),
        1 => SeatWiring::microphone(opaque(4095)),
        2 => SeatWiring::button_and_microphone(mode, opaque(4095)),
        _ => SeatWiring::external(),
    }
}

#[inline(never)]
fn engine_and_writer() {
    let mut params = DetectionParams::default();
    black_box(&mut params);
    let mut codes = [0u8; MAX_SEATS];
    black_box(&mut codes);
    let seats = codes.map(seat_config);
    let count = opaque(MAX_SEATS);
    let seats = seats.get(..count).unwrap_or(&[]);
    let Ok(mut engine) = Engine::<MAX_SEATS>::new(params, seats, Instant(opaque(0))) else {
        return;
    };
    let kinds: [InputKind; MAX_SEATS] = codes.map(|c| seat_config(c).input);
    let mut labels = [""; MAX_SEATS];
    black_box(&mut labels);
    let Ok(seats) = Seats::new(kinds.get(..count).unwrap_or(&[])) else {
        return;
    };
    let seats = if opaque(false) {
        match seats.with_labels(labels.get(..count).unwrap_or(&[])) {
            Ok(labelled) => labelled,
            Err(_) => return,
        }
    } else {
        seats
    };
    let mut header = Header::new(
        SessionId {
            number: opaque(1),
            nonce: opaque(2),
        },
        opaque(3),
        seats,
    );
    header.params = params;
    header.tick_ms = opaque(10);
    header.started_at_unix_ms = opaque(None);
    black_box(&mut header.flush);
    let mut buf = [0u8; MAX_WRITE_LEN];
    let Ok((mut writer, n)) = LogWriter::start(&header, &mut buf) else {
        return;
    };
    black_box((n, &buf));
    let mut samples = [0u16; 640];
    loop {
        black_box(&mut samples);
        let now = Instant(opaque(0));
        let seat = SeatId::new(opaque(0));
        match opaque(0u8) {
            0 => engine.poll_buttons(now, opaque(0), opaque(false)),
            1 => {
                if let Some(seat) = seat {
                    let block = samples.get(..opaque(0usize)).unwrap_or(&[]);
                    let _ = black_box(engine.push_samples(seat, block, now));
                }
            }
            2 => engine.tick(now),
            3 => {
                if let Some(seat) = seat {
                    let _ = black_box(engine.set_activity(seat, opaque(false), now));
                }
            }
            4 => engine.start_session(now),
            5 => engine.stop_session(now),
            6 => engine.pause_session(now),
            7 => engine.resume_session(now),
            8 => engine.mark_agenda(now),
            9 => {
                let _ = black_box(engine.flush(now));
            }
            10 => {
                let what = StoreEvent::Overwritten { bytes: opaque(0) };
                let _ = black_box(writer.push_notice(opaque(0), what, &mut buf));
            }
            11 => {
                let _ =
                    black_box(writer.push_marker(opaque(0), opaque(MarkerKind::Agenda), &mut buf));
                let _ = black_box(writer.push_condition(
                    opaque(0),
                    opaque(0),
                    opaque(Condition::MicOk),
                    &mut buf,
                ));
            }
            12 => {
                let _ = black_box(writer.flush(&mut buf));
                let _ = black_box(writer.finish(opaque(0), &mut buf));
            }
            _ => return,
        }
        while let Some(event) = engine.pop_event() {
            let _ = black_box(writer.push(&event, &mut buf));
        }
        let _ = black_box(writer.poll(writer.tick_of(engine.session_ms()), &mut buf));
        if let Some(seat) = seat {
            let live = engine.live();
            black_box((
                live.speaking_ms(seat),
                live.share_q16(seat),
                live.share_of_fair_q16(seat),
            ));
            black_box((
                live.total_speaking_ms(),
                live.balance_q16(),
                live.seat(seat),
            ));
            black_box((engine.speaking(seat), engine.mic_status(seat)));
        }
        black_box((
            engine.floor().holder(),
            engine.floor().held_since(),
            engine.stats(),
        ));
        black_box((
            writer.pending(),
            writer.batches_written(),
            writer.turns_written(),
        ));
        black_box(&buf);
    }
}

#[inline(never)]
fn readers() {
    let mut log = [0u8; 1024];
    black_box(&mut log);
    let log = log.get(..opaque(0usize)).unwrap_or(&[]);
    let mut scratch = [0u8; 1024];
    if let Ok(reader) = SessionReader::new(log, &mut scratch) {
        let mut reader = reader;
        while let Some(item) = reader.next() {
            black_box(&item);
            if let Some(session) = item.session() {
                if let Some(h) = reader.header(session) {
                    black_box((
                        h.seats.count(),
                        h.seats.label(opaque(0)),
                        h.seats.input(opaque(0)),
                    ));
                }
            }
        }
    }
    let mut scratch = [0u8; 1024];
    if let Ok(reader) = LogReader::new(log, &mut scratch) {
        for item in reader {
            if let Item::Record { record, .. } = &item {
                match record {
                    Record::Header(h) => {
                        for label in h.seats.labels() {
                            black_box(label);
                        }
                        for kind in h.seats.inputs() {
                            black_box(kind);
                        }
                        black_box(h.ticks_to_ms(opaque(0)));
                    }
                    Record::Turns(batch) => {
                        for turn in batch.turns() {
                            black_box((turn, turn.duration()));
                        }
                    }
                    other => {
                        black_box(other.session());
                    }
                }
                // Re-encoding what was read.
                let mut out = [0u8; 1024];
                let _ = black_box(encode_frame(record, &mut out));
                let mut payload = [0u8; 256];
                let _ = black_box(record.emit(&mut payload));
            }
            black_box(item);
        }
    }
    let mut scratch = [0u8; 1024];
    let _ = black_box(decode_frame(log, &mut scratch));
    let _ = black_box(Record::parse(log));
}

/// A firmware backend with answers the optimiser cannot predict.
struct Backend {
    bytes: [u8; 600],
    config: DeviceConfig,
    clock: WallClock,
}

impl DeviceBackend for Backend {
    fn identity(&mut self) -> DeviceIdentity {
        DeviceIdentity {
            device_id: opaque(0),
            name: self.config.name.clone(),
            ..DeviceIdentity::default()
        }
    }
    fn status(&mut self) -> Status {
        let now = Instant(opaque(0));
        Status {
            device_ms: now,
            unix_ms: self.clock.unix_ms(now),
            state: opaque(RecordingState::Idle),
            sessions: opaque(0),
            store_used: opaque(0),
            store_capacity: opaque(0),
            sessions_overwritten: opaque(0),
            storage_errors: opaque(0),
        }
    }
    fn next_session(
        &mut self,
        after: Option<StoredSessionId>,
    ) -> Result<Option<SessionInfo>, ErrorCode> {
        black_box(after);
        opaque(Ok(None))
    }
    fn read_session(
        &mut self,
        session: StoredSessionId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<SessionRead, ErrorCode> {
        black_box(session);
        let rest = self
            .bytes
            .get(offset as usize..)
            .ok_or(ErrorCode::OffsetOutOfRange)?;
        let copied = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..copied), rest.get(..copied)) {
            dst.copy_from_slice(src);
        }
        Ok(SessionRead {
            copied: opaque(copied),
            session_len: opaque(self.bytes.len() as u32),
        })
    }
    fn erase(&mut self, scope: EraseScope) -> Result<u16, ErrorCode> {
        black_box(scope);
        opaque(Ok(0))
    }
    fn config(&mut self) -> Result<DeviceConfig, ErrorCode> {
        Ok(self.config.clone())
    }
    fn set_config(&mut self, config: &DeviceConfig) -> Result<(), ErrorCode> {
        self.config = config.clone();
        Ok(())
    }
    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode> {
        let now = Instant(opaque(0));
        Ok(ClockSet {
            device_ms: now,
            previous_unix_ms: self.clock.set(unix_ms, now),
        })
    }
}

#[inline(never)]
fn protocol() {
    let mut handler = DeviceHandler::new();
    let mut backend = Backend {
        bytes: [0; 600],
        config: DeviceConfig::default(),
        clock: WallClock::new(),
    };
    black_box(&mut backend.bytes);
    let mut input = [0u8; 700];
    let mut out = [0u8; MAX_FRAME];
    loop {
        black_box(&mut input);
        let mut rest = input.get(..opaque(0usize)).unwrap_or(&[]);
        while let Some(frame) = handler.receive(&mut rest, &mut backend, &mut out) {
            black_box(frame);
        }
        let update = opaque(LiveUpdate::Tick {
            session: None,
            now: 0,
            speaking: 0,
        });
        black_box(handler.live(&update, &mut out));
        // The laptop's side of the same framing.
        let mut decoder = MessageDecoder::new();
        let mut rest = input.get(..opaque(0usize)).unwrap_or(&[]);
        while let Some(result) = decoder.feed(&mut rest) {
            if let Ok(message) = result {
                let _ = black_box(decode_device_frame(message));
                let _ = black_box(decode_request(message));
            }
        }
        let _ = black_box(frame::encode(&opaque(update), &mut out));
        if opaque(false) {
            handler.reset();
            return;
        }
    }
}

#[inline(never)]
fn clocks() {
    let mut clock = WallClock::new();
    black_box(clock.set(opaque(0), Instant(opaque(0))));
    black_box(clock.unix_ms(Instant(opaque(0))));
    let mut session = SessionClock::new(Instant(opaque(0)));
    black_box(session.observe(Instant(opaque(0))));
    black_box(Instant(opaque(0)).wrapping_since(Instant(opaque(0))));
    black_box(opaque(TurnEnd::Natural));
}

/// A NOR flash whose contents, answers and failures the optimiser cannot
/// predict: the stores must survive whatever a flash holds or does.
struct OpaqueFlash;

#[derive(Debug)]
struct FlashError;

impl embedded_storage::nor_flash::NorFlashError for FlashError {
    fn kind(&self) -> embedded_storage::nor_flash::NorFlashErrorKind {
        embedded_storage::nor_flash::NorFlashErrorKind::Other
    }
}

impl embedded_storage::nor_flash::ErrorType for OpaqueFlash {
    type Error = FlashError;
}

impl embedded_storage::nor_flash::ReadNorFlash for OpaqueFlash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        black_box(offset);
        black_box(&mut *bytes);
        if opaque(false) {
            Err(FlashError)
        } else {
            Ok(())
        }
    }
    fn capacity(&self) -> usize {
        // The firmware's log partition.
        2 * 1024 * 1024 - 264 * 1024
    }
}

impl embedded_storage::nor_flash::NorFlash for OpaqueFlash {
    const WRITE_SIZE: usize = 1;
    const ERASE_SIZE: usize = 4096;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        black_box((from, to));
        if opaque(false) {
            Err(FlashError)
        } else {
            Ok(())
        }
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        black_box((offset, bytes));
        if opaque(false) {
            Err(FlashError)
        } else {
            Ok(())
        }
    }
}

#[inline(never)]
fn stores() {
    let policy = if opaque(false) {
        FullPolicy::OverwriteOldest
    } else {
        FullPolicy::Stop
    };
    let Ok((mut log, report)) = SessionStore::<OpaqueFlash, 96>::mount(OpaqueFlash, policy) else {
        return;
    };
    black_box(report);
    log.set_final_reserve(opaque(0));
    let mut frame = [0u8; 700];
    let mut buf = [0u8; 512];
    loop {
        black_box(&mut frame);
        let frame = frame.get(..opaque(0usize)).unwrap_or(&[]);
        let id = StoredSessionId(opaque(0));
        match opaque(0u8) {
            0 => {
                let _ = black_box(log.begin_session(opaque(None)));
            }
            1 => {
                let _ = black_box(log.append(frame));
            }
            2 => {
                let _ = black_box(log.append_final(frame));
            }
            3 => {
                let _ = black_box(log.end_session());
            }
            4 => {
                let _ = black_box(log.read(id, opaque(0), &mut buf));
            }
            5 => {
                let _ = black_box(log.erase_through(id));
            }
            6 => {
                let _ = black_box(log.erase_all());
            }
            7 => {
                let _ = black_box(log.prepare(opaque(2)));
            }
            8 => {
                black_box((
                    log.usage(),
                    log.recording(),
                    log.next_session(opaque(None)),
                    log.session(id),
                ));
                for session in log.sessions() {
                    black_box(session);
                }
            }
            9 => {
                log.set_policy(policy);
                let Ok(mut config) = ConfigStore::mount(OpaqueFlash) else {
                    return;
                };
                let _ = black_box(config.load(&mut buf));
                let _ = black_box(config.save(frame));
                black_box(config.max_len());
            }
            _ => return,
        }
    }
}

/// The firmware's recorder over the flash store, fed events, turns and
/// times the optimiser cannot see.
fn recorder() {
    let Ok((mut log, _)) = SessionStore::<OpaqueFlash, 96>::mount(OpaqueFlash, FullPolicy::Stop)
    else {
        return;
    };
    let kinds = [InputKind::Button; MAX_SEATS];
    let count = usize::from(opaque(1u8)).clamp(1, MAX_SEATS);
    let Ok(seats) = Seats::new(kinds.get(..count).unwrap_or(&kinds)) else {
        return;
    };
    let mut recorder = SessionRecorder::new();
    loop {
        let mut header = Header::new(
            SessionId {
                number: opaque(0),
                nonce: opaque(0),
            },
            opaque(0),
            seats,
        );
        let Some(seat) = SeatId::new(opaque(0u8) % MAX_SEATS as u8) else {
            return;
        };
        let at = opaque(0u64);
        let event = match opaque(0u8) {
            0 => tabletalk_core::turns::Event::TurnStarted { seat, at },
            1 => tabletalk_core::turns::Event::TurnEnded {
                seat,
                start: at,
                end: opaque(0),
                how: TurnEnd::Natural,
            },
            2 => tabletalk_core::turns::Event::Marker {
                at,
                kind: MarkerKind::Agenda,
            },
            _ => tabletalk_core::turns::Event::Condition {
                seat,
                at,
                what: Condition::MicSaturated,
            },
        };
        let stored = match opaque(0u8) {
            0 => recorder.begin(&mut log, &mut header, opaque(None)),
            1 => {
                let checkpoint = Checkpoint {
                    session: opaque(0),
                    nonce: opaque(0),
                    session_ms: opaque(0),
                    batches: opaque(0),
                    turns: opaque(0),
                };
                recorder.resume(&mut log, &mut header, &checkpoint, opaque(0))
            }
            2 => recorder.record(&mut log, &event),
            3 => recorder.record_turn(
                &mut log,
                LoggedTurn {
                    seat: opaque(0),
                    start: at,
                    end: opaque(0),
                    how: TurnEnd::Cut,
                },
            ),
            4 => recorder.record_marker(&mut log, at, MarkerKind::Decision),
            5 => recorder.dropped_events(&mut log, opaque(0), at),
            6 => recorder.poll(&mut log, at),
            7 => recorder.end(&mut log, at),
            8 => recorder.end_at(&mut log, at),
            9 => {
                black_box((
                    recorder.checkpoint(at),
                    recorder.recording(),
                    recorder.refused(),
                    recorder.turns_written(),
                    recorder.session_time(at),
                ));
                continue;
            }
            _ => return,
        };
        black_box(stored);
    }
}
