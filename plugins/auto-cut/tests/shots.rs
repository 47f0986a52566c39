//! Shot detection on generated clips with known boundaries: textured, moving ffmpeg sources
//! joined by hard cuts and by xfade dissolves and fades at known frames, and a single shot
//! with camera flashes and fast pans (see testdata/make_shots.py).

mod common;

use common::{boundaries, cut_f1, make_shots, run, span_f1, Truth};
use cutroom_plugin::prelude::*;

/// Cut frames and transition spans found in a clip.
type Found = (Vec<i64>, Vec<(i64, i64)>);

/// Clips of three seeds (with cuts, dissolves and fades through black and white), analysed
/// with the default parameters.
fn edits() -> Vec<(Truth, Found)> {
    let dir = tempfile::tempdir().unwrap();
    [1, 4, 5]
        .into_iter()
        .map(|seed| {
            let (clip, truth) = make_shots(dir.path(), "edit", seed, 40);
            (truth, boundaries(&run(&clip, &["dead_air=off"])))
        })
        .collect()
}

#[test]
fn hard_cuts_and_gradual_transitions_match_the_ground_truth() {
    let mut all_found_cuts = Vec::new();
    let mut all_true_cuts = Vec::new();
    let mut all_found_spans = Vec::new();
    let mut all_true_spans = Vec::new();
    // Offsets keep the clips apart so that one F1 is computed over all of them.
    for (k, (truth, (cuts, spans))) in edits().into_iter().enumerate() {
        let off = k as i64 * 100_000;
        eprintln!(
            "clip {k}: truth cuts {:?} transitions {:?}",
            truth.cuts, truth.transitions
        );
        eprintln!("clip {k}: found cuts {cuts:?} transitions {spans:?}");
        all_found_cuts.extend(cuts.iter().map(|c| c + off));
        all_true_cuts.extend(truth.cuts.iter().map(|c| c + off));
        all_found_spans.extend(spans.iter().map(|s| (s.0 + off, s.1 + off)));
        all_true_spans.extend(truth.transitions.iter().map(|s| (s.0 + off, s.1 + off)));
    }
    let cuts = cut_f1(&all_found_cuts, &all_true_cuts);
    let spans = span_f1(&all_found_spans, &all_true_spans);
    eprintln!("hard cut F1 {cuts:.3}, transition F1 {spans:.3}");
    assert!(cuts >= 0.98, "hard cut F1 {cuts:.3} < 0.98");
    assert!(spans >= 0.9, "transition F1 {spans:.3} < 0.9");
}

#[test]
fn flashes_and_fast_pans_make_no_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, truth) = make_shots(dir.path(), "flashpan", 1, 0);
    assert!(truth.cuts.is_empty());
    let p = run(&clip, &["dead_air=off"]);
    let (cuts, spans) = boundaries(&p);
    assert!(cuts.is_empty(), "cuts proposed at {cuts:?}");
    assert!(spans.is_empty(), "transitions proposed at {spans:?}");
}

#[test]
fn without_gradual_detection_only_hard_cuts_are_proposed() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, truth) = make_shots(dir.path(), "edit", 4, 20);
    let p = run(&clip, &["dead_air=off", "gradual=false"]);
    let (cuts, spans) = boundaries(&p);
    assert!(spans.is_empty());
    // Every hard cut is still found (the quick part of a fade may now show as a cut too).
    for t in &truth.cuts {
        assert!(
            cuts.iter().any(|c| (c - t).abs() <= 1),
            "{cuts:?} vs {:?}",
            truth.cuts
        );
    }
    for item in &p.items {
        assert!((0.0..=1.0).contains(&item.confidence));
        assert!(item.reason.starts_with("hard cut"), "{}", item.reason);
    }
}

#[test]
fn a_long_minimum_shot_length_keeps_boundaries_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, _) = make_shots(dir.path(), "edit", 5, 20);
    let p = run(&clip, &["dead_air=off", "min_shot=4s"]);
    let (cuts, spans) = boundaries(&p);
    let mut anchors: Vec<i64> = cuts.into_iter().chain(spans.iter().map(|s| s.0)).collect();
    anchors.sort();
    assert!(!anchors.is_empty());
    assert!(
        anchors.windows(2).all(|w| w[1] - w[0] >= 100),
        "{anchors:?}"
    );
}

#[test]
fn cuts_and_transitions_are_in_media_time_at_the_frame_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, _) = make_shots(dir.path(), "edit", 6, 12);
    let p = run(&clip, &["dead_air=off"]);
    assert!(!p.items.is_empty());
    for item in &p.items {
        match &item.kind {
            ProposalKind::Cut { at } => assert_eq!(at.rate, Rate::FPS_25),
            ProposalKind::Transition { range, .. } => assert_eq!(range.start.rate, Rate::FPS_25),
            other => panic!("unexpected {other:?}"),
        }
    }
}
