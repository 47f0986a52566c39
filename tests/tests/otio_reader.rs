//! Cutroom's `.otio` files checked against the reference reader, the Python
//! `opentimelineio` library, in both directions and frame for frame.

use std::path::Path;

use cutroom_integration::run_python;
use cutroom_timeline::formats::otio;
use cutroom_timeline::{
    Clip, Gap, Item, Marker, MarkerColor, MediaReference, Rate, RationalTime, TimeRange, Timeline,
    Track, TrackKind, Transition,
};
use serde_json::Value;

/// Python helpers that summarise an OTIO timeline as JSON: every track's items with their
/// names, source ranges, ranges in the parent track, transition offsets and markers, plus the
/// timeline's duration, global start and markers.
const SUMMARY: &str = r#"
import json, sys
import opentimelineio as otio

def rt(t):
    return None if t is None else {"value": t.value, "rate": t.rate}

def tr(r):
    return None if r is None else {"start": rt(r.start_time), "duration": rt(r.duration)}

def markers(ms):
    return [{"name": m.name, "color": m.color, "comment": m.comment, "range": tr(m.marked_range),
             "confidence": m.metadata.get("cutroom", {}).get("confidence")} for m in ms]

def summary(tl):
    tracks = []
    for track in tl.tracks:
        items = []
        for it in track:
            d = {"schema": it.schema_name(), "name": it.name,
                 "range_in_parent": tr(it.range_in_parent())}
            if isinstance(it, otio.schema.Clip):
                d["source_range"] = tr(it.source_range)
                d["markers"] = markers(it.markers)
                d["target_url"] = getattr(it.media_reference, "target_url", None)
            elif isinstance(it, otio.schema.Transition):
                d["in_offset"] = rt(it.in_offset)
                d["out_offset"] = rt(it.out_offset)
                d["transition_type"] = it.transition_type
            items.append(d)
        tracks.append({"name": track.name, "kind": track.kind, "items": items,
                       "markers": markers(track.markers)})
    return {"name": tl.name, "duration": rt(tl.duration()),
            "global_start": rt(tl.global_start_time),
            "markers": markers(tl.tracks.markers), "tracks": tracks}
"#;

const READ: &str = r#"
print(json.dumps(summary(otio.adapters.read_from_file(sys.argv[1]))))
"#;

const READ_AND_REWRITE: &str = r#"
otio.adapters.write_to_file(otio.adapters.read_from_file(sys.argv[1]), sys.argv[2])
"#;

/// A 29.97 timeline built with OTIO itself: a dissolve, gaps, markers, a missing reference and
/// a 48 kHz audio clip.
const BUILD: &str = r#"
RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
r = 30000 / 1001
tl = otio.schema.Timeline(name="built in python", global_start_time=RT(107892, r))
v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
ref = otio.schema.ExternalReference(target_url="/media/interview.mov",
                                    available_range=TR(RT(0, r), RT(5000, r)))
a = otio.schema.Clip(name="interview", media_reference=ref, source_range=TR(RT(300, r), RT(90, r)))
a.markers.append(otio.schema.Marker(name="laugh", marked_range=TR(RT(320, r), RT(0, r)),
                                    color=otio.schema.MarkerColor.YELLOW, comment="keep"))
v1.append(a)
v1.append(otio.schema.Transition(name="dissolve",
                                 transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                 in_offset=RT(15, r), out_offset=RT(10, r)))
v1.append(otio.schema.Clip(name="b-roll",
                           media_reference=otio.schema.ExternalReference(target_url="/media/broll.mov"),
                           source_range=TR(RT(1000, r), RT(150, r))))
v1.append(otio.schema.Gap(source_range=TR(RT(0, r), RT(45, r))))
v1.append(otio.schema.Clip(name="missing", source_range=TR(RT(0, r), RT(60, r))))
v2 = otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video)
v2.append(otio.schema.Gap(source_range=TR(RT(0, r), RT(100, r))))
v2.append(otio.schema.Clip(name="lower third", source_range=TR(RT(0, r), RT(75, r))))
a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
a1.append(otio.schema.Gap(source_range=TR(RT(0, 48000), RT(24000, 48000))))
a1.append(otio.schema.Clip(name="music",
                           media_reference=otio.schema.ExternalReference(target_url="/media/music.wav"),
                           source_range=TR(RT(0, 48000), RT(48000 * 10, 48000))))
tl.tracks.extend([v1, v2, a1])
tl.tracks.markers.append(otio.schema.Marker(name="act 2", marked_range=TR(RT(200, r), RT(30, r)),
                                            color=otio.schema.MarkerColor.BLUE))
otio.adapters.write_to_file(tl, sys.argv[1])
print(json.dumps(summary(tl)))
"#;

fn python(parts: &[&str], args: &[&Path]) -> String {
    run_python(&parts.concat(), args)
}

fn summary_of(path: &Path) -> Value {
    let out = python(&[SUMMARY, READ], &[path]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("python printed bad JSON ({e}): {out}"))
}

