//! The export panel: the timeline as OTIO, FCPXML or CMX3600 EDL; subtitles as SRT or
//! WebVTT; a LUT as `.cube`; the project itself; and the timeline rendered to MP4 through
//! the media crate's renderer, as a job with progress and cancel.

use std::path::Path;

use cutroom_timeline::formats::{self, WriteOptions};
use cutroom_timeline::{ColorTransform, Item, Project, SubtitleCue, Timeline, TrackKind};
use eframe::egui;

use crate::app::Action;

/// Something the editor can export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// OpenTimelineIO.
    Otio,
    /// Final Cut Pro XML.
    Fcpxml,
    /// CMX3600 EDL.
    Edl,
    /// SubRip subtitles.
    Srt,
    /// WebVTT subtitles.
    WebVtt,
    /// A `.cube` LUT.
    Cube,
    /// The project (`.cutroom`).
    Project,
    /// The timeline rendered to an MP4 file (runs as a job).
    Mp4,
}

impl ExportKind {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportKind::Otio => "otio",
            ExportKind::Fcpxml => "fcpxml",
            ExportKind::Edl => "edl",
            ExportKind::Srt => "srt",
            ExportKind::WebVtt => "vtt",
            ExportKind::Cube => "cube",
            ExportKind::Project => "cutroom",
            ExportKind::Mp4 => "mp4",
        }
    }

    /// Button text.
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::Otio => "Timeline as OTIO…",
            ExportKind::Fcpxml => "Timeline as FCPXML…",
            ExportKind::Edl => "Timeline as EDL…",
            ExportKind::Srt => "Subtitles as SRT…",
            ExportKind::WebVtt => "Subtitles as WebVTT…",
            ExportKind::Cube => "LUT as .cube…",
            ExportKind::Project => "Save project…",
            ExportKind::Mp4 => "Render MP4…",
        }
    }
}

/// The cues of the first subtitle track.
pub fn subtitle_cues(tl: &Timeline) -> Vec<SubtitleCue> {
    tl.tracks_of(TrackKind::Subtitle)
        .next()
        .map(|t| t.cues.clone())
        .unwrap_or_default()
}

/// The first colour transform on a clip of the timeline.
pub fn first_lut(tl: &Timeline) -> Option<&ColorTransform> {
    tl.tracks
        .iter()
        .flat_map(|t| &t.items)
        .find_map(|i| match i {
            Item::Clip(c) => c.color.as_ref(),
            _ => None,
        })
}

/// `project` with each relative media path that names a file in `base` (the directory it
/// was opened from) made absolute, for writing it to another directory. Other URLs, and
/// paths naming no file there, are kept as they are.
pub fn with_absolute_media(project: &Project, base: &Path) -> Project {
    let mut project = project.clone();
    let rebase = |media: &mut cutroom_timeline::MediaReference| {
        let Some(url) = media.target_url.as_deref() else {
            return;
        };
        let path = Path::new(url);
        if url.contains("://") || !path.is_relative() {
            return;
        }
        let full = base.join(path);
        if full.is_file() {
            media.target_url = Some(full.display().to_string());
        }
    };
    project.media.iter_mut().for_each(rebase);
    for item in project
        .timelines
        .iter_mut()
        .flat_map(|t| &mut t.tracks)
        .flat_map(|t| &mut t.items)
    {
        if let Item::Clip(c) = item {
            rebase(&mut c.media);
        }
    }
    project
}

/// Writes `kind` of `project` (its first timeline) to `path`.
pub fn export(project: &Project, kind: ExportKind, path: &Path) -> Result<(), String> {
    let tl = project
        .timelines
        .first()
        .ok_or("the project has no timeline")?;
    let fail = |e: cutroom_timeline::FormatError| e.to_string();
    match kind {
        ExportKind::Otio | ExportKind::Fcpxml | ExportKind::Edl => {
            let opts = WriteOptions {
                drop_frame: project.settings.drop_frame && tl.rate.supports_drop_frame(),
            };
            formats::write_timeline(tl, path, &opts).map_err(fail)
        }
        ExportKind::Srt | ExportKind::WebVtt => {
            let cues = subtitle_cues(tl);
            if cues.is_empty() {
                return Err("the timeline has no subtitle cues".into());
            }
            formats::write_subtitles(&cues, path).map_err(fail)
        }
        ExportKind::Cube => {
            let lut = first_lut(tl).ok_or("no clip has a colour transform")?;
            formats::write_lut(lut, path).map_err(fail)
        }
        ExportKind::Project => cutroom_timeline::project_file::save(project, path).map_err(fail),
        ExportKind::Mp4 => Err("rendering runs as a job: use CutroomApp::start_render".into()),
    }
}

/// The export panel.
#[derive(Default)]
pub struct ExportPanel;

impl ExportPanel {
    /// Shows the export buttons; those with nothing to export are disabled. `has_lut`: a
    /// colour transform is there to export (see `CutroomApp::lut_to_export`).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: Option<&Project>,
        has_lut: bool,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("Export");
        let tl = project.and_then(|p| p.timelines.first());
        let has_tl = tl.is_some();
        let has_cues = tl.is_some_and(|t| !subtitle_cues(t).is_empty());
        ui.horizontal_wrapped(|ui| {
            for (kind, enabled, why) in [
                (ExportKind::Otio, has_tl, "Open something first"),
                (ExportKind::Fcpxml, has_tl, "Open something first"),
                (ExportKind::Edl, has_tl, "Open something first"),
                (ExportKind::Srt, has_cues, "Accept subtitle cues first"),
                (ExportKind::WebVtt, has_cues, "Accept subtitle cues first"),
                (ExportKind::Cube, has_lut, "Run a colour match first"),
                (ExportKind::Project, has_tl, "Open something first"),
                (ExportKind::Mp4, has_tl, "Open something first"),
            ] {
                if ui
                    .add_enabled(enabled, egui::Button::new(kind.label()))
                    .on_disabled_hover_text(why)
                    .clicked()
                {
                    actions.push(Action::ExportDialog(kind));
                }
            }
        });
    }
}
