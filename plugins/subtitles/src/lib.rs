//! Cutroom plugin: **subtitles** — local Whisper transcription laid out into readable cues.
//!
//! The plugin reads the media's audio as 16 kHz mono and finds the speech with the Silero
//! voice-activity detector ([`cutroom_vad`]: one speech probability per 32 ms window, turned
//! into regions by [`speech_regions`] with hysteresis, a minimum speech length and padding),
//! so that silence, room noise and music beds are never transcribed. It transcribes only
//! the speech regions with Whisper ([`cutroom_whisper`], tiny.en by default, word timings
//! on), drops words that fall outside every region (text over non-speech is a
//! hallucination), and lays the words out into cues with the [`layout`] engine under the
//! [`Rules`] given as parameters (Netflix English by default). It proposes one
//! [`ProposalKind::Cue`] per cue, with its word timings and the mean word probability as
//! confidence.
//!
//! [`check_cues`] (and [`check_file`] for an SRT/WebVTT file) reports every rule a list of
//! cues breaks; `cutroom subtitles check FILE` is built on it.
//!
//! Models are read from the models directory ([`cutroom_whisper::models_dir`]): the Whisper
//! model and `silero-vad/silero_vad_16k_sequence.onnx`. A missing model fails the run with a
//! message naming `make setup`.

pub mod layout;
pub mod rules;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cutroom_plugin::prelude::*;
use cutroom_plugin::timeline::formats::read_subtitles;
use cutroom_plugin::timeline::{FormatError, WordTiming};
use cutroom_vad::{Vad, VadError};
use cutroom_whisper::{models_dir, Options, Whisper};

pub use layout::{layout_cues, LayoutContext};
pub use rules::{check_cues, Rules, Severity, Violation, ViolationKind};

/// The plugin's stable id.
pub const ID: &str = "subtitles";

/// Sample rate the plugin reads audio at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Transcribes speech into subtitle cues.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subtitles;

/// Every rule violation in an SRT or WebVTT file.
pub fn check_file(path: &Path, rules: &Rules) -> Result<Vec<Violation>, FormatError> {
    Ok(check_cues(&read_subtitles(path)?, rules))
}

/// The readability rules held in validated `params`.
pub fn rules_from_params(params: &Params, frame_rate: Option<Rate>) -> Result<Rules, PluginError> {
    let rules = Rules {
        max_chars_per_line: params.get_i64("max_chars_per_line")? as usize,
        max_lines: params.get_i64("max_lines")? as usize,
        max_cps: params.get_f64("max_cps")?,
        min_duration: params.get_f64("min_duration")?,
        max_duration: params.get_f64("max_duration")?,
        min_gap_frames: params.get_i64("min_gap_frames")? as u32,
        frame_rate: frame_rate.unwrap_or(Rate::FPS_24),
        max_lead_in: params.get_f64("max_lead_in")?,
        max_linger: params.get_f64("max_linger")?,
        max_pause: params.get_f64("max_pause")?,
        snap_frames: params.get_i64("snap_frames")? as u32,
    };
    rules.validate().map_err(PluginError::failed)?;
    Ok(rules)
}

fn model_cache() -> &'static Mutex<HashMap<PathBuf, Arc<Whisper>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Whisper>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Loads (once per process) the Whisper model in `dir`.
pub fn load_model(dir: &Path) -> Result<Arc<Whisper>, PluginError> {
    if let Some(m) = model_cache().lock().ok().and_then(|c| c.get(dir).cloned()) {
        return Ok(m);
    }
    let m = Arc::new(Whisper::load(dir).map_err(|e| PluginError::failed(e.to_string()))?);
    if let Ok(mut c) = model_cache().lock() {
        c.insert(dir.to_path_buf(), m.clone());
    }
    Ok(m)
}

/// Samples per voice-activity window (32 ms at 16 kHz, the Silero VAD's window).
pub const VAD_WINDOW: usize = cutroom_vad::WINDOW;

fn vad_cache() -> &'static Mutex<HashMap<PathBuf, Vad>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Vad>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Loads (once per process) the Silero VAD from the models directory `models`; a missing
/// model gives an error naming the setup command.
pub fn load_vad(models: &Path) -> Result<Vad, PluginError> {
    if let Some(v) = vad_cache().lock().ok().and_then(|c| c.get(models).cloned()) {
        return Ok(v);
    }
    let v = Vad::load(models).map_err(|e| PluginError::failed(e.to_string()))?;
    if let Ok(mut c) = vad_cache().lock() {
        c.insert(models.to_path_buf(), v.clone());
    }
    Ok(v)
}

