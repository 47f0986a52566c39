//! Behaviour of the example plugin, run through the SDK's test harness.

use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::{run_plugin, Harness, SyntheticSource};
use example_brightness::BrightFrames;

/// 100 frames at 23.976: dark, except 10..20 at 230 and 50..55 at 255 and 90..100 at 201.
fn source() -> SyntheticSource {
    SyntheticSource::new(Rate::FPS_23_976, 100).with_luma(|i| match i {
        10..20 => 230,
        50..55 => 255,
        90..100 => 201,
        _ => 16,
    })
}

fn markers(proposal: &Proposal) -> Vec<(TimeRange, f32)> {
    proposal
        .items
        .iter()
        .map(|item| match &item.kind {
            ProposalKind::Marker(m) => (m.range, item.confidence),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn each_run_of_bright_frames_becomes_one_marker() {
    let params = Params::defaults(&BrightFrames.manifest());
    let result = run_plugin(&BrightFrames, source(), &params);
    let proposal = result.proposal.unwrap();
    let r = Rate::FPS_23_976;
    let found = markers(&proposal);
    assert_eq!(
        found.iter().map(|m| m.0).collect::<Vec<_>>(),
        [
            TimeRange::from_frames(10, 10, r),
            TimeRange::from_frames(50, 5, r),
            TimeRange::from_frames(90, 10, r),
        ]
    );
    // Confidence grows with the distance above the threshold.
    assert!((found[0].1 - 30.0 / 55.0).abs() < 1e-6);
    assert_eq!(found[1].1, 1.0);
    assert!(found[2].1 < 0.05);
}

#[test]
fn a_higher_threshold_keeps_only_the_brightest_run() {
    let params = Params::from_pairs(&BrightFrames.manifest(), &[("threshold", "240")]).unwrap();
    let proposal = run_plugin(&BrightFrames, source(), &params)
        .proposal
        .unwrap();
    assert_eq!(
        markers(&proposal),
        [(TimeRange::from_frames(50, 5, Rate::FPS_23_976), 1.0)]
    );
}

#[test]
fn an_out_of_range_threshold_is_refused_before_running() {
    let err = Params::from_pairs(&BrightFrames.manifest(), &[("threshold", "256")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter \"threshold\" must be between 0 and 255, got 256"
    );
}

#[test]
fn progress_is_reported_and_ends_at_one() {
    let params = Params::defaults(&BrightFrames.manifest());
    let result = run_plugin(&BrightFrames, source(), &params);
    assert_eq!(result.progress_events.len(), 11);
    assert_eq!(result.progress_events.last().unwrap().0, 1.0);
    let fractions: Vec<f32> = result.progress_events.iter().map(|p| p.0).collect();
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(result.logs.len(), 1);
    assert!(result.logs[0]
        .1
        .starts_with("3 bright run(s) in 100 frame(s)"));
}

#[test]
fn only_the_requested_range_is_analysed() {
    let params = Params::defaults(&BrightFrames.manifest());
    let result = Harness::new(source())
        .with_range(TimeRange::from_frames(15, 40, Rate::FPS_23_976))
        .run(&BrightFrames, &params);
    let r = Rate::FPS_23_976;
    assert_eq!(
        markers(&result.proposal.unwrap())
            .iter()
            .map(|m| m.0)
            .collect::<Vec<_>>(),
        [
            TimeRange::from_frames(15, 5, r),
            TimeRange::from_frames(50, 5, r)
        ]
    );
}

#[test]
fn a_cancelled_run_proposes_nothing() {
    let harness = Harness::new(source());
    harness.cancel_token().cancel();
    let result = harness.run(&BrightFrames, &Params::default());
    assert_eq!(result.proposal.unwrap_err(), PluginError::Cancelled);
}
