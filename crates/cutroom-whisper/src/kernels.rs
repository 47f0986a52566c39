//! Element-wise and row kernels for the encoder: layer norm, softmax, the exact (erf) GELU.
//!
//! Each kernel is written once as a branch-free loop that the compiler vectorises, and is
//! compiled twice: for the baseline target and, chosen at run time, with AVX2 and FMA. The
//! exponential and the error function are polynomial approximations accurate to float
//! precision (relative error about 2e-7 for `exp`, absolute error about 1e-7 for `erf`;
//! the tests check both against double-precision references), which is what lets them run
//! eight lanes at a time instead of one libm call per value.

/// `a * b + c`, fused when the caller was compiled with FMA.
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `e^x` for `x` up to 88 (clamped above; 0 below -87): Cody–Waite range reduction by
/// `ln 2` and a degree-6 polynomial on `[-ln2/2, ln2/2]`.
#[inline(always)]
fn exp<const FMA: bool>(x: f32) -> f32 {
    let underflow = x < -87.0;
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding and subtracting rounds to integer
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = madd::<FMA>(n, -LN2_LO, madd::<FMA>(n, -LN2_HI, x));
    let mut p = 1.987_569_1e-4;
    p = madd::<FMA>(p, r, 1.398_199_9e-3);
    p = madd::<FMA>(p, r, 8.333_452e-3);
    p = madd::<FMA>(p, r, 4.166_579_6e-2);
    p = madd::<FMA>(p, r, 1.666_666_5e-1);
    p = madd::<FMA>(p, r, 0.5);
    let e = madd::<FMA>(p, r * r, r + 1.0);
    let y = e * f32::from_bits(((n as i32 + 127) as u32) << 23);
    if underflow {
        0.0
    } else {
        y
    }
}

/// `erf(x)`: a rational approximation inside `(-4, 4)`, ±1 outside (as in f32).
#[inline(always)]
fn erf<const FMA: bool>(x: f32) -> f32 {
    let saturated = if x < 0.0 { -1.0 } else { 1.0 };
    let outside = x.abs() >= 4.0;
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10;
    p = madd::<FMA>(p, x2, 2.770_681_4e-8);
    p = madd::<FMA>(p, x2, -2.101_024e-6);
    p = madd::<FMA>(p, x2, -5.692_506_4e-5);
    p = madd::<FMA>(p, x2, -7.349_906_3e-4);
    p = madd::<FMA>(p, x2, -2.954_6e-3);
    p = madd::<FMA>(p, x2, -1.609_603_3e-2);
    let mut q = -1.456_607_2e-5;
    q = madd::<FMA>(q, x2, -2.133_740_6e-4);
    q = madd::<FMA>(q, x2, -1.682_827e-3);
    q = madd::<FMA>(q, x2, -7.373_329e-3);
    q = madd::<FMA>(q, x2, -1.426_474e-2);
    if outside {
        saturated
    } else {
        x * p / q
    }
}

/// Lanes of the partial sums, so that reductions vectorise.
const LANES: usize = 16;

#[inline(always)]
fn row_max(row: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = if v > *a { v } else { *a };
        }
    }
    let tail = chunks.remainder().iter().copied();
    acc.into_iter()
        .chain(tail)
        .fold(f32::NEG_INFINITY, f32::max)
}

