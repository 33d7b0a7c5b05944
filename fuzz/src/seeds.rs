//! Seed inputs for the kept corpus: real logs, real protocol traffic and
//! ordinary meetings, so that fuzzing starts from valid structure. Written
//! by `cargo run --example seed_corpus` (see `fuzz/README.md`).

use tabletalk::logs::{encode_session, SessionSpec};
use tabletalk_core::protocol::frame;
use tabletalk_core::protocol::{
    DeviceConfig, DeviceFrame, EraseScope, ErrorCode, LiveUpdate, ProtocolVersion, Request,
    RequestFrame, Response, SessionData, StoredSessionId, PROTOCOL_VERSION,
};
use tabletalk_core::seat::{InputKind, SeatId};
use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

use crate::framing;

/// One seed: target, file name, bytes.
pub type Seed = (&'static str, String, Vec<u8>);

/// An engine program (see [`engine_ops`](crate::engine_ops)): `kinds` are
/// seat codes, then a session with `stretches` of ordinary running.
fn engine_program(
    kinds: &[u8],
    start: u32,
    short_turns: bool,
    stretches: &[(u8, u8, u16, u16)],
) -> Vec<u8> {
    let mut p = vec![kinds.len() as u8 - 1];
    p.extend_from_slice(kinds);
    p.extend_from_slice(&start.to_le_bytes());
    p.push(u8::from(short_turns));
    p.extend_from_slice(&[8, 0]); // start the session
    for (i, &(steps, step, mask, level)) in stretches.iter().enumerate() {
        p.extend_from_slice(&[10, steps, step]);
        p.extend_from_slice(&mask.to_le_bytes());
        p.extend_from_slice(&level.to_le_bytes());
        if i == 1 {
            p.extend_from_slice(&[8, 4]); // an agenda mark
        }
    }
    p.extend_from_slice(&[8, 1]); // stop
    p
}

/// A log of `sessions` sessions of `seats` seats with `turns` turns each.
fn log(sessions: u32, seats: u8, turns: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for s in 0..sessions {
        let spec = SessionSpec {
            session: tabletalk_core::records::SessionId {
                number: s + 1,
                nonce: 0x1234 + s as u16,
            },
            device_id: 42,
            tick_ms: 10,
            started_at_unix_ms: Some(1_700_000_000_000 + u64::from(s) * 3_600_000),
            inputs: vec![InputKind::Button; usize::from(seats)],
            labels: (0..seats).map(|i| Some(format!("seat {i}"))).collect(),
            ..SessionSpec::default()
        };
        let list: Vec<(u8, u64, u64)> = (0..turns)
            .map(|i| {
                (
                    (i * 7 % u64::from(seats)) as u8,
                    i * 50 + i % 7,
                    i * 50 + 20 + i % 13 * 4,
                )
            })
            .collect();
        let markers = [(0, MarkerKind::Start), (turns * 25, MarkerKind::Agenda)];
        out.extend(encode_session(&spec, &list, &markers, turns * 50 + 100).expect("encodes"));
    }
    out
}

fn request(id: u16, request: Request) -> Vec<u8> {
    let mut out = vec![0u8; 1024];
    let frame = frame::encode(&RequestFrame { id, request }, &mut out).expect("encodes");
    frame.to_vec()
}

fn device_frame(frame_value: &DeviceFrame<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 1024];
    frame::encode(frame_value, &mut out)
        .expect("encodes")
        .to_vec()
}

