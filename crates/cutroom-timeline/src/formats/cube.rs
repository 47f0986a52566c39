//! cube adapter (in progress).
use crate::error::{FormatError, ParseError};
use crate::model::ColorTransform;

/// Parses .cube text.
pub fn parse(_text: &str) -> Result<ColorTransform, ParseError> {
    Err(ParseError::whole("cube reading is not implemented yet"))
}

/// Writes .cube text.
pub fn write(_lut: &ColorTransform) -> Result<String, FormatError> {
    Err(FormatError::Unrepresentable { format: "cube", reason: "not implemented yet".into() })
}
