//! `Renderer` on generated media: frame-exact cuts, exact duration, A/V sync, dissolves,
//! LUTs, subtitles, cancellation and bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{barcode_clip, gray_frames, h264, lavfi, read_barcode};
use cutroom_media::{
    probe, render_timeline, AudioOutput, AudioReader, LutInterpolation, MediaError, PixelFormat,
    RenderOptions, SubtitleMode, VideoOutput, VideoReader,
};
use cutroom_timeline::formats::SubtitleFormat;
use cutroom_timeline::{
    Clip, ColorTransform, Gap, Item, MediaReference, Rate, RationalTime, SubtitleCue, TimeRange,
    Timeline, Track, TrackKind, Transition,
};

fn clip(path: &Path, start: i64, frames: i64, rate: Rate) -> Item {
    Item::Clip(Clip::new(
        format!("{start}+{frames}"),
        MediaReference::external(path.to_str().unwrap(), None),
        TimeRange::from_frames(start, frames, rate),
    ))
}

fn gap(frames: i64, rate: Rate) -> Item {
    Item::Gap(Gap {
        duration: RationalTime::new(frames, rate),
    })
}

fn timeline(rate: Rate, items: Vec<Item>) -> Timeline {
    let mut t = Timeline::new("t", rate);
    let mut v = Track::new("V1", TrackKind::Video);
    v.items = items;
    t.tracks.push(v);
    t
}

fn render(t: &Timeline, out: &Path, options: &RenderOptions) -> Result<(), MediaError> {
    render_timeline(t, out, options, &mut |_, _| {}, &AtomicBool::new(false)).map(|_| ())
}

fn fast() -> RenderOptions {
    RenderOptions {
        preset: "ultrafast".into(),
        crf: 12,
        ..RenderOptions::default()
    }
}

fn mean(data: &[u8]) -> f64 {
    data.iter().map(|&v| f64::from(v)).sum::<f64>() / data.len() as f64
}

/// Mono 48 kHz samples of a file's audio.
fn samples(path: &Path) -> Vec<f32> {
    AudioReader::open(
        path,
        AudioOutput {
            sample_rate: 48_000,
            channels: 1,
        },
    )
    .unwrap()
    .map(|c| c.unwrap().data)
    .collect::<Vec<_>>()
    .concat()
}

#[test]
fn cuts_show_exactly_the_chosen_source_frames_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = barcode_clip(
        dir.path(),
        "src.mp4",
        "25",
        (320, 240),
        120,
        "",
        &h264("50"),
    );
    // Cuts in and out at non-keyframe positions (keyframes every 50 frames), going backwards
    // in the source too, with a gap.
    let ranges = [(13, 9), (71, 5), (3, 7), (57, 12)];
    let mut items: Vec<Item> = ranges
        .iter()
        .map(|&(s, n)| clip(&src, s, n, rate))
        .collect();
    items.insert(2, gap(4, rate));
    let t = timeline(rate, items);
    let out = dir.path().join("out.mp4");
    render(&t, &out, &fast()).unwrap();

    let frames = gray_frames(&out);
    let mut expected: Vec<Option<u32>> = Vec::new();
    for (i, &(s, n)) in ranges.iter().enumerate() {
        if i == 2 {
            expected.extend([None; 4]);
        }
        expected.extend((s..s + n).map(|f| Some(f as u32)));
    }
    assert_eq!(
        frames.len(),
        expected.len(),
        "one output frame per timeline frame"
    );
    for (i, (f, want)) in frames.iter().zip(&expected).enumerate() {
        match want {
            Some(n) => assert_eq!(read_barcode(f, 320), *n, "output frame {i}"),
            None => assert!(mean(&f.data) < 20.0, "gap frame {i} is black"),
        }
    }
}

