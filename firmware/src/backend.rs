//! What the device does when the laptop asks: the core protocol's
//! [`DeviceBackend`] over the flash stores, the wall clock and the
//! configuration.

use heapless::String;
use tabletalk_core::engine::Engine;
use tabletalk_core::protocol::{
    ClockSet, DeviceBackend, DeviceConfig, DeviceIdentity, EraseScope, ErrorCode, Mark,
    RecordingState, SessionInfo, SessionRead, Status, StoredSessionId,
};
use tabletalk_core::store::{StoreError, StoredSession, StoredSessionState};

use crate::recorder::SEATS;
use crate::settings;
use crate::shared::{self, CLOCK, CONFIG, CONFIG_CHANGED, DEVICE_ID, MARK_REQUESTED};
use crate::storage;

/// The device side of the USB protocol.
pub struct Backend;

fn store_error<E>(error: StoreError<E>) -> ErrorCode {
    match error {
        StoreError::UnknownSession => ErrorCode::NoSuchSession,
        StoreError::OffsetOutOfRange => ErrorCode::OffsetOutOfRange,
        StoreError::SessionOpen => ErrorCode::Busy,
        _ => ErrorCode::Storage,
    }
}

fn session_info(session: &StoredSession, recording: Option<StoredSessionId>) -> SessionInfo {
    SessionInfo {
        id: session.id,
        start_unix_ms: session.started_unix_ms,
        len: session.len,
        recording: recording == Some(session.id),
        // The store drops whole sessions to make room, never their start.
        truncated: false,
        interrupted: session.state == StoredSessionState::Interrupted,
    }
}

impl DeviceBackend for Backend {
    /// Hands the marker to the recorder, which sets it at its next tick
    /// (within 10 ms), as if the facilitator had pressed.
    fn mark(&mut self, mark: Mark) -> Result<StoredSessionId, ErrorCode> {
        match shared::state() {
            RecordingState::Recording { session, .. } => {
                MARK_REQUESTED.signal(mark);
                Ok(session)
            }
            _ => Err(ErrorCode::Busy),
        }
    }

    fn identity(&mut self) -> DeviceIdentity {
        let mut firmware = String::new();
        let _ = firmware.push_str(env!("CARGO_PKG_VERSION"));
        let name = CONFIG
            .lock(|c| c.borrow().as_ref().map(|c| c.name.clone()))
            .unwrap_or_default();
        DeviceIdentity {
            device_id: DEVICE_ID.lock(|id| id.get()),
            firmware,
            name,
        }
    }

    fn status(&mut self) -> Status {
        let now = shared::now();
        let unix_ms = CLOCK.lock(|c| {
            let mut clock = c.get();
            let unix_ms = clock.unix_ms(now);
            c.set(clock);
            unix_ms
        });
        let (usage, errors) =
            storage::with(|s| (Some(s.log.usage()), s.errors)).unwrap_or((None, 0));
        let state = match (shared::state(), usage) {
            (state, Some(_)) => state,
            (_, None) => RecordingState::Fault,
        };
        Status {
            device_ms: now,
            unix_ms,
            state,
            sessions: usage.map_or(0, |u| u.sessions),
            store_used: usage.map_or(0, |u| u.used),
            store_capacity: usage.map_or(0, |u| u.capacity),
            sessions_overwritten: usage.map_or(0, |u| u.overwritten),
            storage_errors: errors,
        }
    }

    fn next_session(
        &mut self,
        after: Option<StoredSessionId>,
    ) -> Result<Option<SessionInfo>, ErrorCode> {
        storage::with(|s| {
            let recording = s.log.recording();
            s.log
                .next_session(after)
                .map(|session| session_info(session, recording))
        })
        .ok_or(ErrorCode::Storage)
    }

    fn read_session(
        &mut self,
        session: StoredSessionId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<SessionRead, ErrorCode> {
        storage::with(|s| {
            let copied = s.log.read(session, offset, buf).map_err(store_error)?;
            let session_len = s.log.session(session).map_or(0, |found| found.len);
            Ok(SessionRead {
                copied,
                session_len,
            })
        })
        .ok_or(ErrorCode::Storage)?
    }

    fn erase(&mut self, scope: EraseScope) -> Result<u16, ErrorCode> {
        let erased = storage::with(|s| {
            let erased = match scope {
                EraseScope::All => s.log.erase_all(),
                EraseScope::Through(last) => s.log.erase_through(last),
            };
            if s.log.recording().is_none() {
                s.prepare();
            }
            erased
        })
        .ok_or(ErrorCode::Storage)?
        .map_err(store_error)?;
        // There is room again: the next long press may record.
        if erased > 0 && shared::state() == RecordingState::StoreFull {
            shared::set_state(RecordingState::Idle);
        }
        Ok(erased)
    }

    fn config(&mut self) -> Result<DeviceConfig, ErrorCode> {
        Ok(CONFIG
            .lock(|c| c.borrow().clone())
            .unwrap_or_else(settings::default_config))
    }

    fn set_config(&mut self, config: &DeviceConfig) -> Result<(), ErrorCode> {
        settings::check(config)?;
        // What the engine would refuse (invalid parameters; with
        // `mic.spectral_on`, more microphones than the detector's slots)
        // is refused here, before it is stored.
        let seats = settings::SeatMap::new(config).engine_seats;
        Engine::<SEATS>::check(&settings::engine_params(config), &seats)
            .map_err(|_| ErrorCode::InvalidConfig)?;
        storage::with(|s| s.save_config(config))
            .ok_or(ErrorCode::Storage)?
            .map_err(store_error)?;
        CONFIG.lock(|c| c.replace(Some(config.clone())));
        // The recorder applies it as soon as no session is running.
        CONFIG_CHANGED.signal(());
        Ok(())
    }

    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode> {
        let now = shared::now();
        let previous_unix_ms = CLOCK.lock(|c| {
            let mut clock = c.get();
            let previous = clock.set(unix_ms, now);
            c.set(clock);
            previous
        });
        Ok(ClockSet {
            device_ms: now,
            previous_unix_ms,
        })
    }
}
