//! The plugin's contract with the host: manifest, parameters, errors and cancellation.

use color_match::ColorMatch;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::{Harness, SyntheticSource};

fn colorful(shift: u8) -> SyntheticSource {
    looks(12, move |_| shift)
}

/// `frames` frames at 24 fps of a colorful gradient with `shift(frame)` added to red.
fn looks(frames: i64, shift: impl Fn(i64) -> u8 + Send + Sync + 'static) -> SyntheticSource {
    SyntheticSource::new(Rate::FPS_24, frames).with_video(move |i, req| {
        let shift = shift(i);
        let mut data = Vec::with_capacity(req.frame_bytes());
        for y in 0..req.height {
            for x in 0..req.width {
                let r = (x * 255 / req.width) as u8;
                let g = (y * 255 / req.height) as u8;
                let b = ((x + y + i as u32) % 256) as u8;
                data.extend_from_slice(&[r.saturating_add(shift), g, b, 255]);
            }
        }
        data
    })
}

#[test]
fn the_manifest_is_valid_and_offers_every_method() {
    let m = ColorMatch.manifest();
    m.validate().unwrap();
    assert!(m.reads.reference_clip);
    let Some(ParamKind::Choice { options, default }) = m.param_spec("method").map(|p| &p.kind)
    else {
        panic!("method is a choice")
    };
    assert_eq!(default, "combined");
    let ids: Vec<&str> = options.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "combined",
            "hm-mkl-hm",
            "mkl",
            "reinhard-lab",
            "reinhard-oklab",
            "histogram"
        ]
    );
}

#[test]
fn without_a_reference_the_error_says_what_is_missing() {
    let params = Params::defaults(&ColorMatch.manifest());
    let err = Harness::new(colorful(0))
        .run(&ColorMatch, &params)
        .proposal
        .unwrap_err();
    assert!(err.to_string().contains("needs a reference"), "{err}");
}

#[test]
fn a_red_cast_is_removed_on_synthetic_frames() {
    let params = Params::from_pairs(&ColorMatch.manifest(), &[("method", "mkl")]).unwrap();
    let result = Harness::new(colorful(40))
        .with_reference(colorful(0))
        .run(&ColorMatch, &params);
    let proposal = result.proposal.unwrap();
    let ProposalKind::Color(lut) = &proposal.items[0].kind else {
        panic!("a color proposal")
    };
    assert_eq!(lut.method, "mkl");
    assert_eq!(lut.size, 33);
    let mid = cutroom_color::eval_lut(lut, [0.6, 0.5, 0.5]);
    assert!(mid[0] < 0.6 - 0.08, "red is pulled down: {mid:?}");
    assert!(proposal.items[0].confidence > 0.5);
    assert_eq!(result.progress_events.last().unwrap().0, 1.0);
}

#[test]
fn a_cancelled_run_proposes_nothing() {
    let harness = Harness::new(colorful(0)).with_reference(colorful(0));
    harness.cancel_token().cancel();
    let result = harness.run(&ColorMatch, &Params::default());
    assert_eq!(result.proposal.unwrap_err(), PluginError::Cancelled);
}

#[test]
fn strength_out_of_range_is_refused() {
    let err = Params::from_pairs(&ColorMatch.manifest(), &[("strength", "1.5")]).unwrap_err();
    assert!(err.to_string().contains("strength"), "{err}");
}

/// The red pulled out at a reddish grey by matching a red-cast shot to the part of a
/// reference (neutral for its first second, red-cast for its second) that `range` picks.
fn red_removed(range: &[(&str, &str)]) -> Result<f32, PluginError> {
    let mut pairs = vec![("method", "mkl")];
    pairs.extend_from_slice(range);
    let params = Params::from_pairs(&ColorMatch.manifest(), &pairs).unwrap();
    let proposal = Harness::new(colorful(60))
        .with_reference(looks(48, |i| if i < 24 { 0 } else { 60 }))
        .run(&ColorMatch, &params)
        .proposal?;
    let ProposalKind::Color(lut) = &proposal.items[0].kind else {
        panic!("a color proposal")
    };
    Ok(0.6 - cutroom_color::eval_lut(lut, [0.6, 0.5, 0.5])[0])
}

#[test]
fn only_the_chosen_part_of_the_reference_is_matched() {
    let first = red_removed(&[("reference_out", "1")]).unwrap();
    let second = red_removed(&[("reference_in", "1")]).unwrap();
    let exact = red_removed(&[("reference_in", "24@24"), ("reference_out", "48@24")]).unwrap();
    let past_end = red_removed(&[("reference_in", "1"), ("reference_out", "10")]).unwrap();
    let whole = red_removed(&[]).unwrap();
    assert!(
        first > 0.15,
        "the neutral first second removes the cast: {first}"
    );
    assert!(
        second.abs() < 0.03,
        "the red second second keeps it: {second}"
    );
    assert!((exact - second).abs() < 1e-6, "{exact} vs {second}");
    assert!(
        (past_end - second).abs() < 1e-6,
        "an out point past the end is the end"
    );
    assert!(whole > second + 0.05 && whole < first - 0.05, "{whole}");
}

#[test]
fn a_reference_range_outside_the_reference_or_backwards_is_an_error() {
    let err = red_removed(&[("reference_in", "5")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("past the end of the reference (2.000 s)"),
        "{err}"
    );
    let err = red_removed(&[("reference_in", "1.5"), ("reference_out", "1")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("must come after"), "{err}");
}
