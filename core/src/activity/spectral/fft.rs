//! A 256-point fixed-point real FFT for [`spectral`](super): Hann window,
//! block floating point, integer only, no division.
//!
//! The 256 real samples are windowed, scaled as a block so that the largest
//! fits in 15 bits (the scale is returned as an exponent), packed as 128
//! complex values (`z[n] = x[2n] + i·x[2n+1]`), transformed by a radix-2
//! decimation-in-time 128-point complex FFT, and split into the real
//! signal's bins — only the bins the caller asks for. A stage halves its
//! outputs only when its largest input component has reached 2^14 (block
//! floating point per stage), so no magnitude outgrows 2^16.5 and every
//! product fits 32 bits, and signals that do not grow much (noise, clicks)
//! keep their precision.
//!
//! Scaling: bin `k` of the returned spectrum is
//! `X[k] · 2^exponent`, where `X` is the DFT of the windowed input
//! (`Σ x[n]·w[n]·e^{−2πikn/256}`, numpy's sign). Twiddle factors are the
//! Q14 table of [`phase`](super::phase).
//!
//! Cost: 448 butterflies (4 multiplies each) plus 4 multiplies per
//! requested bin. Each stage is one loop over fixed-size groups with its
//! own twiddle table and its halving chosen once per stage, so no index is
//! checked per butterfly; about 40 k Cortex-M0+ cycles per transform with
//! the split of 105 bins (the on-target benchmark, tests/bench-target,
//! `--profile`).
//!
//! Every intermediate value is bounded (magnitudes below 2^15.5 between
//! stages, sums below 2^30.5), so no input overflows or panics.

use super::phase::{bit_length, COS_Q14};

/// Samples per transform.
pub const N: usize = 256;
/// Complex points of the inner transform.
const HALF: usize = N / 2;

/// The symmetric Hann window (numpy's `hanning(256)`), first half, Q15.
const HANN_Q15: [u16; 128] = [
    0, 5, 20, 45, 80, 124, 179, 243, 317, 401, 495, 598, 711, 833, 965, 1106, 1257, 1416, 1585,
    1763, 1949, 2145, 2349, 2561, 2782, 3011, 3249, 3494, 3747, 4008, 4276, 4552, 4834, 5124, 5421,
    5724, 6034, 6350, 6672, 7000, 7334, 7673, 8018, 8367, 8722, 9081, 9445, 9812, 10184, 10560,
    10939, 11321, 11707, 12095, 12486, 12879, 13274, 13672, 14070, 14471, 14872, 15275, 15678,
    16081, 16485, 16889, 17292, 17695, 18097, 18498, 18897, 19295, 19692, 20086, 20478, 20868,
    21255, 21639, 22019, 22397, 22770, 23140, 23506, 23867, 24224, 24576, 24923, 25265, 25602,
    25932, 26258, 26577, 26890, 27196, 27496, 27789, 28076, 28355, 28627, 28892, 29148, 29398,
    29639, 29872, 30097, 30314, 30522, 30722, 30913, 31095, 31268, 31432, 31588, 31733, 31870,
    31997, 32115, 32223, 32321, 32410, 32489, 32558, 32618, 32667, 32707, 32737, 32757, 32767,
];

/// `over(v)` is at least [`LIMIT`] exactly when `v` is outside
/// `−2^14 .. 2^14`; OR-ed over a stage's outputs, it says whether the next
/// stage must halve.
#[inline(always)]
fn over(v: i32) -> u32 {
    v.wrapping_add(1 << 14) as u32
}

/// See [`over`].
const LIMIT: u32 = 1 << 15;

/// `i` with its 7 bits reversed.
const fn reverse7(i: usize) -> usize {
    let mut r = 0;
    let mut b = 0;
    while b < 7 {
        r |= ((i >> b) & 1) << (6 - b);
        b += 1;
    }
    r
}

