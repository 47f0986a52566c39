//! Building blocks of the Whisper network on plain f32 buffers: dense layers and
//! convolutions on `gemm`, layer norm, and multi-head attention.
//!
//! Compared with a tensor-per-operation graph, dense layers write bias-initialised outputs
//! (or add straight into the residual stream), and attention runs per head in blocks of
//! query rows, so that a head's score matrix never exists whole (a block's scores stay in
//! cache instead of being freshly mapped and zeroed by the kernel) and the work spreads
//! over rayon's threads. Softmax, GELU and layer norm are the vectorised kernels of
//! [`crate::kernels`].

use candle_core::Tensor;
use gemm::{gemm, Parallelism};
use rayon::prelude::*;

use crate::kernels::{add_row_dots, attend_row, gelu, layer_norm, softmax_rows};
use crate::WhisperError;

type Res<T> = Result<T, WhisperError>;

/// Query rows per attention block.
const BLOCK_ROWS: usize = 96;

/// A dense layer: `y = x · wᵀ + b`, `w` row-major `[n_out, n_in]` (the checkpoint's own
/// layout: one row per output, so that a single-row product streams contiguous rows).
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    n_in: usize,
    n_out: usize,
}

impl Dense {
    /// From an `[out, in]` weight and an optional bias.
    pub(crate) fn from_tensors(w: &Tensor, b: Option<&Tensor>) -> Res<Dense> {
        let (n_out, n_in) = w.dims2()?;
        let w = w.flatten_all()?.to_vec1::<f32>()?;
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
        let w = parts.iter().flat_map(|p| p.w.iter().copied()).collect();
        let b = parts.iter().flat_map(|p| p.b.iter().copied()).collect();
        Ok(Dense { w, b, n_in, n_out })
    }

    /// An error naming `what` unless the layer maps `n_in` values to `n_out`.
    pub(crate) fn check(&self, n_in: usize, n_out: usize, what: &str) -> Res<()> {
        if (self.n_in, self.n_out) == (n_in, n_out) {
            Ok(())
        } else {
            Err(WhisperError::Inference(format!(
                "{what} maps {} values to {}, the model needs {n_in} to {n_out}",
                self.n_in, self.n_out
            )))
        }
    }

