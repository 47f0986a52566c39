//! Renders one whole clip (optionally through a `.cube` LUT) with the `Renderer`, for the
//! render benchmark in `bench/decode.sh`.
//!
//! Usage: `render_bench CLIP OUT.mp4 [LUT.cube] [--preset P] [--crf N]`

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use cutroom_media::{probe, render_timeline, RenderOptions};
use cutroom_timeline::{Clip, Item, MediaReference, TimeRange, Timeline, Track, TrackKind};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut options = RenderOptions::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--preset" => options.preset = args.next().expect("--preset value"),
            "--crf" => options.crf = args.next().expect("--crf value").parse().expect("crf"),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [clip, out, rest @ ..] = positional.as_slice() else {
        eprintln!("usage: render_bench CLIP OUT.mp4 [LUT.cube] [--preset P] [--crf N]");
        std::process::exit(2);
    };
    let info = probe(clip).unwrap_or_else(|e| fail(e));
    let video = info.video().expect("the clip has video");
    let rate = video.frame_rate.expect("constant frame rate");
    let frames = video.frame_count.expect("frame count");
    let mut c = Clip::new(
        "clip",
        MediaReference::external(clip.to_str().expect("utf-8 path"), None),
        TimeRange::from_frames(0, frames as i64, rate),
    );
    if let Some(lut) = rest.first() {
        c.color = Some(cutroom_timeline::formats::read_lut(lut).unwrap_or_else(|e| fail(e)));
    }
    let mut timeline = Timeline::new("bench", rate);
    let mut track = Track::new("V1", TrackKind::Video);
    track.items.push(Item::Clip(c));
    timeline.tracks.push(track);
    let summary = render_timeline(
        &timeline,
        out,
        &options,
        &mut |_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap_or_else(|e| fail(e));
    println!("{} frames", summary.frames);
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("render_bench: {e}");
    std::process::exit(1);
}
