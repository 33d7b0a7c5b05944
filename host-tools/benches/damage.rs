//! How much of a log survives small in-place damage (docs/reliability.md,
//! "Header redundancy"): 1–8 flipped bits, or 1–64 bytes set to 0x00 or
//! 0xFF, drawn by `tabletalk::damage` from a fixed seed.
//!
//! Logs: every recording of the RTTM files in `tests/fixtures/` (AMI,
//! VoxConverse, SBCSAE), imported at a 10 ms tick, and every AMI meeting
//! under `../shared/data/ami/rttm/` when that folder exists. Each log is
//! damaged 200 times (fixtures) or 20 times (AMI), as written today (the
//! session essentials apart from the header), as the December 2026 writer
//! wrote it (the header twice in a row) and as the first writers did (the
//! header once), and the share of the intact log's turns that the damaged
//! copy still reports is summarised.
//!
//! `cargo bench -p tabletalk --bench damage` prints the figures. Cost:
//! about 20 s after the bench build (the AMI set adds a minute).

use std::path::{Path, PathBuf};

use tabletalk::damage::{as_layout, logs_from_rttm, quantile, survey, Layout};

fn rttm_below(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rttm_below(&path, out);
        } else if path.extension().is_some_and(|e| e == "rttm") {
            out.push(path);
        }
    }
}

fn report(name: &str, logs: &[Vec<u8>], per_log: usize) {
    for (what, layout) in [
        ("short-session copies (now)", Layout::Copies),
        ("essentials, no copies (before)", Layout::Essentials),
        ("header twice (Dec 2026)", Layout::HeaderTwice),
        ("header once (first writers)", Layout::HeaderOnce),
    ] {
        let set: Vec<Vec<u8>> = logs.iter().map(|l| as_layout(l, layout)).collect();
        let bytes: usize = set.iter().map(Vec::len).sum();
        let mut kept = survey(&set, per_log, 0x7AB1_E7A1);
        let lost_all = kept.iter().filter(|&&k| k == 0.0).count();
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        let samples = kept.len();
        println!(
            "damage: {name}, {what}: {bytes} bytes, {samples} damaged logs, turns kept median {:.1} %, 5th percentile {:.1} %, mean {:.1} %, all lost in {:.1} %",
            100.0 * quantile(&mut kept, 0.5),
            100.0 * quantile(&mut kept, 0.05),
            100.0 * mean,
            100.0 * lost_all as f64 / samples as f64,
        );
    }
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut fixtures = Vec::new();
    rttm_below(&workspace.join("tests/fixtures"), &mut fixtures);
    fixtures.sort();
    let ami_fixtures: Vec<PathBuf> = fixtures
        .iter()
        .filter(|p| p.to_string_lossy().contains("ami"))
        .cloned()
        .collect();
    let logs = logs_from_rttm(&ami_fixtures).unwrap_or_else(|e| panic!("fixtures: {e}"));
    report(
        &format!("AMI fixtures ({} meetings)", logs.len()),
        &logs,
        200,
    );
    let logs = logs_from_rttm(&fixtures).unwrap_or_else(|e| panic!("fixtures: {e}"));
    report(
        &format!("all fixtures ({} recordings)", logs.len()),
        &logs,
        200,
    );
    let mut ami = Vec::new();
    let data = std::env::var_os("TABLETALK_SHARED_DATA")
        .map_or_else(|| workspace.join("../shared/data"), PathBuf::from);
    rttm_below(&data.join("ami/rttm"), &mut ami);
    ami.sort();
    if ami.is_empty() {
        println!("damage: AMI skipped (no ../shared/data/ami/rttm)");
        return;
    }
    let logs = logs_from_rttm(&ami).unwrap_or_else(|e| panic!("AMI: {e}"));
    report(&format!("AMI ({} logs)", logs.len()), &logs, 20);
}
