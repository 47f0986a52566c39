//! Exporting a proposal on its own, as headless runs do: a cut list as a timeline
//! (OTIO/EDL/FCPXML), cues as SRT/WebVTT, a color transform as `.cube`, or the proposal JSON.
//!
//! A timeline export starts from a timeline holding the analysed media as one clip (on a video
//! track and, if the media has sound, an audio track), applies every proposal item to it with
//! the same code the editor's Accept uses ([`crate::apply`]), and writes it.

use std::path::Path;

use cutroom_plugin::{MediaMeta, Proposal, ProposalKind};
use cutroom_timeline::formats::{self, SubtitleFormat, TimelineFormat, WriteOptions};
use cutroom_timeline::io::write_atomic;
use cutroom_timeline::{
    Clip, FormatError, Item, MediaReference, Rate, SubtitleCue, Timeline, Track, TrackKind,
};

use crate::apply::{apply_to_timeline, ApplyError, Target};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing the file failed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The proposal could not be applied to the clip's timeline.
    #[error("{}: {source}", path.display())]
    Apply {
        /// The export target.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: ApplyError,
    },
    /// The proposal has nothing the requested format can hold.
    #[error("{}: {reason}", path.display())]
    Nothing {
        /// The export target.
        path: std::path::PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The extension names no export format.
    #[error("{}: cannot export a proposal to this file type (use .json, .otio, .edl, .fcpxml, .srt, .vtt or .cube)", path.display())]
    UnknownFormat {
        /// The export target.
        path: std::path::PathBuf,
    },
}

/// A timeline that plays `media_path` whole: one clip on V1 (if the media has picture) and
/// on A1 (if it has sound), at the media's frame rate (25 fps for sound-only media).
pub fn clip_timeline(meta: &MediaMeta, media_path: &Path) -> Timeline {
    let rate = meta.frame_rate.unwrap_or(Rate::FPS_25);
    let range = meta.range.rescaled_to(rate);
    let media = MediaReference::external(media_path.display().to_string(), Some(range));
    let name = meta.name.clone();
    let mut tl = Timeline::new(name.clone(), rate);
    let clip = Clip::new(name, media, range);
    if meta.frame_rate.is_some() {
        let mut v = Track::new("V1", TrackKind::Video);
        v.items.push(Item::Clip(clip.clone()));
        tl.tracks.push(v);
    }
    if meta.sample_rate.is_some() {
        let mut a = Track::new("A1", TrackKind::Audio);
        a.items.push(Item::Clip(clip));
        tl.tracks.push(a);
    }
    tl
}

/// Applies every item of `proposal` to [`clip_timeline`]: all items to the first track's clip,
/// and the edits (cuts, transitions, removals) to the audio clip too, so picture and sound
/// stay in sync.
pub fn proposal_timeline(
    proposal: &Proposal,
    meta: &MediaMeta,
    media_path: &Path,
) -> Result<Timeline, ApplyError> {
    let mut tl = clip_timeline(meta, media_path);
    let all: Vec<u32> = proposal.items.iter().map(|i| i.id).collect();
    let edits: Vec<u32> = proposal
        .items
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                ProposalKind::Cut { .. }
                    | ProposalKind::Transition { .. }
                    | ProposalKind::Removal { .. }
            )
        })
        .map(|i| i.id)
        .collect();
    let tracks: Vec<(usize, TrackKind)> = tl.tracks.iter().map(|t| t.kind).enumerate().collect();
    for (index, kind) in tracks {
        let selected = if index == 0 { &all } else { &edits };
        if selected.is_empty() || kind == TrackKind::Subtitle {
            continue;
        }
        let target = Target {
            timeline: 0,
            track: index,
            item: 0,
        };
        apply_to_timeline(&mut tl, proposal, selected, &target)?;
    }
    Ok(tl)
}

/// The proposal's cues, sorted by start.
pub fn proposal_cues(proposal: &Proposal) -> Vec<SubtitleCue> {
    let mut cues: Vec<SubtitleCue> = proposal
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ProposalKind::Cue(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    cues.sort_by_key(|c| c.range.start);
    cues
}

/// Writes `proposal` to `out`, the format chosen by the extension (see the module docs).
pub fn export_proposal(
    proposal: &Proposal,
    meta: &MediaMeta,
    media_path: &Path,
    out: &Path,
    opts: &WriteOptions,
) -> Result<(), ExportError> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "json" {
        return Ok(write_atomic(out, (proposal.to_json() + "\n").as_bytes())?);
    }
    if ext == "cube" {
        let lut = proposal
            .items
            .iter()
            .find_map(|i| match &i.kind {
                ProposalKind::Color(c) => Some(c),
                _ => None,
            })
            .ok_or_else(|| ExportError::Nothing {
                path: out.to_path_buf(),
                reason: "the proposal holds no color transform".into(),
            })?;
        return Ok(formats::write_lut(lut, out)?);
    }
    if SubtitleFormat::from_path(out).is_some() {
        let cues = proposal_cues(proposal);
        if cues.is_empty()
            && proposal
                .items
                .iter()
                .any(|i| !matches!(i.kind, ProposalKind::Cue(_)))
        {
            return Err(ExportError::Nothing {
                path: out.to_path_buf(),
                reason: "the proposal holds no subtitle cues".into(),
            });
        }
        return Ok(formats::write_subtitles(&cues, out)?);
    }
    if TimelineFormat::from_path(out).is_some() {
        let tl =
            proposal_timeline(proposal, meta, media_path).map_err(|source| ExportError::Apply {
                path: out.to_path_buf(),
                source,
            })?;
        return Ok(formats::write_timeline(&tl, out, opts)?);
    }
    Err(ExportError::UnknownFormat {
        path: out.to_path_buf(),
    })
}
