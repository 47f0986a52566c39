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

/// The LUT's output for one RGB color (domain units, usually 0–1), by tetrahedral
/// interpolation in floating point. Inputs outside the domain are clamped to it; the output
/// is not clamped. The LUT must be well formed (see [`PreparedLut::new`]).
pub fn eval_lut(lut: &ColorTransform, rgb: [f32; 3]) -> [f32; 3] {
    let n = lut.size;
    let (ir, fr) = split(coordinate(lut, 0, rgb[0]), n);
    let (ig, fg) = split(coordinate(lut, 1, rgb[1]), n);
    let (ib, fb) = split(coordinate(lut, 2, rgb[2]), n);
    let mut out = [0.0f32; 3];
    for (d, w) in tetrahedron(fr, fg, fb, 1.0) {
        let v = lut.at(ir + d[0], ig + d[1], ib + d[2]);
        for c in 0..3 {
            out[c] += w * v[c];
        }
    }
    out
}

/// Table values are clamped to this many times full scale either side of 0–1 (outputs end
/// up clamped to 8 bits anyway).
const VALUE_HEADROOM: f32 = 2.0;

/// A LUT converted for fast application to 8-bit frames: table entries as four-lane `f32`
/// (scaled to output levels, so the interpolation compiles to packed SIMD arithmetic) and,
/// per channel and input code value, the lattice cell offset and interpolation weight.
#[derive(Debug, Clone)]
pub struct PreparedLut {
    size: usize,
    /// `[r, g, b, 0]` per lattice point, in output levels (0–255 for 0–1).
    table: Vec<[f32; 4]>,
    /// Per channel, per 8-bit input: (offset of the cell's first corner, weight 0..=1).
    axes: [[(u32, f32); 256]; 3],
    /// Offsets of the corners (1,0,0), (0,1,0), (0,0,1), (1,1,0), (1,0,1), (0,1,1), (1,1,1).
    corners: [usize; 7],
}

impl PreparedLut {
    /// Checks `lut` and prepares it. Fails when the table size, length, values or domain are
    /// malformed.
    pub fn new(lut: &ColorTransform) -> Result<PreparedLut, ColorError> {
        check(lut)?;
        let n = lut.size;
        let table = lut
            .table
            .iter()
            .map(|v| {
                let q = |x: f32| x.clamp(-VALUE_HEADROOM, 1.0 + VALUE_HEADROOM) * 255.0;
                [q(v[0]), q(v[1]), q(v[2]), 0.0]
            })
            .collect();
        let strides = [1, n, n * n];
        let mut axes = [[(0u32, 0f32); 256]; 3];
        for (c, axis) in axes.iter_mut().enumerate() {
            for (v, slot) in axis.iter_mut().enumerate() {
                let (i, f) = split(coordinate(lut, c, v as f32 / 255.0), n);
                *slot = ((i * strides[c]) as u32, f);
            }
        }
        let (r, g, b) = (1, n, n * n);
        Ok(PreparedLut {
            size: n,
            table,
            axes,
            corners: [r, g, b, r + g, r + b, g + b, r + g + b],
        })
    }

    /// Lattice points per axis.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Applies the LUT to one RGB pixel.
    #[inline(always)]
    fn pixel(&self, r: u8, g: u8, b: u8) -> [u8; 3] {
        let (or, fr) = self.axes[0][r as usize];
        let (og, fg) = self.axes[1][g as usize];
        let (ob, fb) = self.axes[2][b as usize];
        let base = (or + og + ob) as usize;
        let [d100, d010, d001, d110, d101, d011, d111] = self.corners;
        // The two middle corners and the four weights of the tetrahedron holding the point
        // (the same split as FFmpeg's interp_tetrahedral).
        let (m1, m2, w0, w1, w2, w3) = if fr > fg {
            if fg > fb {
                (d100, d110, 1.0 - fr, fr - fg, fg - fb, fb)
            } else if fr > fb {
                (d100, d101, 1.0 - fr, fr - fb, fb - fg, fg)
            } else {
                (d001, d101, 1.0 - fb, fb - fr, fr - fg, fg)
            }
        } else if fb > fg {
            (d001, d011, 1.0 - fb, fb - fg, fg - fr, fr)
        } else if fb > fr {
            (d010, d011, 1.0 - fg, fg - fb, fb - fr, fr)
        } else {
            (d010, d110, 1.0 - fg, fg - fr, fr - fb, fb)
        };
        let t = &self.table;
        let (c0, c1, c2, c3) = (t[base], t[base + m1], t[base + m2], t[base + d111]);
        let mut out = [0u8; 3];
        for i in 0..3 {
            let v = w0 * c0[i] + w1 * c1[i] + w2 * c2[i] + w3 * c3[i];
            out[i] = (v + 0.5).clamp(0.0, 255.0) as u8;
        }
        out
    }

    /// Applies the LUT in place to tightly packed RGBA8 rows; alpha is left as it is.
    fn apply_slice(&self, data: &mut [u8]) {
        for px in data.chunks_exact_mut(4) {
            let [r, g, b] = self.pixel(px[0], px[1], px[2]);
            px[0] = r;
            px[1] = g;
            px[2] = b;
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
            let mut img = frame(64, 16);
            let before = img.clone();
            apply_lut_rgba8(&ColorTransform::identity(size), &mut img, 64, 16, 3).unwrap();
            assert_eq!(img, before, "size {size}");
        }
    }

    #[test]
    fn frame_application_agrees_with_the_float_interpolation() {
        let lut = twisted(33);
        let mut img = frame(97, 31);
        let before = img.clone();
        apply_lut_rgba8(&lut, &mut img, 97, 31, 2).unwrap();
        for (out, inp) in img.chunks_exact(4).zip(before.chunks_exact(4)) {
            let want = eval_lut(&lut, [inp[0], inp[1], inp[2]].map(|v| v as f32 / 255.0));
            for c in 0..3 {
                let w = (want[c] * 255.0).clamp(0.0, 255.0);
                assert!((out[c] as f32 - w).abs() <= 0.51, "{out:?} vs {want:?}");
            }
            assert_eq!(out[3], inp[3], "alpha is untouched");
        }
    }

    #[test]
    fn lattice_points_map_exactly_to_their_table_entries() {
        let lut = twisted(18); // 255 / 17 = 15: every 15th code value is a lattice point
        for r in (0..18).step_by(3) {
            for g in (0..18).step_by(5) {
                for b in 0..18 {
                    let mut px = [(r * 15) as u8, (g * 15) as u8, (b * 15) as u8, 9];
                    apply_lut_rgba8(&lut, &mut px, 1, 1, 1).unwrap();
                    let want = lut.at(r, g, b).map(|v| (v * 255.0).round() as u8);
                    assert_eq!(px[..3], want);
                }
            }
        }
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
