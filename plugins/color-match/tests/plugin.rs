//! The plugin's contract with the host: manifest, parameters, errors and cancellation.

use color_match::ColorMatch;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::{Harness, SyntheticSource};

fn colorful(shift: u8) -> SyntheticSource {
    SyntheticSource::new(Rate::FPS_24, 12).with_video(move |i, req| {
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
