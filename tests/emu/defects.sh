#!/usr/bin/env bash
# Shows that each firmware defect the emulator found (issue 11) is caught:
# the defect is brought back into a temporary git worktree of HEAD, the
# release firmware is built there, and the suite check that covers it runs
# against that image and must FAIL. The shipped image is never touched: the
# defective builds live in their own worktree and target directory, and
# step 66 is what shows the same checks pass on the real image.
#
#   tests/emu/defects.sh --tabletalk PATH [NAME...]
#
# NAME (default: all): dtr, interrupted, erase-count, resume.
# - erase-count: the fix commit itself is reverted (its source part,
#   583e2c2 -- core/src/store/session_store.rs, applied three-way).
# - dtr, interrupted, resume: their fix came in 602231c together with the
#   emulator, so tests/emu/defects/NAME.patch undoes just the fix.
# Work (the worktree, its firmware target seeded from firmware/target, the
# suite's runs) goes to target/firmware-defects. Only committed code is
# tested (HEAD). Prints one line per defect; exits 1 if a check passed
# against its defect (or a defect could not be built). Cost: one warm
# firmware build (1-5 min on this machine) and one check (10-40 s) each.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

tabletalk=
names=()
while [ $# -gt 0 ]; do
  case $1 in
    --tabletalk) tabletalk=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
[ -n "$tabletalk" ] || { echo "usage: $0 --tabletalk PATH [NAME...]" >&2; exit 2; }
[ ${#names[@]} -gt 0 ] || names=(dtr interrupted erase-count resume)

declare -A check=(
  [dtr]=live-interrupted
  [interrupted]=power-cuts
  [erase-count]=power-cut-during-erase
  [resume]=watchdog-reset
)

[ -d tests/emu/node_modules/rp2040js ] || { echo "rp2040js is not installed: (cd tests/emu && npm ci)" >&2; exit 2; }
work=$root/target/firmware-defects
tree=$work/tree
mkdir -p "$work"
head=$(git rev-parse HEAD)
if [ -d "$tree/.git" ] || [ -f "$tree/.git" ]; then
  git -C "$tree" checkout -q --force --detach "$head"
else
  rm -rf "$tree"
  git worktree add -q --detach "$tree" "$head"
fi
if [ ! -d "$tree/firmware/target" ] && [ -d firmware/target ]; then
  cp -a firmware/target "$tree/firmware/target"   # a warm build
fi

status=0
for name in "${names[@]}"; do
  name_check=${check[$name]:-}
  if [ -z "$name_check" ]; then
    echo "unknown defect $name (known: ${!check[*]})" >&2
    exit 2
  fi
  git -C "$tree" checkout -q --force --detach "$head"
  if ! case $name in
    erase-count) git -C "$tree" show 583e2c2 -- core/src/store/session_store.rs | git -C "$tree" apply -R -3 ;;
    *) git -C "$tree" apply "$root/tests/emu/defects/$name.patch" ;;
  esac; then
    echo "ERROR $name: the defect does not apply to HEAD any more: update it to undo the fix as it now stands"
    status=1
    continue
  fi
  image=$work/$name.elf
  if ! (cd "$tree/firmware" && cargo build --release --quiet) > "$work/$name-build.log" 2>&1; then
    echo "ERROR $name: the firmware with the defect does not build ($work/$name-build.log)"
    status=1
    continue
  fi
  cp "$tree/firmware/target/thumbv6m-none-eabi/release/tabletalk-firmware" "$image"
  set +e
  out=$(python3 tests/emu/suite.py --tabletalk "$tabletalk" --elf "$image" --ext-adc-elf "$image" \
    --work "$work/$name" "$name_check" 2>&1)
  code=$?
  set -e
  first=$(printf '%s\n' "$out" | grep -m1 -E '^(ok|FAIL) ' || true)
  if [[ $first == *"exited 2"* ]]; then
    # Bad usage or a bad scenario: the check did not get to run.
    echo "ERROR $name: $first"
    status=1
  elif [ $code -eq 1 ] && [[ $first == FAIL* ]]; then
    echo "caught $name: with the defect, $first"
  else
    echo "MISSED $name: check $name_check did not fail with the defect (exit $code): $first"
    status=1
  fi
done
git -C "$tree" checkout -q --force --detach "$head"
exit $status
