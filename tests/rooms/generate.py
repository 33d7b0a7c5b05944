#!/usr/bin/env python3
"""Physically simulated meeting rooms for the microphone evaluation.

Real AMI turn timings, filled with synthesised speech (voices.py); a
shoebox room whose impulse responses come from the image-source method
(pyroomacoustics), RT60 0.3-0.9 s; a round, rectangular or tight table;
one microphone per seat as docs/hardware.md places it (omni, 30-60 cm from
the mouth, pointing at it); diffuse pink or brown background noise at
20-35 dB SNR that steps by +-6 dB once; knocks, paper and coughs;
microphone gains +-6 dB, DC bias, ADC noise, and the device's ADC
(8 kHz, 12-bit RP2040 or 10-bit MCP3008).

That is the "ism" family. A second family, "hybrid", checks its figures
with a different physical model (see hybrid_room): a non-shoebox room
(an alcove or a slanted wall) with frequency-dependent wall, floor and
ceiling materials and scattering, impulse responses from pyroomacoustics'
hybrid image-source + ray-tracing simulator with air absorption,
directional talkers facing the table, noise from point sources in the room
(a ventilation outlet or a fan, through the room's responses) over a weaker
diffuse floor, and twelve other voices.

Every random choice comes from the seed, the family and the meeting's
name; a room is written once into the cache (target/rooms/<key>/, the key
hashes every parameter) and reused. See tests/rooms/README.md.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyroomacoustics as pra
import soundfile
from pyroomacoustics.directivities import Cardioid, CardioidFamily, DirectionVector
from scipy.signal import lfilter, oaconvolve

sys.path.insert(0, str(Path(__file__).resolve().parent))
import voices  # noqa: E402

# Bump when the generated signals change: it is part of every cache key.
GENERATOR_VERSION = 1
# Bump when the hybrid family's signals change (part of its cache keys; the
# ism family's keys are as they were before the family existed).
HYBRID_VERSION = 1
FAMILIES = ("ism", "hybrid")
REPO = Path(__file__).resolve().parents[2]
FS = 8000  # the device's sample rate, and the simulation's
ADCS = {"rp2040": 4095, "mcp3008": 1023}
TABLES = ("round", "rectangular", "tight")
NOISES = ("pink", "brown")


@dataclass(frozen=True)
class Hardware:
    """What docs/hardware.md prescribes (the defaults), as parameters."""

    mic: str = "cardioid"  # cardioid | omni, pointing at the seat's mouth
    distance_min: float = 0.15  # m, mouth to microphone
    distance_max: float = 0.30
    adc: str = "rp2040"  # rp2040 (12-bit) | mcp3008 (10-bit)


# ---------------------------------------------------------------- corpus


def find_data_dir(explicit=None):
    """The shared data folder: --data, $TABLETALK_DATA, or shared/data next
    to the repository (as `tabletalk evaluate` finds it)."""
    for p in (explicit, os.environ.get("TABLETALK_DATA")):
        if p:
            return Path(p)
    for d in [REPO, *REPO.parents]:
        for c in (d / "shared" / "data", d.parent / "shared" / "data"):
            if (c / "ami").is_dir():
                return c
    return None


def read_rttm(path):
    """{speaker: [(start, end)]} of an RTTM file's SPEAKER lines (seconds)."""
    out = {}
    for line in Path(path).read_text().splitlines():
        w = line.split()
        if len(w) >= 8 and w[0] == "SPEAKER":
            a = float(w[3])
            out.setdefault(w[7], []).append((a, a + float(w[4])))
    return out


def load_meetings(ami_dir):
    """{name: (split, {speaker: [(start, end)]}, (uem_start, uem_end))} for
    every RTTM under ami_dir/rttm/{train,dev}."""
    out = {}
    for split in ("train", "dev"):
        for f in sorted((Path(ami_dir) / "rttm" / split).glob("*.rttm")):
            turns = read_rttm(f)
            uem_file = Path(ami_dir) / "uem" / split / (f.stem + ".uem")
            if uem_file.exists():
                w = uem_file.read_text().split()
                uem = (float(w[2]), float(w[3]))
            else:
                uem = (0.0, max(e for t in turns.values() for _, e in t))
            out[f.stem] = (split, turns, uem)
    return out


