#!/usr/bin/env bash
# The microphone evaluation on physically simulated rooms (tests/rooms/,
# docs/mic-evaluation.md), small form: the generator's and scorer's own
# checks, then the three held-out fixture meetings (AMI dev) x 3 minutes
# through the real core and the baselines. Fails if the held-out figures fall
# below the regression thresholds (today's detector with a margin; the
# targets themselves are printed, not enforced).
# Cost, cold on 2 cores: ~1 min synthesising voices and rooms (cached in
# target/rooms), ~20 s replay and baselines; warm: ~25 s.
set -euo pipefail
python3 -c "import pyroomacoustics, soundfile, webrtcvad" \
  || { echo "72-room-eval: the Python packages of tests/rooms/requirements.txt are missing (scripts/setup.sh --tests)"; exit 1; }
command -v espeak-ng >/dev/null && command -v flite >/dev/null \
  || { echo "72-room-eval: espeak-ng and flite are missing (scripts/setup.sh --tests)"; exit 1; }
cargo build --release --locked -q -p tabletalk
python3 tests/rooms/test_rooms.py
python3 tests/rooms/evaluate.py --data tests/fixtures/mic --split dev --minutes 3 --per-room \
  --max-mean-error 105 --min-within 10
