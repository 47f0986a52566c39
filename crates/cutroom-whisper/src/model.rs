//! The Whisper network: the encoder (on plain buffers, [`crate::encoder`]) and a decoder
//! with a key/value cache on candle tensors.
//!
//! A faithful port of the reference model: pre-norm transformer blocks, exact (erf) GELU,
//! queries and values with bias and keys without, layer norm epsilon 1e-5, learned decoder
//! positions and sinusoidal encoder positions (both read from the weights), and logits
//! from the token embedding ([`crate::vocab`]; greedy steps screen them in half precision
//! and make the deciding ones exact). Weights are kept in f32 with linear layers
//! pre-transposed.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, D};

use crate::encoder::{self, Encoder};
use crate::vocab::{Screen, Vocab};
use crate::WhisperError;

type Res<T> = Result<T, WhisperError>;

/// Sizes of a Whisper model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Mel bins of the input (80 or 128).
    pub n_mels: usize,
    /// Width of the model.
    pub d_model: usize,
    /// Attention heads (encoder and decoder).
    pub n_heads: usize,
    /// Encoder blocks.
    pub encoder_layers: usize,
    /// Decoder blocks.
    pub decoder_layers: usize,
    /// Vocabulary size.
    pub vocab: usize,
    /// Decoder positions (448).
    pub max_text: usize,
    /// Encoder positions (1500).
    pub max_audio: usize,
}

/// A linear layer with its weight transposed to `[in, out]`.
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    wt: Tensor,
    b: Option<Tensor>,
}

impl Linear {
    /// The same layer as a plain dense layer for the encoder.
    fn dense(&self) -> Res<encoder::Dense> {
        encoder::Dense::from_tensors(&self.wt, self.b.as_ref())
    }

    fn new(w: Tensor, b: Option<Tensor>) -> Res<Linear> {
        Ok(Linear {
            wt: w.t()?.contiguous()?,
            b,
        })
    }

