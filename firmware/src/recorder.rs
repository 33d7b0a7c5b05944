//! The recorder task: inputs into the core [`Engine`], its events into the
//! [`LogWriter`], the frames into the session log; live figures out to the
//! LEDs and the laptop.
//!
//! Sessions follow the engine: the facilitator's long press starts one (the
//! engine's start marker opens a store session and writes the log header),
//! the next long press stops it (the stop marker ends the log). When the
//! store is full it stops, or overwrites the oldest sessions, as configured,
//! and writes a store notice into the log saying which.

use embassy_futures::select::{select4, Either4};
use embassy_rp::clocks::RoscRng;
use embassy_time::{Duration, Ticker};
use portable_atomic::Ordering;
use tabletalk_core::engine::Engine;
use tabletalk_core::log::{LogWriter, MAX_WRITE_LEN};
use tabletalk_core::protocol::{self, DeviceConfig, FullPolicy, LiveUpdate, Mark, RecordingState};
use tabletalk_core::records::{self, Header, Seats, StoreEvent};
use tabletalk_core::seat::{SeatId, MAX_SEATS};
use tabletalk_core::store::{Appended, StoreError};
use tabletalk_core::time::{Instant, SessionMs};
use tabletalk_core::turns::{Event, MarkerKind};

use crate::settings::{self, SeatMap};
use crate::shared::{
    self, Feedback, MicBlock, BUTTONS, BUTTONS_CHANGED, CONFIG, CONFIG_CHANGED, FACILITATOR_BIT,
    MIC_BLOCKS,
};
use crate::storage;

/// Seats the engine is built for: every seat a log can describe.
pub const SEATS: usize = MAX_SEATS;

/// How often the engine is ticked (its frame length).
const TICK: Duration = Duration::from_millis(10);
/// How often live figures go to the LEDs and the laptop (in ticks).
const LIVE_EVERY: u32 = 25;
/// How often the log writer is asked to flush aged turns (in ticks).
const POLL_EVERY: u32 = 100;

/// A session being written.
struct Session {
    writer: LogWriter,
    id: protocol::SessionId,
}

/// What became of an append.
enum Stored {
    Ok(Appended),
    Full,
    Failed,
}

struct Recorder {
    engine: Engine<SEATS>,
    map: SeatMap,
    policy: FullPolicy,
    led_feedback: bool,
    session: Option<Session>,
    /// Set when the laptop changed the configuration during a session.
    config_pending: bool,
    /// A flash write failed in this session (shown on the status LED).
    fault: bool,
    device_id: u64,
    /// Frames on their way to flash; the header is the largest.
    out: [u8; 2 * MAX_WRITE_LEN],
}

/// Runs the engine for ever.
#[embassy_executor::task]
pub async fn recorder_task(device_id: u64) {
    let config = CONFIG
        .lock(|c| c.borrow().clone())
        .unwrap_or_else(settings::default_config);
    let mut recorder = match Recorder::new(&config, device_id) {
        Some(recorder) => recorder,
        None => {
            // The stored configuration does not build an engine: run with
            // the defaults so the device stays usable, and say so.
            error!("configuration rejected by the engine: using the defaults");
            match Recorder::new(&settings::default_config(), device_id) {
                Some(recorder) => recorder,
                None => {
                    shared::set_state(RecordingState::Fault);
                    return;
                }
            }
        }
    };
    let mut ticker = Ticker::every(TICK);
    let mut ticks: u32 = 0;
    loop {
        let now = match select4(
            MIC_BLOCKS.receive(),
            BUTTONS_CHANGED.wait(),
            ticker.next(),
            CONFIG_CHANGED.wait(),
        )
        .await
        {
            Either4::First(block) => {
                recorder.microphone(&block);
                block.at
            }
            Either4::Second(()) => {
                let now = shared::now();
                recorder.buttons(now);
                now
            }
            Either4::Third(()) => {
                let now = shared::now();
                ticks = ticks.wrapping_add(1);
                recorder.buttons(now);
                recorder.laptop_mark(now);
                recorder.engine.tick(now);
                if ticks.is_multiple_of(POLL_EVERY) {
                    recorder.poll_writer();
                }
                if ticks.is_multiple_of(LIVE_EVERY) {
                    recorder.publish_live();
                }
                now
            }
            Either4::Fourth(()) => {
                recorder.config_pending = true;
                shared::now()
            }
        };
        recorder.drain(now);
        if recorder.config_pending && recorder.session.is_none() {
            recorder.apply_config(now);
        }
    }
}

