#!/usr/bin/env bash
# The main job, end to end on a fresh machine: a demo meeting's microphones are
# simulated and run through the real device core (the same code and
# parameters as the Pico), written as a tabletalk log, and decoded into
# participation reports.
#
#   scripts/demo.sh [OUT_DIR]        (default: demo-out/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}
bash scripts/setup.sh
cargo build --release --locked -p tabletalk --bin tabletalk
tabletalk=target/release/tabletalk
mkdir -p "$out"

echo "== 1. simulate a 10-minute, 4-person meeting through the device core"
"$tabletalk" simulate --meeting demo --minutes 10 --seed 7 \
  -o "$out/demo.ttlog" --ref-out "$out/demo-truth.rttm"

echo "== 2. the participation report"
"$tabletalk" report "$out/demo.ttlog" --window 5m
"$tabletalk" report "$out/demo.ttlog" --format html -o "$out/demo.html"
"$tabletalk" report "$out/demo.ttlog" --format json -o "$out/demo.json"
"$tabletalk" report "$out/demo.ttlog" --format md -o "$out/demo.md"

echo "== 3. how close the microphone detection came to the simulated truth"
"$tabletalk" score --ref "$out/demo-truth.rttm" "$out/demo.ttlog"

echo
echo "Written to $out/: demo.ttlog (the log, $(wc -c < "$out/demo.ttlog") bytes), demo.html (open it in a browser), demo.json, demo.md"
