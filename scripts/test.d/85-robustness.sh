#!/usr/bin/env bash
# Reliability (issue 5, docs/reliability.md), the parts that need a release
# build or a cross-compiled image:
#   1. the robustness suites at full length (power cut at every point of
#      recorded sessions, damaged logs, time wrap and long sessions, stuck
#      and saturated inputs for hours) — `cargo test` runs shorter versions;
#   2. panic freedom: tests/panic-never must link (its panic handler calls
#      a symbol that does not exist);
#   3. no recursion and no panic call left in the image's call graph, and
#      a static bound of the core's stack from it (needs llvm-objdump,
#      Debian's `llvm`; skipped without it);
#   4. the core's deepest stack, measured by stack painting on the emulated
#      device (the image scripts/test.d/60-qemu.sh built).
# Cost: about 2 min cold on 2 cores (release builds), 20 s warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0

echo "-- 1. robustness suites, release build, full durations"
cargo test --release --locked -p tabletalk-core --features store \
  --test robustness_power_loss --test robustness_damaged_logs \
  --test robustness_time --test robustness_inputs -- --nocapture 2>&1 \
  | grep -E "^test |test result|cuts over|16 seats|panicked|assert" || status=1
[ "${PIPESTATUS[0]}" = 0 ] || status=1

echo "-- 2. panic freedom: the core's device paths link with a panic handler that cannot exist"
link_log=$(mktemp)
if (cd tests/panic-never && cargo build --release --quiet 2>"$link_log"); then
  echo "panic-never: linked: no panic is reachable from the engine, log writer, session recorder, log/session readers, protocol handler, flash stores or clock"
else
  grep -E "undefined symbol|referenced by|^error" "$link_log" | head -10
  echo "panic-never: a panic is reachable: build tests/panic-never with --features diagnose and run scripts/panic-callers.py on it"
  status=1
fi

echo "-- 3. call graph: panic call sites and recursion"
if command -v llvm-objdump >/dev/null && command -v llvm-addr2line >/dev/null; then
  (cd tests/panic-never && cargo build --release --quiet --features diagnose)
  report=$(python3 scripts/panic-callers.py tests/panic-never/target/thumbv6m-none-eabi/release/panic-never \
    --cycles --stack engine_and_writer readers protocol stores)
  echo "$report" | grep -E "call sites|cycles|indirect calls|worst-case|^    panic_never" \
    | sed 's/^    panic_never::/    /'
  echo "(the harness's own frame holds the engine, buffers and scratch; what lies below it is the core's)"
  echo "$report" | grep -q "^0 call sites" || status=1
  echo "$report" | grep -q "cycles (recursion): 0" || status=1
else
  echo "llvm-objdump not found: call-graph check skipped (apt-get install llvm)"
fi

echo "-- 4. the core's stack on the emulated Cortex-M0"
image=tests/qemu/target/thumbv6m-none-eabi/release/emulated-meeting
if [ -x "$image" ] && command -v qemu-system-arm >/dev/null; then
  tmp=$(mktemp -d)
  (cd "$tmp" && bash "$OLDPWD/tests/qemu/run.sh" "$OLDPWD/$image") | grep -E "stack" || status=1
  rm -rf "$tmp"
else
  echo "no emulated image (scripts/test.d/60-qemu.sh builds it): stack figure skipped"
fi
exit $status
