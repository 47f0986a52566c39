//! The project file: round trip, atomic save, version checks, malformed input.

use std::collections::BTreeMap;

use cutroom_timeline::project_file::{self, SCHEMA_VERSION};
use cutroom_timeline::*;

fn sample_project() -> Project {
    let rate = Rate::FPS_29_97;
    let media = MediaReference::external(
        "/media/a cam/A001.mov",
        Some(TimeRange::from_frames(0, 10_000, rate)),
    );
    let mut clip = Clip::new(
        "A001",
        media.clone(),
        TimeRange::from_frames(120, 300, rate),
    );
    clip.markers.push(Marker {
        name: "cut?".into(),
        range: TimeRange::from_frames(200, 0, rate),
        color: MarkerColor::Green,
        note: "proposed by auto-cut".into(),
        confidence: Some(0.87),
    });
    let mut lut = ColorTransform::identity(5);
    lut.method = "mkl".into();
    lut.params = BTreeMap::from([("strength".to_string(), serde_json::json!(0.8))]);
    clip.color = Some(lut);
    let mut v1 = Track::new("V1", TrackKind::Video);
    v1.items = vec![
        Item::Clip(clip.clone()),
        Item::Transition(Transition::dissolve(
            RationalTime::new(12, rate),
            RationalTime::new(12, rate),
        )),
        Item::Clip(Clip::new(
            "B",
            media.clone(),
            TimeRange::from_frames(900, 48, rate),
        )),
        Item::Gap(Gap {
            duration: RationalTime::new(30, rate),
        }),
    ];
    let mut subs = Track::new("English", TrackKind::Subtitle);
    subs.language = Some("en".into());
    let mut cue = SubtitleCue::new(
        TimeRange::new(
            RationalTime::new(1001, Rate::MILLIS),
            RationalTime::new(2500, Rate::MILLIS),
        ),
        "And so, my fellow Americans,\nask not",
    );
    cue.words.push(WordTiming {
        text: "And".into(),
        range: TimeRange::new(
            RationalTime::new(1001, Rate::MILLIS),
            RationalTime::new(200, Rate::MILLIS),
        ),
        probability: Some(0.9),
    });
    subs.cues.push(cue);
    let mut p = Project::new("Demo", rate);
    p.media.push(media);
    p.timelines[0].tracks = vec![v1, subs];
    p.timelines[0].global_start = RationalTime::new(107_892, rate);
    p
}

#[test]
fn project_survives_a_save_and_load_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.cutroom");
    let p = sample_project();
    project_file::save(&p, &path).unwrap();
    let back = project_file::load(&path).unwrap();
    assert_eq!(back, p);
    // No temporary files are left beside the project.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn saving_over_an_existing_project_replaces_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.cutroom");
    let mut p = sample_project();
    project_file::save(&p, &path).unwrap();
    p.name = "Renamed".into();
    p.timelines.clear();
    project_file::save(&p, &path).unwrap();
    assert_eq!(project_file::load(&path).unwrap(), p);
}

#[test]
fn project_file_records_its_schema_version() {
    let text = project_file::to_string(&sample_project());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "cutroom-project");
    assert_eq!(v["schema_version"], SCHEMA_VERSION);
}

#[test]
fn newer_schema_version_is_refused_with_a_clear_message() {
    let text = project_file::to_string(&sample_project()).replace(
        &format!("\"schema_version\": {SCHEMA_VERSION}"),
        "\"schema_version\": 99",
    );
    let err = project_file::from_str(&text).unwrap_err();
    assert!(err.reason.contains("newer"), "{err}");
    assert!(err.reason.contains("99"), "{err}");
}

#[test]
fn malformed_project_gives_line_and_column() {
    let text =
        "{\n  \"format\": \"cutroom-project\",\n  \"schema_version\": 1,\n  \"project\": {\n";
    let err = project_file::from_str(text).unwrap_err();
    assert!(err.line >= 4, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.cutroom");
    std::fs::write(&path, text).unwrap();
    let msg = project_file::load(&path).unwrap_err().to_string();
    assert!(msg.contains("broken.cutroom"), "{msg}");
}

#[test]
fn other_json_is_not_taken_for_a_project() {
    let err = project_file::from_str(r#"{"format":"something","schema_version":1,"project":{}}"#)
        .unwrap_err();
    assert!(err.reason.contains("not a Cutroom project"), "{err}");
}

#[test]
fn negative_clip_duration_in_a_project_is_rejected() {
    let mut p = sample_project();
    if let Item::Clip(c) = &mut p.timelines[0].tracks[0].items[0] {
        c.source_range.duration.value = -5;
    }
    let text = project_file::to_string(&p);
    let err = project_file::from_str(&text).unwrap_err();
    assert!(err.reason.contains("negative"), "{err}");
}

#[test]
fn missing_project_file_names_the_path() {
    let msg = project_file::load(std::path::Path::new("/nonexistent/x.cutroom"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("/nonexistent/x.cutroom"), "{msg}");
}

#[test]
fn binary_garbage_is_reported_as_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.cutroom");
    std::fs::write(&path, [0x7b, 0xff, 0xfe, 0x00]).unwrap();
    let msg = project_file::load(&path).unwrap_err().to_string();
    assert!(msg.contains("UTF-8"), "{msg}");
}

#[test]
fn timeline_positions_follow_gaps_and_ignore_transitions() {
    let p = sample_project();
    let tl = &p.timelines[0];
    let ranges: Vec<_> = tl.tracks[0]
        .items_with_ranges()
        .into_iter()
        .map(|(_, r)| (r.start.value, r.duration.value))
        .collect();
    assert_eq!(ranges, vec![(0, 300), (288, 24), (300, 48), (348, 30)]);
    assert_eq!(tl.duration().value, 378);
}
