//! Typed errors for parsing and file I/O.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where and why a text could not be parsed.
///
/// `line` and `column` are 1-based; 0 means "not applicable" (e.g. a whole-file problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file, when parsing one (set by the file-level readers).
    pub file: Option<PathBuf>,
    /// 1-based line of the problem, 0 if unknown.
    pub line: usize,
    /// 1-based column (in characters) of the problem, 0 if unknown.
    pub column: usize,
    /// What is wrong, in words a user can act on.
    pub reason: String,
}

impl ParseError {
    /// An error at `line` (1-based) with `reason`.
    pub fn at_line(line: usize, reason: impl Into<String>) -> ParseError {
        ParseError {
            file: None,
            line,
            column: 0,
            reason: reason.into(),
        }
    }

    /// An error at `line`:`column` with `reason`.
    pub fn at(line: usize, column: usize, reason: impl Into<String>) -> ParseError {
        ParseError {
            file: None,
            line,
            column,
            reason: reason.into(),
        }
    }

    /// An error about the input as a whole.
    pub fn whole(reason: impl Into<String>) -> ParseError {
        ParseError::at(0, 0, reason)
    }

    /// The same error attributed to `path`.
    pub fn in_file(mut self, path: &Path) -> ParseError {
        self.file = Some(path.to_path_buf());
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self
            .file
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "<input>".to_string());
        match (self.line, self.column) {
            (0, _) => write!(f, "{file}: {}", self.reason),
            (l, 0) => write!(f, "{file}:{l}: {}", self.reason),
            (l, c) => write!(f, "{file}:{l}:{c}: {}", self.reason),
        }
    }
}

impl std::error::Error for ParseError {}

/// Errors reading or writing project and interchange files.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The content is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The file is larger than any legitimate file of its kind.
    #[error("{}: file is {size} bytes, more than the {limit}-byte limit for this format", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file extension names no format Cutroom reads or writes for this purpose.
    #[error("{}: unknown or unsupported file type (expected one of: {expected})", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The extensions that would have worked.
        expected: String,
    },
    /// The model holds something the target format cannot express.
    #[error("cannot write {format}: {reason}")]
    Unrepresentable {
        /// Target format name.
        format: &'static str,
        /// What cannot be written and why.
        reason: String,
    },
}

impl FormatError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> FormatError {
        FormatError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
