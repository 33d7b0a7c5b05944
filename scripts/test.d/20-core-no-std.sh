#!/usr/bin/env bash
# The core builds for bare-metal targets without std or alloc: this is the
# proof that it is no_std (a std or alloc use would not link there).
set -euo pipefail
for target in thumbv6m-none-eabi thumbv7em-none-eabihf; do
  cargo build -p tabletalk-core --release --locked --target "$target"
  cargo build -p tabletalk-core --release --locked --target "$target" --features defmt
done
