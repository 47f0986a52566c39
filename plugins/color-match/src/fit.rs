//! Statistics and fitting: pixel samples from many frames, the transfer methods, and
//! baking the fitted mapping into a 3D LUT.
//!
//! All colors are sRGB-encoded code values in `0..=1` with Rec.709 primaries. Each method
//! works in the space its math needs: histogram matching on code values (it is invariant
//! under any per-channel monotone re-encoding, so linear light would give the same result),
//! MKL on code values or linear light ([`MklSpace`]), Reinhard in CIELAB or Oklab (both
//! computed from linear light), and strength blending in linear light.

use std::collections::BTreeMap;

use cutroom_color::{
    for_each_corner, lab_to_linear, linear_to_lab, linear_to_oklab, linear_to_srgb,
    oklab_to_linear, srgb_to_linear, ColorTransform, Interpolation,
};
use serde_json::{json, Value};

use crate::joint::JointHistogram;
use crate::linalg::{self, Mat3};

/// A transfer method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reinhard et al.: per-channel mean and standard deviation in CIELAB.
    ReinhardLab,
    /// Reinhard et al. in Oklab.
    ReinhardOklab,
    /// Monge–Kantorovich linear transfer of the mean and covariance (Pitié and Kokaram).
    Mkl,
    /// Per-channel histogram matching. Its fitted bake ([`ColorModel::bake_fitted`]) follows
    /// the reference's joint histogram where a grade merged levels of a channel, so that the
    /// other channels decide which of the merged levels a color came from.
    Histogram,
    /// Histogram matching, then MKL, then histogram matching again.
    HmMklHm,
    /// [`Method::HmMklHm`] refined by a few iterations of Pitié's iterative distribution
    /// transfer (1D histogram matching along rotated axes), which also corrects
    /// cross-channel changes such as lightness-dependent color balance.
    Combined,
}

/// Rotated-axis refinement iterations of [`Method::Combined`].
pub const REFINE_ITERATIONS: usize = 12;

/// Samples (of the shot and of the reference) the refinement iterations work on at most.
pub const REFINE_SAMPLES: usize = 200_000;

/// Shot pixels the least-squares bake ([`ColorModel::bake_fitted`]) fits the lattice to.
pub const BAKE_FIT_SAMPLES: usize = 200_000;

/// Richardson iterations of the least-squares bake.
pub const BAKE_FIT_ITERATIONS: usize = 12;

/// Weight, in pixels, of each lattice point's sampled value in the least-squares bake.
pub const BAKE_FIT_PRIOR: f64 = 4.0;

impl Method {
    /// Every method, in display order.
    pub const ALL: [Method; 6] = [
        Method::Combined,
        Method::HmMklHm,
        Method::Mkl,
        Method::ReinhardLab,
        Method::ReinhardOklab,
        Method::Histogram,
    ];

    /// The parameter value naming the method.
    pub fn id(self) -> &'static str {
        match self {
            Method::ReinhardLab => "reinhard-lab",
            Method::ReinhardOklab => "reinhard-oklab",
            Method::Mkl => "mkl",
            Method::Histogram => "histogram",
            Method::HmMklHm => "hm-mkl-hm",
            Method::Combined => "combined",
        }
    }

    /// A label for the user.
    pub fn label(self) -> &'static str {
        match self {
            Method::ReinhardLab => "Reinhard (mean/std in CIELAB)",
            Method::ReinhardOklab => "Reinhard (mean/std in Oklab)",
            Method::Mkl => "MKL (covariance transfer)",
            Method::Histogram => "Per-channel histogram matching",
            Method::HmMklHm => "Histogram, MKL, histogram",
            Method::Combined => "Combined: histogram, MKL, histogram, refined on rotated axes",
        }
    }

    /// The method named `id`.
    pub fn from_id(id: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// The space the MKL stage works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MklSpace {
    /// sRGB-encoded code values.
    Srgb,
    /// Linear light.
    Linear,
}

/// What to fit and how to bake it.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// The transfer method.
    pub method: Method,
    /// Space of the MKL stage.
    pub mkl_space: MklSpace,
    /// How much of the correction to apply, 0 (none) to 1 (full), blended in linear light.
    pub strength: f32,
    /// Reduce the correction on skin tones (Oklab hue near 50°, moderate chroma).
    pub protect_skin: bool,
    /// Roll highlights off smoothly towards white instead of clipping them.
    pub protect_highlights: bool,
    /// Lattice points per axis of the baked LUT.
    pub lut_size: usize,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            method: Method::Combined,
            mkl_space: MklSpace::Srgb,
            strength: 1.0,
            protect_skin: false,
            protect_highlights: false,
            lut_size: 33,
        }
    }
}