/// Shortest stretch of speech probabilities kept as a region, in seconds (shorter blips,
/// e.g. a click or a note in a music bed, are not speech).
pub const MIN_SPEECH: f64 = 0.25;

/// Silence inside a region that does not end it, in seconds.
pub const MIN_SILENCE: f64 = 0.5;

/// Padding added around each region handed to Whisper, in seconds.
pub const SPEECH_PAD: f64 = 0.2;

/// Speech regions (seconds) from per-window VAD probabilities (one per [`VAD_WINDOW`]):
/// speech starts at a window at or above `threshold` and ends after `min_silence` seconds
/// below `threshold - 0.15` (the Silero reference's hysteresis); regions shorter than
/// `min_speech` are dropped; the rest are padded by `pad` seconds and merged when they touch.
pub fn speech_regions(
    probs: &[f32],
    threshold: f32,
    min_speech: f64,
    min_silence: f64,
    pad: f64,
    total: f64,
) -> Vec<(f64, f64)> {
    let win = VAD_WINDOW as f64 / SAMPLE_RATE as f64;
    let neg = (threshold - 0.15).max(0.01);
    let mut regions: Vec<(f64, f64)> = Vec::new();
    let mut start: Option<f64> = None;
    let mut silent_since: Option<f64> = None;
    for (i, &p) in probs.iter().enumerate() {
        let t = i as f64 * win;
        match start {
            None if p >= threshold => {
                start = Some(t);
                silent_since = None;
            }
            Some(s) => {
                if p >= neg {
                    silent_since = None;
                } else {
                    let since = *silent_since.get_or_insert(t);
                    if t + win - since >= min_silence {
                        regions.push((s, since));
                        start = None;
                        silent_since = None;
                    }
                }
            }
            None => {}
        }
    }
    if let Some(s) = start {
        let end = silent_since.unwrap_or(probs.len() as f64 * win).min(total);
        regions.push((s, end));
    }
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (s, e) in regions.into_iter().filter(|(s, e)| e - s >= min_speech) {
        let (s, e) = ((s - pad).max(0.0), (e + pad).min(total));
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Silero VAD speech probabilities of 16 kHz mono `samples`, one per [`VAD_WINDOW`], run in
/// slices so that a cancel request is honoured within a few seconds of audio.
fn vad_probabilities(
    vad: &Vad,
    samples: &[f32],
    ctx: &mut Context,
) -> Result<Vec<f32>, PluginError> {
    let failed = |e: VadError| PluginError::failed(e.to_string());
    let mut probs = Vec::with_capacity(samples.len().div_ceil(VAD_WINDOW));
    let mut stream = vad.stream();
    let slice = VAD_WINDOW * 300; // about 10 s
    let slices = samples.len().div_ceil(slice).max(1);
    for (k, part) in samples.chunks(slice).enumerate() {
        stream.push(part, &mut probs).map_err(failed)?;
        ctx.check_cancelled()?;
        ctx.progress(
            0.03 + 0.07 * (k + 1) as f32 / slices as f32,
            "finding speech",
        );
    }
    stream.finish(&mut probs).map_err(failed)?;
    Ok(probs)
}

impl Plugin for Subtitles {
    fn manifest(&self) -> Manifest {
        let d = Rules::default();
        Manifest::new(
            ID,
            "Subtitles",
            env!("CARGO_PKG_VERSION"),
            "Transcribes speech with a local Whisper model and lays it out into readable subtitle cues.",
        )
        .reads_audio(SAMPLE_RATE, 1)
        .param(
            ParamSpec::new(
                "model",
                "Model",
                ParamKind::Text {
                    default: cutroom_whisper::DEFAULT_MODEL.into(),
                },
            )
            .with_help("Whisper model directory: a name under the models directory, or a path."),
        )
        .param(
            ParamSpec::new("language", "Language", ParamKind::Text { default: String::new() })
                .with_help("Language code for multilingual models; empty detects it."),
        )
        .param(
            ParamSpec::bool("vad", "Skip non-speech", true)
                .with_help("Transcribe only what the voice-activity detector (Silero VAD) finds to be speech."),
        )
        .param(
            ParamSpec::float("vad_threshold", "Speech threshold", 0.05, 0.95, 0.5)
                .with_step(0.05)
                .with_help("Speech probability above which a 32 ms window counts as speech."),
        )
        .param(
            ParamSpec::int("max_chars_per_line", "Characters per line", 10, 100, d.max_chars_per_line as i64),
        )
        .param(ParamSpec::int("max_lines", "Lines per cue", 1, 4, d.max_lines as i64))
        .param(
            ParamSpec::float("max_cps", "Reading speed", 5.0, 40.0, d.max_cps)
                .with_unit("characters/s"),
        )
        .param(
            ParamSpec::float("min_duration", "Shortest cue", 0.1, 5.0, d.min_duration).with_unit("s"),
        )
        .param(
            ParamSpec::float("max_duration", "Longest cue", 1.0, 20.0, d.max_duration).with_unit("s"),
        )
        .param(
            ParamSpec::int("min_gap_frames", "Gap between cues", 0, 12, d.min_gap_frames as i64)
                .with_unit("frames"),
        )
        .param(
            ParamSpec::float("max_lead_in", "Lead-in before speech", 0.0, 2.0, d.max_lead_in)
                .with_unit("s"),
        )
        .param(
            ParamSpec::float("max_linger", "Linger after speech", 0.0, 5.0, d.max_linger)
                .with_unit("s"),
        )
        .param(
            ParamSpec::float("max_pause", "Longest pause in a cue", 0.2, 10.0, d.max_pause)
                .with_unit("s"),
        )
        .param(
            ParamSpec::int("snap_frames", "Snap to cuts within", 0, 48, d.snap_frames as i64)
                .with_unit("frames"),
        )
        .param(
            ParamSpec::new("shots", "Shot boundaries", ParamKind::Text { default: String::new() })
                .with_help("Cut times in seconds of media time, comma separated (from a cut proposal); cue edges near them snap to them."),
        )
    }

    fn run(&self, ctx: &mut Context, params: &Params) -> Result<Proposal, PluginError> {
        let meta = ctx.meta().clone();
        let rules = rules_from_params(params, meta.frame_rate)?;
        let shots = parse_shots(params.get_text("shots")?)?;
        let model_name = params.get_text("model")?;
        let model_dir = if Path::new(model_name).is_absolute() {
            PathBuf::from(model_name)
        } else {
            models_dir().join(model_name)
        };
        let use_vad = params.get_bool("vad")?;
        ctx.progress(0.0, "loading the speech models");
        let whisper = load_model(&model_dir)?;
        let vad = if use_vad {
            Some(load_vad(&models_dir())?)
        } else {
            None
        };

        ctx.progress(0.02, "reading audio");
        let mut samples: Vec<f32> = Vec::new();
        let mut first_sample: Option<i64> = None;
        for chunk in ctx.audio_samples() {
            let chunk = chunk?;
            first_sample.get_or_insert(chunk.start_sample);
            if chunk.channels == 1 {
                samples.extend_from_slice(&chunk.samples);
            } else {
                let c = chunk.channels as usize;
                samples.extend(
                    chunk
                        .samples
                        .chunks_exact(c)
                        .map(|f| f.iter().sum::<f32>() / c as f32),
                );
            }
        }
        let origin = RationalTime::new(
            first_sample.unwrap_or_else(|| meta.range.start.to_samples(SAMPLE_RATE)),
            Rate::HZ_16000,
        );
        let total = samples.len() as f64 / SAMPLE_RATE as f64;

        // Unpadded speech regions, to keep words inside speech and start them at its onset.
        let mut onsets: Vec<(f64, f64)> = Vec::new();
        let clips = if let Some(vad) = &vad {
            ctx.progress(0.03, "finding speech");
            let probs = vad_probabilities(vad, &samples, ctx)?;
            let threshold = params.get_f64("vad_threshold")? as f32;
            let regions = speech_regions(
                &probs,
                threshold,
                MIN_SPEECH,
                MIN_SILENCE,
                SPEECH_PAD,
                total,
            );
            onsets = speech_regions(&probs, threshold, MIN_SPEECH, MIN_SILENCE, 0.0, total);
            ctx.log(
                LogLevel::Info,
                &format!(
                    "{} speech region(s), {:.1} s of {:.1} s",
                    regions.len(),
                    regions.iter().map(|(s, e)| e - s).sum::<f64>(),
                    total
                ),
            );
            if regions.is_empty() {
                ctx.progress(1.0, "no speech");
                return Ok(Proposal::new(ID));
            }
            regions
        } else {
            Vec::new()
        };

        let language = params.get_text("language")?;
        let opts = Options {
            language: (!language.is_empty()).then(|| language.to_string()),
            ..Options::default()
        };
        let cancel_check = |ctx: &mut Context, f: f32| {
            ctx.progress(0.1 + 0.85 * f, "transcribing");
            !ctx.is_cancelled()
        };
        let transcript = whisper
            .transcribe_clips(&samples, &clips, &opts, &mut |f| cancel_check(ctx, f))
            .map_err(|e| match e {
                cutroom_whisper::WhisperError::Cancelled => PluginError::Cancelled,
                e => PluginError::failed(e.to_string()),
            })?;
        drop(samples);

        let ms = |s: f64| RationalTime::new((s * 1000.0).round() as i64, Rate::MILLIS);
        let origin_ms = origin.rescaled_to(Rate::MILLIS);
        let joined = join_word_pieces(transcript.words());
        let words: Vec<WordTiming> = joined
            .iter()
            .filter(|w| !w.text.trim().is_empty())
            .filter_map(|w| {
                let (mut start, end) = (w.start, w.end.max(w.start));
                if !clips.is_empty() {
                    // Text over what the detector found to be non-speech is a hallucination.
                    if !clips.iter().any(|&(a, b)| start < b && end > a) {
                        return None;
                    }
                    // Word timings from attention run early at a speech onset; start the
                    // word where the speech starts.
                    if let Some(&(on, _)) = onsets.iter().find(|&&(a, b)| a < end && b > start) {
                        if start < on && end > on {
                            start = on;
                        }
                    }
                }
                Some(WordTiming {
                    text: w.text.trim().to_string(),
                    range: TimeRange::new(ms(start) + origin_ms, ms((end - start).max(0.001))),
                    probability: Some(w.probability.clamp(0.0, 1.0)),
                })
            })
            .collect();
        let layout_ctx = LayoutContext {
            shots,
            media_end: Some(meta.range.end_exclusive()),
        };
        let cues = layout_cues(&words, &layout_ctx, &rules);
        let mut proposal = Proposal::new(ID);
        for cue in cues {
            let probs: Vec<f32> = cue.words.iter().filter_map(|w| w.probability).collect();
            let confidence = if probs.is_empty() {
                0.5
            } else {
                probs.iter().sum::<f32>() / probs.len() as f32
            };
            let reason = format!("{} word(s) of speech", cue.words.len());
            proposal.push(ProposalKind::Cue(cue), confidence.clamp(0.0, 1.0), reason)?;
        }
        ctx.progress(1.0, "done");
        ctx.log(
            LogLevel::Info,
            &format!(
                "{} cue(s) from {} word(s)",
                proposal.items.len(),
                words.len()
            ),
        );
        Ok(proposal)
    }
}

/// Whisper's words as written: a piece decoded without a leading space ("-disposed" after
/// " ill", as Whisper's word splitting leaves hyphens) belongs to the word before it, so it is
/// joined to it ("ill-disposed", from the first piece's start to the last one's end, with
/// the lower probability) instead of becoming a word of its own that layout would separate
/// with a space.
pub fn join_word_pieces<'a>(
    words: impl IntoIterator<Item = &'a cutroom_whisper::Word>,
) -> Vec<cutroom_whisper::Word> {
    let mut out: Vec<cutroom_whisper::Word> = Vec::new();
    for w in words {
        let piece = !w.text.is_empty() && !w.text.starts_with(char::is_whitespace);
        match out.last_mut() {
            Some(prev) if piece && !prev.text.trim().is_empty() => {
                prev.text.push_str(&w.text);
                prev.end = prev.end.max(w.end);
                prev.probability = prev.probability.min(w.probability);
            }
            _ => out.push(w.clone()),
        }
    }
    out
}

fn parse_shots(text: &str) -> Result<Vec<RationalTime>, PluginError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| RationalTime::new((v * 1000.0).round() as i64, Rate::MILLIS))
                .ok_or_else(|| {
                    PluginError::failed(format!(
                        "shots: {s:?} is not a time in seconds (expected e.g. \"1.5, 4.25\")"
                    ))
                })
        })
        .collect()
}
