//! The Whisper decoder on the plain-buffer layers of [`crate::layers`].
//!
//! Greedy decoding runs the decoder once per token, so each step's fixed costs count: the
//! step reads the blocks' weights and the cross-attention keys and values once, appends its
//! key and value rows to a growing cache (no copy of what is already cached), and runs
//! every projection as one product into preallocated buffers. The same code runs a prompt
//! or a whole token sequence at once (causal masking), and can return the cross-attention
//! weights that word alignment reads.

use crate::layers::{attention, Dense, Mlp, Norm, Rows, SelfAttention};
use crate::WhisperError;

type Res<T> = Result<T, WhisperError>;

/// One decoder block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Self-attention projections.
    pub attn: SelfAttention,
    /// Layer norm before cross-attention.
    pub cross_norm: Norm,
    /// Cross-attention query projection.
    pub cross_q: Dense,
    /// Cross-attention key projection (applied once per window, by [`Decoder::cross_kv`]).
    pub cross_k: Dense,
    /// Cross-attention value projection (likewise).
    pub cross_v: Dense,
    /// Cross-attention output projection.
    pub cross_out: Dense,
    /// The MLP.
    pub mlp: Mlp,
}

/// The decoder's weights (the token embedding lives in [`crate::vocab`]).
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    /// Model width.
    pub d: usize,
    /// Attention heads.
    pub heads: usize,
    /// Learned positions `[max_text, d]`.
    pub pos: Vec<f32>,
    /// The blocks.
    pub blocks: Vec<Block>,
    /// Final layer norm.
    pub norm: Norm,
}

/// Self-attention keys and values of the tokens decoded so far.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<(Vec<f32>, Vec<f32>)>,
    len: usize,
}

impl KvCache {
    /// Tokens in the cache.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Cross-attention keys and values of every decoder block for one encoder output, each
/// `[heads, frames, dh]`.
#[derive(Debug, Clone)]
pub struct CrossKv {
    layers: Vec<(Vec<f32>, Vec<f32>)>,
    frames: usize,
}

impl CrossKv {
    /// Encoder positions attended to.
    pub fn frames(&self) -> usize {
        self.frames
    }
}

impl Decoder {
    /// An error unless every layer has the sizes the model's width calls for.
    pub(crate) fn check(&self) -> Res<()> {
        let d = self.d;
        if self.heads == 0 || d % self.heads != 0 || self.pos.len() % d != 0 {
            return Err(WhisperError::Inference(format!(
                "decoder of width {d} with {} heads and {} position values",
                self.heads,
                self.pos.len()
            )));
        }
        for (l, b) in self.blocks.iter().enumerate() {
            let name = |part: &str| format!("decoder block {l} {part}");
            b.attn.check(d, &name("attention"))?;
            b.cross_norm.check(d, &name("cross-attention norm"))?;
            for (layer, part) in [
                (&b.cross_q, "cross-attention query"),
                (&b.cross_k, "cross-attention key"),
                (&b.cross_v, "cross-attention value"),
                (&b.cross_out, "cross-attention output"),
            ] {
                layer.check(d, d, &name(part))?;
            }
            b.mlp.check(d, &name("MLP"))?;
        }
        self.norm.check(d, "decoder final norm")
    }

    /// Positions the decoder has.
    pub(crate) fn max_text(&self) -> usize {
        self.pos.len() / self.d.max(1)
    }

    /// Every block's cross-attention keys and values for `audio` (`[frames, d]`).
    pub(crate) fn cross_kv(&self, audio: &[f32], frames: usize) -> Res<CrossKv> {
        if audio.len() != frames * self.d {
            return Err(WhisperError::Inference(format!(
                "encoder output of {} values, expected {frames} × {}",
                audio.len(),
                self.d
            )));
        }
        let (heads, dh) = (self.heads, self.d / self.heads);
        // Head-major (`[heads, frames, dh]`), so that a step reads each head's keys and
        // values as one contiguous block.
        let by_head = |x: Vec<f32>| {
            let mut out = Vec::with_capacity(x.len());
            for h in 0..heads {
                for row in x.chunks_exact(self.d) {
                    out.extend_from_slice(&row[h * dh..(h + 1) * dh]);
                }
            }
            out
        };
        let layers = self
            .blocks
            .iter()
            .map(|b| {
                let mut k = vec![0.0f32; frames * self.d];
                let mut v = vec![0.0f32; frames * self.d];
                b.cross_k.apply(audio, frames, &mut k, false);
                b.cross_v.apply(audio, frames, &mut v, false);
                (by_head(k), by_head(v))
            })
            .collect();
        Ok(CrossKv { layers, frames })
    }