/// Pixels sampled from the frames of a shot, as sRGB code values in `0..=1`.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pixels: Vec<[f32; 3]>,
    frames: usize,
}

impl Samples {
    /// No samples yet.
    pub fn new() -> Samples {
        Samples::default()
    }

    /// Adds up to `budget` pixels spread over one frame of packed 8-bit pixels
    /// (`bytes_per_pixel` 3 for RGB or 4 for RGBA; the first three bytes are R, G, B).
    pub fn add_frame(&mut self, data: &[u8], bytes_per_pixel: usize, budget: usize) {
        let bpp = bytes_per_pixel.max(3);
        let count = data.len() / bpp;
        if count == 0 || budget == 0 {
            return;
        }
        let step = count.div_ceil(budget);
        let taken = count / step;
        self.pixels.reserve(taken);
        let mut seed = 0x9e37_79b9u32 ^ self.frames as u32;
        for j in 0..taken {
            // A jittered stride, so a step that divides the row length does not sample the
            // same columns on every row.
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let i = j * step + (seed >> 8) as usize % step;
            let p = &data[i * bpp..i * bpp + 3];
            self.pixels.push([
                p[0] as f32 / 255.0,
                p[1] as f32 / 255.0,
                p[2] as f32 / 255.0,
            ]);
        }
        self.frames += 1;
    }

    /// Number of sampled pixels.
    pub fn len(&self) -> usize {
        self.pixels.len()
    }

    /// True without any sample.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// Number of frames sampled.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// The sampled colors.
    pub fn pixels(&self) -> &[[f32; 3]] {
        &self.pixels
    }
}

/// A space an affine stage works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Srgb,
    Linear,
    Lab,
    Oklab,
}

impl Space {
    fn name(self) -> &'static str {
        match self {
            Space::Srgb => "srgb",
            Space::Linear => "linear",
            Space::Lab => "cielab",
            Space::Oklab => "oklab",
        }
    }

    fn encode(self, c: [f32; 3]) -> [f32; 3] {
        match self {
            Space::Srgb => c,
            Space::Linear => c.map(srgb_to_linear),
            Space::Lab => linear_to_lab(c.map(srgb_to_linear)),
            Space::Oklab => linear_to_oklab(c.map(srgb_to_linear)),
        }
    }

    fn decode(self, v: [f32; 3]) -> [f32; 3] {
        match self {
            Space::Srgb => v,
            Space::Linear => v.map(linear_to_srgb),
            Space::Lab => lab_to_linear(v).map(linear_to_srgb),
            Space::Oklab => oklab_to_linear(v).map(linear_to_srgb),
        }
    }
}

/// Points per channel of a fitted histogram-matching curve.
const CURVE_POINTS: usize = 1024;

/// One step of a fitted mapping.
#[derive(Debug, Clone)]
enum Stage {
    /// Per-channel curves on code values, sampled at `CURVE_POINTS` points over 0–1.
    Curves([Vec<f32>; 3]),
    /// Per-axis curves in a rotated frame of code values: `y = Rᵀ curves(R x)`, each curve
    /// sampled at `CURVE_POINTS` points over `lo[c]..=hi[c]` (one iteration of Pitié's
    /// iterative distribution transfer).
    Rotated {
        rotation: Mat3,
        lo: [f32; 3],
        hi: [f32; 3],
        curves: [Vec<f32>; 3],
    },
    /// `y = M (x - mean_src) + mean_ref` in `space`.
    Affine {
        space: Space,
        mean_src: [f64; 3],
        mean_ref: [f64; 3],
        matrix: Mat3,
    },
}

impl Stage {
    fn apply(&self, c: [f32; 3]) -> [f32; 3] {
        match self {
            Stage::Curves(curves) => std::array::from_fn(|i| curve_at(&curves[i], c[i])),
            Stage::Rotated {
                rotation,
                lo,
                hi,
                curves,
            } => {
                let p = rotate(rotation, c);
                let q: [f32; 3] = std::array::from_fn(|i| {
                    curve_at(&curves[i], (p[i] - lo[i]) / (hi[i] - lo[i]).max(1e-6))
                });
                rotate_back(rotation, q)
            }
            Stage::Affine {
                space,
                mean_src,
                mean_ref,
                matrix,
            } => {
                let v = space.encode(c);
                let d = [0, 1, 2].map(|i| v[i] as f64 - mean_src[i]);
                let m = linalg::mul_vec(matrix, d);
                space.decode([0, 1, 2].map(|i| (m[i] + mean_ref[i]) as f32))
            }
        }
    }