    /// `dst = (dst if accumulate, else 0) + x · wᵀ + b` for `rows` rows of `x`.
    pub(crate) fn apply(&self, x: &[f32], rows: usize, dst: &mut [f32], accumulate: bool) {
        assert!(
            x.len() == rows * self.n_in && dst.len() == rows * self.n_out,
            "dense layer buffers do not match their sizes"
        );
        for row in dst.chunks_exact_mut(self.n_out) {
            if accumulate {
                row.iter_mut().zip(&self.b).for_each(|(d, b)| *d += b);
            } else {
                row.copy_from_slice(&self.b);
            }
        }
        if rows == 1 {
            self.add_row_product(x, dst);
            return;
        }
        // SAFETY: the slices hold rows × n_in, n_out × n_in and rows × n_out values, which
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
                self.n_in as isize,
                1,
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

impl Dense {
    /// `dst += x · wᵀ` for one row: a decoding step reads every weight once, so each thread
    /// streams its own contiguous block of weight rows instead of packing them.
    fn add_row_product(&self, x: &[f32], dst: &mut [f32]) {
        let threads = rayon::current_num_threads().max(1);
        let outputs = self.n_out.div_ceil(threads).max(1);
        dst.par_chunks_mut(outputs)
            .zip(self.w.par_chunks(outputs * self.n_in))
            .for_each(|(acc, w)| add_row_dots(x, w, acc));
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

    /// An error naming `what` unless gain and bias both hold `d` values.
    pub(crate) fn check(&self, d: usize, what: &str) -> Res<()> {
        if self.g.len() == d && self.b.len() == d && d > 0 {
            Ok(())
        } else {
            Err(WhisperError::Inference(format!(
                "{what} has {} gains and {} biases, the model width is {d}",
                self.g.len(),
                self.b.len()
            )))
        }
    }

    /// Normalises each row of `x` into `out`.
    ///
    /// # Panics
    /// If the buffers are not whole rows of the norm's width (a caller's bug).
    pub(crate) fn apply(&self, x: &[f32], out: &mut [f32]) {
        let width = self.g.len();
        assert!(
            width > 0 && x.len() == out.len() && x.len() % width == 0,
            "layer norm buffers do not match its width"
        );
        layer_norm(x, out, &self.g, &self.b, 1e-5);
    }
}

/// A block's pre-norm self-attention projections: the norm, the query, key and value
/// projections side by side (`[d, 3d]`), and the output projection.
#[derive(Debug, Clone)]
pub(crate) struct SelfAttention {
    /// Layer norm before attention.
    pub norm: Norm,
    /// Query, key and value projections side by side.
    pub qkv: Dense,
    /// Output projection.
    pub out: Dense,
}

impl SelfAttention {
    /// An error naming `what` unless the projections fit width `d`.
    pub(crate) fn check(&self, d: usize, what: &str) -> Res<()> {
        self.norm.check(d, &format!("{what} norm"))?;
        self.qkv.check(d, 3 * d, &format!("{what} projections"))?;
        self.out.check(d, d, &format!("{what} output"))
    }

    /// Normalises the `rows` rows of `x` into `xn` and projects them to queries, keys and
    /// values, side by side in `qkv` (`[rows, 3d]`).
    pub(crate) fn project(&self, x: &[f32], rows: usize, xn: &mut [f32], qkv: &mut [f32]) {
        self.norm.apply(x, xn);
        self.qkv.apply(xn, rows, qkv, false);
    }
}

/// A block's pre-norm MLP: `x += fc2(GELU(fc1(norm(x))))`.
#[derive(Debug, Clone)]
pub(crate) struct Mlp {
    /// Layer norm before the MLP.
    pub norm: Norm,
    /// First layer (to the hidden width).
    pub fc1: Dense,
    /// Second layer (back to the model width).
    pub fc2: Dense,
}

impl Mlp {
    /// An error naming `what` unless the MLP maps width `d` to itself.
    pub(crate) fn check(&self, d: usize, what: &str) -> Res<()> {
        self.norm.check(d, &format!("{what} norm"))?;
        self.fc1
            .check(d, self.fc1.n_out, &format!("{what} first layer"))?;
        self.fc2
            .check(self.fc1.n_out, d, &format!("{what} second layer"))
    }

    /// Adds the MLP's output for the `rows` rows of `x` to `x`; `xn` (as long as `x`) and
    /// `hidden` are scratch space.
    pub(crate) fn add_to(&self, x: &mut [f32], rows: usize, xn: &mut [f32], hidden: &mut Vec<f32>) {
        self.norm.apply(x, xn);
        hidden.resize(rows * self.fc1.n_out, 0.0);
        self.fc1.apply(xn, rows, hidden, false);
        gelu(hidden);
        self.fc2.apply(hidden, rows, x, true);
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
        // Column (k · cin + i) of the dense weight holds tap k of input channel i.
        let mut wt = vec![0.0; 3 * cin * cout];
        for o in 0..cout {
            for i in 0..cin {
                for t in 0..3 {
                    wt[o * 3 * cin + t * cin + i] = v[(o * cin + i) * 3 + t];
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

    /// An error naming `what` unless the convolution maps `cin` channels to `cout`.
    pub(crate) fn check(&self, cin: usize, cout: usize, what: &str) -> Res<()> {
        self.dense.check(3 * cin, cout, what)
    }

    /// Output length for `len` input positions.
    pub(crate) fn out_len(&self, len: usize) -> usize {
        (len + 2 - 3) / self.stride + 1
    }

    /// Convolves `len` positions read by `at(channel, position)`; returns `[out_len, cout]`.
    pub(crate) fn apply(&self, len: usize, at: impl Fn(usize, usize) -> f32 + Sync) -> Vec<f32> {
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

/// A pointer the attention tasks write through; each task writes a disjoint region.
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

/// Per-head matrices read by rows: element `(r, c)` of head `h` is
/// `data[offset + h * head_stride + r * stride + c]`. Heads side by side in one row (the
/// `[rows, heads · dh]` layout) have `head_stride = dh`; heads one after another (the
/// `[heads, rows, dh]` layout) have `head_stride = rows · dh` and `stride = dh`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rows<'a> {
    /// The values.
    pub data: &'a [f32],
    /// Distance between rows.
    pub stride: usize,
    /// Position of head 0's first value.
    pub offset: usize,
    /// Distance between heads.
    pub head_stride: usize,
}

impl<'a> Rows<'a> {
    /// Rows `stride` apart, starting at `offset`, heads `head_stride` apart.
    pub(crate) fn new(
        data: &'a [f32],
        stride: usize,
        offset: usize,
        head_stride: usize,
    ) -> Rows<'a> {
        Rows {
            data,
            stride,
            offset,
            head_stride,
        }
    }

    /// Position of row `r` of head `h`.
    fn at(&self, h: usize, r: usize) -> usize {
        self.offset + h * self.head_stride + r * self.stride
    }

    fn holds(&self, rows: usize, (heads, dh): (usize, usize)) -> bool {
        rows == 0 || heads == 0 || self.at(heads - 1, rows - 1) + dh <= self.data.len()
    }
}

/// Queries up to which attention runs row by row (a decoding step) instead of as matrix
/// products.
const SMALL_QUERIES: usize = 4;

/// Multi-head scaled dot-product attention.
///
/// `q` has `t` rows and `k`, `v` have `n` rows per head, each `dh` wide. Writes
/// `[t, heads·dh]` into `out`. With `causal = Some(offset)`, query `i` sees keys
/// `0..=offset + i` only. With `weights`, also writes every head's attention weights there,
/// `[heads, t, n]`.
///
/// # Panics
/// If a buffer is smaller than the sizes given (a caller's bug, not an input error).
#[allow(clippy::too_many_arguments)]
pub(crate) fn attention(
    q: Rows,
    k: Rows,
    v: Rows,
    (t, n): (usize, usize),
    (heads, dh): (usize, usize),
    causal: Option<usize>,
    weights: Option<&mut [f32]>,
    out: &mut [f32],
) {
    let d = heads * dh;
    assert!(
        q.holds(t, (heads, dh))
            && k.holds(n, (heads, dh))
            && v.holds(n, (heads, dh))
            && out.len() >= t * d
            && weights.as_ref().is_none_or(|w| w.len() >= heads * t * n),
        "attention buffers smaller than their sizes"
    );
    if t == 0 || n == 0 {
        return;
    }
    let scale = 1.0 / (dh as f32).sqrt();
    let visible = |i: usize| causal.map_or(n, |o| (o + i + 1).min(n));
    let dst = OutPtr(out.as_mut_ptr());
    let wdst = weights.map(|w| OutPtr(w.as_mut_ptr()));
    if t <= SMALL_QUERIES {
        (0..heads * t)
            .into_par_iter()
            .for_each_init(Vec::new, |scores, task| {
                let (h, i) = (task / t, task % t);
                let m = visible(i);
                scores.clear();
                scores.resize(n, 0.0);
                // SAFETY: the task writes only row i, columns h·dh..(h+1)·dh of `out` (t × d)
                // and row (h, i) of `weights` (heads × t × n), which no other task touches.
                let (o, w) = unsafe {
                    (
                        std::slice::from_raw_parts_mut(dst.at(i * d + h * dh), dh),
                        wdst.map(|w| std::slice::from_raw_parts_mut(w.at((h * t + i) * n), n)),
                    )
                };
                attend_row(
                    &q.data[q.at(h, i)..q.at(h, i) + dh],
                    &k.data[k.at(h, 0)..],
                    &v.data[v.at(h, 0)..],
                    (k.stride, v.stride),
                    scale,
                    &mut scores[..m],
                    o,
                );
                if let Some(w) = w {
                    w.copy_from_slice(scores);
                }
            });
        return;
    }
    let blocks = t.div_ceil(BLOCK_ROWS);
    (0..heads * blocks)
        .into_par_iter()
        .for_each_init(Vec::new, |scores, task| {
            let (h, blk) = (task / blocks, task % blocks);
            let r0 = blk * BLOCK_ROWS;
            let rows = BLOCK_ROWS.min(t - r0);
            scores.resize(rows * n, 0.0);
            let s = &mut scores[..rows * n];
            // SAFETY: the assertion above keeps every pointer and stride inside `q`, `k`, `v`
            // and the task's own `scores`; the task writes only rows r0..r0+rows, columns
            // h·dh..(h+1)·dh of `out` and rows (h, r0..r0+rows) of `weights`, which no other
            // task touches.
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
                    q.data.as_ptr().add(q.at(h, r0)),
                    1,
                    q.stride as isize,
                    k.data.as_ptr().add(k.at(h, 0)),
                    k.stride as isize,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
                for (i, row) in s.chunks_exact_mut(n).enumerate() {
                    row[visible(r0 + i)..].fill(f32::NEG_INFINITY);
                }
                softmax_rows(s, n);
                if let Some(w) = wdst {
                    std::ptr::copy_nonoverlapping(s.as_ptr(), w.at((h * t + r0) * n), rows * n);
                }
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
                    v.data.as_ptr().add(v.at(h, 0)),
                    1,
                    v.stride as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
        });
}

/// Reproducible values in [-0.5, 0.5) for the tests of this crate's numeric code.
#[cfg(test)]
pub(crate) fn pseudo(n: usize, seed: u32) -> Vec<f32> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

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
                    acc += x[r * l.n_in + i] as f64 * l.w[o * l.n_in + i] as f64;
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
        // Several rows (matrix product) and one row (a decoding step's streamed product),
        // with an input wider than the kernels' 16 lanes.
        for rows in [4, 1] {
            let l = dense(37, 5, 3);
            let x = pseudo(rows * 37, 9);
            let want = direct_dense(&l, &x, rows);
            let mut y = vec![0.0; rows * 5];
            l.apply(&x, rows, &mut y, false);
            close(&y, &want, 1e-5);
            let mut acc = vec![1.0; rows * 5];
            l.apply(&x, rows, &mut acc, true);
            let plus_one: Vec<f64> = want.iter().map(|v| v + 1.0).collect();
            close(&acc, &plus_one, 1e-5);
        }
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

    /// Direct attention in f64: `[t, d]` and the weights `[heads, t, n]`.
    fn direct_attention(
        q: &[f32],
        kv: (&[f32], &[f32]),
        (t, n, heads, dh): (usize, usize, usize, usize),
        causal: Option<usize>,
    ) -> (Vec<f64>, Vec<f64>) {
        let d = heads * dh;
        let (k, v) = kv;
        let mut out = vec![0.0f64; t * d];
        let mut weights = vec![0.0f64; heads * t * n];
        for h in 0..heads {
            for i in 0..t {
                let visible = causal.map_or(n, |o| (o + i + 1).min(n));
                let s: Vec<f64> = (0..visible)
                    .map(|j| {
                        (0..dh)
                            .map(|c| q[i * d + h * dh + c] as f64 * k[j * d + h * dh + c] as f64)
                            .sum::<f64>()
                            / (dh as f64).sqrt()
                    })
                    .collect();
                let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
                let total: f64 = e.iter().sum();
                for (j, e) in e.iter().enumerate() {
                    weights[(h * t + i) * n + j] = e / total;
                }
                for c in 0..dh {
                    out[i * d + h * dh + c] = (0..visible)
                        .map(|j| e[j] / total * v[j * d + h * dh + c] as f64)
                        .sum();
                }
            }
        }
        (out, weights)
    }

    #[test]
    fn blocked_attention_equals_direct_softmax_attention() {
        // More rows than one block, and a row count that does not divide evenly; queries,
        // keys and values read side by side from one buffer as the encoder lays them out.
        let (heads, dh, n) = (3usize, 8usize, BLOCK_ROWS + 37);
        let d = heads * dh;
        let qkv: Vec<f32> = pseudo(n * 3 * d, 11).iter().map(|v| v * 4.0).collect();
        let col = |c: usize| -> Vec<f32> {
            qkv.chunks(3 * d)
                .flat_map(|r| r[c * d..(c + 1) * d].to_vec())
                .collect()
        };
        let (q, k, v) = (col(0), col(1), col(2));
        let rows = |offset| Rows::new(&qkv, 3 * d, offset, dh);
        let mut out = vec![0.0; n * d];
        attention(
            rows(0),
            rows(d),
            rows(2 * d),
            (n, n),
            (heads, dh),
            None,
            None,
            &mut out,
        );
        let (want, _) = direct_attention(&q, (&k, &v), (n, n, heads, dh), None);
        close(&out, &want, 1e-5);
    }

    #[test]
    fn causal_attention_sees_only_earlier_keys_and_reports_its_weights() {
        // Three new queries after five cached keys, as a decoder step with a prompt.
        let (heads, dh, t, offset) = (2usize, 4usize, 3usize, 5usize);
        let (d, n) = (heads * dh, offset + t);
        let q = pseudo(t * d, 21);
        let (k, v) = (pseudo(n * d, 22), pseudo(n * d, 23));
        let rows = |data| Rows::new(data, d, 0, dh);
        let mut out = vec![0.0; t * d];
        let mut weights = vec![0.0; heads * t * n];
        attention(
            rows(&q),
            rows(&k),
            rows(&v),
            (t, n),
            (heads, dh),
            Some(offset),
            Some(&mut weights),
            &mut out,
        );
        let (want, want_w) = direct_attention(&q, (&k, &v), (t, n, heads, dh), Some(offset));
        close(&out, &want, 1e-5);
        close(&weights, &want_w, 1e-6);
        // The first new query does not see the two keys after it.
        assert_eq!(&weights[n - 2..n], &[0.0, 0.0]);
    }
}
