#!/usr/bin/env bash
# The microphone evaluation in small form (docs/mic-evaluation.md): six AMI
# meetings copied into tests/fixtures/mic, 3 minutes of each from minute 5,
# simulated at the ADC, run through the real core and the Open Badges
# baseline; prints the figures and the targets. The regression thresholds
# live in tests/mic_eval.rs (run by the unit-and-integration step).
# Cost: a release build of `tabletalk` (shared with other steps), then ~2 s.
set -euo pipefail
cargo build --release --locked -q -p tabletalk
./target/release/tabletalk evaluate --data tests/fixtures/mic --start 5 --minutes 3 --per-meeting
