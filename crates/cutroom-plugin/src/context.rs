//! What a running plugin sees: media streams, metadata, progress, logging and cancellation.
//!
//! The host implements [`MediaSource`] (over a decoder) and [`Reporter`] (over its event
//! channel) and hands the plugin a [`Context`] built from them. Tests use
//! [`crate::testing::SyntheticSource`] and the harness's recording reporter instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cutroom_timeline::{Rate, RationalTime, TimeRange};
use serde::{Deserialize, Serialize};

use crate::error::PluginError;
use crate::manifest::{AudioRequest, PixelFormat, Reads, VideoRequest};

/// One analysis frame: tightly packed pixels at the requested size and format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Frame number in the media, counted at [`MediaMeta::frame_rate`] from the media's start.
    pub index: i64,
    /// Presentation time of the frame in media time.
    pub time: RationalTime,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout of `data`.
    pub format: PixelFormat,
    /// `width * height * format.bytes_per_pixel()` bytes, rows top to bottom.
    pub data: Vec<u8>,
}

impl Frame {
    /// Bytes per row.
    pub fn stride(&self) -> usize {
        self.width as usize * self.format.bytes_per_pixel()
    }

    /// Mean luma in `0..=255` (BT.709 weights for RGB formats); 0 for an empty frame.
    pub fn mean_luma(&self) -> f64 {
        let bpp = self.format.bytes_per_pixel();
        let pixels = self.data.len() / bpp;
        if pixels == 0 {
            return 0.0;
        }
        let sum: f64 = match self.format {
            PixelFormat::Gray8 => self.data.iter().map(|&v| v as f64).sum(),
            PixelFormat::Rgb24 | PixelFormat::Rgba => self
                .data
                .chunks_exact(bpp)
                .map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64)
                .sum(),
        };
        sum / pixels as f64
    }
}

/// A run of interleaved audio samples.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    /// Index (per channel) of the first sample in the media, at `sample_rate`.
    pub start_sample: i64,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Interleaved samples in `[-1, 1]`: `frames() * channels` values.
    pub samples: Vec<f32>,
}

impl AudioChunk {
    /// Samples per channel in this chunk.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }

    /// The rate of `start_sample`, or `None` for a zero sample rate.
    fn rate(&self) -> Option<Rate> {
        Rate::whole(self.sample_rate).ok()
    }

    /// Time of the first sample, in media time at the sample rate.
    pub fn start_time(&self) -> RationalTime {
        RationalTime::new(self.start_sample, self.rate().unwrap_or(Rate::HZ_48000))
    }

    /// The span the chunk covers.
    pub fn range(&self) -> TimeRange {
        let rate = self.rate().unwrap_or(Rate::HZ_48000);
        TimeRange::from_frames(self.start_sample, self.frames() as i64, rate)
    }
}

/// What is known about the media being processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaMeta {
    /// Display name (file name).
    pub name: String,
    /// Length of the whole media.
    pub duration: RationalTime,
    /// Frame rate of the video, if there is video.
    pub frame_rate: Option<Rate>,
    /// Native picture width (0 without video).
    pub width: u32,
    /// Native picture height (0 without video).
    pub height: u32,
    /// Native audio sample rate, if there is audio.
    pub sample_rate: Option<u32>,
    /// Native audio channel count (0 without audio).
    pub channels: u16,
    /// The part of the media this run processes, in media time; the whole media by default.
    pub range: TimeRange,
}

impl MediaMeta {
    /// Number of video frames in [`MediaMeta::range`] (0 without video).
    pub fn frame_count(&self) -> i64 {
        match self.frame_rate {
            Some(rate) => {
                self.range.end_exclusive().to_frames(rate) - self.range.start.to_frames(rate)
            }
            None => 0,
        }
    }
}

/// Why media could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The media has no stream of the requested kind ("video", "audio").
    #[error("the media has no {0} stream")]
    NoStream(&'static str),
    /// The media could not be opened.
    #[error("cannot open {name}: {reason}")]
    Open {
        /// Media name or path.
        name: String,
        /// Why.
        reason: String,
    },
    /// Decoding failed partway.
    #[error("decoding failed at {at}: {reason}")]
    Decode {
        /// Where (media time), as text.
        at: String,
        /// Why.
        reason: String,
    },
    /// The request cannot be served (size, format, range).
    #[error("unsupported request: {0}")]
    Unsupported(String),
}

