//! Test media, generated with the ffmpeg command-line tool into a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use cutroom_media::{PixelFormat, VideoFrame, VideoOutput, VideoReader};

/// Height of the barcode band at the top of generated video.
pub const BAND: u32 = 24;
/// Bits in the barcode.
pub const BITS: u32 = 16;

/// Runs `ffmpeg -y` with `args`, panicking with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("the ffmpeg command-line tool is installed");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs ffmpeg with each of `sources` as a `-f lavfi -i` input, then `args` (filters,
/// codecs, the output path).
pub fn lavfi(sources: &[&str], args: &[&str]) {
    let mut all = Vec::with_capacity(sources.len() * 4 + args.len());
    for source in sources {
        all.extend_from_slice(&["-f", "lavfi", "-i", source]);
    }
    all.extend_from_slice(args);
    ffmpeg(&all);
}

/// A variable-frame-rate H.264 clip in `dir`: one second at 25 fps, then one at 50 fps
/// (75 frames), timestamps passed through.
pub fn vfr_clip(dir: &Path) -> PathBuf {
    let out = dir.join("vfr.mp4");
    lavfi(
        &[
            "testsrc2=size=320x240:rate=25:duration=1",
            "testsrc2=size=320x240:rate=50:duration=1",
        ],
        &[
            "-filter_complex",
            "[0][1]concat=n=2:v=1:a=0",
            "-fps_mode",
            "passthrough",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            out.to_str().unwrap(),
        ],
    );
    out
}

/// A `geq` filter that paints frame number `N` as a 16-bit barcode (bit i = cell i, white = 1)
/// in a band at the top of a `width`-pixel-wide picture, leaving the rest of the picture alone.
pub fn barcode_filter(width: u32) -> String {
    let cell = width / BITS;
    format!(
        "geq=lum='if(lt(Y\\,{BAND})\\,255*mod(floor(N/pow(2\\,floor(X/{cell})))\\,2)\\,lum(X\\,Y))'\
         :cb='if(lt(Y\\,{BAND})\\,128\\,cb(X\\,Y))':cr='if(lt(Y\\,{BAND})\\,128\\,cr(X\\,Y))'"
    )
}

/// Generates a clip of `seconds` at `rate` (an ffmpeg rate like `30000/1001`) and `size`
/// (`WxH`) whose frames carry their number as a barcode. `extra_vf` is appended to the filter
/// chain (e.g. `format=yuv420p10le`); `codec_args` choose the encoder.
pub fn barcode_clip(
    dir: &Path,
    name: &str,
    rate: &str,
    size: (u32, u32),
    frames: u32,
    extra_vf: &str,
    codec_args: &[&str],
) -> PathBuf {
    let path = dir.join(name);
    let src = format!("testsrc2=size=320x240:rate={rate}");
    let mut vf = format!(
        "scale={}:{},format=yuv420p,{}",
        size.0,
        size.1,
        barcode_filter(size.0)
    );
    if !extra_vf.is_empty() {
        vf.push(',');
        vf.push_str(extra_vf);
    }
    let frames = frames.to_string();
    let mut args = vec!["-f", "lavfi", "-i", &src, "-vf", &vf, "-frames:v", &frames];
    args.extend_from_slice(codec_args);
    let p = path.to_str().expect("utf-8 temp path");
    args.push(p);
    ffmpeg(&args);
    path
}

/// H.264 in MP4 with a keyframe every `gop` frames.
pub fn h264(gop: &'static str) -> Vec<&'static str> {
    vec![
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        gop,
        "-pix_fmt",
        "yuv420p",
    ]
}

/// Reads the barcode of a gray frame (any size: cells are sampled proportionally).
pub fn read_barcode(frame: &VideoFrame, source_width: u32) -> u32 {
    assert_eq!(frame.format, PixelFormat::Gray8);
    let cell = (source_width / BITS) as f64;
    let sx = frame.width as f64 / source_width as f64;
    let y = ((BAND as f64 / 2.0) * frame.height as f64 / 240.0).max(0.0) as usize;
    let y = y.min(frame.height as usize - 1);
    let mut n = 0;
    for bit in 0..BITS {
        let x = (((bit as f64 + 0.5) * cell) * sx) as usize;
        let v = frame.data[y * frame.stride + x.min(frame.width as usize - 1)];
        if v > 128 {
            n |= 1 << bit;
        }
    }
    n
}

/// All frames of `path` at source size, gray.
pub fn gray_frames(path: &Path) -> Vec<VideoFrame> {
    VideoReader::open(path, VideoOutput::source_size(PixelFormat::Gray8))
        .expect("opens")
        .collect::<Result<Vec<_>, _>>()
        .expect("decodes")
}

/// A small deterministic pseudo-random sequence (no extra dev-dependency needed).
pub struct Lcg(pub u64);

impl Lcg {
    /// Next value in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}
