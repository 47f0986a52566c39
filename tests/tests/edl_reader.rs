//! Cutroom's CMX3600 EDLs checked against an independent reader and writer: the Python
//! `opentimelineio` library with its `cmx_3600` adapter (from `opentimelineio-plugins`).
//!
//! Every comparison is in whole frames at the edit rate: clip names, source ranges, record
//! positions (`range_in_parent`, counted from the first event) and dissolves.

use std::path::Path;

use cutroom_integration::run_python;
use cutroom_timeline::formats::edl;
use cutroom_timeline::{
    Clip, Gap, Item, MediaReference, Rate, RationalTime, TimeRange, Timeline, Track, TrackKind,
    Transition,
};
use serde_json::{json, Value};

/// Reads an EDL with OpenTimelineIO at the rate given as `num/den` and prints each track's
/// items as JSON, in frames.
const OTIO_DUMP: &str = r#"
import sys, json
import opentimelineio as otio

path, rate_text = sys.argv[1], sys.argv[2]
num, den = (int(x) for x in rate_text.split("/"))
rate = num / den
tl = otio.adapters.read_from_file(path, adapter_name="cmx_3600", rate=rate)

def f(t):
    return round(t.rescaled_to(rate).value)

tracks = []
for track in tl.tracks:
    items = []
    for item in track:
        if isinstance(item, otio.schema.Transition):
            items.append({"type": "transition", "in": f(item.in_offset), "out": f(item.out_offset)})
            continue
        rip = item.range_in_parent()
        rec = [f(rip.start_time), f(rip.duration)]
        if isinstance(item, otio.schema.Gap):
            items.append({"type": "gap", "rec": rec})
        else:
            sr = item.source_range
            items.append({"type": "clip", "name": item.name,
                          "src": [f(sr.start_time), f(sr.duration)], "rec": rec})
    tracks.append({"name": track.name, "kind": str(track.kind), "items": items})
print(json.dumps({"name": tl.name, "tracks": tracks}))
"#;

/// Builds a timeline in OpenTimelineIO at 29.97, writes it with OTIO's own `cmx_3600`
/// writer to `argv[1]`, then prints how OTIO reads that file back (same JSON as above).
const OTIO_WRITE: &str = r#"
import sys
import opentimelineio as otio
from opentimelineio.opentime import RationalTime as RT, TimeRange as TR

rate = 30000 / 1001
tl = otio.schema.Timeline(name="otio made")
track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
tl.tracks.append(track)

def clip(name, url, start, dur):
    return otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(target_url=url),
        source_range=TR(RT(start, rate), RT(dur, rate)),
    )

def dissolve(i, o):
    return otio.schema.Transition(
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=RT(i, rate), out_offset=RT(o, rate))

track.append(clip("Alpha", "/media/alpha.mov", 107892 + 1790, 100))
track.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(45, rate))))
track.append(clip("Bravo", "/media/bravo.mov", 17982 - 20, 90))
track.append(dissolve(0, 15))
track.append(clip("Charlie", "/media/charlie.mov", 3000, 120))
track.append(dissolve(6, 10))
track.append(clip("Delta", "/media/delta.mov", 500, 60))
otio.adapters.write_to_file(tl, sys.argv[1], adapter_name="cmx_3600")
"#;