/// Stream of video frames produced by a [`MediaSource`].
pub type VideoIter = Box<dyn Iterator<Item = Result<Frame, MediaError>> + Send>;
/// Stream of audio chunks produced by a [`MediaSource`].
pub type AudioIter = Box<dyn Iterator<Item = Result<AudioChunk, MediaError>> + Send>;

/// A readable piece of media, as a plugin host provides it.
///
/// Object safe and shareable across threads: the engine holds `Arc<dyn MediaSource>`, and
/// each `open_*` call returns an independent stream (so a plugin may read twice).
pub trait MediaSource: Send + Sync {
    /// Metadata of the whole media; [`MediaMeta::range`] is the whole media here.
    fn meta(&self) -> MediaMeta;

    /// Frames whose presentation time lies in `range` (media time), in order, scaled and
    /// converted to `request`.
    fn open_video(&self, request: &VideoRequest, range: TimeRange)
        -> Result<VideoIter, MediaError>;

    /// Audio covering `range` (media time), resampled and remixed to `request`, in chunks of
    /// any size, in order and without gaps.
    fn open_audio(&self, request: &AudioRequest, range: TimeRange)
        -> Result<AudioIter, MediaError>;
}

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Detail for debugging.
    Debug,
    /// Normal information.
    Info,
    /// Something the user may want to know.
    Warn,
    /// Something went wrong (the run may still continue).
    Error,
}

/// Where a context sends progress and log lines; implemented by the host.
pub trait Reporter: Send {
    /// Progress in `[0, 1]` with a short message.
    fn progress(&mut self, fraction: f32, message: &str);
    /// A log line.
    fn log(&mut self, level: LogLevel, message: &str);
}

/// A reporter that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullReporter;

impl Reporter for NullReporter {
    fn progress(&mut self, _fraction: f32, _message: &str) {}
    fn log(&mut self, _level: LogLevel, _message: &str) {}
}

/// A shared cancellation flag: the host sets it, the plugin's context checks it.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once [`CancelToken::cancel`] has been called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The plugin's window on the world during [`crate::Plugin::run`].
pub struct Context {
    source: Arc<dyn MediaSource>,
    reference: Option<Arc<dyn MediaSource>>,
    reads: Reads,
    meta: MediaMeta,
    cancel: CancelToken,
    reporter: Box<dyn Reporter>,
}

impl Context {
    /// A context over the whole of `source`, for a plugin that declared `reads`.
    pub fn new(
        source: Arc<dyn MediaSource>,
        reads: Reads,
        cancel: CancelToken,
        reporter: Box<dyn Reporter>,
    ) -> Context {
        let meta = source.meta();
        Context {
            source,
            reference: None,
            reads,
            meta,
            cancel,
            reporter,
        }
    }

    /// Restricts processing to `range` of the media (clamped to the media's extent).
    pub fn with_range(mut self, range: TimeRange) -> Context {
        let whole = self.meta.range;
        self.meta.range = whole.intersection(&range).unwrap_or(TimeRange::new(
            range.start,
            RationalTime::zero(range.start.rate),
        ));
        self
    }

    /// Adds the reference clip (for plugins that declare `reads.reference_clip`).
    pub fn with_reference(mut self, reference: Arc<dyn MediaSource>) -> Context {
        self.reference = Some(reference);
        self
    }

    /// Metadata of the media, with [`MediaMeta::range`] set to the range being processed.
    pub fn meta(&self) -> &MediaMeta {
        &self.meta
    }

    /// Metadata of the reference clip, if one was given.
    pub fn reference_meta(&self) -> Option<MediaMeta> {
        self.reference.as_ref().map(|r| r.meta())
    }

    /// The analysis frames declared in the manifest, over the range being processed.
    ///
    /// The stream ends with `Err(PluginError::Cancelled)` as soon as the job is cancelled, so
    /// `let frame = frame?;` in a loop stops a cancelled plugin promptly.
    pub fn video_frames(&self) -> FrameStream {
        match self.reads.video {
            Some(request) => self.video_frames_with(&request),
            None => FrameStream::failed(PluginError::Undeclared { what: "video" }),
        }
    }

    /// Frames at another size or format than the manifest's (e.g. a second, coarser pass).
    /// The manifest must still declare video.
    pub fn video_frames_with(&self, request: &VideoRequest) -> FrameStream {
        if self.reads.video.is_none() {
            return FrameStream::failed(PluginError::Undeclared { what: "video" });
        }
        open_video(&*self.source, request, self.meta.range, &self.cancel)
    }

