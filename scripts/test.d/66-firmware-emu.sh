#!/usr/bin/env bash
# The release firmware image on an emulated RP2040 (issue 11): tests/emu
# boots it in rp2040js, drives its buttons and microphones from JSON
# scenarios and runs `tabletalk device ...` against its USB link over a
# pseudo-terminal. tests/emu/suite.py asserts on what comes back: speaking
# times in the pulled logs, the session list, the status. Checks: a meeting
# by buttons and microphones with an agenda marker; power cuts at six
# points of a session (two during a flash write) and during an erase, each
# followed by a reboot and a pull; the store full under both policies; a
# reconfiguration during a session; a watchdog reset mid-session; `device
# live` interrupted; 8 microphone seats, 5 of them on the MCP3008 (ext-adc
# build).
#
# Cost: 22 runs, about 330 s of device time. Measured on this 2-core
# machine, otherwise idle: 2 min 14 s for the whole step with the images
# already built (the checks print their times: the 8-microphone run, 5 of
# them on the MCP3008, 52 s; the power cuts 27 s); about 20 min while eight
# engineers' builds shared the machine. The firmware images come from step
# 40 (built here if missing, ~1 min each warm). Needs node >= 18 with
# tests/emu's pinned rp2040js, python3, llvm-nm and defmt-print
# (scripts/setup.sh --tests installs them all).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

images=firmware/target/images
default=$images/tabletalk-firmware
ext_adc=$images/tabletalk-firmware-ws2812-ext-adc
mkdir -p "$images"
if [ ! -f "$ext_adc" ]; then
  (cd firmware && cargo build --release --no-default-features --features defmt,leds-ws2812,ext-adc)
  cp firmware/target/thumbv6m-none-eabi/release/tabletalk-firmware "$ext_adc"
fi
if [ ! -f "$default" ]; then
  (cd firmware && cargo build --release)
  cp firmware/target/thumbv6m-none-eabi/release/tabletalk-firmware "$default"
fi

cargo build --locked --quiet -p tabletalk -p tabletalk-tests --example emu_flash
work=$root/target/firmware-emu
rm -rf "$work"
started=$(date +%s)
python3 tests/emu/suite.py --tabletalk "$root/target/debug/tabletalk" \
  --elf "$default" --ext-adc-elf "$ext_adc" \
  --fill-flash "$root/target/debug/examples/emu_flash" --work "$work"
echo "emulated scenarios: $(( $(date +%s) - started )) s wall"
