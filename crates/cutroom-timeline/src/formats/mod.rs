//! Interchange formats, one adapter module per format.
//!
//! Every adapter works on text: `parse(&str) -> Result<_, ParseError>` and
//! `write(&_) -> Result<String, FormatError>` (or `String` where nothing can fail). The
//! functions in this module add the file layer: they pick the adapter from the file
//! extension, read with a size bound, attribute parse errors to the file, and write
//! atomically.
//!
//! To add a format: create `formats/<name>.rs` with `parse` and `write`, add a variant to
//! [`TimelineFormat`] (or [`SubtitleFormat`]) with its extensions, dispatch to it in the
//! `read_*`/`write_*` functions below, and add round-trip and bad-input tests.

use std::path::Path;

use crate::error::FormatError;
use crate::io::{read_text, write_atomic, MAX_TEXT_FILE_BYTES};
use crate::model::{ColorTransform, SubtitleCue, Timeline};
use crate::time::Rate;

pub mod cube;
pub mod edl;
pub mod fcpxml;
pub mod otio;
pub mod srt;
mod subtitle_text;
pub mod webvtt;

/// Most cues any subtitle reader accepts (about 11 days of 1-second cues).
pub const MAX_CUES: usize = 1_000_000;

/// Most items (clips, gaps, transitions, events) any timeline reader accepts.
pub const MAX_TIMELINE_ITEMS: usize = 1_000_000;

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Timeline interchange formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFormat {
    /// OpenTimelineIO JSON (`.otio`).
    Otio,
    /// CMX3600 edit decision list (`.edl`).
    Edl,
    /// Final Cut Pro XML 1.9+ (`.fcpxml`).
    Fcpxml,
}

impl TimelineFormat {
    /// The format a file name's extension names, if any.
    pub fn from_path(path: &Path) -> Option<TimelineFormat> {
        match extension(path).as_str() {
            "otio" => Some(TimelineFormat::Otio),
            "edl" => Some(TimelineFormat::Edl),
            "fcpxml" => Some(TimelineFormat::Fcpxml),
            _ => None,
        }
    }

    /// Extensions accepted, for error messages.
    pub const EXTENSIONS: &'static str = ".otio, .edl, .fcpxml";
}

/// Subtitle formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    /// SubRip (`.srt`).
    Srt,
    /// WebVTT (`.vtt`).
    WebVtt,
}

impl SubtitleFormat {
    /// The format a file name's extension names, if any.
    pub fn from_path(path: &Path) -> Option<SubtitleFormat> {
        match extension(path).as_str() {
            "srt" => Some(SubtitleFormat::Srt),
            "vtt" | "webvtt" => Some(SubtitleFormat::WebVtt),
            _ => None,
        }
    }

    /// Extensions accepted, for error messages.
    pub const EXTENSIONS: &'static str = ".srt, .vtt";
}

/// Options for reading timelines from formats that do not carry everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Frame rate of an EDL (CMX3600 does not record it).
    pub edl_rate: Rate,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            edl_rate: Rate::FPS_24,
        }
    }
}

/// Options for writing timelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Write drop-frame timecode in EDLs (29.97/59.94 timelines only).
    pub drop_frame: bool,
}

/// Reads a timeline from an `.otio`, `.edl` or `.fcpxml` file.
pub fn read_timeline(path: &Path, opts: &ReadOptions) -> Result<Timeline, FormatError> {
    let format = TimelineFormat::from_path(path).ok_or_else(|| FormatError::UnknownFormat {
        path: path.to_path_buf(),
        expected: TimelineFormat::EXTENSIONS.to_string(),
    })?;
    let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
    let parsed = match format {
        TimelineFormat::Otio => otio::parse(&text),
        TimelineFormat::Edl => edl::parse(&text, opts.edl_rate),
        TimelineFormat::Fcpxml => fcpxml::parse(&text),
    };
    parsed.map_err(|e| e.in_file(path).into())
}

/// Serializes a timeline in `format`.
pub fn timeline_to_string(
    timeline: &Timeline,
    format: TimelineFormat,
    opts: &WriteOptions,
) -> Result<String, FormatError> {
    match format {
        TimelineFormat::Otio => otio::write(timeline),
        TimelineFormat::Edl => edl::write(timeline, opts.drop_frame),
        TimelineFormat::Fcpxml => fcpxml::write(timeline),
    }
}

/// Writes a timeline to a file whose extension picks the format; the write is atomic.
pub fn write_timeline(
    timeline: &Timeline,
    path: &Path,
    opts: &WriteOptions,
) -> Result<(), FormatError> {
    let format = TimelineFormat::from_path(path).ok_or_else(|| FormatError::UnknownFormat {
        path: path.to_path_buf(),
        expected: TimelineFormat::EXTENSIONS.to_string(),
    })?;
    let text = timeline_to_string(timeline, format, opts)?;
    write_atomic(path, text.as_bytes())
}

/// Reads subtitle cues from an `.srt` or `.vtt` file.
pub fn read_subtitles(path: &Path) -> Result<Vec<SubtitleCue>, FormatError> {
    let format = SubtitleFormat::from_path(path).ok_or_else(|| FormatError::UnknownFormat {
        path: path.to_path_buf(),
        expected: SubtitleFormat::EXTENSIONS.to_string(),
    })?;
    let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
    let parsed = match format {
        SubtitleFormat::Srt => srt::parse(&text),
        SubtitleFormat::WebVtt => webvtt::parse(&text),
    };
    parsed.map_err(|e| e.in_file(path).into())
}

/// Serializes cues in `format`.
pub fn subtitles_to_string(cues: &[SubtitleCue], format: SubtitleFormat) -> String {
    match format {
        SubtitleFormat::Srt => srt::write(cues),
        SubtitleFormat::WebVtt => webvtt::write(cues),
    }
}

/// Writes cues to a file whose extension picks the format; the write is atomic.
pub fn write_subtitles(cues: &[SubtitleCue], path: &Path) -> Result<(), FormatError> {
    let format = SubtitleFormat::from_path(path).ok_or_else(|| FormatError::UnknownFormat {
        path: path.to_path_buf(),
        expected: SubtitleFormat::EXTENSIONS.to_string(),
    })?;
    write_atomic(path, subtitles_to_string(cues, format).as_bytes())
}

/// Reads a `.cube` 3D LUT.
pub fn read_lut(path: &Path) -> Result<ColorTransform, FormatError> {
    if extension(path) != "cube" {
        return Err(FormatError::UnknownFormat {
            path: path.to_path_buf(),
            expected: ".cube".to_string(),
        });
    }
    let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
    cube::parse(&text).map_err(|e| e.in_file(path).into())
}

/// Writes a `.cube` 3D LUT atomically.
pub fn write_lut(lut: &ColorTransform, path: &Path) -> Result<(), FormatError> {
    write_atomic(path, cube::write(lut)?.as_bytes())
}
