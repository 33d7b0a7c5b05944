//! The device-protocol stream parsers: the device's [`DeviceHandler`] fed
//! arbitrary request bytes, and the laptop's frame decoder fed arbitrary
//! device bytes.
//!
//! Input: the first byte chooses. `mode % 4`: 0 — raw bytes to the device;
//! 1 — a framed program ([`framing`](crate::framing)) of request messages
//! to the device; 2 — raw bytes to the laptop's parser; 3 — a framed
//! program of device messages to the laptop's parser. `mode / 4 + 1` is the
//! size of the pieces the bytes arrive in (as from USB packets).
//!
//! Checked on the device side: the handler answers exactly the frames whose
//! request id could be read, in order, once each; every answer is one
//! well-formed frame of at most [`MAX_FRAME`] bytes that decodes to a
//! reply with that id; live updates while subscribed are well-formed too.
//! On the laptop side: decoding ends, and every decoded device frame
//! re-encodes to a frame that decodes to the same message.

use tabletalk_core::protocol::frame::{self, FrameDecoder};
use tabletalk_core::protocol::{
    decode_device_frame, decode_request, ClockSet, DeviceBackend, DeviceConfig, DeviceFrame,
    DeviceHandler, DeviceIdentity, EraseScope, ErrorCode, LiveUpdate, RecordingState, SessionInfo,
    SessionRead, Status, StoredSessionId, WallClock, MAX_FRAME, MAX_FRAME_PAYLOAD,
};
use tabletalk_core::time::Instant;

use crate::framing::{self as framing_mod, Flavor};

/// A deterministic device in memory: a few sessions, a configuration, a
/// clock driven by a counter that advances on every call.
struct FakeDevice {
    sessions: Vec<(SessionInfo, Vec<u8>)>,
    config: DeviceConfig,
    clock: WallClock,
    counter: u32,
}

impl FakeDevice {
    fn new() -> Self {
        let sessions = (1..=20u32)
            .map(|id| {
                let bytes: Vec<u8> = (0..id * 97).map(|i| (i * 31 + id) as u8).collect();
                let info = SessionInfo {
                    id: StoredSessionId(id),
                    start_unix_ms: (id % 3 != 0).then_some(1_700_000_000_000 + u64::from(id)),
                    len: bytes.len() as u32,
                    recording: id == 20,
                    truncated: false,
                    interrupted: false,
                };
                (info, bytes)
            })
            .collect();
        FakeDevice {
            sessions,
            config: DeviceConfig::default(),
            clock: WallClock::new(),
            // Near the wrap, so that the clock crosses it.
            counter: u32::MAX - 5_000,
        }
    }

    fn now(&mut self) -> Instant {
        self.counter = self.counter.wrapping_add(997);
        Instant(self.counter)
    }
}

impl DeviceBackend for FakeDevice {
    fn identity(&mut self) -> DeviceIdentity {
        DeviceIdentity {
            device_id: 0x0123_4567_89ab_cdef,
            firmware: heapless::String::try_from("fuzz").unwrap_or_default(),
            name: self.config.name.clone(),
        }
    }

    fn status(&mut self) -> Status {
        let now = self.now();
        Status {
            device_ms: now,
            unix_ms: self.clock.unix_ms(now),
            state: RecordingState::Recording {
                session: StoredSessionId(20),
                elapsed_ms: 1234,
            },
            sessions: self.sessions.len() as u16,
            store_used: self.sessions.iter().map(|s| s.0.len).sum(),
            store_capacity: 1 << 20,
            sessions_overwritten: 0,
            storage_errors: 0,
        }
    }

    fn next_session(
        &mut self,
        after: Option<StoredSessionId>,
    ) -> Result<Option<SessionInfo>, ErrorCode> {
        Ok(self
            .sessions
            .iter()
            .map(|s| s.0)
            .find(|info| after.is_none_or(|after| info.id > after)))
    }