#[test]
fn the_render_lasts_exactly_the_timeline_duration() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_29_97;
    let src = dir.path().join("src.mp4");
    lavfi(
        &[
            "testsrc2=size=320x240:rate=30000/1001",
            "sine=frequency=440:sample_rate=48000",
        ],
        &[
            "-t",
            "6",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            src.to_str().unwrap(),
        ],
    );
    let t = timeline(
        rate,
        vec![
            clip(&src, 7, 31, rate),
            gap(11, rate),
            clip(&src, 100, 29, rate),
        ],
    );
    assert_eq!(t.duration(), RationalTime::new(71, rate));
    let out = dir.path().join("out.mp4");
    let summary =
        render_timeline(&t, &out, &fast(), &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(summary.frames, 71);
    assert_eq!(summary.frame_rate, rate);
    // 71 frames at 30000/1001 = 2.369033… s = 113713.6 samples → 113714.
    assert_eq!(summary.samples, 113_714);

    let frames = gray_frames(&out);
    assert_eq!(frames.len(), 71);
    assert_eq!(frames[70].time, RationalTime::new(70, rate));
    let info = probe(&out).unwrap();
    // The MP4 audio track lasts exactly that many samples (the last AAC packet is short)…
    let audio_stream = info
        .streams
        .iter()
        .find(|s| matches!(s.kind, cutroom_media::StreamKind::Audio(_)))
        .unwrap();
    assert_eq!(
        audio_stream.duration,
        Some(RationalTime::new(113_714, Rate::HZ_48000))
    );
    // …while a decoder hands out whole AAC frames (FFmpeg 5.1 does not trim the end).
    let audio = samples(&out);
    assert!(
        (113_714..113_714 + 1024).contains(&audio.len()),
        "decoded {} samples",
        audio.len()
    );
    let secs = info.duration.unwrap().to_seconds();
    assert!(
        (secs - 71.0 * 1001.0 / 30000.0).abs() < 0.0015,
        "container duration {secs}"
    );
}

/// Frames of a flash clip: 25 fps, white at `flashes`, black otherwise; a 1 kHz beep lasting
/// exactly the flash frame, in PCM so that the source has no codec delay of its own.
fn beep_and_flash(dir: &Path, flashes: &[i64], frames: i64) -> PathBuf {
    beep_and_flash_as(dir, "flash.mov", "pcm_s16le", flashes, frames)
}

/// [`beep_and_flash`] in a chosen container (by `name`) and audio codec.
fn beep_and_flash_as(
    dir: &Path,
    name: &str,
    audio_codec: &str,
    flashes: &[i64],
    frames: i64,
) -> PathBuf {
    let path = dir.join(name);
    let lum = flashes
        .iter()
        .map(|f| format!("eq(N\\,{f})"))
        .collect::<Vec<_>>()
        .join("+");
    let beep = flashes
        .iter()
        .map(|f| {
            format!(
                "between(t\\,{}\\,{})",
                *f as f64 / 25.0,
                (*f + 1) as f64 / 25.0 - 1.0 / 96_000.0
            )
        })
        .collect::<Vec<_>>()
        .join("+");
    let vf = format!("geq=lum='if({lum}\\,235\\,16)':cb=128:cr=128");
    let af = format!("aevalsrc='0.8*sin(2*PI*1000*t)*({beep})':s=48000:c=stereo");
    let secs = format!("{}", frames as f64 / 25.0);
    lavfi(
        &["color=c=black:size=320x240:rate=25", &af],
        &[
            "-vf",
            &vf,
            "-t",
            &secs,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            audio_codec,
            path.to_str().unwrap(),
        ],
    );
    path
}

#[test]
fn picture_and_sound_stay_in_sync_across_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let src = beep_and_flash(dir.path(), &[12, 37, 61, 88, 113, 141, 166, 190], 220);
    let worst = sync_offset(dir.path(), &src);
    // Within one AAC frame (1024 samples at 48 kHz = 21.3 ms)…
    assert!(worst < 1024.0 / 48_000.0, "A/V offset {worst} s");
    // …and in fact within a millisecond.
    assert!(worst < 0.001, "A/V offset {worst} s");
}

