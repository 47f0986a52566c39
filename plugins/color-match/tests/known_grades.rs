//! Accuracy on pairs with a known answer: a reference still, a copy graded by FFmpeg
//! filters, and the graded copy matched back to the reference.

mod common;

use color_match::Method;
use common::*;

#[test]
fn every_global_grade_is_undone_to_under_three_delta_e() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_still(dir.path());
    let ref_px = &rgba_frames(&reference)[0];
    let mut failures = Vec::new();
    for (name, filter) in GRADES {
        let graded = grade(&reference, filter, dir.path(), name);
        let graded_px = &rgba_frames(&graded)[0];
        let before = mean_delta_e(graded_px, ref_px);
        let lut = run_match(&graded, &reference, &[]);
        let after = mean_delta_e(&applied(&lut, graded_px), ref_px);
        println!("{name}: mean ΔE2000 {before:.2} -> {after:.2}");
        if !(after < 3.0 && after <= 0.3 * before) {
            failures.push(format!("{name}: {before:.2} -> {after:.2}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn every_method_reduces_the_error_of_every_grade() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_still(dir.path());
    let ref_px = &rgba_frames(&reference)[0];
    let mut failures = Vec::new();
    for (name, filter) in GRADES {
        let graded = grade(&reference, filter, dir.path(), name);
        let graded_px = &rgba_frames(&graded)[0];
        let before = mean_delta_e(graded_px, ref_px);
        let mut line = format!("{name:>16}: before {before:5.2}");
        for method in Method::ALL {
            let lut = run_match(&graded, &reference, &[("method", method.id())]);
            let after = mean_delta_e(&applied(&lut, graded_px), ref_px);
            line += &format!("  {} {after:5.2}", method.id());
            if after >= before {
                failures.push(format!("{name} {}: {before:.2} -> {after:.2}", method.id()));
            }
        }
        println!("{line}");
    }
    assert!(failures.is_empty(), "{failures:?}");
}
