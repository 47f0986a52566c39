//! SRT and WebVTT files written by Cutroom are read by FFmpeg, and files FFmpeg writes are
//! read by Cutroom, with the same cues, times and text either way.
//!
//! Notes on FFmpeg's behaviour that shape the fixtures:
//! - FFmpeg's SRT reader treats `<…>` on one line as a markup tag, as players do, so SRT text
//!   uses `<` and `>` only where they cannot close a tag (SRT has no escaping).
//! - FFmpeg's WebVTT writer does not escape `&`, `<` or `>`; Cutroom's reader keeps a `<`
//!   without a closing `>` and an `&` that starts no character reference literally, so such
//!   text still reads back unchanged.
//! - FFmpeg writes cues sorted by start time; the fixtures are already in that order.

use std::path::{Path, PathBuf};

use cutroom_integration::{run_tool, run_tool_ok};
use cutroom_timeline::formats::{read_subtitles, write_subtitles};
use cutroom_timeline::{Rate, RationalTime, SubtitleCue, TimeRange};

fn cue(start_ms: i64, end_ms: i64, text: &str) -> SubtitleCue {
    SubtitleCue::new(
        TimeRange::new(
            RationalTime::new(start_ms, Rate::MILLIS),
            RationalTime::new(end_ms - start_ms, Rate::MILLIS),
        ),
        text,
    )
}

/// Cues with multi-line text, non-ASCII text, `<`, `&` and `>`, overlapping times and a
/// cue more than an hour in.
fn fixture_cues() -> Vec<SubtitleCue> {
    let mut cues = vec![
        cue(1_000, 2_500, "Hello,\nworld."),
        cue(2_000, 4_321, "Fish & chips\nx < y\ny > x"),
        cue(5_005, 6_006, "Été à Zürich — 漢字 🎬"),
        cue(3_723_456, 3_725_000, "An hour later:\nthree\nlines"),
    ];
    cues[0].id = Some("intro".into());
    cues
}

/// Fixture text for WebVTT: `<`, `>` and `&` anywhere, since WebVTT escapes them.
fn fixture_cues_vtt() -> Vec<SubtitleCue> {
    let mut cues = fixture_cues();
    cues[1].text = "Fish & chips <3\na < b > c & d;\n&amp; is written literally".into();
    cues
}

fn ms(t: RationalTime) -> i64 {
    t.to_millis()
}

/// Start, end (ms) and text of each cue: what both formats carry.
fn essence(cues: &[SubtitleCue]) -> Vec<(i64, i64, String)> {
    cues.iter()
        .map(|c| {
            (
                ms(c.range.start),
                ms(c.range.end_exclusive()),
                c.text.clone(),
            )
        })
        .collect()
}

