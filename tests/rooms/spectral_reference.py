"""The float reference of the spectral detector (core/src/activity/spectral/).

Written during the offline study that chose it (issue 10); what
core/tests/spectral_compare.py checks the integer module against. Scoring is
imported from tests/rooms/evaluate.py."""
import sys
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evaluate as ev  # noqa: E402

FS = 8000
STEP = ev.STEP


def load(d, r, seconds=None):
    """x [S, n] float (mean removed), ref [S, frames], room (duration cut)."""
    x = ev.audio(d, r)
    x = x - x.mean(axis=1, keepdims=True)
    r = dict(r)
    if seconds:
        x = x[:, : int(seconds * FS)]
        r["duration_s"] = float(seconds)
    ref = ev.reference(d, r)
    return x, ref, r


def highpass(x, hz=250):
    sos = butter(2, hz, "highpass", fs=FS, output="sos")
    return sosfilt(sos, x, axis=1)


def stft(x, n=256, hop=160):
    """[S, T, n//2+1] complex, frames start at t*hop (Hann window)."""
    S, L = x.shape
    T = 1 + (L - n) // hop
    idx = np.arange(n)[None, :] + hop * np.arange(T)[:, None]
    w = np.hanning(n)
    return np.fft.rfft(x[:, idx] * w, axis=2)


def to_grid(a, hop, n_grid, n=256):
    """Per-frame [S, T] decisions onto the 10 ms grid (frame t covers its centre)."""
    centre = (np.arange(n_grid) + 0.5) * STEP * FS  # sample index of grid cell centre
    t = np.clip(np.round((centre - n / 2) / hop).astype(int), 0, a.shape[1] - 1)
    return a[:, t]


def score(ref, hyp):
    return ev.score(ref, hyp)


BAND = None


def band_mask(n=256, lo=250, hi=3500):
    f = np.fft.rfftfreq(n, 1 / FS)
    return (f >= lo) & (f <= hi)


def smooth_mask(act, fill=0, min_on=0):
    """Bridge gaps up to `fill` frames, then drop runs shorter than `min_on` frames."""
    act = act.copy()
    for s in range(act.shape[0]):
        a = act[s]
        if fill:
            idx = np.flatnonzero(a)
            if len(idx):
                gaps = np.diff(idx)
                for i in np.flatnonzero((gaps > 1) & (gaps <= fill + 1)):
                    a[idx[i] : idx[i + 1]] = True
        if min_on:
            d = np.diff(np.concatenate([[0], a.astype(int), [0]]))
            st, en = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
            for u, v in zip(st, en):
                if v - u < min_on:
                    a[u:v] = False
    return act


def runs(a):
    d = np.diff(np.concatenate([[0], a.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def segment_decide(ld, th_lo, th_hi, fill, stat="max", q=0.2, min_on=3):
    """Candidate segments: runs of ld > th_lo with gaps <= fill bridged; a segment is kept
    when its evidence passes: max (hysteresis), frac (share of frames > th_hi >= q), mean (> th_hi)."""
    cand = smooth_mask(ld > th_lo, fill=fill)
    out = np.zeros_like(cand)
    for s in range(ld.shape[0]):
        for u, v in runs(cand[s]):
            seg = ld[s, u:v]
            if v - u < min_on:
                continue
            if stat == "max":
                ok = seg.max() > th_hi
            elif stat == "frac":
                ok = np.mean(seg > th_hi) >= q
            elif stat == "mean":
                ok = seg.mean() > th_hi
            elif stat == "count":
                ok = np.sum(seg > th_hi) >= q
            if ok:
                out[s, u:v] = True
    return out


def noise_floor(P, up=1.002, down=0.9):
    """Per seat, per bin slow-up fast-down floor tracker over frames. P [S, T, F] power."""
    S, T, F = P.shape
    fl = np.empty_like(P)
    cur = P[:, :50].mean(axis=1)
    for t in range(T):
        p = P[:, t]
        cur = np.where(p < cur, np.maximum(cur * down, p), cur * up)
        fl[:, t] = cur
    return fl


def dominance(X, how="snr"):
    """mask[j, t, f]: mic j has the highest (noise-floor-normalised) power in the bin."""
    P = np.abs(X) ** 2
    if how == "snr":
        P = P / (noise_floor(P) + 1e-9)
    return P >= P.max(axis=0, keepdims=True)


def lead_dom3(X, mask, smooth=0.75, lmin=2, maxlag=40, band=None):
    """pos[j, k, t] = max_{l=lmin..maxlag} R_jk (k later), neg[j, k, t] = same for k earlier,
    from seat j's dominant-bin accumulators (norm-first)."""
    from scipy.signal import lfilter
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    Xn = X / (np.abs(X) + 1e-9)
    Xn[:, :, ~band] = 0
    pos = np.full((S, S, T), np.inf, np.float32)
    neg = np.full((S, S, T), -np.inf, np.float32)
    for j in range(S):
        C = (Xn[j][None] * np.conj(Xn)) * mask[j][None]
        C = lfilter([1 - smooth], [1, -smooth], C, axis=1)
        R = np.fft.irfft(C, n=n, axis=2) * n / band.sum()
        for k in range(S):
            if k != j:
                pos[j, k] = R[k, :, n - maxlag : n - lmin + 1].max(1)
                neg[j, k] = R[k, :, lmin : maxlag + 1].max(1)
    return pos, neg


def lead_int(X, mask, phase_bits=8, shift=2, fdec=1, lmin=2, maxlag=40, band=None, q=14):
    """Integer emulation of v2: phases quantised to phase_bits, unit phasors from a Q`q` table,
    accumulators int32 with A -= A >> shift (pole 1 - 2^-shift), increment table >> shift;
    fdec=2 sums bin pairs (64 bins, 128-point inverse FFT). Returns min_k pos[j, k, t]."""
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    L = 1 << phase_bits
    ph = np.round(np.angle(X) / (2 * np.pi) * L).astype(np.int64) % L        # [S, T, F]
    cos_t = np.round(np.cos(2 * np.pi * np.arange(L) / L) * (1 << q)).astype(np.int64)
    sin_t = np.round(np.sin(2 * np.pi * np.arange(L) / L) * (1 << q)).astype(np.int64)
    bins = np.flatnonzero(band)
    mn = np.full((S, T), np.inf, np.float32)
    for j in range(S):
        for k in range(S):
            if k == j:
                continue
            d = (ph[j][:, bins] - ph[k][:, bins]) % L                      # angle of U_j conj(U_k)
            m = mask[j][:, bins]
            inc_r = np.where(m, cos_t[d] >> shift, 0)
            inc_i = np.where(m, sin_t[d] >> shift, 0)
            Ar = np.zeros(len(bins), np.int64); Ai = np.zeros(len(bins), np.int64)
            outr = np.empty((T, len(bins)), np.int64); outi = np.empty((T, len(bins)), np.int64)
            for t in range(T):
                Ar = Ar - (Ar >> shift) + inc_r[t]
                Ai = Ai - (Ai >> shift) + inc_i[t]
                outr[t] = Ar; outi[t] = Ai
            C = np.zeros((T, F), complex)
            C[:, bins] = (outr + 1j * outi) / (1 << q)
            if fdec == 2:
                C = C[:, : 2 * (F // 2)].reshape(T, F // 2, 2).sum(axis=2)
                nn = n // 2
                C = C[:, : nn // 2 + 1]
            else:
                nn = n
            R = np.fft.irfft(C, n=nn, axis=1) * n / band.sum()
            v = R[:, nn - maxlag : nn - lmin + 1].max(1)
            mn[j] = np.minimum(mn[j], v)
    return mn