/// Tells the external ADC task which of its channels feed a seat.
fn announce_channels(map: &SeatMap) {
    #[cfg(feature = "ext-adc")]
    {
        let first = usize::from(crate::board::ADC_CHANNELS);
        let bits = map
            .channel_seat
            .iter()
            .skip(first)
            .enumerate()
            .filter(|(_, seat)| seat.is_some())
            .fold(0u32, |bits, (k, _)| bits | 1 << k);
        crate::ext_adc::IN_USE.store(bits, Ordering::Relaxed);
    }
    #[cfg(not(feature = "ext-adc"))]
    let _ = map;
}

impl Recorder {
    fn new(config: &DeviceConfig, device_id: u64) -> Option<Self> {
        let map = SeatMap::new(config);
        let engine = Engine::new(
            settings::engine_params(config),
            &map.engine_seats,
            shared::now(),
        )
        .ok()?;
        announce_channels(&map);
        Some(Recorder {
            engine,
            map,
            policy: config.when_full,
            led_feedback: config.led_feedback,
            session: None,
            config_pending: false,
            fault: false,
            device_id,
            out: [0; 2 * MAX_WRITE_LEN],
        })
    }

    /// Rebuilds the engine for the configuration now in force.
    fn apply_config(&mut self, now: Instant) {
        self.config_pending = false;
        let Some(config) = CONFIG.lock(|c| c.borrow().clone()) else {
            return;
        };
        let map = SeatMap::new(&config);
        match Engine::new(settings::engine_params(&config), &map.engine_seats, now) {
            Ok(engine) => {
                self.engine = engine;
                announce_channels(&map);
                self.map = map;
                self.policy = config.when_full;
                self.led_feedback = config.led_feedback;
                info!(
                    "configuration applied: {} seats",
                    self.map.engine_seats.len()
                );
            }
            Err(e) => error!("configuration rejected by the engine: {}", e),
        }
    }

    /// Sets the marker `tabletalk device mark` asked for, if any.
    fn laptop_mark(&mut self, now: Instant) {
        match shared::MARK_REQUESTED.try_take() {
            Some(Mark::Decision) => self.engine.mark_decision(now),
            Some(Mark::Agenda) => self.engine.mark_agenda(now),
            None => {}
        }
    }

    fn buttons(&mut self, now: Instant) {
        let pressed = BUTTONS.load(Ordering::Relaxed);
        let seats = (pressed & 0xFFFF) as u16 & self.map.button_seats;
        self.engine
            .poll_buttons(now, seats, pressed & FACILITATOR_BIT != 0);
    }

    fn microphone(&mut self, block: &MicBlock) {
        let seat = self
            .map
            .channel_seat
            .get(usize::from(block.channel))
            .copied()
            .flatten();
        if let Some(seat) = seat {
            if self
                .engine
                .push_samples(seat, &block.samples, block.at)
                .is_err()
            {
                warn!("samples for seat {} refused", seat.get());
            }
        }
    }

    /// Handles every event the engine has ready.
    fn drain(&mut self, now: Instant) {
        while let Some(event) = self.engine.pop_event() {
            // The live view is best effort: a full queue drops the event and
            // the laptop sees the gap.
            let _ = shared::LIVE.try_send(LiveUpdate::Event(event));
            match event {
                Event::Marker {
                    kind: MarkerKind::Start,
                    ..
                } => {
                    self.begin(now);
                    self.log(&event);
                }
                Event::Marker {
                    kind: MarkerKind::Stop,
                    at,
                } => {
                    self.log(&event);
                    self.end(at);
                }
                Event::Marker {
                    kind: MarkerKind::Pause,
                    ..
                } => {
                    self.log(&event);
                    if let Some(session) = &self.session {
                        shared::set_state(RecordingState::Paused {
                            session: session.id,
                        });
                    }
                }
                _ => self.log(&event),
            }
        }
    }