/// Every seed.
pub fn seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (name, bytes) in [
        ("one-session", log(1, 4, 40)),
        ("three-sessions", log(3, 6, 100)),
        ("many-seats", log(1, 200, 30)),
    ] {
        let mut raw = vec![0u8];
        raw.extend_from_slice(&bytes);
        let mut framed = vec![1u8];
        framed.extend(framing::program(&framing::log_payloads(&bytes)));
        for target in ["log_decoder", "report_json"] {
            seeds.push((target, format!("raw-{name}"), raw.clone()));
            seeds.push((target, format!("framed-{name}"), framed.clone()));
        }
    }

    let requests = [
        Request::Hello {
            host: PROTOCOL_VERSION,
        },
        Request::Status,
        Request::ListSessions { after: None },
        Request::ListSessions {
            after: Some(StoredSessionId(3)),
        },
        Request::ReadSession {
            session: StoredSessionId(5),
            offset: 100,
            max_len: 512,
        },
        Request::SessionChecksum {
            session: StoredSessionId(7),
        },
        Request::Erase {
            scope: EraseScope::Through(StoredSessionId(2)),
        },
        Request::SetClock {
            unix_ms: 1_700_000_000_000,
        },
        Request::GetConfig,
        Request::SetConfig {
            config: DeviceConfig::default(),
        },
        Request::Live { subscribe: true },
        Request::Hello {
            host: ProtocolVersion { major: 9, minor: 9 },
        },
    ];
    let mut stream = vec![4u8 * 15]; // raw, 61-byte pieces
    let mut framed = vec![1u8];
    for (id, r) in requests.iter().enumerate() {
        let frame = request(id as u16, r.clone());
        stream.extend_from_slice(&frame);
        let message = framing::uncobs(&frame[..frame.len() - 1]).expect("cobs");
        let message = &message[..message.len() - 4];
        framed.push(0);
        framed.push(message.len() as u8);
        framed.extend_from_slice(message);
    }
    seeds.push(("protocol_stream", "requests-raw".into(), stream));
    seeds.push(("protocol_stream", "requests-framed".into(), framed));
    let data = [7u8; 300];
    let replies = [
        DeviceFrame::Reply {
            id: 3,
            response: Response::Data(SessionData {
                session: StoredSessionId(1),
                offset: 0,
                session_len: 300,
                data: &data,
            }),
        },
        DeviceFrame::Reply {
            id: 4,
            response: Response::Error(ErrorCode::NoSuchSession),
        },
        DeviceFrame::Live {
            seq: 9,
            update: LiveUpdate::Event(Event::TurnEnded {
                seat: SeatId::new(2).expect("seat"),
                start: 1000,
                end: 2000,
                how: TurnEnd::Cut,
            }),
        },
    ];
    let mut laptop = vec![2u8 + 4 * 15];
    for reply in &replies {
        laptop.extend(device_frame(reply));
    }
    seeds.push(("protocol_stream", "replies-raw".into(), laptop));

    // Engine programs: seat codes 0 button, 1 mic, 2 both, 3 external;
    // bit 2 toggle mode; bits 3-4 the ADC's full scale.
    seeds.push((
        "engine_ops",
        "buttons-and-mics".into(),
        engine_program(
            &[0, 1, 2, 4],
            0,
            false,
            &[
                (60, 10, 0b0001, 2000),
                (60, 10, 0b0110, 50),
                (60, 20, 0b1000, 3000),
                (60, 10, 0b0000, 2000),
                (60, 10, 0b0101, 50),
                (60, 20, 0b0010, 3000),
                (60, 10, 0b1001, 2000),
                (60, 10, 0b0000, 50),
            ],
        ),
    ));
    seeds.push((
        "engine_ops",
        "sixteen-seats-at-the-wrap".into(),
        engine_program(
            &[1; 16],
            u32::MAX - 3_000,
            true,
            &[
                (63, 20, 0xFFFF, 4000),
                (63, 20, 0, 4000),
                (63, 20, 0xFFFF, 4000),
                (63, 20, 0, 4000),
            ],
        ),
    ));
    seeds.push(("engine_ops", "external-seats".into(), {
        let mut p = engine_program(&[3, 3, 3], 17, false, &[(50, 10, 0, 0)]);
        p.pop();
        p.pop(); // reopen before the stop: activity changes
        for i in 0..30u8 {
            p.extend_from_slice(&[7 | if i % 2 == 0 { 0x80 } else { 0 }, i % 3, 0, 200]);
        }
        p.extend_from_slice(&[8, 1]);
        p
    }));
    seeds
}
