//! Joint refinement of per-channel histogram matching.
//!
//! Histogram matching couples each channel's source levels with reference levels by rank. When
//! a grade squeezed several reference levels into one source level (a contrast or gain below
//! one on 8-bit data), the per-channel curve can only send that source level to one value for
//! every pixel. The reference's joint (3D) histogram says more: of the reference colors whose
//! three channels are coupled with a source color's three levels, it knows how many there are
//! of each. Their mean is the expected reference color of that source color when the grade
//! acted on each channel alone, and is what the least-squares bake then fits the lattice to.

use std::collections::HashMap;

/// Reference cells one source color may spread over at most; beyond this (a grade that
/// squeezed the range very hard) the per-channel curves are used as they are.
const MAX_CELLS: usize = 512;

/// Rank overlaps below this fraction of all samples are rounding, not coupling.
const OVERLAP_EPSILON: f64 = 1e-9;

/// The reference's 8-bit joint histogram and, per channel, the rank coupling of source levels
/// with reference levels.
#[derive(Debug, Clone)]
pub(crate) struct JointHistogram {
    /// Reference samples per 8-bit color, keyed `r << 16 | g << 8 | b`.
    cells: HashMap<u32, u32>,
    /// `coupling[c][v]`: the reference levels that source level `v` of channel `c` is carried
    /// to, each with the fraction of that reference level's samples carried there.
    coupling: [Vec<Vec<(u8, f64)>>; 3],
}

fn level(v: f32) -> usize {
    (v * 255.0).round().clamp(0.0, 255.0) as usize
}

/// The key of an 8-bit color in [`JointHistogram::cells`].
fn cell(r: usize, g: usize, b: usize) -> u32 {
    (r << 16 | g << 8 | b) as u32
}

/// Cumulative fractions of samples at or below each level (`[0]` is the fraction below level
/// 0, i.e. 0; `[k + 1]` the fraction at or below level `k`).
fn cumulative(pixels: &[[f32; 3]], channel: usize) -> [f64; 257] {
    let mut counts = [0u64; 256];
    for p in pixels {
        counts[level(p[channel])] += 1;
    }
    let total = pixels.len().max(1) as f64;
    let mut cum = [0.0; 257];
    for k in 0..256 {
        cum[k + 1] = cum[k] + counts[k] as f64 / total;
    }
    cum
}

impl JointHistogram {
    /// Couples `source` with `reference` (both sRGB code values 0–1 on 8-bit levels).
    pub(crate) fn new(source: &[[f32; 3]], reference: &[[f32; 3]]) -> JointHistogram {
        let mut cells = HashMap::with_capacity(reference.len() / 4);
        for p in reference {
            *cells
                .entry(cell(level(p[0]), level(p[1]), level(p[2])))
                .or_insert(0) += 1;
        }
        let coupling = std::array::from_fn(|c| {
            let s = cumulative(source, c);
            let r = cumulative(reference, c);
            let mut out = vec![Vec::new(); 256];
            let mut u = 0;
            for (v, levels) in out.iter_mut().enumerate() {
                let (s0, s1) = (s[v], s[v + 1]);
                if s1 - s0 <= 0.0 {
                    continue;
                }
                // Reference levels are visited in order: both rank intervals only move up.
                while u < 256 && r[u + 1] <= s0 + OVERLAP_EPSILON {
                    u += 1;
                }
                let mut k = u;
                while k < 256 && r[k] < s1 - OVERLAP_EPSILON {
                    let (r0, r1) = (r[k], r[k + 1]);
                    let overlap = s1.min(r1) - s0.max(r0);
                    if r1 > r0 && overlap > OVERLAP_EPSILON {
                        levels.push((k as u8, overlap / (r1 - r0)));
                    }
                    k += 1;
                }
            }
            out
        });
        JointHistogram { cells, coupling }
    }

    /// The mean reference color (code values 0–1) of the reference cells `rgb`'s levels are
    /// coupled with, weighted by their reference counts and coupling fractions; `None` when
    /// no reference sample lies there or the cells are too many to visit.
    pub(crate) fn target(&self, rgb: [f32; 3]) -> Option<[f32; 3]> {
        let [lr, lg, lb] = [0, 1, 2].map(|c| &self.coupling[c][level(rgb[c])]);
        if lr.is_empty() || lg.is_empty() || lb.is_empty() {
            return None;
        }
        if lr.len() * lg.len() * lb.len() > MAX_CELLS {
            return None;
        }
        let mut sum = [0.0f64; 3];
        let mut weight = 0.0f64;
        for &(r, wr) in lr {
            for &(g, wg) in lg {
                for &(b, wb) in lb {
                    let key = cell(r.into(), g.into(), b.into());
                    let Some(&n) = self.cells.get(&key) else {
                        continue;
                    };
                    let w = f64::from(n) * wr * wg * wb;
                    sum[0] += w * f64::from(r);
                    sum[1] += w * f64::from(g);
                    sum[2] += w * f64::from(b);
                    weight += w;
                }
            }
        }
        (weight > 0.0).then(|| sum.map(|s| (s / weight / 255.0) as f32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference colors `(k, k, 128)` for every level `k` (red and green move together), four
    /// samples each, and the same colors with green halved (levels merged pairwise).
    fn squeezed_pair() -> (Vec<[f32; 3]>, Vec<[f32; 3]>) {
        let code = |v: u32| v as f32 / 255.0;
        let mut reference = Vec::new();
        let mut source = Vec::new();
        for k in 0..256u32 {
            for _ in 0..4 {
                reference.push([code(k), code(k), code(128)]);
                source.push([code(k), code(k / 2), code(128)]);
            }
        }
        (source, reference)
    }

    #[test]
    fn merged_levels_are_told_apart_by_the_other_channels() {
        let (source, reference) = squeezed_pair();
        let joint = JointHistogram::new(&source, &reference);
        for (s, r) in source.iter().zip(&reference) {
            let t = joint
                .target(*s)
                .expect("the coupled cells hold reference samples");
            for c in 0..3 {
                assert!((t[c] - r[c]).abs() < 1e-6, "{s:?} -> {t:?}, want {r:?}");
            }
        }
    }

    #[test]
    fn each_source_level_is_coupled_with_the_reference_levels_of_its_ranks() {
        let (source, reference) = squeezed_pair();
        let joint = JointHistogram::new(&source, &reference);
        // Green level m holds the samples of reference levels 2m and 2m + 1, all of each.
        for m in 0..128 {
            let g = &joint.coupling[1][m];
            assert_eq!(g.len(), 2, "level {m}: {g:?}");
            assert_eq!((g[0].0 as usize, g[1].0 as usize), (2 * m, 2 * m + 1));
            assert!(g.iter().all(|&(_, w)| (w - 1.0).abs() < 1e-9), "{g:?}");
        }
        // Red is unchanged: one level each, whole.
        for k in 0..256 {
            assert_eq!(joint.coupling[0][k], vec![(k as u8, 1.0)]);
        }
    }

    #[test]
    fn colors_the_reference_does_not_have_get_no_target() {
        let (source, reference) = squeezed_pair();
        let joint = JointHistogram::new(&source, &reference);
        // Red 200 couples with reference red 200, green 10 with greens 20 and 21: no reference
        // color has both.
        assert_eq!(
            joint.target([200.0 / 255.0, 10.0 / 255.0, 128.0 / 255.0]),
            None
        );
        // Blue 30 occurs in no source sample, so it is coupled with nothing.
        assert_eq!(joint.target([0.0, 0.0, 30.0 / 255.0]), None);
    }
}