#[test]
fn picture_and_sound_stay_in_sync_from_an_mp4_with_aac_sound() {
    let dir = tempfile::tempdir().unwrap();
    let flashes = [12, 37, 61, 88, 113, 141, 166, 190];
    let src = beep_and_flash_as(dir.path(), "flash.mp4", "aac", &flashes, 220);
    let worst = sync_offset(dir.path(), &src);
    // The source's AAC priming is compensated: still well within one AAC frame.
    assert!(worst < 0.002, "A/V offset {worst} s");
}

/// Renders a timeline of four cuts (at non-keyframe positions, one going back in the source)
/// of a beep-and-flash clip and returns the worst offset between a flash and its beep.
fn sync_offset(dir: &Path, src: &Path) -> f64 {
    let rate = Rate::FPS_25;
    // Cuts at non-keyframe positions; clip 2 goes back in the source; each clip holds flashes.
    let t = timeline(
        rate,
        vec![
            clip(src, 31, 37, rate),  // 37, 61
            clip(src, 7, 9, rate),    // 12
            clip(src, 139, 54, rate), // 141, 166, 190
            clip(src, 83, 11, rate),  // 88
        ],
    );
    let out = dir.join("out.mp4");
    render(&t, &out, &fast()).unwrap();

    let frames = gray_frames(&out);
    let flash_frames: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| mean(&f.data) > 128.0)
        .map(|(i, _)| i)
        .collect();
    // Expected output positions of the flashes.
    let expected = vec![
        6,
        30,
        37 + 5,
        37 + 9 + 2,
        37 + 9 + 27,
        37 + 9 + 51,
        37 + 9 + 54 + 5,
    ];
    assert_eq!(flash_frames, expected);

    let audio = samples(&out);
    // Beep onsets: the first sample of each run whose smoothed level passes half the peak.
    let peak = audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let win = 48; // 1 ms
    let mut onsets = Vec::new();
    let mut i = 0;
    while i + win < audio.len() {
        let level = audio[i..i + win].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if level > 0.5 * peak {
            // Refine to the first sample above half the peak in this window.
            let first = (i..i + win).find(|&j| audio[j].abs() > 0.5 * peak).unwrap();
            onsets.push(first);
            i += 48_000 / 5; // skip past this beep
        } else {
            i += win / 2;
        }
    }
    assert_eq!(
        onsets.len(),
        expected.len(),
        "one beep per flash: {onsets:?}"
    );
    let mut worst = 0.0f64;
    for (&f, &a) in expected.iter().zip(&onsets) {
        let offset = a as f64 / 48_000.0 - f as f64 / 25.0;
        eprintln!(
            "flash at frame {f}: beep onset offset {:+.3} ms",
            offset * 1000.0
        );
        worst = worst.max(offset.abs());
    }
    eprintln!("worst A/V offset: {:.3} ms", worst * 1000.0);
    worst
}

/// A solid-color clip (`rrggbb`) at 25 fps.
fn solid(dir: &Path, name: &str, color: &str, frames: u32) -> PathBuf {
    let path = dir.join(name);
    lavfi(
        &[&format!("color=c=0x{color}:size=320x240:rate=25")],
        &[
            "-frames:v",
            &frames.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            "0",
            "-pix_fmt",
            "yuv420p",
            path.to_str().unwrap(),
        ],
    );
    path
}