/// A time from the Python summary, at the exact rate its float names.
fn py_time(v: &Value, what: &str) -> RationalTime {
    let rate = v["rate"]
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no rate in {v}"));
    let value = v["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no value in {v}"));
    assert_eq!(value.fract(), 0.0, "{what}: {value} is not a whole frame");
    RationalTime::new(value as i64, Rate::from_f64(rate).expect("a valid rate"))
}

/// Asserts that OTIO's time is ours exactly: same rate (as the float OTIO holds) and value.
fn assert_time(v: &Value, ours: RationalTime, what: &str) {
    let theirs = py_time(v, what);
    assert_eq!(
        (theirs.value, theirs.rate),
        (ours.value, ours.rate),
        "{what}: OTIO has {v}, Cutroom has {ours}"
    );
    assert_eq!(
        v["rate"].as_f64(),
        Some(ours.rate.num() as f64 / ours.rate.den() as f64),
        "{what}: rate float"
    );
}

fn assert_range(v: &Value, ours: TimeRange, what: &str) {
    assert_time(&v["start"], ours.start, &format!("{what}.start"));
    assert_time(&v["duration"], ours.duration, &format!("{what}.duration"));
}

fn assert_markers(v: &Value, ours: &[Marker], what: &str) {
    let list = v.as_array().unwrap_or_else(|| panic!("{what}: no markers"));
    assert_eq!(list.len(), ours.len(), "{what}: marker count");
    for (i, (m, theirs)) in ours.iter().zip(list).enumerate() {
        let what = format!("{what} marker {i}");
        assert_eq!(theirs["name"], m.name.as_str(), "{what}");
        assert_eq!(theirs["color"], m.color.as_str(), "{what}");
        assert_eq!(theirs["comment"], m.note.as_str(), "{what}");
        assert_range(&theirs["range"], m.range, &what);
        match m.confidence {
            Some(c) => {
                let py = theirs["confidence"]
                    .as_f64()
                    .expect("confidence in metadata");
                assert!((py - c as f64).abs() < 1e-6, "{what}: {py} vs {c}");
            }
            None => assert!(theirs["confidence"].is_null(), "{what}"),
        }
    }
}

/// Asserts that the OTIO summary describes `tl` frame for frame.
fn assert_matches(tl: &Timeline, s: &Value) {
    assert_eq!(s["name"], tl.name.as_str());
    let theirs = py_time(&s["duration"], "timeline duration");
    assert_eq!(
        theirs,
        tl.duration(),
        "timeline duration: OTIO {theirs}, Cutroom {}",
        tl.duration()
    );
    assert_time(&s["global_start"], tl.global_start, "global start");
    assert_markers(&s["markers"], &tl.markers, "timeline");
    let tracks: Vec<&Track> = tl
        .tracks
        .iter()
        .filter(|t| t.kind != TrackKind::Subtitle)
        .collect();
    let py_tracks = s["tracks"].as_array().expect("tracks");
    assert_eq!(py_tracks.len(), tracks.len(), "track count");
    for (track, st) in tracks.iter().zip(py_tracks) {
        let t = &track.name;
        assert_eq!(st["name"], t.as_str());
        let kind = if track.kind == TrackKind::Audio {
            "Audio"
        } else {
            "Video"
        };
        assert_eq!(st["kind"], kind, "track {t}");
        assert_markers(&st["markers"], &track.markers, &format!("track {t}"));
        let items = st["items"].as_array().expect("items");
        let ours = track.items_with_ranges();
        assert_eq!(items.len(), ours.len(), "track {t}: item count");
        for (i, ((item, range), si)) in ours.iter().zip(items).enumerate() {
            let what = format!("track {t} item {i}");
            assert_range(
                &si["range_in_parent"],
                *range,
                &format!("{what} range_in_parent"),
            );
            match item {
                Item::Clip(c) => {
                    assert_eq!(si["schema"], "Clip", "{what}");
                    assert_eq!(si["name"], c.name.as_str(), "{what}");
                    assert_range(&si["source_range"], c.source_range, &what);
                    assert_eq!(si["target_url"].as_str(), c.media.target_url.as_deref());
                    assert_markers(&si["markers"], &c.markers, &what);
                }
                Item::Gap(_) => assert_eq!(si["schema"], "Gap", "{what}"),
                Item::Transition(x) => {
                    assert_eq!(si["schema"], "Transition", "{what}");
                    assert_eq!(si["name"], x.name.as_str(), "{what}");
                    assert_eq!(si["transition_type"], "SMPTE_Dissolve", "{what}");
                    assert_time(&si["in_offset"], x.in_offset, &format!("{what} in_offset"));
                    assert_time(
                        &si["out_offset"],
                        x.out_offset,
                        &format!("{what} out_offset"),
                    );
                }
            }
        }
    }
}

fn clip(name: &str, url: &str, start: i64, frames: i64, rate: Rate) -> Item {
    let media = MediaReference::external(url, Some(TimeRange::from_frames(0, 100_000, rate)));
    Item::Clip(Clip::new(
        name,
        media,
        TimeRange::from_frames(start, frames, rate),
    ))
}

fn gap(frames: i64, rate: Rate) -> Item {
    Item::Gap(Gap {
        duration: RationalTime::new(frames, rate),
    })
}

