//! The Whisper encoder on plain f32 buffers and `gemm`.
//!
//! Transcription spends most of its time here: every 30 s window runs 1500 positions
//! through the convolutions and every block. Compared with a tensor-per-operation graph,
//! this version
//!
//! - runs the two convolutions as one matrix product each over an im2col buffer;
//! - computes the query, key and value projections as one product with bias-initialised
//!   output, and adds the output projection and the second MLP layer straight into the
//!   residual stream;
//! - computes attention per head in blocks of query rows, so that a head's 1500 × 1500
//!   score matrix never exists whole (a block's scores stay in cache and are reused
//!   across blocks instead of being freshly mapped and zeroed by the kernel);
//! - uses the vectorised softmax, GELU and layer norm of [`crate::kernels`];
//! - spreads the products and the attention blocks over rayon's threads.
//!
//! The arithmetic is the reference model's: the tests compare the result with a direct
//! evaluation, and the transcripts stay equal to faster-whisper's.

use candle_core::Tensor;
use gemm::{gemm, Parallelism};
use rayon::prelude::*;

use crate::kernels::{gelu, layer_norm, softmax_rows};
use crate::WhisperError;

type Res<T> = Result<T, WhisperError>;

/// Query rows per attention block.
const BLOCK_ROWS: usize = 96;

/// A dense layer: `y = x · w + b`, `w` row-major `[n_in, n_out]`.
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    n_in: usize,
    n_out: usize,
}

impl Dense {
    /// From a weight already transposed to `[in, out]` and an optional bias.
    pub(crate) fn from_tensors(wt: &Tensor, b: Option<&Tensor>) -> Res<Dense> {
        let (n_in, n_out) = wt.dims2()?;
        let w = wt.flatten_all()?.to_vec1::<f32>()?;
        let b = match b {
            Some(b) => b.flatten_all()?.to_vec1::<f32>()?,
            None => vec![0.0; n_out],
        };
        if b.len() != n_out {
            return Err(WhisperError::Inference(format!(
                "bias of {} values for a layer of {n_out} outputs",
                b.len()
            )));
        }
        Ok(Dense { w, b, n_in, n_out })
    }

    /// Several layers with the same input side by side (their outputs concatenated).
    pub(crate) fn concat(parts: &[Dense]) -> Res<Dense> {
        let n_in = parts.first().map_or(0, |p| p.n_in);
        if parts.iter().any(|p| p.n_in != n_in) {
            return Err(WhisperError::Inference(
                "fused projections differ in input width".into(),
            ));
        }
        let n_out: usize = parts.iter().map(|p| p.n_out).sum();
        let mut w = Vec::with_capacity(n_in * n_out);
        for i in 0..n_in {
            for p in parts {
                w.extend_from_slice(&p.w[i * p.n_out..(i + 1) * p.n_out]);
            }
        }
        let b = parts.iter().flat_map(|p| p.b.iter().copied()).collect();
        Ok(Dense { w, b, n_in, n_out })
    }

    /// `dst = (dst if accumulate, else 0) + x · w + b` for `rows` rows of `x`.
    fn apply(&self, x: &[f32], rows: usize, dst: &mut [f32], accumulate: bool) {
        debug_assert_eq!(x.len(), rows * self.n_in);
        debug_assert_eq!(dst.len(), rows * self.n_out);
        for row in dst.chunks_exact_mut(self.n_out) {
            if accumulate {
                row.iter_mut().zip(&self.b).for_each(|(d, b)| *d += b);
            } else {
                row.copy_from_slice(&self.b);
            }
        }
        // SAFETY: the slices hold rows × n_in, n_in × n_out and rows × n_out values, which
        // is what the strides below describe.
        unsafe {
            gemm(
                rows,
                self.n_out,
                self.n_in,
                dst.as_mut_ptr(),
                1,
                self.n_out as isize,
                true,
                x.as_ptr(),
                1,
                self.n_in as isize,
                self.w.as_ptr(),
                1,
                self.n_out as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                parallelism(),
            );
        }
    }
}

fn parallelism() -> Parallelism {
    match rayon::current_num_threads() {
        0 | 1 => Parallelism::None,
        n => Parallelism::Rayon(n),
    }
}

/// A layer norm's gain and bias.
#[derive(Debug, Clone)]
pub(crate) struct Norm {
    g: Vec<f32>,
    b: Vec<f32>,
}

