//! One module per subcommand, plus what they share: loading any supported file by extension.

pub mod convert;
pub mod info;
pub mod probe;
pub mod render;
pub mod run;
pub mod subtitles;

use std::path::Path;

use anyhow::{bail, Result};
use cutroom_timeline::formats::{self, ReadOptions, SubtitleFormat, TimelineFormat};
use cutroom_timeline::{project_file, ColorTransform, Project, SubtitleCue, Timeline};

/// Writes `text` to stdout. A closed pipe (`cutroom info x | head -1`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Formats an error chain on one line ("reading x.srt: x.srt:3: bad timestamp").
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}

/// Anything Cutroom can open from the command line.
pub enum Document {
    /// A `.cutroom` project.
    Project(Project),
    /// A timeline from an interchange file.
    Timeline(Timeline),
    /// Subtitle cues.
    Subtitles(Vec<SubtitleCue>),
    /// A 3D LUT.
    Lut(ColorTransform),
}

/// True when `path` names a Cutroom project file.
pub fn is_project(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(project_file::EXTENSION))
}

/// Loads a file, choosing the reader from its extension.
pub fn load(path: &Path, opts: &ReadOptions) -> Result<Document> {
    if is_project(path) {
        return Ok(Document::Project(project_file::load(path)?));
    }
    if TimelineFormat::from_path(path).is_some() {
        return Ok(Document::Timeline(formats::read_timeline(path, opts)?));
    }
    if SubtitleFormat::from_path(path).is_some() {
        return Ok(Document::Subtitles(formats::read_subtitles(path)?));
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cube"))
    {
        return Ok(Document::Lut(formats::read_lut(path)?));
    }
    bail!(
        "{}: unknown file type (expected .cutroom, {}, {} or .cube)",
        path.display(),
        TimelineFormat::EXTENSIONS,
        SubtitleFormat::EXTENSIONS
    )
}
