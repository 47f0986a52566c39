//! The plugin-test harness: run a plugin against synthetic media in a few lines.
//!
//! ```
//! use cutroom_plugin::prelude::*;
//! use cutroom_plugin::testing::{run_plugin, SyntheticSource};
//!
//! struct CountFrames;
//! impl Plugin for CountFrames {
//!     fn manifest(&self) -> Manifest {
//!         Manifest::new("count-frames", "Count frames", "0.1.0", "Logs the frame count.")
//!             .reads_video(8, 8, PixelFormat::Gray8)
//!     }
//!     fn run(&self, ctx: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
//!         let mut n = 0;
//!         for frame in ctx.video_frames() {
//!             frame?;
//!             n += 1;
//!         }
//!         ctx.log(LogLevel::Info, &format!("{n} frames"));
//!         Ok(Proposal::new("count-frames"))
//!     }
//! }
//!
//! let source = SyntheticSource::new(Rate::FPS_24, 48).with_luma(|i| (i * 5) as u8);
//! let result = run_plugin(&CountFrames, source, &Params::default());
//! assert!(result.proposal.unwrap().items.is_empty());
//! assert_eq!(result.logs, [(LogLevel::Info, "48 frames".to_string())]);
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cutroom_timeline::{Rate, RationalTime, TimeRange};

use crate::context::{
    AudioChunk, AudioIter, CancelToken, Context, Frame, LogLevel, MediaError, MediaMeta,
    MediaSource, Reporter, VideoIter,
};
use crate::error::PluginError;
use crate::manifest::{AudioRequest, PixelFormat, VideoRequest};
use crate::params::Params;
use crate::proposal::Proposal;
use crate::Plugin;

type VideoFn = dyn Fn(i64, &VideoRequest) -> Vec<u8> + Send + Sync;
type AudioFn = dyn Fn(i64, u32) -> f32 + Send + Sync;

/// Samples per channel in each chunk a [`SyntheticSource`] yields.
pub const SYNTHETIC_AUDIO_CHUNK: usize = 1024;

/// An in-memory [`MediaSource`] whose frames and samples come from closures.
///
/// It is a real source, not a mock: it honours requested ranges, sizes, formats, sample
/// rates and channel counts, so plugins behave as they do on decoded media.
#[derive(Clone)]
pub struct SyntheticSource {
    name: String,
    frame_rate: Rate,
    frames: i64,
    video: Option<Arc<VideoFn>>,
    audio: Option<(u32, Arc<AudioFn>)>,
    fail_at_frame: Option<i64>,
    frame_delay: Duration,
}

impl SyntheticSource {
    /// Media `frames` frames long at `frame_rate`, with no streams yet.
    pub fn new(frame_rate: Rate, frames: i64) -> SyntheticSource {
        SyntheticSource {
            name: "synthetic".into(),
            frame_rate,
            frames: frames.max(0),
            video: None,
            audio: None,
            fail_at_frame: None,
            frame_delay: Duration::ZERO,
        }
    }

    /// Sets the display name.
    pub fn named(mut self, name: impl Into<String>) -> SyntheticSource {
        self.name = name.into();
        self
    }

    /// Video whose frame `index` at a request is `f(index, request)`; the closure must
    /// return `request.frame_bytes()` bytes.
    pub fn with_video(
        mut self,
        f: impl Fn(i64, &VideoRequest) -> Vec<u8> + Send + Sync + 'static,
    ) -> SyntheticSource {
        self.video = Some(Arc::new(f));
        self
    }

    /// Video of uniform gray frames whose level at frame `index` is `f(index)`, delivered in
    /// any requested format.
    pub fn with_luma(self, f: impl Fn(i64) -> u8 + Send + Sync + 'static) -> SyntheticSource {
        self.with_video(move |index, req| {
            let level = f(index);
            let pixels = req.width as usize * req.height as usize;
            match req.format {
                PixelFormat::Gray8 => vec![level; pixels],
                PixelFormat::Rgb24 => vec![level; pixels * 3],
                PixelFormat::Rgba => [level, level, level, 255].repeat(pixels),
            }
        })
    }

    /// Audio at native `sample_rate`; the sample at index `i` of a stream at rate `r` is
    /// `f(i, r)`, the same on every channel.
    pub fn with_audio(
        mut self,
        sample_rate: u32,
        f: impl Fn(i64, u32) -> f32 + Send + Sync + 'static,
    ) -> SyntheticSource {
        self.audio = Some((sample_rate, Arc::new(f)));
        self
    }

    /// Makes reading frame `index` fail with a decode error (to test error paths).
    pub fn failing_at_frame(mut self, index: i64) -> SyntheticSource {
        self.fail_at_frame = Some(index);
        self
    }

    /// Sleeps `delay` before each frame and audio chunk (to simulate slow decoding).
    pub fn with_frame_delay(mut self, delay: Duration) -> SyntheticSource {
        self.frame_delay = delay;
        self
    }

    fn duration(&self) -> RationalTime {
        RationalTime::new(self.frames, self.frame_rate)
    }
}

