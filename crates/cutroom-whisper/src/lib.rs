//! Whisper speech recognition on the CPU, in Rust, for Cutroom plugins.
//!
//! [`Whisper::load`] reads a model directory in one of two forms:
//!
//! - **CTranslate2** (what `scripts/models/whisper-tiny-en.sh` installs): `model.bin`
//!   (read directly by [`ct2`]; f32/f16/bf16 weights, fused attention projections split),
//!   `config.json` (alignment heads, suppressed tokens, language ids) and `tokenizer.json`.
//! - **Hugging Face safetensors**: `model.safetensors`, `config.json` (model sizes),
//!   `generation_config.json` (alignment heads, suppressed tokens, languages) and
//!   `tokenizer.json` — for users who bring a larger or multilingual model. This path is
//!   covered only by name-mapping code review and a synthetic round trip, not by a real
//!   model in the tests (none is installed by setup).
//!
//! [`Whisper::transcribe`] turns 16 kHz mono samples into [`Transcript`] segments with word
//! timings. The pipeline mirrors the reference implementation and faster-whisper (beam 1):
//! a faithful log-mel front end ([`mel`]), the network with a key/value-cached decoder
//! ([`model`]), greedy decoding with the timestamp rules and temperature fallback, 30 s
//! windows seeked by the predicted timestamps, and word timestamps from the alignment
//! heads' cross-attention with dynamic time warping.
//!
//! Models are never downloaded at run time: [`models_dir`] finds the directory the setup
//! step filled, and a missing model gives [`WhisperError::Missing`], whose message names
//! `make setup` / `scripts/setup.sh`.

pub mod align;
pub mod ct2;
mod decoder;
mod encoder;
mod kernels;
mod layers;
pub mod mel;
pub mod model;
pub mod tokens;
pub mod transcribe;
mod vocab;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Tensor};

pub use mel::{LogMel, MelFrontEnd};
pub use model::{Dims, Model};
pub use tokens::Tokens;
pub use transcribe::{Options, Segment, Transcript, Word};

use model::{AttnNames, MlpNames, Naming, TensorMap, WeightSource};

/// Name of the default model's directory under the models directory.
pub const DEFAULT_MODEL: &str = "whisper-tiny.en";

/// Why Whisper could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    /// The model directory or one of its files is not there.
    #[error("Whisper model not found at {path}: {what} is missing; install the models with `make setup` (or `scripts/setup.sh`), or point CUTROOM_MODELS at a models directory")]
    Missing {
        /// The directory looked in.
        path: PathBuf,
        /// The missing file.
        what: String,
    },
    /// A model file is unreadable or malformed.
    #[error("cannot load the Whisper model {path}: {reason}")]
    Model {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A tensor operation failed.
    #[error("Whisper inference failed: {0}")]
    Inference(String),
    /// The caller asked to stop.
    #[error("cancelled")]
    Cancelled,
}

impl From<candle_core::Error> for WhisperError {
    fn from(e: candle_core::Error) -> WhisperError {
        WhisperError::Inference(e.to_string())
    }
}

/// The models directory: `$CUTROOM_MODELS` if set, else the first `models/` directory found
/// next to the running executable or one of its ancestors (a checkout's `target/…/cutroom`
/// finds `<checkout>/models`), else `<this crate>/../../models` (the checkout this was built
/// from).
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CUTROOM_MODELS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let candidate = dir.join("models");
            if candidate.is_dir() {
                return candidate;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// Settings read from the model directory besides the weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelConfig {
    /// (decoder layer, head) pairs whose cross-attention follows the audio.
    pub alignment_heads: Vec<(usize, usize)>,
    /// Tokens never generated.
    pub suppress: Vec<u32>,
    /// Tokens not generated first (blank, end of text).
    pub suppress_begin: Vec<u32>,
    /// Language token ids (multilingual models).
    pub lang_ids: Vec<u32>,
}

/// A loaded Whisper model, tokenizer and front end; shareable across threads.
pub struct Whisper {
    pub(crate) model: Model,
    pub(crate) tokens: Tokens,
    pub(crate) mel: MelFrontEnd,
    pub(crate) config: ModelConfig,
}

