//! Applying a 3D LUT ([`ColorTransform`]) to RGBA8 pixels, for the live before/after preview.
//!
//! Runs on the playback thread, never on the UI thread.

use cutroom_timeline::ColorTransform;

/// A LUT prepared for fast lookup, with a blend strength.
#[derive(Debug, Clone)]
pub struct PreparedLut {
    size: usize,
    min: [f32; 3],
    scale: [f32; 3],
    table: Vec<[f32; 3]>,
    strength: f32,
}

impl PreparedLut {
    /// Prepares `lut` for lookups; `strength` in `[0, 1]` blends the graded colour with the
    /// original (0 = untouched, 1 = full LUT). None when the table is malformed.
    pub fn new(lut: &ColorTransform, strength: f32) -> Option<PreparedLut> {
        let n = lut.size;
        if n < 2 || lut.table.len() != n * n * n {
            return None;
        }
        let mut scale = [0.0; 3];
        for (c, s) in scale.iter_mut().enumerate() {
            let span = lut.domain_max[c] - lut.domain_min[c];
            if !(span.is_finite() && span > 0.0) {
                return None;
            }
            *s = (n - 1) as f32 / span;
        }
        Some(PreparedLut {
            size: n,
            min: lut.domain_min,
            scale,
            table: lut.table.clone(),
            strength: strength.clamp(0.0, 1.0),
        })
    }

    /// The blend strength.
    pub fn strength(&self) -> f32 {
        self.strength
    }

    fn at(&self, r: usize, g: usize, b: usize) -> [f32; 3] {
        // .cube order: red changes fastest.
        self.table[r + self.size * (g + self.size * b)]
    }

    /// Looks up one colour (components in `[0, 1]`) with trilinear interpolation.
    pub fn lookup(&self, rgb: [f32; 3]) -> [f32; 3] {
        let n1 = (self.size - 1) as f32;
        let mut i0 = [0usize; 3];
        let mut f = [0f32; 3];
        for c in 0..3 {
            let x = ((rgb[c] - self.min[c]) * self.scale[c]).clamp(0.0, n1);
            let base = (x.floor() as usize).min(self.size - 2);
            i0[c] = base;
            f[c] = x - base as f32;
        }
        let mut out = [0f32; 3];
        for (corner, w) in (0..8).map(|k| {
            let (dr, dg, db) = (k & 1, (k >> 1) & 1, (k >> 2) & 1);
            let w = (if dr == 1 { f[0] } else { 1.0 - f[0] })
                * (if dg == 1 { f[1] } else { 1.0 - f[1] })
                * (if db == 1 { f[2] } else { 1.0 - f[2] });
            ((i0[0] + dr, i0[1] + dg, i0[2] + db), w)
        }) {
            if w == 0.0 {
                continue;
            }
            let v = self.at(corner.0, corner.1, corner.2);
            for c in 0..3 {
                out[c] += v[c] * w;
            }
        }
        out
    }

    /// Applies the LUT to RGBA8 pixels in place (alpha untouched).
    pub fn apply_rgba8(&self, pixels: &mut [u8]) {
        let s = self.strength;
        for px in pixels.chunks_exact_mut(4) {
            let rgb = [
                px[0] as f32 / 255.0,
                px[1] as f32 / 255.0,
                px[2] as f32 / 255.0,
            ];
            let g = self.lookup(rgb);
            for c in 0..3 {
                let v = rgb[c] + (g[c] - rgb[c]) * s;
                px[c] = (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_lut_leaves_pixels_unchanged() {
        let lut = PreparedLut::new(&ColorTransform::identity(17), 1.0).unwrap();
        let mut px = vec![0, 10, 128, 255, 200, 255, 3, 255];
        let before = px.clone();
        lut.apply_rgba8(&mut px);
        assert_eq!(px, before);
    }

    #[test]
    fn an_inverting_lut_at_half_strength_gives_mid_gray() {
        let mut t = ColorTransform::identity(2);
        for v in &mut t.table {
            *v = [1.0 - v[0], 1.0 - v[1], 1.0 - v[2]];
        }
        let lut = PreparedLut::new(&t, 0.5).unwrap();
        let mut px = vec![0, 255, 0, 255];
        lut.apply_rgba8(&mut px);
        assert_eq!(px, vec![128, 128, 128, 255]);
    }
}