#[test]
fn a_dissolve_blends_both_clips_half_and_half_at_its_midpoint() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let light = solid(dir.path(), "light.mp4", "d0d0d0", 50);
    let dark = solid(dir.path(), "dark.mp4", "303030", 50);
    // 5-frame dissolve centred on the cut at frame 20: frames 18..23, midpoint 20.
    let t = timeline(
        rate,
        vec![
            clip(&light, 0, 20, rate),
            Item::Transition(Transition::dissolve(
                RationalTime::new(2, rate),
                RationalTime::new(3, rate),
            )),
            clip(&dark, 10, 20, rate),
        ],
    );
    let out = dir.path().join("out.mp4");
    render(&t, &out, &fast()).unwrap();
    let frames = gray_frames(&out);
    assert_eq!(frames.len(), 40);
    let m: Vec<f64> = frames.iter().map(|f| mean(&f.data)).collect();
    let (a, b) = (m[10], m[30]);
    assert!(a > b + 100.0, "light {a} dark {b}");
    assert!((m[17] - a).abs() < 2.0, "before the dissolve: {}", m[17]);
    assert!((m[23] - b).abs() < 2.0, "after the dissolve: {}", m[23]);
    let mid = (a + b) / 2.0;
    assert!((m[20] - mid).abs() < 2.0, "midpoint {} vs {mid}", m[20]);
    for (k, got) in m.iter().enumerate().take(23).skip(18) {
        let w = (k as f64 - 18.0 + 0.5) / 5.0;
        let want = a * (1.0 - w) + b * w;
        assert!((got - want).abs() < 2.5, "frame {k}: {got} vs {want}");
    }
}

#[test]
fn a_clip_color_transform_is_applied_to_its_frames() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = solid(dir.path(), "src.mp4", "b46432", 20); // (180, 100, 50)
                                                          // A linear LUT (exact under any interpolation): rotate channels (r,g,b) -> (b,r,g).
    let mut lut = ColorTransform::identity(17);
    for v in &mut lut.table {
        *v = [v[2], v[0], v[1]];
    }
    let mut with_lut = Clip::new(
        "graded",
        MediaReference::external(src.to_str().unwrap(), None),
        TimeRange::from_frames(0, 10, rate),
    );
    with_lut.color = Some(lut);
    let t = timeline(rate, vec![clip(&src, 0, 10, rate), Item::Clip(with_lut)]);
    let out = dir.path().join("out.mp4");
    render(&t, &out, &fast()).unwrap();
    let frames: Vec<_> = VideoReader::open(&out, VideoOutput::source_size(PixelFormat::Rgb24))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 20);
    let plain = mean_rgb(&frames[5]);
    let graded = mean_rgb(&frames[15]);
    for c in 0..3 {
        assert!(
            (plain[c] - [180.0, 100.0, 50.0][c]).abs() < 4.0,
            "plain {plain:?}"
        );
    }
    let want = [plain[2], plain[0], plain[1]];
    for c in 0..3 {
        assert!(
            (graded[c] - want[c]).abs() < 4.0,
            "graded {graded:?} vs {want:?}"
        );
    }
}

fn mean_rgb(f: &cutroom_media::VideoFrame) -> [f64; 3] {
    let mut s = [0f64; 3];
    for px in f.data.chunks_exact(3) {
        for c in 0..3 {
            s[c] += f64::from(px[c]);
        }
    }
    s.map(|v| v / (f.data.len() / 3) as f64)
}

#[test]
fn the_lut_interpolation_option_chooses_tetrahedral_or_trilinear() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = solid(dir.path(), "src.mp4", "b46432", 10); // (180, 100, 50)
                                                          // Green gets a lattice checkerboard on top of the identity: inside a cell the two
                                                          // interpolations weight its corners differently (about 20 levels apart here).
    let mut lut = ColorTransform::identity(17);
    let n = lut.size;
    for (i, v) in lut.table.iter_mut().enumerate() {
        let parity = (i % n + (i / n) % n + i / (n * n)) % 2;
        v[1] += 0.3 * parity as f32;
    }
    let plain = VideoReader::open(&src, VideoOutput::source_size(PixelFormat::Rgb24))
        .unwrap()
        .nth(5)
        .unwrap()
        .unwrap();
    let input = mean_rgb(&plain).map(|v| (v / 255.0) as f32);
    let mut graded = Clip::new(
        "graded",
        MediaReference::external(src.to_str().unwrap(), None),
        TimeRange::from_frames(0, 10, rate),
    );
    graded.color = Some(lut.clone());
    let t = timeline(rate, vec![Item::Clip(graded)]);
    let mut greens = Vec::new();
    for interp in [LutInterpolation::Tetrahedral, LutInterpolation::Trilinear] {
        let out = dir.path().join(format!("{interp}.mp4"));
        let options = RenderOptions {
            lut_interpolation: interp,
            ..fast()
        };
        render(&t, &out, &options).unwrap();
        let frame = VideoReader::open(&out, VideoOutput::source_size(PixelFormat::Rgb24))
            .unwrap()
            .nth(5)
            .unwrap()
            .unwrap();
        let got = mean_rgb(&frame)[1];
        let want = f64::from(cutroom_color::eval_lut_with(&lut, input, interp)[1]) * 255.0;
        assert!((got - want).abs() < 3.0, "{interp}: green {got} vs {want}");
        greens.push(got);
    }
    assert!(
        (greens[0] - greens[1]).abs() > 10.0,
        "the interpolations give {greens:?}"
    );
}