impl MediaSource for SyntheticSource {
    fn meta(&self) -> MediaMeta {
        let duration = self.duration();
        MediaMeta {
            name: self.name.clone(),
            duration,
            frame_rate: self.video.as_ref().map(|_| self.frame_rate),
            width: if self.video.is_some() { 1920 } else { 0 },
            height: if self.video.is_some() { 1080 } else { 0 },
            sample_rate: self.audio.as_ref().map(|(r, _)| *r),
            channels: if self.audio.is_some() { 2 } else { 0 },
            range: TimeRange::new(RationalTime::zero(self.frame_rate), duration),
        }
    }

    fn open_video(
        &self,
        request: &VideoRequest,
        range: TimeRange,
    ) -> Result<VideoIter, MediaError> {
        let f = self.video.clone().ok_or(MediaError::NoStream("video"))?;
        let rate = self.frame_rate;
        let first = range.start.to_frames(rate).clamp(0, self.frames);
        let end = range
            .end_exclusive()
            .to_frames(rate)
            .clamp(first, self.frames);
        let request = *request;
        let fail = self.fail_at_frame;
        let delay = self.frame_delay;
        Ok(Box::new((first..end).map(move |index| {
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
            if fail == Some(index) {
                return Err(MediaError::Decode {
                    at: RationalTime::new(index, rate).to_string(),
                    reason: "synthetic decode failure".into(),
                });
            }
            Ok(Frame {
                index,
                time: RationalTime::new(index, rate),
                width: request.width,
                height: request.height,
                format: request.format,
                data: f(index, &request),
            })
        })))
    }

    fn open_audio(
        &self,
        request: &AudioRequest,
        range: TimeRange,
    ) -> Result<AudioIter, MediaError> {
        let (_, f) = self.audio.clone().ok_or(MediaError::NoStream("audio"))?;
        let sr = request.sample_rate;
        let channels = request.channels.max(1);
        let total = self.duration().to_samples(sr);
        let first = range.start.to_samples(sr).clamp(0, total);
        let end = range.end_exclusive().to_samples(sr).clamp(first, total);
        let delay = self.frame_delay;
        let starts = (first..end).step_by(SYNTHETIC_AUDIO_CHUNK);
        Ok(Box::new(starts.map(move |start| {
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
            let stop = (start + SYNTHETIC_AUDIO_CHUNK as i64).min(end);
            let mut samples = Vec::with_capacity((stop - start) as usize * channels as usize);
            for i in start..stop {
                let v = f(i, sr);
                samples.extend(std::iter::repeat_n(v, channels as usize));
            }
            Ok(AudioChunk {
                start_sample: start,
                sample_rate: sr,
                channels,
                samples,
            })
        })))
    }
}

/// What a harness run produced.
#[derive(Debug)]
pub struct HarnessResult {
    /// The plugin's proposal (validated, and checked to carry the manifest's id) or error.
    pub proposal: Result<Proposal, PluginError>,
    /// Every progress report, in order.
    pub progress_events: Vec<(f32, String)>,
    /// Every log line, in order.
    pub logs: Vec<(LogLevel, String)>,
}

#[derive(Default)]
struct Recorded {
    progress: Vec<(f32, String)>,
    logs: Vec<(LogLevel, String)>,
}

struct RecordingReporter(Arc<Mutex<Recorded>>);

impl Reporter for RecordingReporter {
    fn progress(&mut self, fraction: f32, message: &str) {
        if let Ok(mut r) = self.0.lock() {
            r.progress.push((fraction, message.to_string()));
        }
    }
    fn log(&mut self, level: LogLevel, message: &str) {
        if let Ok(mut r) = self.0.lock() {
            r.logs.push((level, message.to_string()));
        }
    }
}

/// A configurable test run: source, optional range, reference clip and cancellation.
pub struct Harness {
    source: Arc<dyn MediaSource>,
    reference: Option<Arc<dyn MediaSource>>,
    range: Option<TimeRange>,
    cancel: CancelToken,
}

impl Harness {
    /// A run over the whole of `source`.
    pub fn new(source: impl MediaSource + 'static) -> Harness {
        Harness {
            source: Arc::new(source),
            reference: None,
            range: None,
            cancel: CancelToken::new(),
        }
    }

    /// Processes only `range` of the media.
    pub fn with_range(mut self, range: TimeRange) -> Harness {
        self.range = Some(range);
        self
    }

    /// Adds a reference clip.
    pub fn with_reference(mut self, reference: impl MediaSource + 'static) -> Harness {
        self.reference = Some(Arc::new(reference));
        self
    }

