# The float reference of the spectral detector (core/src/activity/spectral/),
# written during the offline study that chose it (issue 10): what
# core/tests/spectral_compare.py checks the integer module against.
"""research (issue 10): shared loader, features and scoring for the offline mic-detector study.

Scoring is imported from tests/rooms/evaluate.py."""
import json
import sys
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import butter, sosfilt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evaluate as ev  # noqa: E402
import generate  # noqa: E402

CACHE = Path("/work/rooms-cache")
FS = 8000
STEP = ev.STEP


def rooms(split=None, mic="omni", dmin=None):
    out = []
    for d in sorted(CACHE.iterdir()):
        j = d / "room.json"
        if not j.exists():
            continue
        r = json.loads(j.read_text())
        if split and r["split"] != split:
            continue
        if r["hardware"]["mic"] != mic:
            continue
        if dmin is not None and abs(r["hardware"]["distance_min"] - dmin) > 1e-6:
            continue
        if r["duration_s"] < 590:
            continue
        out.append((d, r))
    return out


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


def summary(results):
    s = ev.summarise(results)
    return s


def fmt(s):
    return (f"mean {s['mean_error']:5.1f}% med {s['median_error']:5.1f}% miss {s['missed']:4.1f} "
            f"FAxt {s['fa_crosstalk']:4.1f} FAsil {s['fa_silence']:4.1f} conf {s['confusion']:4.1f} "
            f"ovl-m {s['missed_overlap']:4.1f} <=3pp {s['within_3pp']:5.1f}%")


def geometry_lags(r):
    """L[j, k]: extra delay (samples) of talker j's direct sound at mic k over mic j."""
    M = np.array([s["mouth_m"] for s in r["seats"]])
    P = np.array([s["mic_m"] for s in r["seats"]])
    D = np.linalg.norm(M[:, None] - P[None], axis=2)
    return (D - np.diag(D)[:, None]) / 343.0 * FS


BAND = None


def band_mask(n=256, lo=250, hi=3500):
    f = np.fft.rfftfreq(n, 1 / FS)
    return (f >= lo) & (f <= hi)


def gcc(X, pairs, maxlag=40, smooth=0.0, band=None, interp=1, beta=1.0):
    """PHAT cross-correlation R[p, t, lag] (lags -maxlag..maxlag, positive = b later
    than a), cross-spectra recursively averaged over frames (smooth = pole)."""
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    out = np.zeros((len(pairs), T, 2 * maxlag * interp + 1), np.float32)
    for p, (a, b) in enumerate(pairs):
        C = X[a] * np.conj(X[b])
        if smooth > 0:
            from scipy.signal import lfilter
            C = lfilter([1 - smooth], [1, -smooth], C, axis=0)
        C = C / (np.abs(C) + 1e-9) ** beta
        C[:, ~band] = 0
        if beta != 1.0:
            C = C / (np.abs(C).sum(axis=1, keepdims=True) + 1e-9) * band.sum()
        R = np.fft.irfft(C, n=n * interp, axis=1) * (n * interp) / band.sum()
        m = maxlag * interp
        out[p] = np.concatenate([R[:, -m:], R[:, : m + 1]], axis=1)[:, ::-1]  # index m+l: b later by l
    return out


def lead(R, pairs, S, lmin=4, maxlag=40):
    """lead[j, k, t]: best PHAT correlation at lags where mic k hears later than mic j by >= lmin."""
    m = (R.shape[2] - 1) // 2
    out = np.full((S, S, R.shape[1]), np.inf, np.float32)
    for p, (a, b) in enumerate(pairs):
        out[a, b] = R[p, :, m + lmin : m + maxlag + 1].max(1)
        out[b, a] = R[p, :, m - maxlag : m - lmin + 1].max(1)
    return out


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


def lead_masked(X, smooth=0.8, maxlag=40, lmin=2, mode="norm-first", mask=None, band=None):
    """lead[j, k, t] with seat j's cross-spectra accumulated only over bins in mask[j]
    (None: all bins). mode: 'norm-first' (PHAT per frame, then average: magnitude = coherence)
    or 'norm-after' (average then PHAT)."""
    from scipy.signal import lfilter
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    Xn = X / (np.abs(X) + 1e-9)
    out = np.full((S, S, T), np.inf, np.float32)
    for j in range(S):
        for k in range(S):
            if k == j:
                continue
            if mode == "norm-first":
                C = Xn[j] * np.conj(Xn[k])
            else:
                C = X[j] * np.conj(X[k])
            if mask is not None:
                C = C * mask[j]
            C = lfilter([1 - smooth], [1, -smooth], C, axis=0)
            if mode != "norm-first":
                C = C / (np.abs(C) + 1e-9)
            C[:, ~band] = 0
            R = np.fft.irfft(C, n=n, axis=1) * n / band.sum()
            out[j, k] = R[:, n - maxlag : n - lmin + 1].max(1)  # irfft(Xj Xk*) peaks at n-l when k hears later by l
    return out


def dominance(X, how="snr"):
    """mask[j, t, f]: mic j has the highest (noise-floor-normalised) power in the bin."""
    P = np.abs(X) ** 2
    if how == "snr":
        P = P / (noise_floor(P) + 1e-9)
    return P >= P.max(axis=0, keepdims=True)


