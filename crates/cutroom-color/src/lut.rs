//! Applying a 3D LUT: tetrahedral interpolation, for one color and for whole RGBA8 frames.

use cutroom_timeline::ColorTransform;

/// Why a LUT could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColorError {
    /// The transform's table is malformed (size out of range, wrong length, non-finite
    /// values, empty domain).
    #[error("invalid LUT: {0}")]
    InvalidLut(String),
    /// The pixel buffer does not match the stated size.
    #[error("bad image size: {0}")]
    Size(String),
}

fn check(lut: &ColorTransform) -> Result<(), ColorError> {
    let n = lut.size;
    if !(2..=ColorTransform::MAX_SIZE).contains(&n) {
        return Err(ColorError::InvalidLut(format!(
            "size {n} is not in 2..={}",
            ColorTransform::MAX_SIZE
        )));
    }
    if lut.table.len() != n * n * n {
        return Err(ColorError::InvalidLut(format!(
            "{} entries for size {n} (needs {})",
            lut.table.len(),
            n * n * n
        )));
    }
    if lut.table.iter().flatten().any(|v| !v.is_finite()) {
        return Err(ColorError::InvalidLut("a table value is not finite".into()));
    }
    for c in 0..3 {
        let (lo, hi) = (lut.domain_min[c], lut.domain_max[c]);
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(ColorError::InvalidLut(format!(
                "domain {lo}..{hi} of channel {c} is empty or not finite"
            )));
        }
    }
    Ok(())
}

/// Lattice coordinate of `v` on channel `c`: clamped to the domain, in `0..=size-1`.
fn coordinate(lut: &ColorTransform, c: usize, v: f32) -> f32 {
    let (lo, hi) = (lut.domain_min[c], lut.domain_max[c]);
    ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * (lut.size - 1) as f32
}

/// Splits a lattice coordinate into a cell index (at most `size - 2`) and a fraction.
fn split(t: f32, size: usize) -> (usize, f32) {
    let i = (t.floor() as usize).min(size - 2);
    (i, t - i as f32)
}

/// The tetrahedral interpolation weights of fractions `(fr, fg, fb)`: the four corners as
/// (dr, dg, db) lattice offsets with their weights, as FFmpeg's `interp_tetrahedral` does.
fn tetrahedron<T>(fr: T, fg: T, fb: T, one: T) -> [([usize; 3], T); 4]
where
    T: Copy + PartialOrd + std::ops::Sub<Output = T>,
{
    let c000 = [0, 0, 0];
    let c111 = [1, 1, 1];
    if fr > fg {
        if fg > fb {
            [
                (c000, one - fr),
                ([1, 0, 0], fr - fg),
                ([1, 1, 0], fg - fb),
                (c111, fb),
            ]
        } else if fr > fb {
            [
                (c000, one - fr),
                ([1, 0, 0], fr - fb),
                ([1, 0, 1], fb - fg),
                (c111, fg),
            ]
        } else {
            [
                (c000, one - fb),
                ([0, 0, 1], fb - fr),
                ([1, 0, 1], fr - fg),
                (c111, fg),
            ]
        }
    } else if fb > fg {
        [
            (c000, one - fb),
            ([0, 0, 1], fb - fg),
            ([0, 1, 1], fg - fr),
            (c111, fr),
        ]
    } else if fb > fr {
        [
            (c000, one - fg),
            ([0, 1, 0], fg - fb),
            ([0, 1, 1], fb - fr),
            (c111, fr),
        ]
    } else {
        [
            (c000, one - fg),
            ([0, 1, 0], fg - fr),
            ([1, 1, 0], fr - fb),
            (c111, fb),
        ]
    }
}

/// How a LUT is interpolated between its lattice points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Interpolation {
    /// Four corners of the tetrahedron holding the point (as FFmpeg's `lut3d`
    /// `interp=tetrahedral`, Resolve and most grading tools): the default.
    #[default]
    Tetrahedral,
    /// All eight corners of the lattice cell, weighted by volume (FFmpeg's
    /// `interp=trilinear`).
    Trilinear,
}