    fn describe(&self) -> Value {
        let round = |x: f64| (x * 1e6).round() / 1e6;
        match self {
            Stage::Curves(curves) => {
                // 17 points per channel are enough to show the curve's shape.
                let pts: Vec<Vec<f64>> = curves
                    .iter()
                    .map(|c| {
                        (0..17)
                            .map(|i| round(curve_at(c, i as f32 / 16.0) as f64))
                            .collect()
                    })
                    .collect();
                json!({"stage": "histogram", "space": "srgb", "curves_17": pts})
            }
            Stage::Rotated { rotation, .. } => json!({
                "stage": "rotated-histogram",
                "space": "srgb",
                "rotation": rotation.map(|r| r.map(round)),
            }),
            Stage::Affine {
                space,
                mean_src,
                mean_ref,
                matrix,
            } => json!({
                "stage": "affine",
                "space": space.name(),
                "mean_source": mean_src.map(round),
                "mean_reference": mean_ref.map(round),
                "matrix": matrix.map(|r| r.map(round)),
            }),
        }
    }
}

fn curve_at(curve: &[f32], x: f32) -> f32 {
    let n = curve.len() - 1;
    let t = x.clamp(0.0, 1.0) * n as f32;
    let i = (t as usize).min(n - 1);
    let f = t - i as f32;
    curve[i] + f * (curve[i + 1] - curve[i])
}

/// A channel's distribution as a continuous, piecewise-linear CDF through the mid-ranks of
/// the occupied 8-bit levels (so empty levels between occupied ones, as left by a contrast
/// stretch, do not turn into flat steps), reaching 0 and 1 half a level outside the extreme
/// occupied levels.
struct Cdf {
    /// `(value, fraction of samples below it)`, strictly increasing in both.
    knots: Vec<(f64, f64)>,
}

impl Cdf {
    /// The CDF of `values` binned into 256 levels spread evenly over `lo..=hi` (for code
    /// values, 0..=1: exactly the 8-bit levels).
    fn new(values: impl Iterator<Item = f32>, lo: f32, hi: f32) -> Cdf {
        let mut counts = [0u64; 256];
        let scale = 255.0 / (hi - lo).max(1e-6);
        for v in values {
            let k = ((v - lo) * scale).round().clamp(0.0, 255.0) as usize;
            counts[k] += 1;
        }
        let (lo, step) = (lo as f64, 1.0 / scale as f64);
        let total = counts.iter().sum::<u64>().max(1) as f64;
        let mut knots = Vec::with_capacity(258);
        let mut below = 0.0;
        let mut last = None;
        for (k, &c) in counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if knots.is_empty() {
                knots.push((lo + (k as f64 - 0.5) * step, 0.0));
            }
            let c = c as f64;
            knots.push((lo + k as f64 * step, (below + c / 2.0) / total));
            below += c;
            last = Some(k);
        }
        if let Some(k) = last {
            knots.push((lo + (k as f64 + 0.5) * step, 1.0));
        }
        Cdf { knots }
    }

    /// Fraction of samples below `x`.
    fn at(&self, x: f32) -> f64 {
        interpolate(&self.knots, x as f64, |k| k.0, |k| k.1)
    }

    /// The value below which a fraction `q` of samples lies.
    fn quantile(&self, q: f64) -> f32 {
        interpolate(&self.knots, q, |k| k.1, |k| k.0) as f32
    }
}

/// Piecewise-linear interpolation through `knots` (sorted by `key`), clamped at the ends.
fn interpolate(
    knots: &[(f64, f64)],
    x: f64,
    key: impl Fn(&(f64, f64)) -> f64,
    value: impl Fn(&(f64, f64)) -> f64,
) -> f64 {
    let (Some(first), Some(last)) = (knots.first(), knots.last()) else {
        return x;
    };
    if x <= key(first) {
        return value(first);
    }
    if x >= key(last) {
        return value(last);
    }
    let i = knots
        .partition_point(|k| key(k) <= x)
        .clamp(1, knots.len() - 1);
    let (a, b) = (&knots[i - 1], &knots[i]);
    let span = key(b) - key(a);
    if span <= 0.0 {
        return value(b);
    }
    value(a) + (x - key(a)) / span * (value(b) - value(a))
}

fn fit_curves(src: &[[f32; 3]], reference: &[[f32; 3]]) -> Stage {
    let curves = std::array::from_fn(|c| {
        let s = Cdf::new(src.iter().map(|p| p[c]), 0.0, 1.0);
        let r = Cdf::new(reference.iter().map(|p| p[c]), 0.0, 1.0);
        (0..=CURVE_POINTS - 1)
            .map(|j| r.quantile(s.at(j as f32 / (CURVE_POINTS - 1) as f32)))
            .collect()
    });
    Stage::Curves(curves)
}