def lead_dom(X, mask, smooth=0.9, maxlag=40, lmin=2, fdec=1, band=None):
    """Fast 'norm-first, dominant bins' lead[j, k, t]. fdec=2 sums bin pairs (128-point IFFT)."""
    from scipy.signal import lfilter
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    Xn = X / (np.abs(X) + 1e-9)
    Xn[:, :, ~band] = 0
    out = np.full((S, S, T), np.inf, np.float32)
    for j in range(S):
        C = (Xn[j][None] * np.conj(Xn)) * mask[j][None]     # [S, T, F]
        C = lfilter([1 - smooth], [1, -smooth], C, axis=1)
        if fdec == 2:
            C = C[:, :, : 2 * (F // 2)].reshape(S, T, F // 2, 2).sum(axis=3)
            m = 2 * (F // 2 - 1) + 2 * 0
            nn = n // 2
            C = C[:, :, : nn // 2 + 1]
            R = np.fft.irfft(C, n=nn, axis=2) * n / band.sum()
        else:
            nn = n
            R = np.fft.irfft(C, n=nn, axis=2) * n / band.sum()
        for k in range(S):
            if k != j:
                out[j, k] = R[k, :, nn - maxlag : nn - lmin + 1].max(1)
    return out


def lead_dom2(X, mask, smooth=0.85, ranges=((2, 40),), occ_norm=False, band=None, occ_floor=0.05):
    """As lead_dom, returns {(lmin, maxlag): lead[j, k, t]}. occ_norm: divide by seat j's smoothed
    share of dominated band bins (max with occ_floor)."""
    from scipy.signal import lfilter
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    Xn = X / (np.abs(X) + 1e-9)
    Xn[:, :, ~band] = 0
    out = {rg: np.full((S, S, T), np.inf, np.float32) for rg in ranges}
    for j in range(S):
        C = (Xn[j][None] * np.conj(Xn)) * mask[j][None]
        C = lfilter([1 - smooth], [1, -smooth], C, axis=1)
        R = np.fft.irfft(C, n=n, axis=2) * n / band.sum()
        if occ_norm:
            occ = lfilter([1 - smooth], [1, -smooth], (mask[j][:, band]).mean(axis=1))
            R = R / np.maximum(occ, occ_floor)[None, :, None]
        for (lmin, maxlag) in ranges:
            for k in range(S):
                if k != j:
                    out[(lmin, maxlag)][j, k] = R[k, :, n - maxlag : n - lmin + 1].max(1)
    return out


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


def lead_dom4(X, mask, smooth=0.75, lmin=2, maxlag=40, null=(64, 112), band=None):
    """pos, neg as lead_dom3 plus nullmax / nullrms[j, k, t]: max / rms of |R_jk| over lags null[0]..null[1]
    on both sides (no direct path can be that late on a meeting table: a per-frame noise reference)."""
    from scipy.signal import lfilter
    S, T, F = X.shape
    n = 2 * (F - 1)
    band = band_mask(n) if band is None else band
    Xn = X / (np.abs(X) + 1e-9)
    Xn[:, :, ~band] = 0
    pos = np.full((S, S, T), np.inf, np.float32)
    neg = np.full((S, S, T), -np.inf, np.float32)
    nmax = np.full((S, S, T), np.inf, np.float32)
    nrms = np.full((S, S, T), np.inf, np.float32)
    a, b = null
    for j in range(S):
        C = (Xn[j][None] * np.conj(Xn)) * mask[j][None]
        C = lfilter([1 - smooth], [1, -smooth], C, axis=1)
        R = np.fft.irfft(C, n=n, axis=2) * n / band.sum()
        for k in range(S):
            if k != j:
                pos[j, k] = R[k, :, n - maxlag : n - lmin + 1].max(1)
                neg[j, k] = R[k, :, lmin : maxlag + 1].max(1)
                nz = np.concatenate([R[k, :, a : b + 1], R[k, :, n - b : n - a + 1]], axis=1)
                nmax[j, k] = np.abs(nz).max(1)
                nrms[j, k] = np.sqrt((nz ** 2).mean(1))
    return pos, neg, nmax, nrms


def segment_decide_th(ld, lo, hi, fill, min_on=3):
    """Hysteresis segments with per-seat thresholds lo[s], hi[s] (arrays)."""
    out = np.zeros(ld.shape, bool)
    for s in range(ld.shape[0]):
        cand = smooth_mask((ld[s] > lo[s])[None], fill=fill)[0]
        for u, v in runs(cand):
            if v - u >= min_on and ld[s, u:v].max() > hi[s]:
                out[s, u:v] = True
    return out


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


def causal_hysteresis(ld, lo, hi, fill, min_on=3, max_back=50):
    """Frame-by-frame state machine (what the device runs). Per seat:
    idle -> pending at the first frame > lo (start = that frame); pending -> on at a frame > hi
    (turn start back-dated to the pending start, at most max_back frames back); a pending or on run
    ends when no frame > lo has come for `fill` frames (end = last frame > lo, +1).
    Turns shorter than min_on frames are dropped. Returns the [S, T] mask the log would hold."""
    S, T = ld.shape
    out = np.zeros((S, T), bool)
    for s in range(S):
        state, start, last, conf = 0, 0, 0, 0
        for t in range(T):
            v = ld[s, t]
            if state == 0:
                if v > lo:
                    state, start, last = 1, t, t
                    if v > hi:
                        state, conf = 2, t
            else:
                if v > lo:
                    last = t
                    if state == 1 and v > hi:
                        state, conf = 2, t
                        start = max(start, t - max_back)
                elif t - last > fill:
                    if state == 2 and last + 1 - start >= min_on:
                        out[s, start : last + 1] = True
                    state = 0
        if state == 2 and last + 1 - start >= min_on:
            out[s, start : last + 1] = True
    return out