#[inline(always)]
fn row_sum(row: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

#[inline(always)]
fn softmax_impl<const FMA: bool>(rows: &mut [f32], width: usize) {
    for row in rows.chunks_exact_mut(width) {
        let max = row_max(row);
        for v in row.iter_mut() {
            *v = exp::<FMA>(*v - max);
        }
        let inv = 1.0 / row_sum(row);
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

#[inline(always)]
fn sum_exp_impl<const FMA: bool>(x: &[f32], shift: f32) -> f64 {
    // Lane-wise f32 partial sums of at most 4096 terms each, totalled in f64.
    let mut total = 0.0f64;
    for block in x.chunks(4096) {
        let mut acc = [0.0f32; LANES];
        let mut chunks = block.chunks_exact(LANES);
        for c in &mut chunks {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a += exp::<FMA>(v - shift);
            }
        }
        let tail: f32 = chunks
            .remainder()
            .iter()
            .map(|&v| exp::<FMA>(v - shift))
            .sum();
        total += acc.iter().map(|&a| a as f64).sum::<f64>() + tail as f64;
    }
    total
}

#[inline(always)]
fn gelu_impl<const FMA: bool>(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf::<FMA>(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[inline(always)]
fn layer_norm_impl<const FMA: bool>(
    x: &[f32],
    out: &mut [f32],
    gain: &[f32],
    bias: &[f32],
    eps: f32,
) {
    let width = gain.len();
    for (row, o) in x.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
        let mean = row_sum(row) / width as f32;
        for (o, &v) in o.iter_mut().zip(row) {
            *o = v - mean;
        }
        let var = dot::<FMA>(o, o) / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((o, &g), &b) in o.iter_mut().zip(gain).zip(bias) {
            *o = madd::<FMA>(*o * inv, g, b);
        }
    }
}

#[inline(always)]
fn dot<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for ((s, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *s = madd::<FMA>(x, y, *s);
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn attend_row_impl<const FMA: bool>(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    (k_stride, v_stride): (usize, usize),
    scale: f32,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let dh = q.len();
    for (j, s) in scores.iter_mut().enumerate() {
        *s = dot::<FMA>(q, &k[j * k_stride..j * k_stride + dh]) * scale;
    }
    let width = scores.len();
    softmax_impl::<FMA>(scores, width);
    out.fill(0.0);
    for (j, &p) in scores.iter().enumerate() {
        for (o, &x) in out.iter_mut().zip(&v[j * v_stride..j * v_stride + dh]) {
            *o = madd::<FMA>(p, x, *o);
        }
    }
}

#[inline(always)]
fn add_row_dots_impl<const FMA: bool>(x: &[f32], w: &[f32], acc: &mut [f32]) {
    for (a, row) in acc.iter_mut().zip(w.chunks_exact(x.len())) {
        *a += dot::<FMA>(row, x);
    }
}

/// Whether the AVX2 + FMA versions can run here.
#[cfg(target_arch = "x86_64")]
fn avx2_fma() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Defines a public kernel that runs its `_impl` compiled with AVX2 + FMA when the CPU has
/// them, and the baseline build otherwise.
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident => $imp:ident ( $($arg:ident : $ty:ty),* ) $(-> $ret:ty)?) => {
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                    $imp::<true>($($arg),*)
                }
                if avx2_fma() {
                    // SAFETY: the CPU was just checked for AVX2 and FMA.
                    return unsafe { fast($($arg),*) };
                }
            }
            $imp::<false>($($arg),*)
        }
    };
}

