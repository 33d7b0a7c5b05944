//! `tabletalk device …` end to end, without hardware: the laptop's client
//! and commands talk over an in-memory pipe to a simulated device that runs
//! the core's own protocol handler (the code the firmware runs) over a
//! memory store holding real logs made with the core's `LogWriter`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tabletalk::commands::device::{execute, Console, DeviceCommand, FormatArg};
use tabletalk::device::client::LinkOptions;
use tabletalk::device::pipe::{duplex, PipeEnd};
use tabletalk::device::simulator::{Faults, MemoryBackend, SimulatedDevice};
use tabletalk::device::{DeviceClient, DeviceError, Transport};
use tabletalk::error::CliError;
use tabletalk_core::log::{Item, LogReader};
use tabletalk_core::protocol::{
    frame, DeviceFrame, DeviceInfo, ErrorCode, LiveUpdate, ProtocolVersion, Response,
    StoredSessionId, MAX_FRAME, PROTOCOL_VERSION,
};
use tabletalk_core::recorder::{FrameSink, SessionRecorder, Stored};
use tabletalk_core::records::{self, Header, Record, Seats};
use tabletalk_core::seat::{InputKind, SeatId};
use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

const START: u64 = 1_714_555_812_345; // 2024-05-01T09:30:12Z

/// A real session log of `turns` turns among 4 seats, made by the core's
/// session recorder.
fn session_log(number: u32, turns: u32) -> Vec<u8> {
    let kinds = [InputKind::Button; 4];
    let mut header = Header::new(
        records::SessionId {
            number,
            nonce: 0xBEEF,
        },
        0xE660,
        Seats::new(&kinds).unwrap(),
    );
    let mut log = Vec::new();
    let mut sink = FrameSink::new(number, |frame: &[u8]| log.extend_from_slice(frame));
    let mut recorder = SessionRecorder::new();
    assert_eq!(
        recorder.begin(&mut sink, &mut header, Some(START)),
        Stored::Ok
    );
    for i in 0..turns {
        let seat = SeatId::new((i * 7 % 4) as u8).unwrap();
        let start = u64::from(i) * 4_000;
        let event = Event::TurnEnded {
            seat,
            start,
            end: start + 1_000 + u64::from(i * 37 % 2_500),
            how: TurnEnd::Natural,
        };
        assert_eq!(recorder.record(&mut sink, &event), Stored::Ok);
    }
    let end = u64::from(turns) * 4_000 + 1_000;
    assert_eq!(recorder.end(&mut sink, end), Stored::Ok);
    log
}

/// Counts the records of a log; panics on damage.
fn record_count(log: &[u8]) -> usize {
    let mut scratch = vec![0u8; 4096];
    LogReader::new(log, &mut scratch)
        .unwrap()
        .map(|item| match item {
            Item::Record { record, .. } => record,
            other => panic!("damaged log: {other:?}"),
        })
        .filter(|record| !matches!(record, Record::Header(_)))
        .count()
}

/// A device with three finished sessions: 2 started with the clock set,
/// one without, of various sizes (one of several chunks).
fn device_with_sessions() -> MemoryBackend {
    let mut device = MemoryBackend::new(0xE660_C0FF_EE00_1234);
    device.config.name = heapless::String::try_from("table 3").unwrap();
    device.add_session(Some(START), session_log(1, 3));
    device.add_session(Some(START + 3_600_000), session_log(2, 900));
    device.add_session(None, session_log(3, 40));
    device
}

fn fast() -> LinkOptions {
    LinkOptions {
        timeout: Duration::from_millis(300),
        attempts: 3,
    }
}

fn start(device: MemoryBackend) -> (SimulatedDevice, DeviceClient<PipeEnd>) {
    let (host, dev) = duplex();
    let sim = SimulatedDevice::spawn(device, dev);
    let client = DeviceClient::connect(host, fast()).expect("connects");
    (sim, client)
}

/// Runs a subcommand, returning its output; `answer` answers confirmations.
fn run(
    client: &mut DeviceClient<PipeEnd>,
    command: DeviceCommand,
    answer: Option<bool>,
) -> anyhow::Result<String> {
    let mut out = Vec::new();
    let mut confirm = |_: &str| answer;
    let mut console = Console {
        out: &mut out,
        terminal: false,
        confirm: &mut confirm,
    };
    let result = execute(client, &command, &mut console);
    let text = String::from_utf8(out).unwrap();
    result.map(|()| text)
}