fn ffmpeg_reads_cleanly(path: &Path) {
    // Decode every subtitle (re-encoding to ASS) and discard the output; `-v error` prints
    // only problems, so any output at all is a failure.
    let p = path.to_str().expect("temp paths are UTF-8");
    let out = run_tool_ok(
        "ffmpeg",
        &[
            "-nostdin", "-v", "error", "-i", p, "-map", "0", "-c:s", "ass", "-f", "null", "-",
        ],
    );
    assert!(
        out.stderr.is_empty(),
        "ffmpeg complained about {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffmpeg_convert(from: &Path, to: &Path) {
    ffmpeg_convert_with(from, to, &[]);
}

/// Runs `ffmpeg -i from [output_args] to`.
fn ffmpeg_convert_with(from: &Path, to: &Path, output_args: &[&str]) {
    let from_s = from.to_str().expect("temp paths are UTF-8");
    let to_s = to.to_str().expect("temp paths are UTF-8");
    let mut args = vec!["-nostdin", "-v", "error", "-y", "-i", from_s];
    args.extend_from_slice(output_args);
    args.push(to_s);
    let out = run_tool("ffmpeg", &args);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg could not convert {} to {}:\n{}",
        from.display(),
        to.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `(start_cs, end_cs, text)` of each `Dialogue:` line of an ASS file, text with `\N`
/// turned back into newlines.
fn ass_dialogues(path: &Path) -> Vec<(i64, i64, String)> {
    fn centis(t: &str) -> i64 {
        let (hms, cs) = t.split_once('.').expect("ASS time has centiseconds");
        let mut parts = hms
            .split(':')
            .map(|p| p.parse::<i64>().expect("ASS time field"));
        let (h, m, s) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        ((h * 60 + m) * 60 + s) * 100 + cs.parse::<i64>().expect("centiseconds")
    }
    std::fs::read_to_string(path)
        .expect("ffmpeg wrote the ASS file")
        .lines()
        .filter_map(|l| l.strip_prefix("Dialogue: "))
        .map(|l| {
            let fields: Vec<&str> = l.splitn(10, ',').collect();
            assert_eq!(fields.len(), 10, "ASS dialogue line {l:?}");
            (
                centis(fields[1]),
                centis(fields[2]),
                fields[9].replace("\\N", "\n"),
            )
        })
        .collect()
}

fn assert_ass_matches(path: &Path, cues: &[SubtitleCue]) {
    let dialogues = ass_dialogues(path);
    assert_eq!(dialogues.len(), cues.len(), "{}", path.display());
    for ((start_cs, end_cs, text), c) in dialogues.iter().zip(cues) {
        // ASS counts centiseconds; allow for its rounding.
        assert!((start_cs * 10 - ms(c.range.start)).abs() <= 5, "{c:?}");
        assert!(
            (end_cs * 10 - ms(c.range.end_exclusive())).abs() <= 5,
            "{c:?}"
        );
        assert_eq!(text, &c.text);
    }
}

struct Files {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        Files { _dir: dir, root }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

#[test]
fn ffmpeg_reads_our_srt_and_converts_it_to_webvtt_and_ass_with_the_same_cues() {
    let files = Files::new();
    let cues = fixture_cues();
    let srt = files.path("ours.srt");
    write_subtitles(&cues, &srt).unwrap();
    ffmpeg_reads_cleanly(&srt);

    let vtt = files.path("ffmpeg.vtt");
    ffmpeg_convert(&srt, &vtt);
    let from_ffmpeg =
        read_subtitles(&vtt).unwrap_or_else(|e| panic!("our reader rejected ffmpeg's WebVTT: {e}"));
    assert_eq!(essence(&from_ffmpeg), essence(&cues));

    let ass = files.path("ffmpeg.ass");
    ffmpeg_convert(&srt, &ass);
    assert_ass_matches(&ass, &cues);
}

#[test]
fn ffmpeg_reads_our_webvtt_and_converts_it_to_srt_and_ass_with_the_same_cues() {
    let files = Files::new();
    let cues = fixture_cues_vtt();
    let vtt = files.path("ours.vtt");
    write_subtitles(&cues, &vtt).unwrap();
    ffmpeg_reads_cleanly(&vtt);

    let srt = files.path("ffmpeg.srt");
    ffmpeg_convert(&vtt, &srt);
    let from_ffmpeg =
        read_subtitles(&srt).unwrap_or_else(|e| panic!("our reader rejected ffmpeg's SRT: {e}"));
    assert_eq!(essence(&from_ffmpeg), essence(&cues));

    let ass = files.path("ffmpeg.ass");
    ffmpeg_convert(&vtt, &ass);
    assert_ass_matches(&ass, &cues);
}

#[test]
fn webvtt_remuxed_by_ffmpeg_keeps_cue_identifiers_and_text() {
    // Stream copy is the path on which FFmpeg keeps identifiers (decoding drops them). It
    // also writes no final newline, which our reader tolerates.
    let files = Files::new();
    let cues = fixture_cues_vtt();
    let ours = files.path("ours.vtt");
    write_subtitles(&cues, &ours).unwrap();
    let theirs = files.path("ffmpeg.vtt");
    ffmpeg_convert_with(&ours, &theirs, &["-c", "copy"]);
    let back = read_subtitles(&theirs).unwrap();
    assert_eq!(essence(&back), essence(&cues));
    let ids: Vec<_> = back.iter().map(|c| c.id.clone()).collect();
    let expected: Vec<_> = cues.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, expected);
}

#[test]
fn srt_and_webvtt_that_ffmpeg_writes_from_ass_read_back_at_ass_precision() {
    let files = Files::new();
    let cues = fixture_cues();
    let srt = files.path("ours.srt");
    write_subtitles(&cues, &srt).unwrap();
    let ass = files.path("ffmpeg.ass");
    ffmpeg_convert(&srt, &ass);
    let dialogues = ass_dialogues(&ass);
    for name in ["from_ass.srt", "from_ass.vtt"] {
        let out = files.path(name);
        ffmpeg_convert(&ass, &out);
        let back = read_subtitles(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<_> = dialogues
            .iter()
            .map(|(s, e, t)| (s * 10, e * 10, t.clone()))
            .collect();
        assert_eq!(essence(&back), expected, "{name}");
    }
}
