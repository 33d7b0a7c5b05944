#!/usr/bin/env bash
# The microphone evaluation in small form (docs/mic-evaluation.md): six AMI
# meetings copied into tests/fixtures/mic, 3 minutes of each from minute 5,
# simulated at the ADC, run through the real core and the Open Badges
# baseline; prints the figures and the targets. The regression thresholds
# live in tests/mic_eval.rs (run by the unit-and-integration step).
# Measured with the coherent simulator (every source delayed by its path),
# seed 1: the default (spectral) detector 7.6 % error, 87.5 % of
# seat-meetings within 3 pp; the level path 9.0 % and 83.3 % (10.9 % and
# 75.0 % before the delays); the bounds in tests/mic_eval.rs did not move.
# Cost: a release build of `tabletalk` (shared with other steps), then ~2 s.
set -euo pipefail
cargo build --release --locked -q -p tabletalk
# `evaluate` exits 1 when a target is missed: on 3-minute excerpts that is a
# figure to read here, not a failure of this step (the regression checks are
# in tests/mic_eval.rs); any other failure (2: bad usage or data) is.
status=0
./target/release/tabletalk evaluate --data tests/fixtures/mic --start 5 --minutes 3 --per-meeting || status=$?
[ "$status" -le 1 ]