impl std::fmt::Debug for Whisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whisper")
            .field("dims", &self.model.dims)
            .finish_non_exhaustive()
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, WhisperError> {
    let text = std::fs::read_to_string(path).map_err(|e| WhisperError::Model {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| WhisperError::Model {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn ids(v: Option<&serde_json::Value>) -> Vec<u32> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64())
                .map(|x| x as u32)
                .collect()
        })
        .unwrap_or_default()
}

fn heads(v: Option<&serde_json::Value>) -> Vec<(usize, usize)> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((p.first()?.as_u64()? as usize, p.get(1)?.as_u64()? as usize))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Whisper {
    /// Loads the default model ([`DEFAULT_MODEL`]) from [`models_dir`].
    pub fn load_default() -> Result<Whisper, WhisperError> {
        Whisper::load(&models_dir().join(DEFAULT_MODEL))
    }

    /// Loads a CTranslate2 or safetensors model directory.
    pub fn load(dir: &Path) -> Result<Whisper, WhisperError> {
        let missing = |what: &str| WhisperError::Missing {
            path: dir.to_path_buf(),
            what: what.to_string(),
        };
        let tok_path = dir.join("tokenizer.json");
        if !tok_path.is_file() {
            return Err(missing("tokenizer.json"));
        }
        if dir.join("model.bin").is_file() {
            Whisper::load_ct2(dir)
        } else if dir.join("model.safetensors").is_file() {
            Whisper::load_safetensors(dir)
        } else {
            Err(missing("model.bin (or model.safetensors)"))
        }
    }

    /// The network, for callers that run the encoder and decoder themselves.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model's sizes.
    pub fn dims(&self) -> Dims {
        self.model.dims
    }

    /// The tokenizer.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Alignment heads, suppressed tokens and languages.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn load_ct2(dir: &Path) -> Result<Whisper, WhisperError> {
        let bin = dir.join("model.bin");
        let ct2 = ct2::Ct2Model::read(&bin)?;
        let bad = |reason: String| WhisperError::Model {
            path: bin.clone(),
            reason,
        };
        if ct2.spec != "WhisperSpec" {
            return Err(bad(format!("a {} model, not Whisper", ct2.spec)));
        }
        let var = |name: &str| {
            ct2.variables
                .get(name)
                .ok_or_else(|| bad(format!("no variable {name}")))
        };
        let conv1 = var("encoder/conv1/weight")?;
        let embed = var("decoder/embeddings/weight")?;
        let count = |prefix: &str| {
            (0..)
                .take_while(|i| {
                    ct2.variables
                        .contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
                })
                .count()
        };
        let n_heads = var("decoder/num_heads")
            .ok()
            .and_then(|v| v.scalar_i64())
            .or_else(|| var("encoder/num_heads").ok().and_then(|v| v.scalar_i64()))
            .unwrap_or(0) as usize;
        let dims = Dims {
            n_mels: *conv1.dims.get(1).unwrap_or(&80),
            d_model: *conv1.dims.first().unwrap_or(&0),
            n_heads,
            encoder_layers: count("encoder"),
            decoder_layers: count("decoder"),
            vocab: *embed.dims.first().unwrap_or(&0),
            max_text: *var("decoder/position_encodings/encodings")?
                .dims
                .first()
                .unwrap_or(&448),
            max_audio: *var("encoder/position_encodings/encodings")?
                .dims
                .first()
                .unwrap_or(&1500),
        };
        if dims.n_heads == 0 || dims.d_model % dims.n_heads != 0 {
            return Err(bad(format!("unusable head count {}", dims.n_heads)));
        }
        let mut src = Ct2Source {
            model: &ct2,
            path: bin.clone(),
        };
        let model = Model::build(&mut src, &Ct2Naming, dims)?;
        let cfg_path = dir.join("config.json");
        let cfg = if cfg_path.is_file() {
            read_json(&cfg_path)?
        } else {
            serde_json::Value::Null
        };
        let config = ModelConfig {
            alignment_heads: heads(cfg.get("alignment_heads")),
            suppress: ids(cfg.get("suppress_ids")),
            suppress_begin: ids(cfg.get("suppress_ids_begin")),
            lang_ids: ids(cfg.get("lang_ids")),
        };
        Whisper::finish(dir, model, config)
    }

    fn load_safetensors(dir: &Path) -> Result<Whisper, WhisperError> {
        let st = dir.join("model.safetensors");
        let cfg = read_json(&dir.join("config.json"))?;
        let gen_path = dir.join("generation_config.json");
        let gen = if gen_path.is_file() {
            read_json(&gen_path)?
        } else {
            serde_json::Value::Null
        };
        let num = |k: &str| cfg.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        let dims = Dims {
            n_mels: num("num_mel_bins"),
            d_model: num("d_model"),
            n_heads: num("encoder_attention_heads"),
            encoder_layers: num("encoder_layers"),
            decoder_layers: num("decoder_layers"),
            vocab: num("vocab_size"),
            max_text: num("max_target_positions"),
            max_audio: num("max_source_positions"),
        };
        if dims.n_heads == 0 || dims.d_model % dims.n_heads != 0 || dims.n_mels == 0 {
            return Err(WhisperError::Model {
                path: dir.join("config.json"),
                reason: "not a Whisper config (num_mel_bins, d_model, encoder_attention_heads)"
                    .into(),
            });
        }
        let tensors = candle_core::safetensors::load(&st, &model::cpu()).map_err(|e| {
            WhisperError::Model {
                path: st.clone(),
                reason: e.to_string(),
            }
        })?;
        let mut src = TensorMap(tensors);
        let model = Model::build(&mut src, &HfNaming, dims)?;
        let mut lang_ids: Vec<u32> = gen
            .get("lang_to_id")
            .and_then(|v| v.as_object())
            .map(|m| {
                m.values()
                    .filter_map(|v| v.as_u64())
                    .map(|v| v as u32)
                    .collect()
            })
            .unwrap_or_default();
        lang_ids.sort_unstable();
        let config = ModelConfig {
            alignment_heads: heads(gen.get("alignment_heads")),
            suppress: ids(gen.get("suppress_tokens")),
            suppress_begin: ids(gen.get("begin_suppress_tokens")),
            lang_ids,
        };
        Whisper::finish(dir, model, config)
    }

    fn finish(dir: &Path, model: Model, mut config: ModelConfig) -> Result<Whisper, WhisperError> {
        let mut tokens = Tokens::load(&dir.join("tokenizer.json"))?;
        // English-only vocabularies (51864 tokens) still list language tokens; the reference
        // decides by the vocabulary size.
        tokens.multilingual = model.dims.vocab >= 51865;
        // The reference also never generates these control tokens.
        let mut extra = vec![tokens.sot, tokens.sot_prev, tokens.no_speech];
        for name in ["<|translate|>", "<|transcribe|>", "<|startoflm|>"] {
            if let Some(id) = tokens.encode_special(name) {
                extra.push(id);
            }
        }
        config.suppress.extend(extra);
        config.suppress.sort_unstable();
        config.suppress.dedup();
        if config.suppress_begin.is_empty() {
            config.suppress_begin = tokens.encode(" ");
            config.suppress_begin.push(tokens.eot);
        }
        let mel = MelFrontEnd::new(model.dims.n_mels);
        Ok(Whisper {
            model,
            tokens,
            mel,
            config,
        })
    }
}

