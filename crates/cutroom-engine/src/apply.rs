//! Turning the selected items of a [`Proposal`] into edits of one clip on a timeline.
//!
//! Proposal times are media time of the analysed source; the target clip's `source_range`
//! is in the same media time, so cuts and removals land exactly where the plugin saw them.
//! Every edit point is first rescaled to the clip's own rate with the model's single
//! rounding rule ([`cutroom_timeline::RationalTime::rescaled_to`]), so the result is
//! frame-exact at that rate:
//!
//! - **cuts** split the clip at the cut point;
//! - **transitions** split the clip at the middle of their span and put a dissolve there,
//!   reaching back to the span's start and forward to its end (clamped to the pieces);
//! - **removals** ripple-delete their span from the clip: the pieces on either side become
//!   adjacent and everything after moves earlier;
//! - **markers** are added to the clip piece they start in (clip markers are in media time);
//! - a **color** transform is set on every piece of the clip;
//! - **cues** are mapped through the edited clip into timeline time and added to the first
//!   subtitle track (created when there is none), kept sorted by start.

use std::collections::{BTreeMap, BTreeSet};

use cutroom_plugin::{Proposal, ProposalItem, ProposalKind};
use cutroom_timeline::{
    Clip, Item, Marker, Rate, RationalTime, SubtitleCue, TimeRange, Timeline, Track, TrackKind,
    Transition,
};

/// Where to apply a proposal: a clip on a track of a timeline of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// Index of the timeline in the project.
    pub timeline: usize,
    /// Index of the track in the timeline.
    pub track: usize,
    /// Index of the clip among the track's items (gaps and transitions count).
    pub item: usize,
}

/// Why a proposal could not be applied. The project is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// No item was selected.
    #[error("no proposal item is selected")]
    NothingSelected,
    /// A selected id is not in the proposal.
    #[error("the proposal has no item {0}")]
    UnknownItem(u32),
    /// The target timeline does not exist.
    #[error("there is no timeline {0}")]
    NoSuchTimeline(usize),
    /// The target track does not exist.
    #[error("timeline has no track {0}")]
    NoSuchTrack(usize),
    /// The target item does not exist or is not a clip.
    #[error("item {item} of track {track:?} is not a clip")]
    NotAClip {
        /// Track name.
        track: String,
        /// Item index.
        item: usize,
    },
    /// The edit would leave the timeline invalid.
    #[error("the edit would leave the timeline invalid: {0}")]
    Invalid(String),
}

/// One kept piece of the clip, in frames at the clip's rate: `[start, end)`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: i64,
    end: i64,
}