impl Interpolation {
    /// The lowercase name used on the command line and in files (`tetrahedral`,
    /// `trilinear`).
    pub fn name(self) -> &'static str {
        match self {
            Interpolation::Tetrahedral => "tetrahedral",
            Interpolation::Trilinear => "trilinear",
        }
    }
}

impl std::str::FromStr for Interpolation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "tetrahedral" | "tetra" => Ok(Interpolation::Tetrahedral),
            "trilinear" => Ok(Interpolation::Trilinear),
            _ => Err(format!(
                "unknown LUT interpolation {s:?} (expected tetrahedral or trilinear)"
            )),
        }
    }
}

impl std::fmt::Display for Interpolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The LUT's output for one RGB color (domain units, usually 0–1), by tetrahedral
/// interpolation in floating point. Inputs outside the domain are clamped to it; the output
/// is not clamped. The LUT must be well formed (see [`PreparedLut::new`]).
pub fn eval_lut(lut: &ColorTransform, rgb: [f32; 3]) -> [f32; 3] {
    eval_lut_with(lut, rgb, Interpolation::Tetrahedral)
}

/// [`eval_lut`] with a choice of interpolation.
pub fn eval_lut_with(lut: &ColorTransform, rgb: [f32; 3], interp: Interpolation) -> [f32; 3] {
    let mut out = [0.0f32; 3];
    for_each_corner(lut, rgb, interp, |index, w| {
        let v = lut.table[index];
        for c in 0..3 {
            out[c] += w * v[c];
        }
    });
    out
}

/// Calls `f(table_index, weight)` for every lattice point the interpolation of `rgb` uses
/// (4 for tetrahedral, 8 for trilinear; weights sum to 1). The interpolated value is the
/// weighted sum of those table entries: this is what fitting a LUT by least squares needs.
/// The LUT must be well formed (see [`PreparedLut::new`]).
pub fn for_each_corner(
    lut: &ColorTransform,
    rgb: [f32; 3],
    interp: Interpolation,
    mut f: impl FnMut(usize, f32),
) {
    let n = lut.size;
    let (ir, fr) = split(coordinate(lut, 0, rgb[0]), n);
    let (ig, fg) = split(coordinate(lut, 1, rgb[1]), n);
    let (ib, fb) = split(coordinate(lut, 2, rgb[2]), n);
    let index = |d: [usize; 3]| (ir + d[0]) + n * ((ig + d[1]) + n * (ib + d[2]));
    match interp {
        Interpolation::Tetrahedral => {
            for (d, w) in tetrahedron(fr, fg, fb, 1.0) {
                f(index(d), w);
            }
        }
        Interpolation::Trilinear => {
            for corner in 0..8 {
                let d = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
                let w = |bit: usize, t: f32| if bit == 1 { t } else { 1.0 - t };
                f(index(d), w(d[0], fr) * w(d[1], fg) * w(d[2], fb));
            }
        }
    }
}

/// Table values are clamped to half of full scale either side of 0–1 (outputs end up
/// clamped to 8 bits anyway).
const VALUE_HEADROOM: f32 = 0.5;
/// Fixed-point steps per 8-bit output level in the packed table.
const SUBLEVELS: f32 = 16.0;
/// Interpolation weights are fixed point with this many fractional bits (sum 256).
const WEIGHT_BITS: u32 = 8;
const WEIGHT_ONE: u32 = 1 << WEIGHT_BITS;
/// Bit position of the three 21-bit lanes of a packed table entry.
const LANE_BITS: u32 = 21;
/// A packed value after one lerp step (13 significant bits per lane).
const VALUE_MASK: u64 = 0x1fff | (0x1fff << LANE_BITS) | (0x1fff << (2 * LANE_BITS));
/// Half a weight step in each lane, to round a lerp.
const LERP_ROUND: u64 = 128 | (128 << LANE_BITS) | (128 << (2 * LANE_BITS));

