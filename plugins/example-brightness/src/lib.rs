//! Example Cutroom plugin: **mark frames brighter than a threshold**.
//!
//! It reads small gray analysis frames (64×36, [`PixelFormat::Gray8`]), computes each frame's
//! mean luma, and proposes one [`Marker`] per run of consecutive frames whose mean luma is
//! above the `threshold` parameter. The confidence of a marker grows with how far the run's
//! mean luma is above the threshold: 0 just above it, 1 at full white.
//!
//! It is deliberately small and complete: a manifest with one parameter, a frame loop that
//! reports progress and stops when cancelled, a proposal built with [`Proposal::push`], and
//! tests that use the SDK's harness. Copy it to start a new plugin.

use cutroom_plugin::prelude::*;

/// The plugin's stable id.
pub const ID: &str = "example-brightness";

/// Width of the analysis frames.
pub const ANALYSIS_WIDTH: u32 = 64;
/// Height of the analysis frames.
pub const ANALYSIS_HEIGHT: u32 = 36;

/// Marks runs of frames whose mean luma is above a threshold.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrightFrames;

impl Plugin for BrightFrames {
    fn manifest(&self) -> Manifest {
        Manifest::new(
            ID,
            "Bright frames",
            env!("CARGO_PKG_VERSION"),
            "Marks runs of frames whose mean brightness is above a threshold.",
        )
        .reads_video(ANALYSIS_WIDTH, ANALYSIS_HEIGHT, PixelFormat::Gray8)
        .param(
            ParamSpec::float("threshold", "Threshold", 0.0, 255.0, 200.0)
                .with_step(1.0)
                .with_help(
                    "Mean luma (0 = black, 255 = white) a frame must exceed to count as bright.",
                ),
        )
    }

    fn run(&self, ctx: &mut Context, params: &Params) -> Result<Proposal, PluginError> {
        let threshold = params.get_f64("threshold")?;
        let rate = ctx
            .meta()
            .frame_rate
            .ok_or_else(|| PluginError::failed("the media has no video"))?;
        let total = ctx.meta().frame_count().max(1);
        let mut proposal = Proposal::new(ID);
        // The run of bright frames in progress: first frame time, frame count, luma sum.
        let mut run: Option<(RationalTime, i64, f64)> = None;
        let mut done = 0i64;

        for frame in ctx.video_frames() {
            let frame = frame?; // stops with Cancelled once the job is cancelled
            let luma = frame.mean_luma();
            if luma > threshold {
                let r = run.get_or_insert((frame.time, 0, 0.0));
                r.1 += 1;
                r.2 += luma;
            } else if let Some(r) = run.take() {
                push_marker(&mut proposal, r, rate, threshold)?;
            }
            done += 1;
            if done % 10 == 0 {
                ctx.progress(done as f32 / total as f32, "measuring brightness");
            }
        }
        if let Some(r) = run.take() {
            push_marker(&mut proposal, r, rate, threshold)?;
        }
        ctx.progress(1.0, "done");
        ctx.log(
            LogLevel::Info,
            &format!(
                "{} bright run(s) in {done} frame(s) above {threshold}",
                proposal.items.len()
            ),
        );
        Ok(proposal)
    }
}

fn push_marker(
    proposal: &mut Proposal,
    (start, frames, luma_sum): (RationalTime, i64, f64),
    rate: Rate,
    threshold: f64,
) -> Result<(), PluginError> {
    let mean = luma_sum / frames as f64;
    let headroom = 255.0 - threshold;
    let confidence = if headroom > 0.0 {
        ((mean - threshold) / headroom).clamp(0.0, 1.0) as f32
    } else {
        1.0
    };
    let range = TimeRange::new(start, RationalTime::new(frames, rate));
    let marker = Marker {
        name: "bright".into(),
        range,
        color: MarkerColor::Yellow,
        note: format!("mean luma {mean:.1} over {frames} frame(s)"),
        confidence: Some(confidence),
    };
    proposal.push(
        ProposalKind::Marker(marker),
        confidence,
        format!("mean luma {mean:.1} > {threshold}"),
    )?;
    Ok(())
}
