#!/usr/bin/env bash
# Boots IMAGE (an ELF built here for thumbv6m-none-eabi) on QEMU's micro:bit
# machine: an nRF51, whose Cortex-M0 runs the same Thumb instruction set as
# the RP2040's M0+ cores. Semihosting gives the image the host's stdout, a
# file in the current directory and the exit code. SRAM is raised from the
# real nRF51's 16 KiB to 64 KiB: the harness builds the pipeline on the
# stack (the firmware keeps it in statics), and the Pico has 264 KiB.
# `timeout` ends a run that hangs (QEMU_TIMEOUT seconds, default 120).
#
#   tests/qemu/run.sh IMAGE      (also cargo's runner: `cargo run --release` here)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: run.sh IMAGE" >&2; exit 2; }
exec timeout "${QEMU_TIMEOUT:-120}" qemu-system-arm \
  -machine microbit -global nrf51-soc.sram-size=65536 \
  -nographic -monitor none \
  -semihosting-config enable=on,target=native \
  -kernel "$1"