/// Packs an RGB value (0–1 = full scale) into three 21-bit lanes of fixed point: each lane
/// holds `(v + 0.5) * 255 * 16`, at most 8160, so that a convex combination with 8-bit
/// weights (sum 256) never carries from one lane into the next.
fn pack(v: [f32; 3]) -> u64 {
    let q = |x: f32| {
        let x = x.clamp(-VALUE_HEADROOM, 1.0 + VALUE_HEADROOM) + VALUE_HEADROOM;
        (x * 255.0 * SUBLEVELS).round() as u64
    };
    q(v[0]) | (q(v[1]) << LANE_BITS) | (q(v[2]) << (2 * LANE_BITS))
}

/// Output levels by `lane >> 12` of a packed weighted sum (weights summing to 256): the
/// lane holds `(level + 127.5) * 4096`, so the index is the rounded level plus 127, clamped
/// here to 0–255.
const OUTPUT_LEVELS: [u8; 512] = {
    let mut t = [0u8; 512];
    let mut i = 0;
    while i < 512 {
        t[i] = if i < 127 {
            0
        } else if i - 127 > 255 {
            255
        } else {
            (i - 127) as u8
        };
        i += 1;
    }
    t
};

/// The 8-bit output of a packed weighted sum (weights summing to 256), as `r | g << 8 |
/// b << 16`.
#[inline(always)]
fn unpack(sum: u64) -> u32 {
    let shift = WEIGHT_BITS + 4;
    let lane = |i: u32| u32::from(OUTPUT_LEVELS[((sum >> (shift + i * LANE_BITS)) & 511) as usize]);
    lane(0) | (lane(1) << 8) | (lane(2) << 16)
}

/// Per input code value on one axis: the offset of the lattice cell's first corner and the
/// interpolation weight of the upper corner, 0..=256.
#[derive(Debug, Clone, Copy, Default)]
struct AxisStep {
    offset: u32,
    weight: u32,
}

/// A LUT converted for fast application to 8-bit frames: table entries packed as three
/// fixed-point lanes of a `u64` (so one integer multiply weights all three channels) and,
/// per channel and input code value, the lattice cell offset and interpolation weight.
///
/// Table values are limited to −0.5…1.5 of full scale and interpolated in 1/16 of an
/// output level with 8-bit weights: results are within 0.1 level of the floating-point
/// interpolation before rounding. LUTs coarser than [`PreparedLut::FIXED_POINT_MIN_SIZE`]
/// points per axis (whose cells span so many levels that 8-bit weights would cost precision)
/// are interpolated in floating point instead, more slowly.
#[derive(Debug, Clone)]
pub struct PreparedLut {
    size: usize,
    /// The transform itself, for LUTs too coarse for the fixed-point path.
    coarse: Option<ColorTransform>,
    interpolation: Interpolation,
    table: Vec<u64>,
    axes: [[AxisStep; 256]; 3],
    /// Offsets of the corners (1,0,0), (0,1,0), (0,0,1), (1,1,0), (1,0,1), (0,1,1), (1,1,1).
    corners: [usize; 7],
    /// The two middle corners of the tetrahedron, by the comparisons
    /// `(fr > fg) << 2 | (fg > fb) << 1 | (fr > fb)`.
    tetrahedra: [(usize, usize); 8],
}

impl PreparedLut {
    /// The smallest LUT size applied in fixed point (cells of at most 16 levels).
    pub const FIXED_POINT_MIN_SIZE: usize = 17;

    /// Checks `lut` and prepares it for tetrahedral interpolation. Fails when the table
    /// size, length, values or domain are malformed.
    pub fn new(lut: &ColorTransform) -> Result<PreparedLut, ColorError> {
        Self::with_interpolation(lut, Interpolation::Tetrahedral)
    }