    /// The audio declared in the manifest, over the range being processed; ends with
    /// `Err(PluginError::Cancelled)` once the job is cancelled.
    pub fn audio_samples(&self) -> AudioStream {
        let Some(request) = self.reads.audio else {
            return AudioStream::failed(PluginError::Undeclared { what: "audio" });
        };
        AudioStream {
            guard: Guarded::open(
                self.source.open_audio(&request, self.meta.range),
                &self.cancel,
            ),
        }
    }

    /// Frames of the whole reference clip, at the manifest's video request.
    pub fn reference_video_frames(&self) -> FrameStream {
        // Without a reference the range does not matter: the stream is an error.
        let whole = self.reference_meta().map_or(self.meta.range, |m| m.range);
        self.reference_video_frames_over(whole)
    }

    /// Like [`Context::reference_video_frames`], over `range` of the reference (media time,
    /// clamped to the reference's extent); an error when `range` lies outside it.
    pub fn reference_video_frames_over(&self, range: TimeRange) -> FrameStream {
        let (Some(reference), true, Some(request)) =
            (&self.reference, self.reads.reference_clip, self.reads.video)
        else {
            return FrameStream::failed(PluginError::Undeclared {
                what: "the reference clip",
            });
        };
        let meta = reference.meta();
        match meta.range.intersection(&range) {
            Some(r) => {
                let mut stream = open_video(&**reference, &request, r, &self.cancel);
                // The reference's media errors name it.
                stream.guard.reference = Some(meta.name);
                stream
            }
            None => FrameStream::failed(PluginError::ReferenceMedia {
                name: meta.name,
                source: MediaError::Unsupported(format!(
                    "the range {:.3}-{:.3} s is outside the reference (0-{:.3} s)",
                    range.start.to_seconds(),
                    range.end_exclusive().to_seconds(),
                    meta.duration.to_seconds()
                )),
            }),
        }
    }

    /// Reports progress: `fraction` of the work done (clamped to `[0, 1]`) and what is
    /// happening.
    pub fn progress(&mut self, fraction: f32, message: &str) {
        let f = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self.reporter.progress(f, message);
    }