fn subtitle_timeline(dir: &Path) -> Timeline {
    let rate = Rate::FPS_25;
    let src = barcode_clip(dir, "src.mp4", "25", (320, 240), 100, "", &h264("25"));
    let mut t = timeline(rate, vec![clip(&src, 0, 100, rate)]);
    let mut s = Track::new("English", TrackKind::Subtitle);
    s.language = Some("en".into());
    s.cues = vec![
        SubtitleCue::new(TimeRange::from_frames(5, 20, rate), "First cue"),
        SubtitleCue::new(
            TimeRange::from_frames(30, 15, rate),
            "Second cue\non two lines",
        ),
        SubtitleCue::new(TimeRange::from_frames(60, 25, rate), "Third cue"),
    ];
    t.tracks.push(s);
    t
}

/// (start ms, end ms, text) of SRT text.
fn parse_srt(text: &str) -> Vec<(i64, i64, String)> {
    let ms = |s: &str| {
        let s = s.trim().replace(',', ":");
        let p: Vec<i64> = s.split(':').map(|x| x.parse().unwrap()).collect();
        ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + p[3]
    };
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let lines: Vec<&str> = b.lines().collect();
            let (a, z) = lines[1].split_once("-->").unwrap();
            (ms(a), ms(z), lines[2..].join("\n"))
        })
        .collect()
}

#[test]
fn soft_subtitles_become_a_mov_text_stream_with_every_cue() {
    let dir = tempfile::tempdir().unwrap();
    let t = subtitle_timeline(dir.path());
    let out = dir.path().join("out.mp4");
    let options = RenderOptions {
        subtitles: SubtitleMode::Soft,
        ..fast()
    };
    render(&t, &out, &options).unwrap();
    let codec = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "s", "-show_entries"])
        .args(["stream=codec_name:stream_tags=language", "-of", "csv=p=0"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&codec.stdout).trim(),
        "mov_text,eng"
    );
    let srt = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(&out)
        .args(["-map", "0:s", "-f", "srt", "-"])
        .output()
        .unwrap();
    assert!(
        srt.status.success(),
        "{}",
        String::from_utf8_lossy(&srt.stderr)
    );
    let cues = parse_srt(&String::from_utf8_lossy(&srt.stdout));
    assert_eq!(
        cues,
        vec![
            (200, 1000, "First cue".to_string()),
            (1200, 1800, "Second cue\non two lines".to_string()),
            (2400, 3400, "Third cue".to_string()),
        ]
    );
}

#[test]
fn sidecar_subtitles_are_written_next_to_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let t = subtitle_timeline(dir.path());
    let out = dir.path().join("out.mp4");
    let options = RenderOptions {
        subtitles: SubtitleMode::Sidecar(SubtitleFormat::Srt),
        ..fast()
    };
    let summary =
        render_timeline(&t, &out, &options, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    let sidecar = dir.path().join("out.srt");
    assert_eq!(summary.sidecar.as_deref(), Some(sidecar.as_path()));
    let cues = parse_srt(&std::fs::read_to_string(&sidecar).unwrap());
    assert_eq!(cues.len(), 3);
    assert_eq!(
        cues[1],
        (1200, 1800, "Second cue\non two lines".to_string())
    );
    // No subtitle stream in the video file itself.
    let info = probe(&out).unwrap();
    assert_eq!(info.subtitles().count(), 0);
}

