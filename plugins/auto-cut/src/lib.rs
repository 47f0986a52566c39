//! Cutroom plugin **auto-cut**: shot boundaries and dead-air removal.
//!
//! - **Shots** ([`shots`]): from 64×36 RGB analysis frames, hard cuts (a [`ProposalKind::Cut`]
//!   at the first frame of the new shot) and gradual transitions — dissolves and fades to or
//!   from black or white — as [`ProposalKind::Transition`] spans. Adaptive thresholds over a
//!   sliding window; flashes and fast pans do not make cuts.
//! - **Dead air** ([`dead_air`]): from 16 kHz mono audio, spans to remove
//!   ([`ProposalKind::Removal`]) by loudness threshold with padding before/after each kept
//!   segment and a minimum silence length, optionally gated by the Silero voice-activity
//!   detector ([`cutroom_vad`]) so that music, room noise and breaths are removed too.
//!
//! Every item carries a confidence and a reason. Times are media time: cuts and transitions
//! at the video frame rate, removals at 16 kHz samples.

pub mod dead_air;
pub mod shots;

use std::path::PathBuf;

use cutroom_plugin::prelude::*;

pub use cutroom_vad::{default_models_dir, Vad, VadError};
use dead_air::{DeadAirSettings, LevelMeter, FRAME_SAMPLES, SAMPLE_RATE};
use shots::{GradualKind, ShotDetector, ShotEvent, ShotSettings};

/// The plugin's stable id.
pub const ID: &str = "auto-cut";

/// Proposes cuts, transitions and dead-air removals.
#[derive(Debug, Clone, Default)]
pub struct AutoCut {
    /// Where the VAD model is installed; [`default_models_dir`] when `None`.
    pub models_dir: Option<PathBuf>,
}

impl AutoCut {
    /// The plugin looking for models in `dir`.
    pub fn with_models_dir(dir: impl Into<PathBuf>) -> AutoCut {
        AutoCut {
            models_dir: Some(dir.into()),
        }
    }
}

/// Whole 10 ms audio frames in a time (rounded to the nearest frame).
fn audio_frames(t: RationalTime) -> usize {
    let samples = t.to_samples(SAMPLE_RATE).max(0) as usize;
    (samples + FRAME_SAMPLES / 2) / FRAME_SAMPLES
}

impl Plugin for AutoCut {
    fn manifest(&self) -> Manifest {
        Manifest::new(
            ID,
            "Auto cut",
            env!("CARGO_PKG_VERSION"),
            "Finds shot boundaries (hard cuts, dissolves, fades) and proposes removing dead air \
             (silence, and with voice detection also music and noise without speech).",
        )
        .reads_video(shots::FRAME_WIDTH, shots::FRAME_HEIGHT, PixelFormat::Rgb24)
        .reads_audio(SAMPLE_RATE, 1)
        .param(
            ParamSpec::bool("shots", "Detect shots", true)
                .with_help("Propose hard cuts and transitions from the picture."),
        )
        .param(
            ParamSpec::float("sensitivity", "Sensitivity", 0.0, 1.0, 0.5)
                .with_help("0 proposes only the clearest boundaries, 1 everything plausible."),
        )
        .param(
            ParamSpec::new("min_shot", "Minimum shot length", ParamKind::millis(400)).with_help(
                "Boundaries closer together than this are merged (the strongest is kept).",
            ),
        )
        .param(
            ParamSpec::bool("gradual", "Detect dissolves and fades", true)
                .with_help("Also propose gradual transitions as spans."),
        )
        .param(
            ParamSpec::choice(
                "dead_air",
                "Dead air",
                &[
                    ("off", "Off"),
                    ("loudness", "Loudness threshold"),
                    ("vad", "Loudness and voice activity"),
                ],
                "loudness",
            )
            .with_help(
                "How to find audio to remove: below a loudness threshold, or also anything \
                 that is not speech (needs the Silero VAD model from `make setup`).",
            ),
        )
        .param(
            ParamSpec::float("threshold_db", "Silence threshold", -90.0, 0.0, -40.0)
                .with_unit("dBFS")
                .with_step(1.0)
                .with_help("Peak level below which a 10 ms frame is silent."),
        )
        .param(
            ParamSpec::new("min_silence", "Minimum silence", ParamKind::millis(300))
                .with_help("Shorter pauses between sounds are kept."),
        )
        .param(
            ParamSpec::new("min_sound", "Minimum sound", ParamKind::millis(30))
                .with_help("Shorter bursts of sound (clicks) count as silence."),
        )
        .param(
            ParamSpec::new("pad_before", "Padding before", ParamKind::millis(100))
                .with_help("Kept before each sound."),
        )
        .param(
            ParamSpec::new("pad_after", "Padding after", ParamKind::millis(200))
                .with_help("Kept after each sound."),
        )
        .param(
            ParamSpec::float("vad_threshold", "Speech threshold", 0.05, 0.95, 0.5)
                .with_help("Speech probability at which voice activity starts."),
        )
    }