struct Ct2Source<'a> {
    model: &'a ct2::Ct2Model,
    path: PathBuf,
}

impl WeightSource for Ct2Source<'_> {
    /// Names may end in `#k/n`: part `k` of `n` equal parts along dimension 0.
    fn get(&mut self, name: &str) -> Result<Tensor, WhisperError> {
        let (base, part) = match name.split_once('#') {
            Some((b, p)) => {
                let (k, n) = p.split_once('/').unwrap_or(("0", "1"));
                (
                    b,
                    Some((
                        k.parse::<usize>().unwrap_or(0),
                        n.parse::<usize>().unwrap_or(1),
                    )),
                )
            }
            None => (name, None),
        };
        let v = self
            .model
            .variables
            .get(base)
            .ok_or_else(|| WhisperError::Model {
                path: self.path.clone(),
                reason: format!("no variable {base}"),
            })?;
        let t =
            Tensor::from_vec(v.to_f32(), v.dims.clone(), &model::cpu())?.to_dtype(DType::F32)?;
        Ok(match part {
            Some((k, n)) => {
                let rows = t.dim(0)? / n.max(1);
                t.narrow(0, k * rows, rows)?.contiguous()?
            }
            None => t,
        })
    }

    fn has(&self, name: &str) -> bool {
        self.model
            .variables
            .contains_key(name.split_once('#').map_or(name, |(b, _)| b))
    }
}

