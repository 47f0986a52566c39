//! `cutroom info FILE [--json]`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use cutroom_timeline::formats::ReadOptions;
use cutroom_timeline::{Item, Rate, RationalTime, Timeline, TrackKind};
use serde_json::{json, Value};

use super::convert::parse_rate;
use super::{load, Document};

/// Arguments of `cutroom info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A .cutroom, .otio, .edl, .fcpxml, .srt, .vtt or .cube file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Frame rate of an EDL (CMX3600 does not record it).
    #[arg(long, default_value = "24", value_parser = parse_rate)]
    pub rate: Rate,
}

fn seconds(t: RationalTime) -> f64 {
    (t.to_seconds() * 1000.0).round() / 1000.0
}

fn timeline_json(tl: &Timeline) -> Value {
    let tracks: Vec<Value> = tl
        .tracks
        .iter()
        .map(|t| {
            let count = |f: fn(&Item) -> bool| t.items.iter().filter(|i| f(i)).count();
            json!({
                "name": t.name,
                "kind": t.kind,
                "clips": count(|i| matches!(i, Item::Clip(_))),
                "gaps": count(|i| matches!(i, Item::Gap(_))),
                "transitions": count(|i| matches!(i, Item::Transition(_))),
                "cues": t.cues.len(),
                "duration_frames": t.duration().to_frames(tl.rate),
            })
        })
        .collect();
    let d = tl.duration();
    json!({
        "type": "timeline",
        "name": tl.name,
        "rate": tl.rate.to_string(),
        "duration_frames": d.to_frames(tl.rate),
        "duration_seconds": seconds(d),
        "duration_timecode": d.to_timecode(tl.rate, tl.rate.supports_drop_frame()).to_string(),
        "markers": tl.markers.len(),
        "tracks": tracks,
    })
}

/// Describes the file on stdout.
pub fn run(args: &Args) -> Result<()> {
    let doc = load(
        &args.file,
        &ReadOptions {
            edl_rate: args.rate,
        },
    )
    .with_context(|| format!("reading {}", args.file.display()))?;
    let info = match &doc {
        Document::Project(p) => json!({
            "type": "project",
            "name": p.name,
            "media": p.media.len(),
            "timelines": p.timelines.iter().map(timeline_json).collect::<Vec<_>>(),
        }),
        Document::Timeline(tl) => timeline_json(tl),
        Document::Subtitles(cues) => json!({
            "type": "subtitles",
            "cues": cues.len(),
            "first_start_seconds": cues.iter().map(|c| c.range.start).min().map(seconds),
            "last_end_seconds": cues.iter().map(|c| c.range.end_exclusive()).max().map(seconds),
        }),
        Document::Lut(l) => json!({
            "type": "lut",
            "title": l.title,
            "size": l.size,
            "domain_min": l.domain_min,
            "domain_max": l.domain_max,
            "method": l.method,
        }),
    };
    if args.json {
        super::emit(&(serde_json::to_string_pretty(&info)? + "\n"))?;
    } else {
        let mut text = String::new();
        print_text(&mut text, &info, &doc);
        super::emit(&text)?;
    }
    Ok(())
}

fn print_text(o: &mut String, info: &Value, doc: &Document) {
    match doc {
        Document::Timeline(tl) => print_timeline(o, tl),
        Document::Project(p) => {
            writeln!(
                o,
                "project {:?}: {} media, {} timeline(s)",
                p.name,
                p.media.len(),
                p.timelines.len()
            )
            .expect("writing to a String cannot fail");
            for tl in &p.timelines {
                print_timeline(o, tl);
            }
        }
        _ => {
            if let Some(obj) = info.as_object() {
                for (k, v) in obj {
                    writeln!(o, "{k}: {v}").expect("writing to a String cannot fail");
                }
            }
        }
    }
}

fn print_timeline(o: &mut String, tl: &Timeline) {
    let d = tl.duration();
    writeln!(
        o,
        "timeline {:?} at {} fps, {} frames ({})",
        tl.name,
        tl.rate,
        d.to_frames(tl.rate),
        d.to_timecode(tl.rate, tl.rate.supports_drop_frame())
    )
    .expect("writing to a String cannot fail");
    for t in &tl.tracks {
        let what = match t.kind {
            TrackKind::Subtitle => format!("{} cues", t.cues.len()),
            _ => format!("{} items", t.items.len()),
        };
        writeln!(o, "  {:?} track {:?}: {}", t.kind, t.name, what)
            .expect("writing to a String cannot fail");
    }
}