impl Norm {
    /// From gain and bias tensors.
    pub(crate) fn from_tensors(g: &Tensor, b: &Tensor) -> Res<Norm> {
        Ok(Norm {
            g: g.flatten_all()?.to_vec1()?,
            b: b.flatten_all()?.to_vec1()?,
        })
    }

    fn apply(&self, x: &[f32], out: &mut [f32]) {
        layer_norm(x, out, &self.g, &self.b, 1e-5);
    }
}

/// A 1-D convolution of kernel 3 and padding 1, as a dense layer over im2col rows.
#[derive(Debug, Clone)]
pub(crate) struct Conv {
    dense: Dense,
    cin: usize,
    stride: usize,
}

impl Conv {
    /// From a `[out, in, 3]` weight and an `[out]` bias.
    pub(crate) fn from_tensors(w: &Tensor, b: &Tensor, stride: usize) -> Res<Conv> {
        let (cout, cin, k) = w.dims3()?;
        if k != 3 {
            return Err(WhisperError::Inference(format!(
                "convolution kernel of {k}, expected 3"
            )));
        }
        let v = w.flatten_all()?.to_vec1::<f32>()?;
        // Row (k · cin + i) of the dense weight holds tap k of input channel i.
        let mut wt = vec![0.0; 3 * cin * cout];
        for o in 0..cout {
            for i in 0..cin {
                for t in 0..3 {
                    wt[(t * cin + i) * cout + o] = v[(o * cin + i) * 3 + t];
                }
            }
        }
        Ok(Conv {
            dense: Dense {
                w: wt,
                b: b.flatten_all()?.to_vec1()?,
                n_in: 3 * cin,
                n_out: cout,
            },
            cin,
            stride,
        })
    }

    /// Output length for `len` input positions.
    fn out_len(&self, len: usize) -> usize {
        (len + 2 - 3) / self.stride + 1
    }

    /// Convolves `len` positions read by `at(channel, position)`; returns `[out_len, cout]`.
    fn apply(&self, len: usize, at: impl Fn(usize, usize) -> f32 + Sync) -> Vec<f32> {
        let out_len = self.out_len(len);
        let width = 3 * self.cin;
        let mut cols = vec![0.0f32; out_len * width];
        cols.par_chunks_mut(width).enumerate().for_each(|(t, row)| {
            for tap in 0..3 {
                let pos = (self.stride * t + tap) as isize - 1;
                if pos < 0 || pos as usize >= len {
                    continue;
                }
                for (i, v) in row[tap * self.cin..(tap + 1) * self.cin]
                    .iter_mut()
                    .enumerate()
                {
                    *v = at(i, pos as usize);
                }
            }
        });
        let mut out = vec![0.0f32; out_len * self.dense.n_out];
        self.dense.apply(&cols, out_len, &mut out, false);
        out
    }
}

/// One encoder block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Layer norm before attention.
    pub attn_norm: Norm,
    /// Query, key and value projections side by side (`[d, 3d]`).
    pub qkv: Dense,
    /// Attention output projection.
    pub out: Dense,
    /// Layer norm before the MLP.
    pub mlp_norm: Norm,
    /// First MLP layer.
    pub fc1: Dense,
    /// Second MLP layer.
    pub fc2: Dense,
}

/// The encoder's weights.
#[derive(Debug, Clone)]
pub(crate) struct Encoder {
    /// Model width.
    pub d: usize,
    /// Attention heads.
    pub heads: usize,
    /// Mel bins of the input.
    pub n_mels: usize,
    /// First convolution (stride 1).
    pub conv1: Conv,
    /// Second convolution (stride 2).
    pub conv2: Conv,
    /// Sinusoidal positions `[max_audio, d]`.
    pub pos: Vec<f32>,
    /// The blocks.
    pub blocks: Vec<Block>,
    /// Final layer norm.
    pub norm: Norm,
}

/// A pointer the attention blocks write through; each block writes disjoint rows/columns.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: used only to write non-overlapping regions from the attention tasks, while the
// owning buffer is borrowed mutably for the duration of the parallel loop.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// The pointer `offset` values in.
    ///
    /// # Safety
    /// `offset` must be inside the buffer.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: the caller keeps `offset` inside the buffer.
        unsafe { self.0.add(offset) }
    }
}