    /// True once the job has been cancelled; long computations should check it and return
    /// `Err(PluginError::Cancelled)`.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// `Err(PluginError::Cancelled)` if the job has been cancelled, for use with `?`.
    pub fn check_cancelled(&self) -> Result<(), PluginError> {
        if self.is_cancelled() {
            Err(PluginError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Writes a log line to the job's log.
    pub fn log(&mut self, level: LogLevel, message: &str) {
        self.reporter.log(level, message);
    }
}

fn open_video(
    source: &dyn MediaSource,
    request: &VideoRequest,
    range: TimeRange,
    cancel: &CancelToken,
) -> FrameStream {
    FrameStream {
        guard: Guarded::open(source.open_video(request, range), cancel),
        expected: *request,
    }
}

/// A source's stream as a plugin sees it: an error from opening comes first, cancellation
/// ends it with [`PluginError::Cancelled`], and it ends after its first error.
struct Guarded<I> {
    inner: Option<I>,
    pending: Option<PluginError>,
    cancel: CancelToken,
    /// The reference clip's name, when this is the reference's stream.
    reference: Option<String>,
}

impl<I> Guarded<I> {
    fn open(opened: Result<I, MediaError>, cancel: &CancelToken) -> Guarded<I> {
        match opened {
            Ok(inner) => Guarded {
                inner: Some(inner),
                pending: None,
                cancel: cancel.clone(),
                reference: None,
            },
            Err(e) => Guarded::failed(e.into()),
        }
    }

    fn failed(e: PluginError) -> Guarded<I> {
        Guarded {
            inner: None,
            pending: Some(e),
            cancel: CancelToken::new(),
            reference: None,
        }
    }

    /// `e`, naming the reference clip when this is its stream.
    fn name(&self, e: PluginError) -> PluginError {
        match (e, &self.reference) {
            (PluginError::Media(source), Some(name)) => PluginError::ReferenceMedia {
                name: name.clone(),
                source,
            },
            (e, _) => e,
        }
    }

    /// The next item, passed through `check` (which may turn it into an error).
    fn next_checked<T>(
        &mut self,
        check: impl FnOnce(T) -> Result<T, PluginError>,
    ) -> Option<Result<T, PluginError>>
    where
        I: Iterator<Item = Result<T, MediaError>>,
    {
        if let Some(e) = self.pending.take() {
            self.inner = None;
            return Some(Err(self.name(e)));
        }
        let inner = self.inner.as_mut()?;
        if self.cancel.is_cancelled() {
            self.inner = None;
            return Some(Err(PluginError::Cancelled));
        }
        let item = inner
            .next()?
            .map_err(|e| self.name(e.into()))
            .and_then(check);
        if item.is_err() {
            self.inner = None;
        }
        Some(item)
    }
}

/// Video frames for a plugin; see [`Context::video_frames`].
pub struct FrameStream {
    guard: Guarded<VideoIter>,
    expected: VideoRequest,
}

impl FrameStream {
    fn failed(e: PluginError) -> FrameStream {
        FrameStream {
            guard: Guarded::failed(e),
            expected: VideoRequest {
                width: 0,
                height: 0,
                format: PixelFormat::Gray8,
            },
        }
    }
}

impl Iterator for FrameStream {
    type Item = Result<Frame, PluginError>;

    fn next(&mut self) -> Option<Self::Item> {
        let e = self.expected;
        self.guard.next_checked(|frame: Frame| {
            if frame.width != e.width
                || frame.height != e.height
                || frame.format != e.format
                || frame.data.len() != e.frame_bytes()
            {
                return Err(MediaError::Unsupported(format!(
                    "the source returned a {}x{} {:?} frame of {} bytes for a {}x{} {:?} request",
                    frame.width,
                    frame.height,
                    frame.format,
                    frame.data.len(),
                    e.width,
                    e.height,
                    e.format
                ))
                .into());
            }
            Ok(frame)
        })
    }
}

/// Audio chunks for a plugin; see [`Context::audio_samples`].
pub struct AudioStream {
    guard: Guarded<AudioIter>,
}

impl AudioStream {
    fn failed(e: PluginError) -> AudioStream {
        AudioStream {
            guard: Guarded::failed(e),
        }
    }
}

impl Iterator for AudioStream {
    type Item = Result<AudioChunk, PluginError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.guard.next_checked(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source whose video frames are `frame_width` pixels wide whatever is asked, and whose
    /// audio is an error after one chunk.
    struct Skewed {
        frame_width: u32,
    }

    /// A source without video.
    struct Silent;

    impl MediaSource for Silent {
        fn meta(&self) -> MediaMeta {
            MediaMeta {
                name: "silent.wav".into(),
                frame_rate: None,
                width: 0,
                height: 0,
                ..Skewed { frame_width: 0 }.meta()
            }
        }

        fn open_video(&self, _: &VideoRequest, _: TimeRange) -> Result<VideoIter, MediaError> {
            Err(MediaError::NoStream("video"))
        }

        fn open_audio(&self, r: &AudioRequest, range: TimeRange) -> Result<AudioIter, MediaError> {
            Skewed { frame_width: 0 }.open_audio(r, range)
        }
    }

    impl MediaSource for Skewed {
        fn meta(&self) -> MediaMeta {
            let duration = RationalTime::new(10, Rate::FPS_25);
            MediaMeta {
                name: "skewed".into(),
                duration,
                frame_rate: Some(Rate::FPS_25),
                width: 8,
                height: 2,
                sample_rate: Some(16000),
                channels: 1,
                range: TimeRange::new(RationalTime::new(0, Rate::FPS_25), duration),
            }
        }

        fn open_video(
            &self,
            request: &VideoRequest,
            _range: TimeRange,
        ) -> Result<VideoIter, MediaError> {
            let (w, h, format) = (self.frame_width, request.height, request.format);
            Ok(Box::new((0..10).map(move |i| {
                Ok(Frame {
                    index: i,
                    time: RationalTime::new(i, Rate::FPS_25),
                    width: w,
                    height: h,
                    format,
                    data: vec![0; (w * h) as usize * format.bytes_per_pixel()],
                })
            })))
        }

        fn open_audio(
            &self,
            request: &AudioRequest,
            _range: TimeRange,
        ) -> Result<AudioIter, MediaError> {
            let chunk = AudioChunk {
                start_sample: 0,
                sample_rate: request.sample_rate,
                channels: request.channels,
                samples: vec![0.0; 160],
            };
            Ok(Box::new(
                [
                    Ok(chunk.clone()),
                    Err(MediaError::Decode {
                        at: "00:00:00:01".into(),
                        reason: "damaged audio".into(),
                    }),
                    Ok(chunk),
                ]
                .into_iter(),
            ))
        }
    }

    fn context(frame_width: u32, cancel: CancelToken) -> Context {
        let reads = Reads {
            video: Some(VideoRequest {
                width: 8,
                height: 2,
                format: PixelFormat::Gray8,
            }),
            audio: Some(AudioRequest {
                sample_rate: 16000,
                channels: 1,
            }),
            ..Reads::default()
        };
        Context::new(
            Arc::new(Skewed { frame_width }),
            reads,
            cancel,
            Box::new(NullReporter),
        )
    }

    #[test]
    fn frames_of_the_requested_size_pass_through() {
        let frames: Vec<_> = context(8, CancelToken::new()).video_frames().collect();
        assert_eq!(frames.len(), 10);
        assert!(frames
            .iter()
            .all(|f| f.as_ref().is_ok_and(|f| f.width == 8)));
    }

    #[test]
    fn a_frame_of_the_wrong_size_is_an_error_and_ends_the_stream() {
        let frames: Vec<_> = context(6, CancelToken::new()).video_frames().collect();
        assert_eq!(frames.len(), 1, "the stream ends after the error");
        let msg = frames[0].as_ref().unwrap_err().to_string();
        assert!(msg.contains("6x2") && msg.contains("8x2"), "{msg}");
    }

    #[test]
    fn a_source_error_ends_the_audio_stream() {
        let chunks: Vec<_> = context(8, CancelToken::new()).audio_samples().collect();
        assert_eq!(chunks.len(), 2, "one chunk, then the error, then nothing");
        assert!(chunks[0].is_ok());
        assert!(chunks[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("damaged audio"));
    }

    #[test]
    fn cancelling_ends_both_streams_with_cancelled() {
        let cancel = CancelToken::new();
        let ctx = context(8, cancel.clone());
        let mut video = ctx.video_frames();
        let mut audio = ctx.audio_samples();
        assert!(video.next().is_some_and(|f| f.is_ok()));
        cancel.cancel();
        assert!(matches!(video.next(), Some(Err(PluginError::Cancelled))));
        assert!(video.next().is_none());
        assert!(matches!(audio.next(), Some(Err(PluginError::Cancelled))));
        assert!(audio.next().is_none());
    }

    #[test]
    fn the_reference_clip_s_media_errors_name_it() {
        let mut reads = context(8, CancelToken::new()).reads;
        reads.reference_clip = true;
        let ctx = Context::new(
            Arc::new(Skewed { frame_width: 8 }),
            reads.clone(),
            CancelToken::new(),
            Box::new(NullReporter),
        )
        .with_reference(Arc::new(Silent));
        let mut frames = ctx.reference_video_frames();
        let err = frames.next().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "reference silent.wav: the media has no video stream"
        );
        assert!(frames.next().is_none());
        // A range of the reference outside it is refused, naming the reference.
        let ctx = Context::new(
            Arc::new(Silent),
            reads.clone(),
            CancelToken::new(),
            Box::new(NullReporter),
        )
        .with_reference(Arc::new(Skewed { frame_width: 8 }));
        let late = TimeRange::from_frames(20, 5, Rate::FPS_25);
        let err = ctx
            .reference_video_frames_over(late)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(
            err.to_string().starts_with("reference skewed: ")
                && err.to_string().contains("outside the reference"),
            "{err}"
        );
        let part = TimeRange::from_frames(6, 10, Rate::FPS_25);
        let frames: Vec<_> = ctx.reference_video_frames_over(part).collect();
        assert!(!frames.is_empty() && frames.iter().all(|f| f.is_ok()));
        // The clip's own streams keep the plain media error.
        let ctx = Context::new(
            Arc::new(Silent),
            reads,
            CancelToken::new(),
            Box::new(NullReporter),
        );
        let err = ctx.video_frames().next().unwrap().unwrap_err();
        assert_eq!(err, PluginError::Media(MediaError::NoStream("video")));
    }

    #[test]
    fn undeclared_media_is_an_error_first() {
        let ctx = Context::new(
            Arc::new(Skewed { frame_width: 8 }),
            Reads::default(),
            CancelToken::new(),
            Box::new(NullReporter),
        );
        let mut video = ctx.video_frames();
        assert!(matches!(
            video.next(),
            Some(Err(PluginError::Undeclared { what: "video" }))
        ));
        assert!(video.next().is_none());
        let mut audio = ctx.audio_samples();
        assert!(matches!(
            audio.next(),
            Some(Err(PluginError::Undeclared { what: "audio" }))
        ));
    }
}