fn dissolve(before: i64, after: i64, rate: Rate) -> Item {
    let mut t = Transition::dissolve(
        RationalTime::new(before, rate),
        RationalTime::new(after, rate),
    );
    t.name = "Cross Dissolve".into();
    Item::Transition(t)
}

fn marker(name: &str, start: i64, frames: i64, rate: Rate, confidence: Option<f32>) -> Marker {
    Marker {
        name: name.into(),
        range: TimeRange::from_frames(start, frames, rate),
        color: MarkerColor::Orange,
        note: format!("about {name}"),
        confidence,
    }
}

/// Two video tracks and an audio track at `rate`, with gaps, two dissolves and markers.
fn edit(rate: Rate) -> Timeline {
    let fps = rate.nominal_fps() as i64;
    let mut tl = Timeline::new(format!("cut at {rate}"), rate);
    tl.global_start = RationalTime::new(fps * 3600, rate);
    let mut v1 = Track::new("V1", TrackKind::Video);
    v1.items = vec![
        clip("opening", "/media/opening.mov", 1001, 5 * fps, rate),
        dissolve(fps / 2, fps / 2, rate),
        clip("interview", "/media/interview.mov", 240, 7 * fps + 3, rate),
        gap(fps + 1, rate),
        clip("b-roll", "/media/broll.mov", 0, 3 * fps, rate),
        dissolve(6, 9, rate),
        clip("closing", "/media/closing.mov", 17, 4 * fps, rate),
    ];
    if let Item::Clip(c) = &mut v1.items[2] {
        c.markers
            .push(marker("face found", 250, 0, rate, Some(0.875)));
        c.markers.push(marker("blink", 260, 4, rate, None));
    }
    v1.markers
        .push(marker("check sync", fps, 2, rate, Some(0.5)));
    let mut v2 = Track::new("V2", TrackKind::Video);
    let title = Clip::new(
        "title",
        MediaReference::missing("title card"),
        TimeRange::from_frames(0, 2 * fps, rate),
    );
    v2.items = vec![gap(3 * fps + 7, rate), Item::Clip(title), gap(11, rate)];
    let mut a1 = Track::new("A1", TrackKind::Audio);
    a1.items = vec![
        gap(24_000, Rate::HZ_48000),
        clip(
            "room tone",
            "/media/tone.wav",
            0,
            48_000 * 6,
            Rate::HZ_48000,
        ),
    ];
    tl.tracks = vec![v1, v2, a1];
    tl.markers
        .push(marker("scene 2", 5 * fps, 0, rate, Some(0.25)));
    tl
}

fn check_python_reads_ours(rate: Rate) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("edit.otio");
    let tl = edit(rate);
    std::fs::write(&path, otio::write(&tl).expect("writes")).expect("saved");
    assert_matches(&tl, &summary_of(&path));
}

#[test]
fn otio_python_reads_our_23_976_timeline_frame_for_frame() {
    check_python_reads_ours(Rate::FPS_23_976);
}

#[test]
fn otio_python_reads_our_29_97_timeline_with_gaps_and_dissolves_frame_for_frame() {
    check_python_reads_ours(Rate::FPS_29_97);
}

#[test]
fn we_read_a_29_97_timeline_built_by_otio_python_frame_for_frame() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("built.otio");
    let out = python(&[SUMMARY, BUILD], &[&path]);
    let summary: Value = serde_json::from_str(&out).expect("python printed JSON");
    let text = std::fs::read_to_string(&path).expect("python wrote the file");
    let tl = otio::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tl.rate, Rate::FPS_29_97);
    assert_eq!(tl.global_start, RationalTime::new(107_892, Rate::FPS_29_97));
    assert_matches(&tl, &summary);
    // The OTIO names and kinds came across as well.
    let names: Vec<&str> = tl
        .clips_with_ranges()
        .iter()
        .map(|(_, c, _)| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["interview", "b-roll", "missing", "lower third", "music"]
    );
    assert_eq!(tl.tracks[2].kind, TrackKind::Audio);
}

#[test]
fn our_file_rewritten_by_otio_python_reads_back_identically() {
    for rate in [Rate::FPS_23_976, Rate::FPS_29_97] {
        let dir = tempfile::tempdir().expect("temp dir");
        let ours = dir.path().join("ours.otio");
        let theirs = dir.path().join("theirs.otio");
        let mut tl = edit(rate);
        let mut subs = Track::new("English", TrackKind::Subtitle);
        subs.language = Some("en".into());
        subs.cues.push(cutroom_timeline::SubtitleCue::new(
            TimeRange::from_frames(1000, 1500, Rate::MILLIS),
            "Hello,\nworld",
        ));
        tl.tracks.push(subs);
        std::fs::write(&ours, otio::write(&tl).expect("writes")).expect("saved");
        python(&[SUMMARY, READ_AND_REWRITE], &[&ours, &theirs]);
        let text = std::fs::read_to_string(&theirs).expect("python wrote the file");
        let back = otio::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, tl, "at {rate}");
        assert_eq!(back.rate, rate);
    }
}
