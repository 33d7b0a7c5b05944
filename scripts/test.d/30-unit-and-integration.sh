#!/usr/bin/env bash
# Unit, property, doc and integration tests of the host workspace.
set -euo pipefail
cargo test --workspace --locked
