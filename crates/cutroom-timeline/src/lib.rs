//! Cutroom's editorial core: rational time, the project/timeline model, the project file and
//! the interchange formats.
//!
//! This crate has no FFmpeg and no GUI. The model ([`model`]) knows nothing of file formats;
//! each format is an adapter module under [`formats`] with a `parse` and a `write` function
//! working on text, and file-level helpers in [`formats`] pick the adapter by extension.

pub mod error;
pub mod formats;
pub mod io;
pub mod model;
pub mod project_file;
pub mod time;
pub mod validate;

pub use error::{FormatError, ParseError};
pub use model::{
    Clip, ColorTransform, Gap, Item, Marker, MarkerColor, MediaReference, Project, ProjectSettings,
    SubtitleCue, Timeline, Track, TrackKind, Transition, TransitionKind, WordTiming,
};
pub use time::{Rate, RationalTime, TimeError, TimeRange, Timecode};