fn dump_with_otio(path: &Path, rate: Rate) -> Value {
    let rate_text = format!("{}/{}", rate.num(), rate.den());
    let out = run_python(OTIO_DUMP, &[path, Path::new(&rate_text)]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON from python ({e}): {out}"))
}

/// Our timeline's video track in the shape `OTIO_DUMP` prints, positions counted from the
/// track's first item as OpenTimelineIO counts them.
fn our_items(track: &Track, rate: Rate) -> Value {
    let f = |t: RationalTime| t.to_frames(rate);
    let items: Vec<Value> = track
        .items_with_ranges()
        .into_iter()
        .map(|(item, range)| match item {
            Item::Clip(c) => json!({
                "type": "clip",
                "name": c.name,
                "src": [f(c.source_range.start), f(c.source_range.duration)],
                "rec": [f(range.start), f(range.duration)],
            }),
            Item::Gap(_) => json!({"type": "gap", "rec": [f(range.start), f(range.duration)]}),
            Item::Transition(t) => {
                json!({"type": "transition", "in": f(t.in_offset), "out": f(t.out_offset)})
            }
        })
        .collect();
    Value::Array(items)
}

fn clip(name: &str, file: &str, src_start: i64, frames: i64, rate: Rate) -> Item {
    Item::Clip(Clip::new(
        name,
        MediaReference::external(file, None),
        TimeRange::from_frames(src_start, frames, rate),
    ))
}

fn gap(frames: i64, rate: Rate) -> Item {
    Item::Gap(Gap {
        duration: RationalTime::new(frames, rate),
    })
}

fn dissolve(frames: i64, rate: Rate) -> Item {
    Item::Transition(Transition::dissolve(
        RationalTime::zero(rate),
        RationalTime::new(frames, rate),
    ))
}

fn timeline(name: &str, rate: Rate, start: i64, items: Vec<Item>) -> Timeline {
    let mut t = Timeline::new(name, rate);
    t.global_start = RationalTime::new(start, rate);
    let mut v = Track::new("V1", TrackKind::Video);
    v.items = items;
    t.tracks.push(v);
    t
}

/// Writes `t` with Cutroom, reads it with OpenTimelineIO and compares item by item.
fn check_otio_reads_our_edl(t: &Timeline, drop_frame: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.edl");
    let text = edl::write(t, drop_frame).unwrap();
    std::fs::write(&path, &text).unwrap();
    let theirs = dump_with_otio(&path, t.rate);
    assert_eq!(theirs["name"], json!(t.name), "{text}");
    let tracks = theirs["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 1, "{theirs}\n{text}");
    assert_eq!(tracks[0]["kind"], json!("Video"));
    assert_eq!(
        tracks[0]["items"],
        our_items(&t.tracks[0], t.rate),
        "\n{text}"
    );
    text
}

#[test]
fn otio_reads_our_29_97_drop_frame_edl_with_gaps_and_a_dissolve_frame_for_frame() {
    let r = Rate::FPS_29_97;
    // Record times cross 01:10:00;00 and source times cross minute labels that drop-frame
    // skips, where a non-drop reading would be off by frames.
    let t = timeline(
        "DF reel 1",
        r,
        107_892 + 17_982 - 45,
        vec![
            clip("Alpha take 1", "/media/alpha take 1.mov", 1_790, 30, r),
            gap(17, r),
            clip("Bravo", "/media/bravo.mxf", 17_982 - 3, 100, r),
            dissolve(15, r),
            clip("Charlie", "/media/charlie.mov", 3_597, 60, r),
            gap(2, r),
            clip("Delta", "/media/delta.mov", 0, 1_801, r),
        ],
    );
    let text = check_otio_reads_our_edl(&t, true);
    assert!(text.contains("FCM: DROP FRAME"), "{text}");
    assert!(text.contains(" D 015 "), "{text}");
}

#[test]
fn otio_reads_our_24_fps_edl_with_gaps_and_a_dissolve_frame_for_frame() {
    let r = Rate::FPS_24;
    let t = timeline(
        "Reel 24",
        r,
        86_400,
        vec![
            clip("opening", "/media/opening.mov", 240, 96, r),
            dissolve(12, r),
            clip("wide", "/media/wide.mov", 1_000, 48, r),
            gap(24, r),
            clip("close", "/media/close.mov", 86_400 * 2, 31, r),
            dissolve(30, r),
            clip("end", "/media/end.mov", 5, 72, r),
        ],
    );
    let text = check_otio_reads_our_edl(&t, false);
    assert!(text.contains("FCM: NON-DROP FRAME"), "{text}");
}

#[test]
fn our_reader_agrees_with_otio_on_an_edl_written_by_otio() {
    let r = Rate::FPS_29_97;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("otio.edl");
    run_python(OTIO_WRITE, &[&path]);
    let text = std::fs::read_to_string(&path).unwrap();
    let theirs = dump_with_otio(&path, r);

    let ours = edl::parse(&text, r).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(ours.name, "otio made");
    assert_eq!(ours.tracks.len(), 1, "{ours:?}");
    let track = &ours.tracks[0];
    assert_eq!(
        theirs["tracks"][0]["items"],
        our_items(track, r),
        "\n{text}"
    );

    // And both match what was built: the centred dissolve (6 + 10) is written the EDL way,
    // starting at the cut, so Charlie ends 6 frames early and Delta starts 6 frames early.
    let expect = json!([
        {"type": "clip", "name": "Alpha", "src": [107_892 + 1_790, 100], "rec": [0, 100]},
        {"type": "gap", "rec": [100, 45]},
        {"type": "clip", "name": "Bravo", "src": [17_962, 90], "rec": [145, 90]},
        {"type": "transition", "in": 0, "out": 15},
        {"type": "clip", "name": "Charlie", "src": [3_000, 114], "rec": [235, 114]},
        {"type": "transition", "in": 0, "out": 16},
        {"type": "clip", "name": "Delta", "src": [494, 66], "rec": [349, 66]},
    ]);
    assert_eq!(our_items(track, r), expect, "\n{text}");
    let urls: Vec<Option<&str>> = track
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Clip(c) => Some(c.media.target_url.as_deref()),
            _ => None,
        })
        .collect();
    assert_eq!(
        urls,
        [
            Some("/media/alpha.mov"),
            Some("/media/bravo.mov"),
            Some("/media/charlie.mov"),
            Some("/media/delta.mov")
        ]
    );
}