fn rotate(m: &Mat3, c: [f32; 3]) -> [f32; 3] {
    linalg::mul_vec(m, c.map(f64::from)).map(|v| v as f32)
}

fn rotate_back(m: &Mat3, c: [f32; 3]) -> [f32; 3] {
    let c = c.map(f64::from);
    [0, 1, 2].map(|j| (m[0][j] * c[0] + m[1][j] * c[1] + m[2][j] * c[2]) as f32)
}

/// A deterministic pseudo-random rotation for refinement iteration `i` (Gram–Schmidt of
/// three pseudo-random vectors).
fn rotation(i: usize) -> Mat3 {
    let mut seed = 0x2545_f491u64.wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut rows: Mat3 = [[0.0; 3]; 3];
    for r in 0..3 {
        loop {
            let mut v = [next(), next(), next()];
            for prev in rows.iter().take(r) {
                let d: f64 = (0..3).map(|k| v[k] * prev[k]).sum();
                for k in 0..3 {
                    v[k] -= d * prev[k];
                }
            }
            let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            if n > 0.1 {
                rows[r] = v.map(|x| x / n);
                break;
            }
        }
    }
    rows
}

fn fit_rotated(src: &[[f32; 3]], reference: &[[f32; 3]], rotation: Mat3) -> Stage {
    let ps: Vec<[f32; 3]> = src.iter().map(|p| rotate(&rotation, *p)).collect();
    let pr: Vec<[f32; 3]> = reference.iter().map(|p| rotate(&rotation, *p)).collect();
    let mut lo = [f32::MAX; 3];
    let mut hi = [f32::MIN; 3];
    for p in ps.iter().chain(&pr) {
        for c in 0..3 {
            lo[c] = lo[c].min(p[c]);
            hi[c] = hi[c].max(p[c]);
        }
    }
    let curves = std::array::from_fn(|c| {
        let s = Cdf::new(ps.iter().map(|p| p[c]), lo[c], hi[c]);
        let r = Cdf::new(pr.iter().map(|p| p[c]), lo[c], hi[c]);
        (0..CURVE_POINTS)
            .map(|j| {
                let x = lo[c] + (hi[c] - lo[c]) * j as f32 / (CURVE_POINTS - 1) as f32;
                r.quantile(s.at(x))
            })
            .collect()
    });
    Stage::Rotated {
        rotation,
        lo,
        hi,
        curves,
    }
}

/// Mean and covariance of samples converted to `space`.
fn moments(samples: &[[f32; 3]], space: Space) -> ([f64; 3], Mat3) {
    let n = samples.len().max(1) as f64;
    let mut sum = [0.0f64; 3];
    let mut sq = [[0.0f64; 3]; 3];
    for p in samples {
        let v = space.encode(*p).map(f64::from);
        for i in 0..3 {
            sum[i] += v[i];
            for j in i..3 {
                sq[i][j] += v[i] * v[j];
            }
        }
    }
    let mean = sum.map(|s| s / n);
    let mut cov = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in i..3 {
            cov[i][j] = sq[i][j] / n - mean[i] * mean[j];
            cov[j][i] = cov[i][j];
        }
    }
    (mean, cov)
}

/// Variance floor per space (keeps flat or single-color shots from blowing up).
fn variance_floor(space: Space) -> f64 {
    match space {
        Space::Srgb | Space::Linear => 1e-6,
        Space::Lab => 1e-2,
        Space::Oklab => 1e-6,
    }
}

fn fit_mkl(src: &[[f32; 3]], reference: &[[f32; 3]], space: Space) -> Stage {
    let (mean_src, cov_src) = moments(src, space);
    let (mean_ref, cov_ref) = moments(reference, space);
    Stage::Affine {
        space,
        mean_src,
        mean_ref,
        matrix: linalg::mkl(&cov_src, &cov_ref, variance_floor(space)),
    }
}

fn fit_reinhard(src: &[[f32; 3]], reference: &[[f32; 3]], space: Space) -> Stage {
    let (mean_src, cov_src) = moments(src, space);
    let (mean_ref, cov_ref) = moments(reference, space);
    let floor = variance_floor(space);
    let scale = [0, 1, 2].map(|i| (cov_ref[i][i].max(floor) / cov_src[i][i].max(floor)).sqrt());
    Stage::Affine {
        space,
        mean_src,
        mean_ref,
        matrix: linalg::diag(scale),
    }
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// No pixels of the shot to fix.
    #[error("no frames of the shot were sampled")]
    NoSource,
    /// No pixels of the reference.
    #[error("no frames of the reference were sampled")]
    NoReference,
    /// An option is out of range.
    #[error("{0}")]
    Options(String),
}