    /// Checks `lut` and prepares it for the given interpolation.
    pub fn with_interpolation(
        lut: &ColorTransform,
        interpolation: Interpolation,
    ) -> Result<PreparedLut, ColorError> {
        check(lut)?;
        let n = lut.size;
        let table = lut.table.iter().map(|v| pack(*v)).collect();
        let strides = [1, n, n * n];
        let mut axes = [[AxisStep::default(); 256]; 3];
        for (c, axis) in axes.iter_mut().enumerate() {
            for (v, slot) in axis.iter_mut().enumerate() {
                let (i, f) = split(coordinate(lut, c, v as f32 / 255.0), n);
                *slot = AxisStep {
                    offset: (i * strides[c]) as u32,
                    weight: (f * WEIGHT_ONE as f32).round() as u32,
                };
            }
        }
        let (r, g, b) = (1, n, n * n);
        let mut tetrahedra = [(0, 0); 8];
        for (k, slot) in tetrahedra.iter_mut().enumerate() {
            let (rg, gb, rb) = (k & 4 != 0, k & 2 != 0, k & 1 != 0);
            // The largest fraction's axis first, then the middle one's (ties pick either:
            // the corner between them then has weight 0).
            *slot = match (rg, gb, rb) {
                (true, true, _) => (r, r + g),
                (true, false, true) => (r, r + b),
                (true, false, false) => (b, r + b),
                (false, true, true) => (g, r + g),
                (false, true, false) => (g, g + b),
                (false, false, _) => (b, g + b),
            };
        }
        Ok(PreparedLut {
            size: n,
            coarse: (n < Self::FIXED_POINT_MIN_SIZE).then(|| lut.clone()),
            interpolation,
            table,
            axes,
            corners: [r, g, b, r + g, r + b, g + b, r + g + b],
            tetrahedra,
        })
    }

    /// Lattice points per axis.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The interpolation this LUT was prepared for.
    pub fn interpolation(&self) -> Interpolation {
        self.interpolation
    }

    /// The packed table entry at `index`.
    #[inline(always)]
    fn entry(&self, index: usize) -> u64 {
        debug_assert!(index < self.table.len());
        // SAFETY: every index used is a cell's first corner (at most `size - 2` on each axis,
        // from `split`) plus a corner offset of at most one step on each axis, so it is at
        // most `(size - 1) * (1 + size + size²) = size³ - 1`, and the table has `size³`
        // entries (checked in `check`).
        unsafe { *self.table.get_unchecked(index) }
    }

    /// Tetrahedral interpolation of one RGB pixel, branch free.
    #[inline(always)]
    fn tetrahedral(&self, r: u8, g: u8, b: u8) -> u32 {
        let ar = self.axes[0][r as usize];
        let ag = self.axes[1][g as usize];
        let ab = self.axes[2][b as usize];
        let base = (ar.offset + ag.offset + ab.offset) as usize;
        let (fr, fg, fb) = (ar.weight, ag.weight, ab.weight);
        let hi = fr.max(fg).max(fb);
        let lo = fr.min(fg).min(fb);
        let mid = fr + fg + fb - hi - lo;
        let k = (((fr > fg) as usize) << 2) | (((fg > fb) as usize) << 1) | ((fr > fb) as usize);
        let (m1, m2) = self.tetrahedra[k];
        let t = |offset: usize| self.entry(base + offset);
        let sum = t(0) * u64::from(WEIGHT_ONE - hi)
            + t(m1) * u64::from(hi - mid)
            + t(m2) * u64::from(mid - lo)
            + t(self.corners[6]) * u64::from(lo);
        unpack(sum)
    }