    /// Opens a store session and writes the log header.
    fn begin(&mut self, now: Instant) {
        if self.session.is_some() {
            return;
        }
        self.fault = false;
        let started = shared::CLOCK.lock(|c| {
            let mut clock = c.get();
            let unix_ms = clock.unix_ms(now);
            c.set(clock);
            unix_ms
        });
        let policy = self.policy;
        let opened = storage::with(|s| {
            s.log.set_policy(policy);
            let result = s.log.begin_session(started);
            if matches!(result, Err(ref e) if *e != StoreError::Full) {
                s.errors = s.errors.saturating_add(1);
            }
            result
        });
        let (id, appended) = match opened {
            Some(Ok(opened)) => opened,
            Some(Err(StoreError::Full)) => {
                warn!("store full: not recording");
                self.refuse(RecordingState::StoreFull, now);
                return;
            }
            Some(Err(_)) | None => {
                error!("cannot open a session in flash");
                self.refuse(RecordingState::Fault, now);
                return;
            }
        };
        let kinds = self.map.kinds();
        let Ok(seats) = Seats::new(&kinds) else {
            self.refuse(RecordingState::Fault, now);
            return;
        };
        let nonce = RoscRng.next_u32() as u16;
        let mut header = Header::new(
            records::SessionId {
                number: id.0,
                nonce,
            },
            self.device_id,
            seats,
        );
        header.started_at_unix_ms = started;
        header.params = *self.engine.params();
        let (writer, n) = match LogWriter::start(&header, &mut self.out) {
            Ok(started) => started,
            Err(_) => {
                error!("log header refused");
                let _ = storage::with(|s| s.log.end_session());
                self.refuse(RecordingState::Fault, now);
                return;
            }
        };
        self.session = Some(Session { writer, id });
        info!("session {} started", id.0);
        shared::set_state(RecordingState::Recording {
            session: id,
            elapsed_ms: 0,
        });
        self.store(n, false);
        if let Some(dropped) = appended.dropped {
            self.notice(StoreEvent::Overwritten {
                bytes: dropped.bytes,
            });
        }
    }

    /// No session could be opened: stop the engine's session too, so that
    /// the next long press tries again.
    fn refuse(&mut self, state: RecordingState, now: Instant) {
        shared::set_state(state);
        self.engine.stop_session(now);
    }