/// A fresh, empty folder under the system temp folder.
fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tabletalk-device-test-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn pull_command(out: &Path, erase_after: bool) -> DeviceCommand {
    DeviceCommand::Pull {
        out_dir: out.to_owned(),
        sessions: vec![],
        erase_after,
    }
}

#[test]
fn status_and_set_time() {
    let (sim, mut client) = start(device_with_sessions());
    assert_eq!(client.info().name.as_str(), "table 3");

    let text = run(
        &mut client,
        DeviceCommand::Status {
            format: FormatArg::default(),
        },
        None,
    )
    .unwrap();
    assert!(text.contains("table 3, id e660c0ffee001234"), "{text}");
    assert!(text.contains("3 session(s)"), "{text}");
    assert!(text.contains("clock    not set"), "{text}");

    let text = run(&mut client, DeviceCommand::SetTime, None).unwrap();
    assert!(text.contains("had not been set since power-up"), "{text}");
    assert!(sim.with_device(|d| d.clock.is_set()));

    let json = run(
        &mut client,
        DeviceCommand::Status {
            format: FormatArg::JSON,
        },
        None,
    )
    .unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["sessions"], 3);
    assert_eq!(value["state"], "idle");
    assert_eq!(value["device_id"], "e660c0ffee001234");
    let offset = value["clock_offset_ms"].as_i64().unwrap();
    assert!(
        offset.abs() < 2_000,
        "device clock {offset} ms off after set-time"
    );

    let text = run(&mut client, DeviceCommand::SetTime, None).unwrap();
    assert!(text.contains("it was already right"), "{text}");
}

#[test]
fn list_shows_sessions_and_their_file_names() {
    let (_sim, mut client) = start(device_with_sessions());
    let text = run(
        &mut client,
        DeviceCommand::List {
            format: FormatArg::default(),
        },
        None,
    )
    .unwrap();
    assert!(
        text.contains("table-3_2024-05-01T09-30-12Z.ttlog"),
        "{text}"
    );
    assert!(
        text.contains("table-3_2024-05-01T10-30-12Z.ttlog"),
        "{text}"
    );
    assert!(text.contains("(clock not set)"), "{text}");
    assert!(text.contains("table-3_session-00003.ttlog"), "{text}");

    let json = run(
        &mut client,
        DeviceCommand::List {
            format: FormatArg::JSON,
        },
        None,
    )
    .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["id"], 3);
    assert_eq!(rows[2]["start_unix_ms"], serde_json::Value::Null);
}

#[test]
fn list_pages_through_many_sessions() {
    let mut device = MemoryBackend::new(1);
    for i in 0..50 {
        device.add_session(Some(START + i * 60_000), vec![i as u8; 3]);
    }
    let (_sim, mut client) = start(device);
    let sessions = client.sessions().unwrap();
    assert_eq!(sessions.len(), 50);
    assert!(sessions.windows(2).all(|w| w[0].id < w[1].id));
}