impl Encoder {
    /// Runs the encoder on a `[n_mels, frames]` log-mel window (row-major); returns
    /// `[out_len, d]` row-major and `out_len` (frames / 2).
    pub(crate) fn forward(&self, mel: &[f32], frames: usize) -> Res<(Vec<f32>, usize)> {
        if mel.len() != self.n_mels * frames {
            return Err(WhisperError::Inference(format!(
                "encoder input of {} values, expected {} mels × {frames}",
                mel.len(),
                self.n_mels
            )));
        }
        let d = self.d;
        let mut h1 = self.conv1.apply(frames, |i, t| mel[i * frames + t]);
        gelu(&mut h1);
        let n = self.conv2.out_len(frames);
        if n * d > self.pos.len() {
            return Err(WhisperError::Inference(format!(
                "{n} encoder positions exceed the model's {}",
                self.pos.len() / d
            )));
        }
        let mut x = self.conv2.apply(frames, |i, t| h1[t * d + i]);
        drop(h1);
        gelu(&mut x);
        x.iter_mut().zip(&self.pos).for_each(|(x, p)| *x += p);

        let mut xn = vec![0.0f32; n * d];
        let mut qkv = vec![0.0f32; n * 3 * d];
        let mut att = vec![0.0f32; n * d];
        let mut hidden = vec![0.0f32; n * 4 * d];
        for b in &self.blocks {
            b.attn_norm.apply(&x, &mut xn);
            b.qkv.apply(&xn, n, &mut qkv, false);
            attention(&qkv, n, d, self.heads, &mut att);
            b.out.apply(&att, n, &mut x, true);
            b.mlp_norm.apply(&x, &mut xn);
            hidden.resize(n * b.fc1.n_out, 0.0);
            b.fc1.apply(&xn, n, &mut hidden, false);
            gelu(&mut hidden);
            b.fc2.apply(&hidden, n, &mut x, true);
        }
        self.norm.apply(&x, &mut xn);
        Ok((xn, n))
    }
}