    fn read_session(
        &mut self,
        session: StoredSessionId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<SessionRead, ErrorCode> {
        let (_, bytes) = self
            .sessions
            .iter()
            .find(|s| s.0.id == session)
            .ok_or(ErrorCode::NoSuchSession)?;
        let rest = bytes
            .get(offset as usize..)
            .ok_or(ErrorCode::OffsetOutOfRange)?;
        let copied = rest.len().min(buf.len());
        buf[..copied].copy_from_slice(&rest[..copied]);
        Ok(SessionRead {
            copied,
            session_len: bytes.len() as u32,
        })
    }

    fn erase(&mut self, scope: EraseScope) -> Result<u16, ErrorCode> {
        let before = self.sessions.len();
        match scope {
            EraseScope::All => self.sessions.retain(|s| s.0.recording),
            EraseScope::Through(last) => {
                if self
                    .sessions
                    .iter()
                    .any(|s| s.0.recording && s.0.id <= last)
                {
                    return Err(ErrorCode::Busy);
                }
                self.sessions.retain(|s| s.0.id > last);
            }
        }
        Ok((before - self.sessions.len()) as u16)
    }

    fn config(&mut self) -> Result<DeviceConfig, ErrorCode> {
        Ok(self.config.clone())
    }

    fn set_config(&mut self, config: &DeviceConfig) -> Result<(), ErrorCode> {
        self.config = config.clone();
        Ok(())
    }

    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode> {
        let now = self.now();
        Ok(ClockSet {
            device_ms: now,
            previous_unix_ms: self.clock.set(unix_ms, now),
        })
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let piece = usize::from(mode / 4) + 1;
    match mode % 4 {
        0 => device_side(rest, piece),
        1 => device_side(&framing_mod::build(rest, Flavor::Protocol), piece),
        2 => laptop_side(rest, piece),
        _ => laptop_side(&framing_mod::build(rest, Flavor::Protocol), piece),
    }
}

/// The request ids the device must answer, in order: those of frames whose
/// id could be read (computed with an independent decoder).
fn answerable_ids(stream: &[u8]) -> Vec<u16> {
    let mut decoder = FrameDecoder::<MAX_FRAME_PAYLOAD>::new();
    let mut input = stream;
    let mut ids = Vec::new();
    while let Some(result) = decoder.feed(&mut input) {
        let Ok(message) = result else { continue };
        match decode_request(message) {
            Ok(frame) => ids.push(frame.id),
            Err((Some(id), _)) => ids.push(id),
            Err((None, _)) => {}
        }
    }
    ids
}

/// Decodes one frame the device sent; it must be exactly one valid frame.
fn decode_sent(frame: &[u8]) -> DeviceFrame<'static> {
    assert!(frame.len() <= MAX_FRAME, "a frame of {} bytes", frame.len());
    let (last, body) = frame.split_last().expect("a frame is not empty");
    assert_eq!(*last, 0, "a frame ends with its delimiter");
    assert!(!body.contains(&0), "a frame holds no other zero");
    let mut decoder = FrameDecoder::<MAX_FRAME_PAYLOAD>::new();
    let mut input = frame;
    let message = decoder
        .feed(&mut input)
        .expect("one frame")
        .expect("an intact frame");
    let owned: &'static [u8] = Box::leak(message.to_vec().into_boxed_slice());
    decode_device_frame(owned).expect("a device frame of this version")
}

fn device_side(stream: &[u8], piece: usize) {
    let expected = answerable_ids(stream);
    let mut device = FakeDevice::new();
    let mut handler = DeviceHandler::new();
    let mut out = [0u8; MAX_FRAME];
    let mut answered = Vec::new();
    for (n, chunk) in stream.chunks(piece).enumerate() {
        let mut input = chunk;
        while let Some(frame) = handler.receive(&mut input, &mut device, &mut out) {
            match decode_sent(frame) {
                DeviceFrame::Reply { id, .. } => answered.push(id),
                other => panic!("a live frame as an answer: {other:?}"),
            }
        }
        assert!(input.is_empty(), "receive returned None with input left");
        let update = LiveUpdate::Tick {
            session: Some(StoredSessionId(20)),
            now: n as u64,
            speaking: n as u16,
        };
        let subscribed = handler.is_subscribed();
        match handler.live(&update, &mut out) {
            Some(frame) => {
                assert!(subscribed);
                assert!(matches!(decode_sent(frame), DeviceFrame::Live { .. }));
            }
            None => assert!(!subscribed),
        }
    }
    assert_eq!(answered, expected, "answers vs answerable requests");
}

fn laptop_side(stream: &[u8], piece: usize) {
    let mut decoder = FrameDecoder::<MAX_FRAME_PAYLOAD>::new();
    let mut frames = 0usize;
    for chunk in stream.chunks(piece) {
        let mut input = chunk;
        while let Some(result) = decoder.feed(&mut input) {
            frames += 1;
            let Ok(message) = result else { continue };
            assert!(message.len() <= MAX_FRAME_PAYLOAD);
            let Ok(parsed) = decode_device_frame(message) else {
                continue;
            };
            let mut out = vec![0u8; 2 * MAX_FRAME];
            let Ok(again) = frame::encode(&parsed, &mut out) else {
                // Larger than the protocol allows: the laptop accepted a
                // message a device could never send. Only bounded strings
                // and vectors are in the messages, so this cannot happen.
                panic!("a decoded message does not re-encode: {parsed:?}");
            };
            let mut back = FrameDecoder::<MAX_FRAME_PAYLOAD>::new();
            let mut input2: &[u8] = again;
            let message2 = back.feed(&mut input2).expect("one frame").expect("intact");
            assert_eq!(decode_device_frame(message2).as_ref(), Ok(&parsed));
        }
    }
    assert!(frames <= stream.len());
}
