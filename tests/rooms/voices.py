"""Real speech waveforms from synthesised voices (espeak-ng and flite).

No recordings are available offline, so each voice reads seeded random
English text once; the waveform is cut at its silences into phrases, which
the room generator strings together to fill each reference turn. A voice's
phrases are cached under the cache directory (they depend only on the voice
and the generator version).
"""

import hashlib
import json
import os
import subprocess
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

# Twelve voices, six male and six female, with different pitches and rates.
# espeak-ng: (language, variant, pitch 0-99, words per minute);
# flite: its built-in voices.
VOICES = [
    {"id": "espeak-en-us-m1", "engine": "espeak-ng", "lang": "en-us", "variant": "m1", "pitch": 40, "speed": 165, "sex": "m"},
    {"id": "espeak-en-gb-m3", "engine": "espeak-ng", "lang": "en-gb", "variant": "m3", "pitch": 30, "speed": 155, "sex": "m"},
    {"id": "espeak-en-sc-m5", "engine": "espeak-ng", "lang": "en-gb-scotland", "variant": "m5", "pitch": 50, "speed": 175, "sex": "m"},
    {"id": "espeak-en-029-m7", "engine": "espeak-ng", "lang": "en-029", "variant": "m7", "pitch": 25, "speed": 150, "sex": "m"},
    {"id": "espeak-en-us-f1", "engine": "espeak-ng", "lang": "en-us", "variant": "f1", "pitch": 60, "speed": 170, "sex": "f"},
    {"id": "espeak-en-gb-f2", "engine": "espeak-ng", "lang": "en-gb", "variant": "f2", "pitch": 70, "speed": 160, "sex": "f"},
    {"id": "espeak-en-rp-f4", "engine": "espeak-ng", "lang": "en-gb-x-rp", "variant": "f4", "pitch": 55, "speed": 180, "sex": "f"},
    {"id": "espeak-en-us-f5", "engine": "espeak-ng", "lang": "en-us", "variant": "f5", "pitch": 75, "speed": 150, "sex": "f"},
    {"id": "flite-awb", "engine": "flite", "voice": "awb", "sex": "m"},
    {"id": "flite-rms", "engine": "flite", "voice": "rms", "sex": "m"},
    {"id": "flite-slt", "engine": "flite", "voice": "slt", "sex": "f"},
    {"id": "espeak-en-us-f3", "engine": "espeak-ng", "lang": "en-us", "variant": "f3", "pitch": 65, "speed": 175, "sex": "f"},
]

# The hybrid family's talkers (generate.py --family hybrid): twelve other
# voices, none of them in VOICES, so that a detector tuned on one family's
# voices meets new ones in the other. flite's two diphone voices (the
# clustergen ones are in VOICES), espeak-ng's Klatt formant synthesiser and
# variants VOICES does not use.
HYBRID_VOICES = [
    {"id": "flite-kal", "engine": "flite", "voice": "kal", "sex": "m"},
    {"id": "flite-kal16", "engine": "flite", "voice": "kal16", "sex": "m"},
    {"id": "espeak-en-us-m2", "engine": "espeak-ng", "lang": "en-us", "variant": "m2", "pitch": 35, "speed": 160, "sex": "m"},
    {"id": "espeak-en-gb-m4", "engine": "espeak-ng", "lang": "en-gb", "variant": "m4", "pitch": 45, "speed": 170, "sex": "m"},
    {"id": "espeak-en-rp-m6", "engine": "espeak-ng", "lang": "en-gb-x-rp", "variant": "m6", "pitch": 28, "speed": 145, "sex": "m"},
    {"id": "espeak-en-us-klatt", "engine": "espeak-ng", "lang": "en-us", "variant": "klatt", "pitch": 42, "speed": 165, "sex": "m"},
    {"id": "espeak-en-us-annie", "engine": "espeak-ng", "lang": "en-us", "variant": "Annie", "pitch": 68, "speed": 165, "sex": "f"},
    {"id": "espeak-en-gb-belinda", "engine": "espeak-ng", "lang": "en-gb", "variant": "belinda", "pitch": 62, "speed": 155, "sex": "f"},
    {"id": "espeak-en-us-linda", "engine": "espeak-ng", "lang": "en-us", "variant": "linda", "pitch": 72, "speed": 175, "sex": "f"},
    {"id": "espeak-en-clan-steph", "engine": "espeak-ng", "lang": "en-gb-x-gbclan", "variant": "steph", "pitch": 58, "speed": 160, "sex": "f"},
    {"id": "espeak-en-029-anika", "engine": "espeak-ng", "lang": "en-029", "variant": "anika", "pitch": 66, "speed": 150, "sex": "f"},
    {"id": "espeak-en-us-alicia", "engine": "espeak-ng", "lang": "en-us", "variant": "Alicia", "pitch": 78, "speed": 170, "sex": "f"},
]

