//! Voice-activity detection for Cutroom: the Silero VAD model (ONNX) run on the CPU with the
//! pure-Rust `tract` runtime.
//!
//! The model is installed by `make setup` (`scripts/models/silero-vad.sh`) from the
//! `silero-vad` PyPI wheel into `<models>/silero-vad/`; nothing is downloaded at run time.
//! [`default_models_dir`] finds the models directory; [`Vad::load`] loads the model from it
//! and fails with a message naming the setup command when it is missing.
//!
//! Audio is 16 kHz mono `f32` in `[-1, 1]`, analysed in windows of [`WINDOW`] (512) samples
//! — 32 ms — each preceded by the last [`CONTEXT`] samples of the window before, as the
//! reference implementation does. [`Vad::probabilities`] returns one speech probability per
//! window; [`VadStream`] does the same for audio arriving in chunks.
//!
//! The sequence model takes a `[windows, 576]` input and carries the LSTM state from row to
//! row, so windows run [`BATCH`] at a time in one call (about twice as fast as one call per
//! window; the probabilities are the same to within float rounding, 1e-7); the last windows of
//! a stream that do not fill a batch run one by one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

/// Samples per analysis window at 16 kHz.
pub const WINDOW: usize = 512;
/// Samples of the previous window prepended to each window.
pub const CONTEXT: usize = 64;
/// Windows per model call in a [`VadStream`] (about 2 s of audio).
pub const BATCH: usize = 64;
/// The only sample rate the model accepts.
pub const SAMPLE_RATE: u32 = 16_000;
/// Directory of the model inside the models directory.
pub const MODEL_DIR: &str = "silero-vad";
/// File name of the model: the LSTM-state variant, which tract loads and optimises (the
/// wheel's files with `If` nodes, and `silero_vad_openvino_16k.onnx` with tract 0.23, do not).
pub const MODEL_FILE: &str = "silero_vad_16k_sequence.onnx";

const STATE_LEN: usize = 2 * 128;

/// Why the VAD could not run.
#[derive(Debug, thiserror::Error)]
pub enum VadError {
    /// The model file is not installed.
    #[error(
        "the Silero VAD model is missing: {path} does not exist; install it with `make setup` \
         (or scripts/setup.sh; `make test` does it too), or point CUTROOM_MODELS at a models \
         directory that has it"
    )]
    Missing {
        /// Where the model was looked for.
        path: PathBuf,
    },
    /// The model file could not be loaded or run.
    #[error("Silero VAD model {path}: {reason}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// The models directory: `$CUTROOM_MODELS` if set, else the first `models/` directory found
/// next to the running executable or above it (a checkout's `target/<profile>/` binaries find
/// `<checkout>/models`), else `models/` of the source checkout this crate was built from.
pub fn default_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CUTROOM_MODELS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let candidate = dir.join("models");
            if candidate.join(MODEL_DIR).is_dir() {
                return candidate;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

type Runnable = Arc<TypedSimplePlan>;

/// A loaded Silero VAD model. Cheap to clone; each [`VadStream`] keeps its own state.
#[derive(Clone)]
pub struct Vad {
    /// The model planned for one window per call.
    single: Runnable,
    /// The model planned for [`BATCH`] windows per call.
    batch: Runnable,
    path: PathBuf,
}

impl std::fmt::Debug for Vad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vad").field("path", &self.path).finish()
    }
}

impl Vad {
    /// Loads `<models_dir>/silero-vad/silero_vad_16k_sequence.onnx`.
    pub fn load(models_dir: impl AsRef<Path>) -> Result<Vad, VadError> {
        let path = models_dir.as_ref().join(MODEL_DIR).join(MODEL_FILE);
        if !path.is_file() {
            return Err(VadError::Missing { path });
        }
        let err = |e: TractError| VadError::Model {
            path: path.clone(),
            reason: format!("{e:#}"),
        };
        let model = tract_onnx::onnx().model_for_path(&path).map_err(err)?;
        // Fixed shapes plan faster than a symbolic sequence length.
        let plan = |windows: usize| {
            model
                .clone()
                .with_input_fact(0, f32::fact([windows, CONTEXT + WINDOW]).into())?
                .with_input_fact(1, f32::fact([1, 1, 128]).into())?
                .with_input_fact(2, f32::fact([1, 1, 128]).into())?
                .into_optimized()?
                .into_runnable()
        };
        let single = plan(1).map_err(err)?;
        let batch = plan(BATCH).map_err(err)?;
        Ok(Vad {
            single,
            batch,
            path,
        })
    }

    /// Loads the model from [`default_models_dir`].
    pub fn load_default() -> Result<Vad, VadError> {
        Vad::load(default_models_dir())
    }

    /// A fresh stream (silence before the first sample).
    pub fn stream(&self) -> VadStream {
        VadStream {
            vad: self.clone(),
            state: vec![0.0; STATE_LEN],
            context: vec![0.0; CONTEXT],
            pending: Vec::with_capacity(BATCH * WINDOW),
            rows: Vec::with_capacity(BATCH * (CONTEXT + WINDOW)),
        }
    }