    /// The token the run's context checks; cancel it (e.g. from another thread) to test
    /// cancellation.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Runs `plugin` with `params` after checking its manifest, then checks the proposal.
    pub fn run(self, plugin: &dyn Plugin, params: &Params) -> HarnessResult {
        let manifest = plugin.manifest();
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let proposal = (|| {
            manifest
                .validate()
                .map_err(|e| PluginError::failed(e.to_string()))?;
            let params = params.clone().validated(&manifest)?;
            let mut ctx = Context::new(
                self.source,
                manifest.reads.clone(),
                self.cancel,
                Box::new(RecordingReporter(recorded.clone())),
            );
            if let Some(range) = self.range {
                ctx = ctx.with_range(range);
            }
            if let Some(reference) = self.reference {
                ctx = ctx.with_reference(reference);
            }
            let proposal = plugin.run(&mut ctx, &params)?;
            proposal.validate()?;
            if proposal.plugin_id != manifest.id {
                return Err(PluginError::failed(format!(
                    "the proposal says it comes from {:?} but the manifest id is {:?}",
                    proposal.plugin_id, manifest.id
                )));
            }
            Ok(proposal)
        })();
        let recorded = std::mem::take(&mut *recorded.lock().unwrap_or_else(|e| e.into_inner()));
        HarnessResult {
            proposal,
            progress_events: recorded.progress,
            logs: recorded.logs,
        }
    }
}

/// Runs `plugin` over the whole of `source` with `params` (re-validated against the
/// manifest, defaults filled) and records its progress and logs.
pub fn run_plugin(
    plugin: &dyn Plugin,
    source: impl MediaSource + 'static,
    params: &Params,
) -> HarnessResult {
    Harness::new(source).run(plugin, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    fn gray(w: u32, h: u32) -> VideoRequest {
        VideoRequest {
            width: w,
            height: h,
            format: PixelFormat::Gray8,
        }
    }

    #[test]
    fn synthetic_video_honours_the_range_and_request() {
        let src = SyntheticSource::new(Rate::FPS_29_97, 100).with_luma(|i| i as u8);
        let frames: Vec<Frame> = src
            .open_video(&gray(4, 2), TimeRange::from_frames(10, 5, Rate::FPS_29_97))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            frames.iter().map(|f| f.index).collect::<Vec<_>>(),
            [10, 11, 12, 13, 14]
        );
        assert_eq!(frames[0].time, RationalTime::new(10, Rate::FPS_29_97));
        assert_eq!(frames[0].data, vec![10u8; 8]);
    }

    #[test]
    fn synthetic_audio_covers_the_range_without_gaps() {
        let src = SyntheticSource::new(Rate::FPS_25, 50).with_audio(48_000, |i, _| i as f32);
        let req = AudioRequest {
            sample_rate: 16_000,
            channels: 2,
        };
        let chunks: Vec<AudioChunk> = src
            .open_audio(&req, TimeRange::from_frames(0, 25, Rate::FPS_25))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let total: usize = chunks.iter().map(|c| c.frames()).sum();
        assert_eq!(total, 16_000);
        assert_eq!(chunks[1].start_sample, SYNTHETIC_AUDIO_CHUNK as i64);
        assert_eq!(&chunks[0].samples[..4], &[0.0, 0.0, 1.0, 1.0]);
    }

    struct NeedsVideo;
    impl Plugin for NeedsVideo {
        fn manifest(&self) -> Manifest {
            Manifest::new("needs-video", "Needs video", "0.1.0", "Reads frames.").reads_video(
                4,
                4,
                PixelFormat::Rgba,
            )
        }
        fn run(&self, ctx: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
            let count = ctx.meta().frame_count();
            for frame in ctx.video_frames() {
                let frame = frame?;
                ctx.progress((frame.index + 1) as f32 / count as f32, "reading");
            }
            let _ = ctx.audio_samples().next().transpose()?;
            Ok(Proposal::new("needs-video"))
        }
    }

    #[test]
    fn the_harness_records_progress_in_order() {
        let src = SyntheticSource::new(Rate::FPS_24, 4).with_luma(|_| 1);
        let result = Harness::new(src)
            .with_range(TimeRange::from_frames(2, 2, Rate::FPS_24))
            .run(&NeedsVideo, &Params::default());
        // Undeclared audio is an error, reported after the frames were read.
        assert!(matches!(
            result.proposal,
            Err(PluginError::Undeclared { what: "audio" })
        ));
        assert_eq!(
            result.progress_events,
            [(1.0, "reading".to_string()), (1.0, "reading".to_string())]
        );
    }

    #[test]
    fn a_decode_error_reaches_the_plugin_as_a_media_error() {
        let src = SyntheticSource::new(Rate::FPS_24, 10)
            .with_luma(|_| 1)
            .failing_at_frame(3);
        let result = run_plugin(&NeedsVideo, src, &Params::default());
        let err = result.proposal.unwrap_err();
        assert!(
            matches!(err, PluginError::Media(MediaError::Decode { .. })),
            "{err}"
        );
        assert_eq!(result.progress_events.len(), 3);
    }

    #[test]
    fn a_cancelled_run_stops_at_the_next_frame() {
        let src = SyntheticSource::new(Rate::FPS_24, 10).with_luma(|_| 1);
        let harness = Harness::new(src);
        harness.cancel_token().cancel();
        let result = harness.run(&NeedsVideo, &Params::default());
        assert_eq!(result.proposal.unwrap_err(), PluginError::Cancelled);
        assert!(result.progress_events.is_empty());
    }
}
