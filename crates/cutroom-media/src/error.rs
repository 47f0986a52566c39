//! The error type of the media layer: every variant names the file and the cause.

use std::path::{Path, PathBuf};

/// Errors from probing, reading and caching media.
///
/// Every variant carries the path of the file it is about, so a message can be shown to a
/// user as is: `clip.mp4: cannot open media: Invalid data found when processing input`.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The path does not exist.
    #[error("{}: file not found", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The path exists but is not a regular file (a directory, a socket…).
    #[error("{}: not a regular file ({kind})", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file exists but is empty.
    #[error("{}: file is empty (0 bytes)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read at the operating-system level (permissions, I/O error).
    #[error("{}: cannot read file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// FFmpeg could not open the file as media (unknown format, truncated header, not media).
    #[error("{}: cannot open as media: {reason}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// FFmpeg's reason.
        reason: String,
    },
    /// The file has no stream of the requested kind.
    #[error("{}: no {kind} stream", path.display())]
    NoStream {
        /// The file.
        path: PathBuf,
        /// `"video"` or `"audio"`.
        kind: &'static str,
    },
    /// The stream's codec cannot be decoded by this FFmpeg build.
    #[error("{}: cannot decode {kind} stream: {reason}", path.display())]
    Codec {
        /// The file.
        path: PathBuf,
        /// `"video"` or `"audio"`.
        kind: &'static str,
        /// Why.
        reason: String,
    },
    /// Reading packets failed part-way through the file (I/O error, corrupt container).
    #[error("{}: read error: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Decoding failed part-way through the stream (corrupt data).
    #[error("{}: decode error: {reason}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The stream ended before the length its container declares (truncated file).
    #[error("{}: stream ended early: {reason}", path.display())]
    EndedEarly {
        /// The file.
        path: PathBuf,
        /// Where it ended and where it should have.
        reason: String,
    },
    /// Seeking failed or the requested position is out of range.
    #[error("{}: cannot seek: {reason}", path.display())]
    Seek {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Scaling, pixel-format or sample conversion failed, or the requested output is invalid.
    #[error("{}: conversion error: {reason}", path.display())]
    Convert {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The media declares something this crate cannot represent (absurd rate, size…).
    #[error("{}: unsupported media: {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Encoding or writing the rendered output failed.
    #[error("{}: cannot encode output: {reason}", path.display())]
    Encode {
        /// The output file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The output cannot be written where asked (missing directory, a source file's path…).
    #[error("{}: cannot write output: {reason}", path.display())]
    Output {
        /// The output file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The timeline or the render options cannot be rendered (a clip without media, an
    /// unknown codec, an odd frame size…).
    #[error("{}: cannot render: {reason}", path.display())]
    Render {
        /// The output file (or the media file the problem is about).
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The render was cancelled; its partial output has been removed.
    #[error("{}: render cancelled (partial output removed)", path.display())]
    Cancelled {
        /// The output file that was not written.
        path: PathBuf,
    },
}

impl MediaError {
    /// The file this error is about.
    pub fn path(&self) -> &Path {
        match self {
            MediaError::NotFound { path }
            | MediaError::NotAFile { path, .. }
            | MediaError::Empty { path }
            | MediaError::Io { path, .. }
            | MediaError::Open { path, .. }
            | MediaError::NoStream { path, .. }
            | MediaError::Codec { path, .. }
            | MediaError::Read { path, .. }
            | MediaError::Decode { path, .. }
            | MediaError::EndedEarly { path, .. }
            | MediaError::Seek { path, .. }
            | MediaError::Convert { path, .. }
            | MediaError::Unsupported { path, .. }
            | MediaError::Encode { path, .. }
            | MediaError::Output { path, .. }
            | MediaError::Render { path, .. }
            | MediaError::Cancelled { path } => path,
        }
    }
}
