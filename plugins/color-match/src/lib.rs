//! Cutroom plugin: **color-match** — match a shot's colors to a reference.
//!
//! The plugin samples frames spread over the whole shot (the range being processed) and over
//! the reference (another clip or a still image, which the host opens as a one-frame
//! source), gathers pixel statistics over all of them, and fits **one** transform for the
//! shot, so the correction does not flicker from frame to frame. The transform is baked into
//! a 3D LUT (33³ by default) and proposed as a [`ColorTransform`] carrying the method and its
//! fitted parameters; it exports as `.cube` (`cutroom_timeline::formats::write_lut`) and is
//! applied by `cutroom_color::apply_lut_rgba8`.
//!
//! Methods (`method` parameter): Reinhard mean/std transfer in CIELAB or Oklab, Monge–
//! Kantorovich linear (MKL) transfer of the covariance, per-channel histogram matching (whose
//! LUT bake tells merged levels apart by the reference's joint histogram), histogram → MKL →
//! histogram, and `combined` (default): histogram → MKL → histogram refined by a few
//! iterations of iterative distribution transfer along rotated axes. Options: `strength`
//! (blend 0–1, in linear light), `protect_skin`, `protect_highlights`, `lut_size`, `frames`.
//!
//! Input is assumed to be Rec.709 primaries with the sRGB transfer function (8-bit RGB as
//! decoded from Rec.709 video); see [`fit`] for the space each method works in.

pub mod fit;
mod joint;
mod linalg;

use cutroom_plugin::prelude::*;
use cutroom_plugin::timeline::TimeError;
use cutroom_plugin::FrameStream;

pub use fit::{ColorModel, FitError, FitOptions, Method, MklSpace, Samples};

/// The plugin's stable id.
pub const ID: &str = "color-match";

/// Width of the analysis frames (shot and reference are both scaled to this size).
pub const ANALYSIS_WIDTH: u32 = 640;
/// Height of the analysis frames.
pub const ANALYSIS_HEIGHT: u32 = 360;

/// Pixels sampled over the whole shot (spread evenly over the sampled frames), and over the
/// whole reference.
pub const PIXEL_BUDGET: usize = 1_500_000;

/// Image extensions accepted for a still reference.
pub const STILL_EXTENSIONS: [&str; 7] = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "webp"];

/// Matches a shot's colors to a reference clip or still.
#[derive(Debug, Clone, Copy, Default)]
pub struct ColorMatch;

impl Plugin for ColorMatch {
    fn manifest(&self) -> Manifest {
        let methods: Vec<(&str, &str)> = Method::ALL.iter().map(|m| (m.id(), m.label())).collect();
        Manifest::new(
            ID,
            "Color match",
            env!("CARGO_PKG_VERSION"),
            "Matches the shot's colors to a reference clip or still image with one 3D LUT for \
             the whole shot (statistics over many frames, so it does not flicker).",
        )
        .reads_video(ANALYSIS_WIDTH, ANALYSIS_HEIGHT, PixelFormat::Rgba)
        .reads_reference_clip()
        .param(
            ParamSpec::new("reference", "Reference clip", ParamKind::ClipRef).with_help(
                "The clip (or range) whose look to match. The host reads it as the reference.",
            ),
        )
        .param(
            ParamSpec::new(
                "reference_image",
                "Reference image",
                ParamKind::FilePath {
                    extensions: STILL_EXTENSIONS.iter().map(|e| e.to_string()).collect(),
                },
            )
            .with_help("A still image whose look to match, instead of a reference clip."),
        )
        .param(
            ParamSpec::new("reference_in", "Reference in", ParamKind::millis(0)).with_help(
                "Where the part of the reference clip to match starts, from the clip's start \
                 (seconds, or an exact frame count such as 300@25).",
            ),
        )
        .param(
            ParamSpec::new("reference_out", "Reference out", ParamKind::millis(0)).with_help(
                "Where the part of the reference clip to match ends (exclusive); 0 for the \
                 clip's end.",
            ),
        )
        .param(
            ParamSpec::choice("method", "Method", &methods, Method::Combined.id()).with_help(
                "Reinhard transfers mean and spread per channel in a perceptual space; MKL \
                 transfers the full covariance; histogram matching matches each channel's \
                 distribution; hm-mkl-hm does histogram, MKL, histogram; combined refines that \
                 along rotated axes.",
            ),
        )
        .param(
            ParamSpec::float("strength", "Strength", 0.0, 1.0, 1.0)
                .with_help("How much of the correction to apply (blended in linear light)."),
        )
        .param(
            ParamSpec::bool("protect_skin", "Protect skin tones", false)
                .with_help("Apply less of the correction to skin-like colors."),
        )
        .param(
            ParamSpec::bool("protect_highlights", "Protect highlights", false)
                .with_help("Roll highlights off towards white instead of clipping them."),
        )
        .param(
            ParamSpec::int("lut_size", "LUT size", 2, 129, 33)
                .with_help("Lattice points per axis of the 3D LUT."),
        )
        .param(
            ParamSpec::int("frames", "Frames sampled", 1, 300, 30)
                .with_help("Frames sampled evenly across the shot and the reference."),
        )
    }

