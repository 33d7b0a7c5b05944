#!/usr/bin/env bash
# Installs everything tabletalk's build and tests need on a fresh Debian (bookworm)
# machine with rustup. Idempotent: safe to run again; each step checks first.
#
#   scripts/setup.sh            # Rust targets + components only (enough for the demo)
#   scripts/setup.sh --tests    # also QEMU, Chromium and the fuzzing/emulation tools
set -euo pipefail

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

say() { printf '[setup] %s\n' "$*" >&2; }

# --- Rust -------------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  say "cargo not found: install Rust with rustup first (https://rustup.rs)"; exit 1
fi
rustup target add thumbv6m-none-eabi thumbv7em-none-eabihf >/dev/null
rustup component add clippy rustfmt >/dev/null 2>&1 || true

[ "$want_tests" = 1 ] || exit 0

# --- Debian packages ---------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
# QEMU must come from bookworm-backports: bookworm's own qemu-system-arm
# conflicts with (and removes) the newer preinstalled qemu-utils.
command -v qemu-system-arm >/dev/null || need_pkgs+=(qemu-system-arm)
command -v chromium >/dev/null || need_pkgs+=(chromium)
# python3: scripts/firmware-size.py reads the firmware image's section sizes.
command -v python3 >/dev/null || need_pkgs+=(python3)
# The physically simulated rooms (tests/rooms/): synthesised voices, sox.
command -v espeak-ng >/dev/null || need_pkgs+=(espeak-ng)
command -v flite >/dev/null || need_pkgs+=(flite)
command -v sox >/dev/null || need_pkgs+=(sox)
# python3 -m pip (Debian's python3 has no pip of its own).
python3 -m pip --version >/dev/null 2>&1 || need_pkgs+=(python3-pip)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    src=/etc/apt/sources.list.d/debian.sources
    # Add "<codename>-backports" to the machine's existing Debian suite list,
    # reusing whatever mirror it already points at.
    if [ -n "$codename" ] && [ -f "$src" ] && ! grep -q "${codename}-backports" "$src"; then
      say "adding ${codename}-backports to $src"
      as_root sed -i -E "0,/^Suites: ${codename}( |$)/s//Suites: ${codename} ${codename}-backports\1/" "$src"
    elif [ -n "$codename" ] && [ -f /etc/apt/sources.list ] && ! grep -q "${codename}-backports" /etc/apt/sources.list \
         && grep -qE "^deb .* ${codename} " /etc/apt/sources.list; then
      say "adding ${codename}-backports to /etc/apt/sources.list"
      line=$(grep -E "^deb .* ${codename} " /etc/apt/sources.list | head -n1 | sed -E "s/ ${codename} / ${codename}-backports /")
      echo "$line" | as_root tee -a /etc/apt/sources.list >/dev/null
    fi
    say "installing ${need_pkgs[*]}"
    as_root apt-get update -qq >/dev/null
    bp=()
    # (read the policy into a variable first: under pipefail, grep -q closing
    # the pipe early would make the whole test fail)
    policy=$(apt-cache policy qemu-system-arm 2>/dev/null || true)
    if [ -n "$codename" ] && grep -q "${codename}-backports" <<<"$policy"; then bp=(-t "${codename}-backports"); fi
    for p in "${need_pkgs[@]}"; do
      if [ "$p" = qemu-system-arm ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${bp[@]}" qemu-system-arm >/dev/null
      else
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
      fi
    done
  else
    say "not a Debian machine: install ${need_pkgs[*]} yourself"; exit 1
  fi
fi

# --- rp2040js (npm), for the on-target cost benchmark (tests/bench-target) ---
# Installed from the committed package-lock.json; skipped when present.
bench_js="$(dirname "$0")/../tests/bench-target"
if [ -f "$bench_js/package-lock.json" ] && [ ! -f "$bench_js/node_modules/rp2040js/package.json" ]; then
  if command -v npm >/dev/null; then
    say "installing rp2040js (npm ci in tests/bench-target)"
    (cd "$bench_js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || say "npm ci failed in tests/bench-target: the on-target cost benchmark will fail"
  else
    say "npm not found: the on-target cost benchmark (scripts/test.d/65-target-cost.sh) will be skipped"
  fi
fi
# --- Python packages (PyPI) for the room evaluation (tests/rooms) -----------
rooms_req="$(dirname "$0")/../tests/rooms/requirements.txt"
if ! python3 - "$rooms_req" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        assert version(name) == want, name
PY
then
  say "installing the room evaluation's Python packages (tests/rooms/requirements.txt)"
  # --break-system-packages: Debian's own python3 refuses pip otherwise.
  python3 -m pip install -q -r "$rooms_req" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages -r "$rooms_req" >/dev/null \
    || say "pip install failed: the room evaluation (72-room-eval.sh) will fail"
fi
# --- cargo-fuzz (crates.io), for scripts/test.d/80-fuzz.sh ------------------
# Built from source by cargo: about 3 minutes on 2 cores, once. Fuzzing runs
# on the nightly toolchain (libFuzzer's instrumentation needs -Z flags).
if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz (cargo install, about 3 minutes)"
  cargo install cargo-fuzz --locked --version 0.13.2 >/dev/null 2>&1 \
    || say "cargo install cargo-fuzz failed: the fuzzing step (80-fuzz.sh) will fail"
fi
if ! rustup toolchain list | grep -q '^nightly'; then
  say "no nightly toolchain: the fuzzing step (80-fuzz.sh) needs one (rustup toolchain install nightly)"
fi
say "ok"
