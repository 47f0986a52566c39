//! otio adapter (in progress).
use crate::error::{FormatError, ParseError};
use crate::model::Timeline;

/// Parses otio text.
pub fn parse(_text: &str) -> Result<Timeline, ParseError> {
    Err(ParseError::whole("otio reading is not implemented yet"))
}

/// Writes otio text.
pub fn write(_timeline: &Timeline) -> Result<String, FormatError> {
    Err(FormatError::Unrepresentable { format: "otio", reason: "not implemented yet".into() })
}
