#!/usr/bin/env bash
# Log density on real meeting timings: every AMI annotation encoded through
# the core's LogWriter must average at most 4.0 bytes per turn, everything
# included (docs/log-format.md, "Density"). Needs ../shared/data next to the
# repository; without it the benchmark says so and this step passes.
# Cost: building the bench profile (about 2.5 min on 2 cores, less when
# other bench steps built it already), then ~2 s of encoding.
set -euo pipefail
limit=4.0
output=$(cargo bench -p tabletalk --bench density --locked)
echo "$output"
line=$(grep '^density:' <<<"$output" | tail -n 1)
case "$line" in
  "density: skipped"*) exit 0 ;;
esac
figure=$(sed -E 's/^density: ([0-9.]+) B\/turn.*/\1/' <<<"$line")
if ! awk -v f="$figure" -v l="$limit" 'BEGIN { exit !(f + 0 <= l + 0) }'; then
  echo "density ${figure} B/turn is above the limit of ${limit}" >&2
  exit 1
fi
echo "density ${figure} B/turn is within the limit of ${limit}"
