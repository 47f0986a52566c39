//! The Cutroom plugin SDK.
//!
//! A plugin is a type implementing [`Plugin`]. The host asks for its [`Manifest`] (identity,
//! what media it reads, and its parameters as [`ParamSpec`]s), validates user input into
//! [`Params`], and calls [`Plugin::run`] on a worker thread with a [`Context`]. The plugin
//! pulls analysis frames and audio from the context, reports progress, checks for
//! cancellation, and returns a [`Proposal`]: edits the editor reviews and may accept.
//!
//! Plugins never see FFmpeg types. Media arrives through the object-safe [`MediaSource`]
//! trait as plain buffers with rational time stamps; the host backs it with a decoder and
//! tests back it with [`testing::SyntheticSource`].
//!
//! ```
//! use cutroom_plugin::prelude::*;
//!
//! struct Nothing;
//!
//! impl Plugin for Nothing {
//!     fn manifest(&self) -> Manifest {
//!         Manifest::new("nothing", "Nothing", "0.1.0", "Proposes nothing.")
//!     }
//!     fn run(&self, _ctx: &mut Context, _params: &Params) -> Result<Proposal, PluginError> {
//!         Ok(Proposal::new("nothing"))
//!     }
//! }
//! ```

pub mod context;
pub mod error;
pub mod levels;
pub mod manifest;
pub mod params;
pub mod proposal;
pub mod testing;

pub use context::{
    AudioChunk, AudioStream, CancelToken, Context, Frame, FrameStream, LogLevel, MediaError,
    MediaMeta, MediaSource, NullReporter, Reporter,
};
pub use error::PluginError;
pub use levels::PeakMeter;
pub use manifest::{
    AudioRequest, Manifest, ManifestError, ParamKind, ParamSpec, PixelFormat, Reads, VideoRequest,
    SDK_API_VERSION,
};
pub use params::{ParamError, ParamValue, Params};
pub use proposal::{Proposal, ProposalError, ProposalItem, ProposalKind};

/// Re-export of the timeline model crate, so plugins use the same types as the host.
pub use cutroom_timeline as timeline;

/// Everything a plugin usually needs, in one import.
pub mod prelude {
    pub use crate::context::{AudioChunk, Context, Frame, LogLevel, MediaMeta};
    pub use crate::error::PluginError;
    pub use crate::manifest::{
        AudioRequest, Manifest, ParamKind, ParamSpec, PixelFormat, Reads, VideoRequest,
    };
    pub use crate::params::{ParamValue, Params};
    pub use crate::proposal::{Proposal, ProposalItem, ProposalKind};
    pub use crate::Plugin;
    pub use cutroom_timeline::{
        ColorTransform, Marker, MarkerColor, Rate, RationalTime, SubtitleCue, TimeRange,
        TransitionKind,
    };
}

/// A Cutroom plugin: describes itself and turns media into a [`Proposal`].
///
/// Implementations must be `Send + Sync`: the host keeps one instance and may run it on
/// several worker threads at once, so per-run state belongs in local variables of
/// [`Plugin::run`], not in `self`.
pub trait Plugin: Send + Sync {
    /// Identity, media needs and parameter descriptors. Must return the same value on every
    /// call.
    fn manifest(&self) -> Manifest;

    /// Analyses the media behind `ctx` with validated `params` and proposes edits.
    ///
    /// Long loops should go through [`Context::video_frames`] / [`Context::audio_samples`]
    /// (which stop with [`PluginError::Cancelled`] once the job is cancelled) or check
    /// [`Context::is_cancelled`] themselves.
    fn run(&self, ctx: &mut Context, params: &Params) -> Result<Proposal, PluginError>;
}
