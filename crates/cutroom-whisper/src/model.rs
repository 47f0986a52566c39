//! The Whisper network: loading the weights into the encoder ([`crate::encoder`]), the
//! decoder ([`crate::decoder`]) and the token embedding ([`crate::vocab`]), and running them.
//!
//! A faithful port of the reference model: pre-norm transformer blocks, exact (erf) GELU,
//! queries and values with bias and keys without, layer norm epsilon 1e-5, learned decoder
//! positions and sinusoidal encoder positions (both read from the weights), and logits
//! from the token embedding (greedy steps screen them in half precision and make the
//! deciding ones exact). Weights are kept in f32 in the checkpoint's layout, on plain
//! buffers that the network runs on directly; the public interface takes and returns candle
//! tensors.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, D};

use crate::decoder::{self, Decoder};
pub use crate::decoder::{CrossKv, KvCache};
use crate::encoder::{self, Encoder};
use crate::layers::{Conv, Dense, Mlp, Norm, SelfAttention};
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

/// Loaded Whisper weights, ready to run.
#[derive(Debug, Clone)]
pub struct Model {
    /// Sizes.
    pub dims: Dims,
    encoder: Encoder,
    decoder: Decoder,
    vocab: Vocab,
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

/// A linear layer (`[out, in]` weight, optional bias).
fn linear(src: &mut dyn WeightSource, names: &(String, Option<String>)) -> Res<Dense> {
    let w = src.get(&names.0)?;
    let b = match &names.1 {
        Some(n) if src.has(n) => Some(src.get(n)?),
        _ => None,
    };
    Dense::from_tensors(&w, b.as_ref())
}

fn norm(src: &mut dyn WeightSource, names: &(String, String)) -> Res<Norm> {
    Norm::from_tensors(&src.get(&names.0)?, &src.get(&names.1)?)
}

/// An attention block's layers: query, key, value, output, and the norm before it.
struct AttnLayers {
    q: Dense,
    k: Dense,
    v: Dense,
    out: Dense,
    norm: Norm,
}

fn attention(src: &mut dyn WeightSource, n: &AttnNames) -> Res<AttnLayers> {
    Ok(AttnLayers {
        q: linear(src, &n.q)?,
        k: linear(src, &n.k)?,
        v: linear(src, &n.v)?,
        out: linear(src, &n.out)?,
        norm: norm(src, &n.norm)?,
    })
}

/// Self-attention layers with the query, key and value projections fused.
fn self_attention(src: &mut dyn WeightSource, n: &AttnNames) -> Res<SelfAttention> {
    let a = attention(src, n)?;
    Ok(SelfAttention {
        norm: a.norm,
        qkv: Dense::concat(&[a.q, a.k, a.v])?,
        out: a.out,
    })
}

fn mlp(src: &mut dyn WeightSource, (fc1, fc2, nm): &MlpNames) -> Res<Mlp> {
    Ok(Mlp {
        norm: norm(src, nm)?,
        fc1: linear(src, fc1)?,
        fc2: linear(src, fc2)?,
    })
}

fn flat(t: Tensor) -> Res<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1()?)
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
            enc_blocks.push(encoder::Block {
                attn: self_attention(src, &naming.attn(true, l, false))?,
                mlp: mlp(src, &naming.mlp(true, l))?,
            });
        }
        let encoder = Encoder {
            d: dims.d_model,
            heads: dims.n_heads,
            n_mels: dims.n_mels,
            conv1: Conv::from_tensors(&src.get(&c1w)?, &src.get(&c1b)?, 1)?,
            conv2: Conv::from_tensors(&src.get(&c2w)?, &src.get(&c2b)?, 2)?,
            pos: flat(src.get(&naming.positions(true))?)?,
            blocks: enc_blocks,
            norm: norm(src, &naming.final_norm(true))?,
        };
        let mut dec_blocks = Vec::new();
        for l in 0..dims.decoder_layers {
            let attn = self_attention(src, &naming.attn(false, l, false))?;
            let c = attention(src, &naming.attn(false, l, true))?;
            dec_blocks.push(decoder::Block {
                attn,
                cross_norm: c.norm,
                cross_q: c.q,
                cross_k: c.k,
                cross_v: c.v,
                cross_out: c.out,
                mlp: mlp(src, &naming.mlp(false, l))?,
            });
        }
        let decoder = Decoder {
            d: dims.d_model,
            heads: dims.n_heads,
            pos: flat(src.get(&naming.positions(false))?)?,
            blocks: dec_blocks,
            norm: norm(src, &naming.final_norm(false))?,
        };
        encoder.check()?;
        decoder.check()?;
        let vocab = Vocab::new(flat(src.get(&naming.embedding())?)?, dims.d_model)?;
        Ok(Model {
            dims,
            encoder,
            decoder,
            vocab,
        })
    }

    /// Runs the encoder on a `[n_mels, frames]` log-mel window (frames = 3000); returns
    /// `[frames / 2, d_model]`.
    pub fn encode(&self, mel: &Tensor) -> Res<Tensor> {
        let (_, frames) = mel.dims2()?;
        let (x, n) = self.encoder.forward(&flat(mel.clone())?, frames)?;
        Ok(Tensor::from_vec(x, (n, self.dims.d_model), mel.device())?)
    }

    /// Cross-attention keys and values of every decoder block for an encoder output
    /// `[frames, d_model]`.
    pub fn cross_kv(&self, audio: &Tensor) -> Res<CrossKv> {
        let (frames, _) = audio.dims2()?;
        self.decoder.cross_kv(&flat(audio.clone())?, frames)
    }

    /// [`Model::encode`] then [`Model::cross_kv`] for a row-major `[n_mels, frames]` window,
    /// without tensors in between.
    pub(crate) fn window_kv(&self, mel: &[f32], frames: usize) -> Res<CrossKv> {
        let (audio, n) = self.encoder.forward(mel, frames)?;
        self.decoder.cross_kv(&audio, n)
    }

    /// Runs the decoder on `tokens` placed after the `cache`'s contents; returns the
    /// normalised hidden states `[tokens, d_model]` and, when `want_cross` is set, every
    /// block's cross-attention weights `[heads, tokens, frames]`.
    pub fn decode(
        &self,
        tokens: &[u32],
        cache: &mut KvCache,
        cross: &CrossKv,
        want_cross: bool,
    ) -> Res<(Tensor, Vec<Tensor>)> {
        let (t, d) = (tokens.len(), self.dims.d_model);
        let dev = &Device::Cpu;
        let (hidden, weights) =
            self.decoder
                .forward(self.vocab.embed(tokens)?, cache, cross, want_cross)?;
        let weights = weights
            .into_iter()
            .map(|w| Tensor::from_vec(w, (self.dims.n_heads, t, cross.frames()), dev))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((Tensor::from_vec(hidden, (t, d), dev)?, weights))
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
