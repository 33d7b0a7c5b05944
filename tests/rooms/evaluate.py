#!/usr/bin/env python3
"""The microphone evaluation on physically simulated rooms (generate.py).

Tuning rooms (AMI train meetings) and held-out rooms (AMI dev meetings,
never used for tuning) go through the real core (`tabletalk replay --wav`,
the device's code and parameters, sample by sample), and the same signals
through the baselines: the Open Badges rule with its threshold tuned on the
truth, WebRTC VAD per microphone (alone, and with loudest-microphone), and
the clean-speech floor (each talker's clean speech, perfectly separated).
Scored as `tabletalk score` scores (docs/mic-evaluation.md: overlap
counted, label pairing, collar 0) on a 10 ms grid. Prints the figures of
both sets and the targets, judged on the held-out rooms.

  python3 tests/rooms/evaluate.py --minutes 10                 # all AMI (shared data)
  python3 tests/rooms/evaluate.py --data tests/fixtures/mic --minutes 3   # what CI runs
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import webrtcvad

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402

STEP = 0.01  # s, the scoring grid
SHARE_TOLERANCE_PP = 3.0
TARGET_MEAN_ERROR = 15.0
TARGET_WITHIN = 95.0


# ---------------------------------------------------------------- tracks


def mask(spans, n):
    m = np.zeros(n, dtype=bool)
    for a, b in spans:
        m[int(round(a / STEP)) : int(round(b / STEP))] = True
    return m


def frames(room):
    return int(round(room["duration_s"] / STEP))


def reference(room_dir, room):
    turns = generate.read_rttm(room_dir / "ref.rttm")
    return np.array([mask(turns.get(s["speaker"], []), frames(room)) for s in room["seats"]])


# ---------------------------------------------------------------- scoring


def score(ref, hyp):
    """Figures of one room, seat i paired with speaker i (both [seat, frame])."""
    n_ref = ref.sum(axis=0)
    n_det = hyp.sum(axis=0)
    n_ok = (ref & hyp).sum(axis=0)
    missed = np.maximum(0, n_ref - n_det)
    fa = np.maximum(0, n_det - n_ref)
    conf = np.minimum(n_ref, n_det) - n_ok
    speech = max(int(n_ref.sum()), 1)
    ref_time = ref.sum(axis=1)
    hyp_time = hyp.sum(axis=1)
    ref_share = 100 * ref_time / max(ref_time.sum(), 1)
    hyp_share = 100 * hyp_time / max(hyp_time.sum(), 1) if hyp_time.sum() else np.zeros(len(ref_time))
    return {
        "speech_s": speech * STEP,
        "error": 100 * (missed.sum() + fa.sum() + conf.sum()) / speech,
        "missed": 100 * missed.sum() / speech,
        "false_alarm": 100 * fa.sum() / speech,
        "fa_crosstalk": 100 * fa[n_ref > 0].sum() / speech,
        "fa_silence": 100 * fa[n_ref == 0].sum() / speech,
        "confusion": 100 * conf.sum() / speech,
        "missed_overlap": 100 * missed[n_ref > 1].sum() / speech,
        "share_error_pp": [float(v) for v in hyp_share - ref_share],
        "ref_share": [float(v) for v in ref_share],
    }


# ---------------------------------------------------------------- systems


def run_core(tabletalk, room_dir, room, extra):
    """Turns of the real core over the room's WAVs: [seat, frame]."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "room.ttlog"
        wavs = [str(room_dir / s["wav"]) for s in room["seats"]]
        done = subprocess.run(
            [tabletalk, "replay", "--wav", *wavs, "--full-scale", str(room["full_scale"]), "--out", str(log), *extra],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            sys.exit(f"tabletalk replay failed on {room_dir}:\n{done.stderr.strip()}")
        rttm = subprocess.run([tabletalk, "export", "rttm", str(log)], check=True, capture_output=True, text=True).stdout
        (Path(tmp) / "hyp.rttm").write_text(rttm)
        turns = generate.read_rttm(Path(tmp) / "hyp.rttm")
    # `replay --wav` labels each seat with its file's name.
    hyp = np.zeros((len(room["seats"]), frames(room)), dtype=bool)
    for i, seat in enumerate(room["seats"]):
        hyp[i] = mask(turns.get(Path(seat["wav"]).stem, []), frames(room))
    return hyp


def audio(room_dir, room):
    """Each microphone's signal (ADC codes, mid-scale removed), [seat, sample]."""
    return np.array([soundfile.read(room_dir / s["wav"], dtype="int16")[0].astype(np.float64) for s in room["seats"]])


def frame_energy(x, step_samples):
    n = x.shape[1] // step_samples
    return (x[:, : n * step_samples].reshape(len(x), n, step_samples) ** 2).mean(axis=2)


def on_grid(active, frame_s, n):
    """A per-frame decision (frames of frame_s seconds) on the 10 ms grid."""
    idx = np.minimum((np.arange(n) * STEP / frame_s).astype(int), active.shape[1] - 1)
    return active[:, idx]


def webrtc(x, n, loudest, mode=2):
    """WebRTC VAD on each microphone (30 ms frames); with `loudest`, only the
    loudest microphone of a frame may speak."""
    fs, frame = generate.FS, int(0.03 * generate.FS)
    vad = webrtcvad.Vad(mode)
    pcm = np.clip(x, -32768, 32767).astype(np.int16)
    k = x.shape[1] // frame
    active = np.zeros((len(x), k), dtype=bool)
    for i in range(len(x)):
        for j in range(k):
            active[i, j] = vad.is_speech(pcm[i, j * frame : (j + 1) * frame].tobytes(), fs)
    if loudest:
        e = frame_energy(x - x.mean(axis=1, keepdims=True), frame)
        active &= e == e.max(axis=0, keepdims=True)
    return on_grid(active, 0.03, n)


def badge_amplitudes(x, full_scale=4095):
    """What an Open Badges badge records (eval/src/badge_meter.rs): per 50
    ms, the mean absolute deviation from a running DC estimate (the first
    window's mean, then ~1 s time constant; the first window reads 0), in
    badge units of 4 counts of a 12-bit ADC, saturated to a byte. `x`: the
    rooms' 16-bit samples, [seat, sample]."""
    w = int(0.05 * generate.FS)
    k = x.shape[1] // w
    half = (full_scale + 1) / 2
    # 16-bit samples back to ADC codes (as replay reads them), on a 12-bit scale.
    codes = np.round(half + x[:, : k * w] * half / 32768)
    blocks = codes.reshape(len(x), k, w)
    means = blocks.sum(axis=2) / w
    dc = np.zeros_like(means)
    acc = means[:, 0].copy()
    for j in range(1, k):
        dc[:, j] = acc
        acc = acc + 0.05 * (means[:, j] - acc)
    scale = 4095.0 / full_scale / 4.0
    mad = np.abs(blocks - dc[:, :, None]).sum(axis=2) / w
    out = np.clip(np.floor(mad * scale + 0.5), 0, 255)  # Rust's round(): halves away from 0
    out[:, 0] = 0
    return out


def trailing_median(a, window):
    """The median of each trailing window of `window` values (fewer at the
    start), the mean of the two middle values for an even count, as pandas
    and eval/src/baseline.rs; `a` holds small integers, [row, time]."""
    out = np.zeros(a.shape)
    values = np.arange(int(a.max(initial=0)) + 1)
    k = a.shape[1]
    count = np.minimum(np.arange(k) + 1, window)
    for i, row in enumerate(a.astype(np.int64)):
        seen = np.cumsum(row[None, :] == values[:, None], axis=1)
        in_window = seen.copy()
        in_window[:, window:] -= seen[:, :-window]
        at_most = np.cumsum(in_window, axis=0)  # [value, time]: how many <= value
        lower = np.argmax(at_most > ((count - 1) // 2)[None, :], axis=0)
        upper = np.argmax(at_most > (count // 2)[None, :], axis=0)
        out[i] = (lower + upper) / 2
    return out


def openbadges_power(amplitudes):
    """Steps 1-3 of the Open Badges rule (eval/src/baseline.rs): clip at
    120, subtract the trailing 2-minute median, power = the trailing 1 s
    mean of squares. Per 50 ms; float32, as the Rust rule keeps it."""
    a = np.minimum(amplitudes, 120)
    e = (a - trailing_median(a, 2400)) ** 2
    k = a.shape[1]
    c = np.cumsum(np.pad(e, ((0, 0), (1, 0))), axis=1)
    idx = np.arange(k)
    lo = np.maximum(0, idx - 19)
    return ((c[:, idx + 1] - c[:, lo]) / (idx + 1 - lo)).astype(np.float32)


def openbadges_decide(power, threshold):
    """Steps 4-5: a badge speaks where its power exceeds the threshold and
    is the highest; gaps < 0.5 s filled, segments < 2 s dropped."""
    speak = (power.astype(np.float64) > threshold) & (power == power.max(axis=0, keepdims=True))
    out = np.zeros_like(speak)
    for i in range(len(speak)):
        merged = []
        for s, t in generate.spans_of(speak[i], 1):
            if merged and s - merged[-1][1] < 10:
                merged[-1] = (merged[-1][0], t)
            else:
                merged.append((s, t))
        for s, t in merged:
            if t - s >= 40:
                out[i, int(s) : int(t)] = True
    return out


# The thresholds tried, as eval/src/baseline.rs's threshold_grid: 60 from 1
# to 10 000 units squared, log-spaced, and the published 42.
OB_THRESHOLDS = sorted({*(10 ** (4 * k / 59) for k in range(60)), 42.0})


# ---------------------------------------------------------------- summary


def summarise(results):
    """Pooled and per-room figures of a list of room scores."""
    if not results:
        return None
    errors = np.array([r["error"] for r in results])
    speech = np.array([r["speech_s"] for r in results])
    shares = np.concatenate([r["share_error_pp"] for r in results])
    pooled = lambda k: float(np.sum([r[k] * r["speech_s"] for r in results]) / speech.sum())  # noqa: E731
    return {
        "rooms": len(results),
        "mean_error": float(errors.mean()),
        "median_error": float(np.median(errors)),
        "pooled_error": pooled("error"),
        "missed": pooled("missed"),
        "false_alarm": pooled("false_alarm"),
        "fa_crosstalk": pooled("fa_crosstalk"),
        "fa_silence": pooled("fa_silence"),
        "confusion": pooled("confusion"),
        "missed_overlap": pooled("missed_overlap"),
        "within_3pp": float(100 * np.mean(np.abs(shares) <= SHARE_TOLERANCE_PP)),
        "share_mae_pp": float(np.mean(np.abs(shares))),
    }


def family_of(room):
    """The room's model family (rooms written before families existed are ism)."""
    return room.get("family", "ism")


def rt60_band(room):
    return "RT60 < 0.6 s" if room["rt60_s"] < 0.6 else "RT60 >= 0.6 s"


def print_table(title, rows):
    print(f"\n{title}")
    print(f"  {'system / group':<34} {'rooms':>5} {'mean':>6} {'median':>6} {'missed':>6} {'FA xt':>6} {'FA sil':>6} {'conf':>5} {'ovl-m':>5} {'<=3pp':>6}")
    for name, s in rows:
        if s is None:
            continue
        print(
            f"  {name:<34} {s['rooms']:>5} {s['mean_error']:>5.1f}% {s['median_error']:>5.1f}% {s['missed']:>5.1f}% "
            f"{s['fa_crosstalk']:>5.1f}% {s['fa_silence']:>5.1f}% {s['confusion']:>4.1f}% {s['missed_overlap']:>4.1f}% {s['within_3pp']:>5.1f}%"
        )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    generate.add_arguments(p)
    p.add_argument("--tabletalk", default=str(generate.REPO / "target" / "release" / "tabletalk"), help="the tabletalk binary")
    p.add_argument("--set", action="append", default=[], help="a core parameter for replay, e.g. mic.hangover_ms=500")
    p.add_argument("--config", help="core parameters (TOML) for replay")
    p.add_argument("--no-baselines", action="store_true", help="only the core")
    p.add_argument("--per-room", action="store_true", help="print every room's figures")
    p.add_argument("--json", help="write every figure here (JSON)")
    p.add_argument("--max-mean-error", type=float, help="fail (exit 1) if the held-out mean error is above this (%%)")
    p.add_argument("--min-within", type=float, help="fail (exit 1) if fewer held-out seat-meetings are within 3 pp (%%)")
    p.add_argument("--max-floor-error", type=float, help="fail (exit 1) if the clean-speech floor's held-out mean error is above this (%%): a check of the rooms themselves")
    args = p.parse_args()
    if not Path(args.tabletalk).is_file():
        sys.exit(f"no tabletalk binary at {args.tabletalk}: cargo build --release -p tabletalk (or --tabletalk PATH)")
    extra = [f"--set={s}" for s in args.set] + (["--config", args.config] if args.config else [])

    rooms = []
    for d in generate.rooms_from_args(args):
        rooms.append((Path(d), json.loads((Path(d) / "room.json").read_text())))
    families = [f for f in generate.FAMILIES if any(family_of(r) == f for _, r in rooms)]
    print(f"{len(rooms)} rooms ({sum(r['split'] == 'dev' for _, r in rooms)} held out; families {', '.join(families)}), "
          f"{args.mic} microphones {args.distance} m, {args.adc} ADC, seed {args.seed}")

    systems = ["tabletalk"] if args.no_baselines else ["tabletalk", "Open Badges (tuned on truth)", "WebRTC VAD per mic", "WebRTC VAD + loudest mic", "clean-speech floor"]
    per_room = []
    ob_by_threshold = {}  # {family: {threshold: [score per room]}}
    for d, room in rooms:
        ref = reference(d, room)
        n = frames(room)
        entry = {"room": room, "scores": {"tabletalk": score(ref, run_core(args.tabletalk, d, room, extra))}}
        if not args.no_baselines:
            x = audio(d, room)
            power = openbadges_power(badge_amplitudes(x, room["full_scale"]))
            sweep = ob_by_threshold.setdefault(family_of(room), {t: [] for t in OB_THRESHOLDS})
            for t in OB_THRESHOLDS:
                sweep[t].append(score(ref, on_grid(openbadges_decide(power, t), 0.05, n)))
            entry["scores"]["WebRTC VAD per mic"] = score(ref, webrtc(x, n, loudest=False))
            entry["scores"]["WebRTC VAD + loudest mic"] = score(ref, webrtc(x, n, loudest=True))
            clean = generate.read_rttm(d / "clean.rttm")
            entry["scores"]["clean-speech floor"] = score(ref, np.array([mask(clean.get(s["speaker"], []), n) for s in room["seats"]]))
        per_room.append(entry)
        if args.per_room:
            s = entry["scores"]["tabletalk"]
            print(f"  {room['id']:<21} {room['split']:<5} {room['table']:<11} RT60 {room['rt60_s']:.2f} {room['noise']:<5} "
                  f"{room['snr_db']:>4.1f} dB  error {s['error']:5.1f}%  shares {' '.join(f'{v:+.1f}' for v in s['share_error_pp'])}")

    for family, sweep in ob_by_threshold.items():
        # The threshold that is best on the truth, over all the family's
        # rooms (an upper bound for the rule).
        best = min(OB_THRESHOLDS, key=lambda t: np.mean([s["error"] for s in sweep[t]]))
        chosen = [e for e in per_room if family_of(e["room"]) == family]
        for entry, s in zip(chosen, sweep[best]):
            entry["scores"]["Open Badges (tuned on truth)"] = s
        print(f"{family}: Open Badges threshold tuned on the truth: {best:.4g}")

    figures = {}
    for family in families:
        for split, title in (("train", "tuning rooms (AMI train)"), ("dev", "HELD-OUT rooms (AMI dev)")):
            chosen = [e for e in per_room if e["room"]["split"] == split and family_of(e["room"]) == family]
            if not chosen:
                continue
            title = f"{family} family, {title}"
            rows = [(name, summarise([e["scores"][name] for e in chosen])) for name in systems]
            figures.setdefault(family, {})[split] = dict(rows)
            print_table(title, rows)
            groups = []
            for label, key in (("noise", lambda r: r["noise"]), ("RT60", rt60_band), ("table", lambda r: r["table"])):
                for value in sorted({key(e["room"]) for e in chosen}):
                    sub = [e["scores"]["tabletalk"] for e in chosen if key(e["room"]) == value]
                    groups.append((f"tabletalk, {label} {value}" if label != "RT60" else f"tabletalk, {value}", summarise(sub)))
            print_table(f"{title}, tabletalk by room", groups)

    failed = []
    print()
    for family in families:
        held = figures[family].get("dev", {}).get("tabletalk")
        if not held:
            if args.max_mean_error is not None or args.min_within is not None:
                failed.append(f"{family}: no held-out rooms to check")
            continue
        ok_mean = held["mean_error"] <= TARGET_MEAN_ERROR
        ok_within = held["within_3pp"] >= TARGET_WITHIN
        print(f"targets on {family} held-out rooms: mean error {held['mean_error']:.1f}% (target <= {TARGET_MEAN_ERROR:.0f}%): {'met' if ok_mean else 'NOT met'}; "
              f"shares within 3 pp {held['within_3pp']:.1f}% (target >= {TARGET_WITHIN:.0f}%): {'met' if ok_within else 'NOT met'}")
        if args.max_mean_error is not None and held["mean_error"] > args.max_mean_error:
            failed.append(f"{family}: held-out mean error {held['mean_error']:.1f}% > {args.max_mean_error}%")
        if args.min_within is not None and held["within_3pp"] < args.min_within:
            failed.append(f"{family}: held-out shares within 3 pp {held['within_3pp']:.1f}% < {args.min_within}%")
        floor = figures[family]["dev"].get("clean-speech floor")
        if args.max_floor_error is not None and floor and floor["mean_error"] > args.max_floor_error:
            failed.append(f"{family}: held-out clean-speech floor {floor['mean_error']:.1f}% > {args.max_floor_error}%")
    if args.json:
        # "figures": {family: {split: {system: figures}}}.
        Path(args.json).write_text(json.dumps({"figures": figures, "rooms": per_room}, indent=1))
    for f in failed:
        print(f"REGRESSION: {f}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
