#!/usr/bin/env bash
# The table device: the power-loss-safe store on the host (every power-cut
# point, on the same code the firmware runs), then the Pico firmware built
# in release (its own workspace in firmware/, cross-compiled for thumbv6m)
# with its size printed against the budget: flash <= 128 KiB, static RAM
# <= 64 KiB. Fails if either is over.
#
# Cost: 4-7 min from a cold cache on 2 cores (measured 7 min with other
# builds competing: embassy + core for thumbv6m, built and clippy-checked,
# then the WS2812 + MCP3008 variant on top), about 1 min warm. Needs
# python3 (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n--- %s\n' "$*"; }

step "store: host tests (every power-cut point), clippy, no_std build"
cargo test -p tabletalk-core --features store --locked --lib store::
# The library and its unit tests (the store's included); other test targets
# belong to other steps.
cargo clippy -p tabletalk-core --features store --lib --profile test --locked -- -D warnings
cargo build -p tabletalk-core --release --locked --target thumbv6m-none-eabi --features store,defmt

# Not --locked: firmware/Cargo.lock pins embassy and friends, but when
# tabletalk-core gains a dependency the lock must be able to take it in.
image=firmware/target/thumbv6m-none-eabi/release/tabletalk-firmware
# Each build is also kept under firmware/target/images/ for the emulator
# (step 66). The default one last: it is the image cargo's path holds after.
mkdir -p firmware/target/images
status=0
for features in "--no-default-features --features defmt,leds-ws2812,ext-adc" ""; do
  step "firmware: cargo build --release ${features:-(default features: PWM seat LEDs)}"
  start=$(date +%s)
  # shellcheck disable=SC2086 # the feature flags are meant to split
  (cd firmware && cargo build --release $features)
  # shellcheck disable=SC2086
  (cd firmware && cargo clippy --release $features -- -D warnings)
  echo "built in $(( $(date +%s) - start )) s"
  python3 scripts/firmware-size.py "$image" --flash-kib 128 --ram-kib 64 || status=1
  cp "$image" "firmware/target/images/tabletalk-firmware${features:+-ws2812-ext-adc}"
done
exit "$status"
