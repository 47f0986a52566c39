//! The `cutroom` binary as a script uses it: exit codes, one-line errors, conversions.

use std::path::Path;
use std::process::{Command, Output};

fn cutroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(args)
        .output()
        .expect("run cutroom")
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
    let out = cutroom(&["convert", p(&srt), p(&vtt)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let vtt_text = std::fs::read_to_string(&vtt).unwrap();
    assert!(vtt_text.starts_with("WEBVTT"), "{vtt_text}");
    assert!(vtt_text.contains("00:01:00.040 --> 00:01:03.000"), "{vtt_text}");
    let out = cutroom(&["convert", p(&vtt), p(&back)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a = cutroom_timeline::formats::read_subtitles(&srt).unwrap();
    let b = cutroom_timeline::formats::read_subtitles(&back).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(
        a.iter().map(|c| (c.range, c.text.clone())).collect::<Vec<_>>(),
        b.iter().map(|c| (c.range, c.text.clone())).collect::<Vec<_>>()
    );
}

#[test]
fn info_json_counts_cues() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("in.srt");
    std::fs::write(&srt, SRT).unwrap();
    let out = cutroom(&["info", "--json", p(&srt)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
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
