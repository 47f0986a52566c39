//! The sound thread on a real ALSA device: the `file` PCM, which passes what is played on to
//! the `null` PCM and writes it to a file, so the test hears exactly what a sound card would.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutroom_app::audio_out::{AudioCommand, AudioPlayer};
use cutroom_app::playback::Program;
use cutroom_app::viewer::Viewer;
use cutroom_timeline::{Clip, Item, MediaReference, Rate, TimeRange, Timeline, Track, TrackKind};
use eframe::egui;

/// 48 kHz mono: sample `n` is [`ramp_at`]`(n)`; three seconds.
fn ramp(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("ramp.wav");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("aevalsrc='0.5*(mod(n,4800)/2400-1)':s=48000:d=3")
        .args(["-c:a", "pcm_s16le"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(ok.success());
    path
}

fn ramp_at(n: i64) -> f32 {
    0.5 * ((n % 4800) as f32 / 2400.0 - 1.0)
}

/// Reads what the `file` PCM captured: interleaved stereo `f32`.
fn captured_frames(path: &Path) -> Vec<[f32; 2]> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(8)
        .map(|b| {
            [
                f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                f32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            ]
        })
        .collect()
}

/// Asserts that `frames` are the ramp from media sample `first` on, the mono sound in
/// both channels at -3 dB.
fn assert_ramp_from(frames: &[[f32; 2]], first: i64) {
    for (i, f) in frames.iter().enumerate() {
        let want = ramp_at(first + i as i64) * std::f32::consts::FRAC_1_SQRT_2;
        assert!(
            (f[0] - want).abs() < 1e-4 && (f[1] - want).abs() < 1e-4,
            "frame {i}: {f:?} vs {want}"
        );
    }
}

/// A timeline of the ramp's three seconds, as sound on A1 (and, with `picture`, a clip of
/// that length on V1).
fn ramp_timeline(ramp: &Path, picture: Option<&Path>) -> Timeline {
    let r = Rate::FPS_25;
    let clip = |path: &Path| {
        Item::Clip(Clip::new(
            "clip",
            MediaReference::external(path.to_str().unwrap(), None),
            TimeRange::from_frames(0, 75, r),
        ))
    };
    let mut tl = Timeline::new("sound", r);
    if let Some(p) = picture {
        let mut v = Track::new("V1", TrackKind::Video);
        v.items = vec![clip(p)];
        tl.tracks.push(v);
    }
    let mut a = Track::new("A1", TrackKind::Audio);
    a.items = vec![clip(ramp)];
    tl.tracks.push(a);
    tl
}

/// A viewer playing the ramp under a grey picture (three seconds), its sound captured to
/// `captured` by the `file` PCM.
fn viewer_on_ramp(dir: &Path, captured: &Path) -> Viewer {
    let ramp = ramp(dir);
    let picture = dir.join("grey.mp4");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("color=c=gray:size=64x36:rate=25:duration=3")
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&picture)
        .status()
        .expect("ffmpeg runs");
    assert!(ok.success());
    let tl = ramp_timeline(&ramp, Some(&picture));
    let mut v = Viewer::new([64, 36]);
    v.sound_device = Some(format!("file:FILE={},FORMAT=raw", captured.display()));
    v.set_sound(Arc::new(tl.clone()), None);
    v.set_program(Program::from_timeline(&tl, None));
    v.tick(&egui::Context::default());
    v
}

/// Waits until `played()` (sample frames written) reaches `frames`.
fn wait_played(frames: i64, played: impl Fn() -> i64) {
    let start = Instant::now();
    while played() < frames {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "played {} of {frames}",
            played()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn playing_writes_the_timelines_sound_from_the_playhead_to_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let ramp = ramp(dir.path());
    let tl = ramp_timeline(&ramp, None);
    let captured = dir.path().join("played.raw");

    let player = AudioPlayer::spawn(Some(format!("file:FILE={},FORMAT=raw", captured.display())));
    player.send(AudioCommand::SetTimeline {
        timeline: Arc::new(tl),
        media_base: None,
    });
    // One second from frame 25, as the viewer asks when it plays up to a removal at 50.
    player.send(AudioCommand::Play {
        from: 25,
        until: Some(50),
    });
    wait_played(48_000, || player.played());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(player.played(), 48_000, "it stops at frame 50");
    assert_eq!(player.heard_seconds(), None, "nothing plays after it");
    assert_eq!(player.try_error(), None);
    drop(player); // closes the device: the file is complete

    let frames = captured_frames(&captured);
    assert_eq!(frames.len(), 48_000, "one second");
    assert_ramp_from(&frames, 48_000);
}

#[test]
fn a_missing_sound_device_is_reported_once_and_playback_goes_on_silently() {
    let mut tl = Timeline::new("silent", Rate::FPS_25);
    tl.tracks.push(Track::new("A1", TrackKind::Audio));
    let player = AudioPlayer::spawn(Some("no-such-device".into()));
    player.send(AudioCommand::SetTimeline {
        timeline: Arc::new(tl),
        media_base: None,
    });
    for _ in 0..3 {
        player.send(AudioCommand::Play {
            from: 0,
            until: None,
        });
    }
    let start = Instant::now();
    let error = loop {
        if let Some(e) = player.try_error() {
            break e;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no error");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(error.contains("no-such-device"), "{error}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(player.try_error(), None, "reported once");
    assert_eq!(player.played(), 0);
}

/// The viewer starts the sound with the picture at normal speed, up to a span playback
/// jumps over; pausing and reverse play are silent.
#[test]
fn the_viewer_plays_sound_forward_at_normal_speed_up_to_a_removal() {
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("played.raw");
    let mut v = viewer_on_ramp(dir.path(), &captured);
    v.skip_spans = vec![(40, 50)];
    v.seek(10);
    v.play(1);
    // Frames 10–40: 1.2 s. (The `file` PCM never makes the writer wait.)
    wait_played(57_600, || v.sound_played());
    v.play(0);
    v.play(-1);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        v.sound_played(),
        57_600,
        "nothing past frame 40, nothing in reverse"
    );
    assert_eq!(v.sound_error, None);
    drop(v);

    let frames = captured_frames(&captured);
    assert_eq!(frames.len(), 57_600);
    assert_ramp_from(&frames, 19_200);
}

/// Stepping a frame plays that frame's sound once; muted, it plays nothing.
#[test]
fn stepping_plays_the_sound_of_the_frame_and_mute_silences_it() {
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("played.raw");
    let mut v = viewer_on_ramp(dir.path(), &captured);
    v.seek(30);
    v.step(1);
    wait_played(1_920, || v.sound_played());
    v.step(-2);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(v.sound_played(), 1_920, "one frame (40 ms at 48 kHz)");
    v.muted = true;
    v.step(1);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(v.position, 30);
    drop(v);

    let frames = captured_frames(&captured);
    assert_eq!(
        frames.len(),
        2 * 1_920,
        "frames 31 and 29, nothing once muted"
    );
    assert_ramp_from(&frames[..1_920], 31 * 1_920);
    assert_ramp_from(&frames[1_920..], 29 * 1_920);
}