def excerpt(turns, uem, start_min, minutes):
    """The turns within [uem start + start_min, + minutes], shifted to 0,
    and the excerpt's length (s)."""
    a = uem[0] + start_min * 60
    b = min(uem[1], a + minutes * 60) if minutes else uem[1]
    cut = {}
    for spk, segs in sorted(turns.items()):
        s = [(max(x, a) - a, min(y, b) - a) for x, y in segs if y > a and x < b]
        s = [(x, y) for x, y in s if y - x >= 0.01]
        if s:
            cut[spk] = sorted(s)
    return cut, max(0.0, b - a)


# ---------------------------------------------------------------- geometry


def table_layout(kind, n, rng):
    """Mouth positions (n, 2) around a table at the origin, and each seat's
    unit direction toward the table."""
    if kind == "rectangular":
        per_side = [(n + 1) // 2, n // 2]
        spacing = rng.uniform(0.8, 1.1)
        half_width = rng.uniform(0.5, 0.7) + 0.3  # table edge + sitting back
        pts, dirs = [], []
        for side, count in zip((-1, 1), per_side):
            xs = (np.arange(count) - (count - 1) / 2) * spacing
            for x in xs:
                pts.append((x + rng.uniform(-0.08, 0.08), side * half_width))
                dirs.append((0.0, -side))
        return np.array(pts), np.array(dirs, dtype=float)
    spacing = rng.uniform(0.95, 1.3)
    radius = max(0.75, spacing / (2 * np.sin(np.pi / n)))
    angles = 2 * np.pi * np.arange(n) / n + rng.uniform(-0.08, 0.08, n)
    if kind == "tight":
        # One neighbouring pair sits 0.65-0.75 m apart (chord length).
        gap = rng.uniform(0.65, 0.75)
        angles[1] = angles[0] + 2 * np.arcsin(min(1.0, gap / (2 * radius)))
    angles += rng.uniform(0, 2 * np.pi)
    pts = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return pts, -pts / np.linalg.norm(pts, axis=1, keepdims=True)


def draw_room(n, rng, hw):
    """A room: dimensions, RT60, table kind, mouths, microphones."""
    table = TABLES[int(rng.integers(0, len(TABLES)))]
    mouths2, inward = table_layout(table, n, rng)
    extent = np.ptp(mouths2, axis=0)
    dims = np.array(
        [
            max(rng.uniform(4.0, 8.0), extent[0] + 2.0),
            max(rng.uniform(3.5, 6.5), extent[1] + 2.0),
            rng.uniform(2.6, 3.2),
        ]
    )
    # The table somewhere with at least 1 m behind every seat.
    lo = -mouths2.min(axis=0) + 1.0
    hi = dims[:2] - mouths2.max(axis=0) - 1.0
    centre = rng.uniform(lo, np.maximum(hi, lo))
    table_z = 0.74
    mouth_z = rng.uniform(1.12, 1.25, n)
    mouths = np.column_stack([mouths2 + centre, mouth_z])
    distance = rng.uniform(hw.distance_min, hw.distance_max, n)
    # Down toward the table, at most 45 degrees; the mic rests on the table
    # or on a small stand when the distance asks for it.
    drop = np.minimum(mouth_z - table_z - 0.02, distance * np.sin(np.pi / 4))
    ahead = np.sqrt(np.maximum(distance**2 - drop**2, 0.0))
    mics = np.column_stack([mouths[:, :2] + inward * ahead[:, None], mouth_z - drop])
    rt60 = rng.uniform(0.3, 0.9)
    return {
        "table": table,
        "dims": dims,
        "rt60": rt60,
        "mouths": mouths,
        "mics": mics,
        "distance": distance,
        "table_centre": np.append(centre, table_z),
    }


def impulse_responses(room, sources, hw):
    """rir[source][mic] by the image-source method in the room's shoebox."""
    absorption, max_order = pra.inverse_sabine(room["rt60"], room["dims"])
    shoebox = pra.ShoeBox(
        room["dims"],
        fs=FS,
        materials=pra.Material(absorption),
        max_order=min(max_order, 60),
        air_absorption=False,
    )
    for s in sources:
        shoebox.add_source(s)
    for m, mouth in zip(room["mics"], room["mouths"]):
        shoebox.add_microphone(m, directivity=mic_directivity(m, mouth, hw))
    shoebox.compute_rir()
    return shoebox.rir


def mic_directivity(mic, mouth, hw):
    """None (omni) or a cardioid pointing at the mouth."""
    if hw.mic != "cardioid":
        return None
    v = mouth - mic
    azimuth = np.degrees(np.arctan2(v[1], v[0]))
    colatitude = np.degrees(np.arccos(v[2] / np.linalg.norm(v)))
    return Cardioid(DirectionVector(azimuth, colatitude, degrees=True), gain=1.0)


# ---------------------------------------------------------------- hybrid family

# Surfaces of the hybrid family's rooms, from pyroomacoustics' database of
# measured octave-band absorption coefficients (125 Hz - 4 kHz).
FLOORS = ("carpet_cotton", "carpet_tufted_9.5mm", "carpet_thin", "linoleum_on_concrete", "wood_16mm", "concrete_floor")
CEILINGS = ("ceiling_fibre_absorber", "ceiling_fissured_tile", "ceiling_perforated_gypsum_board", "ceiling_plasterboard", "plasterboard", "hard_surface")
WALLS = ("plasterboard", "brickwork", "rough_lime_wash", "wooden_lining", "glass_window", "double_glazing_10mm", "curtains_cotton_0.5", "gypsum_board")


def hybrid_floor(dims, rng):
    """The floor plan: the drawn rectangle plus an alcove on its far wall,
    or with that wall slanted (both only add floor, so the table keeps its
    clearance). Corners anticlockwise (2, k)."""
    x, y = dims[:2]
    if rng.random() < 0.5:
        w = rng.uniform(1.2, min(3.0, x - 1.0))
        a = rng.uniform(0.3, x - w - 0.3)
        d = rng.uniform(0.8, 2.0)
        corners = [(0, 0), (x, 0), (x, y), (a + w, y), (a + w, y + d), (a, y + d), (a, y), (0, y)]
        return "alcove", np.array(corners, dtype=float).T
    return "slanted", np.array([(0, 0), (x, 0), (x + rng.uniform(0.6, 2.0), y), (0, y)], dtype=float).T


def hybrid_room_model(room):
    """The pyroomacoustics room of a hybrid-family room description."""
    corners = room["corners"]
    walls = [pra.Material(m, float(sc)) for m, sc in zip(room["materials"]["walls"], room["scattering"]["walls"])]
    model = pra.Room.from_corners(corners, fs=FS, max_order=3, materials=walls, air_absorption=True)
    model.extrude(
        room["dims"][2],
        materials={
            "floor": pra.Material(room["materials"]["floor"], float(room["scattering"]["floor"])),
            "ceiling": pra.Material(room["materials"]["ceiling"], float(room["scattering"]["ceiling"])),
        },
    )
    return model


def draw_hybrid_room(n, rng, hw):
    """A hybrid-family room: the table and seats as in draw_room, a
    non-shoebox floor, measured materials whose reverberation time
    (Eyring, over the octave bands) is 0.15-0.38 s, talkers facing the
    table, and two noise sources."""
    room = draw_room(n, rng, hw)
    room.pop("rt60")
    room["shape"], room["corners"] = hybrid_floor(room["dims"], rng)
    k = room["corners"].shape[1]
    for _ in range(50):
        room["materials"] = {
            "floor": str(rng.choice(FLOORS)),
            "ceiling": str(rng.choice(CEILINGS)),
            "walls": [str(rng.choice(WALLS)) for _ in range(k)],
        }
        room["scattering"] = {"floor": rng.uniform(0.05, 0.2), "ceiling": rng.uniform(0.05, 0.3), "walls": rng.uniform(0.05, 0.4, k)}
        with np.errstate(divide="ignore"):  # a band of zero absorption: its term is 0
            room["rt60_theory"] = float(hybrid_room_model(room).rt60_theory("eyring"))
        # Measured (Schroeder) reverberation times of these rooms come out
        # about 2-2.7 times the Eyring figure: 0.15-0.38 s gives about 0.35-1 s.
        if 0.15 <= room["rt60_theory"] <= 0.38:
            break
    # A talker speaks forward: sub-cardioid radiation (2-3 dB down at the
    # side, 6-10 dB behind), facing the table centre give or take 35
    # degrees (toward someone), a little down.
    to_centre = room["table_centre"][:2] - room["mouths"][:, :2]
    yaw = np.degrees(np.arctan2(to_centre[:, 1], to_centre[:, 0])) + rng.uniform(-35, 35, n)
    room["talkers"] = [
        {"azimuth": float(a), "colatitude": float(c), "p": float(q)}
        for a, c, q in zip(yaw, rng.uniform(95, 110, n), rng.uniform(0.7, 0.8, n))
    ]
    # The noise: a ventilation outlet in the ceiling (rumble) or a fan
    # (a projector's, on the ceiling, or a laptop's on the table).
    room["rt_seed"] = int(rng.integers(0, 2**63))
    room["noise_kind"] = str(rng.choice(["hvac", "fan"]))
    lo, hi = room["corners"].min(axis=1) + 0.3, np.array([room["dims"][0], room["dims"][1]]) - 0.3
    if room["noise_kind"] == "fan" and rng.random() < 0.5:
        seat = int(rng.integers(0, n))
        spot = room["table_centre"] + 0.5 * (room["mics"][seat] - room["table_centre"]) * np.array([1, 1, 0])
        room["noise_source"] = spot + np.array([0, 0, 0.05])
    else:
        room["noise_source"] = np.append(rng.uniform(lo, hi), room["dims"][2] - 0.05)
    return room


def hybrid_responses(room, sources, directivities, hw):
    """rir[source][mic] by the hybrid image-source (order 3) + ray-tracing
    simulator in the room's polygonal, multi-material model."""
    model = hybrid_room_model(room)
    for s, d in zip(sources, directivities):
        model.add_source(s, directivity=d)
    for m, mouth in zip(room["mics"], room["mouths"]):
        model.add_microphone(m, directivity=mic_directivity(m, mouth, hw))
    # After the microphones: pyroomacoustics refuses directional ones added
    # to a room that already traces rays, though its tracer handles them.
    model.set_ray_tracing(receiver_radius=0.5, energy_thres=1e-5, time_thres=2.0)
    pra.random.seed(numpy=room["rt_seed"])  # the tracer's and its tails' random draws
    model.compute_rir()
    return model.rir


def talker_directivities(room):
    return [
        CardioidFamily(DirectionVector(t["azimuth"], t["colatitude"], degrees=True), p=t["p"])
        for t in room["talkers"]
    ]


def point_noise(kind, n, rng):
    """A noise source's unit-RMS signal: ventilation rumble (brown noise and
    a little pink) or a fan (pink noise and a blade-pass tone with two
    harmonics, 90-300 Hz, wandering by 1 %)."""
    if kind == "hvac":
        y = coloured_noise("brown", n, rng) + 0.3 * coloured_noise("pink", n, rng)
    else:
        f0 = rng.uniform(90, 300)
        drift = 1 + 0.01 * np.sin(2 * np.pi * np.arange(n) / FS / rng.uniform(5, 20))
        phase = 2 * np.pi * np.cumsum(f0 * drift) / FS
        tone = sum(a * np.sin(k * phase) for k, a in ((1, 1.0), (2, 0.5), (3, 0.25)))
        y = coloured_noise("pink", n, rng) + 0.6 * tone
    return y / np.sqrt(np.mean(y**2))


# ---------------------------------------------------------------- signals


def fill_turns(segments, pool, n_samples, rng):
    """One talker's clean speech: each turn filled from its first instant
    with phrases of the voice and natural pauses (50-250 ms) between them,
    the last phrase cut at the turn's end with a 10 ms fade."""
    x = np.zeros(n_samples, dtype=np.float32)
    fade = FS // 100
    k = int(rng.integers(0, len(pool)))
    for a, b in segments:
        t, end = int(a * FS), min(n_samples, int(b * FS))
        while end - t > FS * 0.08:
            p = pool[k % len(pool)]
            k += 1
            offset = 0
            if len(p) > end - t and rng.random() < 0.5:
                offset = int(rng.integers(0, len(p) - (end - t)))  # a piece of a phrase
            piece = p[offset : offset + end - t].copy()
            if len(piece) < len(p) - offset:
                piece[-fade:] *= np.linspace(1, 0, min(fade, len(piece)))
            x[t : t + len(piece)] += piece
            t += len(piece) + int(rng.uniform(0.05, 0.25) * FS)
    return x


def coloured_noise(kind, n, rng):
    """Unit-RMS pink (1/f) or brown (1/f^2) noise."""
    white = rng.standard_normal(n)
    if kind == "brown":
        # Integrated white noise with a 20 Hz leak (no DC drift).
        y = lfilter([1.0], [1.0, -(1 - 2 * np.pi * 20 / FS)], white)
    else:
        # Paul Kellet's economy pink filter.
        b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
        a = [1, -2.494956002, 2.017265875, -0.522189400]
        y = lfilter(b, a, white)
    return y / np.sqrt(np.mean(y**2))


def event_sound(kind, rng):
    """A knock (a few ms of damped resonance), rustling paper (0.3-1.5 s of
    high-passed bursts) or a cough (0.2-0.5 s of noisy, voiced-like
    bursts), roughly at speech level at 1 m."""
    if kind == "knock":
        n = int(FS * 0.04)
        t = np.arange(n) / FS
        f = rng.uniform(300, 1200)
        return 8.0 * np.exp(-t / rng.uniform(0.003, 0.01)) * np.sin(2 * np.pi * f * t)
    if kind == "paper":
        n = int(FS * rng.uniform(0.3, 1.5))
        y = lfilter([1, -0.95], [1], rng.standard_normal(n))
        env = np.abs(lfilter([1], [1, -0.995], rng.standard_normal(n) * (rng.random(n) < 0.02)))
        return 0.5 * y * env / max(env.max(), 1e-9)
    n = int(FS * rng.uniform(0.2, 0.5))
    t = np.arange(n) / FS
    y = lfilter([1], [1, -1.6, 0.8], rng.standard_normal(n))
    return 1.5 * y / np.std(y) * np.exp(-t / 0.12) * (1 - np.exp(-t / 0.01))


def adc_codes(x, full_scale, rng):
    """Audio (1.0 = the ADC's half range) to ADC codes: a DC bias off
    mid-scale, the converter's noise (1.2 LSB rms), rounding, clipping."""
    half = (full_scale + 1) / 2
    bias = rng.uniform(-40, 40) * (full_scale + 1) / 4096
    y = half + bias + x * half + rng.normal(0, 1.2, len(x))
    return np.clip(np.round(y), 0, full_scale).astype(np.int64)


def codes_to_wav16(codes, full_scale):
    """ADC codes as 16-bit samples that `tabletalk replay --wav
    --full-scale FULL_SCALE` maps back to exactly these codes."""
    half = (full_scale + 1) / 2
    return np.clip(np.round((codes - half) * 32768 / half), -32768, 32767).astype(np.int16)


def clean_activity(clean, threshold_db=-30.0):
    """Where a clean talker track has speech: 10 ms frames within
    threshold_db of its speech level (the clean-speech floor)."""
    frame = FS // 100
    n = len(clean) // frame
    e = (clean[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    return e > 10 ** (threshold_db / 10)  # phrases have unit speech RMS


def spans_of(active, step):
    """[(start, end)] seconds of the True runs of a frame mask."""
    d = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return [(a * step, b * step) for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1))]


# ---------------------------------------------------------------- a room


def room_key(meeting, start, minutes, seed, hw, family="ism", speakers=0):
    spec = [GENERATOR_VERSION, meeting, start, minutes, seed, asdict(hw)]
    if family != "ism":
        spec += [family, HYBRID_VERSION]
    if speakers:
        # Only when set: every other room keeps its key.
        spec += [{"speakers": speakers}]
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def keep_speakers(segs, count):
    """The `count` speakers of an excerpt who talk longest (all of them
    for 0 or more than there are): a smaller table from the same meeting."""
    if not count or count >= len(segs):
        return segs
    talk = {spk: sum(y - x for x, y in s) for spk, s in segs.items()}
    kept = sorted(segs, key=lambda spk: (-talk[spk], spk))[:count]
    return {spk: segs[spk] for spk in kept}


def generate(meeting, split, turns, uem, start, minutes, seed, hw, cache_dir, family="ism", talkers=0):
    """Writes the room into cache_dir/<key>/ (unless there) and returns it.
    `talkers`: keep only that many talkers (the ones who talk longest), 0
    for all."""
    if family not in FAMILIES:
        raise ValueError(f"family {family!r}: one of {', '.join(FAMILIES)}")
    hybrid = family == "hybrid"
    key = room_key(meeting, start, minutes, seed, hw, family, talkers)
    out = Path(cache_dir) / key
    if (out / "room.json").exists():
        return out
    segs, duration = excerpt(turns, uem, start, minutes)
    segs = keep_speakers(segs, talkers)
    speakers = sorted(segs)
    n = len(speakers)
    if n == 0:
        raise ValueError(f"{meeting}: nobody speaks in that excerpt")
    rng = np.random.default_rng(int(hashlib.sha256(f"{seed}:{meeting}{':hybrid' if hybrid else ''}".encode()).hexdigest()[:15], 16))
    n_samples = int(round(duration * FS))
    room = draw_hybrid_room(n, rng, hw) if hybrid else draw_room(n, rng, hw)

    # Talkers: distinct voices, loudness +-6 dB (log-normal, sigma 3 dB).
    pool_of = voices.HYBRID_VOICES if hybrid else voices.VOICES
    picks = rng.permutation(len(pool_of))[:n] if n <= len(pool_of) else rng.integers(0, len(pool_of), n)
    loudness_db = np.clip(rng.normal(0, 3, n), -6, 6)
    clean = []
    for i, spk in enumerate(speakers):
        pool = voices.phrases(pool_of[int(picks[i])], FS, cache_dir)
        clean.append(fill_turns(segs[spk], pool, n_samples, rng) * 10 ** (loudness_db[i] / 20))

    # Coughs come from the talkers' mouths (added to their tracks, but
    # not to their clean speech); knocks and paper from the table in front
    # of a seat.
    events, sounds = [], []
    tracks = [c.astype(np.float64) for c in clean]
    n_events = rng.poisson(2.0 * duration / 60)
    for _ in range(n_events):
        kind = rng.choice(["knock", "paper", "cough"], p=[0.4, 0.35, 0.25])
        seat = int(rng.integers(0, n))
        at = int(rng.integers(0, max(1, n_samples - FS)))
        sound = event_sound(kind, rng)
        events.append({"kind": str(kind), "seat": seat, "at_s": round(at / FS, 3)})
        sounds.append(sound)
        if kind == "cough":
            tracks[seat][at : at + len(sound)] += sound[: n_samples - at]
    desk = [
        room["table_centre"] + 0.6 * (room["mics"][s] - room["table_centre"]) * np.array([1, 1, 0])
        for s in range(n)
    ]
    if hybrid:
        sources = list(room["mouths"]) + desk + [room["noise_source"]]
        rir = hybrid_responses(room, sources, talker_directivities(room) + [None] * (n + 1), hw)
        # The reverberation time as measured (Schroeder, T20) from each
        # talker to the next seat's microphone (own responses, dominated by
        # the direct sound, give unstable fits), median over the seats.
        room["rt60"] = float(np.median([pra.experimental.measure_rt60(rir[(m + 1) % n][m], fs=FS, decay_db=20) for m in range(n)]))
    else:
        rir = impulse_responses(room, list(room["mouths"]) + desk, hw)

    # Scale: a nominal talker's speech reads -26 dBFS at a microphone 45 cm
    # away (the direct path alone; pyroomacoustics' direct gain is 1/r).
    scale = 10 ** (-26 / 20) * 0.45
    mics = np.zeros((n, n_samples))
    for s in range(n):
        for m in range(n):
            mics[m] += oaconvolve(tracks[s], rir[m][s])[:n_samples]
    for e, sound in zip(events, sounds):
        if e["kind"] != "cough":
            at = int(e["at_s"] * FS)
            for m in range(n):
                y = oaconvolve(sound, rir[m][n + e["seat"]])[: n_samples - at]
                mics[m][at : at + len(y)] += y
    mics *= scale

    # Background noise: diffuse (half shared, half per microphone), SNR
    # against the talkers' speech level at their own microphones, with
    # one step of +-6 dB somewhere in the middle of the meeting.
    speech_power = []
    for s in range(n):
        own = oaconvolve(clean[s], rir[s][s])[:n_samples] * scale
        act = np.repeat(clean_activity(clean[s]), FS // 100)
        act = np.pad(act, (0, n_samples - len(act)))
        if act.any():
            speech_power.append(np.mean(own[act] ** 2))
    noise_kind = room["noise_kind"] if hybrid else NOISES[int(rng.integers(0, 2))]
    snr_db = rng.uniform(20, 35)
    step_db = float(rng.choice([-6.0, 6.0]))
    step_at = rng.uniform(0.2, 0.8) * duration
    level = np.sqrt(np.mean(speech_power)) * 10 ** (-snr_db / 20)
    envelope = np.where(np.arange(n_samples) < step_at * FS, 1.0, 10 ** (step_db / 20)) * level
    if hybrid:
        # The point source through the room (at the SNR, averaged over the
        # microphones) and a diffuse pink floor 10 dB below it.
        src = point_noise(noise_kind, n_samples, rng)
        heard = np.array([oaconvolve(src, rir[m][2 * n])[:n_samples] for m in range(n)])
        heard /= np.sqrt(np.mean(heard**2))
        shared = coloured_noise("pink", n_samples, rng)
        for m in range(n):
            diffuse = (shared + coloured_noise("pink", n_samples, rng)) / np.sqrt(2)
            mics[m] += envelope * (heard[m] + 10 ** (-10 / 20) * diffuse) / np.sqrt(1.1)
    else:
        shared = coloured_noise(noise_kind, n_samples, rng)
        for m in range(n):
            own_noise = coloured_noise(noise_kind, n_samples, rng)
            mics[m] += envelope * (shared + own_noise) / np.sqrt(2)

    gains_db = rng.uniform(-6, 6, n)
    full_scale = ADCS[hw.adc]
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    wavs = []
    for m, spk in enumerate(speakers):
        codes = adc_codes(mics[m] * 10 ** (gains_db[m] / 20), full_scale, rng)
        name = f"{m + 1:02}-{spk}.wav"
        soundfile.write(tmp / name, codes_to_wav16(codes, full_scale), FS, subtype="PCM_16")
        wavs.append(name)
    with open(tmp / "ref.rttm", "w") as f:
        for spk in speakers:
            for a, b in segs[spk]:
                f.write(f"SPEAKER {meeting} 1 {a:.3f} {b - a:.3f} <NA> <NA> {spk} <NA> <NA>\n")
    (tmp / "ref.uem").write_text(f"{meeting} 1 0.000 {duration:.3f}\n")
    with open(tmp / "clean.rttm", "w") as f:
        for i, spk in enumerate(speakers):
            for a, b in spans_of(clean_activity(clean[i]), 0.01):
                f.write(f"SPEAKER {meeting} 1 {a:.3f} {b - a:.3f} <NA> <NA> {spk} <NA> <NA>\n")
    description = {
        "id": f"{meeting}-s{seed}" + (f"-{talkers}p" if talkers else "") + ("-hybrid" if hybrid else ""),
        "key": key,
        "family": family,
        "meeting": meeting,
        "split": split,
        "start_min": start,
        "duration_s": round(duration, 3),
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "hardware": asdict(hw),
        "full_scale": full_scale,
        "sample_rate_hz": FS,
        "dims_m": [round(float(v), 2) for v in room["dims"]],
        "rt60_s": round(float(room["rt60"]), 3),
        "table": room["table"],
        "noise": noise_kind,
        "snr_db": round(float(snr_db), 1),
        "noise_step_db": step_db,
        "noise_step_at_s": round(float(step_at), 1),
        "seats": [
            {
                "speaker": spk,
                "wav": wavs[i],
                "voice": pool_of[int(picks[i])]["id"],
                "loudness_db": round(float(loudness_db[i]), 1),
                "gain_db": round(float(gains_db[i]), 1),
                "distance_m": round(float(room["distance"][i]), 3),
                "mouth_m": [round(float(v), 2) for v in room["mouths"][i]],
                "mic_m": [round(float(v), 2) for v in room["mics"][i]],
            }
            for i, spk in enumerate(speakers)
        ],
        "events": events,
    }
    if hybrid:
        description["model"] = {
            "shape": room["shape"],
            "floor_m": [[round(float(v), 2) for v in c] for c in room["corners"].T],
            "materials": room["materials"],
            "scattering": {k: np.round(v, 2).tolist() for k, v in room["scattering"].items()},
            "rt60_eyring_s": round(room["rt60_theory"], 3),
            "talkers": [{k: round(v, 2) for k, v in t.items()} for t in room["talkers"]],
            "noise_source_m": [round(float(v), 2) for v in room["noise_source"]],
            "table_centre_m": [round(float(v), 3) for v in room["table_centre"]],
        }
    (tmp / "room.json").write_text(json.dumps(description, indent=1) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def select_meetings(meetings, split, count, names):
    """The named meetings, else `count` meetings spread evenly over each
    chosen split (all of them without a count)."""
    if names:
        return [m for m in names if m in meetings]
    chosen = []
    for part in ("train", "dev"):
        if split in ("all", part):
            names = [m for m in meetings if meetings[m][0] == part]
            if count and count < len(names):
                names = [names[i] for i in np.linspace(0, len(names) - 1, count).round().astype(int)]
            chosen += names
    return chosen


def add_arguments(p):
    p.add_argument("--data", help="AMI folder: DIR/ami/{rttm,uem}/{train,dev} (default: the shared data, else tests/fixtures/mic)")
    p.add_argument("--split", choices=["train", "dev", "all"], default="all", help="AMI train = tuning rooms, dev = held-out rooms")
    p.add_argument("--meetings", type=int, help="this many meetings of each split, spread over it (default: all)")
    p.add_argument("--meeting", action="append", default=[], help="this meeting (repeatable)")
    p.add_argument("--start", type=float, default=5.0, help="minutes skipped at each meeting's start")
    p.add_argument("--minutes", type=float, default=10.0, help="minutes of each meeting (0: to the end)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--family", choices=[*FAMILIES, "all"], default="all", help="room model: ism (shoebox image sources), hybrid (polygonal multi-material room, image sources + ray tracing, directional talkers, other voices), or both")
    p.add_argument("--mic", choices=["omni", "cardioid"], default=Hardware.mic)
    p.add_argument("--distance", default=f"{Hardware.distance_min}-{Hardware.distance_max}", help="mouth to microphone, metres: LO-HI")
    p.add_argument("--adc", choices=sorted(ADCS), default=Hardware.adc)
    p.add_argument("--speakers", type=int, default=0, help="keep only this many talkers of each excerpt, the ones who talk longest: smaller tables from the same meetings (default: all)")
    p.add_argument("--cache", default=str(REPO / "target" / "rooms"), help="cache directory")


def rooms_from_args(args):
    """Generates (or finds in the cache) the rooms the arguments select."""
    data = find_data_dir(args.data)
    ami = data / "ami" if data else REPO / "tests" / "fixtures" / "mic" / "ami"
    meetings = load_meetings(ami)
    if not meetings:
        sys.exit(f"no AMI meetings under {ami}")
    lo, hi = (float(v) for v in args.distance.split("-"))
    hw = Hardware(mic=args.mic, distance_min=lo, distance_max=hi, adc=args.adc)
    out = []
    for family in FAMILIES if args.family == "all" else [args.family]:
        for name in select_meetings(meetings, args.split, args.meetings, args.meeting):
            split, turns, uem = meetings[name]
            out.append(generate(name, split, turns, uem, args.start, args.minutes, args.seed, hw, args.cache, family, args.speakers))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Prints one room directory per line.")
    add_arguments(p)
    for room in rooms_from_args(p.parse_args()):
        print(room)


if __name__ == "__main__":
    main()