    fn run(&self, ctx: &mut Context, params: &Params) -> Result<Proposal, PluginError> {
        let method_id = params.get_choice("method")?;
        let method = Method::from_id(method_id)
            .ok_or_else(|| PluginError::failed(format!("unknown method {method_id:?}")))?;
        let options = FitOptions {
            method,
            strength: params.get_f64("strength")? as f32,
            protect_skin: params.get_bool("protect_skin")?,
            protect_highlights: params.get_bool("protect_highlights")?,
            lut_size: params.get_i64("lut_size")? as usize,
            ..FitOptions::default()
        };
        let frames = params.get_i64("frames")?.max(1) as usize;
        let Some(reference_meta) = ctx.reference_meta() else {
            return Err(PluginError::failed(
                "color-match needs a reference: a clip (`reference`) or a still image \
                 (`reference_image`)",
            ));
        };

        let shot_count = ctx.meta().frame_count();
        let shot_start = ctx
            .meta()
            .frame_rate
            .map(|r| ctx.meta().range.start.to_frames(r))
            .unwrap_or(0);
        let stream = ctx.video_frames();
        let source = sample(
            ctx,
            stream,
            shot_count,
            shot_start,
            frames,
            (0.0, 0.8),
            "shot",
        )?;
        if source.is_empty() {
            return Err(PluginError::failed("no frames of the shot could be read"));
        }

        let reference_range = reference_range(
            reference_meta.range,
            params.get_time("reference_in")?,
            params.get_time("reference_out")?,
        )?;
        let reference_meta = MediaMeta {
            range: reference_range,
            ..reference_meta
        };
        let ref_count = reference_meta.frame_count();
        let ref_start = reference_meta
            .frame_rate
            .map(|r| reference_meta.range.start.to_frames(r))
            .unwrap_or(0);
        let stream = ctx.reference_video_frames_over(reference_range);
        let reference = sample(
            ctx,
            stream,
            ref_count,
            ref_start,
            frames,
            (0.8, 0.95),
            "reference",
        )?;
        if reference.is_empty() {
            return Err(PluginError::failed(format!(
                "no frames of the reference {} could be read",
                reference_meta.name
            )));
        }

        ctx.check_cancelled()?;
        let model = ColorModel::fit(&source, &reference, &options)
            .map_err(|e| PluginError::failed(e.to_string()))?;
        let lut = model.bake_fitted(&source);
        let (before, after) = distribution_distance(&source, &reference, &model);
        // Confidence: how much of the statistical difference the transform removes, and how
        // close the result gets in absolute terms (ΔE-like units of CIELAB mean and spread).
        let confidence = (1.0 / (1.0 + after / 5.0)) as f32;
        ctx.progress(1.0, "done");
        ctx.log(
            LogLevel::Info,
            &format!(
                "{} from {} shot frame(s) and {} reference frame(s): statistics distance {:.2} -> {:.2}",
                method.id(),
                source.frames(),
                reference.frames(),
                before,
                after
            ),
        );
        let mut proposal = Proposal::new(ID);
        proposal.push(
            ProposalKind::Color(lut),
            confidence.clamp(0.0, 1.0),
            format!(
                "{} match to {}: Lab statistics distance {:.1} -> {:.1}",
                method.id(),
                reference_meta.name,
                before,
                after
            ),
        )?;
        Ok(proposal)
    }
}