    /// Runs `t` tokens, given as their embedding rows `x` (`[t, d]`), after the cache's
    /// contents; returns the normalised hidden states `[t, d]` and, when `want_cross` is
    /// set, every block's cross-attention weights `[heads, t, frames]`.
    pub(crate) fn forward(
        &self,
        mut x: Vec<f32>,
        cache: &mut KvCache,
        cross: &CrossKv,
        want_cross: bool,
    ) -> Res<(Vec<f32>, Vec<Vec<f32>>)> {
        let d = self.d;
        let t = x.len() / d;
        let offset = cache.len;
        if x.len() != t * d || offset + t > self.max_text() {
            return Err(WhisperError::Inference(format!(
                "decoder input of {} tokens after {offset} exceeds {}",
                x.len() as f64 / d as f64,
                self.max_text()
            )));
        }
        if cross.layers.len() != self.blocks.len() {
            return Err(WhisperError::Inference(format!(
                "cross-attention keys for {} blocks, the decoder has {}",
                cross.layers.len(),
                self.blocks.len()
            )));
        }
        cache
            .layers
            .resize(self.blocks.len(), (Vec::new(), Vec::new()));
        x.iter_mut()
            .zip(&self.pos[offset * d..])
            .for_each(|(x, p)| *x += p);

        let dh = d / self.heads;
        let heads = (self.heads, dh);
        let frames = cross.frames;
        let mut xn = vec![0.0f32; t * d];
        let mut qkv = vec![0.0f32; t * 3 * d];
        let mut q = vec![0.0f32; t * d];
        let mut att = vec![0.0f32; t * d];
        let mut hidden = Vec::new();
        let mut weights = Vec::new();
        for ((b, (ck, cv)), (xk, xv)) in
            self.blocks.iter().zip(&mut cache.layers).zip(&cross.layers)
        {
            // Self-attention over the cache and the new tokens.
            b.attn.project(&x, t, &mut xn, &mut qkv);
            for row in qkv.chunks_exact(3 * d) {
                ck.extend_from_slice(&row[d..2 * d]);
                cv.extend_from_slice(&row[2 * d..]);
            }
            let total = offset + t;
            attention(
                Rows::new(&qkv, 3 * d, 0, dh),
                Rows::new(ck, d, 0, dh),
                Rows::new(cv, d, 0, dh),
                (t, total),
                heads,
                Some(offset),
                None,
                &mut att,
            );
            b.attn.out.apply(&att, t, &mut x, true);

            // Cross-attention over the encoder output.
            b.cross_norm.apply(&x, &mut xn);
            b.cross_q.apply(&xn, t, &mut q, false);
            let mut w = if want_cross {
                vec![0.0f32; self.heads * t * frames]
            } else {
                Vec::new()
            };
            attention(
                Rows::new(&q, d, 0, dh),
                Rows::new(xk, dh, 0, frames * dh),
                Rows::new(xv, dh, 0, frames * dh),
                (t, frames),
                heads,
                None,
                want_cross.then_some(&mut w[..]),
                &mut att,
            );
            if want_cross {
                weights.push(w);
            }
            b.cross_out.apply(&att, t, &mut x, true);

            // MLP.
            b.mlp.add_to(&mut x, t, &mut xn, &mut hidden);
        }
        cache.len = offset + t;
        self.norm.apply(&x, &mut xn);
        Ok((xn, weights))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::pseudo;
    use candle_core::{Device, Tensor};

    fn dense(n_out: usize, n_in: usize, seed: u32) -> Dense {
        let w = Tensor::from_vec(pseudo(n_out * n_in, seed), (n_out, n_in), &Device::Cpu);
        let b = Tensor::from_vec(pseudo(n_out, seed + 1), n_out, &Device::Cpu);
        Dense::from_tensors(&w.unwrap(), Some(&b.unwrap())).unwrap()
    }

    fn norm(d: usize, seed: u32) -> Norm {
        let g: Vec<f32> = pseudo(d, seed).iter().map(|v| 1.0 + v).collect();
        let g = Tensor::from_vec(g, d, &Device::Cpu).unwrap();
        let b = Tensor::from_vec(pseudo(d, seed + 1), d, &Device::Cpu).unwrap();
        Norm::from_tensors(&g, &b).unwrap()
    }

    fn decoder(d: usize, heads: usize, layers: u32) -> Decoder {
        let blocks = (0..layers)
            .map(|l| {
                let s = 100 * (l + 1);
                Block {
                    attn: SelfAttention {
                        norm: norm(d, s),
                        qkv: dense(3 * d, d, s + 2),
                        out: dense(d, d, s + 4),
                    },
                    cross_norm: norm(d, s + 6),
                    cross_q: dense(d, d, s + 8),
                    cross_k: dense(d, d, s + 10),
                    cross_v: dense(d, d, s + 12),
                    cross_out: dense(d, d, s + 14),
                    mlp: Mlp {
                        norm: norm(d, s + 16),
                        fc1: dense(4 * d, d, s + 18),
                        fc2: dense(d, 4 * d, s + 20),
                    },
                }
            })
            .collect();
        Decoder {
            d,
            heads,
            pos: pseudo(12 * d, 7),
            blocks,
            norm: norm(d, 9),
        }
    }

    #[test]
    fn token_by_token_decoding_equals_decoding_the_whole_sequence() {
        let (d, heads, frames, t) = (16, 2, 7, 5);
        let dec = decoder(d, heads, 2);
        let cross = dec.cross_kv(&pseudo(frames * d, 3), frames).unwrap();
        let x = pseudo(t * d, 4);

        let mut cache = KvCache::default();
        let (whole, whole_weights) = dec.forward(x.clone(), &mut cache, &cross, true).unwrap();
        assert_eq!(cache.len(), t);
        assert_eq!(whole_weights.len(), 2);

        // A two-token prompt, then one token at a time, as greedy decoding runs.
        let mut cache = KvCache::default();
        let (mut steps, _) = dec
            .forward(x[..2 * d].to_vec(), &mut cache, &cross, false)
            .unwrap();
        let mut last_weights = Vec::new();
        for i in 2..t {
            let (h, w) = dec
                .forward(x[i * d..(i + 1) * d].to_vec(), &mut cache, &cross, true)
                .unwrap();
            steps.extend(h);
            last_weights = w;
        }
        let worst = whole
            .iter()
            .zip(&steps)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "hidden states differ by {worst}");
        // The last token's cross-attention weights, head by head, in every block.
        for (l, w) in last_weights.iter().enumerate() {
            for h in 0..heads {
                let step = &w[h * frames..(h + 1) * frames];
                let row = (h * t + t - 1) * frames;
                let full = &whole_weights[l][row..row + frames];
                for (a, b) in step.iter().zip(full) {
                    assert!((a - b).abs() < 1e-5, "block {l} head {h}: {a} vs {b}");
                }
                assert!((step.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn layers_of_the_wrong_size_are_refused_before_running() {
        let good = decoder(8, 2, 1);
        assert!(good.check().is_ok());
        let mut bad = good.clone();
        bad.blocks[0].cross_v = dense(8, 6, 1);
        let e = bad.check().unwrap_err().to_string();
        assert!(e.contains("decoder block 0 cross-attention value"), "{e}");
        let mut bad = good.clone();
        bad.blocks[0].mlp.norm = norm(7, 1);
        assert!(bad.check().is_err());
        let mut bad = good;
        bad.heads = 3;
        assert!(bad.check().is_err());
    }

    #[test]
    fn decoding_past_the_positions_or_with_foreign_keys_is_an_error() {
        let dec = decoder(8, 2, 1);
        let cross = dec.cross_kv(&pseudo(3 * 8, 1), 3).unwrap();
        let mut cache = KvCache::default();
        assert!(dec
            .forward(pseudo(13 * 8, 2), &mut cache, &cross, false)
            .is_err());
        let other = decoder(8, 2, 2);
        let foreign = other.cross_kv(&pseudo(3 * 8, 1), 3).unwrap();
        assert!(dec
            .forward(pseudo(8, 2), &mut cache, &foreign, false)
            .is_err());
        assert!(dec.cross_kv(&pseudo(5, 1), 3).is_err());
    }
}
