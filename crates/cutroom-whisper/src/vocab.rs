//! The token embedding, which Whisper also uses as its output projection.
//!
//! Greedy decoding computes one row of logits per token, a product with the whole
//! `[vocab, d]` embedding (80 MB in f32 for the English models): reading it from memory is
//! most of a decoding step. A step therefore *screens* with a half-precision copy (half the
//! bytes) and then makes exact, in f32, every logit that could decide the step:
//! [`Screen::refine`] bounds each half-precision value's error (from the rounding of the
//! weights, the row norms and the accumulation) and recomputes every logit whose interval
//! reaches the range's largest lower bound. Within a refined range the maximum is therefore
//! the f32 maximum, so greedy choices and the timestamp rules decide as with f32 weights;
//! only the far tail of the distribution (which moves a log-probability by well under 1e-3)
//! keeps the screening values.

use std::ops::Range;

use gemm::gemm;
use rayon::prelude::*;

use crate::WhisperError;

/// Rows per parallel task of the screening product.
const ROWS_PER_TASK: usize = 2048;

/// The embedding in f32 and, when every weight fits, in half precision.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    d: usize,
    rows: Vec<f32>,
    half: Option<Vec<u16>>,
    norms: Vec<f32>,
}

impl Vocab {
    /// From the row-major `[vocab, d]` embedding.
    pub(crate) fn new(rows: Vec<f32>, d: usize) -> Result<Vocab, WhisperError> {
        if d == 0 || rows.len() % d != 0 {
            return Err(WhisperError::Inference(format!(
                "embedding of {} values is not a multiple of the width {d}",
                rows.len()
            )));
        }
        // Half precision holds up to 65504; a model with larger weights is always exact.
        let fits = rows.par_iter().all(|w| w.is_finite() && w.abs() < 60_000.0);
        let half = fits.then(|| {
            rows.par_iter()
                .map(|&w| half::f16::from_f32(w).to_bits())
                .collect()
        });
        let norms = rows
            .par_chunks_exact(d)
            .map(|r| {
                r.iter()
                    .map(|&w| (w as f64) * (w as f64))
                    .sum::<f64>()
                    .sqrt() as f32
            })
            .collect();
        Ok(Vocab {
            d,
            rows,
            half,
            norms,
        })
    }

    /// Tokens in the vocabulary.
    pub(crate) fn len(&self) -> usize {
        self.norms.len()
    }

    /// The embedding rows of `tokens`, `[tokens, d]` row-major.
    pub(crate) fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, WhisperError> {
        let mut out = Vec::with_capacity(tokens.len() * self.d);
        for &t in tokens {
            let t = t as usize;
            let row = self.rows.get(t * self.d..(t + 1) * self.d).ok_or_else(|| {
                WhisperError::Inference(format!("token {t} outside the vocabulary"))
            })?;
            out.extend_from_slice(row);
        }
        Ok(out)
    }

    /// Exact f32 logits `[rows, vocab]` of `hidden` (`[rows, d]` row-major).
    pub(crate) fn logits(&self, hidden: &[f32], rows: usize) -> Vec<f32> {
        let v = self.len();
        let mut out = vec![0.0f32; rows * v];
        if rows == 0 || v == 0 {
            return out;
        }
        let par = match rayon::current_num_threads() {
            0 | 1 => gemm::Parallelism::None,
            n => gemm::Parallelism::Rayon(n),
        };
        // SAFETY: `hidden` is rows × d, `self.rows` is v × d (read transposed through its
        // strides) and `out` is rows × v.
        unsafe {
            gemm(
                rows,
                v,
                self.d,
                out.as_mut_ptr(),
                1,
                v as isize,
                false,
                hidden.as_ptr(),
                1,
                self.d as isize,
                self.rows.as_ptr(),
                self.d as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                par,
            );
        }
        out
    }

    /// One exact logit.
    fn exact(&self, hidden: &[f32], token: usize) -> f32 {
        let row = &self.rows[token * self.d..(token + 1) * self.d];
        row.iter().zip(hidden).map(|(w, h)| w * h).sum()
    }

    /// Screening logits of one hidden row (`d` values) and what refines them. Without a
    /// half-precision copy the values are already exact.
    pub(crate) fn screen<'a>(&'a self, hidden: &[f32]) -> (Vec<f32>, Screen<'a>) {
        let d = self.d;
        let Some(half) = &self.half else {
            let values = self.logits(hidden, 1);
            let screen = Screen {
                vocab: self,
                hidden: hidden.to_vec(),
                scale: 0.0,
                floor: 0.0,
            };
            return (values, screen);
        };
        let mut values = vec![0.0f32; self.len()];
        values
            .par_chunks_mut(ROWS_PER_TASK)
            .zip(half.par_chunks(ROWS_PER_TASK * d))
            .for_each(|(out, w)| dot_rows_f16(hidden, w, out));
        let l2 = hidden
            .iter()
            .map(|&h| (h as f64) * (h as f64))
            .sum::<f64>()
            .sqrt();
        let l1 = hidden.iter().map(|&h| h.abs() as f64).sum::<f64>();
        // Rounding to half precision: relative 2^-11 for normal values, absolute 2^-25
        // below; accumulating d products in f32 (in either order): d · 2^-24 relative.
        // Cauchy–Schwarz turns the per-weight terms into row norms. Doubled for margin.
        let rel = 2f64.powi(-11) + d as f64 * 2f64.powi(-24);
        let screen = Screen {
            vocab: self,
            hidden: hidden.to_vec(),
            scale: (2.0 * rel * l2) as f32,
            floor: (2.0 * 2f64.powi(-25) * l1) as f32,
        };
        (values, screen)
    }
}