WORDS = (
    "the a we I you they it this that our your project meeting budget plan "
    "team week time idea point question answer problem result report data "
    "number design test customer market product price cost month year "
    "think know want need see say make take give find tell show try use "
    "should could would will can might must really maybe just also still "
    "good new first last next big small important different possible clear "
    "right wrong early late here there now then again today tomorrow "
    "remote control button screen battery case colour shape user function "
    "agree wonder suppose mean guess prefer decide finish start change "
    "because but and or so if when while although before after about "
    "with without from into over under between against during"
).split()

# Seconds of text each voice reads (cut into phrases of 0.3-4 s).
READ_SECONDS = 150


def text_for(seed, seconds):
    """Random sentences of 4-14 words, about 2.5 words per second."""
    rng = np.random.default_rng(seed)
    sentences = []
    words = 0
    while words < seconds * 2.5:
        n = int(rng.integers(4, 15))
        ws = [WORDS[int(i)] for i in rng.integers(0, len(WORDS), n)]
        if n > 7 and rng.random() < 0.5:
            ws[int(rng.integers(3, n - 2))] += ","
        sentences.append(" ".join(ws).capitalize() + rng.choice([".", ".", "?"]))
        words += n
    return " ".join(sentences)


def synthesise(voice, text, path):
    """Writes `text` spoken by `voice` to the WAV file `path`."""
    if voice["engine"] == "espeak-ng":
        cmd = [
            "espeak-ng", "-v", f"{voice['lang']}+{voice['variant']}",
            "-p", str(voice["pitch"]), "-s", str(voice["speed"]), "-w", str(path), text,
        ]
    else:
        cmd = ["flite", "-voice", voice["voice"], "-t", text, "-o", str(path)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def split_phrases(x, fs):
    """Cuts speech at silences of 80 ms or more into phrases of >= 0.3 s
    (longer than 5 s: also at their quietest 10 ms), each trimmed to its
    speech and normalised to unit RMS over its speech."""
    frame = fs // 100
    n = len(x) // frame
    energy = (x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    active = energy > energy.max() * 10 ** (-40 / 10)
    spans = []
    k = 0
    while k < n:
        if not active[k]:
            k += 1
            continue
        start = k
        silent = 0
        while k < n and silent < 8:
            silent = 0 if active[k] else silent + 1
            k += 1
        spans.append((start, k - silent))
    cut = []
    while spans:
        start, end = spans.pop()
        if end - start > 500:
            q = (end - start) // 4
            m = start + q + int(np.argmin(energy[start + q : end - q]))
            spans += [(start, m), (m + 1, end)]
        elif end - start >= 30:
            cut.append((start, end))
    out = []
    for start, end in sorted(cut):
        speech = active[start:end]
        rms = np.sqrt(energy[start:end][speech].mean()) if speech.any() else 1.0
        out.append((x[start * frame : end * frame] / max(rms, 1e-9)).astype(np.float32))
    return out


def phrases(voice, fs, cache_dir):
    """The voice's phrases at `fs` Hz (cached)."""
    key = hashlib.sha256(json.dumps([voice, fs, READ_SECONDS, WORDS]).encode()).hexdigest()[:16]
    path = Path(cache_dir) / "voices" / f"{voice['id']}-{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return [z[k] for k in sorted(z.files, key=int)]
    seed = int(hashlib.sha256(voice["id"].encode()).hexdigest()[:8], 16)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "v.wav"
        synthesise(voice, text_for(seed, READ_SECONDS), wav)
        x, rate = soundfile.read(wav, dtype="float64")
    if x.ndim > 1:
        x = x.mean(axis=1)
    g = gcd(rate, fs)
    x = resample_poly(x, fs // g, rate // g)
    out = split_phrases(x, fs)
    if not out:
        raise RuntimeError(f"voice {voice['id']} produced no speech")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_suffix(".tmp.npz")
    np.savez(tmp_path, **{str(i): p for i, p in enumerate(out)})
    os.replace(tmp_path, path)
    return out