struct Ct2Naming;

fn s(x: String) -> (String, Option<String>) {
    (format!("{x}/weight"), Some(format!("{x}/bias")))
}

fn part(x: &str, k: usize, n: usize) -> (String, Option<String>) {
    (
        format!("{x}/weight#{k}/{n}"),
        Some(format!("{x}/bias#{k}/{n}")),
    )
}

impl Naming for Ct2Naming {
    fn conv(&self, n: usize) -> (String, String) {
        (
            format!("encoder/conv{n}/weight"),
            format!("encoder/conv{n}/bias"),
        )
    }
    fn positions(&self, encoder: bool) -> String {
        let side = if encoder { "encoder" } else { "decoder" };
        format!("{side}/position_encodings/encodings")
    }
    fn embedding(&self) -> String {
        "decoder/embeddings/weight".into()
    }
    fn final_norm(&self, encoder: bool) -> (String, String) {
        let side = if encoder { "encoder" } else { "decoder" };
        (
            format!("{side}/layer_norm/gamma"),
            format!("{side}/layer_norm/beta"),
        )
    }
    fn attn(&self, encoder: bool, layer: usize, cross: bool) -> AttnNames {
        let side = if encoder { "encoder" } else { "decoder" };
        let p = format!(
            "{side}/layer_{layer}/{}",
            if cross { "attention" } else { "self_attention" }
        );
        let norm = (
            format!("{p}/layer_norm/gamma"),
            format!("{p}/layer_norm/beta"),
        );
        if cross {
            AttnNames {
                q: s(format!("{p}/linear_0")),
                k: part(&format!("{p}/linear_1"), 0, 2),
                v: part(&format!("{p}/linear_1"), 1, 2),
                out: s(format!("{p}/linear_2")),
                norm,
            }
        } else {
            AttnNames {
                q: part(&format!("{p}/linear_0"), 0, 3),
                k: part(&format!("{p}/linear_0"), 1, 3),
                v: part(&format!("{p}/linear_0"), 2, 3),
                out: s(format!("{p}/linear_1")),
                norm,
            }
        }
    }
    fn mlp(&self, encoder: bool, layer: usize) -> MlpNames {
        let side = if encoder { "encoder" } else { "decoder" };
        let p = format!("{side}/layer_{layer}/ffn");
        (
            s(format!("{p}/linear_0")),
            s(format!("{p}/linear_1")),
            (
                format!("{p}/layer_norm/gamma"),
                format!("{p}/layer_norm/beta"),
            ),
        )
    }
}

/// Hugging Face `transformers` names (`model.encoder.layers.0.self_attn.q_proj.weight`…).
struct HfNaming;

