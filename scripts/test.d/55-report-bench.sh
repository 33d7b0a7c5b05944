#!/usr/bin/env bash
# Prints CPU time of import, decode and the full metric set over every AMI
# meeting in ../shared/data (skips with a message when absent). Target: the
# full metric set for 100 meetings under 100 ms. About 2 min (release build).
set -euo pipefail
cargo bench -p tabletalk --locked --bench report