    /// Speech probability of each 512-sample window of 16 kHz mono `samples`; a last partial
    /// window is padded with silence.
    pub fn probabilities(&self, samples: &[f32]) -> Result<Vec<f32>, VadError> {
        let mut out = Vec::with_capacity(samples.len().div_ceil(WINDOW));
        let mut stream = self.stream();
        stream.push(samples, &mut out)?;
        stream.finish(&mut out)?;
        Ok(out)
    }
}

/// Voice activity over audio that arrives in chunks of any size.
#[derive(Debug)]
pub struct VadStream {
    vad: Vad,
    state: Vec<f32>,
    context: Vec<f32>,
    /// Samples not yet analysed (fewer than [`BATCH`] windows).
    pending: Vec<f32>,
    /// Model input being assembled: one row of context + window per window.
    rows: Vec<f32>,
}

impl VadStream {
    /// Adds samples and appends the probabilities of the windows analysed so far to `out`:
    /// windows are analysed [`BATCH`] at a time, so up to `BATCH − 1` complete windows may
    /// wait for more samples or for [`VadStream::finish`].
    pub fn push(&mut self, mut samples: &[f32], out: &mut Vec<f32>) -> Result<(), VadError> {
        while !samples.is_empty() {
            let take = (BATCH * WINDOW - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == BATCH * WINDOW {
                self.run(BATCH, out)?;
                self.pending.clear();
            }
        }
        Ok(())
    }

    /// Analyses the windows still waiting, pads a last partial window with silence and
    /// appends their probabilities.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), VadError> {
        let windows = self.pending.len().div_ceil(WINDOW);
        self.pending.resize(windows * WINDOW, 0.0);
        let pending = std::mem::take(&mut self.pending);
        for window in pending.chunks_exact(WINDOW) {
            self.pending.clear();
            self.pending.extend_from_slice(window);
            self.run(1, out)?;
        }
        self.pending.clear();
        Ok(())
    }

    /// Runs the first `windows` windows of `pending` (1 or [`BATCH`]) through the model.
    fn run(&mut self, windows: usize, out: &mut Vec<f32>) -> Result<(), VadError> {
        let err = |e: TractError| VadError::Model {
            path: self.vad.path.clone(),
            reason: format!("{e:#}"),
        };
        self.rows.clear();
        for window in self.pending[..windows * WINDOW].chunks_exact(WINDOW) {
            self.rows.extend_from_slice(&self.context);
            self.rows.extend_from_slice(window);
            self.context.copy_from_slice(&window[WINDOW - CONTEXT..]);
        }
        let x = Tensor::from_shape(&[windows, CONTEXT + WINDOW], &self.rows).map_err(err)?;
        let h = Tensor::from_shape(&[1, 1, 128], &self.state[..128]).map_err(err)?;
        let c = Tensor::from_shape(&[1, 1, 128], &self.state[128..]).map_err(err)?;
        let model = if windows == BATCH {
            &self.vad.batch
        } else {
            &self.vad.single
        };
        let outputs = model
            .run(tvec![x.into(), h.into(), c.into()])
            .map_err(err)?;
        let probs = outputs[0].to_plain_array_view::<f32>().map_err(err)?;
        if probs.len() != windows {
            return Err(VadError::Model {
                path: self.vad.path.clone(),
                reason: format!("{} probabilities for {windows} windows", probs.len()),
            });
        }
        out.extend(probs.iter().copied());
        let h = outputs[1].to_plain_array_view::<f32>().map_err(err)?;
        let c = outputs[2].to_plain_array_view::<f32>().map_err(err)?;
        if h.len() + c.len() == STATE_LEN {
            for (d, s) in self.state.iter_mut().zip(h.iter().chain(c.iter())) {
                *d = *s;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voiced-like signal (a pulsed 200 Hz tone with noise) over several batches.
    fn signal(windows: usize) -> Vec<f32> {
        let mut seed = 1u32;
        (0..windows * WINDOW + 100)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let t = i as f32 / SAMPLE_RATE as f32;
                let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                (t * 200.0 * std::f32::consts::TAU).sin() * (t * 3.0).sin() * 0.3 + noise * 0.05
            })
            .collect()
    }

    #[test]
    fn batches_give_the_probabilities_of_one_window_at_a_time() {
        let vad = match Vad::load_default() {
            Ok(v) => v,
            Err(e) => panic!("{e}\n(run `make test`, which installs the models)"),
        };
        let samples = signal(3 * BATCH + 5);
        let batched = vad.probabilities(&samples).unwrap();
        let mut stream = vad.stream();
        let mut single = Vec::new();
        let mut padded = samples.clone();
        padded.resize(samples.len().div_ceil(WINDOW) * WINDOW, 0.0);
        for window in padded.chunks_exact(WINDOW) {
            stream.pending.clear();
            stream.pending.extend_from_slice(window);
            stream.run(1, &mut single).unwrap();
        }
        assert_eq!(batched.len(), single.len());
        assert_eq!(batched.len(), 3 * BATCH + 6);
        for (i, (b, s)) in batched.iter().zip(&single).enumerate() {
            assert!(
                (b - s).abs() < 1e-5,
                "window {i}: batched {b}, one by one {s}"
            );
        }
    }
}
