#!/usr/bin/env python3
"""spectral (issue 10): the integer spectral detector against research's float reference on a room.

Writes each seat's high-passed signal (research's 250 Hz Butterworth, scaled to i16) of the first
SECONDS of a cached room as raw little-endian i16, runs the core's ignored test
`spectral_room_leads` on them (the integer module, default settings), and compares its per-frame
lead with research's float v2 (tests/rooms/spectral_reference.py, `lead_dom3(..., smooth=0.75)` min over k)
and the integer emulation research validated (`lead_int`, 8-bit phases):

    python3 core/tests/spectral_compare.py target/rooms/<room> [SECONDS]
    SPECTRAL_MIN_SNR_DB10=60 python3 core/tests/spectral_compare.py ...   # with the bin gate

Prints the correlation and the mean / p95 absolute difference of the leads, and how often each
side is above lo (0.10) and hi (0.14).
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "rooms"))
import spectral_reference as rr  # noqa: E402


def main():
    room = Path(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    import json
    r = json.loads((room / "room.json").read_text())
    x, truth, r = rr.load(room, r, seconds)
    hp = rr.highpass(x)
    scale = 16000.0 / np.abs(hp).max()
    q = np.round(hp * scale).astype(np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(q.shape[0]):
            q[s].astype("<i2").tofile(os.path.join(tmp, f"{s}.i16"))
        env = dict(os.environ, SPECTRAL_ROOM=tmp, SPECTRAL_SEATS=str(q.shape[0]))
        subprocess.run(
            ["cargo", "test", "-q", "-p", "tabletalk-core", "--test", "spectral", "--",
             "--ignored", "spectral_room_leads"],
            check=True, env=env, stdout=subprocess.DEVNULL,
        )
        ours = np.loadtxt(os.path.join(tmp, "leads.csv"), delimiter=",", ndmin=2).T / 16384.0
    X = rr.stft(q.astype(float))
    dom = rr.dominance(X, "snr")
    pos, _ = rr.lead_dom3(X, dom, smooth=0.75)
    ref = pos.min(1)
    emu = rr.lead_int(X, dom, 8, 2, 1)
    T = min(ours.shape[1], ref.shape[1])
    ours, ref, emu = ours[:, 50:T], ref[:, 50:T], emu[:, 50:T]  # skip the floors' first second
    print(f"room {r['id']} ({r['hardware']['mic']}), {seconds:.0f} s, {ref.shape[0]} seats, {ref.shape[1]} frames")
    for name, other in (("float v2", ref), ("research's integer emulation", emu)):
        d = np.abs(ours - other)
        c = np.corrcoef(ours.ravel(), other.ravel())[0, 1]
        print(f"  vs {name}: correlation {c:.4f}, |diff| mean {d.mean():.4f} p95 {np.percentile(d, 95):.4f} max {d.max():.4f}")
    for name, v in (("core", ours), ("float", ref), ("emulation", emu)):
        print(f"  {name:>9}: frames above lo 0.10 {100 * (v > 0.10).mean():5.1f} %, above hi 0.14 {100 * (v > 0.14).mean():5.1f} %")
    agree = ((ours > 0.10) == (ref > 0.10)).mean()
    print(f"  core and float agree on lead > lo in {100 * agree:.1f} % of seat-frames")
    # The same segment rule (hysteresis lo 0.10 / hi 0.14, fill 800 ms, min run 60 ms) on both,
    # scored against the room's reference like research's figures.
    for name, v in (("core", ours), ("float", ref)):
        full = np.zeros((v.shape[0], v.shape[1] + 50))
        full[:, 50:] = v
        hyp = rr.segment_decide(full, 0.10, 0.14, 40, "max")
        s = rr.score(truth, rr.to_grid(hyp, 160, truth.shape[1]))
        print(f"  {name:>5} decisions: error {s['error']:5.1f} %, share errors (pp) {' '.join(f'{e:+.1f}' for e in s['share_error_pp'])}")


if __name__ == "__main__":
    main()
