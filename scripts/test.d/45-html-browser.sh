#!/usr/bin/env bash
# The HTML report rendered in headless chromium: every chart in the DOM, no
# console errors, a screenshot that is not blank (prints its pixel figures).
# Then `device live --serve` against the simulated device: the live page's
# figures as chromium shows them (loopback only).
# About 10 s + 10 s once built; fails when CI is set and chromium is missing.
set -euo pipefail
cargo test -p tabletalk-tests --locked --test html_browser -- --nocapture
cargo test -p tabletalk-tests --locked --test live_browser -- --nocapture
