//! `probe` on generated media.

mod common;

use common::{barcode_clip, ffmpeg, h264, lavfi, vfr_clip};
use cutroom_media::{probe, StreamKind};
use cutroom_timeline::{Rate, RationalTime};

#[test]
fn ntsc_rate_is_reported_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "a.mp4",
        "30000/1001",
        (320, 240),
        30,
        "",
        &h264("12"),
    );
    let info = probe(&clip).unwrap();
    let v = info.video().unwrap();
    assert_eq!(v.frame_rate, Some(Rate::FPS_29_97));
    assert_eq!(v.avg_frame_rate, Some(Rate::FPS_29_97));
    assert!(!v.variable_frame_rate);
    assert_eq!((v.width, v.height), (320, 240));
    assert_eq!(v.codec, "h264");
    assert_eq!(v.pixel_format.as_deref(), Some("yuv420p"));
    assert_eq!(v.frame_count, Some(30));
    assert_eq!(v.rotation, 0);
    assert!(info.format.contains("mp4"));
    assert!(info.audio().is_none());
    // 30 frames at 30000/1001 = 1.001 s.
    let d = info.streams[0].duration.unwrap();
    assert_eq!(d, RationalTime::new(30, Rate::FPS_29_97));
}

#[test]
fn film_rate_23_976_is_reported_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "a.mp4",
        "24000/1001",
        (320, 240),
        24,
        "",
        &h264("12"),
    );
    let v = probe(&clip).unwrap().video().unwrap().clone();
    assert_eq!(v.frame_rate, Some(Rate::FPS_23_976));
}

#[test]
fn variable_frame_rate_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let out = vfr_clip(dir.path());
    let v = probe(&out).unwrap().video().unwrap().clone();
    assert!(v.variable_frame_rate, "{v:?}");
}

#[test]
fn rotation_tag_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(dir.path(), "a.mp4", "25", (320, 240), 10, "", &h264("12"));
    let rotated = dir.path().join("rot.mp4");
    ffmpeg(&[
        "-i",
        clip.to_str().unwrap(),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        rotated.to_str().unwrap(),
    ]);
    assert_eq!(probe(&rotated).unwrap().video().unwrap().rotation, 90);
}

#[test]
fn ten_bit_pixel_format_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let clip = barcode_clip(
        dir.path(),
        "a.mp4",
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
    let v = probe(&clip).unwrap().video().unwrap().clone();
    assert_eq!(v.pixel_format.as_deref(), Some("yuv420p10le"));
}

#[test]
fn audio_subtitles_and_timecode_are_described() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("s.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:01,000\nHello\n").unwrap();
    let out = dir.path().join("all.mov");
    lavfi(
        &[
            "testsrc2=size=320x240:rate=25:duration=1",
            "sine=frequency=440:sample_rate=48000:duration=1",
        ],
        &[
            "-i",
            srt.to_str().unwrap(),
            "-map",
            "0",
            "-map",
            "1",
            "-map",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-ac",
            "2",
            "-c:s",
            "mov_text",
            "-metadata:s:s:0",
            "language=fra",
            "-timecode",
            "01:00:00:00",
            out.to_str().unwrap(),
        ],
    );
    let info = probe(&out).unwrap();
    let a = info.audio().unwrap();
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("aac", 48000, 2)
    );
    assert_eq!(a.layout.as_deref(), Some("stereo"));
    let subs: Vec<_> = info.subtitles().collect();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].codec, "mov_text");
    assert_eq!(subs[0].language.as_deref(), Some("fra"));
    assert_eq!(info.timecode.as_deref(), Some("01:00:00:00"));
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["streams"][0]["type"], "video");
    assert_eq!(json["streams"][0]["codec"], "h264");
}

#[test]
fn audio_only_file_has_no_video() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.wav");
    lavfi(
        &["sine=sample_rate=16000:duration=1"],
        &[out.to_str().unwrap()],
    );
    let info = probe(&out).unwrap();
    assert!(info.video().is_none());
    assert_eq!(info.audio().unwrap().sample_rate, 16000);
    assert!(matches!(info.streams[0].kind, StreamKind::Audio(_)));
}
