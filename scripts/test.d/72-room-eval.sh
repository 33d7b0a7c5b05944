#!/usr/bin/env bash
# The microphone evaluation on physically simulated rooms (tests/rooms/,
# docs/mic-evaluation.md), small form: the generator's and scorer's own
# checks (and the NumPy Open Badges rule against the Rust one), then the
# three held-out fixture meetings (AMI dev) x 3 minutes, in both room
# families (ism, hybrid), with the hardware docs/hardware.md recommends
# (generate.py's Hardware defaults: cardioid capsules 15-30 cm), through the
# real core and the baselines. The laptop's default detector (the spectral
# one, since 2026-12-04) gives a held-out mean error of 9.2 % (ism) and
# 4.6 % (hybrid), 80 % and 100 % of seat-meetings within 3 pp (the level
# path with arrival order, before: 9.6 % / 80 % and 6.3 % / 100 %). Fails if
# the held-out figures (of each family) fall below the regression
# thresholds just outside those (the targets themselves are printed, not
# enforced): held-out mean error <= 14 % and shares within 3 pp >= 70 %
# (one seat-meeting more off than today), and the clean-speech
# floor <= 15 % (10.9 %), which checks the rooms themselves.
# Cost (measured on a 2-core machine shared with other builds): a release
# build of `tabletalk` (shared with other steps), then 44 s of CPU (7 min
# wall under heavy load) for the checks, generating the 6 rooms (3 per
# family), replay and baselines; the
# first run on a machine also synthesises the 24 voices once (~80 s of CPU).
# All cached in target/rooms.
set -euo pipefail
python3 -c "import pyroomacoustics, soundfile, webrtcvad" \
  || { echo "72-room-eval: the Python packages of tests/rooms/requirements.txt are missing (scripts/setup.sh --tests)"; exit 1; }
command -v espeak-ng >/dev/null && command -v flite >/dev/null \
  || { echo "72-room-eval: espeak-ng and flite are missing (scripts/setup.sh --tests)"; exit 1; }
cargo build --release --locked -q -p tabletalk
python3 tests/rooms/test_rooms.py
python3 tests/rooms/evaluate.py --data tests/fixtures/mic --split dev --minutes 3 --per-room \
  --max-mean-error 14 --min-within 70 --max-floor-error 15