// Evaluated at compile time: an index out of range would not compile.
#[allow(clippy::indexing_slicing)]
const BIT_REVERSE: [u8; HALF] = {
    let mut t = [0u8; HALF];
    let mut i = 0;
    while i < HALF {
        t[i] = reverse7(i) as u8;
        i += 1;
    }
    t
};

// Evaluated at compile time: an index out of range would not compile.
#[allow(clippy::indexing_slicing)]
/// The Hann window as pairs of samples (`[w[2n], w[2n+1]]`, Q15): the
/// packing reads two samples at a time.
const WINDOW_PAIRS: [[u16; 2]; HALF] = {
    let mut t = [[0u16; 2]; HALF];
    let mut n = 0;
    while n < HALF {
        let (a, b) = (2 * n, 2 * n + 1);
        let (ma, mb) = (
            if a < HALF { a } else { N - 1 - a },
            if b < HALF { b } else { N - 1 - b },
        );
        t[n] = [HANN_Q15[ma], HANN_Q15[mb]];
        n += 1;
    }
    t
};

// Only ever evaluated at compile time (the `TW` constants): an index out
// of range would not compile.
#[allow(clippy::indexing_slicing)]
/// `[cos θ, sin θ]` (Q14) for `θ = j·(128/H)` phase units, `j < H`: the
/// twiddles of the stage with `2H`-point groups.
const fn twiddles<const H: usize>() -> [[i32; 2]; H] {
    let mut t = [[0i32; 2]; H];
    let mut j = 0;
    while j < H {
        let theta = (j * (HALF / H)) & 255;
        t[j] = [
            COS_Q14[theta] as i32,
            COS_Q14[(theta + 256 - 64) & 255] as i32,
        ];
        j += 1;
    }
    t
}

const TW4: [[i32; 2]; 4] = twiddles::<4>();
const TW8: [[i32; 2]; 8] = twiddles::<8>();
const TW16: [[i32; 2]; 16] = twiddles::<16>();
const TW32: [[i32; 2]; 32] = twiddles::<32>();
const TW64: [[i32; 2]; 64] = twiddles::<64>();
/// `[cos k, sin k]` (Q14) in phase units, `k < 128`: the split's twiddles.
const TW_SPLIT: [[i32; 2]; HALF] = twiddles::<HALF>();

/// Working storage of one transform (1 KiB); kept by the caller so that
/// it need not live on the stack.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The complex points, `[re, im]`.
    z: [[i32; 2]; HALF],
    /// Halvings of the split (1 or 2), chosen by the last stage's size.
    split_shift: u32,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

/// One radix-2 stage on `2H`-point groups with twiddles `tw`, halving
/// its outputs by `2^SH`; returns the OR of [`over`] of its outputs.
/// Slices of known length, no index: no bounds checks in the loop.
#[inline(always)]
fn stage<const H: usize, const SH: u32>(z: &mut [[i32; 2]; HALF], tw: &[[i32; 2]; H]) -> u32 {
    let mut bits = 0u32;
    for group in z.chunks_exact_mut(2 * H) {
        let Some((a, b)) = group.split_at_mut_checked(H) else {
            continue;
        };
        for ((x, y), &[c, s]) in a.iter_mut().zip(b.iter_mut()).zip(tw.iter()) {
            let [xr, xi] = *x;
            let [br, bi] = *y;
            // t = b · e^{−iθ} = (br·c + bi·s) + i(bi·c − br·s);
            // |b| < 2^15.5: each sum below 2^29.5.
            let tr = (br * c + bi * s) >> 14;
            let ti = (bi * c - br * s) >> 14;
            let (ar, ai, br, bi) = (
                (xr + tr) >> SH,
                (xi + ti) >> SH,
                (xr - tr) >> SH,
                (xi - ti) >> SH,
            );
            *x = [ar, ai];
            *y = [br, bi];
            bits |= over(ar) | over(ai) | over(br) | over(bi);
        }
    }
    bits
}