dispatch!(
    /// Softmax of each `width`-long row of `rows`, in place.
    softmax_rows => softmax_impl(rows: &mut [f32], width: usize)
);
dispatch!(
    /// `acc[o] += x · w[o]` for the rows `w[o]` (each as long as `x`) of a row-major `w`.
    add_row_dots => add_row_dots_impl(x: &[f32], w: &[f32], acc: &mut [f32])
);
dispatch!(
    /// Attention of one query `q` over `scores.len()` keys and values (rows `k_stride` and
    /// `v_stride` apart, as long as `q`): leaves the weights in `scores`, the result in `out`.
    attend_row => attend_row_impl(
        q: &[f32],
        k: &[f32],
        v: &[f32],
        strides: (usize, usize),
        scale: f32,
        scores: &mut [f32],
        out: &mut [f32]
    )
);
dispatch!(
    /// `Σ e^(x - shift)` over `x`, vectorised (the exponential of this module; -inf terms
    /// count 0).
    sum_exp => sum_exp_impl(x: &[f32], shift: f32) -> f64
);
dispatch!(
    /// The exact GELU, `x · Φ(x)`, in place.
    gelu => gelu_impl(x: &mut [f32])
);
dispatch!(
    /// Layer normalisation of each row of `x` (rows as long as `gain`) into `out`.
    layer_norm => layer_norm_impl(x: &[f32], out: &mut [f32], gain: &[f32], bias: &[f32], eps: f32)
);

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in double precision by its Taylor series (exact to ~1e-10 on [-4, 4]).
    fn erf_f64(x: f64) -> f64 {
        let mut sum = 0.0;
        let mut term = x;
        let mut n = 0.0;
        while term.abs() > 1e-17 || n < 5.0 {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_matches_double_precision_to_a_few_ulps() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = (-87.0 + 175.0 * i as f64 / 200_000.0) as f32;
            let want = (x as f64).exp();
            for got in [exp::<false>(x), exp::<true>(x)] {
                worst = worst.max(((got as f64 - want) / want).abs());
            }
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(exp::<false>(0.0), 1.0);
        assert_eq!(exp::<false>(-1000.0), 0.0);
        assert_eq!(exp::<true>(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn erf_matches_double_precision() {
        let mut worst = 0.0f64;
        for i in 0..=80_000 {
            let x = -4.0 + 8.0 * i as f64 / 80_000.0;
            let want = erf_f64(x);
            for got in [erf::<false>(x as f32), erf::<true>(x as f32)] {
                worst = worst.max((got as f64 - want).abs());
            }
        }
        assert!(worst < 5e-7, "worst absolute error {worst}");
        assert_eq!(erf::<false>(10.0), 1.0);
        assert_eq!(erf::<true>(-4.0), -1.0);
    }

    #[test]
    fn softmax_rows_sum_to_one_and_keep_the_order() {
        let width = 37;
        let mut rows: Vec<f32> = (0..width * 3)
            .map(|i| (i as f32 * 0.37).sin() * 20.0)
            .collect();
        let before = rows.clone();
        softmax_rows(&mut rows, width);
        for (r, b) in rows.chunks(width).zip(before.chunks(width)) {
            let sum: f64 = r.iter().map(|&v| v as f64).sum();
            assert!((sum - 1.0).abs() < 1e-5, "row sums to {sum}");
            let max = b.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let denom: f64 = b.iter().map(|&v| ((v - max) as f64).exp()).sum();
            for (&got, &x) in r.iter().zip(b) {
                let want = ((x - max) as f64).exp() / denom;
                assert!((got as f64 - want).abs() < 1e-6, "{got} vs {want}");
            }
        }
    }

    #[test]
    fn sums_of_exponentials_match_double_precision() {
        let x: Vec<f32> = (0..10_001)
            .map(|i| (i as f32 * 0.013).sin() * 30.0 - 5.0)
            .collect();
        let mut masked = x.clone();
        masked[7] = f32::NEG_INFINITY;
        for v in [&x, &masked] {
            let max = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let want: f64 = v.iter().map(|&a| ((a - max) as f64).exp()).sum();
            let got = sum_exp(v, max);
            assert!(((got - want) / want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn softmax_gives_zero_weight_to_minus_infinity() {
        let mut row = vec![0.0, f32::NEG_INFINITY, 0.0, 1.0];
        softmax_rows(&mut row, 4);
        assert_eq!(row[1], 0.0);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn gelu_is_x_times_the_normal_cdf() {
        // The series reference is exact to ~1e-10 while |x| / √2 <= 4.
        let mut xs: Vec<f32> = (0..1001).map(|i| -5.5 + 11.0 * i as f32 / 1000.0).collect();
        let want: Vec<f64> = xs
            .iter()
            .map(|&x| 0.5 * x as f64 * (1.0 + erf_f64(x as f64 / 2f64.sqrt())))
            .collect();
        gelu(&mut xs);
        for (g, w) in xs.iter().zip(&want) {
            assert!((*g as f64 - w).abs() < 2e-6, "{g} vs {w}");
        }
        let mut tails = [-30.0, -8.0, 8.0, 30.0];
        gelu(&mut tails);
        assert_eq!(tails, [0.0, 0.0, 8.0, 30.0]);
    }

    #[test]
    fn layer_norm_centres_and_scales_each_row() {
        let width = 50;
        let x: Vec<f32> = (0..width * 2)
            .map(|i| (i as f32 * 1.3).cos() * 3.0 + 7.0)
            .collect();
        let gain: Vec<f32> = (0..width).map(|i| 1.0 + i as f32 * 0.01).collect();
        let bias: Vec<f32> = (0..width).map(|i| i as f32 * 0.1).collect();
        let mut out = vec![0.0; x.len()];
        layer_norm(&x, &mut out, &gain, &bias, 1e-5);
        for (row, o) in x.chunks(width).zip(out.chunks(width)) {
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / width as f64;
            let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / width as f64;
            for i in 0..width {
                let want =
                    (row[i] as f64 - mean) / (var + 1e-5).sqrt() * gain[i] as f64 + bias[i] as f64;
                assert!((o[i] as f64 - want).abs() < 1e-4, "{} vs {want}", o[i]);
            }
        }
    }
}
