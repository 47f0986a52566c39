//! The `cutroom` binary as a script uses it: exit codes, one-line errors, conversions.

use std::path::Path;
use std::process::{Command, Output};

fn cutroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(args)
        .output()
        .expect("run cutroom")
}

/// Runs `cutroom` and asserts it succeeded, showing its stderr otherwise.
fn cutroom_ok(args: &[&str]) -> Output {
    let out = cutroom(args);
    assert!(
        out.status.success(),
        "cutroom {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const SRT: &str = "1\n00:00:01,000 --> 00:00:02,500\nHello there,\nworld.\n\n2\n00:01:00,040 --> 00:01:03,000\nSecond <cue> & more\n";

#[test]
fn srt_converts_to_webvtt_and_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("in.srt");
    let vtt = dir.path().join("out.vtt");
    let back = dir.path().join("back.srt");
    std::fs::write(&srt, SRT).unwrap();
    cutroom_ok(&["convert", p(&srt), p(&vtt)]);
    let vtt_text = std::fs::read_to_string(&vtt).unwrap();
    assert!(vtt_text.starts_with("WEBVTT"), "{vtt_text}");
    assert!(
        vtt_text.contains("00:01:00.040 --> 00:01:03.000"),
        "{vtt_text}"
    );
    cutroom_ok(&["convert", p(&vtt), p(&back)]);
    let a = cutroom_timeline::formats::read_subtitles(&srt).unwrap();
    let b = cutroom_timeline::formats::read_subtitles(&back).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(
        a.iter()
            .map(|c| (c.range, c.text.clone()))
            .collect::<Vec<_>>(),
        b.iter()
            .map(|c| (c.range, c.text.clone()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn info_json_counts_cues() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("in.srt");
    std::fs::write(&srt, SRT).unwrap();
    let out = cutroom_ok(&["info", "--json", p(&srt)]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "subtitles");
    assert_eq!(v["cues"], 2);
    assert_eq!(v["last_end_seconds"], 63.0);
}

#[test]
fn malformed_subtitles_fail_with_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("broken.srt");
    std::fs::write(&srt, "1\n00:00:05,000 --> 00:00:01,000\nbackwards\n").unwrap();
    let out = cutroom(&["info", p(&srt)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("cutroom: error:"), "{err}");
    assert!(err.contains("broken.srt:2"), "{err}");
}

#[test]
fn unknown_file_type_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "hello").unwrap();
    let out = cutroom(&["info", p(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown file type"));
}

#[test]
fn converting_subtitles_to_a_timeline_format_is_refused_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("in.srt");
    let otio = dir.path().join("out.otio");
    std::fs::write(&srt, SRT).unwrap();
    let out = cutroom(&["convert", p(&srt), p(&otio)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!otio.exists());
}

#[test]
fn converting_a_file_onto_itself_is_refused_and_the_source_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("in.srt");
    std::fs::write(&srt, SRT).unwrap();
    let out = cutroom(&["convert", p(&srt), p(&srt)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&srt).unwrap(), SRT);
}

#[test]
fn missing_input_names_the_file() {
    let out = cutroom(&["info", "/no/such/cut.otio"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/cut.otio"));
}

#[test]
fn bad_rate_is_a_usage_error() {
    let out = cutroom(&["info", "--rate", "0", "x.edl"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn probe_json_reports_exact_ntsc_rate_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=30000/1001:duration=1")
        .args(["-f", "lavfi", "-i", "sine=duration=1:sample_rate=48000"])
        .args(["-c:v", "libx264", "-c:a", "aac", "-shortest"])
        .arg(&clip)
        .status()
        .expect("ffmpeg is installed by `make test-deps`");
    assert!(status.success());
    let out = cutroom_ok(&["probe", "--json", p(&clip)]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let video = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "video")
        .expect("a video stream");
    assert_eq!(video["width"], 320);
    assert_eq!(video["height"], 240);
    assert_eq!(video["frame_rate"]["num"], 30000);
    assert_eq!(video["frame_rate"]["den"], 1001);
    let audio = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "audio")
        .expect("an audio stream");
    assert_eq!(audio["sample_rate"], 48000);
}

#[test]
fn probe_of_random_bytes_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("noise.mp4");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&f, bytes).unwrap();
    let out = cutroom(&["probe", p(&f)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("noise.mp4"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn output_closed_early_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args([
            "info",
            "--json",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../assets/examples/demo.otio"
            ),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn edl_converts_to_otio_and_fcpxml_keeping_every_frame() {
    let dir = tempfile::tempdir().unwrap();
    let edl = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/examples/demo.edl"
    );
    let otio = dir.path().join("demo.otio");
    let back = dir.path().join("back.edl");
    let fcpxml = dir.path().join("demo.fcpxml");
    let project = dir.path().join("demo.cutroom");
    for (from, to) in [
        (edl, p(&otio)),
        (p(&otio), p(&back)),
        (p(&otio), p(&fcpxml)),
        (p(&otio), p(&project)),
    ] {
        let out = cutroom(&["convert", "--rate", "29.97", "--drop-frame", from, to]);
        assert!(
            out.status.success(),
            "{from} -> {to}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    use cutroom_timeline::formats::{read_timeline, ReadOptions};
    let opts = ReadOptions {
        edl_rate: cutroom_timeline::Rate::FPS_29_97,
    };
    let a = read_timeline(Path::new(edl), &opts).unwrap();
    let b = read_timeline(&back, &opts).unwrap();
    let c = read_timeline(&otio, &opts).unwrap();
    let ranges = |tl: &cutroom_timeline::Timeline| -> Vec<_> {
        tl.clips_with_ranges()
            .into_iter()
            .map(|(_, clip, r)| (clip.name.clone(), clip.source_range, r))
            .collect()
    };
    assert_eq!(ranges(&a), ranges(&b));
    assert_eq!(ranges(&a), ranges(&c));
    assert_eq!(a.global_start, c.global_start);
    let proj = cutroom_timeline::project_file::load(&project).unwrap();
    assert_eq!(ranges(&proj.timelines[0]), ranges(&a));
    assert!(std::fs::read_to_string(&fcpxml)
        .unwrap()
        .contains("<fcpxml version=\"1.9\">"));
}

fn bright_clip(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("bright.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "color=c=0x202020:size=160x90:rate=25:duration=1",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "color=c=white:size=160x90:rate=25:duration=1",
        ])
        .args(["-f", "lavfi", "-i", "sine=sample_rate=48000:duration=2"])
        .args([
            "-filter_complex",
            "[0:v][1:v]concat=n=2:v=1:a=0[v]",
            "-map",
            "[v]",
            "-map",
            "2:a",
        ])
        .args(["-c:v", "libx264", "-c:a", "aac"])
        .arg(&out)
        .status()
        .expect("ffmpeg is installed by `make test-deps`");
    assert!(status.success());
    out
}

#[test]
fn plugins_json_lists_manifests_with_parameter_ranges() {
    let out = cutroom(&["plugins", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let example = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "example-brightness")
        .expect("the example plugin is registered");
    assert_eq!(example["params"][0]["id"], "threshold");
}

#[test]
fn run_writes_the_proposal_and_exports_it_as_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let clip = bright_clip(dir.path());
    let json = dir.path().join("proposal.json");
    let otio = dir.path().join("marked.otio");
    cutroom_ok(&[
        "run",
        "example-brightness",
        p(&clip),
        "-p",
        "threshold=128",
        "--out",
        p(&json),
        "--export",
        p(&otio),
    ]);
    let proposal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(proposal["plugin_id"], "example-brightness");
    assert_eq!(proposal["items"].as_array().unwrap().len(), 1);
    let tl = cutroom_timeline::formats::read_timeline(&otio, &Default::default()).unwrap();
    let (_, clip, range) = &tl.clips_with_ranges()[0];
    assert_eq!(range.duration.value, 50);
    assert_eq!(clip.markers.len(), 1);
    assert_eq!(
        clip.markers[0].range,
        cutroom_timeline::TimeRange::from_frames(25, 25, cutroom_timeline::Rate::FPS_25)
    );
}

#[test]
fn headless_runs_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let clip = bright_clip(dir.path());
    let a = cutroom(&["run", "example-brightness", p(&clip), "--threads", "1"]);
    let b = cutroom(&["run", "example-brightness", p(&clip), "--threads", "2"]);
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn run_rejects_unknown_plugins_and_out_of_range_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let clip = bright_clip(dir.path());
    let out = cutroom(&["run", "no-such-plugin", p(&clip)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown plugin"));
    let out = cutroom(&["run", "example-brightness", p(&clip), "-p", "threshold=900"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 255"));
    let out = cutroom(&["run", "example-brightness", p(&clip), "-p", "nonsense=1"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn render_turns_an_exported_timeline_into_a_video_of_the_same_length() {
    let dir = tempfile::tempdir().unwrap();
    let clip = bright_clip(dir.path());
    let otio = dir.path().join("cut.otio");
    cutroom_ok(&["run", "example-brightness", p(&clip), "--export", p(&otio)]);
    let mp4 = dir.path().join("render.mp4");
    cutroom_ok(&["render", p(&otio), "-o", p(&mp4), "--preset", "ultrafast"]);
    let out = cutroom(&["probe", "--json", p(&mp4)]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let video = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "video")
        .unwrap();
    assert_eq!(video["width"], 160);
    assert_eq!(video["frame_count"], 50);
}

#[test]
fn render_refuses_inputs_that_are_not_timelines() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("in.srt");
    std::fs::write(&srt, SRT).unwrap();
    let mp4 = dir.path().join("out.mp4");
    let out = cutroom(&["render", p(&srt), "-o", p(&mp4)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!mp4.exists());
    let out = cutroom(&["render", p(&srt), "-o", p(&mp4), "--size", "33x10"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutroom(&[
        "render",
        p(&srt),
        "-o",
        p(&mp4),
        "--lut-interpolation",
        "cubic",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tetrahedral or trilinear"), "{stderr}");
}

#[test]
fn run_on_part_of_a_clip_proposes_and_exports_only_that_part() {
    let dir = tempfile::tempdir().unwrap();
    let clip = bright_clip(dir.path());
    let otio = dir.path().join("part.otio");
    cutroom_ok(&[
        "run",
        "example-brightness",
        p(&clip),
        "-p",
        "threshold=128",
        "--from",
        "0.6",
        "--to",
        "00:00:01:10",
        "--export",
        p(&otio),
    ]);
    let tl = cutroom_timeline::formats::read_timeline(&otio, &Default::default()).unwrap();
    let (_, part, range) = &tl.clips_with_ranges()[0];
    let frames = |start, len| {
        cutroom_timeline::TimeRange::from_frames(start, len, cutroom_timeline::Rate::FPS_25)
    };
    assert_eq!(range.duration.value, 20, "frames 15 to 35 of the clip");
    assert_eq!(part.source_range, frames(15, 20));
    assert_eq!(part.markers.len(), 1);
    assert_eq!(
        part.markers[0].range,
        frames(25, 10),
        "the bright frames in the part"
    );

    for (args, message) in [
        (&["--from", "5"][..], "--from 5.000 s is past the end"),
        (
            &["--from", "1", "--to", "0.5"][..],
            "--to must come after --from",
        ),
        (&["--to", "soon"][..], "--to \"soon\" is not a time"),
    ] {
        let mut all = vec!["run", "example-brightness", p(&clip)];
        all.extend_from_slice(args);
        let out = cutroom(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
