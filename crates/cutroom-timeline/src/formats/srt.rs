//! srt adapter (in progress).
use crate::error::ParseError;
use crate::model::SubtitleCue;

/// Parses srt text.
pub fn parse(_text: &str) -> Result<Vec<SubtitleCue>, ParseError> {
    Err(ParseError::whole("srt reading is not implemented yet"))
}

/// Writes srt text.
pub fn write(_cues: &[SubtitleCue]) -> String {
    String::new()
}
