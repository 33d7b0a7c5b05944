//! Peak memory of `tabletalk` on big and many logs (issue 12, item 7).
//!
//! Writes, into a temporary folder, a 1 M-turn log (4 seats, one session)
//! and 3 000 ordinary logs (each a 60-minute, 4-seat meeting of about 900
//! turns), then runs the release binary on them and prints each run's peak
//! resident memory (`/usr/bin/time -f %M` when installed, else the child's
//! `VmHWM` from /proc, read until it exits):
//!
//! * `decode` of the 1 M-turn log: streams, so memory does not grow with
//!   the file (target: independent of the size);
//! * `report --format json` of it: one session's turns at a time (target
//!   ≤ 256 MB);
//! * `report --format json`, `report --format html` (which keeps the turns
//!   of the meetings it details only) and `batch` over the 3 000 logs
//!   (target ≤ 64 MB);
//! * `decode /dev/zero`: stops after 8 MiB without an intact frame.
//!
//! `cargo bench -p tabletalk --bench memory`. Cost: about 30 s after the
//! bench build.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tabletalk::logs::{encode_session, SessionSpec};
use tabletalk_core::records::SessionId;
use tabletalk_core::seat::InputKind;

/// A meeting of `turns` turns on 4 seats, pseudo-random but fixed.
fn meeting(turns: u64, seed: u64) -> Vec<(u8, u64, u64)> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut at = 0u64;
    (0..turns)
        .map(|_| {
            at += 20 + next() % 400;
            let len = 30 + next() % 600;
            ((next() % 4) as u8, at, at + len)
        })
        .collect()
}

fn write_log(path: &Path, number: u32, turns: u64) {
    let spec = SessionSpec {
        session: SessionId {
            number,
            nonce: (number % 65_536) as u16,
        },
        tick_ms: 10,
        inputs: vec![InputKind::Button; 4],
        ..SessionSpec::default()
    };
    let turns = meeting(turns, u64::from(number));
    let end = turns.iter().map(|t| t.2).max().unwrap_or(0);
    std::fs::write(
        path,
        encode_session(&spec, &turns, &[], end).expect("encodes"),
    )
    .expect("writes");
}

/// Peak resident memory of `tabletalk args…` in MB, and its exit status.
fn peak_mb(args: &[&str]) -> (f64, bool) {
    let bin = env!("CARGO_BIN_EXE_tabletalk");
    if Path::new("/usr/bin/time").exists() {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let kb: f64 = stderr
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .next_back()
            .unwrap_or(f64::NAN);
        let ok = !stderr.contains("Command exited with non-zero status")
            || args.first() == Some(&"decode") && args.get(1) == Some(&"/dev/zero");
        return (kb / 1024.0, ok);
    }
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut kb = 0.0f64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                kb = kb.max(
                    line.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0.0),
                );
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return (kb / 1024.0, status.success());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tabletalk-memory-{}", std::process::id()));
    let many = dir.join("many");
    std::fs::create_dir_all(&many).expect("temp dir");
    let started = Instant::now();
    let big = dir.join("big.ttlog");
    write_log(&big, 0, 1_000_000);
    for i in 0..3_000u32 {
        write_log(&many.join(format!("m{i:04}.ttlog")), i + 1, 900);
    }
    let size = std::fs::metadata(&big).map_or(0, |m| m.len());
    println!(
        "memory: wrote a 1 M-turn log ({:.1} MB) and 3 000 logs of 900 turns in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let big = big.to_string_lossy().into_owned();
    let many = many.to_string_lossy().into_owned();
    let out = dir.join("out.csv").to_string_lossy().into_owned();
    let page = dir.join("out.html").to_string_lossy().into_owned();
    let runs: [(&str, Vec<&str>, f64); 6] = [
        ("decode, 1 M-turn log", vec!["decode", &big], 64.0),
        (
            "report --format json, 1 M-turn log",
            vec!["report", &big, "--format", "json"],
            256.0,
        ),
        (
            "report --format json, 3 000 logs",
            vec!["report", &many, "--format", "json"],
            64.0,
        ),
        (
            "report --format html, 3 000 logs",
            vec!["report", &many, "--format", "html", "-o", &page],
            64.0,
        ),
        (
            "batch, 3 000 logs",
            vec!["batch", &many, "--out", &out],
            64.0,
        ),
        ("decode /dev/zero", vec!["decode", "/dev/zero"], 64.0),
    ];
    for (what, args, target) in runs {
        let started = Instant::now();
        let (mb, ok) = peak_mb(&args);
        println!(
            "memory: {what}: peak {mb:.1} MB (target ≤ {target} MB) in {:.2} s{}",
            started.elapsed().as_secs_f64(),
            if ok { "" } else { " — FAILED" }
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
