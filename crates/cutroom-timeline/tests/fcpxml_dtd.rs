//! Validates written FCPXML against Apple's FCPXML 1.9 DTD with `xmllint` (Debian package
//! `libxml2-utils`, installed by `make test-deps`).

use std::path::{Path, PathBuf};
use std::process::Command;

use cutroom_timeline::formats::fcpxml;
use cutroom_timeline::{
    Clip, Gap, Item, Marker, MarkerColor, MediaReference, Rate, RationalTime, TimeRange, Timeline,
    Track, TrackKind, Transition,
};

fn dtd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/FCPXMLv1_9.dtd")
}

fn clip(name: &str, media: &MediaReference, start: i64, frames: i64, rate: Rate) -> Item {
    let mut c = Clip::new(
        name,
        media.clone(),
        TimeRange::from_frames(start, frames, rate),
    );
    c.markers.push(Marker {
        name: format!("{name} <mark> & \"note\""),
        range: TimeRange::from_frames(start + 1, 1, rate),
        color: MarkerColor::Green,
        note: "line one\nline two".into(),
        confidence: Some(0.5),
    });
    Item::Clip(c)
}

fn gap(frames: i64, rate: Rate) -> Item {
    Item::Gap(Gap {
        duration: RationalTime::new(frames, rate),
    })
}

fn dissolve(inn: i64, out: i64, rate: Rate) -> Item {
    Item::Transition(Transition::dissolve(
        RationalTime::new(inn, rate),
        RationalTime::new(out, rate),
    ))
}

/// Every feature the writer has: cuts, gaps, dissolves and fades on the primary storyline,
/// connected clips above and below, a connected storyline with a dissolve, markers on clips
/// and on gaps, media used on video and audio tracks, media without a known extent, a
/// missing reference, and names that need escaping.
fn everything(rate: Rate) -> Timeline {
    let a = MediaReference::external(
        "/media/day 1/A001 & B <take>.mov",
        Some(TimeRange::from_frames(0, 5000, rate)),
    );
    let b = MediaReference::external("C:\\Media\\B002.mov", None);
    let offline = MediaReference::missing("Reel 7");
    let music = MediaReference::external("/media/score é.wav", None);
    let mut tl = Timeline::new("Everything \"cut\" & <more>", rate);
    tl.global_start = RationalTime::new(rate.nominal_fps() as i64 * 3600, rate);
    let mut v1 = Track::new("V1", TrackKind::Video);
    v1.items = vec![
        gap(12, rate),
        dissolve(0, 12, rate),
        clip("A001", &a, 100, 48, rate),
        dissolve(10, 10, rate),
        clip("B002", &b, 20, 60, rate),
        gap(24, rate),
        clip("Reel 7", &offline, 0, 30, rate),
    ];
    let mut v2 = Track::new("V2", TrackKind::Video);
    v2.items = vec![gap(30, rate), clip("insert", &a, 900, 20, rate)];
    let mut v3 = Track::new("Titles", TrackKind::Video);
    v3.items = vec![
        gap(5, rate),
        clip("one", &b, 0, 40, rate),
        dissolve(6, 6, rate),
        clip("two", &b, 100, 40, rate),
    ];
    let mut a1 = Track::new("A1", TrackKind::Audio);
    a1.items = vec![clip("A001 sound", &a, 100, 150, rate)];
    let mut a2 = Track::new("A2", TrackKind::Audio);
    a2.items = vec![gap(3, rate), clip("score", &music, 0, 400, rate)];
    tl.tracks = vec![v1, v2, v3, a1, a2];
    tl.markers.push(Marker {
        name: "in the gap".into(),
        range: TimeRange::from_frames(130, 0, rate),
        color: MarkerColor::Red,
        note: String::new(),
        confidence: None,
    });
    tl
}

fn validate(text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("timeline.fcpxml");
    std::fs::write(&file, text).expect("write fcpxml");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(dtd())
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run xmllint: {e}; install the test dependencies with `make test-deps`")
        });
    assert!(
        out.status.success(),
        "xmllint rejected the FCPXML:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn written_fcpxml_is_valid_against_the_1_9_dtd_at_23_976() {
    validate(&fcpxml::write(&everything(Rate::FPS_23_976)).unwrap());
}

#[test]
fn written_fcpxml_is_valid_against_the_1_9_dtd_at_29_97_drop_frame() {
    let text = fcpxml::write(&everything(Rate::FPS_29_97)).unwrap();
    assert!(text.contains("tcFormat=\"DF\""));
    validate(&text);
}

#[test]
fn written_fcpxml_is_valid_against_the_1_9_dtd_at_25() {
    validate(&fcpxml::write(&everything(Rate::FPS_25)).unwrap());
}

#[test]
fn an_empty_timeline_is_valid_fcpxml() {
    validate(&fcpxml::write(&Timeline::new("empty", Rate::FPS_24)).unwrap());
}

#[test]
fn the_validator_catches_a_broken_document() {
    // Guards against a validation that passes everything.
    let text = fcpxml::write(&everything(Rate::FPS_25))
        .unwrap()
        .replace("<spine", "<spline")
        .replace("</spine>", "</spline>");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.fcpxml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(dtd())
        .arg(&file)
        .output()
        .expect("xmllint runs");
    assert!(!out.status.success());
}

#[test]
fn everything_reads_back_with_its_cuts_in_place() {
    for rate in [Rate::FPS_23_976, Rate::FPS_29_97, Rate::FPS_25] {
        let tl = everything(rate);
        let back = fcpxml::parse(&fcpxml::write(&tl).unwrap()).unwrap();
        assert_eq!(back.tracks.len(), tl.tracks.len());
        for (a, b) in back.tracks.iter().zip(&tl.tracks) {
            assert_eq!(a.kind, b.kind);
            assert_eq!(a.duration(), b.duration(), "{}", b.name);
            let cuts = |t: &Track| -> Vec<(String, TimeRange)> {
                t.items_with_ranges()
                    .into_iter()
                    .filter_map(|(i, r)| match i {
                        Item::Clip(c) => Some((c.name.clone(), r)),
                        _ => None,
                    })
                    .collect()
            };
            assert_eq!(cuts(a), cuts(b), "{}", b.name);
        }
        assert_eq!(back.global_start, tl.global_start);
        assert_eq!(back.markers.len(), 1);
    }
}