/// [`stage`] with the halving chosen by the previous stage's `bits`;
/// counts it in `halvings`.
#[inline(always)]
fn stage_after<const H: usize>(
    z: &mut [[i32; 2]; HALF],
    tw: &[[i32; 2]; H],
    bits: u32,
    halvings: &mut i32,
) -> u32 {
    if bits >= LIMIT {
        *halvings += 1;
        stage::<H, 1>(z, tw)
    } else {
        stage::<H, 0>(z, tw)
    }
}

/// Stage 2 (twiddles 1 and −i) on 4-point groups, halving by `2^SH`.
#[inline(always)]
fn stage2<const SH: u32>(z: &mut [[i32; 2]; HALF]) -> u32 {
    let mut bits = 0u32;
    for g in z.chunks_exact_mut(4) {
        let Ok(g) = <&mut [[i32; 2]; 4]>::try_from(g) else {
            continue;
        };
        let [[xr0, xi0], [xr1, xi1], [br0, bi0], [br1, bi1]] = *g;
        // j = 0: t = b; j = 1: t = b · (−i) = (bi, −br).
        let (a0r, a0i) = ((xr0 + br0) >> SH, (xi0 + bi0) >> SH);
        let (a1r, a1i) = ((xr1 + bi1) >> SH, (xi1 - br1) >> SH);
        let (b0r, b0i) = ((xr0 - br0) >> SH, (xi0 - bi0) >> SH);
        let (b1r, b1i) = ((xr1 - bi1) >> SH, (xi1 + br1) >> SH);
        *g = [[a0r, a0i], [a1r, a1i], [b0r, b0i], [b1r, b1i]];
        bits |= over(a0r) | over(a0i) | over(a1r) | over(a1i);
        bits |= over(b0r) | over(b0i) | over(b1r) | over(b1i);
    }
    bits
}

impl Workspace {
    /// Zeroed storage.
    pub const fn new() -> Self {
        Workspace {
            z: [[0; 2]; HALF],
            split_shift: 1,
        }
    }

    /// Transforms the 256 samples `sample(0) .. sample(255)` (windowed
    /// here) and returns the block exponent: the spectrum is then read with
    /// [`bin`](Self::bin) or [`bins`](Self::bins). An all-zero frame gives
    /// an all-zero spectrum.
    pub fn transform(&mut self, mut sample: impl FnMut(usize) -> i16) -> i32 {
        let mut x = [0i16; N];
        for (n, v) in x.iter_mut().enumerate() {
            *v = sample(n);
        }
        self.transform_frame(&x)
    }

    /// [`transform`](Self::transform) of the 256 samples `x`.
    pub fn transform_frame(&mut self, x: &[i16; N]) -> i32 {
        // Window, pack (even samples real, odd imaginary) in bit-reversed
        // order, and find the largest magnitude.
        let mut bits_or = 0u32;
        for ((pair, &slot), &[wa, wb]) in x
            .chunks_exact(2)
            .zip(BIT_REVERSE.iter())
            .zip(WINDOW_PAIRS.iter())
        {
            let (Some(&xa), Some(&xb)) = (pair.first(), pair.get(1)) else {
                continue;
            };
            let a = i32::from(xa) * i32::from(wa);
            let b = i32::from(xb) * i32::from(wb);
            bits_or |= a.unsigned_abs() | b.unsigned_abs();
            if let Some(z) = self.z.get_mut(usize::from(slot)) {
                *z = [a, b];
            }
        }
        // Block floating point: the largest value gets 14 bits (so every
        // complex magnitude is below 2^14.5 and the stages cannot overflow).
        let bits = bit_length(bits_or) as i32;
        let shift = bits - 14;
        let halvings = self.butterflies(shift);
        // X_returned = X_true(windowed) · 2^(shift − 15 − halvings): the
        // window is Q15.
        shift - 15 + halvings
    }