    fn forward(&self, x: &Tensor) -> Res<Tensor> {
        let y = x.matmul(&self.wt)?;
        Ok(match &self.b {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Norm {
    g: Tensor,
    b: Tensor,
}

impl Norm {
    /// The same norm for the encoder.
    fn dense(&self) -> Res<encoder::Norm> {
        encoder::Norm::from_tensors(&self.g, &self.b)
    }

    fn forward(&self, x: &Tensor) -> Res<Tensor> {
        Ok(candle_nn::ops::layer_norm(x, &self.g, &self.b, 1e-5)?)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    norm: Norm,
}

#[derive(Debug, Clone)]
pub(crate) struct Mlp {
    fc1: Linear,
    fc2: Linear,
    norm: Norm,
}

impl Mlp {
    fn forward(&self, x: &Tensor) -> Res<Tensor> {
        let h = self.fc1.forward(&self.norm.forward(x)?)?.gelu_erf()?;
        self.fc2.forward(&h)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DecoderBlock {
    attn: Attention,
    cross: Attention,
    mlp: Mlp,
}

/// Loaded Whisper weights, ready to run.
#[derive(Debug, Clone)]
pub struct Model {
    /// Sizes.
    pub dims: Dims,
    encoder: Encoder,
    vocab: Vocab,
    dec_pos: Tensor,
    dec_blocks: Vec<DecoderBlock>,
    dec_norm: Norm,
}

/// A source of named f32 tensors (the loaders map their names onto these).
pub(crate) trait WeightSource {
    fn get(&mut self, name: &str) -> Res<Tensor>;
    fn has(&self, name: &str) -> bool;
}

/// Names of one attention block, in the loader's naming.
pub(crate) struct AttnNames {
    pub q: (String, Option<String>),
    pub k: (String, Option<String>),
    pub v: (String, Option<String>),
    pub out: (String, Option<String>),
    pub norm: (String, String),
}

fn linear(src: &mut dyn WeightSource, names: &(String, Option<String>)) -> Res<Linear> {
    let w = src.get(&names.0)?;
    let b = match &names.1 {
        Some(n) if src.has(n) => Some(src.get(n)?),
        _ => None,
    };
    Linear::new(w, b)
}

fn norm(src: &mut dyn WeightSource, names: &(String, String)) -> Res<Norm> {
    Ok(Norm {
        g: src.get(&names.0)?,
        b: src.get(&names.1)?,
    })
}

fn attention(src: &mut dyn WeightSource, n: &AttnNames) -> Res<Attention> {
    Ok(Attention {
        q: linear(src, &n.q)?,
        k: linear(src, &n.k)?,
        v: linear(src, &n.v)?,
        out: linear(src, &n.out)?,
        norm: norm(src, &n.norm)?,
    })
}

/// Names of a weight and its optional bias.
pub(crate) type LinearNames = (String, Option<String>);
/// Names of an MLP: first and second linear layers and the layer norm (gain, bias).
pub(crate) type MlpNames = (LinearNames, LinearNames, (String, String));

/// The names a loader uses for every weight, given block kinds and indices.
pub(crate) trait Naming {
    fn conv(&self, n: usize) -> (String, String);
    fn positions(&self, encoder: bool) -> String;
    fn embedding(&self) -> String;
    fn final_norm(&self, encoder: bool) -> (String, String);
    fn attn(&self, encoder: bool, layer: usize, cross: bool) -> AttnNames;
    fn mlp(&self, encoder: bool, layer: usize) -> MlpNames;
}

impl Model {
    /// Builds the model from `src`, named by `naming`.
    pub(crate) fn build(src: &mut dyn WeightSource, naming: &dyn Naming, dims: Dims) -> Res<Model> {
        let (c1w, c1b) = naming.conv(1);
        let (c2w, c2b) = naming.conv(2);
        let mut enc_blocks = Vec::new();
        for l in 0..dims.encoder_layers {
            let (f1, f2, nm) = naming.mlp(true, l);
            let attn = attention(src, &naming.attn(true, l, false))?;
            let fc1 = linear(src, &f1)?;
            let fc2 = linear(src, &f2)?;
            let mlp_norm = norm(src, &nm)?;
            enc_blocks.push(encoder::Block {
                attn_norm: attn.norm.dense()?,
                qkv: encoder::Dense::concat(&[attn.q.dense()?, attn.k.dense()?, attn.v.dense()?])?,
                out: attn.out.dense()?,
                mlp_norm: mlp_norm.dense()?,
                fc1: fc1.dense()?,
                fc2: fc2.dense()?,
            });
        }
        let encoder = Encoder {
            d: dims.d_model,
            heads: dims.n_heads,
            n_mels: dims.n_mels,
            conv1: encoder::Conv::from_tensors(&src.get(&c1w)?, &src.get(&c1b)?, 1)?,
            conv2: encoder::Conv::from_tensors(&src.get(&c2w)?, &src.get(&c2b)?, 2)?,
            pos: src.get(&naming.positions(true))?.flatten_all()?.to_vec1()?,
            blocks: enc_blocks,
            norm: norm(src, &naming.final_norm(true))?.dense()?,
        };
        let mut dec_blocks = Vec::new();
        for l in 0..dims.decoder_layers {
            let (f1, f2, nm) = naming.mlp(false, l);
            dec_blocks.push(DecoderBlock {
                attn: attention(src, &naming.attn(false, l, false))?,
                cross: attention(src, &naming.attn(false, l, true))?,
                mlp: Mlp {
                    fc1: linear(src, &f1)?,
                    fc2: linear(src, &f2)?,
                    norm: norm(src, &nm)?,
                },
            });
        }
        let embed = src.get(&naming.embedding())?;
        let vocab = Vocab::new(embed.flatten_all()?.to_vec1()?, dims.d_model)?;
        drop(embed);
        Ok(Model {
            dims,
            encoder,
            vocab,
            dec_pos: src.get(&naming.positions(false))?,
            dec_blocks,
            dec_norm: norm(src, &naming.final_norm(false))?,
        })
    }

    /// Runs the encoder on a `[n_mels, frames]` log-mel window (frames = 3000); returns
    /// `[frames / 2, d_model]`.
    pub fn encode(&self, mel: &Tensor) -> Res<Tensor> {
        let (_, frames) = mel.dims2()?;
        let (x, n) = self
            .encoder
            .forward(&mel.flatten_all()?.to_vec1::<f32>()?, frames)?;
        Ok(Tensor::from_vec(x, (n, self.dims.d_model), mel.device())?)
    }

    /// Cross-attention keys and values of every decoder block for an encoder output.
    pub fn cross_kv(&self, audio: &Tensor) -> Res<Vec<(Tensor, Tensor)>> {
        let h = self.dims.n_heads;
        self.dec_blocks
            .iter()
            .map(|b| {
                let k = split_heads(&b.cross.k.forward(audio)?, h)?;
                let v = split_heads(&b.cross.v.forward(audio)?, h)?;
                Ok((k, v))
            })
            .collect()
    }

    /// Runs the decoder on `tokens` placed after the `cache`'s contents; returns the
    /// normalised hidden states `[tokens, d_model]` and, when `want_cross` is set, every
    /// block's cross-attention weights `[heads, tokens, frames]`.
    pub fn decode(
        &self,
        tokens: &[u32],
        cache: &mut KvCache,
        cross: &[(Tensor, Tensor)],
        want_cross: bool,
    ) -> Res<(Tensor, Vec<Tensor>)> {
        let dev = &Device::Cpu;
        let offset = cache.len;
        let t = tokens.len();
        if offset + t > self.dims.max_text {
            return Err(WhisperError::Inference(format!(
                "decoder input of {} tokens exceeds {}",
                offset + t,
                self.dims.max_text
            )));
        }
        let d = self.dims.d_model;
        let mut x = Tensor::from_vec(self.vocab.embed(tokens)?, (t, d), dev)?
            .add(&self.dec_pos.narrow(0, offset, t)?)?;
        let h = self.dims.n_heads;
        let mask = if t > 1 {
            let total = offset + t;
            let m: Vec<f32> = (0..t)
                .flat_map(|i| {
                    (0..total).map(move |j| {
                        if j > offset + i {
                            f32::NEG_INFINITY
                        } else {
                            0.0
                        }
                    })
                })
                .collect();
            Some(Tensor::from_vec(m, (t, total), dev)?)
        } else {
            None
        };
        let mut weights = Vec::new();
        for (l, b) in self.dec_blocks.iter().enumerate() {
            let xn = b.attn.norm.forward(&x)?;
            let q = split_heads(&b.attn.q.forward(&xn)?, h)?;
            let k = split_heads(&b.attn.k.forward(&xn)?, h)?;
            let v = split_heads(&b.attn.v.forward(&xn)?, h)?;
            let (k, v) = match cache.layers.get(l).and_then(|c| c.as_ref()) {
                Some((pk, pv)) => (Tensor::cat(&[pk, &k], 1)?, Tensor::cat(&[pv, &v], 1)?),
                None => (k, v),
            };
            if cache.layers.len() <= l {
                cache.layers.resize(l + 1, None);
            }
            cache.layers[l] = Some((k.clone(), v.clone()));
            let (a, _) = attend(&q, &k, &v, mask.as_ref(), false)?;
            x = x.add(&b.attn.out.forward(&a)?)?;
            let xn = b.cross.norm.forward(&x)?;
            let q = split_heads(&b.cross.q.forward(&xn)?, h)?;
            let (ck, cv) = &cross[l];
            let (a, w) = attend(&q, ck, cv, None, want_cross)?;
            if let Some(w) = w {
                weights.push(w);
            }
            x = x.add(&b.cross.out.forward(&a)?)?;
            x = x.add(&b.mlp.forward(&x)?)?;
        }
        cache.len = offset + t;
        Ok((self.dec_norm.forward(&x)?, weights))
    }

    /// Logits `[rows, vocab]` for hidden states `[rows, d_model]`.
    pub fn logits(&self, hidden: &Tensor) -> Res<Tensor> {
        let (rows, _) = hidden.dims2()?;
        let h = hidden.flatten_all()?.to_vec1::<f32>()?;
        Ok(Tensor::from_vec(
            self.vocab.logits(&h, rows),
            (rows, self.vocab.len()),
            hidden.device(),
        )?)
    }

    /// Logits of one hidden state (`[1, d_model]`) for a greedy step: screening values,
    /// and the [`Screen`] that makes exact the ones that can decide the step.
    pub(crate) fn screen_logits(&self, hidden: &Tensor) -> Res<(Vec<f32>, Screen<'_>)> {
        let h = hidden.flatten_all()?.to_vec1::<f32>()?;
        if h.len() != self.dims.d_model {
            return Err(WhisperError::Inference(format!(
                "screening takes one hidden state, got {} values",
                h.len()
            )));
        }
        Ok(self.vocab.screen(&h))
    }
}

/// Self-attention keys and values of the tokens decoded so far.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
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

/// `[t, d]` → `[heads, t, d / heads]`.
fn split_heads(x: &Tensor, heads: usize) -> Res<Tensor> {
    let (t, d) = x.dims2()?;
    Ok(x.reshape((t, heads, d / heads))?
        .transpose(0, 1)?
        .contiguous()?)
}

/// Scaled dot-product attention over heads; returns `[t, d]` and optionally the weights.
fn attend(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    want_weights: bool,
) -> Res<(Tensor, Option<Tensor>)> {
    let (h, t, dh) = q.dims3()?;
    let scale = 1.0 / (dh as f64).sqrt();
    let mut s = (q.matmul(&k.t()?)? * scale)?;
    if let Some(m) = mask {
        s = s.broadcast_add(m)?;
    }
    let w = candle_nn::ops::softmax_last_dim(&s)?;
    let o = w.matmul(v)?.transpose(0, 1)?.reshape((t, h * dh))?;
    Ok((o, want_weights.then_some(w)))
}

/// A map of f32 tensors already on the device.
pub(crate) struct TensorMap(pub HashMap<String, Tensor>);

impl WeightSource for TensorMap {
    fn get(&mut self, name: &str) -> Res<Tensor> {
        let t = self
            .0
            .remove(name)
            .ok_or_else(|| WhisperError::Inference(format!("missing weight {name}")))?;
        Ok(t.to_dtype(DType::F32)?)
    }
    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// The CPU device.
pub(crate) fn cpu() -> Device {
    Device::Cpu
}

/// Last-dimension argmax helper for tests and decoding on small tensors.
#[allow(dead_code)]
pub(crate) fn argmax_last(x: &Tensor) -> Res<u32> {
    Ok(x.argmax(D::Minus1)?.to_scalar::<u32>()?)
}