    /// Trilinear interpolation of one RGB pixel: three rounds of packed lerps.
    #[inline(always)]
    fn trilinear(&self, r: u8, g: u8, b: u8) -> u32 {
        let ar = self.axes[0][r as usize];
        let ag = self.axes[1][g as usize];
        let ab = self.axes[2][b as usize];
        let base = (ar.offset + ag.offset + ab.offset) as usize;
        let t = |offset: usize| self.entry(base + offset);
        let [d100, d010, d001, d110, d101, d011, d111] = self.corners;
        let lerp = |a: u64, b: u64, w: u32| {
            ((a * u64::from(WEIGHT_ONE - w) + b * u64::from(w) + LERP_ROUND) >> WEIGHT_BITS)
                & VALUE_MASK
        };
        let wr = ar.weight;
        let x00 = lerp(t(0), t(d100), wr);
        let x10 = lerp(t(d010), t(d110), wr);
        let x01 = lerp(t(d001), t(d101), wr);
        let x11 = lerp(t(d011), t(d111), wr);
        let y0 = lerp(x00, x10, ag.weight);
        let y1 = lerp(x01, x11, ag.weight);
        let wb = u64::from(ab.weight);
        unpack(y0 * (u64::from(WEIGHT_ONE) - wb) + y1 * wb)
    }

    /// Applies the LUT in place to tightly packed RGBA8 rows; alpha is left as it is.
    fn apply_slice(&self, data: &mut [u8]) {
        fn each(data: &mut [u8], f: impl Fn(u8, u8, u8) -> u32) {
            for px in data.chunks_exact_mut(4) {
                let rgb = f(px[0], px[1], px[2]);
                px[..3].copy_from_slice(&rgb.to_le_bytes()[..3]);
            }
        }
        if let Some(lut) = &self.coarse {
            return each(data, |r, g, b| {
                let rgb = [r, g, b].map(|v| f32::from(v) / 255.0);
                let out = eval_lut_with(lut, rgb, self.interpolation)
                    .map(|v| (v * 255.0 + 0.5).clamp(0.0, 255.0) as u32);
                out[0] | (out[1] << 8) | (out[2] << 16)
            });
        }
        match self.interpolation {
            Interpolation::Tetrahedral => each(data, |r, g, b| self.tetrahedral(r, g, b)),
            Interpolation::Trilinear => each(data, |r, g, b| self.trilinear(r, g, b)),
        }
    }

    /// Applies the LUT in place to a `width`×`height` RGBA8 frame (rows tightly packed),
    /// split by rows over `threads` threads (0 = all available cores). Alpha is untouched.
    pub fn apply_rgba8(
        &self,
        data: &mut [u8],
        width: usize,
        height: usize,
        threads: usize,
    ) -> Result<(), ColorError> {
        let expected = width
            .checked_mul(height)
            .and_then(|p| p.checked_mul(4))
            .ok_or_else(|| ColorError::Size(format!("{width}x{height} is too large")))?;
        if data.len() != expected {
            return Err(ColorError::Size(format!(
                "{} bytes for a {width}x{height} RGBA8 frame (needs {expected})",
                data.len()
            )));
        }
        if expected == 0 {
            return Ok(());
        }
        let threads = resolve_threads(threads).min(height);
        if threads <= 1 {
            self.apply_slice(data);
            return Ok(());
        }
        let rows = height.div_ceil(threads);
        std::thread::scope(|s| {
            for chunk in data.chunks_mut(rows * width * 4) {
                s.spawn(move || self.apply_slice(chunk));
            }
        });
        Ok(())
    }
}

