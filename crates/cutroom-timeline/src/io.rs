//! File helpers shared by the project file and the format adapters: bounded reads and
//! atomic writes.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{FormatError, ParseError};

/// Largest text file any reader accepts (256 MiB): far above real timelines, LUTs or
/// subtitle files, and low enough that hostile input cannot exhaust memory.
pub const MAX_TEXT_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a UTF-8 text file of at most `limit` bytes. A leading byte-order mark is removed.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FormatError> {
    let file = File::open(path).map_err(|e| FormatError::io(path, e))?;
    let meta = file.metadata().map_err(|e| FormatError::io(path, e))?;
    if meta.is_dir() {
        return Err(FormatError::io(
            path,
            std::io::Error::other("is a directory, not a file"),
        ));
    }
    if meta.len() > limit {
        return Err(FormatError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Bound the read too: the file may grow while we read it.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FormatError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(FormatError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..valid];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            return Err(ParseError::at(line, column, "file is not valid UTF-8 text")
                .in_file(path)
                .into());
        }
    };
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk and renamed over the target, so readers see the old or the new content,
/// never a torn file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FormatError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| FormatError::io(path, std::io::Error::other("path has no file name")))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(FormatError::io(path, e));
    }
    Ok(())
}