    /// The radix-2 stages, after scaling the input by `2^−shift`. A stage
    /// halves its outputs only when an input component has reached 2^14
    /// (block floating point per stage), so that magnitudes stay below
    /// 2^15.5 between stages; returns how many stages halved.
    fn butterflies(&mut self, shift: i32) -> i32 {
        let z = &mut self.z;
        // Stage 1 (twiddle 1) on adjacent pairs, with the input scaling; no
        // halving (inputs below 2^14).
        let mut bits = 0u32;
        let (right, left) = (shift.clamp(0, 31) as u32, (-shift).clamp(0, 31) as u32);
        for pair in z.chunks_exact_mut(2) {
            let Ok(pair) = <&mut [[i32; 2]; 2]>::try_from(pair) else {
                continue;
            };
            let [[xr, xi], [yr, yi]] = *pair;
            let (xr, xi) = ((xr >> right) << left, (xi >> right) << left);
            let (yr, yi) = ((yr >> right) << left, (yi >> right) << left);
            let out = [[xr + yr, xi + yi], [xr - yr, xi - yi]];
            bits |= over(out[0][0]) | over(out[0][1]) | over(out[1][0]) | over(out[1][1]);
            *pair = out;
        }
        let mut halvings = 0;
        // Stage 2: twiddles 1 and −i.
        bits = if bits >= LIMIT {
            halvings += 1;
            stage2::<1>(z)
        } else {
            stage2::<0>(z)
        };
        // Stages 3..=7.
        bits = stage_after(z, &TW4, bits, &mut halvings);
        bits = stage_after(z, &TW8, bits, &mut halvings);
        bits = stage_after(z, &TW16, bits, &mut halvings);
        bits = stage_after(z, &TW32, bits, &mut halvings);
        bits = stage_after(z, &TW64, bits, &mut halvings);
        // The split (Workspace::bin) forms 2E and 2O, and (2E + W·2O)/2:
        // when an output has reached 2^14 it halves 2E and 2O first (and
        // so the result).
        self.split_shift = 1 + u32::from(bits >= LIMIT);
        halvings + self.split_shift as i32 - 1
    }

    /// Bin `k` (`1..=127`) of the real spectrum of the last
    /// [`transform`](Self::transform), as `(re, im)`; each below 2^15.5 in
    /// magnitude. `(0, 0)` for other `k`.
    #[inline]
    pub fn bin(&self, k: usize) -> (i32, i32) {
        if k == 0 || k >= HALF {
            return (0, 0);
        }
        let (Some(&z), Some(&c), Some(&w)) = (self.z.get(k), self.z.get(HALF - k), TW_SPLIT.get(k))
        else {
            return (0, 0);
        };
        split(z, c, w, self.split_shift)
    }

    /// Bins `lo .. lo + count` in order, as [`bin`](Self::bin) gives them,
    /// without an index per bin; only those within `1..=127` (a range
    /// reaching outside yields fewer).
    pub fn bins(&self, lo: usize, count: usize) -> impl Iterator<Item = (i32, i32)> + '_ {
        let sh = self.split_shift;
        // Z[k] and W^k by forward slices (their zip needs one count, not
        // one per slice); the mirror Z[128 − k] by index.
        let (from, to) = (lo.clamp(1, HALF), lo.saturating_add(count).clamp(1, HALF));
        let z = &self.z;
        z.get(from..to)
            .unwrap_or(&[])
            .iter()
            .zip(TW_SPLIT.get(from..to).unwrap_or(&[]).iter())
            .enumerate()
            .map(move |(n, (&zk, &w))| {
                let c = z
                    .get(HALF.wrapping_sub(from + n))
                    .copied()
                    .unwrap_or([0, 0]);
                split(zk, c, w, sh)
            })
    }
}

