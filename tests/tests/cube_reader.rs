//! `.cube` files written by Cutroom, read by FFmpeg's `lut3d` filter.
//!
//! Each test writes a LUT with known content, applies it with
//! `ffmpeg -vf lut3d=file=...:interp=tetrahedral` to 8-bit RGB frames, and compares FFmpeg's
//! output with the function the LUT samples, evaluated at every pixel. A channel-swapping LUT
//! would come out scrambled if the table order (red fastest) or the domain were read
//! differently from what we mean.

use std::path::Path;

use cutroom_integration::run_tool_ok;
use cutroom_timeline::formats::write_lut;
use cutroom_timeline::ColorTransform;

const W: usize = 64;
const H: usize = 64;

/// Escapes `s` for one level of FFmpeg's filter syntax: backslash-escapes `\`, `'` and every
/// character in `special`.
fn ffmpeg_escape(s: &str, special: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || c == '\'' || special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `-vf` string applying the LUT at `path`: the path is escaped once as an option value
/// and once more for the filtergraph parser.
fn lut3d_filter(path: &Path) -> String {
    let path = path.to_str().expect("temp path is UTF-8");
    let option = format!("file={}:interp=tetrahedral", ffmpeg_escape(path, ":="));
    ffmpeg_escape(&format!("lut3d={option}"), "[],;")
}

/// Test frames as packed RGB24: one frame of FFmpeg's `testsrc2` and a synthetic frame that
/// covers every 8-bit level on each channel.
fn test_frames(dir: &Path) -> Vec<u8> {
    let testsrc = dir.join("testsrc2.rgb");
    let testsrc_str = testsrc.to_str().unwrap();
    run_tool_ok(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size={W}x{H}"),
            "-frames:v",
            "1",
            "-pix_fmt",
            "rgb24",
            "-f",
            "rawvideo",
            testsrc_str,
        ],
    );
    let mut pixels = std::fs::read(&testsrc).unwrap();
    assert_eq!(pixels.len(), W * H * 3, "testsrc2 frame size");
    for y in 0..H {
        for x in 0..W {
            let i = y * W + x;
            pixels.push((i % 256) as u8);
            pixels.push(((i * 7 + 13) % 256) as u8);
            pixels.push(((i * 31 + y) % 256) as u8);
        }
    }
    pixels
}

/// Applies the LUT file at `lut` to `input` (RGB24 frames of W×H) with FFmpeg.
fn apply_with_ffmpeg(dir: &Path, lut: &Path, input: &[u8]) -> Vec<u8> {
    let frames = input.len() / (W * H * 3);
    let src = dir.join("input.rgb");
    let dst = dir.join("output.rgb");
    std::fs::write(&src, input).unwrap();
    let filter = lut3d_filter(lut);
    run_tool_ok(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            &format!("{W}x{H}"),
            "-i",
            src.to_str().unwrap(),
            "-vf",
            &filter,
            "-frames:v",
            &frames.to_string(),
            "-pix_fmt",
            "rgb24",
            "-f",
            "rawvideo",
            dst.to_str().unwrap(),
        ],
    );
    let out = std::fs::read(&dst).unwrap();
    assert_eq!(out.len(), input.len(), "ffmpeg output size");
    out
}

/// Builds a LUT sampling `f` on the lattice over `[domain_min, domain_max]`.
fn sampled_lut(
    size: usize,
    domain_min: [f32; 3],
    domain_max: [f32; 3],
    f: impl Fn([f32; 3]) -> [f32; 3],
) -> ColorTransform {
    let mut lut = ColorTransform::identity(size);
    lut.title = "cutroom test".into();
    lut.domain_min = domain_min;
    lut.domain_max = domain_max;
    let step = |c: usize, i: usize| {
        domain_min[c] + (domain_max[c] - domain_min[c]) * i as f32 / (size - 1) as f32
    };
    lut.table.clear();
    for b in 0..size {
        for g in 0..size {
            for r in 0..size {
                lut.table.push(f([step(0, r), step(1, g), step(2, b)]));
            }
        }
    }
    lut
}

/// Mean and max absolute difference, in 8-bit levels, between FFmpeg's output and `f`
/// evaluated at each input pixel.
fn compare(input: &[u8], output: &[u8], f: impl Fn([f32; 3]) -> [f32; 3]) -> (f64, u8) {
    let mut sum = 0u64;
    let mut max = 0u8;
    for (px_in, px_out) in input.chunks_exact(3).zip(output.chunks_exact(3)) {
        let rgb = [0, 1, 2].map(|c| f32::from(px_in[c]) / 255.0);
        let want = f(rgb).map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8);
        for c in 0..3 {
            let d = want[c].abs_diff(px_out[c]);
            sum += u64::from(d);
            max = max.max(d);
        }
    }
    (sum as f64 / input.len() as f64, max)
}

/// Output red from input green through a 2.2 power, green from blue, blue from inverted red.
fn swap_and_gamma(rgb: [f32; 3]) -> [f32; 3] {
    [rgb[1].max(0.0).powf(2.2), rgb[2], 1.0 - rgb[0]]
}

/// A directory whose name needs escaping in a filtergraph (space, comma, colon, quote).
fn awkward_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cube luts, v1: 'x' [a];")
        .tempdir()
        .unwrap()
}

#[test]
fn identity_lut_written_by_cutroom_gives_back_the_input_in_ffmpeg() {
    let dir = awkward_dir();
    let input = test_frames(dir.path());
    for size in [2, 17, 33] {
        let path = dir.path().join(format!("identity {size}.cube"));
        write_lut(&ColorTransform::identity(size), &path).unwrap();
        let output = apply_with_ffmpeg(dir.path(), &path, &input);
        let (mean, max) = compare(&input, &output, |rgb| rgb);
        assert!(
            mean < 0.5 && max <= 1,
            "size {size}: mean {mean:.3}, max {max}"
        );
    }
}

#[test]
fn channel_swapping_gamma_lut_is_applied_by_ffmpeg_as_written() {
    let dir = awkward_dir();
    let input = test_frames(dir.path());
    for size in [17, 33] {
        let lut = sampled_lut(size, [0.0; 3], [1.0; 3], swap_and_gamma);
        let path = dir.path().join(format!("swap gamma {size}.cube"));
        write_lut(&lut, &path).unwrap();
        let output = apply_with_ffmpeg(dir.path(), &path, &input);
        let (mean, max) = compare(&input, &output, swap_and_gamma);
        assert!(
            mean < 1.5 && max < 4,
            "size {size}: mean {mean:.3}, max {max}"
        );
    }
}

#[test]
fn per_channel_domain_max_is_honoured_by_ffmpeg() {
    // FFmpeg 5.1 applies DOMAIN_MAX per channel (and ignores a non-zero DOMAIN_MIN), so the
    // domain here starts at 0; each channel gets a different upper bound.
    let dir = awkward_dir();
    let input = test_frames(dir.path());
    let lut = sampled_lut(33, [0.0; 3], [1.0, 2.0, 4.0], swap_and_gamma);
    let path = dir.path().join("domain.cube");
    write_lut(&lut, &path).unwrap();
    let output = apply_with_ffmpeg(dir.path(), &path, &input);
    let (mean, max) = compare(&input, &output, swap_and_gamma);
    assert!(mean < 1.5 && max < 4, "mean {mean:.3}, max {max}");
}