/// A fitted color mapping: the method's stages plus the blending and protection options.
#[derive(Debug, Clone)]
pub struct ColorModel {
    options: FitOptions,
    stages: Vec<Stage>,
    /// For per-channel histogram matching: the reference's joint histogram, which the
    /// fitted bake follows where it knows more than the curves.
    joint: Option<JointHistogram>,
    source_frames: usize,
    reference_frames: usize,
}

impl ColorModel {
    /// Fits `options.method` to carry the distribution of `source` onto `reference`.
    pub fn fit(
        source: &Samples,
        reference: &Samples,
        options: &FitOptions,
    ) -> Result<ColorModel, FitError> {
        if source.is_empty() {
            return Err(FitError::NoSource);
        }
        if reference.is_empty() {
            return Err(FitError::NoReference);
        }
        if !(2..=ColorTransform::MAX_SIZE).contains(&options.lut_size) {
            return Err(FitError::Options(format!(
                "LUT size {} is not in 2..={}",
                options.lut_size,
                ColorTransform::MAX_SIZE
            )));
        }
        if !(0.0..=1.0).contains(&options.strength) {
            return Err(FitError::Options(format!(
                "strength {} is not in 0..=1",
                options.strength
            )));
        }
        let r = reference.pixels();
        let mkl_space = match options.mkl_space {
            MklSpace::Srgb => Space::Srgb,
            MklSpace::Linear => Space::Linear,
        };
        type Fit<'a> = Box<dyn Fn(&[[f32; 3]]) -> Stage + 'a>;
        let hm = || -> Fit { Box::new(|s| fit_curves(s, r)) };
        let mkl = || -> Fit { Box::new(move |s| fit_mkl(s, r, mkl_space)) };
        let plan: Vec<Fit> = match options.method {
            Method::ReinhardLab => vec![Box::new(|s| fit_reinhard(s, r, Space::Lab))],
            Method::ReinhardOklab => vec![Box::new(|s| fit_reinhard(s, r, Space::Oklab))],
            Method::Mkl => vec![mkl()],
            Method::Histogram => vec![hm()],
            Method::HmMklHm | Method::Combined => vec![hm(), mkl(), hm()],
        };
        let mut stages = Vec::with_capacity(plan.len());
        let mut current: Option<Vec<[f32; 3]>> = None;
        for (i, fit) in plan.iter().enumerate() {
            let stage = fit(current.as_deref().unwrap_or(source.pixels()));
            if i + 1 < plan.len() || options.method == Method::Combined {
                let next = current
                    .take()
                    .unwrap_or_else(|| source.pixels().to_vec())
                    .into_iter()
                    .map(|p| stage.apply(p))
                    .collect();
                current = Some(next);
            }
            stages.push(stage);
        }
        if options.method == Method::Combined {
            // Refine on an evenly strided subset: the rotated-axis histograms need far fewer
            // samples than the first stages, and this keeps the fit well under a second.
            let current = current.unwrap_or_else(|| source.pixels().to_vec());
            let subset = |v: &[[f32; 3]]| -> Vec<[f32; 3]> {
                v.iter()
                    .step_by(v.len().div_ceil(REFINE_SAMPLES).max(1))
                    .copied()
                    .collect()
            };
            let mut s = subset(&current);
            let r = subset(r);
            for i in 0..REFINE_ITERATIONS {
                let stage = fit_rotated(&s, &r, rotation(i));
                if i + 1 < REFINE_ITERATIONS {
                    s.iter_mut().for_each(|p| *p = stage.apply(*p));
                }
                stages.push(stage);
            }
        }
        let joint = (options.method == Method::Histogram)
            .then(|| JointHistogram::new(source.pixels(), reference.pixels()));
        Ok(ColorModel {
            options: options.clone(),
            stages,
            joint,
            source_frames: source.frames(),
            reference_frames: reference.frames(),
        })
    }

    /// The options the model was fitted with.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }

    /// The method's mapping alone (full strength, no protection, not clipped).
    pub fn raw(&self, rgb: [f32; 3]) -> [f32; 3] {
        self.stages.iter().fold(rgb, |c, s| s.apply(c))
    }

    /// The full mapping of one sRGB color (code values 0–1): the method, blended by strength
    /// (less on skin tones when protected) in linear light, highlights rolled off when
    /// protected, clipped to 0–1.
    pub fn map(&self, rgb: [f32; 3]) -> [f32; 3] {
        self.finish(rgb, self.raw(rgb))
    }

