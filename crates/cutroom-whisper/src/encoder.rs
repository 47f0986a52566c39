//! The Whisper encoder on the plain-buffer layers of [`crate::layers`].
//!
//! Transcription spends most of its time here: every 30 s window runs 1500 positions
//! through the two convolutions (each one matrix product over an im2col buffer) and every
//! block. The query, key and value projections are one product; the output projection and
//! the second MLP layer add straight into the residual stream.

use crate::kernels::gelu;
use crate::layers::{attention, Conv, Mlp, Norm, Rows, SelfAttention};
use crate::WhisperError;

type Res<T> = Result<T, WhisperError>;

/// One encoder block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Self-attention projections.
    pub attn: SelfAttention,
    /// The MLP.
    pub mlp: Mlp,
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

impl Encoder {
    /// An error unless every layer has the sizes the model's width and mel bins call for.
    pub(crate) fn check(&self) -> Res<()> {
        let d = self.d;
        if self.heads == 0 || d % self.heads != 0 {
            return Err(WhisperError::Inference(format!(
                "{} heads do not divide the width {d}",
                self.heads
            )));
        }
        self.conv1.check(self.n_mels, d, "encoder convolution 1")?;
        self.conv2.check(d, d, "encoder convolution 2")?;
        for (l, b) in self.blocks.iter().enumerate() {
            let name = |part: &str| format!("encoder block {l} {part}");
            b.attn.check(d, &name("attention"))?;
            b.mlp.check(d, &name("MLP"))?;
        }
        self.norm.check(d, "encoder final norm")
    }

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
            b.attn.project(&x, n, &mut xn, &mut qkv);
            let dh = d / self.heads;
            let at = |offset| Rows::new(&qkv, 3 * d, offset, dh);
            let heads = (self.heads, d / self.heads);
            attention(at(0), at(d), at(2 * d), (n, n), heads, None, None, &mut att);
            b.attn.out.apply(&att, n, &mut x, true);
            b.mlp.add_to(&mut x, n, &mut xn, &mut hidden);
        }
        self.norm.apply(&x, &mut xn);
        Ok((xn, n))
    }
}
