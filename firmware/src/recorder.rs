//! The recorder task: inputs into the core [`Engine`], its events through
//! the core's [`SessionRecorder`] (log writer → flash session log); live
//! figures out to the LEDs and the laptop.
//!
//! Sessions follow the engine: the facilitator's long press starts one (the
//! engine's start marker opens a store session and writes the log header),
//! the next long press stops it (the stop marker ends the log). When the
//! store is full it stops, or overwrites the oldest sessions, as configured,
//! and writes a store notice into the log saying which.
//!
//! While recording it keeps a [`Checkpoint`] in the watchdog's scratch
//! registers; after a reset (a fault, the watchdog) it resumes that session
//! at once: the store reopens it, the log writer goes on from the
//! checkpoint's counts, and the log shows a pause from the checkpoint to
//! the moment recording resumed.

use embassy_futures::select::{select4, Either4};
use embassy_rp::clocks::RoscRng;
use embassy_time::{Duration, Ticker};
use static_cell::StaticCell;
use portable_atomic::Ordering;
use tabletalk_core::engine::{Engine, EngineError};
use tabletalk_core::protocol::{self, DeviceConfig, FullPolicy, LiveUpdate, Mark, RecordingState};
use tabletalk_core::recorder::{Checkpoint, LogSink, SessionRecorder, SinkError, Stored};
use tabletalk_core::records::{self, Header, Seats};
use tabletalk_core::seat::{SeatId, MAX_SEATS};
use tabletalk_core::time::{Instant, SessionMs};
use tabletalk_core::turns::{Event, MarkerKind};

use crate::fault;
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

/// The one engine. With the spectral detector it is ~80 KiB: it lives
/// here, built once at start-up straight into its place, and is rebuilt
/// in place for a new configuration ([`Engine::rebuild`]), so the stack
/// never holds a second one (moving engines through `Option`s and locals
/// took more than the RAM has).
static ENGINE: StaticCell<Result<Engine<SEATS>, EngineError>> = StaticCell::new();

struct Recorder {
    engine: &'static mut Engine<SEATS>,
    map: SeatMap,
    policy: FullPolicy,
    led_feedback: bool,
    sessions: SessionRecorder,
    /// Set when the laptop changed the configuration during a session.
    config_pending: bool,
    /// A flash write failed in this session (shown on the status LED).
    fault: bool,
    device_id: u64,
    /// The engine's start marker of a resumed session is not logged.
    resumed: bool,
}

/// The session log in flash, as the core recorder's sink; counts failed
/// flash operations.
struct FlashLog {
    policy: FullPolicy,
}

impl FlashLog {
    fn with<R>(
        f: impl FnOnce(&mut storage::Log) -> Result<R, SinkError<storage::Error>>,
    ) -> Result<R, SinkError<()>> {
        let result = storage::with(|s| {
            let result = f(&mut s.log);
            if matches!(result, Err(SinkError::Failed(_))) {
                s.errors = s.errors.saturating_add(1);
            }
            result
        });
        match result {
            Some(Ok(value)) => Ok(value),
            Some(Err(SinkError::Full)) => Err(SinkError::Full),
            Some(Err(SinkError::Refused)) => Err(SinkError::Refused),
            Some(Err(SinkError::Failed(_))) | None => Err(SinkError::Failed(())),
        }
    }
}

impl LogSink for FlashLog {
    type Error = ();

    fn begin(&mut self, started: Option<u64>) -> Result<(u32, Option<u32>), SinkError<()>> {
        let policy = self.policy;
        Self::with(|log| {
            log.set_policy(policy);
            log.begin(started)
        })
    }

    fn append(&mut self, frame: &[u8], last: bool) -> Result<Option<u32>, SinkError<()>> {
        Self::with(|log| LogSink::append(log, frame, last))
    }

    fn end(&mut self) -> Result<(), SinkError<()>> {
        Self::with(LogSink::end)
    }

    fn resume(&mut self, id: u32) -> Result<(), SinkError<()>> {
        Self::with(|log| LogSink::resume(log, id))
    }
}

