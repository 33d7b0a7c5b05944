#!/usr/bin/env bash
# Fuzzing (cargo-fuzz, nightly): the log decoder, the bytes-to-JSON-report
# path, the device protocol parsers and the engine, each for FUZZ_SECONDS
# (default 60) starting from the kept corpus in fuzz/corpus/<target>/.
# New inputs go to a temporary folder, so the kept corpus stays small.
#
# Cost on the 2-core CI machine: building the four targets takes 4-6 min
# the first time (cached in fuzz/target afterwards), then two targets run
# at a time: 2 x FUZZ_SECONDS of wall time.
#
# A failure prints the input (base64) and leaves it in fuzz/artifacts/;
# make it a regression: copy it to fuzz/regressions/<target>/<what-it-found>,
# fix, and `cargo test -p tabletalk-tests --test robustness_fuzz_replay`
# replays it for good.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "80-fuzz: cargo-fuzz or the nightly toolchain is missing: run scripts/setup.sh --tests"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
cargo +nightly fuzz build --fuzz-dir fuzz -s none >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; exit 1; }
echo "80-fuzz: built the targets in $(( $(date +%s) - start )) s"

run() {
  local target=$1
  mkdir -p "$work/$target"
  if cargo +nightly fuzz run --fuzz-dir fuzz -s none "$target" "$work/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$work/$target.log" 2>&1; then
    local runs new
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    new=$(sed -n 's/^stat::new_units_added: *//p' "$work/$target.log")
    echo "80-fuzz: $target: ${runs:-?} runs in ${secs} s, ${new:-?} new inputs, no failure"
  else
    echo "80-fuzz: $target FAILED:"
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$work/$target.log" | head -20
    for f in fuzz/artifacts/"$target"/*; do
      [ -f "$f" ] && { echo "input $f (base64):"; base64 -w0 "$f"; echo; }
    done
    return 1
  fi
}

status=0
pids=()
targets=(log_decoder report_json protocol_stream engine_ops)
for i in 0 2; do
  run "${targets[$i]}" & pids+=($!)
  run "${targets[$((i + 1))]}" & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  pids=()
done
exit $status
