#!/usr/bin/env bash
# The HTML report rendered in headless chromium: every chart in the DOM, no
# console errors, a screenshot that is not blank (prints its pixel figures).
# About 10 s once built; fails when CI is set and chromium is missing.
set -euo pipefail
cargo test -p tabletalk-tests --locked --test html_browser -- --nocapture