    fn run(&self, ctx: &mut Context, params: &Params) -> Result<Proposal, PluginError> {
        let mut proposal = Proposal::new(ID);
        let meta = ctx.meta().clone();
        let dead_air = params.get_choice("dead_air")?.to_string();
        let want_shots = params.get_bool("shots")? && meta.frame_rate.is_some();
        let want_audio = dead_air != "off" && meta.sample_rate.is_some();
        // Load the model first: a missing model fails the run before any decoding.
        let vad = if want_audio && dead_air == "vad" {
            let dir = self.models_dir.clone().unwrap_or_else(default_models_dir);
            Some(Vad::load(&dir).map_err(|e| PluginError::failed(e.to_string()))?)
        } else {
            None
        };
        if want_shots {
            let rate = meta.frame_rate.unwrap_or(Rate::FPS_25);
            let min_shot = params.get_time("min_shot")?.to_frames(rate).max(1);
            let settings = ShotSettings {
                sensitivity: params.get_f64("sensitivity")?,
                min_shot_frames: min_shot,
                gradual: params.get_bool("gradual")?,
            };
            let span = if want_audio { 0.8 } else { 1.0 };
            detect_shots(ctx, &mut proposal, settings, rate, span)?;
        }
        if want_audio {
            let settings = DeadAirSettings {
                threshold_db: params.get_f64("threshold_db")? as f32,
                min_sound: audio_frames(params.get_time("min_sound")?),
                min_silence: audio_frames(params.get_time("min_silence")?),
                pad_before: audio_frames(params.get_time("pad_before")?),
                pad_after: audio_frames(params.get_time("pad_after")?),
                vad_threshold: params.get_f64("vad_threshold")? as f32,
            };
            find_dead_air(ctx, &mut proposal, settings, vad)?;
        }
        ctx.progress(1.0, "done");
        Ok(proposal)
    }
}

fn detect_shots(
    ctx: &mut Context,
    proposal: &mut Proposal,
    settings: ShotSettings,
    rate: Rate,
    share: f32,
) -> Result<(), PluginError> {
    let total = ctx.meta().frame_count().max(1);
    let mut detector = ShotDetector::new(settings);
    let mut done = 0i64;
    for frame in ctx.video_frames() {
        let frame = frame?;
        detector.push_rgb(frame.index, frame.width, frame.height, &frame.data);
        done += 1;
        if done % 50 == 0 {
            ctx.progress(
                share * done as f32 / total as f32,
                "finding shot boundaries",
            );
        }
    }
    let events = detector.finish();
    let (mut cuts, mut gradual) = (0, 0);
    for event in events {
        match event {
            ShotEvent::Cut {
                frame,
                confidence,
                distance,
                ratio,
            } => {
                cuts += 1;
                proposal.push(
                    ProposalKind::Cut {
                        at: RationalTime::new(frame, rate),
                    },
                    confidence,
                    format!("hard cut: change {distance:.2}, {ratio:.1}× its surroundings"),
                )?;
            }
            ShotEvent::Gradual {
                start,
                end,
                kind,
                confidence,
            } => {
                gradual += 1;
                proposal.push(
                    ProposalKind::Transition {
                        range: TimeRange::from_frames(start, end - start, rate),
                        kind: TransitionKind::Dissolve,
                    },
                    confidence,
                    format!("{} over {} frames", kind.describe(), end - start),
                )?;
            }
        }
    }
    ctx.log(
        LogLevel::Info,
        &format!("{cuts} hard cut(s), {gradual} gradual transition(s) in {done} frame(s)"),
    );
    Ok(())
}

fn find_dead_air(
    ctx: &mut Context,
    proposal: &mut Proposal,
    settings: DeadAirSettings,
    vad: Option<Vad>,
) -> Result<(), PluginError> {
    let range = ctx.meta().range;
    let first_sample = range.start.to_samples(SAMPLE_RATE);
    let total = range.duration.to_samples(SAMPLE_RATE).max(1) as f32;
    let mut meter = LevelMeter::new();
    let mut stream = vad.as_ref().map(|v| v.stream());
    let mut probabilities = Vec::new();
    let mut done = 0usize;
    let base = ctx.meta().frame_rate.map_or(0.0, |_| 0.8);
    for chunk in ctx.audio_samples() {
        let chunk = chunk?;
        meter.push(&chunk.samples);
        if let Some(s) = stream.as_mut() {
            s.push(&chunk.samples, &mut probabilities)
                .map_err(|e| PluginError::failed(e.to_string()))?;
        }
        // Report about once per second of audio (not per decoded chunk: a host that keeps
        // every report would otherwise grow with the file's length).
        let before = done / SAMPLE_RATE as usize;
        done += chunk.samples.len();
        if done / SAMPLE_RATE as usize != before {
            ctx.progress(
                base + (1.0 - base) * (done as f32 / total).min(1.0),
                "measuring audio",
            );
        }
    }
    if let Some(s) = stream.as_mut() {
        s.finish(&mut probabilities)
            .map_err(|e| PluginError::failed(e.to_string()))?;
    }
    let levels = meter.finish();
    let speech = vad.as_ref().map(|_| {
        // The VAD reacts a little late and early; widen its windows by 60 ms each side.
        dead_air::speech_frames(&probabilities, levels.len(), settings.vad_threshold, 6)
    });
    let removals = dead_air::find_removals(&levels, speech.as_deref(), &settings);
    let count = removals.len();
    for r in removals {
        let start = first_sample + (r.start * FRAME_SAMPLES) as i64;
        let end = (first_sample + (r.end * FRAME_SAMPLES) as i64)
            .min(first_sample + done as i64)
            .max(start);
        if end == start {
            continue;
        }
        let secs = (end - start) as f64 / SAMPLE_RATE as f64;
        let what = if r.non_speech { "no speech" } else { "silence" };
        proposal.push(
            ProposalKind::Removal {
                range: TimeRange::from_frames(start, end - start, Rate::HZ_16000),
            },
            r.confidence,
            format!("{what} {secs:.2} s"),
        )?;
    }
    ctx.log(
        LogLevel::Info,
        &format!(
            "{count} span(s) of dead air over {} audio frame(s)",
            levels.len()
        ),
    );
    Ok(())
}

/// Short name of a gradual kind (for logs and tools).
pub fn gradual_name(kind: GradualKind) -> &'static str {
    kind.describe()
}
