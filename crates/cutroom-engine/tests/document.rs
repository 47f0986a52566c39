//! Applying proposals to a document: exact edits, one undoable command, autosave.

use cutroom_engine::{ApplyError, Document, EditError, Target};
use cutroom_plugin::prelude::*;
use cutroom_timeline::{
    Clip, Gap, Item, MediaReference, Project, Timeline, Track, TrackKind, Transition,
};

const R: Rate = Rate::FPS_23_976;

fn frames(start: i64, n: i64) -> TimeRange {
    TimeRange::from_frames(start, n, R)
}

/// V1: clip "A" (media frames 1000..1100), a 10-frame gap, clip "B" (media 0..50).
fn project() -> Project {
    let mut p = Project::new("doc", R);
    let mut v1 = Track::new("V1", TrackKind::Video);
    let media = MediaReference::external("/media/a.mov", Some(frames(0, 5000)));
    v1.items
        .push(Item::Clip(Clip::new("A", media, frames(1000, 100))));
    v1.items.push(Item::Gap(Gap {
        duration: RationalTime::new(10, R),
    }));
    v1.items.push(Item::Clip(Clip::new(
        "B",
        MediaReference::external("/media/b.mov", None),
        frames(0, 50),
    )));
    p.timelines[0].tracks.push(v1);
    p
}

const CLIP_A: Target = Target {
    timeline: 0,
    track: 0,
    item: 0,
};

fn proposal(kinds: Vec<ProposalKind>) -> Proposal {
    let mut p = Proposal::new("test-plugin");
    for k in kinds {
        p.push(k, 0.8, "test").unwrap();
    }
    p
}

fn all(p: &Proposal) -> Vec<u32> {
    p.items.iter().map(|i| i.id).collect()
}

fn clip_ranges(tl: &Timeline) -> Vec<TimeRange> {
    tl.tracks[0]
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Clip(c) => Some(c.source_range),
            _ => None,
        })
        .collect()
}

fn marker(start: i64, n: i64) -> Marker {
    Marker {
        name: "m".into(),
        range: frames(start, n),
        color: MarkerColor::Green,
        note: String::new(),
        confidence: None,
    }
}

#[test]
fn removals_ripple_delete_frame_exact_ranges() {
    let mut doc = Document::new(project());
    // 10..20 given in 48 kHz samples (frame n of 23.976 is sample 2002 n), 40..45 in frames.
    let p = proposal(vec![
        ProposalKind::Removal {
            range: TimeRange::from_frames(2002 * 1010, 2002 * 10, Rate::HZ_48000),
        },
        ProposalKind::Removal {
            range: frames(1040, 5),
        },
    ]);
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    let tl = &doc.project().timelines[0];
    assert_eq!(
        clip_ranges(tl),
        [
            frames(1000, 10),
            frames(1020, 20),
            frames(1045, 55),
            frames(0, 50)
        ]
    );
    // 15 frames shorter; B now starts at 85 + 10 = 95.
    assert_eq!(tl.duration(), RationalTime::new(145, R));
    let b_start = tl.tracks[0].items_with_ranges()[4].1.start;
    assert_eq!(b_start, RationalTime::new(95, R));
}

#[test]
fn a_removal_covering_the_whole_clip_removes_it() {
    let mut doc = Document::new(project());
    let p = proposal(vec![ProposalKind::Removal {
        range: frames(900, 400),
    }]);
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    assert_eq!(clip_ranges(&doc.project().timelines[0]), [frames(0, 50)]);
}

#[test]
fn cuts_split_and_transitions_become_dissolves() {
    let mut doc = Document::new(project());
    let p = proposal(vec![
        ProposalKind::Cut {
            at: RationalTime::new(1030, R),
        },
        ProposalKind::Transition {
            range: frames(1060, 12),
            kind: TransitionKind::Dissolve,
        },
        // Outside the clip: ignored.
        ProposalKind::Cut {
            at: RationalTime::new(2000, R),
        },
    ]);
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    let items = &doc.project().timelines[0].tracks[0].items;
    assert_eq!(items.len(), 6);
    assert_eq!(
        clip_ranges(&doc.project().timelines[0]),
        [
            frames(1000, 30),
            frames(1030, 36),
            frames(1066, 34),
            frames(0, 50)
        ]
    );
    assert_eq!(
        items[2],
        Item::Transition(Transition::dissolve(
            RationalTime::new(6, R),
            RationalTime::new(6, R)
        ))
    );
    // Cutting does not change the length.
    assert_eq!(
        doc.project().timelines[0].duration(),
        RationalTime::new(160, R)
    );
}

#[test]
fn markers_and_color_land_on_the_clip_pieces() {
    let mut doc = Document::new(project());
    let lut = ColorTransform::identity(5);
    let p = proposal(vec![
        ProposalKind::Cut {
            at: RationalTime::new(1050, R),
        },
        ProposalKind::Marker(marker(1010, 3)),
        ProposalKind::Marker(marker(1070, 1)),
        ProposalKind::Color(lut.clone()),
    ]);
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    let items = &doc.project().timelines[0].tracks[0].items;
    let (Item::Clip(first), Item::Clip(second)) = (&items[0], &items[1]) else {
        panic!("expected two clips");
    };
    assert_eq!(first.markers.len(), 1);
    assert_eq!(first.markers[0].range, frames(1010, 3));
    assert_eq!(first.markers[0].confidence, Some(0.8));
    assert_eq!(second.markers[0].range, frames(1070, 1));
    assert_eq!(first.color.as_ref(), Some(&lut));
    assert_eq!(second.color.as_ref(), Some(&lut));
    let Item::Clip(b) = &items[3] else { panic!() };
    assert_eq!(b.color, None);
}

