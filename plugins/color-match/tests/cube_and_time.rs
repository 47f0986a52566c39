//! The exported `.cube` gives FFmpeg's lut3d the same pixels as our own LUT application,
//! and a shot matched over time gets one transform with no frame-to-frame jumps.

mod common;

use std::process::Command;

use common::*;
use cutroom_plugin::timeline::formats::{read_lut, write_lut};

#[test]
fn ffmpeg_lut3d_with_the_exported_cube_gives_our_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_still(dir.path());
    let (name, filter) = GRADES[0];
    let graded = grade(&reference, filter, dir.path(), name);
    let lut = run_match(&graded, &reference, &[]);
    let cube = dir.path().join("look.cube");
    write_lut(&lut, &cube).unwrap();
    assert_eq!(
        read_lut(&cube).unwrap(),
        lut,
        "the .cube reads back unchanged"
    );

    let graded_px = &rgba_frames(&graded)[0];
    let ours = applied(&lut, graded_px);
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(&graded)
        .args(["-vf"])
        .arg(format!(
            "format=rgba,lut3d=file={}:interp=tetrahedral",
            cube.display()
        ))
        .args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = out.stdout;
    let de = mean_delta_e(&ours, &theirs);
    let max_level = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    println!("ours vs ffmpeg lut3d: mean ΔE2000 {de:.3}, max level difference {max_level}");
    assert!(de < 0.5, "mean ΔE {de}");
    assert!(max_level <= 2, "max level difference {max_level}");
}

#[test]
fn a_shot_matched_over_time_has_one_transform_and_no_frame_to_frame_jumps() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_clip(dir.path(), 50);
    let graded = grade(&reference, GRADES[3].1, dir.path(), "graded");
    let lut = run_match(&graded, &reference, &[]); // asserts a single Color item
    assert_eq!(lut.params["source_frames"], 30);
    let refs = rgba_frames(&reference);
    let grads = rgba_frames(&graded);
    assert_eq!(refs.len(), 50);
    let errors: Vec<f64> = grads
        .iter()
        .zip(&refs)
        .map(|(g, r)| mean_delta_e(&applied(&lut, g), r))
        .collect();
    let before: Vec<f64> = grads
        .iter()
        .zip(&refs)
        .map(|(g, r)| mean_delta_e(g, r))
        .collect();
    let worst = errors.iter().cloned().fold(0.0, f64::max);
    let jump = errors
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f64::max);
    println!(
        "per-frame ΔE2000 before {:.2}..{:.2}, after {:.2}..{worst:.2}, largest frame-to-frame change {jump:.3}",
        before.iter().cloned().fold(f64::MAX, f64::min),
        before.iter().cloned().fold(0.0, f64::max),
        errors.iter().cloned().fold(f64::MAX, f64::min),
    );
    assert!(worst < 3.0, "{errors:?}");
    assert!(jump < 0.2, "{errors:?}");
}

#[test]
fn a_still_image_works_as_the_reference_for_a_clip() {
    let dir = tempfile::tempdir().unwrap();
    let still = reference_still(dir.path());
    let clip = reference_clip(dir.path(), 10);
    let graded = grade(&clip, GRADES[2].1, dir.path(), "warm");
    let lut = run_match(&graded, &still, &[("frames", "5"), ("lut_size", "17")]);
    assert_eq!(lut.size, 17);
    assert_eq!(lut.params["source_frames"], 5);
    assert_eq!(lut.params["reference_frames"], 1);
    // The clip and the still share their palette, so the warm cast is mostly removed.
    let g = &rgba_frames(&graded)[0];
    let r = &rgba_frames(&clip)[0];
    let before = mean_delta_e(g, r);
    let after = mean_delta_e(&applied(&lut, g), r);
    println!("still reference: ΔE2000 {before:.2} -> {after:.2}");
    assert!(after < 0.5 * before, "{before} -> {after}");
}
