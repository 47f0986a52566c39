//! edl adapter (in progress).
use crate::error::{FormatError, ParseError};
use crate::model::Timeline;
use crate::time::Rate;

/// Parses CMX3600 text at `rate`.
pub fn parse(_text: &str, _rate: Rate) -> Result<Timeline, ParseError> {
    Err(ParseError::whole("edl reading is not implemented yet"))
}

/// Writes CMX3600 text.
pub fn write(_timeline: &Timeline, _drop_frame: bool) -> Result<String, FormatError> {
    Err(FormatError::Unrepresentable { format: "edl", reason: "not implemented yet".into() })
}