/// Bin `k` of the real spectrum from `Z[k]`, `Z[128 − k]` and
/// `W = [cos k, sin k]`.
#[inline(always)]
fn split([zr, zi]: [i32; 2], [cr, ci]: [i32; 2], [c, s]: [i32; 2], sh: u32) -> (i32, i32) {
    // Even part E = (Z[k] + conj Z[128−k]) / 2, odd part
    // O = (Z[k] − conj Z[128−k]) / 2i, X = (E + e^{−2πik/256}·O) / 2.
    // Without the halvings here 2E and 2O: when the outputs are below
    // 2^14, each is below 2^15.5 and the products fit.
    let (er, ei) = ((zr + cr) >> (sh - 1), (zi - ci) >> (sh - 1));
    let (or, oi) = ((zi + ci) >> (sh - 1), (cr - zr) >> (sh - 1));
    let tr = (or * c + oi * s) >> 14;
    let ti = (oi * c - or * s) >> 14;
    ((er + tr) >> 1, (ei + ti) >> 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::needless_range_loop)]
    use super::*;
    extern crate std;
    use std::vec::Vec;

    /// Direct DFT of the windowed signal (f64), bins 0..=128.
    fn dft(x: &[i16]) -> Vec<(f64, f64)> {
        let w: Vec<f64> = (0..N)
            .map(|n| 0.5 - 0.5 * (2.0 * core::f64::consts::PI * n as f64 / 255.0).cos())
            .collect();
        (0..=HALF)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for n in 0..N {
                    let a = -2.0 * core::f64::consts::PI * (k * n) as f64 / N as f64;
                    let v = f64::from(x[n]) * w[n];
                    re += v * a.cos();
                    im += v * a.sin();
                }
                (re, im)
            })
            .collect()
    }

    struct Lcg(u32);
    impl Lcg {
        fn next(&mut self) -> i32 {
            self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (self.0 >> 16) as i32 - 32768
        }
    }

    /// Largest error over bins 1..=127 relative to the largest bin, and the
    /// largest phase error (units of 1/256 turn) over bins within 20 dB of
    /// the largest.
    fn errors(x: &[i16]) -> (f64, f64) {
        let mut ws = Workspace::new();
        let e = ws.transform(|n| x[n]);
        let exact = dft(x);
        let peak = exact[1..HALF]
            .iter()
            .map(|(r, i)| (r * r + i * i).sqrt())
            .fold(0.0, f64::max);
        let scale = 2f64.powi(e);
        let (mut worst, mut worst_phase) = (0.0f64, 0.0f64);
        for k in 1..HALF {
            let (r, i) = ws.bin(k);
            let (r, i) = (f64::from(r) * scale, f64::from(i) * scale);
            let (er, ei) = exact[k];
            let err = ((r - er).powi(2) + (i - ei).powi(2)).sqrt() / peak;
            worst = worst.max(err);
            let mag = (er * er + ei * ei).sqrt();
            if mag > peak / 10.0 {
                let d = (i.atan2(r) - ei.atan2(er)) * 128.0 / core::f64::consts::PI;
                let d = d.rem_euclid(256.0);
                worst_phase = worst_phase.max(d.min(256.0 - d));
            }
        }
        (worst, worst_phase)
    }

    #[test]
    fn matches_a_direct_dft_on_tones_noise_and_an_impulse() {
        let mut rng = Lcg(7);
        let tone = |f: f64, a: f64| -> Vec<i16> {
            (0..N)
                .map(|n| {
                    (a * (2.0 * core::f64::consts::PI * f * n as f64 / 8000.0).sin()).round() as i16
                })
                .collect()
        };
        let noise: Vec<i16> = (0..N).map(|_| (rng.next() / 2) as i16).collect();
        let quiet_noise: Vec<i16> = (0..N).map(|_| (rng.next() >> 10) as i16).collect();
        let mut impulse = [0i16; N];
        impulse[100] = 20_000;
        let mut two_tones = tone(440.0, 12_000.0);
        for (v, w) in two_tones.iter_mut().zip(tone(2_345.0, 120.0)) {
            *v += w;
        }
        let full_scale: Vec<i16> = (0..N)
            .map(|n| if n % 3 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        // Error bound relative to the peak bin: with 15-bit block floating
        // point and halving stages only as needed, ~11-12 bits of the peak;
        // phases of bins within 20 dB of it within 0.1 unit (1/2560 turn).
        for (name, x, bound) in [
            ("tone 1 kHz", tone(1000.0, 30_000.0), 5.0e-4),
            ("tiny tone", tone(777.0, 3.0), 5.0e-4),
            ("two tones 40 dB apart", two_tones, 5.0e-4),
            ("white noise", noise, 5.0e-4),
            ("quiet noise", quiet_noise, 5.0e-4),
            ("impulse", impulse.to_vec(), 5.0e-4),
            ("full scale", full_scale, 5.0e-4),
        ] {
            let (err, ph) = errors(&x);
            assert!(err < bound, "{name}: error {err:e} of the peak");
            assert!(ph < 0.1, "{name}: phase error {ph} units");
        }
    }

    #[test]
    fn a_weak_tone_beside_a_strong_one_keeps_its_phase() {
        // 2345 Hz at -40 dB: its bin's phase is right within half a unit.
        let x: Vec<i16> = (0..N)
            .map(|n| {
                let t = n as f64 / 8000.0;
                (12_000.0 * (2.0 * core::f64::consts::PI * 440.0 * t).sin()
                    + 120.0 * (2.0 * core::f64::consts::PI * 2_343.75 * t + 1.0).cos())
                .round() as i16
            })
            .collect();
        let mut ws = Workspace::new();
        ws.transform(|n| x[n]);
        let (r, i) = ws.bin(75);
        let exact = dft(&x)[75];
        let d = ((f64::from(i)).atan2(f64::from(r)) - exact.1.atan2(exact.0)).abs();
        assert!(d < 0.02, "phase off by {d} rad");
    }

    /// Every bin and exponent of 200 frames (noise at every scale from
    /// ±1 to full scale, tones, impulses, a full-scale square) is exactly
    /// what the reference implementation gave: speed-ups of the transform
    /// must not change a bit. (Recorded from the commit that added it.)
    #[test]
    fn every_bin_of_many_frames_is_bit_exact() {
        let mut rng = Lcg(99);
        let mut ws = Workspace::new();
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut fnv = |v: i32| {
            for b in v.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for f in 0..200u32 {
            let shift = f % 17;
            let x: Vec<i16> = (0..N)
                .map(|n| match f % 5 {
                    0 | 1 => (rng.next() >> shift) as i16,
                    2 => {
                        ((((n as u32 * (f + 3)) % 64) as i32 * 500 - 16_000) >> (shift / 2)) as i16
                    }
                    3 => {
                        if n == (f as usize * 7) % N {
                            i16::MAX
                        } else {
                            0
                        }
                    }
                    _ => {
                        if (n + f as usize) % 5 < 2 {
                            i16::MAX
                        } else {
                            i16::MIN
                        }
                    }
                })
                .collect();
            fnv(ws.transform(|n| x[n]));
            for k in 0..=HALF {
                let (r, i) = ws.bin(k);
                fnv(r);
                fnv(i);
            }
        }
        assert_eq!(h, 0x6b75_9847_9955_1d07, "{h:#018x}");
    }

    #[test]
    fn silence_is_zero_and_bins_out_of_range_are_zero() {
        let mut ws = Workspace::new();
        ws.transform(|_| 0);
        for k in 0..200 {
            assert_eq!(ws.bin(k), (0, 0), "bin {k}");
        }
        ws.transform(|n| if n == 5 { 100 } else { 0 });
        assert_eq!(ws.bin(0), (0, 0));
        assert_eq!(ws.bin(128), (0, 0));
        assert_ne!(ws.bin(1), (0, 0));
    }
}