    /// Writes the session's end and closes it in the store.
    fn end(&mut self, at: SessionMs) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let tick = session.writer.tick_of(at);
        match session.writer.finish(tick, &mut self.out) {
            Ok(n) => {
                self.store(n, true);
            }
            Err(_) => error!("log end refused"),
        }
        if let Some(session) = self.session.take() {
            info!("session {} ended", session.id.0);
        }
        let ended = storage::with(|s| {
            let ended = s.log.end_session();
            // Idle now: erase the next sectors, so that the next session
            // does not stall the microphones with an erase.
            s.prepare();
            ended
        });
        if ended.is_some_and(|r| r.is_err()) {
            warn!("session end not stored");
        }
        shared::set_state(if self.fault {
            RecordingState::Fault
        } else {
            RecordingState::Idle
        });
    }

    /// Logs one event of the session, if one is being recorded.
    fn log(&mut self, event: &Event) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match session.writer.push(event, &mut self.out) {
            Ok(n) => self.store(n, false),
            Err(_) => warn!("event not logged"),
        }
        if let Event::Marker {
            kind: MarkerKind::Resume,
            ..
        } = event
        {
            if let Some(session) = &self.session {
                shared::set_state(RecordingState::Recording {
                    session: session.id,
                    elapsed_ms: self.engine.session_ms(),
                });
            }
        }
    }

    /// Lets the writer flush turns that waited too long.
    fn poll_writer(&mut self) {
        let now = self.engine.session_ms();
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let tick = session.writer.tick_of(now);
        if let Ok(n) = session.writer.poll(tick, &mut self.out) {
            self.store(n, false);
        }
    }

    /// Writes a store notice into the log.
    fn notice(&mut self, what: StoreEvent) {
        let now = self.engine.session_ms();
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let tick = session.writer.tick_of(now);
        if let Ok(n) = session.writer.push_notice(tick, what, &mut self.out) {
            // A notice never triggers another notice: overwriting again for
            // it is reported with the next frame.
            let _ = self.append(n, true);
        }
    }

    /// Appends the first `n` bytes of `out`; handles a full store.
    fn store(&mut self, n: usize, last: bool) {
        match self.append(n, last) {
            Stored::Ok(appended) => {
                if let Some(dropped) = appended.dropped {
                    info!(
                        "overwrote sessions {}..={}",
                        dropped.first.0, dropped.last.0
                    );
                    self.notice(StoreEvent::Overwritten {
                        bytes: dropped.bytes,
                    });
                }
            }
            Stored::Full => self.store_full(),
            Stored::Failed => {
                self.fault = true;
                shared::set_state(RecordingState::Fault);
            }
        }
    }

    fn append(&mut self, n: usize, last: bool) -> Stored {
        if n == 0 {
            return Stored::Ok(Appended::default());
        }
        let Some(bytes) = self.out.get(..n) else {
            return Stored::Failed;
        };
        let result = storage::with(|s| {
            let result = if last {
                s.log.append_final(bytes)
            } else {
                s.log.append(bytes)
            };
            if matches!(result, Err(ref e) if *e != StoreError::Full) {
                s.errors = s.errors.saturating_add(1);
            }
            result
        });
        match result {
            Some(Ok(appended)) => Stored::Ok(appended),
            Some(Err(StoreError::Full)) => Stored::Full,
            Some(Err(_)) | None => {
                error!("flash append failed");
                Stored::Failed
            }
        }
    }

    /// The store is full (policy stop, or this session fills all of it):
    /// say so in the log, end the session, stop the engine's.
    fn store_full(&mut self) {
        warn!("store full: session stopped");
        let now = self.engine.session_ms();
        if let Some(session) = self.session.as_mut() {
            let tick = session.writer.tick_of(now);
            if let Ok(n) = session
                .writer
                .push_notice(tick, StoreEvent::Full, &mut self.out)
            {
                let _ = self.append(n, true);
            }
        }
        if let Some(session) = self.session.as_mut() {
            let tick = session.writer.tick_of(now);
            if let Ok(n) = session.writer.finish(tick, &mut self.out) {
                let _ = self.append(n, true);
            }
        }
        self.session = None;
        let _ = storage::with(|s| s.log.end_session());
        shared::set_state(RecordingState::StoreFull);
        self.engine.stop_session(shared::now());
    }

    /// Heartbeat for the laptop, figures for the LEDs, elapsed time for the
    /// status.
    fn publish_live(&mut self) {
        let session_ms = self.engine.session_ms();
        let seats = self.engine.seat_count().min(MAX_SEATS);
        let mut feedback = Feedback {
            enabled: self.led_feedback,
            seats: self.map.used_seats,
            ..Feedback::default()
        };
        for index in 0..seats {
            let Some(seat) = SeatId::new(index as u8) else {
                continue;
            };
            if self.engine.speaking(seat) {
                feedback.speaking |= 1 << index;
            }
            if let Some(share) = feedback.share_of_fair_q16.get_mut(index) {
                *share = self.engine.live().share_of_fair_q16(seat);
            }
        }
        shared::FEEDBACK.signal(feedback);
        let session = self.session.as_ref().map(|s| s.id);
        let _ = shared::LIVE.try_send(LiveUpdate::Tick {
            session,
            now: session_ms,
            speaking: feedback.speaking,
        });
        if let (Some(session), RecordingState::Recording { .. }) = (session, shared::state()) {
            shared::set_state(RecordingState::Recording {
                session,
                elapsed_ms: session_ms,
            });
        }
    }
}
