//! webvtt adapter (in progress).
use crate::error::ParseError;
use crate::model::SubtitleCue;

/// Parses webvtt text.
pub fn parse(_text: &str) -> Result<Vec<SubtitleCue>, ParseError> {
    Err(ParseError::whole("webvtt reading is not implemented yet"))
}

/// Writes webvtt text.
pub fn write(_cues: &[SubtitleCue]) -> String {
    String::new()
}