/// Applies the items of `proposal` whose ids are in `selected` to the clip at
/// `target.track`/`target.item` of `timeline`. On error the timeline may be partly changed;
/// callers work on a copy (as [`crate::Document`] does).
pub fn apply_to_timeline(
    timeline: &mut Timeline,
    proposal: &Proposal,
    selected: &[u32],
    target: &Target,
) -> Result<(), ApplyError> {
    if selected.is_empty() {
        return Err(ApplyError::NothingSelected);
    }
    let ids: BTreeSet<u32> = selected.iter().copied().collect();
    let mut items: Vec<&ProposalItem> = Vec::with_capacity(ids.len());
    for id in &ids {
        items.push(proposal.item(*id).ok_or(ApplyError::UnknownItem(*id))?);
    }

    let track = timeline
        .tracks
        .get(target.track)
        .ok_or(ApplyError::NoSuchTrack(target.track))?;
    let not_a_clip = || ApplyError::NotAClip {
        track: track.name.clone(),
        item: target.item,
    };
    let clip = match track.items.get(target.item) {
        Some(Item::Clip(c)) => c.clone(),
        _ => return Err(not_a_clip()),
    };
    let clip_track_start = track
        .items_with_ranges()
        .get(target.item)
        .map(|(_, r)| r.start)
        .ok_or_else(not_a_clip)?;

    let rate = clip.source_range.start.rate;
    let frames = |t: RationalTime| t.to_frames(rate);
    let clip_start = frames(clip.source_range.start);
    let clip_end = frames(clip.source_range.end_exclusive());

    // Gather the edits.
    let mut removals: Vec<(i64, i64)> = Vec::new();
    // Split points (frames) with an optional dissolve (in, out) in frames.
    let mut splits: BTreeMap<i64, Option<(i64, i64)>> = BTreeMap::new();
    let mut new_markers: Vec<Marker> = Vec::new();
    let mut color = None;
    let mut cues: Vec<SubtitleCue> = Vec::new();
    for item in &items {
        match &item.kind {
            ProposalKind::Cut { at } => {
                splits.entry(frames(*at)).or_insert(None);
            }
            ProposalKind::Transition { range, .. } => {
                let s = frames(range.start);
                let e = frames(range.end_exclusive());
                let mid = s + (e - s) / 2;
                splits.insert(mid, Some((mid - s, e - mid)));
            }
            ProposalKind::Removal { range } => {
                let s = frames(range.start).max(clip_start);
                let e = frames(range.end_exclusive()).min(clip_end);
                if e > s {
                    removals.push((s, e));
                }
            }
            ProposalKind::Marker(m) => {
                let mut m = m.clone();
                m.range = m.range.rescaled_to(rate);
                m.confidence = m.confidence.or(Some(item.confidence));
                new_markers.push(m);
            }
            ProposalKind::Color(c) => color = Some(c.clone()),
            ProposalKind::Cue(c) => cues.push(c.clone()),
        }
    }

    // Kept pieces: the clip minus the merged removals, then split at cut points.
    removals.sort_unstable();
    let mut kept: Vec<Piece> = Vec::new();
    let mut pos = clip_start;
    for (s, e) in removals {
        if s > pos {
            kept.push(Piece { start: pos, end: s });
        }
        pos = pos.max(e);
    }
    if clip_end > pos {
        kept.push(Piece {
            start: pos,
            end: clip_end,
        });
    }
    let mut pieces: Vec<Piece> = Vec::new();
    // For each boundary after pieces[i], the dissolve to put there, if any.
    let mut joins: Vec<Option<(i64, i64)>> = Vec::new();
    for k in kept {
        let mut start = k.start;
        for (&at, dissolve) in splits.range(k.start + 1..k.end) {
            pieces.push(Piece { start, end: at });
            joins.push(*dissolve);
            start = at;
        }
        pieces.push(Piece { start, end: k.end });
        joins.push(None);
    }

    // Markers: existing and new, each to the piece it starts in (else the next piece, else
    // the last one).
    let mut markers: Vec<Vec<Marker>> = vec![Vec::new(); pieces.len()];
    if !pieces.is_empty() {
        for m in clip.markers.iter().cloned().chain(new_markers) {
            let at = frames(m.range.start);
            let idx = pieces
                .iter()
                .position(|p| at >= p.start && at < p.end)
                .or_else(|| pieces.iter().position(|p| p.start >= at))
                .unwrap_or(pieces.len() - 1);
            markers[idx].push(m);
        }
    }

    // New items for the track, and where each piece lands in track time.
    let mut new_items: Vec<Item> = Vec::new();
    let mut placed: Vec<(Piece, RationalTime)> = Vec::new();
    let mut track_pos = clip_track_start;
    for (i, piece) in pieces.iter().enumerate() {
        let mut c = Clip {
            source_range: TimeRange::from_frames(piece.start, piece.end - piece.start, rate),
            markers: std::mem::take(&mut markers[i]),
            ..clip.clone()
        };
        if let Some(color) = &color {
            c.color = Some(color.clone());
        }
        new_items.push(Item::Clip(c));
        placed.push((*piece, track_pos));
        track_pos = track_pos + RationalTime::new(piece.end - piece.start, rate);
        if let (Some((din, dout)), Some(next)) = (joins[i], pieces.get(i + 1)) {
            let din = din.clamp(0, piece.end - piece.start);
            let dout = dout.clamp(0, next.end - next.start);
            if din + dout > 0 {
                new_items.push(Item::Transition(Transition::dissolve(
                    RationalTime::new(din, rate),
                    RationalTime::new(dout, rate),
                )));
            }
        }
    }

    let track = &mut timeline.tracks[target.track];
    track.items.splice(target.item..=target.item, new_items);

    // Cues, mapped from media time through the edited clip into timeline time.
    if !cues.is_empty() {
        let map = |t: RationalTime| map_media_time(t, rate, &placed, clip_track_start);
        let mut mapped: Vec<SubtitleCue> = Vec::new();
        for mut cue in cues {
            let start = map(cue.range.start);
            let end = map(cue.range.end_exclusive());
            if end <= start {
                continue;
            }
            cue.range = TimeRange::new(start, end - start);
            cue.words.retain_mut(|w| {
                let s = map(w.range.start);
                let e = map(w.range.end_exclusive());
                w.range = TimeRange::new(s, e - s);
                e >= s
            });
            mapped.push(cue);
        }
        let sub = match timeline
            .tracks
            .iter()
            .position(|t| t.kind == TrackKind::Subtitle)
        {
            Some(i) => i,
            None => {
                timeline
                    .tracks
                    .push(Track::new("Subtitles", TrackKind::Subtitle));
                timeline.tracks.len() - 1
            }
        };
        let track = &mut timeline.tracks[sub];
        track.cues.extend(mapped);
        track.cues.sort_by_key(|c| c.range.start);
    }

    cutroom_timeline::validate::timeline(timeline).map_err(ApplyError::Invalid)
}

/// Maps media time `t` to track time through the placed pieces: linearly inside a piece
/// (and before the first / after the last), to the start of the next piece inside a removed
/// span. The result keeps `t`'s rate.
fn map_media_time(
    t: RationalTime,
    rate: Rate,
    placed: &[(Piece, RationalTime)],
    clip_track_start: RationalTime,
) -> RationalTime {
    let through = |piece: &Piece, track_start: RationalTime| {
        // track = t - (piece.start - track_start), computed at t's rate.
        t - (RationalTime::new(piece.start, rate) - track_start)
    };
    let Some((first, first_start)) = placed.first() else {
        return clip_track_start.rescaled_to(t.rate);
    };
    if t < RationalTime::new(first.start, rate) {
        return through(first, *first_start);
    }
    for (piece, track_start) in placed {
        if t < RationalTime::new(piece.end, rate) {
            return if t >= RationalTime::new(piece.start, rate) {
                through(piece, *track_start)
            } else {
                track_start.rescaled_to(t.rate)
            };
        }
    }
    let (last, last_start) = placed.last().expect("placed is not empty");
    through(last, *last_start)
}
