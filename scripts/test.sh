#!/usr/bin/env bash
# Installs what the tests need, then runs every test of tabletalk.
# Each step is a file in scripts/test.d/, run in name order; a failing step
# fails the run (after the remaining steps have run, so one run shows all).
#
#   scripts/test.sh            # everything
#   scripts/test.sh 20 40      # only the steps whose names start with 20 or 40
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests || exit 1

failed=()
for step in scripts/test.d/*.sh; do
  name=$(basename "$step" .sh)
  if [ $# -gt 0 ]; then
    keep=0; for p in "$@"; do case "$name" in "$p"*) keep=1;; esac; done
    [ "$keep" = 1 ] || continue
  fi
  echo "=== $name"
  start=$(date +%s)
  if bash "$step"; then
    echo "=== $name: ok ($(( $(date +%s) - start )) s)"
  else
    echo "=== $name: FAILED ($(( $(date +%s) - start )) s)"
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "failed steps: ${failed[*]}"
  exit 1
fi
echo "all steps passed"