/// What makes screening logits exact where it matters; see the module documentation.
#[derive(Debug)]
pub(crate) struct Screen<'a> {
    vocab: &'a Vocab,
    hidden: Vec<f32>,
    scale: f32,
    floor: f32,
}

impl Screen<'_> {
    /// The most a screening logit of `token` can differ from its f32 value.
    fn bound(&self, token: usize) -> f32 {
        self.scale * self.vocab.norms[token] + self.floor
    }

    /// Recomputes in f32 every finite logit in `range` that could be the range's maximum
    /// (entries already set to -inf stay masked).
    pub(crate) fn refine(&self, logits: &mut [f32], range: Range<usize>) {
        if self.scale == 0.0 && self.floor == 0.0 {
            return;
        }
        let range = range.start.min(logits.len())..range.end.min(logits.len());
        let lower = range
            .clone()
            .filter(|&t| logits[t].is_finite())
            .map(|t| logits[t] - self.bound(t))
            .fold(f32::NEG_INFINITY, f32::max);
        if lower == f32::NEG_INFINITY {
            return;
        }
        for t in range {
            if logits[t].is_finite() && logits[t] + self.bound(t) >= lower {
                logits[t] = self.vocab.exact(&self.hidden, t);
            }
        }
    }
}

/// `out[r] = Σ hidden[i] · w[r, i]` over half-precision rows `w` (`out.len()` × `hidden.len()`).
fn dot_rows_f16(hidden: &[f32], w: &[u16], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("f16c")
        {
            // SAFETY: the CPU features were just checked.
            return unsafe { dot_rows_f16_avx2(hidden, w, out) };
        }
    }
    let d = hidden.len();
    for (o, row) in out.iter_mut().zip(w.chunks_exact(d)) {
        *o = row
            .iter()
            .zip(hidden)
            .map(|(&b, &h)| half::f16::from_bits(b).to_f32() * h)
            .sum();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_rows_f16_avx2(hidden: &[f32], w: &[u16], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let d = hidden.len();
    let whole = d / 32 * 32;
    for (o, row) in out.iter_mut().zip(w.chunks_exact(d)) {
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i < whole {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: i + 8j + 8 <= whole <= d, inside both `row` and `hidden`.
                unsafe {
                    let wv = _mm256_cvtph_ps(_mm_loadu_si128(
                        row.as_ptr().add(i + 8 * j) as *const __m128i
                    ));
                    let hv = _mm256_loadu_ps(hidden.as_ptr().add(i + 8 * j));
                    *a = _mm256_fmadd_ps(wv, hv, *a);
                }
            }
            i += 32;
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), s) };
        let tail: f32 = row[whole..]
            .iter()
            .zip(&hidden[whole..])
            .map(|(&b, &h)| half::f16::from_bits(b).to_f32() * h)
            .sum();
        *o = lanes.iter().sum::<f32>() + tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::pseudo;

    #[test]
    fn screening_logits_stay_within_their_bounds() {
        let d = 70; // not a multiple of the 32-wide kernel
        let vocab = Vocab::new(pseudo(5000 * d, 1), d).unwrap();
        let hidden: Vec<f32> = pseudo(d, 2).iter().map(|v| v * 30.0).collect();
        let exact = vocab.logits(&hidden, 1);
        let (screened, screen) = vocab.screen(&hidden);
        for t in 0..vocab.len() {
            let err = (screened[t] - exact[t]).abs();
            assert!(
                err <= screen.bound(t),
                "token {t}: {err} > {}",
                screen.bound(t)
            );
        }
        assert!(screened.iter().zip(&exact).any(|(a, b)| a != b));
    }

    #[test]
    fn refining_makes_the_maximum_exact_and_keeps_masks() {
        let d = 64;
        // Many near-ties: rows that differ by less than half precision can tell apart.
        let base = pseudo(d, 3);
        let rows: Vec<f32> = (0..3000)
            .flat_map(|r| {
                let bump = if r % 7 == 0 {
                    1e-4 * (r % 11) as f32
                } else {
                    -0.3
                };
                base.iter()
                    .map(move |&b| b + bump / d as f32)
                    .collect::<Vec<_>>()
            })
            .collect();
        let vocab = Vocab::new(rows, d).unwrap();
        let hidden = pseudo(d, 4);
        let exact = vocab.logits(&hidden, 1);
        let (mut logits, screen) = vocab.screen(&hidden);
        logits[0] = f32::NEG_INFINITY;
        screen.refine(&mut logits, 0..1500);
        screen.refine(&mut logits, 1500..3000);
        assert_eq!(logits[0], f32::NEG_INFINITY);
        for range in [1..1500, 1500..3000] {
            let best = |v: &[f32]| {
                range
                    .clone()
                    .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
                    .unwrap()
            };
            let want = best(&exact);
            assert_eq!(best(&logits), want);
            assert!((logits[want] - exact[want]).abs() < 1e-5);
        }
    }

    #[test]
    fn embedding_rows_are_looked_up_and_bad_tokens_refused() {
        let vocab = Vocab::new((0..12).map(|v| v as f32).collect(), 3).unwrap();
        assert_eq!(
            vocab.embed(&[2, 0]).unwrap(),
            vec![6.0, 7.0, 8.0, 0.0, 1.0, 2.0]
        );
        assert!(vocab.embed(&[4]).is_err());
        assert!(Vocab::new(vec![0.0; 10], 3).is_err());
    }

    #[test]
    fn weights_beyond_half_precision_are_always_exact() {
        let mut rows = pseudo(40 * 8, 5);
        rows[3] = 1e6;
        let vocab = Vocab::new(rows, 8).unwrap();
        let hidden = pseudo(8, 6);
        let (logits, _) = vocab.screen(&hidden);
        assert_eq!(logits, vocab.logits(&hidden, 1));
    }
}
