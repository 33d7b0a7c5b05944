//! The Open Badges rule's figures on fixed inputs, written to
//! `tests/rooms/openbadges-rule.json`, which the NumPy copy of the rule in
//! `tests/rooms/evaluate.py` must reproduce exactly (tests/rooms/test_rooms.py
//! reads the same file). So the baseline of the room evaluation is the
//! baseline of `tabletalk evaluate`: same meter, median, power, loudest-wins,
//! gap filling, short-talk dropping and threshold grid.
//!
//! `TABLETALK_WRITE_FIXTURE=1 cargo test -p tabletalk-eval --test
//! openbadges_rule` rewrites the file (then both tests must still pass).

use std::path::PathBuf;

use serde_json::{json, Value};
use tabletalk_eval::badge_meter::BadgeMeter;
use tabletalk_eval::baseline::{decide, power, threshold_grid, OpenBadgesParams};

const SEATS: usize = 3;
/// 50 ms windows: 4 minutes, so the 2-minute median window fills and slides.
const WINDOWS: usize = 4_800;
const THRESHOLDS: [f64; 4] = [3.0, 42.0, 150.0, 600.0];

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/rooms/openbadges-rule.json")
}

/// A 64-bit LCG (Knuth's MMIX constants): reproducible amplitudes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// Badge amplitudes like a meeting's: a floor of 2-4 units that steps up
/// once, turns of 1-12 s by one seat at 15-60 units heard by the others at
/// a third to a half, some overlap, and bangs above the clip level.
fn amplitudes() -> Vec<Vec<u8>> {
    let mut rng = Lcg(20_261_204);
    let mut a = vec![vec![0u8; WINDOWS]; SEATS];
    let mut t = 0usize;
    while t < WINDOWS {
        let who = rng.next(SEATS as u64) as usize;
        let len = 20 + rng.next(220) as usize;
        let level = 15 + rng.next(46);
        for k in t..(t + len).min(WINDOWS) {
            for (seat, row) in a.iter_mut().enumerate() {
                let heard = if seat == who {
                    level
                } else {
                    level * (33 + rng.next(18)) / 100
                };
                let v = u64::from(row[k]) + heard * (70 + rng.next(61)) / 100;
                row[k] = v.min(255) as u8;
            }
        }
        t += len + rng.next(60) as usize;
        if rng.next(4) == 0 {
            t = t.saturating_sub(10 + rng.next(30) as usize); // an overlap
        }
    }
    for (seat, row) in a.iter_mut().enumerate() {
        for (k, v) in row.iter_mut().enumerate() {
            let floor = if k < WINDOWS / 2 { 2 } else { 3 + seat as u64 };
            *v = (u64::from(*v) + floor + rng.next(3)).min(255) as u8;
            if rng.next(500) == 0 {
                *v = 200 + rng.next(56) as u8; // a bang, clipped by the rule
            }
        }
    }
    a
}

/// ADC codes of the meter's input (12-bit): a square-ish wave whose depth in
/// counts is `levels[seat][k]` over the k-th half second, around a bias.
fn meter_codes(levels: &[Vec<u64>]) -> Vec<Vec<u16>> {
    levels
        .iter()
        .enumerate()
        .map(|(seat, row)| {
            (0..row.len() * 4_000)
                .map(|n| {
                    let depth = row[n / 4_000] as i64;
                    let wave = ((n as i64 * 7_919 + seat as i64 * 104_729) % 201) - 100;
                    (2_000 + 30 * seat as i64 + wave * depth / 100) as u16
                })
                .collect()
        })
        .collect()
}

fn meter_amplitudes(codes: &[Vec<u16>]) -> Vec<Vec<u8>> {
    let mut meter = BadgeMeter::new(codes.len(), 4095);
    let samples = codes.first().map_or(0, Vec::len);
    for ms in 0..samples / 8 {
        let buf: Vec<u16> = (ms * 8..ms * 8 + 8)
            .flat_map(|n| codes.iter().map(move |c| c[n]))
            .collect();
        meter.push_ms(&buf);
    }
    meter.into_amplitudes()
}

fn figures() -> Value {
    let params = OpenBadgesParams::default();
    let amps = amplitudes();
    let powers: Vec<Vec<f32>> = amps.iter().map(|a| power(a, &params)).collect();
    let spans: Vec<Value> = THRESHOLDS
        .iter()
        .map(|&t| json!({"threshold": t, "spans_ms": decide(&powers, t, &params)}))
        .collect();
    let levels: Vec<Vec<u64>> = vec![
        vec![0, 10, 40, 160, 40, 0, 300, 5],
        vec![3, 3, 3, 80, 80, 1, 0, 250],
    ];
    let meter = meter_amplitudes(&meter_codes(&levels));
    json!({
        "about": "Open Badges rule (eval/src/baseline.rs, badge_meter.rs) on fixed inputs; \
                  written by eval/tests/openbadges_rule.rs, checked by tests/rooms/test_rooms.py",
        "amplitudes": amps,
        // Every 10th power (the file stays small; the decisions use them all).
        "powers": powers
            .iter()
            .map(|p| p.iter().step_by(10).map(|&v| f64::from(v)).collect::<Vec<f64>>())
            .collect::<Vec<_>>(),
        "decisions": spans,
        "threshold_grid": threshold_grid(),
        "meter": {"levels": levels, "amplitudes": meter},
    })
}

#[test]
fn the_rule_gives_the_figures_in_the_fixture() {
    let now = figures();
    let path = fixture_path();
    if std::env::var_os("TABLETALK_WRITE_FIXTURE").is_some() {
        let text = serde_json::to_string(&now).unwrap_or_default();
        std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stored: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    for key in ["amplitudes", "decisions", "meter"] {
        assert!(
            stored[key] == now[key],
            "{key} differs from {}",
            path.display()
        );
    }
    // Floats as parsed back (serde_json's parser may be off by an ulp of
    // f64): the powers are f32, the grid is compared to 1e-12.
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .into_iter()
            .flatten()
            .flat_map(|x| x.as_array().cloned().unwrap_or_else(|| vec![x.clone()]))
            .filter_map(|x| x.as_f64())
            .collect()
    };
    let (a, b) = (floats(&stored["powers"]), floats(&now["powers"]));
    assert_eq!(a.len(), SEATS * WINDOWS.div_ceil(10));
    assert!(
        a.iter().zip(&b).all(|(x, y)| *x as f32 == *y as f32),
        "powers differ from {}",
        path.display()
    );
    let (a, b) = (
        floats(&stored["threshold_grid"]),
        floats(&now["threshold_grid"]),
    );
    assert!(
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs())
    );
    // The inputs exercise every step: some talk survives each threshold but
    // the highest, bangs are there to clip, the meter reads its levels.
    let decisions = now["decisions"].as_array().cloned().unwrap_or_default();
    let talk = |d: &Value| {
        d["spans_ms"].as_array().map_or(0, |seats| {
            seats.iter().filter_map(Value::as_array).map(Vec::len).sum()
        })
    };
    assert!(decisions[..3].iter().all(|d| talk(d) > 0), "{decisions:?}");
    assert!(now["amplitudes"]
        .as_array()
        .is_some_and(|a| a.iter().any(|row| row
            .as_array()
            .is_some_and(|r| r.iter().any(|v| v.as_u64() > Some(120))))));
}
