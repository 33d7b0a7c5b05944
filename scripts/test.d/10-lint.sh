#!/usr/bin/env bash
# Formatting and clippy (warnings are errors) on the host workspace.
set -euo pipefail
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