#[test]
fn burned_in_subtitles_draw_text_only_while_a_cue_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let black = solid(dir.path(), "black.mp4", "000000", 50);
    let mut t = timeline(rate, vec![clip(&black, 0, 50, rate)]);
    let mut s = Track::new("English", TrackKind::Subtitle);
    s.cues = vec![SubtitleCue::new(
        TimeRange::from_frames(10, 20, rate),
        "BURNED IN TEXT",
    )];
    t.tracks.push(s);
    let out = dir.path().join("out.mp4");
    let options = RenderOptions {
        subtitles: SubtitleMode::BurnIn,
        ..fast()
    };
    render(&t, &out, &options).unwrap();
    let frames = gray_frames(&out);
    assert_eq!(frames.len(), 50);
    let bright = |f: &cutroom_media::VideoFrame| f.data.iter().filter(|&&v| v > 160).count();
    for (i, f) in frames.iter().enumerate() {
        if (10..30).contains(&i) {
            assert!(bright(f) > 100, "frame {i} shows the cue");
        } else {
            assert_eq!(bright(f), 0, "frame {i} shows no text");
        }
    }
}

#[test]
fn cancelling_stops_the_render_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = barcode_clip(
        dir.path(),
        "src.mp4",
        "25",
        (320, 240),
        250,
        "",
        &h264("50"),
    );
    let t = timeline(rate, vec![clip(&src, 0, 250, rate)]);
    let out = dir.path().join("out.mp4");
    let cancel = AtomicBool::new(false);
    let mut last = 0.0f32;
    let err = render_timeline(
        &t,
        &out,
        &fast(),
        &mut |fraction, _| {
            last = fraction;
            if fraction > 0.2 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, MediaError::Cancelled { .. }), "{err}");
    assert!(last > 0.2 && last < 0.5, "stopped promptly at {last}");
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["src.mp4".to_string()], "no partial file left");
}

#[test]
fn progress_runs_from_zero_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = barcode_clip(dir.path(), "src.mp4", "25", (320, 240), 30, "", &h264("50"));
    let t = timeline(rate, vec![clip(&src, 0, 30, rate)]);
    let mut seen = Vec::new();
    render_timeline(
        &t,
        &dir.path().join("out.mp4"),
        &fast(),
        &mut |f, msg| seen.push((f, msg.to_string())),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(seen.first().unwrap().0, 0.0);
    assert_eq!(seen.last().unwrap().0, 1.0);
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
}