/// The part of the reference (whole extent `whole`) between `start` and `end` from its start;
/// an `end` of zero, or past the reference's end, means its end.
fn reference_range(
    whole: TimeRange,
    start: RationalTime,
    end: RationalTime,
) -> Result<TimeRange, PluginError> {
    whole
        .part(start, (end.value != 0).then_some(end))
        .map_err(|e| {
            PluginError::failed(match e {
                TimeError::StartsPastEnd => format!(
                    "reference_in ({:.3} s) is past the end of the reference ({:.3} s)",
                    start.to_seconds(),
                    whole.duration.to_seconds()
                ),
                TimeError::EndsBeforeStart => format!(
                    "reference_out ({:.3} s) must come after reference_in ({:.3} s)",
                    end.to_seconds(),
                    start.to_seconds()
                ),
                other => other.to_string(),
            })
        })
}

/// Reads `stream` and samples up to `wanted` frames spread evenly over `count` frames
/// starting at frame `start` (every frame when the count is unknown or small).
fn sample(
    ctx: &mut Context,
    stream: FrameStream,
    count: i64,
    start: i64,
    wanted: usize,
    progress: (f32, f32),
    what: &str,
) -> Result<Samples, PluginError> {
    let picks: Option<Vec<i64>> = (count > wanted as i64).then(|| {
        (0..wanted as i64)
            .map(|i| (2 * i + 1) * count / (2 * wanted as i64))
            .collect()
    });
    let per_frame = PIXEL_BUDGET / wanted.min(count.max(1) as usize).max(1);
    let mut samples = Samples::new();
    let message = format!("sampling the {what}");
    for frame in stream {
        let frame = frame?;
        let pos = frame.index - start;
        let take = picks.as_ref().is_none_or(|p| p.binary_search(&pos).is_ok());
        if take {
            samples.add_frame(&frame.data, frame.format.bytes_per_pixel(), per_frame);
        }
        if count > 0 {
            let f = (pos + 1) as f32 / count as f32;
            ctx.progress(progress.0 + (progress.1 - progress.0) * f, &message);
        }
        if picks
            .as_ref()
            .is_some_and(|p| p.last().is_some_and(|&l| pos >= l))
        {
            break;
        }
        if picks.is_none() && samples.frames() >= wanted {
            break;
        }
    }
    Ok(samples)
}

/// Distance between two sets of samples' CIELAB means and standard deviations, before and
/// after the model (on a subset of at most 100 000 samples each).
fn distribution_distance(source: &Samples, reference: &Samples, model: &ColorModel) -> (f64, f64) {
    let stats = |pixels: &mut dyn Iterator<Item = [f32; 3]>| {
        let mut n = 0.0;
        let mut sum = [0.0f64; 3];
        let mut sq = [0.0f64; 3];
        for p in pixels {
            let lab = cutroom_color::linear_to_lab(p.map(cutroom_color::srgb_to_linear));
            n += 1.0;
            for c in 0..3 {
                sum[c] += lab[c] as f64;
                sq[c] += (lab[c] as f64).powi(2);
            }
        }
        let n = f64::max(n, 1.0);
        let mean = sum.map(|s| s / n);
        let std = [0, 1, 2].map(|c| (sq[c] / n - mean[c] * mean[c]).max(0.0).sqrt());
        (mean, std)
    };
    let step = |s: &Samples| (s.len() / 100_000).max(1);
    let src = source.pixels();
    let (rm, rs) = stats(&mut reference.pixels().iter().step_by(step(reference)).copied());
    let (bm, bs) = stats(&mut src.iter().step_by(step(source)).copied());
    let (am, as_) = stats(&mut src.iter().step_by(step(source)).map(|p| model.map(*p)));
    let dist = |m: [f64; 3], s: [f64; 3]| {
        let dm: f64 = (0..3).map(|c| (m[c] - rm[c]).powi(2)).sum::<f64>().sqrt();
        let ds: f64 = (0..3).map(|c| (s[c] - rs[c]).powi(2)).sum::<f64>().sqrt();
        dm + ds
    };
    (dist(bm, bs), dist(am, as_))
}