impl Naming for HfNaming {
    fn conv(&self, n: usize) -> (String, String) {
        (
            format!("model.encoder.conv{n}.weight"),
            format!("model.encoder.conv{n}.bias"),
        )
    }
    fn positions(&self, encoder: bool) -> String {
        let side = if encoder { "encoder" } else { "decoder" };
        format!("model.{side}.embed_positions.weight")
    }
    fn embedding(&self) -> String {
        "model.decoder.embed_tokens.weight".into()
    }
    fn final_norm(&self, encoder: bool) -> (String, String) {
        let side = if encoder { "encoder" } else { "decoder" };
        (
            format!("model.{side}.layer_norm.weight"),
            format!("model.{side}.layer_norm.bias"),
        )
    }
    fn attn(&self, encoder: bool, layer: usize, cross: bool) -> AttnNames {
        let side = if encoder { "encoder" } else { "decoder" };
        let kind = if cross { "encoder_attn" } else { "self_attn" };
        let p = format!("model.{side}.layers.{layer}.{kind}");
        let lin = |n: &str| (format!("{p}.{n}.weight"), Some(format!("{p}.{n}.bias")));
        AttnNames {
            q: lin("q_proj"),
            k: (format!("{p}.k_proj.weight"), None),
            v: lin("v_proj"),
            out: lin("out_proj"),
            norm: (
                format!("model.{side}.layers.{layer}.{kind}_layer_norm.weight"),
                format!("model.{side}.layers.{layer}.{kind}_layer_norm.bias"),
            ),
        }
    }
    fn mlp(&self, encoder: bool, layer: usize) -> MlpNames {
        let side = if encoder { "encoder" } else { "decoder" };
        let p = format!("model.{side}.layers.{layer}");
        (
            (format!("{p}.fc1.weight"), Some(format!("{p}.fc1.bias"))),
            (format!("{p}.fc2.weight"), Some(format!("{p}.fc2.bias"))),
            (
                format!("{p}.final_layer_norm.weight"),
                format!("{p}.final_layer_norm.bias"),
            ),
        )
    }
}

/// Maps a CTranslate2 weight map to `HashMap` form (used by tests of the safetensors path).
#[doc(hidden)]
pub fn ct2_as_hf_tensors(dir: &Path) -> Result<HashMap<String, Tensor>, WhisperError> {
    let ct2 = ct2::Ct2Model::read(&dir.join("model.bin"))?;
    let mut src = Ct2Source {
        model: &ct2,
        path: dir.join("model.bin"),
    };
    let mut out = HashMap::new();
    let layers = |prefix: &str| {
        (0..)
            .take_while(|i| {
                ct2.variables
                    .contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
            })
            .count()
    };
    let (el, dl) = (layers("encoder"), layers("decoder"));
    let mut put = |hf: String, ct: String, src: &mut Ct2Source| -> Result<(), WhisperError> {
        out.insert(hf, src.get(&ct)?);
        Ok(())
    };
    let c = Ct2Naming;
    let h = HfNaming;
    for n in [1, 2] {
        let (a, b) = c.conv(n);
        let (x, y) = h.conv(n);
        put(x, a, &mut src)?;
        put(y, b, &mut src)?;
    }
    for e in [true, false] {
        put(h.positions(e), c.positions(e), &mut src)?;
        let (a, b) = c.final_norm(e);
        let (x, y) = h.final_norm(e);
        put(x, a, &mut src)?;
        put(y, b, &mut src)?;
        let n = if e { el } else { dl };
        for l in 0..n {
            let crosses: &[bool] = if e { &[false] } else { &[false, true] };
            for &cr in crosses {
                let a = c.attn(e, l, cr);
                let x = h.attn(e, l, cr);
                for (cn, hn) in [(a.q, x.q), (a.k, x.k), (a.v, x.v), (a.out, x.out)] {
                    put(hn.0, cn.0, &mut src)?;
                    if let (Some(hb), Some(cb)) = (hn.1, cn.1) {
                        put(hb, cb, &mut src)?;
                    }
                }
                put(x.norm.0, a.norm.0, &mut src)?;
                put(x.norm.1, a.norm.1, &mut src)?;
            }
            let (a1, a2, an) = c.mlp(e, l);
            let (x1, x2, xn) = h.mlp(e, l);
            for (cn, hn) in [(a1, x1), (a2, x2)] {
                put(hn.0, cn.0, &mut src)?;
                put(hn.1.unwrap_or_default(), cn.1.unwrap_or_default(), &mut src)?;
            }
            put(xn.0, an.0, &mut src)?;
            put(xn.1, an.1, &mut src)?;
        }
    }
    put(h.embedding(), c.embedding(), &mut src)?;
    Ok(out)
}
