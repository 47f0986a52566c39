//! Shared helpers: generated stills and clips, FFmpeg grades, raw frames and ΔE.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use color_match::ColorMatch;
use cutroom_plugin::context::VideoIter;
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::Harness;
use cutroom_plugin::{AudioRequest, MediaError, MediaSource};
use cutroom_source::FfmpegSource;

/// Width and height of generated media.
pub const W: usize = 640;
/// Height of generated media.
pub const H: usize = 360;

/// Runs the ffmpeg CLI quietly and panics with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Smooth multi-color gradients mixed with test-pattern detail, grain and a vignette: varied
/// hues, shadows and highlights, no large clipped areas. `extra` is appended to the graph
/// (e.g. time-varying filters for clips).
fn content_graph(seed: u32, speed: &str) -> String {
    format!(
        "gradients=s={W}x{H}:c0=0xb03020:c1=0x2050a0:c2=0xe8c870:c3=0x186030:c4=0xf0d8c0:\
         c5=0x101018:c6=0x80a0d0:nb_colors=7:seed={seed}:speed={speed}:x0=0:y0=0:x1={W}:y1={H},\
         format=rgb24[a];testsrc2=s={W}x{H},format=rgb24[b];\
         [a][b]blend=all_expr='A*0.8+B*0.2',noise=alls=5:allf=u,vignette=PI/5"
    )
}

/// Writes the reference still (PNG) into `dir`.
pub fn reference_still(dir: &Path) -> PathBuf {
    let path = dir.join("reference.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &content_graph(3, "0.01"),
        "-frames:v",
        "1",
        path.to_str().unwrap(),
    ]);
    path
}

/// Writes a lossless (PNG-in-Matroska) 25 fps clip of `frames` frames whose colors drift
/// over time.
pub fn reference_clip(dir: &Path, frames: u32) -> PathBuf {
    let path = dir.join("reference.mkv");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("{},fps=25", content_graph(5, "0.03")),
        "-frames:v",
        &frames.to_string(),
        "-c:v",
        "png",
        path.to_str().unwrap(),
    ]);
    path
}

/// The global grades the accuracy tests undo: (name, FFmpeg filter chain).
pub const GRADES: [(&str, &str); 4] = [
    (
        "eq",
        "format=yuv444p,eq=brightness=0.05:contrast=1.15:saturation=1.3:gamma=1.1,format=rgb24",
    ),
    (
        "colorbalance",
        "colorbalance=gs=0.05:bs=0.1:rm=0.08:gm=0.02:bm=-0.06:rh=0.06:bh=-0.06",
    ),
    ("colortemperature", "colortemperature=temperature=4200"),
    (
        "curves",
        "curves=r='0/0.04 0.5/0.58 1/0.96':g='0/0 0.5/0.46 1/1':b='0/0.08 0.5/0.5 1/0.9'",
    ),
];

/// Applies an FFmpeg filter chain to `input`, writing `name` (same container) in `dir`.
pub fn grade(input: &Path, filter: &str, dir: &Path, name: &str) -> PathBuf {
    let ext = input.extension().unwrap().to_str().unwrap();
    let path = dir.join(format!("{name}.{ext}"));
    let mut args = vec![
        "-i",
        input.to_str().unwrap(),
        "-sws_flags",
        "accurate_rnd+full_chroma_int+bitexact",
        "-vf",
        filter,
    ];
    if ext == "mkv" {
        args.extend(["-c:v", "png"]);
    }
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
    path
}

/// Every frame of `path` as RGBA8 at its native size, decoded by the ffmpeg CLI.
pub fn rgba_frames(path: &Path) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"])
        .output()
        .expect("ffmpeg must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.chunks(W * H * 4).map(<[u8]>::to_vec).collect()
}

/// Mean CIEDE2000 between two RGBA8 frames.
pub fn mean_delta_e(a: &[u8], b: &[u8]) -> f64 {
    cutroom_color::mean_delta_e_2000_rgba8(a, b, 0).unwrap()
}

/// A media file as the host would open it. `FfmpegSource` reports a still image as lasting
/// 0 frames (so a range over it is empty); this wrapper gives such a file its one frame.
pub struct Media(FfmpegSource);

impl Media {
    /// Opens `path`.
    pub fn open(path: &Path) -> Media {
        Media(FfmpegSource::open(path).unwrap())
    }

    fn is_still(&self) -> bool {
        self.0.meta().duration.value == 0
    }
}

impl MediaSource for Media {
    fn meta(&self) -> MediaMeta {
        let mut meta = self.0.meta();
        if self.is_still() {
            let rate = meta.frame_rate.unwrap_or(Rate::FPS_25);
            meta.duration = RationalTime::new(1, rate);
            meta.range = TimeRange::from_frames(0, 1, rate);
        }
        meta
    }

    fn open_video(
        &self,
        request: &VideoRequest,
        range: TimeRange,
    ) -> Result<VideoIter, MediaError> {
        self.0.open_video(request, range)
    }

    fn open_audio(
        &self,
        request: &AudioRequest,
        range: TimeRange,
    ) -> Result<cutroom_plugin::context::AudioIter, MediaError> {
        self.0.open_audio(request, range)
    }
}

/// Runs color-match on `shot` against `reference` with `params` (`key=value` pairs) and
/// returns the one proposed transform.
pub fn run_match(shot: &Path, reference: &Path, params: &[(&str, &str)]) -> ColorTransform {
    let manifest = ColorMatch.manifest();
    let params = Params::from_pairs(&manifest, params).unwrap();
    let result = Harness::new(Media::open(shot))
        .with_reference(Media::open(reference))
        .run(&ColorMatch, &params);
    let proposal = result.proposal.unwrap();
    assert_eq!(proposal.items.len(), 1, "one transform per shot");
    match &proposal.items[0].kind {
        ProposalKind::Color(t) => t.clone(),
        other => panic!("expected a color transform, got {other:?}"),
    }
}

/// `frame` with `lut` applied by our own code.
pub fn applied(lut: &ColorTransform, frame: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    cutroom_color::apply_lut_rgba8(lut, &mut out, W, H, 0).unwrap();
    out
}