#[test]
fn pull_writes_verified_files_atomically_and_is_idempotent() {
    let (sim, mut client) = start(device_with_sessions());
    let dir = scratch_dir("pull");
    let text = run(&mut client, pull_command(&dir, false), None).unwrap();
    assert_eq!(text.matches("pulled").count(), 3, "{text}");

    let expected = [
        "table-3_2024-05-01T09-30-12Z.ttlog",
        "table-3_2024-05-01T10-30-12Z.ttlog",
        "table-3_session-00003.ttlog",
    ];
    assert_eq!(files_in(&dir), expected, "no temporary file left behind");
    let stored = sim.with_device(|d| d.sessions.clone());
    for (name, session) in expected.iter().zip(&stored) {
        let bytes = fs::read(dir.join(name)).unwrap();
        assert_eq!(bytes, session.bytes, "{name}");
        assert!(record_count(&bytes) > 0, "{name} decodes as a log");
    }
    assert!(
        stored[1].bytes.len() > 3 * 512,
        "one session spans several chunks"
    );

    // Again: nothing rewritten, nothing erased.
    let before = fs::metadata(dir.join(expected[1]))
        .unwrap()
        .modified()
        .unwrap();
    let text = run(&mut client, pull_command(&dir, false), None).unwrap();
    assert_eq!(text.matches("already in").count(), 3, "{text}");
    assert_eq!(
        fs::metadata(dir.join(expected[1]))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    assert_eq!(
        sim.with_device(|d| d.sessions.len()),
        3,
        "pull never erases unasked"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pull_resumes_a_partial_file_and_restarts_a_bad_one() {
    let (sim, mut client) = start(device_with_sessions());
    let dir = scratch_dir("resume");
    let bytes = sim.with_device(|d| d.sessions[1].bytes.clone());
    let name = "table-3_2024-05-01T10-30-12Z.ttlog";
    let partial = dir.join(format!(".{name}.partial"));

    // An interrupted earlier pull left the first 1000 bytes.
    fs::write(&partial, &bytes[..1000]).unwrap();
    let report = tabletalk::device::pull::pull(
        &mut client,
        &tabletalk::device::pull::PullOptions {
            out_dir: dir.clone(),
            only: vec![StoredSessionId(2)],
            erase_after: false,
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(
        matches!(
            report.outcomes[..],
            [tabletalk::device::pull::PullOutcome::Pulled {
                resumed_from: 1000,
                ..
            }]
        ),
        "{report:?}"
    );
    assert_eq!(fs::read(dir.join(name)).unwrap(), bytes);

    // A partial file that is not a prefix (e.g. from another device) is
    // detected by the checksum and the pull starts over.
    fs::remove_file(dir.join(name)).unwrap();
    fs::write(&partial, vec![0x55; 700]).unwrap();
    run(&mut client, pull_command(&dir, false), None).unwrap();
    assert_eq!(fs::read(dir.join(name)).unwrap(), bytes);
    assert!(!partial.exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pull_never_overwrites_a_different_file_with_the_same_name() {
    let (_sim, mut client) = start(device_with_sessions());
    let dir = scratch_dir("collide");
    let name = "table-3_2024-05-01T09-30-12Z.ttlog";
    fs::write(dir.join(name), b"someone else's notes").unwrap();
    run(&mut client, pull_command(&dir, false), None).unwrap();
    assert_eq!(fs::read(dir.join(name)).unwrap(), b"someone else's notes");
    assert!(dir.join("table-3_2024-05-01T09-30-12Z-2.ttlog").exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn erase_after_pull_erases_only_verified_sessions() {
    let mut device = device_with_sessions();
    let recording = device.add_session(Some(START + 7_200_000), session_log(4, 5));
    device.set_recording(recording, true);
    let (sim, mut client) = start(device);
    let dir = scratch_dir("erase-after");
    let text = run(&mut client, pull_command(&dir, true), None).unwrap();
    assert!(text.contains("still recording, skipped"), "{text}");
    assert!(text.contains("erased 3 verified session(s)"), "{text}");
    assert_eq!(files_in(&dir).len(), 3);
    let left: Vec<u32> = sim.with_device(|d| d.sessions.iter().map(|s| s.info.id.0).collect());
    assert_eq!(left, [4], "the recording session stays");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn erase_asks_first() {
    let (sim, mut client) = start(device_with_sessions());
    let all = || DeviceCommand::Erase {
        all: true,
        through: None,
        yes: false,
    };

    // Nobody to ask (not a terminal): refused, with exit code 2.
    let err = run(&mut client, all(), None).unwrap_err();
    assert_eq!(
        err.downcast_ref::<CliError>().map(|e| e.code),
        Some(2),
        "{err}"
    );
    assert!(err.to_string().contains("--yes"), "{err}");
    // Answered no.
    let text = run(&mut client, all(), Some(false)).unwrap();
    assert!(text.contains("nothing erased"), "{text}");
    assert_eq!(sim.with_device(|d| d.sessions.len()), 3);

    let through = DeviceCommand::Erase {
        all: false,
        through: Some(2),
        yes: true,
    };
    let text = run(&mut client, through, None).unwrap();
    assert!(text.contains("erased 2 session(s)"), "{text}");
    let text = run(&mut client, all(), Some(true)).unwrap();
    assert!(text.contains("erased 1 session(s)"), "{text}");
    assert_eq!(sim.with_device(|d| d.sessions.len()), 0);
}

#[test]
fn config_round_trip_by_flags_and_file() {
    let (sim, mut client) = start(MemoryBackend::new(7));
    let set = DeviceCommand::Config {
        file: None,
        name: Some("north table".into()),
        led: Some(true),
        when_full: Some(tabletalk::commands::device::WhenFull::Overwrite),
        seats: vec![
            tabletalk::device::config_file::parse_seat("0:button:toggle").unwrap(),
            tabletalk::device::config_file::parse_seat("1:mic@2").unwrap(),
        ],
        remove_seats: vec![],
        set: vec!["mic.spectral_on=true".into(), "mic.hangover_ms=500".into()],
    };
    let shown = run(&mut client, set, None).unwrap();
    let stored = sim.with_device(|d| d.config.clone());
    assert_eq!(stored.name.as_str(), "north table");
    assert!(stored.led_feedback);
    assert_eq!(stored.seats.len(), 2);
    assert_eq!(stored.seats[1].mic_channel, Some(2));
    // --set reaches the device's detection parameters (its log headers).
    assert!(stored.params.mic.spectral_on);
    assert_eq!(stored.params.mic.hangover_ms, 500);

    // What `config` prints is a file `config --file` takes back.
    let dir = scratch_dir("config");
    let path = dir.join("table.toml");
    fs::write(
        &path,
        shown.replace("led_feedback = true", "led_feedback = false"),
    )
    .unwrap();
    let file = |path: &Path| DeviceCommand::Config {
        file: Some(path.to_owned()),
        name: None,
        led: None,
        when_full: None,
        seats: vec![],
        remove_seats: vec![],
        set: vec![],
    };
    run(&mut client, file(&path), None).unwrap();
    let after = sim.with_device(|d| d.config.clone());
    assert!(!after.led_feedback);
    assert_eq!(after.seats, stored.seats);

    // A bad file is refused before anything is sent.
    fs::write(&path, "seats = 3").unwrap();
    let err = run(&mut client, file(&path), None).unwrap_err();
    assert_eq!(
        err.downcast_ref::<CliError>().map(|e| e.code),
        Some(2),
        "{err}"
    );
    assert_eq!(sim.with_device(|d| d.config.clone()), after);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn live_stream_reaches_the_terminal() {
    let mut device = MemoryBackend::new(9);
    for seat in 0..3u8 {
        device
            .config
            .seats
            .push(tabletalk_core::protocol::SeatSettings::button(
                SeatId::new(seat).unwrap(),
            ))
            .unwrap();
    }
    let (sim, mut client) = start(device);
    let seat = |i| SeatId::new(i).unwrap();
    let updates = [
        LiveUpdate::Event(Event::Marker {
            at: 0,
            kind: MarkerKind::Start,
        }),
        LiveUpdate::Event(Event::TurnStarted {
            seat: seat(1),
            at: 500,
        }),
        LiveUpdate::Event(Event::TurnEnded {
            seat: seat(1),
            start: 500,
            end: 20_500,
            how: TurnEnd::Natural,
        }),
        LiveUpdate::Event(Event::TurnStarted {
            seat: seat(2),
            at: 21_000,
        }),
        LiveUpdate::Tick {
            session: Some(StoredSessionId(5)),
            now: 31_000,
            speaking: 0b100,
        },
    ];
    // The simulated device holds these until the laptop subscribes, then
    // sends them at once: no sleep decides whether they arrive in time.
    for update in updates {
        sim.push_live(update);
    }
    let command = DeviceCommand::Live {
        duration: Some(2.0),
        plain: true,
        serve: None,
        roster: None,
    };
    let text = run(&mut client, command, None).unwrap();
    assert!(text.contains("0:00 seat 1 starts speaking"), "{text}");
    assert!(text.contains("0:20 seat 1 stops after 20.0 s"), "{text}");
    assert!(text.contains("session 5  meeting time 0:31"), "{text}");
    assert!(text.contains("◀ speaking, has the floor"), "{text}");
    assert!(!text.contains("lost"), "{text}");

    // After `live` the laptop unsubscribed: the device keeps what it has.
    sim.push_live(updates[1]);
    client.status().unwrap(); // a round trip: anything sent would be here now
    assert_eq!(client.next_live(Duration::ZERO).unwrap(), None);
}

#[test]
fn live_on_a_terminal_redraws_in_place() {
    let mut device = MemoryBackend::new(9);
    device
        .config
        .seats
        .push(tabletalk_core::protocol::SeatSettings::button(
            SeatId::new(0).unwrap(),
        ))
        .unwrap();
    let (_sim, mut client) = start(device);
    let mut out = Vec::new();
    let mut confirm = |_: &str| None;
    let mut console = Console {
        out: &mut out,
        terminal: true,
        confirm: &mut confirm,
    };
    let command = DeviceCommand::Live {
        duration: Some(0.5),
        plain: false,
        serve: None,
        roster: None,
    };
    execute(&mut client, &command, &mut console).unwrap();
    let text = String::from_utf8(out).unwrap();
    // Drawn once, then drawn over (cursor up 3 lines, each line cleared).
    assert!(text.starts_with("\r\x1b[2Knot recording"), "{text:?}");
    assert!(text.contains("\x1b[3A\r\x1b[2K"), "{text:?}");
}

#[test]
fn live_frames_are_numbered_and_interleave_with_replies() {
    let (sim, mut client) = start(MemoryBackend::new(9));
    client.subscribe(true).unwrap();
    let tick = |now| LiveUpdate::Tick {
        session: None,
        now,
        speaking: 0,
    };
    for now in 0..5 {
        sim.push_live(tick(now));
    }
    // A request while live frames are in flight still gets its reply …
    client.status().unwrap();
    // … and the live frames are kept, in order.
    for expected in 0..5u32 {
        let frame = client.next_live(Duration::from_secs(1)).unwrap().unwrap();
        assert_eq!(frame.seq, expected);
        assert_eq!(frame.update, tick(u64::from(expected)));
    }
}

#[test]
fn garbage_on_the_line_is_survived_both_ways() {
    let (host, dev) = duplex();
    let sim = SimulatedDevice::spawn(device_with_sessions(), dev);
    // Host to device: junk (with and without delimiters) before connecting.
    let mut host = host;
    host.send(&[0x42, 0x13, 0x00, 0xFF, 0xFE, 0x07, 0x01])
        .unwrap();
    let mut client = DeviceClient::connect(host, fast()).unwrap();
    // Device to host: junk before a reply.
    sim.set_faults(Faults {
        garbage_before_reply: vec![0x99, 0x00, 0x05, 0xAB, 0x00, 0x31, 0x32],
        ..Faults::default()
    });
    assert_eq!(client.status().unwrap().sessions, 3);
    let stats = client.stats();
    assert!(stats.damaged_frames >= 1, "{stats:?}");
}

#[test]
fn a_corrupted_reply_is_retried_at_once() {
    let (sim, mut client) = start(device_with_sessions());
    sim.set_faults(Faults {
        corrupt_replies: 1,
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(client.status().unwrap().sessions, 3);
    let stats = client.stats();
    assert_eq!((stats.retries, stats.damaged_frames), (1, 1), "{stats:?}");
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "retried without waiting for the timeout"
    );
}

#[test]
fn a_pull_survives_a_lossy_line() {
    let (sim, mut client) = start(device_with_sessions());
    let dir = scratch_dir("lossy");
    // Every 4th reply damaged, every 7th lost, and a burst at the start.
    sim.set_faults(Faults {
        corrupt_replies: 2,
        drop_replies: 2,
        corrupt_every: 4,
        drop_every: 7,
        ..Faults::default()
    });
    let text = run(&mut client, pull_command(&dir, false), None).unwrap();
    assert!(text.contains("request(s) repeated"), "{text}");
    assert_eq!(files_in(&dir).len(), 3);
    let stored = sim.with_device(|d| d.sessions.clone());
    for (name, session) in files_in(&dir).iter().zip(&stored) {
        assert_eq!(fs::read(dir.join(name)).unwrap(), session.bytes);
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_silent_device_times_out_with_a_clear_message() {
    let (sim, mut client) = start(device_with_sessions());
    sim.set_faults(Faults {
        silent: true,
        ..Faults::default()
    });
    let started = Instant::now();
    let err = client.status().unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(err, DeviceError::NoAnswer { attempts: 3, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("did not answer `status` (3 attempts of 0.3 s each)"),
        "{message}"
    );
    assert!(
        waited >= Duration::from_millis(850) && waited < Duration::from_secs(3),
        "{waited:?}"
    );

    // A line that only ever returns damaged frames says so.
    sim.set_faults(Faults {
        corrupt_replies: 100,
        ..Faults::default()
    });
    let message = client.status().unwrap_err().to_string();
    assert!(
        message.contains("damaged frame(s) came back: check the cable"),
        "{message}"
    );
}

#[test]
fn an_unplugged_device_is_an_io_error() {
    let (sim, mut client) = start(device_with_sessions());
    drop(sim);
    let err = client.status().unwrap_err();
    assert!(matches!(err, DeviceError::Io { .. }), "{err:?}");
}

#[test]
fn device_errors_are_reported() {
    let (_sim, mut client) = start(device_with_sessions());
    let err = client.read(StoredSessionId(99), 0, 512).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::Refused {
                code: ErrorCode::NoSuchSession,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the device refused `read session`: no such session on the device"
    );
    let dir = scratch_dir("missing");
    let command = DeviceCommand::Pull {
        out_dir: dir.clone(),
        sessions: vec![42],
        erase_after: true,
    };
    let err = run(&mut client, command, None).unwrap_err();
    assert!(err.to_string().contains("no session 42"), "{err}");
    fs::remove_dir_all(dir).unwrap();
}

/// A device of a future major version is refused at hello.
#[test]
fn an_incompatible_device_is_refused() {
    let (host, mut dev) = duplex();
    let fake = std::thread::spawn(move || {
        let mut decoder = frame::MessageDecoder::new();
        let mut buf = [0u8; 256];
        loop {
            let n = dev.receive(&mut buf, Duration::from_secs(2)).unwrap();
            let mut input = &buf[..n];
            if let Some(Ok(message)) = decoder.feed(&mut input) {
                let request = tabletalk_core::protocol::decode_request(message).unwrap();
                let reply = DeviceFrame::Reply {
                    id: request.id,
                    response: Response::Hello(DeviceInfo {
                        protocol: ProtocolVersion {
                            major: PROTOCOL_VERSION.major + 1,
                            minor: 0,
                        },
                        device_id: 1,
                        firmware: heapless::String::new(),
                        name: heapless::String::new(),
                        max_chunk: 512,
                    }),
                };
                let mut out = [0u8; MAX_FRAME];
                dev.send(frame::encode(&reply, &mut out).unwrap()).unwrap();
                return;
            }
        }
    });
    let err = DeviceClient::connect(host, fast()).err().expect("refused");
    fake.join().unwrap();
    assert!(matches!(err, DeviceError::Incompatible { .. }), "{err:?}");
    assert!(err.to_string().contains("update tabletalk"), "{err}");
}

/// The same exchange over a real serial port: a pseudo-terminal pair, with
/// the simulated device on one end and the laptop's serial transport (the
/// one used with hardware: timeouts, partial reads) on the other.
#[cfg(unix)]
#[test]
fn works_over_a_pseudo_terminal() {
    use tabletalk::device::SerialTransport;
    let (laptop, device) = serialport::TTYPort::pair().expect("a pseudo-terminal pair");
    let sim = SimulatedDevice::spawn(
        device_with_sessions(),
        SerialTransport::from_port(Box::new(device), "pty (device end)"),
    );
    let laptop = SerialTransport::from_port(Box::new(laptop), "pty");
    let mut client = DeviceClient::connect(laptop, fast()).unwrap();
    assert_eq!(client.status().unwrap().sessions, 3);
    let dir = scratch_dir("pty");
    run_pty_pull(&mut client, &dir);
    let stored = sim.with_device(|d| d.sessions.clone());
    for (name, session) in files_in(&dir).iter().zip(&stored) {
        assert_eq!(fs::read(dir.join(name)).unwrap(), session.bytes);
    }
    fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
fn run_pty_pull<T: Transport>(client: &mut DeviceClient<T>, dir: &Path) {
    let report = tabletalk::device::pull::pull(
        client,
        &tabletalk::device::pull::PullOptions {
            out_dir: dir.to_owned(),
            only: vec![],
            erase_after: false,
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.outcomes.len(), 3);
    assert!(report.outcomes.iter().all(|o| o.is_on_disk()), "{report:?}");
}

/// A device that answers every session listing with a full page of new
/// ids and `more = true`, for ever: `list` and `pull` stop with a clear
/// error after a bounded number of sessions instead of running and growing.
#[test]
fn a_device_that_always_lists_more_is_bounded() {
    use tabletalk::device::client::MAX_LISTED_SESSIONS;
    use tabletalk_core::protocol::{Request, SessionInfo, SessionPage, PROTOCOL_VERSION};

    let (host, mut dev) = duplex();
    let fake = std::thread::spawn(move || {
        let mut decoder = frame::MessageDecoder::new();
        let mut buf = [0u8; 256];
        let mut next_id = 1u32;
        let mut pages = 0usize;
        // Serves until the laptop hangs up.
        while let Ok(n) = dev.receive(&mut buf, Duration::from_secs(5)) {
            let mut input = &buf[..n];
            while let Some(Ok(message)) = decoder.feed(&mut input) {
                let request = tabletalk_core::protocol::decode_request(message).unwrap();
                let response = match request.request {
                    Request::Hello { .. } => Response::Hello(DeviceInfo {
                        protocol: PROTOCOL_VERSION,
                        device_id: 7,
                        firmware: heapless::String::new(),
                        name: heapless::String::new(),
                        max_chunk: 512,
                    }),
                    Request::ListSessions { .. } => {
                        pages += 1;
                        let mut sessions = heapless::Vec::new();
                        while sessions
                            .push(SessionInfo {
                                id: StoredSessionId(next_id),
                                start_unix_ms: None,
                                len: 100,
                                recording: false,
                                truncated: false,
                                interrupted: false,
                            })
                            .is_ok()
                        {
                            next_id += 1;
                        }
                        Response::Sessions(SessionPage {
                            sessions,
                            more: true,
                        })
                    }
                    other => panic!("unexpected request {other:?}"),
                };
                let reply = DeviceFrame::Reply {
                    id: request.id,
                    response,
                };
                let mut out = [0u8; MAX_FRAME];
                if dev.send(frame::encode(&reply, &mut out).unwrap()).is_err() {
                    return pages;
                }
            }
        }
        pages
    });
    let mut client = DeviceClient::connect(host, fast()).expect("connects");
    let err = run(
        &mut client,
        DeviceCommand::List {
            format: FormatArg::default(),
        },
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("still says more follow"), "{err}");
    let dir = scratch_dir("endless");
    let err = run(&mut client, pull_command(&dir, false), None).unwrap_err();
    assert!(err.to_string().contains("still says more follow"), "{err}");
    assert!(files_in(&dir).is_empty());
    drop(client);
    let pages = fake.join().unwrap();
    let per_listing = MAX_LISTED_SESSIONS / tabletalk_core::protocol::SESSIONS_PER_PAGE;
    assert_eq!(pages, 2 * per_listing);
    fs::remove_dir_all(dir).unwrap();
}

/// A device name holding terminal escapes is shown escaped, not obeyed.
#[test]
fn a_device_name_with_escapes_reaches_the_terminal_escaped() {
    let mut device = device_with_sessions();
    device.config.name = heapless::String::try_from("t\x1b[2J\x07").unwrap();
    let (_sim, mut client) = start(device);
    let text = run(
        &mut client,
        DeviceCommand::Status {
            format: FormatArg::default(),
        },
        None,
    )
    .unwrap();
    assert!(!text.contains(['\x1b', '\x07']), "{text:?}");
    assert!(text.contains("t\\e[2J\\x07"), "{text}");
}

#[test]
fn mark_decision_goes_into_the_recording_session_once() {
    use tabletalk::commands::device::MarkWhat;
    use tabletalk_core::protocol::Mark;
    let (sim, mut client) = start(device_with_sessions());
    let mark = || DeviceCommand::Mark {
        what: MarkWhat::Decision,
    };
    // Nothing recording: a clear refusal, exit code 2, nothing marked.
    let err = run(&mut client, mark(), None).unwrap_err();
    assert_eq!(
        err.downcast_ref::<CliError>().map(|e| e.code),
        Some(2),
        "{err}"
    );
    assert!(
        err.to_string().contains("no meeting is being recorded"),
        "{err}"
    );
    sim.with_device(|d| d.set_recording(StoredSessionId(3), true));
    let text = run(&mut client, mark(), None).unwrap();
    assert_eq!(text, "marked a decision in session 3\n");
    // A lost reply is not repeated: a repeat would mark a second decision.
    sim.set_faults(Faults {
        drop_replies: 1,
        ..Faults::default()
    });
    let err = run(&mut client, mark(), None).unwrap_err();
    assert!(err.to_string().contains("1 attempt of"), "{err}");
    assert_eq!(
        sim.with_device(|d| d.marks.clone()),
        [
            (StoredSessionId(3), Mark::Decision),
            (StoredSessionId(3), Mark::Decision)
        ]
    );
}