#[test]
fn cues_are_mapped_through_removals_onto_a_new_subtitle_track() {
    let mut doc = Document::new(project());
    let p = proposal(vec![
        ProposalKind::Removal {
            range: frames(1010, 10),
        },
        ProposalKind::Cue(SubtitleCue::new(frames(1030, 10), "after the removal")),
        ProposalKind::Cue(SubtitleCue::new(frames(1002, 4), "before it")),
    ]);
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    let tl = &doc.project().timelines[0];
    assert_eq!(tl.tracks.len(), 2);
    let subs = &tl.tracks[1];
    assert_eq!(subs.kind, TrackKind::Subtitle);
    assert_eq!(
        subs.cues
            .iter()
            .map(|c| (c.range, c.text.as_str()))
            .collect::<Vec<_>>(),
        [
            (frames(2, 4), "before it"),
            (frames(20, 10), "after the removal")
        ]
    );

    // A second application adds to the existing subtitle track, kept sorted.
    let p2 = proposal(vec![ProposalKind::Cue(SubtitleCue::new(
        frames(1008, 1),
        "middle",
    ))]);
    doc.apply_proposal(&p2, &all(&p2), CLIP_A).unwrap();
    let tl = &doc.project().timelines[0];
    assert_eq!(tl.tracks.len(), 2);
    let texts: Vec<&str> = tl.tracks[1].cues.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["before it", "middle", "after the removal"]);
}

#[test]
fn apply_undo_redo_restore_exact_project_states() {
    let original = project();
    let mut doc = Document::new(original.clone());
    let p = proposal(vec![
        ProposalKind::Cut {
            at: RationalTime::new(1030, R),
        },
        ProposalKind::Removal {
            range: frames(1050, 10),
        },
        ProposalKind::Marker(marker(1001, 1)),
        ProposalKind::Color(ColorTransform::identity(2)),
        ProposalKind::Cue(SubtitleCue::new(frames(1040, 5), "hi")),
    ]);
    // Only some items are selected: the cut and the removal.
    doc.apply_proposal(&p, &[0, 1], CLIP_A).unwrap();
    let after = doc.project().clone();
    assert_ne!(after, original);
    assert_eq!(doc.undo_label(), Some("Apply test-plugin: 2 items"));
    assert_eq!(
        clip_ranges(&after.timelines[0]),
        [
            frames(1000, 30),
            frames(1030, 20),
            frames(1060, 40),
            frames(0, 50)
        ]
    );
    assert_eq!(
        after.timelines[0].tracks.len(),
        1,
        "the cue was not selected"
    );

    assert!(doc.undo());
    assert_eq!(doc.project(), &original);
    assert!(!doc.undo());
    assert!(doc.redo());
    assert_eq!(doc.project(), &after);
    assert!(!doc.redo());

    // A new command after an undo clears the redo stack.
    assert!(doc.undo());
    doc.apply_proposal(&p, &[2], CLIP_A).unwrap();
    assert_eq!(doc.redo_label(), None);
    assert!(doc.undo());
    assert_eq!(doc.project(), &original);
}

#[test]
fn a_refused_proposal_changes_nothing_and_records_nothing() {
    let original = project();
    let mut doc = Document::new(original.clone());
    let p = proposal(vec![ProposalKind::Cut {
        at: RationalTime::new(1030, R),
    }]);
    assert_eq!(
        doc.apply_proposal(&p, &[7], CLIP_A),
        Err(EditError::Apply(ApplyError::UnknownItem(7)))
    );
    assert_eq!(
        doc.apply_proposal(&p, &[], CLIP_A),
        Err(EditError::Apply(ApplyError::NothingSelected))
    );
    let gap = Target { item: 1, ..CLIP_A };
    assert!(matches!(
        doc.apply_proposal(&p, &[0], gap),
        Err(EditError::Apply(ApplyError::NotAClip { .. }))
    ));
    let nowhere = Target {
        timeline: 3,
        ..CLIP_A
    };
    assert_eq!(
        doc.apply_proposal(&p, &[0], nowhere),
        Err(EditError::Apply(ApplyError::NoSuchTimeline(3)))
    );
    assert_eq!(doc.project(), &original);
    assert!(!doc.undo());
}

#[test]
fn autosave_writes_a_recovery_file_that_loads_equal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recovery.cutroom");
    let mut doc = Document::new(project()).with_autosave(&path);
    assert!(!path.exists(), "nothing is written before the first edit");
    let p = proposal(vec![
        ProposalKind::Removal {
            range: frames(1010, 10),
        },
        ProposalKind::Cue(SubtitleCue::new(frames(1030, 10), "saved")),
    ]);
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    assert!(path.exists());
    assert_eq!(doc.autosave_error(), None);
    assert_eq!(&Document::recover(&path).unwrap(), doc.project());

    doc.undo();
    assert_eq!(&Document::recover(&path).unwrap(), doc.project());
    assert_eq!(Document::recover(&path).unwrap(), project());
}

#[test]
fn a_brightness_proposal_applies_as_clip_markers() {
    use cutroom_plugin::testing::{run_plugin, SyntheticSource};
    use example_brightness::BrightFrames;

    let source =
        SyntheticSource::new(R, 1100)
            .with_luma(|i| if (1020..1025).contains(&i) { 250 } else { 0 });
    let result = run_plugin(&BrightFrames, source, &Params::default());
    let p = result.proposal.unwrap();
    let mut doc = Document::new(project());
    doc.apply_proposal(&p, &all(&p), CLIP_A).unwrap();
    let Item::Clip(a) = &doc.project().timelines[0].tracks[0].items[0] else {
        panic!()
    };
    assert_eq!(a.markers.len(), 1);
    assert_eq!(a.markers[0].range, frames(1020, 5));
}