#[test]
fn a_timeline_referencing_a_missing_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let missing = dir.path().join("nowhere.mp4");
    let t = timeline(rate, vec![clip(&missing, 0, 10, rate)]);
    let out = dir.path().join("out.mp4");
    let err = render(&t, &out, &fast()).unwrap_err();
    assert!(matches!(err, MediaError::NotFound { .. }), "{err}");
    assert_eq!(err.path(), missing);
    assert!(err.to_string().contains("nowhere.mp4"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_missing_output_directory_is_an_error_naming_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = barcode_clip(dir.path(), "src.mp4", "25", (320, 240), 10, "", &h264("50"));
    let t = timeline(rate, vec![clip(&src, 0, 10, rate)]);
    let out = dir.path().join("no/such/dir/out.mp4");
    let err = render(&t, &out, &fast()).unwrap_err();
    assert!(matches!(err, MediaError::Output { .. }), "{err}");
    assert_eq!(err.path(), out);
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn rendering_over_a_source_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = barcode_clip(dir.path(), "src.mp4", "25", (320, 240), 10, "", &h264("50"));
    let before = std::fs::read(&src).unwrap();
    let t = timeline(rate, vec![clip(&src, 0, 10, rate)]);
    // Same file through a different spelling of the path.
    let sneaky = dir.path().join(".").join("src.mp4");
    let err = render(&t, &sneaky, &fast()).unwrap_err();
    assert!(matches!(err, MediaError::Output { .. }), "{err}");
    assert!(err.to_string().contains("source file"), "{err}");
    assert_eq!(
        std::fs::read(&src).unwrap(),
        before,
        "the source is untouched"
    );
}

#[test]
fn an_unknown_encoder_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let rate = Rate::FPS_25;
    let src = barcode_clip(dir.path(), "src.mp4", "25", (320, 240), 10, "", &h264("50"));
    let t = timeline(rate, vec![clip(&src, 0, 10, rate)]);
    let out = dir.path().join("out.mp4");
    let options = RenderOptions {
        video_codec: "no-such-codec".into(),
        ..fast()
    };
    let err = render(&t, &out, &options).unwrap_err();
    assert!(matches!(err, MediaError::Render { .. }), "{err}");
    assert!(err.to_string().contains("no-such-codec"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// A ramp file for the mixer: 48 kHz mono, sample `n` is [`ramp_at`]`(n)`.
fn ramp(dir: &Path) -> PathBuf {
    let path = dir.join("ramp.wav");
    lavfi(
        &["aevalsrc='0.5*(mod(n,4800)/2400-1)':s=48000:d=3"],
        &["-c:a", "pcm_s16le", path.to_str().unwrap()],
    );
    path
}

fn ramp_at(n: i64) -> f32 {
    0.5 * ((n % 4800) as f32 / 2400.0 - 1.0)
}

fn audio_track(rate: Rate, items: Vec<Item>) -> Timeline {
    let mut t = Timeline::new("sound", rate);
    let mut a = Track::new("A1", TrackKind::Audio);
    a.items = items;
    t.tracks.push(a);
    t
}

/// The mixer plays any part of a timeline's sound, in any order, sample for sample as the
/// renderer places it: clips at their source position, gaps and missing media silent.
#[test]
fn the_sound_mixer_reads_any_span_of_the_timeline_sample_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let ramp = ramp(dir.path());
    let r = Rate::FPS_25;
    let t = audio_track(
        r,
        vec![
            clip(&ramp, 25, 25, r),                       // media 1.0–2.0 s at 0.0 s
            gap(10, r),                                   // 1.0–1.4 s
            clip(&ramp, 0, 25, r),                        // media 0.0–1.0 s at 1.4 s
            clip(&dir.path().join("gone.wav"), 0, 10, r), // 2.4–2.8 s
        ],
    );
    let out = AudioOutput {
        sample_rate: 48_000,
        channels: 1,
    };
    let mut mixer = cutroom_media::SoundMixer::new(&t, None, out).unwrap();
    assert_eq!(mixer.len_samples(), 134_400);
    let expected = |s: i64| -> f32 {
        match s {
            0..48_000 => ramp_at(48_000 + s),
            67_200..115_200 => ramp_at(s - 67_200),
            _ => 0.0,
        }
    };
    // Forward, across the gap, back to the start, across the end.
    for (a, n) in [
        (40_000, 30_000),
        (66_000, 3_000),
        (10, 100),
        (110_000, 30_000),
    ] {
        let mut block = vec![0.0f32; n];
        mixer.mix(a, &mut block).unwrap();
        for (i, v) in block.iter().enumerate() {
            let s = a + i as i64;
            assert!(
                (v - expected(s)).abs() < 1e-4,
                "sample {s}: {v} vs {}",
                expected(s)
            );
        }
    }
    // Stereo output carries the mono sound in both channels, at -3 dB each (the
    // resampler's constant-power spread).
    let mut stereo = cutroom_media::SoundMixer::new(
        &t,
        None,
        AudioOutput {
            sample_rate: 48_000,
            channels: 2,
        },
    )
    .unwrap();
    let mut block = vec![0.0f32; 200];
    stereo.mix(70_000, &mut block).unwrap();
    for (i, pair) in block.chunks(2).enumerate() {
        let want = expected(70_000 + i as i64) * std::f32::consts::FRAC_1_SQRT_2;
        assert!(
            (pair[0] - want).abs() < 1e-4 && (pair[1] - want).abs() < 1e-4,
            "{pair:?} {want}"
        );
    }
}
