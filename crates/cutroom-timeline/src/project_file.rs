//! The `.cutroom` project file: versioned JSON, saved atomically.
//!
//! ```json
//! { "format": "cutroom-project", "schema_version": 1, "project": { ... } }
//! ```
//!
//! Files with a newer `schema_version` than this build understands are refused with a clear
//! message rather than half-read; older versions are upgraded in [`upgrade`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{FormatError, ParseError};
use crate::io::{read_text, write_atomic, MAX_TEXT_FILE_BYTES};
use crate::model::Project;

/// The value of the `format` field that marks a Cutroom project.
pub const FORMAT_TAG: &str = "cutroom-project";

/// The schema version this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Extension of project files.
pub const EXTENSION: &str = "cutroom";

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: &'static str,
    schema_version: u32,
    project: &'a Project,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    format: String,
    schema_version: u32,
    project: serde_json::Value,
}

/// Serializes `project` to the project-file JSON text.
pub fn to_string(project: &Project) -> String {
    serde_json::to_string_pretty(&EnvelopeOut {
        format: FORMAT_TAG,
        schema_version: SCHEMA_VERSION,
        project,
    })
    .expect("a project always serializes")
}

fn json_error(e: serde_json::Error) -> ParseError {
    ParseError::at(e.line(), e.column(), e.to_string())
}

/// Parses project-file JSON text, upgrading older schema versions.
pub fn from_str(text: &str) -> Result<Project, ParseError> {
    let env: EnvelopeIn = serde_json::from_str(text).map_err(json_error)?;
    if env.format != FORMAT_TAG {
        return Err(ParseError::whole(format!(
            "not a Cutroom project (format is {:?}, expected {FORMAT_TAG:?})",
            env.format
        )));
    }
    if env.schema_version > SCHEMA_VERSION {
        return Err(ParseError::whole(format!(
            "project schema version {} is newer than this Cutroom understands (up to {}); \
             open it with a newer Cutroom",
            env.schema_version, SCHEMA_VERSION
        )));
    }
    if env.schema_version == 0 {
        return Err(ParseError::whole("project schema version 0 does not exist"));
    }
    let value = upgrade(env.schema_version, env.project)?;
    let project: Project = serde_json::from_value(value)
        .map_err(|e| ParseError::whole(format!("invalid project: {e}")))?;
    crate::validate::project(&project).map_err(ParseError::whole)?;
    Ok(project)
}

/// Brings a project value written with `version` up to [`SCHEMA_VERSION`].
///
/// Each future schema change adds one step here (`1 => 2`, `2 => 3`, …) so old files keep
/// opening.
pub fn upgrade(version: u32, value: serde_json::Value) -> Result<serde_json::Value, ParseError> {
    match version {
        SCHEMA_VERSION => Ok(value),
        v => Err(ParseError::whole(format!(
            "no upgrade path from schema version {v}"
        ))),
    }
}

/// Reads a project file.
pub fn load(path: &Path) -> Result<Project, FormatError> {
    let text = read_text(path, MAX_TEXT_FILE_BYTES)?;
    from_str(&text).map_err(|e| e.in_file(path).into())
}

/// Saves a project file atomically (temporary file, fsync, rename).
pub fn save(project: &Project, path: &Path) -> Result<(), FormatError> {
    write_atomic(path, to_string(project).as_bytes())
}