    /// Blends `rgb` towards the method's `target` for it as [`ColorModel::map`] does.
    fn finish(&self, rgb: [f32; 3], target: [f32; 3]) -> [f32; 3] {
        let mut amount = self.options.strength;
        if self.options.protect_skin {
            amount *= 1.0 - 0.8 * skin_likelihood(rgb);
        }
        let out = if amount >= 1.0 {
            target
        } else {
            let a = rgb.map(srgb_to_linear);
            let b = target.map(srgb_to_linear);
            [0, 1, 2].map(|i| linear_to_srgb(a[i] + amount * (b[i] - a[i])))
        };
        out.map(|v| {
            let v = if self.options.protect_highlights {
                soft_clip(v)
            } else {
                v
            };
            v.clamp(0.0, 1.0)
        })
    }

    /// The method's parameters as JSON values, for the transform's `params`.
    pub fn params(&self) -> BTreeMap<String, Value> {
        let o = &self.options;
        let mut p = BTreeMap::new();
        p.insert("method".into(), json!(o.method.id()));
        p.insert("strength".into(), json!(o.strength));
        p.insert("protect_skin".into(), json!(o.protect_skin));
        p.insert("protect_highlights".into(), json!(o.protect_highlights));
        p.insert(
            "mkl_space".into(),
            json!(match o.mkl_space {
                MklSpace::Srgb => "srgb",
                MklSpace::Linear => "linear",
            }),
        );
        p.insert("source_frames".into(), json!(self.source_frames));
        p.insert("reference_frames".into(), json!(self.reference_frames));
        p.insert("input".into(), json!("Rec.709 primaries, sRGB transfer"));
        p.insert(
            "stages".into(),
            Value::Array(self.stages.iter().map(Stage::describe).collect()),
        );
        p
    }

    /// Bakes the mapping into a `lut_size`³ LUT over 0–1.
    pub fn bake(&self) -> ColorTransform {
        let mut lut = ColorTransform::identity(self.options.lut_size);
        for v in &mut lut.table {
            *v = self.map(*v);
        }
        lut.title = format!("color-match {}", self.options.method.id());
        lut.method = self.options.method.id().to_string();
        lut.params = self.params();
        lut
    }

    /// Bakes the mapping into a `lut_size`³ LUT fitted to the shot's own colors: starting
    /// from [`ColorModel::bake`] (the mapping sampled at the lattice points), the lattice
    /// values are refined by least squares so that the LUT *as interpolated* (tetrahedral,
    /// as applied everywhere) follows the mapping where `shot`'s pixels lie, instead of only
    /// at the lattice points. A curved mapping then loses far less between lattice points;
    /// points that no shot color uses keep their sampled values. For [`Method::Histogram`]
    /// the fit follows, for each shot color, the mean reference color of the joint-histogram
    /// cells its levels are coupled with, where the reference has any (see `joint.rs`).
    /// `shot` should be the samples the model was fitted from.
    pub fn bake_fitted(&self, shot: &Samples) -> ColorTransform {
        let mut lut = self.bake();
        let pixels: Vec<[f32; 3]> = shot
            .pixels()
            .iter()
            .step_by(shot.len().div_ceil(BAKE_FIT_SAMPLES).max(1))
            .copied()
            .collect();
        let targets: Vec<[f32; 3]> = pixels
            .iter()
            .map(|p| {
                let target = self.joint.as_ref().and_then(|j| j.target(*p));
                self.finish(*p, target.unwrap_or_else(|| self.raw(*p)))
            })
            .collect();
        // Each pixel's four lattice points and weights: fixed, since only the values move.
        let corners: Vec<[(usize, f64); 4]> = pixels
            .iter()
            .map(|p| {
                let mut k = [(0, 0.0); 4];
                let mut j = 0;
                for_each_corner(&lut, *p, Interpolation::Tetrahedral, |i, w| {
                    k[j] = (i, f64::from(w));
                    j += 1;
                });
                k
            })
            .collect();
        let sampled = lut.table.clone();
        let n = lut.table.len();
        let mut den = vec![0f64; n];
        for &(i, w) in corners.iter().flatten() {
            den[i] += w;
        }
        let mut num = vec![[0f64; 3]; n];
        for _ in 0..BAKE_FIT_ITERATIONS {
            num.iter_mut().for_each(|v| *v = [0.0; 3]);
            for (k, t) in corners.iter().zip(&targets) {
                let mut residual = t.map(f64::from);
                for &(i, w) in k {
                    for (r, v) in residual.iter_mut().zip(lut.table[i]) {
                        *r -= w * f64::from(v);
                    }
                }
                for &(i, w) in k {
                    for c in 0..3 {
                        num[i][c] += w * residual[c];
                    }
                }
            }
            // Richardson iteration on the normal equations, preconditioned by the row sums of
            // AᵀA (each lattice point's total weight): it converges monotonically because the
            // weights of each pixel sum to one. A prior worth BAKE_FIT_PRIOR pixels holds each
            // point to its sampled value, so points that few pixels touch cannot wander off
            // to fit those few exactly (which would make the LUT rough between them).
            for (i, v) in lut.table.iter_mut().enumerate() {
                if den[i] > 0.0 {
                    for c in 0..3 {
                        let prior = BAKE_FIT_PRIOR * f64::from(sampled[i][c] - v[c]);
                        let step = (num[i][c] + prior) / (den[i] + BAKE_FIT_PRIOR);
                        v[c] = (f64::from(v[c]) + step).clamp(0.0, 1.0) as f32;
                    }
                }
            }
        }
        lut
    }
}