/// Runs the engine for ever.
#[embassy_executor::task]
pub async fn recorder_task(device_id: u64, checkpoint: Option<Checkpoint>) {
    let config = CONFIG
        .lock(|c| c.borrow().clone())
        .unwrap_or_else(settings::default_config);
    // A stored configuration the engine refuses: run with the defaults so
    // the device stays usable, and say so.
    let config = if Recorder::accepts(&config) {
        config
    } else {
        error!("configuration rejected by the engine: using the defaults");
        settings::default_config()
    };
    let Some(mut recorder) = Recorder::new(&config, device_id) else {
        shared::set_state(RecordingState::Fault);
        return;
    };
    if let Some(checkpoint) = checkpoint {
        recorder.resume(&checkpoint, shared::now());
    }
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
                recorder.checkpoint();
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
        if recorder.config_pending && recorder.sessions.recording().is_none() {
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
    /// Whether the engine takes `config`.
    fn accepts(config: &DeviceConfig) -> bool {
        let map = SeatMap::new(config);
        Engine::<SEATS>::check(&settings::engine_params(config), &map.engine_seats).is_ok()
    }

    /// The recorder, with the engine for `config` (once: `None` if the
    /// engine refuses it, or on a second call). Never inlined: building
    /// the engine takes a deep stack frame (its temporaries), which inlined
    /// into the task's poll function would stay allocated for ever (the
    /// emulator measured 157 KiB of stack under every engine call).
    #[inline(never)]
    fn new(config: &DeviceConfig, device_id: u64) -> Option<Self> {
        let map = SeatMap::new(config);
        let engine = ENGINE
            .try_init_with(|| {
                Engine::new(
                    settings::engine_params(config),
                    &map.engine_seats,
                    shared::now(),
                )
            })?
            .as_mut()
            .ok()?;
        announce_channels(&map);
        Some(Recorder {
            engine,
            map,
            policy: config.when_full,
            led_feedback: config.led_feedback,
            sessions: SessionRecorder::new(),
            config_pending: false,
            fault: false,
            device_id,
            resumed: false,
        })
    }

    /// Rebuilds the engine for the configuration now in force (in place;
    /// never inlined, as [`Recorder::new`]).
    #[inline(never)]
    fn apply_config(&mut self, now: Instant) {
        self.config_pending = false;
        let Some(config) = CONFIG.lock(|c| c.borrow().clone()) else {
            return;
        };
        let map = SeatMap::new(&config);
        match self
            .engine
            .rebuild(settings::engine_params(&config), &map.engine_seats, now)
        {
            Ok(()) => {
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

    /// Handles every event the engine has ready, and logs how many it
    /// dropped since the last drain, if any.
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
                    if core::mem::take(&mut self.resumed) {
                        continue;
                    }
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
                    if let Some(session) = self.recording() {
                        shared::set_state(RecordingState::Paused { session });
                    }
                }
                Event::Marker {
                    kind: MarkerKind::Resume,
                    ..
                } => {
                    self.log(&event);
                    self.show_recording();
                }
                _ => self.log(&event),
            }
        }
        // Events the engine's queue had no room for: a notice in the log.
        let mut sink = self.sink();
        let dropped = self.engine.stats().dropped_events;
        let stored = self
            .sessions
            .dropped_events(&mut sink, dropped, self.engine.session_ms());
        self.after(stored);
    }

    fn sink(&self) -> FlashLog {
        FlashLog {
            policy: self.policy,
        }
    }

    fn recording(&self) -> Option<protocol::StoredSessionId> {
        self.sessions.recording().map(protocol::StoredSessionId)
    }

    /// Session time now: the engine's, after a resumed part.
    fn session_ms(&self) -> SessionMs {
        self.sessions.session_time(self.engine.session_ms())
    }

    fn show_recording(&self) {
        if let Some(session) = self.recording() {
            shared::set_state(RecordingState::Recording {
                session,
                elapsed_ms: self.session_ms(),
            });
        }
    }

    /// The log header for this configuration (the recorder sets its
    /// session number).
    fn header<'s>(&self, nonce: u16, seats: Seats<'s>) -> Header<'s> {
        let mut header = Header::new(
            records::SessionId { number: 0, nonce },
            self.device_id,
            seats,
        );
        header.params = *self.engine.params();
        header
    }

    /// Opens a store session and writes the log header.
    fn begin(&mut self, now: Instant) {
        if self.sessions.recording().is_some() {
            return;
        }
        self.fault = false;
        let started = shared::CLOCK.lock(|c| {
            let mut clock = c.get();
            let unix_ms = clock.unix_ms(now);
            c.set(clock);
            unix_ms
        });
        let kinds = self.map.kinds();
        let Ok(seats) = Seats::new(&kinds) else {
            self.refuse(RecordingState::Fault, now);
            return;
        };
        let mut header = self.header(RoscRng.next_u32() as u16, seats);
        let mut sink = self.sink();
        match self.sessions.begin(&mut sink, &mut header, started) {
            Stored::Ok => {
                info!("session {} started", header.session.number);
                self.show_recording();
            }
            Stored::Full => {
                warn!("store full: not recording");
                self.refuse(RecordingState::StoreFull, now);
            }
            Stored::Failed => {
                error!("cannot open a session in flash");
                self.refuse(RecordingState::Fault, now);
            }
        }
    }

    /// Goes on with the session a reset interrupted (see the module docs).
    fn resume(&mut self, checkpoint: &Checkpoint, now: Instant) {
        let kinds = self.map.kinds();
        let Ok(seats) = Seats::new(&kinds) else {
            return;
        };
        let mut header = self.header(checkpoint.nonce, seats);
        let mut sink = self.sink();
        // The gap: from the checkpoint to now, this boot's uptime.
        let gap_ms = u64::from(now.0);
        if self
            .sessions
            .resume(&mut sink, &mut header, checkpoint, gap_ms)
            != Stored::Ok
        {
            warn!(
                "session {} cannot be resumed: it stays cut",
                checkpoint.session
            );
            return;
        }
        self.resumed = true;
        self.engine.start_session(now);
        info!(
            "session {} resumed after a reset at {} ms",
            checkpoint.session,
            self.session_ms()
        );
        self.show_recording();
    }

    /// Keeps what a resume after a reset needs (see [`fault`]).
    fn checkpoint(&self) {
        if self.sessions.recording().is_none() {
            return;
        }
        match self.sessions.checkpoint(self.engine.session_ms()) {
            Some(checkpoint) => fault::save_checkpoint(&checkpoint),
            // Beyond what the scratch registers hold: a reset ends it.
            None => fault::clear_checkpoint(),
        }
    }

    /// No session could be opened: stop the engine's session too, so that
    /// the next long press tries again.
    fn refuse(&mut self, state: RecordingState, now: Instant) {
        shared::set_state(state);
        self.engine.stop_session(now);
    }

    /// Ends the session (at `at`, engine time) in the log and the store.
    fn end(&mut self, at: SessionMs) {
        let Some(session) = self.recording() else {
            return;
        };
        let mut sink = self.sink();
        if self.sessions.end(&mut sink, at) != Stored::Ok {
            warn!("session end not stored");
        }
        info!(
            "session {} ended; {} microphone blocks dropped since power-up",
            session.0,
            shared::MIC_BLOCKS_DROPPED.load(Ordering::Relaxed)
        );
        fault::clear_checkpoint();
        // Idle now: erase the next sectors, so that the next session does
        // not stall the microphones with an erase.
        let _ = storage::with(|s| s.prepare());
        shared::set_state(if self.fault {
            RecordingState::Fault
        } else {
            RecordingState::Idle
        });
    }

    /// Logs one event of the engine's session, if one is being recorded.
    fn log(&mut self, event: &Event) {
        let mut sink = self.sink();
        let stored = self.sessions.record(&mut sink, event);
        self.after(stored);
    }

    /// Lets the writer flush turns that waited too long.
    fn poll_writer(&mut self) {
        let mut sink = self.sink();
        let stored = self.sessions.poll(&mut sink, self.engine.session_ms());
        self.after(stored);
    }

    /// Shows what became of a write.
    fn after(&mut self, stored: Stored) {
        match stored {
            Stored::Ok => {}
            Stored::Full => {
                // The recorder ended the session, with a note in its log.
                warn!("store full: session stopped");
                fault::clear_checkpoint();
                shared::set_state(RecordingState::StoreFull);
                self.engine.stop_session(shared::now());
            }
            Stored::Failed => {
                error!("flash append failed");
                self.fault = true;
                shared::set_state(RecordingState::Fault);
            }
        }
    }

    /// Heartbeat for the laptop, figures for the LEDs, elapsed time for the
    /// status.
    fn publish_live(&mut self) {
        let session_ms = self.session_ms();
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
        let session = self.recording();
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
