//! Plugins reading real files through FfmpegSource: exact ranges, packed frames, bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use cutroom_plugin::testing::Harness;
use cutroom_plugin::{AudioRequest, MediaSource, Params, PixelFormat, ProposalKind, VideoRequest};
use cutroom_source::FfmpegSource;
use cutroom_timeline::{Rate, RationalTime, TimeRange};

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg is installed by `make test-deps`");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// 25 fps, 4 s: 1.5 s dark, 1 s white (frames 38..63), 1.5 s dark; 48 kHz stereo sine.
fn clip_with_a_bright_second(dir: &Path) -> PathBuf {
    let out = dir.join("bright.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x202020:size=160x90:rate=25:duration=1.52",
        "-f",
        "lavfi",
        "-i",
        "color=c=white:size=160x90:rate=25:duration=1",
        "-f",
        "lavfi",
        "-i",
        "color=c=0x202020:size=160x90:rate=25:duration=1.48",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=4",
        "-filter_complex",
        "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
        "-map",
        "[v]",
        "-map",
        "3:a",
        "-ac",
        "2",
        "-c:v",
        "libx264",
        "-g",
        "12",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        out.to_str().unwrap(),
    ]);
    out
}

#[test]
fn video_range_yields_exactly_the_frames_in_it_tightly_packed() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_with_a_bright_second(dir.path());
    let source = FfmpegSource::open(&clip).unwrap();
    let meta = source.meta();
    assert_eq!(meta.frame_rate, Some(Rate::FPS_25));
    assert_eq!(meta.duration.to_frames(Rate::FPS_25), 100);
    // 30x17: an odd width whose RGB rows need no padding in our frames even if FFmpeg pads.
    let request = VideoRequest {
        width: 30,
        height: 17,
        format: PixelFormat::Rgb24,
    };
    let frames: Vec<_> = source
        .open_video(&request, TimeRange::from_frames(37, 10, Rate::FPS_25))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        frames.iter().map(|f| f.index).collect::<Vec<_>>(),
        (37..47).collect::<Vec<_>>()
    );
    for f in &frames {
        assert_eq!(f.data.len(), 30 * 17 * 3);
        assert_eq!(f.time, RationalTime::new(f.index, Rate::FPS_25));
    }
    assert!(frames[0].mean_luma() < 60.0, "frame 37 is dark");
    assert!(frames[1].mean_luma() > 200.0, "frame 38 is white");
}

#[test]
fn audio_range_yields_exactly_its_samples() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_with_a_bright_second(dir.path());
    let source = FfmpegSource::open(&clip).unwrap();
    let request = AudioRequest {
        sample_rate: 16_000,
        channels: 1,
    };
    let range = TimeRange::new(
        RationalTime::new(1, Rate::FPS_25),
        RationalTime::new(50, Rate::FPS_25),
    );
    let chunks: Vec<_> = source
        .open_audio(&request, range)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        chunks[0].start_sample, 640,
        "1 frame at 25 fps is 640 samples at 16 kHz"
    );
    let mut next = 640;
    for c in &chunks {
        assert_eq!(c.start_sample, next, "chunks are contiguous");
        next += c.frames() as i64;
    }
    assert_eq!(next, 640 + 32_000, "2 s at 16 kHz");
}

#[test]
fn example_plugin_finds_the_bright_second_in_a_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_with_a_bright_second(dir.path());
    let source = FfmpegSource::open(&clip).unwrap();
    let plugin = example_brightness::BrightFrames;
    let result = Harness::new(source).run(&plugin, &Params::default());
    let proposal = result.proposal.unwrap();
    let markers: Vec<_> = proposal
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ProposalKind::Marker(m) => Some(m.range),
            _ => None,
        })
        .collect();
    assert_eq!(markers, vec![TimeRange::from_frames(38, 25, Rate::FPS_25)]);
    assert!(result.progress_events.last().unwrap().0 >= 0.99);
}

#[test]
fn opening_a_text_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.mp4");
    std::fs::write(&f, vec![0u8; 1000]).unwrap();
    let err = FfmpegSource::open(&f).unwrap_err().to_string();
    assert!(err.contains("notes.mp4"), "{err}");
}

#[test]
fn asking_audio_of_a_silent_clip_says_there_is_no_audio_stream() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("video-only.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=25:duration=1",
        "-c:v",
        "libx264",
        out.to_str().unwrap(),
    ]);
    let source = FfmpegSource::open(&out).unwrap();
    let request = AudioRequest {
        sample_rate: 16_000,
        channels: 1,
    };
    let err = source
        .open_audio(&request, source.meta().range)
        .err()
        .unwrap();
    assert!(err.to_string().contains("audio"), "{err}");
}

#[test]
fn a_still_image_reads_as_one_frame() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("still.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48",
        "-frames:v",
        "1",
        png.to_str().unwrap(),
    ]);
    let source = FfmpegSource::open(&png).unwrap();
    let meta = source.meta();
    let rate = meta.frame_rate.expect("a still has a picture");
    assert_eq!(meta.duration.to_frames(rate), 1);
    let request = VideoRequest {
        width: 32,
        height: 24,
        format: PixelFormat::Rgba,
    };
    let frames: Vec<_> = source
        .open_video(&request, meta.range)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].data.len(), 32 * 24 * 4);
}
