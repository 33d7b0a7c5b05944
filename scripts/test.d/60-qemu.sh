#!/usr/bin/env bash
# The emulated table device (issue 4, "Runs without hardware").
#
# tabletalk-core's full pipeline (engine + log writer) plays the scripted
# meeting of tests/scenario (4 seats: a push-button and three microphones at
# 8 kHz, 5 minutes, an agenda point, a clipped microphone) on an emulated
# Cortex-M0 under QEMU, and writes its log to the host by semihosting. The
# same script runs through the same core on this machine (the host twin).
# Both logs, and both `tabletalk report`s (text and JSON), must be equal
# byte for byte. Costs about 1 min cold (two small builds), seconds warm;
# the emulation itself takes a few seconds.
set -euo pipefail
root=$PWD
out=$root/target/emulated-device
rm -rf "$out"
mkdir -p "$out/device" "$out/host"

echo "-- building the Cortex-M0 image (tests/qemu, release, thumbv6m-none-eabi)"
# Not --locked: this image is its own workspace, and its lock must follow
# tabletalk-core's dependencies, which other work changes.
(cd tests/qemu && cargo build --release --quiet)
image=$root/tests/qemu/target/thumbv6m-none-eabi/release/emulated-meeting

echo "-- running it under QEMU (-machine microbit)"
started=$(date +%s%N)
(cd "$out/device" && bash "$root/tests/qemu/run.sh" "$image")
echo "emulation wall time: $(( ($(date +%s%N) - started) / 1000000 )) ms"

echo "-- the host twin"
cargo run --locked --quiet -p tabletalk-tests --example host_twin -- "$out/host/meeting.ttlog"
cargo build --locked --quiet -p tabletalk --bin tabletalk
tabletalk=$root/target/debug/tabletalk

# Same file name in both folders: reports name their input.
for side in device host; do
  (cd "$out/$side" && "$tabletalk" report meeting.ttlog >report.txt && "$tabletalk" report --format json meeting.ttlog >report.json)
done

status=0
for file in meeting.ttlog report.txt report.json; do
  if cmp -s "$out/device/$file" "$out/host/$file"; then
    echo "same: $file ($(wc -c <"$out/device/$file") bytes)"
  else
    echo "DIFFERENT: $file (emulated device vs host twin)"
    diff <(xxd "$out/device/$file") <(xxd "$out/host/$file") | head -20 || true
    status=1
  fi
done
echo "-- the emulated device's report"
cat "$out/device/report.txt"
exit $status
