//! `tabletalk` facing damaged logs, hostile logs and hostile names.
//!
//! * A damaged log: the report counts and locates the loss, says so, and
//!   its figures come only from the intact data (checked against an
//!   independent computation from the turns that survived).
//! * Hostile logs (a header claiming billions of seats, giant varints,
//!   over-long labels, times at the end of the 64-bit range, floods of
//!   sessions): rejected or reported in bounded memory and time.
//! * Hostile names (RTTM recording ids, device names and sessions): every
//!   file `tabletalk` writes lies inside the paths it was given.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../core/tests/robustness_support/mod.rs"]
mod robustness_support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant as WallInstant};

use robustness_support::Device;
use serde_json::Value;
use tabletalk_core::log::{Item, LogReader};
use tabletalk_core::records::{LoggedTurn, Record};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::MarkerKind;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tabletalk")
}

fn tabletalk(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

/// Runs `tabletalk` with at most `mem_mib` of address space and `secs` of
/// wall time; panics if it needs more time. Returns the output and the
/// time taken.
fn tabletalk_bounded(args: &[&str], mem_mib: u64, secs: u64) -> (Output, Duration) {
    let script = format!("ulimit -v {}; exec \"$0\" \"$@\"", mem_mib * 1024);
    // Output goes to files: a pipe nobody reads while waiting would block
    // a large report.
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("bounded-{n}"));
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let started = WallInstant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .args(args)
        .stdout(Stdio::from(fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(fs::File::create(&err_path).unwrap()))
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("tabletalk {args:?} took more than {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let took = started.elapsed();
    let output = Output {
        status,
        stdout: fs::read(out_path).unwrap(),
        stderr: fs::read(err_path).unwrap(),
    };
    (output, took)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("robustness")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file and folder under `dir`, relative to it.
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            out.insert(path.strip_prefix(dir).unwrap().to_owned());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

/// Two recorded meetings of 6 button seats, 6 and 4 minutes.
fn two_meetings() -> Device {
    let mut device = Device::<16>::buttons(6, Instant(u32::MAX - 200_000));
    device.meeting(6 * 60_000, 11);
    device.advance(30_000);
    device.meeting(4 * 60_000, 12);
    device
}

/// `(range, record session, turns)` of every batch frame of a clean log.
fn batches(log: &[u8]) -> Vec<(std::ops::Range<usize>, u32, Vec<LoggedTurn>)> {
    let mut scratch = vec![0u8; log.len()];
    LogReader::new(log, &mut scratch)
        .unwrap()
        .filter_map(|item| match item {
            Item::Record {
                range,
                record: Record::Turns(b),
                ..
            } => Some((range, b.session().number, b.turns().collect())),
            _ => None,
        })
        .collect()
}

/// Speaking time per seat (ms), as the union of each seat's turns.
fn speaking_ms(turns: &[LoggedTurn], seats: usize, tick_ms: u64) -> Vec<u64> {
    (0..seats)
        .map(|seat| {
            let mut spans: Vec<(u64, u64)> = turns
                .iter()
                .filter(|t| usize::from(t.seat) == seat)
                .map(|t| (t.start * tick_ms, t.end * tick_ms))
                .collect();
            spans.sort_unstable();
            let mut total = 0;
            let mut reach = 0;
            for (a, b) in spans {
                let a = a.max(reach);
                if b > a {
                    total += b - a;
                }
                reach = reach.max(b);
            }
            total
        })
        .collect()
}

fn report_json(log: &Path, dir: &Path) -> (Output, Value) {
    let out_file = dir.join("report.json");
    let out = tabletalk(&[
        "report",
        log.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = serde_json::from_slice(&fs::read(out_file).unwrap()).unwrap();
    (out, json)
}

#[test]
fn a_damaged_logs_report_counts_locates_and_uses_only_intact_data() {
    let dir = scratch("damaged");
    let device = two_meetings();
    let mut log = device.log();
    let frames = batches(&log);
    // Damage the second batch of the first session.
    let (range, session, lost_turns) = frames.iter().filter(|b| b.1 == 1).nth(1).unwrap().clone();
    let flipped = range.start + range.len() / 2;
    // Two bits: a single flipped bit would be repaired.
    log[flipped] ^= 0x21;
    let path = dir.join("damaged.ttlog");
    fs::write(&path, &log).unwrap();
    let (out, json) = report_json(&path, &dir);

    // The loss: counted, located, said on stderr and in the report.
    assert!(stderr(&out).contains("1 damaged frame"), "{}", stderr(&out));
    let input = &json["inputs"][0];
    assert_eq!(input["frames_lost"], 1);
    let lost = input["lost_byte_ranges"][0].as_array().unwrap();
    let (a, b) = (
        lost[0].as_u64().unwrap() as usize,
        lost[1].as_u64().unwrap() as usize,
    );
    assert!(
        a <= flipped && flipped < b && a >= range.start - 1 && b <= range.end,
        "{lost:?} vs {range:?}"
    );
    let notes = json["sessions"][0]["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("turn batches were lost")),
        "{notes:?}"
    );
    assert!(json["sessions"][1]["notes"].as_array().unwrap().is_empty());

    // The figures: exactly those of the turns that survived.
    let truth = &device.sessions[usize::try_from(session).unwrap() - 1];
    let survivors: Vec<LoggedTurn> = truth
        .turns
        .iter()
        .filter(|t| !lost_turns.contains(t))
        .copied()
        .collect();
    assert_eq!(survivors.len(), truth.turns.len() - lost_turns.len());
    let want = speaking_ms(&survivors, 6, 10);
    let seats = json["sessions"][0]["seats"].as_array().unwrap();
    let got: Vec<u64> = seats
        .iter()
        .map(|s| s["speaking_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(got, want);
    // The undamaged session is reported as if nothing happened.
    let want = speaking_ms(&device.sessions[1].turns, 6, 10);
    let seats = json["sessions"][1]["seats"].as_array().unwrap();
    let got: Vec<u64> = seats
        .iter()
        .map(|s| s["speaking_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_lost_resume_marker_never_makes_speech_longer_than_the_session() {
    // A meeting with a pause; the frame of its resume marker is lost.
    let dir = scratch("lost-resume");
    let mut device = Device::<16>::buttons(4, Instant(0));
    let plan = robustness_support::speaking_plan(4, 300_000, 5);
    device.start();
    device.play_buttons(&plan, 100_000, 10);
    device.engine.pause_session(device.now);
    device.drain();
    device.advance(60_000);
    device.engine.resume_session(device.now);
    device.drain();
    device.play_buttons(&plan, 200_000, 10);
    device.stop();
    let truth = &device.sessions[0];
    assert!(truth.markers.iter().any(|m| m.1 == MarkerKind::Resume));
    let log = device.log();
    let mut scratch = vec![0u8; log.len()];
    let resume = LogReader::new(&log, &mut scratch)
        .unwrap()
        .find_map(|item| match item {
            Item::Record {
                range,
                record: Record::Marker(m),
                ..
            } if m.kind == MarkerKind::Resume => Some(range),
            _ => None,
        })
        .unwrap();
    let mut damaged = log.clone();
    damaged[resume.start + 2] ^= 0x11; // two bits: not repairable
    let path = dir.join("lost-resume.ttlog");
    fs::write(&path, &damaged).unwrap();
    let (_, json) = report_json(&path, &dir);
    let session = &json["sessions"][0];
    let duration = session["group"]["duration_ms"].as_u64().unwrap();
    let speech = session["group"]["speech_ms"].as_u64().unwrap();
    assert!(
        speech <= duration,
        "speech {speech} ms in a session of {duration} ms"
    );
    for seat in session["seats"].as_array().unwrap() {
        assert!(seat["speaking_ms"].as_u64().unwrap() <= duration, "{seat}");
        assert!(seat["share"].as_f64().unwrap() <= 1.0);
    }
    // The turns after the pause still count in full.
    let want: u64 = speaking_ms(&truth.turns, 4, 10).iter().sum();
    let got: u64 = session["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["speaking_ms"].as_u64().unwrap())
        .sum();
    assert_eq!(got, want);
}

/// A log frame with a correct CRC around `payload` (version 1).
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut body = vec![1u8];
    body.extend_from_slice(payload);
    let mut digest = tabletalk_core::frame::CRC32C.digest();
    digest.update(b"TTLG");
    digest.update(&body);
    body.extend_from_slice(&digest.finalize().to_le_bytes());
    let mut out = vec![0u8];
    let mut code_at = 0;
    for &b in &body {
        if b == 0 {
            out[code_at] = (out.len() - code_at) as u8;
            code_at = out.len();
            out.push(0);
        } else {
            out.push(b);
            if out.len() - code_at == 0xFF {
                out[code_at] = 0xFF;
                code_at = out.len();
                out.push(0);
            }
        }
    }
    out[code_at] = (out.len() - code_at) as u8;
    out.push(0);
    out
}

/// A postcard varint.
fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// The payload of a valid header (from a real log), and where its seats'
/// input list begins in it.
fn header_payload() -> Vec<u8> {
    let device = two_meetings();
    let log = device.log();
    let first = log[1..].split(|&b| b == 0).next().unwrap();
    // COBS-decode the header frame, strip version and CRC.
    let mut body = Vec::new();
    let mut i = 0;
    while i < first.len() {
        let code = first[i] as usize;
        body.extend_from_slice(&first[i + 1..i + code]);
        i += code;
        if code != 0xFF && i < first.len() {
            body.push(0);
        }
    }
    body[1..body.len() - 4].to_vec()
}

#[test]
fn hostile_logs_are_refused_in_bounded_memory_and_time() {
    let dir = scratch("hostile");
    let valid = header_payload();
    // Where the seat list starts: after tag, "TTLG", session (1 + 2),
    // device id, tick, clock, flush policy. Find it by its content: six
    // button seats are the bytes 06 00 00 00 00 00 00.
    let seats_at = valid
        .windows(7)
        .position(|w| w == [6, 0, 0, 0, 0, 0, 0])
        .unwrap();
    let (head, tail) = valid.split_at(seats_at);

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // A header claiming 2^32-1 seats (and nothing after the claim).
    let mut p = head.to_vec();
    p.extend(varint(u64::from(u32::MAX)));
    p.extend_from_slice(&tail[7..]);
    cases.push(("four billion seats", frame(&p)));
    // Every varint of the header as long as it can be (10 bytes of 0xFF).
    let mut p = head.to_vec();
    p.extend([0xFF; 10]);
    p.extend([0xFF; 40]);
    cases.push(("giant varints", frame(&p)));
    // 255 seats labelled with 200-byte labels (the limit is 64).
    let mut p = head.to_vec();
    p.extend(varint(255));
    p.extend([0u8; 255]);
    let mut labels = Vec::new();
    for _ in 0..255 {
        labels.push(200u8);
        labels.extend([b'x'; 200]);
    }
    p.extend(varint(labels.len() as u64));
    p.extend(labels);
    cases.push(("over-long labels", frame(&p)));
    // 16 384 copies of a frame with a bad CRC (two bits off: one would be
    // repaired), and nothing else.
    let mut bad = frame(&valid);
    let mid = bad.len() / 2;
    bad[mid] ^= 0x11;
    cases.push(("a flood of damaged frames", bad.repeat((1usize << 20) / 64)));

    for (name, bytes) in &cases {
        let path = dir.join(format!("{}.ttlog", name.replace(' ', "-")));
        fs::write(&path, bytes).unwrap();
        let (out, took) = tabletalk_bounded(
            &["report", path.to_str().unwrap(), "--format", "json"],
            1024,
            20,
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line, got {err}");
        assert!(took < Duration::from_secs(10), "{name}: {took:?}");
        eprintln!("{name} ({} bytes): exit 2 in {took:?}", bytes.len());
    }
}

#[test]
fn times_at_the_end_of_the_64_bit_range_are_reported_not_overflowed() {
    use tabletalk_core::log::{LogWriter, MAX_WRITE_LEN};
    use tabletalk_core::records::{Header, Seats, SessionId};
    use tabletalk_core::seat::InputKind;
    use tabletalk_core::turns::TurnEnd;

    let dir = scratch("far-future");
    // The longest tick, and turns, markers and an end at the last ticks.
    let kinds = [InputKind::Button; 3];
    let mut header = Header::new(
        SessionId {
            number: 1,
            nonce: 1,
        },
        1,
        Seats::new(&kinds).unwrap(),
    );
    header.tick_ms = u16::MAX;
    header.started_at_unix_ms = Some(u64::MAX);
    let mut buf = vec![0u8; MAX_WRITE_LEN];
    let (mut writer, n) = LogWriter::start(&header, &mut buf).unwrap();
    let mut bytes = buf[..n].to_vec();
    let far = u64::MAX - 1_000;
    for (i, seat) in [0u8, 1, 2, 0].into_iter().enumerate() {
        let start = far + 100 * i as u64;
        let turn = LoggedTurn {
            seat,
            start,
            end: start + 150,
            how: TurnEnd::Natural,
        };
        let n = writer.push_turn(turn, &mut buf).unwrap();
        bytes.extend_from_slice(&buf[..n]);
    }
    for (at, kind) in [(far, MarkerKind::Agenda), (far + 500, MarkerKind::Pause)] {
        let n = writer.push_marker(at, kind, &mut buf).unwrap();
        bytes.extend_from_slice(&buf[..n]);
    }
    let n = writer.finish(u64::MAX, &mut buf).unwrap();
    bytes.extend_from_slice(&buf[..n]);
    let path = dir.join("far-future.ttlog");
    fs::write(&path, &bytes).unwrap();
    for window in [None, Some("1ms"), Some("5m")] {
        let mut args = vec!["report", path.to_str().unwrap(), "--format", "json"];
        if let Some(w) = window {
            args.extend(["--window", w]);
        }
        let (out, took) = tabletalk_bounded(&args, 1024, 20);
        assert!(out.status.success(), "window {window:?}: {}", stderr(&out));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(json["sessions"][0]["windows"].as_array().unwrap().len() <= 10_001);
        assert!(took < Duration::from_secs(10));
    }
    for format in ["text", "csv", "md", "html"] {
        let (out, _) = tabletalk_bounded(
            &["report", path.to_str().unwrap(), "--format", format],
            1024,
            20,
        );
        assert!(out.status.success(), "{format}: {}", stderr(&out));
    }
    for args in [
        vec!["decode", path.to_str().unwrap()],
        vec!["export", "rttm", path.to_str().unwrap()],
    ] {
        let (out, _) = tabletalk_bounded(&args, 1024, 20);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
}

/// 20 000 sessions in one file are all read and reported, within 2 GiB.
/// (How long it takes is a figure, printed here and measured by
/// `cargo bench -p tabletalk --bench report`; no test asserts speed.)
#[test]
fn a_flood_of_sessions_is_read_whole_within_bounded_memory() {
    let dir = scratch("flood");
    let payload = header_payload();
    // 20 000 sessions: the same header under 20 000 session numbers.
    let tag_and_key = 1 + 4;
    let mut bytes = Vec::new();
    for n in 1..=20_000u32 {
        let mut p = payload[..tag_and_key].to_vec();
        p.extend(varint(u64::from(n)));
        // skip the original session number (a 1-byte varint) keep the nonce
        p.extend_from_slice(&payload[tag_and_key + 1..]);
        bytes.extend(frame(&p));
    }
    let path = dir.join("flood.ttlog");
    fs::write(&path, &bytes).unwrap();
    let out_file = dir.join("flood.csv");
    let (out, took) = tabletalk_bounded(
        &[
            "report",
            path.to_str().unwrap(),
            "--format",
            "csv",
            "-o",
            out_file.to_str().unwrap(),
        ],
        2048,
        // Only a guard against a hang, far above any machine's time.
        900,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = fs::read_to_string(&out_file).unwrap();
    let sessions = csv.lines().filter(|l| l.starts_with("session,")).count();
    assert_eq!(
        sessions,
        20_000,
        "{}",
        csv.lines().next().unwrap_or_default()
    );
    eprintln!(
        "20 000 sessions ({} bytes) reported in {took:?}",
        bytes.len()
    );
}

/// An RTTM with hostile recording ids: every file must land in the
/// output folder, under a name derived from the id.
#[test]
fn import_never_writes_outside_its_out_dir() {
    let dir = scratch("import-names");
    let sandbox = dir.join("a/b/c");
    let out_dir = sandbox.join("out");
    fs::create_dir_all(&sandbox).unwrap();
    let escape_abs = dir.join("escaped-absolute");
    let names = [
        "../../x".to_owned(),
        "../../../../../../../../../../tmp/tabletalk-escape".to_owned(),
        escape_abs.to_str().unwrap().to_owned(),
        "..".to_owned(),
        ".".to_owned(),
        "a/../../b".to_owned(),
        "C:\\Windows\\x".to_owned(),
        "~/x".to_owned(),
        ".hidden".to_owned(),
        "nul".to_owned(),
    ];
    let mut rttm = String::new();
    for (i, name) in names.iter().enumerate() {
        rttm.push_str(&format!(
            "SPEAKER {name} 1 {}.0 2.5 <NA> <NA> spk{i} <NA> <NA>\n",
            i
        ));
        rttm.push_str(&format!(
            "SPEAKER {name} 1 {}.5 1.0 <NA> <NA> other <NA> <NA>\n",
            i + 3
        ));
    }
    let rttm_path = dir.join("hostile.rttm");
    fs::write(&rttm_path, &rttm).unwrap();
    let before = tree(&dir);
    let out = tabletalk(&[
        "import",
        "rttm",
        rttm_path.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = tree(&dir);
    let new: Vec<&PathBuf> = after.difference(&before).collect();
    let rel_out = Path::new("a/b/c/out");
    for path in &new {
        assert!(
            *path == rel_out || path.parent() == Some(rel_out),
            "import wrote {} outside its out dir",
            path.display()
        );
    }
    assert!(!Path::new("/tmp/tabletalk-escape.ttlog").exists());
    // Distinct ids that map to the same file name must not overwrite each
    // other silently: count logs and recordings.
    let logs = fs::read_dir(&out_dir).unwrap().count();
    assert_eq!(logs, names.len(), "{:?}", tree(&out_dir));
}

/// `report -o`, `export -o` and `batch --out` write the one file they are
/// given, nothing else.
#[test]
fn report_export_and_batch_write_only_the_file_they_are_given() {
    let dir = scratch("outputs");
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    fs::write(logs.join("m.ttlog"), two_meetings().log()).unwrap();
    let before = tree(&dir);
    let report = dir.join("r.html");
    let export = dir.join("e.rttm");
    let batch = dir.join("b.csv");
    for args in [
        vec![
            "report",
            logs.to_str().unwrap(),
            "--format",
            "html",
            "-o",
            report.to_str().unwrap(),
        ],
        vec![
            "export",
            "rttm",
            logs.join("m.ttlog").to_str().unwrap(),
            "-o",
            export.to_str().unwrap(),
        ],
        vec![
            "batch",
            logs.to_str().unwrap(),
            "--out",
            batch.to_str().unwrap(),
        ],
    ] {
        let out = tabletalk(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let after = tree(&dir);
    let new: BTreeSet<&PathBuf> = after.difference(&before).collect();
    let want: BTreeSet<PathBuf> = ["r.html", "e.rttm", "b.csv"]
        .iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(new, want.iter().collect());
}

/// `device pull` from a device whose name and sessions are hostile: every
/// file lands in the folder given, under a name made only of safe
/// characters.
#[test]
fn pull_never_writes_outside_its_folder() {
    use tabletalk::commands::device::{execute, Console, DeviceCommand};
    use tabletalk::device::client::LinkOptions;
    use tabletalk::device::pipe::duplex;
    use tabletalk::device::simulator::{MemoryDevice, SimulatedDevice};
    use tabletalk::device::DeviceClient;

    let dir = scratch("pull-names");
    let log = two_meetings().log();
    let names = [
        "../../../../tmp/tabletalk-evil",
        "/etc/passwd",
        "..",
        "a/../../b",
        "C:\\Windows\\x",
        ".hidden",
        "~/x",
        "",
    ];
    for (i, name) in names.iter().enumerate() {
        let out = dir.join(format!("{i}/a/b/out"));
        let mut device = MemoryDevice::new(u64::MAX - i as u64);
        device.config.name = heapless::String::try_from(*name).unwrap();
        // Start times at both ends of the range, and none.
        device.add_session(Some(u64::MAX), log.clone());
        device.add_session(Some(0), log.clone());
        device.add_session(None, log.clone());
        let (host, dev) = duplex();
        let _sim = SimulatedDevice::spawn(device, dev);
        let options = LinkOptions {
            timeout: Duration::from_millis(500),
            attempts: 3,
        };
        let mut client = DeviceClient::connect(host, options).expect("connects");
        let mut text = Vec::new();
        let mut confirm = |_: &str| None;
        let mut console = Console {
            out: &mut text,
            terminal: false,
            confirm: &mut confirm,
        };
        let command = DeviceCommand::Pull {
            out_dir: out.clone(),
            sessions: vec![],
            erase_after: false,
        };
        execute(&mut client, &command, &mut console).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let tree = tree(&dir.join(i.to_string()));
        let rel_out = Path::new("a/b/out");
        let files: Vec<&PathBuf> = tree
            .iter()
            .filter(|p| p.parent() == Some(rel_out))
            .collect();
        assert_eq!(files.len(), 3, "{name}: {tree:?}");
        for path in &tree {
            assert!(
                rel_out.starts_with(path) || path.parent() == Some(rel_out),
                "{name}: pull wrote {}",
                path.display()
            );
            let file = path.file_name().unwrap().to_str().unwrap();
            assert!(
                file.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    && !file.starts_with('.'),
                "{name}: unsafe file name {file:?}"
            );
        }
    }
    assert!(!Path::new("/tmp/tabletalk-evil").exists());
}

/// A region zeroed or erased exactly over whole frames leaves no damaged
/// frame behind (the reader skips zero runs and erased chunks): the report
/// must still say where data went missing.
#[test]
fn a_zeroed_or_erased_region_on_frame_boundaries_is_located() {
    let dir = scratch("aligned-fill");
    let log = two_meetings().log();
    let frames = batches(&log);
    // Two whole batch frames of the first session, delimiters included
    // (the byte before the first is the previous frame's delimiter).
    let (first, _, _) = &frames[1];
    let (second, _, _) = &frames[2];
    assert_eq!(first.end, second.start, "consecutive frames");
    let region = first.start..second.end;
    for fill in [0x00u8, 0xFF] {
        let mut damaged = log.clone();
        damaged[region.clone()].fill(fill);
        if fill == 0xFF {
            damaged[region.end - 1] = 0; // the erased chunk stands alone
        }
        let path = dir.join(format!("fill-{fill:02x}.ttlog"));
        fs::write(&path, &damaged).unwrap();
        let (out, json) = report_json(&path, &dir);
        let ranges: Vec<(u64, u64)> = json["inputs"][0]["lost_byte_ranges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
            .collect();
        assert!(
            ranges
                .iter()
                .any(|&(a, b)| a <= region.start as u64 + 1 && b + 1 >= region.end as u64),
            "fill {fill:#04x} over {region:?}: lost ranges {ranges:?}"
        );
        assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
        let notes = json["sessions"][0]["notes"].as_array().unwrap();
        assert!(notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("turn batches were lost")));
    }
}

/// A log with frames of a newer format version in it (a newer device's
/// session appended to an older one's): the newer frames are counted and
/// located as lost, never read as something else, and the older session is
/// reported in full.
#[test]
fn frames_of_a_newer_format_version_are_reported_not_misread() {
    let dir = scratch("future-version");
    let device = two_meetings();
    let log = device.log();
    // A valid header's payload as version 2: correct CRC, newer version.
    let mut body = vec![2u8];
    body.extend_from_slice(&header_payload());
    let mut digest = tabletalk_core::frame::CRC32C.digest();
    digest.update(b"TTLG");
    digest.update(&body);
    body.extend_from_slice(&digest.finalize().to_le_bytes());
    let future = cobs_frame(&body);
    let mut mixed = log.clone();
    let at = mixed.len();
    mixed.extend_from_slice(&future);
    let path = dir.join("mixed.ttlog");
    fs::write(&path, &mixed).unwrap();
    let (out, json) = report_json(&path, &dir);
    assert!(stderr(&out).contains("1 damaged frame"), "{}", stderr(&out));
    assert_eq!(json["inputs"][0]["frames_lost"], 1);
    let range = &json["inputs"][0]["lost_byte_ranges"][0];
    assert_eq!(range[0].as_u64().unwrap() as usize, at);
    assert_eq!(json["sessions"].as_array().unwrap().len(), 2);
    let want: Vec<u64> = speaking_ms(&device.sessions[1].turns, 6, 10);
    let got: Vec<u64> = json["sessions"][1]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["speaking_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(got, want);
    // `decode` says why.
    let out = tabletalk(&["decode", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("version 2"),
        "{}",
        text.lines().last().unwrap_or("")
    );
}

/// COBS-encodes `body` with the leading and trailing delimiters.
fn cobs_frame(body: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    let mut code_at = 0;
    for &b in body {
        if b == 0 {
            out[code_at] = (out.len() - code_at) as u8;
            code_at = out.len();
            out.push(0);
        } else {
            out.push(b);
            if out.len() - code_at == 0xFF {
                out[code_at] = 0xFF;
                code_at = out.len();
                out.push(0);
            }
        }
    }
    out[code_at] = (out.len() - code_at) as u8;
    out.push(0);
    out
}

/// Small in-place damage (1–8 bit flips, 1–64 bytes zeroed or erased) to
/// the fixture meetings: the turns kept meet the targets of issue 12 —
/// median at least 95 %, 5th percentile at least 80 % — and without the
/// header's copy (the format's writers before it) they did not: one
/// damaged header frame lost the whole meeting. Figures:
/// `cargo bench -p tabletalk --bench damage`.
#[test]
fn small_damage_keeps_most_turns_of_every_meeting() {
    use tabletalk::damage::{logs_from_rttm, quantile, survey, without_repeated_frames};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let rttm: Vec<PathBuf> = [
        "ami/ES2011a",
        "ami/IB4001",
        "mic/ami/rttm/dev/IB4002",
        "mic/ami/rttm/dev/IS1008a",
        "mic/ami/rttm/dev/TS3004c",
        "mic/ami/rttm/train/ES2002a",
        "mic/ami/rttm/train/IS1003b",
        "mic/ami/rttm/train/TS3005c",
    ]
    .iter()
    .map(|f| fixtures.join(f).with_extension("rttm"))
    .collect();
    let logs = logs_from_rttm(&rttm).unwrap();
    assert_eq!(logs.len(), 8);
    let mut kept = survey(&logs, 40, 12);
    let (median, p5) = (quantile(&mut kept, 0.5), quantile(&mut kept, 0.05));
    assert!(median >= 0.95 && p5 >= 0.80, "median {median}, p5 {p5}");
    // A meeting is lost whole only by a burst across both header copies
    // (they are adjacent): rare.
    let lost = kept.iter().filter(|&&k| k == 0.0).count();
    assert!(
        lost * 100 <= kept.len(),
        "{lost} of {} lost whole",
        kept.len()
    );

    let old: Vec<Vec<u8>> = logs.iter().map(|l| without_repeated_frames(l)).collect();
    assert!(old.iter().zip(&logs).all(|(o, l)| o.len() < l.len()));
    let before = survey(&old, 40, 12);
    assert!(before.contains(&0.0), "some damage hit the lone header");
}
