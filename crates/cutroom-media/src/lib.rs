//! Cutroom's media layer on FFmpeg (through `ffmpeg-next`, linked against the system libav*).
//!
//! - [`probe`] describes a file: container, duration, streams (exact frame rates, VFR flag,
//!   rotation, timecode).
//! - [`VideoReader`] streams frames in presentation order, scaled to the size and pixel
//!   format asked for, each with an exact frame index and time; it seeks frame-accurately.
//! - [`AudioReader`] streams interleaved `f32` samples at the rate and channel count asked
//!   for, each chunk with its exact sample position; it seeks sample-accurately.
//! - [`FrameCache`] keeps recently used frames within a byte budget.
//! - [`Renderer`] / [`render_timeline`] encode a timeline (cuts, dissolves, LUTs, subtitles)
//!   to a file.
//!
//! No FFmpeg type appears in the public API: frames are plain buffers with a time stamp.
//! Every error is a [`MediaError`] naming the file and the cause; bad input never panics.

pub mod audio;
pub mod cache;
mod error;
mod ffio;
pub mod probe;
pub mod render;
pub mod video;

pub use audio::{AudioChunk, AudioOutput, AudioReader};
pub use cache::{FrameCache, FrameKey};
pub use cutroom_color::Interpolation as LutInterpolation;
pub use error::MediaError;
pub use probe::{
    probe, AudioStreamInfo, MediaInfo, StreamInfo, StreamKind, SubtitleStreamInfo, VideoStreamInfo,
};
pub use render::{
    render_timeline, resolve_media, RenderOptions, RenderSummary, Renderer, SoundMixer,
    SubtitleMode,
};
pub use video::{PixelFormat, VideoFrame, VideoOutput, VideoReader};