/// Above this code value, `protect_highlights` compresses values towards 1.
const HIGHLIGHT_KNEE: f32 = 0.8;

/// Identity below the knee, then an exponential shoulder that approaches 1 with slope 1 at
/// the knee, so values that would clip keep their gradation.
fn soft_clip(v: f32) -> f32 {
    if v <= HIGHLIGHT_KNEE {
        v
    } else {
        let room = 1.0 - HIGHLIGHT_KNEE;
        HIGHLIGHT_KNEE + room * (1.0 - (-(v - HIGHLIGHT_KNEE) / room).exp())
    }
}

/// How skin-like a color is, 0–1: Oklab hue near 50° with moderate chroma and mid lightness.
pub fn skin_likelihood(rgb: [f32; 3]) -> f32 {
    let [l, a, b] = linear_to_oklab(rgb.map(srgb_to_linear));
    let chroma = a.hypot(b);
    let hue = b.atan2(a).to_degrees();
    let hue_w = (-((hue - 50.0) / 20.0).powi(2)).exp();
    let chroma_w = smoothstep(0.015, 0.04, chroma) * (1.0 - smoothstep(0.15, 0.22, chroma));
    let light_w = smoothstep(0.25, 0.4, l) * (1.0 - smoothstep(0.9, 0.97, l));
    hue_w * chroma_w * light_w
}

