#!/usr/bin/env bash
# On-target cost benchmark (issue 4): tabletalk-core's level path, turn
# tracker and buttons built for thumbv6m-none-eabi and run in rp2040js (npm),
# which counts every instruction and estimates Cortex-M0+ cycles. Prints
# instructions per seat-sample (target <= 350), per tracker frame, and the
# RP2040 load for 8 mic seats at 8 kHz at 125 MHz (target < 25%, issue 10), and the
# spectral detector and the whole pipeline with it on against the same 25 %
# (printed, never failing). Fails only when a level-path or tracker figure is
# twice its target or more (see tests/bench-target/summarize.mjs). Costs
# ~30 s cold build + ~25 s of emulation.
set -euo pipefail
cd tests/bench-target
if ! command -v node >/dev/null; then
  echo "65-target-cost: skipped: node is not installed (needed for rp2040js)"
  exit 0
fi
if [ ! -f node_modules/rp2040js/package.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Not --locked: this image is its own workspace, and its lock must follow
# tabletalk-core's dependencies, which other work changes.
cargo build --release --quiet
image=target/thumbv6m-none-eabi/release/target-cost
node rp2040-run.mjs "$image" --json target/target-cost.json
node summarize.mjs target/target-cost.json