/// Number of threads to use: `requested`, or every available core for 0.
pub(crate) fn resolve_threads(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Applies `lut` in place to a `width`×`height` RGBA8 frame with tetrahedral interpolation on
/// `threads` threads (0 = all available cores); alpha is untouched. Input code values are
/// read as `value / 255` in the LUT's domain and outputs are rounded to the nearest level.
///
/// For many frames with one LUT, build a [`PreparedLut`] once instead.
pub fn apply_lut_rgba8(
    lut: &ColorTransform,
    data: &mut [u8],
    width: usize,
    height: usize,
    threads: usize,
) -> Result<(), ColorError> {
    PreparedLut::new(lut)?.apply_rgba8(data, width, height, threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A LUT with a non-separable, non-linear mapping, to exercise every tetrahedron.
    fn twisted(size: usize) -> ColorTransform {
        let mut lut = ColorTransform::identity(size);
        for v in &mut lut.table {
            let [r, g, b] = *v;
            *v = [
                (0.8 * r + 0.3 * g * g - 0.1 * b + 0.05).clamp(0.0, 1.0),
                (g.powf(0.7) * 0.9 + 0.1 * r * b).clamp(0.0, 1.0),
                (0.2 + 0.7 * b - 0.2 * r * g).clamp(0.0, 1.0),
            ];
        }
        lut
    }

    fn frame(width: usize, height: usize) -> Vec<u8> {
        let mut seed = 0x1234_5678u32;
        (0..width * height * 4)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn the_identity_lut_leaves_every_pixel_unchanged() {
        for size in [2, 17, 33, 64] {
            for interp in [Interpolation::Tetrahedral, Interpolation::Trilinear] {
                let lut = PreparedLut::with_interpolation(&ColorTransform::identity(size), interp);
                let mut img = frame(64, 16);
                let before = img.clone();
                lut.unwrap().apply_rgba8(&mut img, 64, 16, 3).unwrap();
                assert_eq!(img, before, "size {size}, {interp}");
            }
        }
    }

    /// Fixed point: within 0.1 level of the float interpolation before rounding to a level.
    const TOLERANCE: f32 = 0.6;

    #[test]
    fn frame_application_agrees_with_the_float_interpolation() {
        for interp in [Interpolation::Tetrahedral, Interpolation::Trilinear] {
            let lut = twisted(33);
            let prepared = PreparedLut::with_interpolation(&lut, interp).unwrap();
            let mut img = frame(97, 31);
            let before = img.clone();
            prepared.apply_rgba8(&mut img, 97, 31, 2).unwrap();
            let mut worst = 0.0f32;
            for (out, inp) in img.chunks_exact(4).zip(before.chunks_exact(4)) {
                let rgb = [inp[0], inp[1], inp[2]].map(|v| v as f32 / 255.0);
                let want = eval_lut_with(&lut, rgb, interp);
                for c in 0..3 {
                    let w = (want[c] * 255.0).clamp(0.0, 255.0);
                    worst = worst.max((out[c] as f32 - w).abs());
                }
                assert_eq!(out[3], inp[3], "alpha is untouched");
            }
            assert!(worst <= TOLERANCE, "{interp}: off by {worst} levels");
        }
    }

    #[test]
    fn the_two_interpolations_differ_inside_a_cell_but_not_on_the_lattice() {
        let lut = twisted(5);
        let on = [0.25, 0.5, 0.75];
        let inside = [0.3, 0.55, 0.9];
        let tetra = eval_lut_with(&lut, on, Interpolation::Tetrahedral);
        let tri = eval_lut_with(&lut, on, Interpolation::Trilinear);
        for c in 0..3 {
            assert!((tetra[c] - tri[c]).abs() < 1e-6);
            assert!((tetra[c] - lut.at(1, 2, 3)[c]).abs() < 1e-6);
        }
        let tetra = eval_lut_with(&lut, inside, Interpolation::Tetrahedral);
        let tri = eval_lut_with(&lut, inside, Interpolation::Trilinear);
        assert!((0..3).any(|c| (tetra[c] - tri[c]).abs() > 1e-4));
        // On a LUT that is linear in each channel both are exact.
        let mut linear = ColorTransform::identity(5);
        for v in &mut linear.table {
            *v = [
                0.5 * v[0] + 0.2 * v[1],
                0.9 * v[1],
                0.1 + 0.3 * v[2] + 0.4 * v[0],
            ];
        }
        for interp in [Interpolation::Tetrahedral, Interpolation::Trilinear] {
            let out = eval_lut_with(&linear, inside, interp);
            let want = [
                0.5 * 0.3 + 0.2 * 0.55,
                0.9 * 0.55,
                0.1 + 0.3 * 0.9 + 0.4 * 0.3,
            ];
            for c in 0..3 {
                assert!((out[c] - want[c]).abs() < 1e-5, "{interp}");
            }
        }
    }

    #[test]
    fn interpolation_names_parse_and_print() {
        for interp in [Interpolation::Tetrahedral, Interpolation::Trilinear] {
            assert_eq!(interp.name().parse::<Interpolation>(), Ok(interp));
            assert_eq!(interp.to_string(), interp.name());
        }
        assert!("cubic"
            .parse::<Interpolation>()
            .unwrap_err()
            .contains("cubic"));
    }

    #[test]
    fn lattice_points_map_to_their_table_entries() {
        let lut = twisted(18); // 255 / 17 = 15: every 15th code value is a lattice point
        for interp in [Interpolation::Tetrahedral, Interpolation::Trilinear] {
            let prepared = PreparedLut::with_interpolation(&lut, interp).unwrap();
            for r in (0..18).step_by(3) {
                for g in (0..18).step_by(5) {
                    for b in 0..18 {
                        let mut px = [(r * 15) as u8, (g * 15) as u8, (b * 15) as u8, 9];
                        prepared.apply_rgba8(&mut px, 1, 1, 1).unwrap();
                        let want = lut.at(r, g, b);
                        for c in 0..3 {
                            let w = want[c] * 255.0;
                            assert!((px[c] as f32 - w).abs() <= TOLERANCE, "{px:?} {want:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn out_of_range_table_values_clamp_to_black_and_white() {
        let mut lut = ColorTransform::identity(2);
        for v in &mut lut.table {
            *v = [v[0] * 3.0 - 1.0, -0.7, 1.8];
        }
        let prepared = PreparedLut::new(&lut).unwrap();
        let mut px = [0u8, 128, 255, 1, 255, 0, 0, 2];
        prepared.apply_rgba8(&mut px, 2, 1, 1).unwrap();
        assert_eq!(px, [0, 0, 255, 1, 255, 0, 255, 2]);
    }

    #[test]
    fn the_result_does_not_depend_on_the_thread_count() {
        let lut = twisted(33);
        let img = frame(50, 37);
        let mut one = img.clone();
        apply_lut_rgba8(&lut, &mut one, 50, 37, 1).unwrap();
        for threads in [0, 2, 3, 8, 64] {
            let mut many = img.clone();
            apply_lut_rgba8(&lut, &mut many, 50, 37, threads).unwrap();
            assert_eq!(many, one, "{threads} threads");
        }
    }

    #[test]
    fn a_domain_other_than_zero_to_one_is_honoured() {
        let mut lut = ColorTransform::identity(2);
        lut.domain_max = [0.5; 3];
        // Inputs above 0.5 clamp to the top of the domain, which maps to 1.0.
        let mut px = [64u8, 200, 0, 0];
        apply_lut_rgba8(&lut, &mut px, 1, 1, 1).unwrap();
        assert_eq!(px, [128, 255, 0, 0]);
    }

    #[test]
    fn malformed_luts_and_wrong_buffer_sizes_are_errors() {
        let mut lut = ColorTransform::identity(3);
        lut.table.pop();
        let mut img = vec![0u8; 16];
        assert!(matches!(
            apply_lut_rgba8(&lut, &mut img, 2, 2, 1),
            Err(ColorError::InvalidLut(_))
        ));
        let mut nan = ColorTransform::identity(3);
        nan.table[4][1] = f32::NAN;
        assert!(PreparedLut::new(&nan).is_err());
        let mut empty = ColorTransform::identity(3);
        empty.domain_min[2] = 1.0;
        assert!(PreparedLut::new(&empty).is_err());
        let err = apply_lut_rgba8(&ColorTransform::identity(3), &mut img, 3, 2, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad image size: 16 bytes for a 3x2 RGBA8 frame (needs 24)"
        );
    }
}
