//! fcpxml adapter (in progress).
use crate::error::{FormatError, ParseError};
use crate::model::Timeline;

/// Parses fcpxml text.
pub fn parse(_text: &str) -> Result<Timeline, ParseError> {
    Err(ParseError::whole("fcpxml reading is not implemented yet"))
}

/// Writes fcpxml text.
pub fn write(_timeline: &Timeline) -> Result<String, FormatError> {
    Err(FormatError::Unrepresentable { format: "fcpxml", reason: "not implemented yet".into() })
}