fn smoothstep(lo: f32, hi: f32, x: f32) -> f32 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient_frame() -> Vec<u8> {
        let mut data = Vec::new();
        for y in 0..64u32 {
            for x in 0..64u32 {
                data.extend_from_slice(&[(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8, 255]);
            }
        }
        data
    }

    fn samples(f: impl Fn([u8; 3]) -> [u8; 3]) -> Samples {
        let mut data = gradient_frame();
        for px in data.chunks_exact_mut(4) {
            let out = f([px[0], px[1], px[2]]);
            px[..3].copy_from_slice(&out);
        }
        let mut s = Samples::new();
        s.add_frame(&data, 4, usize::MAX);
        s
    }

    #[test]
    fn matching_a_shot_to_itself_gives_a_near_identity_lut() {
        let s = samples(|p| p);
        for method in Method::ALL {
            let options = FitOptions {
                method,
                ..FitOptions::default()
            };
            let model = ColorModel::fit(&s, &s, &options).unwrap();
            for p in [[0.2, 0.3, 0.4], [0.5, 0.5, 0.5], [0.8, 0.1, 0.6]] {
                let out = model.map(p);
                for c in 0..3 {
                    assert!((out[c] - p[c]).abs() < 0.01, "{method:?}: {p:?} -> {out:?}");
                }
            }
        }
    }

    #[test]
    fn the_fitted_bake_follows_a_curved_mapping_closer_than_lattice_sampling() {
        let curve = |v: u8| ((v as f32 / 255.0).powf(2.2) * 255.0).round() as u8;
        let shot = samples(|p| p.map(curve));
        let reference = samples(|p| p);
        let options = FitOptions {
            method: Method::Histogram,
            lut_size: 9,
            ..FitOptions::default()
        };
        let model = ColorModel::fit(&shot, &reference, &options).unwrap();
        let error = |lut: &ColorTransform| {
            let mut sum = 0.0f64;
            for p in shot.pixels() {
                let got = cutroom_color::eval_lut(lut, *p);
                let want = model.map(*p);
                sum += (0..3)
                    .map(|c| f64::from((got[c] - want[c]).abs()))
                    .sum::<f64>();
            }
            sum / shot.len() as f64 * 255.0 / 3.0
        };
        let sampled = error(&model.bake());
        let fitted = error(&model.bake_fitted(&shot));
        assert!(
            fitted < 0.6 * sampled,
            "mean error {fitted:.3} levels fitted vs {sampled:.3} sampled"
        );
        let lut = model.bake_fitted(&shot);
        assert!(lut.table.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn histogram_matching_inverts_a_per_channel_curve() {
        let graded = samples(|p| p.map(|v| ((v as f32 / 255.0).powf(1.6) * 255.0).round() as u8));
        let reference = samples(|p| p);
        let options = FitOptions {
            method: Method::Histogram,
            ..FitOptions::default()
        };
        let model = ColorModel::fit(&graded, &reference, &options).unwrap();
        for v in [0.3f32, 0.5, 0.7] {
            let out = model.map([v.powf(1.6); 3]);
            assert!((out[0] - v).abs() < 0.01, "{v}: {out:?}");
        }
    }

    #[test]
    fn the_histogram_bake_restores_levels_a_squeeze_merged() {
        // Green halved on 8-bit data merges its levels pairwise: per-channel curves cannot
        // tell which of two levels a merged one came from, the reference's joint histogram
        // (green equals red there) can.
        let frame = |f: &dyn Fn(u8, u8) -> [u8; 3]| {
            let mut data = Vec::new();
            for y in 0..128u8 {
                for x in 0..=255u8 {
                    data.extend_from_slice(&f(x, y));
                    data.push(255);
                }
            }
            let mut s = Samples::new();
            s.add_frame(&data, 4, usize::MAX);
            s
        };
        let reference = frame(&|x, y| [x, x, y % 16 * 16]);
        let source = frame(&|x, y| [x, x / 2, y % 16 * 16]);
        let options = FitOptions {
            method: Method::Histogram,
            ..FitOptions::default()
        };
        let model = ColorModel::fit(&source, &reference, &options).unwrap();
        let level_error = |lut: &ColorTransform| {
            let mut worst = 0.0f32;
            let mut total = 0.0f32;
            for (s, r) in source.pixels().iter().zip(reference.pixels()) {
                let out = cutroom_color::eval_lut_with(lut, *s, Interpolation::Tetrahedral);
                for c in 0..3 {
                    let e = ((out[c] - r[c]) * 255.0).round().abs();
                    worst = worst.max(e);
                    total += e;
                }
            }
            (worst, total / source.len() as f32)
        };
        let (worst, mean) = level_error(&model.bake_fitted(&source));
        let (_, sampled_mean) = level_error(&model.bake());
        assert!(worst <= 1.0, "worst error {worst} levels");
        assert!(
            mean < sampled_mean / 4.0,
            "mean error {mean} levels, sampled bake {sampled_mean}"
        );
    }

    #[test]
    fn zero_strength_is_the_identity() {
        let graded = samples(|[r, g, b]| [g, b, r]);
        let reference = samples(|p| p);
        let options = FitOptions {
            strength: 0.0,
            ..FitOptions::default()
        };
        let lut = ColorModel::fit(&graded, &reference, &options)
            .unwrap()
            .bake();
        let identity = ColorTransform::identity(33);
        for (a, b) in lut.table.iter().zip(&identity.table) {
            for c in 0..3 {
                assert!((a[c] - b[c]).abs() < 1e-5);
            }
        }
        assert_eq!(lut.method, "combined");
        assert_eq!(lut.params["strength"], json!(0.0));
    }

    #[test]
    fn protected_highlights_stay_below_white_and_keep_their_order() {
        let graded = samples(|p| p.map(|v| v / 2));
        let reference = samples(|p| p);
        let options = FitOptions {
            method: Method::Mkl,
            protect_highlights: true,
            ..FitOptions::default()
        };
        let model = ColorModel::fit(&graded, &reference, &options).unwrap();
        let a = model.map([0.55; 3]);
        let b = model.map([0.6; 3]);
        assert!(a[0] < b[0] && b[0] < 1.0, "{a:?} {b:?}");
    }

    #[test]
    fn skin_tones_are_recognised_and_blue_sky_is_not() {
        assert!(skin_likelihood([0.87, 0.67, 0.55]) > 0.5);
        assert!(skin_likelihood([0.35, 0.55, 0.9]) < 0.05);
        assert!(skin_likelihood([0.5, 0.5, 0.5]) < 0.05);
    }

    #[test]
    fn empty_inputs_and_bad_options_are_errors() {
        let s = samples(|p| p);
        let empty = Samples::new();
        let o = FitOptions::default();
        assert_eq!(
            ColorModel::fit(&empty, &s, &o).unwrap_err(),
            FitError::NoSource
        );
        assert_eq!(
            ColorModel::fit(&s, &empty, &o).unwrap_err(),
            FitError::NoReference
        );
        let big = FitOptions { lut_size: 300, ..o };
        assert!(ColorModel::fit(&s, &s, &big).is_err());
    }
}
