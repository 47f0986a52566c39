//! `VideoReader` on generated media whose frames carry their number as a barcode.

mod common;

use common::{barcode_clip, gray_frames, h264, lavfi, read_barcode, vfr_clip, Lcg};
use cutroom_media::{PixelFormat, VideoOutput, VideoReader};
use cutroom_timeline::{Rate, RationalTime};

#[test]
fn every_frame_of_a_29_97_clip_has_its_index_and_exact_time() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "a.mp4",
        "30000/1001",
        (320, 240),
        90,
        "",
        &h264("30"),
    );
    let frames = gray_frames(&clip);
    assert_eq!(frames.len(), 90);
    for (n, f) in frames.iter().enumerate() {
        assert_eq!(f.index, n as i64);
        assert_eq!(
            f.time,
            RationalTime::new(n as i64, Rate::FPS_29_97),
            "frame {n}"
        );
        assert_eq!(read_barcode(f, 320), n as u32, "barcode of frame {n}");
    }
}

#[test]
fn every_frame_of_a_23_976_clip_has_its_index_and_exact_time() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "a.mp4",
        "24000/1001",
        (320, 240),
        48,
        "",
        &h264("24"),
    );
    let reader = VideoReader::open(&clip, VideoOutput::source_size(PixelFormat::Gray8)).unwrap();
    assert_eq!(reader.rate(), Rate::FPS_23_976);
    let frames: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len(), 48);
    for (n, f) in frames.iter().enumerate() {
        assert_eq!(f.index, n as i64);
        assert_eq!(f.time, RationalTime::new(n as i64, Rate::FPS_23_976));
        assert_eq!(read_barcode(f, 320), n as u32);
    }
}

#[test]
fn seeking_to_random_frames_lands_on_exactly_that_frame() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "a.mp4",
        "30000/1001",
        (320, 240),
        300,
        "",
        &h264("48"),
    );
    let mut reader =
        VideoReader::open(&clip, VideoOutput::source_size(PixelFormat::Gray8)).unwrap();
    let mut rng = Lcg(7);
    let mut targets: Vec<i64> = (0..25).map(|_| rng.below(300) as i64).collect();
    targets.extend([0, 299, 48, 47, 49, 150]);
    for n in targets {
        reader.seek_to_frame(n).unwrap();
        let f = reader.next().unwrap().unwrap();
        assert_eq!(f.index, n);
        assert_eq!(read_barcode(&f, 320), n as u32, "seek to {n}");
        if n < 299 {
            let g = reader.next().unwrap().unwrap();
            assert_eq!((g.index, read_barcode(&g, 320)), (n + 1, n as u32 + 1));
        }
    }
}

#[test]
fn seeking_past_the_end_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "short.mp4",
        "25",
        (320, 240),
        20,
        "",
        &h264("10"),
    );
    let mut reader =
        VideoReader::open(&clip, VideoOutput::source_size(PixelFormat::Gray8)).unwrap();
    let err = reader.seek_to_frame(500).unwrap_err();
    assert!(err.to_string().contains("short.mp4"), "{err}");
    // The reader is still usable after a failed seek.
    reader.seek_to_frame(3).unwrap();
    assert_eq!(reader.next().unwrap().unwrap().index, 3);
}

#[test]
fn frames_are_scaled_to_the_requested_size_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(dir.path(), "a.mp4", "25", (320, 240), 5, "", &h264("5"));
    for (format, bpp) in [
        (PixelFormat::Rgba, 4),
        (PixelFormat::Rgb24, 3),
        (PixelFormat::Gray8, 1),
    ] {
        let out = VideoOutput {
            width: 160,
            height: 120,
            format,
        };
        let frames: Vec<_> = VideoReader::open(&clip, out)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(frames.len(), 5);
        for f in &frames {
            assert_eq!((f.width, f.height, f.stride), (160, 120, 160 * bpp));
            assert_eq!(f.data.len(), 160 * 120 * bpp);
        }
        if format == PixelFormat::Gray8 {
            assert_eq!(read_barcode(&frames[3], 320), 3);
        }
    }
}

#[test]
fn odd_sized_frames_decode_with_the_right_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "odd.mkv",
        "25",
        (321, 241),
        12,
        "format=yuv420p",
        &["-c:v", "ffv1"],
    );
    let frames = gray_frames(&clip);
    assert_eq!(frames.len(), 12);
    for (n, f) in frames.iter().enumerate() {
        assert_eq!(
            (f.width, f.height, f.stride, f.data.len()),
            (321, 241, 321, 321 * 241)
        );
        assert_eq!(f.index, n as i64);
        assert_eq!(read_barcode(f, 321), n as u32);
    }
    let rgba = VideoReader::open(&clip, VideoOutput::source_size(PixelFormat::Rgba))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!((rgba.stride, rgba.data.len()), (321 * 4, 321 * 241 * 4));
}

#[test]
fn ten_bit_video_decodes_to_eight_bit_output() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "ten.mp4",
        "25",
        (320, 240),
        10,
        "format=yuv420p10le",
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p10le",
        ],
    );
    let frames = gray_frames(&clip);
    assert_eq!(frames.len(), 10);
    for (n, f) in frames.iter().enumerate() {
        assert_eq!(read_barcode(f, 320), n as u32);
    }
}

#[test]
fn variable_frame_rate_frames_keep_their_exact_times() {
    let dir = tempfile::tempdir().unwrap();
    let out = vfr_clip(dir.path());
    let reader = VideoReader::open(&out, VideoOutput::source_size(PixelFormat::Gray8)).unwrap();
    // Indices are counted on the grid of the base rate (50 fps here).
    assert_eq!(reader.rate(), Rate::new(50, 1).unwrap());
    let frames: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    // 25 + 50 frames are encoded; FFmpeg itself decodes 74 of them (the edit list trims the last).
    assert!((74..=75).contains(&frames.len()), "{} frames", frames.len());
    let fifty = Rate::new(50, 1).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let expect = if i < 25 {
            2 * i as i64
        } else {
            50 + (i as i64 - 25)
        };
        assert_eq!(f.index, expect, "frame {i}");
        assert_eq!(f.time, RationalTime::new(expect, fifty));
    }
}

#[test]
fn audio_only_file_has_no_video_stream() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tone.wav");
    lavfi(&["sine=duration=1"], &[out.to_str().unwrap()]);
    let err = VideoReader::open(&out, VideoOutput::source_size(PixelFormat::Gray8)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("tone.wav") && msg.contains("no video stream"),
        "{msg}"
    );
}

#[test]
fn reader_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<VideoReader>();
}
