//! `cutroom subtitles check`: every broken rule listed, exit status 1 on a hard limit.

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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const CLEAN_SRT: &str = "1\n00:00:01,000 --> 00:00:03,000\nAnd so, my fellow Americans,\n\n\
                         2\n00:00:03,500 --> 00:00:06,000\nask not what your country\ncan do for you.\n";

/// Cue 2 has three lines, one too long, is too fast to read and follows cue 1 after 20 ms;
/// cue 3 is far too fast and short; cue 4 breaks a line after "the" (a warning only).
const BAD_VTT: &str = "WEBVTT\n\n\
                       00:00:01.000 --> 00:00:03.000\nHello there.\n\n\
                       00:00:03.020 --> 00:00:06.000\nThis line is certainly far too long for one subtitle line\nand a second\nand a third\n\n\
                       00:00:07.000 --> 00:00:07.300\nA great many words in very little time.\n\n\
                       00:00:09.000 --> 00:00:12.000\nWe walked along the\nriver bank together.\n";

#[test]
fn a_clean_srt_passes_with_no_violations() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("clean.srt");
    std::fs::write(&srt, CLEAN_SRT).unwrap();
    let out = cutroom(&["subtitles", "check", p(&srt)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("2 cues, 0 errors, 0 warnings"), "{text}");
}

#[test]
fn a_bad_webvtt_lists_every_violation_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let vtt = dir.path().join("bad.vtt");
    std::fs::write(&vtt, BAD_VTT).unwrap();
    let out = cutroom(&["subtitles", "check", p(&vtt)]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for (cue, rule) in [
        ("cue 2 at 00:00:03,020", "too_many_lines"),
        ("cue 2 at 00:00:03,020", "line_too_long"),
        ("cue 2 at 00:00:03,020", "too_fast"),
        ("cue 2 at 00:00:03,020", "gap_too_small"),
        ("cue 3 at 00:00:07,000", "too_short"),
        ("cue 3 at 00:00:07,000", "too_fast"),
        ("cue 4 at 00:00:09,000", "weak_line_break"),
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(cue) && l.contains(rule)),
            "no {rule} for {cue} in:\n{text}"
        );
    }
    assert!(text.contains("4 cues, 6 errors, 1 warning"), "{text}");
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("cutroom: error:") && err.contains("bad.vtt"),
        "{err}"
    );
}

#[test]
fn line_break_warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("weak.srt");
    std::fs::write(
        &srt,
        "1\n00:00:01,000 --> 00:00:04,000\nWe walked along the\nriver bank together.\n",
    )
    .unwrap();
    let out = cutroom(&["subtitles", "check", p(&srt)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("warning  weak_line_break"));
}

#[test]
fn json_reports_each_violation_with_cue_time_rule_and_detail() {
    let dir = tempfile::tempdir().unwrap();
    let vtt = dir.path().join("bad.vtt");
    std::fs::write(&vtt, BAD_VTT).unwrap();
    let out = cutroom(&["subtitles", "check", "--json", p(&vtt)]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cues"], 4);
    assert_eq!(v["errors"], 6);
    assert_eq!(v["warnings"], 1);
    let list = v["violations"].as_array().unwrap();
    assert_eq!(list.len(), 7);
    let long = list
        .iter()
        .find(|x| x["rule"] == "line_too_long")
        .expect("a line_too_long violation");
    assert_eq!(long["cue"], 2);
    assert_eq!(long["start"], "00:00:03,020");
    assert_eq!(long["start_seconds"], 3.02);
    assert_eq!(long["severity"], "error");
    assert_eq!(long["detail"], "line 1 has 57 characters");
}

#[test]
fn limits_are_options() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("clean.srt");
    std::fs::write(&srt, CLEAN_SRT).unwrap();
    // 28 characters on the first line: too many for --max-chars 20.
    let out = cutroom(&["subtitles", "check", "--max-chars", "20", p(&srt)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("line 1 has 28 characters"));
    // 500 ms between the cues: too little for 13 frames at 25 fps (520 ms).
    let out = cutroom(&[
        "subtitles",
        "check",
        "--fps",
        "25",
        "--min-gap-frames",
        "13",
        p(&srt),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("gap_too_small"));
    // A minimum above the maximum is refused.
    let out = cutroom(&["subtitles", "check", "--min-duration", "9", p(&srt)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid limits"), "{}", stderr(&out));
}

#[test]
fn a_malformed_file_fails_with_one_line_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("broken.srt");
    std::fs::write(
        &srt,
        "1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:05,000 --> 00:00:0x,000\nbroken\n",
    )
    .unwrap();
    let out = cutroom(&["subtitles", "check", p(&srt)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("cutroom: error:"), "{err}");
    assert!(err.contains("broken.srt:6"), "{err}");
}

#[test]
fn a_file_that_is_not_subtitles_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cut.otio");
    std::fs::write(&f, "{}").unwrap();
    let out = cutroom(&["subtitles", "check", p(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a subtitle file"));
}