/// Multi-head attention of `qkv` (`[n, 3d]`: queries, keys, values) into `out` (`[n, d]`).
fn attention(qkv: &[f32], n: usize, d: usize, heads: usize, out: &mut [f32]) {
    let dh = d / heads;
    let row3 = 3 * d;
    let scale = 1.0 / (dh as f32).sqrt();
    let blocks = n.div_ceil(BLOCK_ROWS);
    let dst = OutPtr(out.as_mut_ptr());
    let tasks = heads * blocks;
    (0..tasks).into_par_iter().for_each_init(
        || vec![0.0f32; BLOCK_ROWS * n],
        |scores, task| {
            let (h, blk) = (task / blocks, task % blocks);
            let r0 = blk * BLOCK_ROWS;
            let rows = BLOCK_ROWS.min(n - r0);
            let s = &mut scores[..rows * n];
            // SAFETY: every pointer and stride addresses inside `qkv` (n × 3d), the
            // task's own `scores` (rows × n) and, for the output, rows r0..r0+rows and
            // columns h·dh..(h+1)·dh of `out` (n × d), which no other task writes.
            unsafe {
                // scores = scale · Q_h[r0..] · K_hᵀ
                gemm(
                    rows,
                    n,
                    dh,
                    s.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    qkv.as_ptr().add(r0 * row3 + h * dh),
                    1,
                    row3 as isize,
                    qkv.as_ptr().add(d + h * dh),
                    row3 as isize,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
                softmax_rows(s, n);
                // out[r0.., h] = scores · V_h
                gemm(
                    rows,
                    dh,
                    n,
                    dst.at(r0 * d + h * dh),
                    1,
                    d as isize,
                    false,
                    s.as_ptr(),
                    1,
                    n as isize,
                    qkv.as_ptr().add(2 * d + h * dh),
                    1,
                    row3 as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn pseudo(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) - 0.5
            })
            .collect()
    }

    fn dense(n_in: usize, n_out: usize, seed: u32) -> Dense {
        Dense {
            w: pseudo(n_in * n_out, seed),
            b: pseudo(n_out, seed + 1),
            n_in,
            n_out,
        }
    }

    fn direct_dense(l: &Dense, x: &[f32], rows: usize) -> Vec<f64> {
        let mut y = vec![0.0f64; rows * l.n_out];
        for r in 0..rows {
            for o in 0..l.n_out {
                let mut acc = l.b[o] as f64;
                for i in 0..l.n_in {
                    acc += x[r * l.n_in + i] as f64 * l.w[i * l.n_out + o] as f64;
                }
                y[r * l.n_out + o] = acc;
            }
        }
        y
    }

    fn close(got: &[f32], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        let worst = got
            .iter()
            .zip(want)
            .map(|(&g, &w)| (g as f64 - w).abs())
            .fold(0.0, f64::max);
        assert!(worst < tol, "worst difference {worst}");
    }

    #[test]
    fn dense_layers_add_bias_and_accumulate() {
        let l = dense(7, 5, 3);
        let x = pseudo(4 * 7, 9);
        let want = direct_dense(&l, &x, 4);
        let mut y = vec![0.0; 20];
        l.apply(&x, 4, &mut y, false);
        close(&y, &want, 1e-5);
        let mut acc = vec![1.0; 20];
        l.apply(&x, 4, &mut acc, true);
        let plus_one: Vec<f64> = want.iter().map(|v| v + 1.0).collect();
        close(&acc, &plus_one, 1e-5);
    }

    #[test]
    fn fused_projections_equal_the_separate_ones() {
        let (a, b) = (dense(6, 4, 1), dense(6, 3, 5));
        let both = Dense::concat(&[a.clone(), b.clone()]).unwrap();
        let x = pseudo(2 * 6, 4);
        let (ya, yb) = (direct_dense(&a, &x, 2), direct_dense(&b, &x, 2));
        let mut y = vec![0.0; 2 * 7];
        both.apply(&x, 2, &mut y, false);
        for r in 0..2 {
            close(&y[r * 7..r * 7 + 4], &ya[r * 4..r * 4 + 4], 1e-5);
            close(&y[r * 7 + 4..r * 7 + 7], &yb[r * 3..r * 3 + 3], 1e-5);
        }
        assert!(Dense::concat(&[a, dense(5, 2, 0)]).is_err());
    }

    #[test]
    fn convolution_matches_candle_conv1d() {
        for (stride, len) in [(1usize, 11usize), (2, 12), (2, 11)] {
            let (cin, cout) = (4, 6);
            let w = pseudo(cout * cin * 3, 7);
            let b = pseudo(cout, 8);
            let x = pseudo(cin * len, 9);
            let dev = Device::Cpu;
            let wt = Tensor::from_vec(w, (cout, cin, 3), &dev).unwrap();
            let bt = Tensor::from_vec(b, cout, &dev).unwrap();
            let conv = Conv::from_tensors(&wt, &bt, stride).unwrap();
            let got = conv.apply(len, |i, t| x[i * len + t]);
            let xt = Tensor::from_vec(x.clone(), (1, cin, len), &dev).unwrap();
            let want = xt
                .conv1d(&wt, 1, stride, 1, 1)
                .unwrap()
                .broadcast_add(&bt.reshape((1, cout, 1)).unwrap())
                .unwrap()
                .squeeze(0)
                .unwrap()
                .t()
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let want: Vec<f64> = want.iter().map(|&v| v as f64).collect();
            assert_eq!(got.len(), conv.out_len(len) * cout);
            close(&got, &want, 1e-5);
        }
    }

    #[test]
    fn blocked_attention_equals_direct_softmax_attention() {
        // More rows than one block, and a row count that does not divide evenly.
        let (heads, dh, n) = (3usize, 8usize, BLOCK_ROWS + 37);
        let d = heads * dh;
        let qkv: Vec<f32> = pseudo(n * 3 * d, 11).iter().map(|v| v * 4.0).collect();
        let mut out = vec![0.0; n * d];
        attention(&qkv, n, d, heads, &mut out);
        let at = |r: usize, c: usize| qkv[r * 3 * d + c] as f64;
        let mut want = vec![0.0f64; n * d];
        for h in 0..heads {
            for i in 0..n {
                let s: Vec<f64> = (0..n)
                    .map(|j| {
                        (0..dh)
                            .map(|c| at(i, h * dh + c) * at(j, d + h * dh + c))
                            .sum::<f64>()
                            / (dh as f64).sqrt()
                    })
                    .collect();
                let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
                let total: f64 = e.iter().sum();
                for c in 0..dh {
                    want[i * d + h * dh + c] = (0..n)
                        .map(|j| e[j] / total * at(j, 2 * d + h * dh + c))
                        .sum();
                }
            }
        }
        close(&out, &want, 1e-5);
    }
}
