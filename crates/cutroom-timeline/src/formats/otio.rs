//! OpenTimelineIO JSON (`.otio`) adapter.
//!
//! Writes the JSON the OpenTimelineIO library writes (`Timeline.1` → `Stack.1` → `Track.1` →
//! `Clip.2` / `Gap.1` / `Transition.1`, with `Marker.2`, `RationalTime.1` and `TimeRange.1`),
//! indented by four spaces as OTIO does, and reads that plus the older `Clip.1` (a single
//! `media_reference`) and `Marker.1`.
//!
//! # Time
//!
//! OTIO stores rates and values as floats. Rates are written as `num as f64 / den as f64`
//! (23.976 is `23.976023976023978`, exactly what OTIO writes for 24000/1001) and read back by
//! exact match against the rates the file declares (the timeline rate, kept in Cutroom
//! metadata) and otherwise with [`Rate::from_f64`]. A fractional value is rounded to the
//! nearest whole unit with [`round_div`], the crate's one rounding rule.
//!
//! OTIO has no timeline rate; Cutroom writes its exact rate into the metadata. A file without
//! it takes the rate of `global_start_time`, else of the first clip or gap of a video track,
//! else of any track, else 24 fps.
//!
//! # What OTIO has no field for
//!
//! Cutroom-only data lives in `metadata["cutroom"]`, which OTIO and other tools carry along
//! and otherwise ignore: the exact timeline rate, marker confidence, a clip's color transform,
//! a track's language, and whole subtitle tracks with their cues (in the timeline's metadata,
//! with their index among the tracks, since OTIO has no subtitle track kind).
//!
//! # What is not supported
//!
//! - Nested compositions (a `Stack` or `Track` inside a track) and trimmed tracks or stacks
//!   (a non-null `source_range`) are rejected with an error saying so; flatten them in OTIO
//!   first (`otio.algorithms.flatten_stack`).
//! - Effects (including time warps) are ignored, whatever their schema.
//! - Every transition type reads as a dissolve with its offsets kept; markers on gaps, the
//!   `enabled` flag and foreign metadata are not kept.
//! - A media reference other than `ExternalReference` (missing, generator, image sequence)
//!   reads as a missing reference keeping its name and available range.

use serde::Serialize;
use serde_json::{json, Map, Number, Value};

use crate::error::{FormatError, ParseError};
use crate::formats::MAX_TIMELINE_ITEMS;
use crate::model::{
    Clip, ColorTransform, Gap, Item, Marker, MarkerColor, MediaReference, SubtitleCue, Timeline,
    Track, TrackKind, Transition, TransitionKind, WordTiming,
};
use crate::time::{round_div, Rate, RationalTime, TimeRange};

/// The key under which Cutroom keeps its own data in OTIO `metadata` objects.
pub const METADATA_KEY: &str = "cutroom";

/// The media-reference key OTIO uses for a clip's default media (`Clip.2`).
pub const DEFAULT_MEDIA: &str = "DEFAULT_MEDIA";

/// Largest time value read or written: beyond 2^53 a float no longer holds every integer.
const MAX_VALUE: f64 = 9_007_199_254_740_992.0;

/// Largest time read, in seconds (about three years), so rescaling between any two rates
/// stays inside 64 bits.
const MAX_SECONDS: f64 = 1e8;

const FORMAT: &str = "otio";

fn unrepresentable(reason: impl Into<String>) -> FormatError {
    FormatError::Unrepresentable {
        format: FORMAT,
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Writes `timeline` as OpenTimelineIO JSON.
///
/// Fails with [`FormatError::Unrepresentable`] for times beyond 2^53 units, non-finite marker
/// confidences or color values, cues on a video or audio track, or clips on a subtitle track.
pub fn write(timeline: &Timeline) -> Result<String, FormatError> {
    let mut w = Writer {
        exact_rates: vec![timeline.rate],
    };
    let value = w.timeline(timeline)?;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut ser)
        .map_err(|e| unrepresentable(e.to_string()))?;
    let mut text = String::from_utf8(out).map_err(|e| unrepresentable(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

struct Writer {
    /// Rates used in the timeline; those that [`Rate::from_f64`] would not recover exactly are
    /// listed in the timeline metadata.
    exact_rates: Vec<Rate>,
}

fn rate_json(rate: Rate) -> Value {
    json!({ "num": rate.num(), "den": rate.den() })
}

fn rate_f64(rate: Rate) -> f64 {
    rate.num() as f64 / rate.den() as f64
}

fn float(x: f64) -> Result<Value, FormatError> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| unrepresentable(format!("{x} is not a finite number")))
}

/// An `f32` as the shortest decimal that reads back to the same `f32`.
fn float32(x: f32, what: &str) -> Result<Value, FormatError> {
    if !x.is_finite() {
        return Err(unrepresentable(format!(
            "{what} is {x}, not a finite number"
        )));
    }
    let shortest: f64 = x.to_string().parse().unwrap_or(x as f64);
    float(shortest)
}

fn float32_triple(v: [f32; 3], what: &str) -> Result<Value, FormatError> {
    Ok(Value::Array(vec![
        float32(v[0], what)?,
        float32(v[1], what)?,
        float32(v[2], what)?,
    ]))
}

fn metadata(cutroom: Map<String, Value>) -> Value {
    let mut m = Map::new();
    if !cutroom.is_empty() {
        m.insert(METADATA_KEY.to_string(), Value::Object(cutroom));
    }
    Value::Object(m)
}

impl Writer {
    fn time(&mut self, t: RationalTime) -> Result<Value, FormatError> {
        if (t.value as f64).abs() > MAX_VALUE {
            return Err(unrepresentable(format!(
                "time {t} is too large for OTIO's floating-point values"
            )));
        }
        if !self.exact_rates.contains(&t.rate) {
            self.exact_rates.push(t.rate);
        }
        Ok(json!({
            "OTIO_SCHEMA": "RationalTime.1",
            "rate": float(rate_f64(t.rate))?,
            "value": float(t.value as f64)?,
        }))
    }

    fn range(&mut self, r: &TimeRange) -> Result<Value, FormatError> {
        Ok(json!({
            "OTIO_SCHEMA": "TimeRange.1",
            "duration": self.time(r.duration)?,
            "start_time": self.time(r.start)?,
        }))
    }

    fn markers(&mut self, markers: &[Marker]) -> Result<Value, FormatError> {
        let mut out = Vec::with_capacity(markers.len());
        for m in markers {
            let mut cutroom = Map::new();
            if let Some(c) = m.confidence {
                cutroom.insert("confidence".into(), float32(c, "marker confidence")?);
            }
            out.push(json!({
                "OTIO_SCHEMA": "Marker.2",
                "metadata": metadata(cutroom),
                "name": m.name,
                "color": m.color.as_str(),
                "marked_range": self.range(&m.range)?,
                "comment": m.note,
            }));
        }
        Ok(Value::Array(out))
    }

    fn timeline(&mut self, tl: &Timeline) -> Result<Value, FormatError> {
        let global_start = self.time(tl.global_start)?;
        let mut children = Vec::new();
        let mut subtitle_tracks = Vec::new();
        for (index, track) in tl.tracks.iter().enumerate() {
            match track.kind {
                TrackKind::Subtitle => subtitle_tracks.push(self.subtitle_track(index, track)?),
                TrackKind::Video | TrackKind::Audio => children.push(self.track(track)?),
            }
        }
        let stack = json!({
            "OTIO_SCHEMA": "Stack.1",
            "metadata": {},
            "name": "tracks",
            "source_range": null,
            "effects": [],
            "markers": self.markers(&tl.markers)?,
            "enabled": true,
            "color": null,
            "children": children,
        });
        let mut cutroom = Map::new();
        cutroom.insert("rate".into(), rate_json(tl.rate));
        let extra: Vec<Value> = self
            .exact_rates
            .iter()
            .filter(|r| **r != tl.rate && Rate::from_f64(rate_f64(**r)).ok() != Some(**r))
            .map(|r| rate_json(*r))
            .collect();
        if !extra.is_empty() {
            cutroom.insert("exact_rates".into(), Value::Array(extra));
        }
        if !subtitle_tracks.is_empty() {
            cutroom.insert("subtitle_tracks".into(), Value::Array(subtitle_tracks));
        }
        Ok(json!({
            "OTIO_SCHEMA": "Timeline.1",
            "metadata": metadata(cutroom),
            "name": tl.name,
            "global_start_time": global_start,
            "tracks": stack,
        }))
    }

    fn track(&mut self, track: &Track) -> Result<Value, FormatError> {
        if !track.cues.is_empty() {
            return Err(unrepresentable(format!(
                "track {:?} is not a subtitle track but holds subtitle cues",
                track.name
            )));
        }
        let mut cutroom = Map::new();
        if let Some(lang) = &track.language {
            cutroom.insert("language".into(), Value::String(lang.clone()));
        }
        let mut children = Vec::with_capacity(track.items.len());
        for item in &track.items {
            children.push(match item {
                Item::Clip(c) => self.clip(c)?,
                Item::Gap(g) => self.gap(g)?,
                Item::Transition(t) => self.transition(t)?,
            });
        }
        Ok(json!({
            "OTIO_SCHEMA": "Track.1",
            "metadata": metadata(cutroom),
            "name": track.name,
            "source_range": null,
            "effects": [],
            "markers": self.markers(&track.markers)?,
            "enabled": true,
            "color": null,
            "children": children,
            "kind": if track.kind == TrackKind::Audio { "Audio" } else { "Video" },
        }))
    }

    fn clip(&mut self, c: &Clip) -> Result<Value, FormatError> {
        let mut cutroom = Map::new();
        if let Some(ct) = &c.color {
            cutroom.insert("color_transform".into(), color_transform_json(ct)?);
        }
        let available_range = match &c.media.available_range {
            Some(r) => self.range(r)?,
            None => Value::Null,
        };
        let reference = match &c.media.target_url {
            Some(url) => json!({
                "OTIO_SCHEMA": "ExternalReference.1",
                "metadata": {},
                "name": c.media.name,
                "available_range": available_range,
                "available_image_bounds": null,
                "target_url": url,
            }),
            None => json!({
                "OTIO_SCHEMA": "MissingReference.1",
                "metadata": {},
                "name": c.media.name,
                "available_range": available_range,
                "available_image_bounds": null,
            }),
        };
        Ok(json!({
            "OTIO_SCHEMA": "Clip.2",
            "metadata": metadata(cutroom),
            "name": c.name,
            "source_range": self.range(&c.source_range)?,
            "effects": [],
            "markers": self.markers(&c.markers)?,
            "enabled": true,
            "color": null,
            "media_references": { DEFAULT_MEDIA: reference },
            "active_media_reference_key": DEFAULT_MEDIA,
        }))
    }

    fn gap(&mut self, g: &Gap) -> Result<Value, FormatError> {
        let range = TimeRange::new(RationalTime::zero(g.duration.rate), g.duration);
        Ok(json!({
            "OTIO_SCHEMA": "Gap.1",
            "metadata": {},
            "name": "",
            "source_range": self.range(&range)?,
            "effects": [],
            "markers": [],
            "enabled": true,
            "color": null,
        }))
    }

    fn transition(&mut self, t: &Transition) -> Result<Value, FormatError> {
        let kind = match t.kind {
            TransitionKind::Dissolve => "SMPTE_Dissolve",
        };
        Ok(json!({
            "OTIO_SCHEMA": "Transition.1",
            "metadata": {},
            "name": t.name,
            "in_offset": self.time(t.in_offset)?,
            "out_offset": self.time(t.out_offset)?,
            "transition_type": kind,
        }))
    }

    fn subtitle_track(&mut self, index: usize, track: &Track) -> Result<Value, FormatError> {
        if !track.items.is_empty() {
            return Err(unrepresentable(format!(
                "subtitle track {:?} holds clips, gaps or transitions",
                track.name
            )));
        }
        let mut cues = Vec::with_capacity(track.cues.len());
        for cue in &track.cues {
            let mut c = Map::new();
            c.insert("range".into(), self.range(&cue.range)?);
            c.insert("text".into(), Value::String(cue.text.clone()));
            if !cue.words.is_empty() {
                let mut words = Vec::with_capacity(cue.words.len());
                for w in &cue.words {
                    let mut word = Map::new();
                    word.insert("text".into(), Value::String(w.text.clone()));
                    word.insert("range".into(), self.range(&w.range)?);
                    if let Some(p) = w.probability {
                        word.insert("probability".into(), float32(p, "word probability")?);
                    }
                    words.push(Value::Object(word));
                }
                c.insert("words".into(), Value::Array(words));
            }
            if let Some(id) = &cue.id {
                c.insert("id".into(), Value::String(id.clone()));
            }
            cues.push(Value::Object(c));
        }
        Ok(json!({
            "index": index,
            "name": track.name,
            "language": track.language,
            "markers": self.markers(&track.markers)?,
            "cues": cues,
        }))
    }
}

fn color_transform_json(ct: &ColorTransform) -> Result<Value, FormatError> {
    if !(2..=ColorTransform::MAX_SIZE).contains(&ct.size)
        || ct.table.len() != ct.size * ct.size * ct.size
    {
        return Err(unrepresentable(format!(
            "color transform {:?} has size {} but {} table entries",
            ct.title,
            ct.size,
            ct.table.len()
        )));
    }
    let mut table = Vec::with_capacity(ct.table.len());
    for entry in &ct.table {
        table.push(float32_triple(*entry, "a color table entry")?);
    }
    Ok(json!({
        "title": ct.title,
        "size": ct.size,
        "domain_min": float32_triple(ct.domain_min, "the color domain")?,
        "domain_max": float32_triple(ct.domain_max, "the color domain")?,
        "table": table,
        "method": ct.method,
        "params": ct.params,
    }))
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Parses OpenTimelineIO JSON into a timeline.
///
/// The top level must be a `Timeline.1` (or a `SerializableCollection.1`, whose first
/// timeline is read). JSON syntax errors report serde_json's line and column; other errors
/// name the JSON path of the offending value and point at its line and column.
pub fn parse(text: &str) -> Result<Timeline, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    parse_with_limit(text, MAX_TIMELINE_ITEMS)
}

/// [`parse`] with a custom bound on the number of items, markers and cues.
fn parse_with_limit(text: &str, limit: usize) -> Result<Timeline, ParseError> {
    let root: Value = serde_json::from_str(text).map_err(|e| syntax_error(&e))?;
    let mut reader = Reader {
        exact_rates: Vec::new(),
        count: 0,
        limit,
    };
    reader
        .document(&root, &At::ROOT)
        .map_err(|bad| bad.into_parse_error(text))
}

fn syntax_error(e: &serde_json::Error) -> ParseError {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => &message,
    };
    let reason = match e.classify() {
        serde_json::error::Category::Eof => {
            format!("the JSON ends early ({message}); is the file truncated?")
        }
        _ => format!("invalid JSON: {message}"),
    };
    ParseError::at(e.line(), e.column(), reason)
}

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// Where in the document a value sits: a linked list of path steps up to the root.
#[derive(Debug, Clone, Copy)]
struct At<'a> {
    parent: Option<&'a At<'a>>,
    seg: Seg<'a>,
}

#[derive(Debug, Clone)]
enum OwnedSeg {
    Key(String),
    Index(usize),
}

/// A semantic error: the path of the offending value and why.
#[derive(Debug)]
struct Bad {
    path: Vec<OwnedSeg>,
    reason: String,
}

impl<'a> At<'a> {
    const ROOT: At<'static> = At {
        parent: None,
        seg: Seg::Root,
    };

    fn key(&'a self, key: &'a str) -> At<'a> {
        At {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn index(&'a self, index: usize) -> At<'a> {
        At {
            parent: Some(self),
            seg: Seg::Index(index),
        }
    }

    fn err(&self, reason: impl Into<String>) -> Bad {
        let mut path = Vec::new();
        let mut cur = Some(self);
        while let Some(at) = cur {
            match at.seg {
                Seg::Root => {}
                Seg::Key(k) => path.push(OwnedSeg::Key(k.to_string())),
                Seg::Index(i) => path.push(OwnedSeg::Index(i)),
            }
            cur = at.parent;
        }
        path.reverse();
        Bad {
            path,
            reason: reason.into(),
        }
    }
}

impl Bad {
    fn into_parse_error(self, text: &str) -> ParseError {
        let mut shown = String::new();
        for seg in &self.path {
            match seg {
                OwnedSeg::Key(k) => {
                    if !shown.is_empty() {
                        shown.push('.');
                    }
                    shown.push_str(k);
                }
                OwnedSeg::Index(i) => shown.push_str(&format!("[{i}]")),
            }
        }
        let reason = if shown.is_empty() {
            self.reason
        } else {
            format!("at {shown}: {}", self.reason)
        };
        match locate(text, &self.path) {
            Some((line, column)) => ParseError::at(line, column, reason),
            None => ParseError::whole(reason),
        }
    }
}

// --- Locating a JSON path in the (already valid) text, for error positions ------------------

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Index just past the string starting at `i` (which must be a `"`).
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Index just past the JSON value starting at `i`, without recursion.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(i)? {
            b'"' => i = skip_string(b, i)?,
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => {
                while !matches!(
                    b.get(i),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    i += 1;
                }
                if depth == 0 {
                    return Some(i);
                }
                i = skip_ws(b, i);
                if b.get(i) == Some(&b',') {
                    i += 1;
                }
                continue;
            }
        }
        if depth == 0 {
            return Some(i);
        }
        i = skip_ws(b, i);
        if matches!(b.get(i), Some(b',' | b':')) {
            i += 1;
        }
        i = skip_ws(b, i);
    }
}

/// Line and column (1-based, column in characters) of the value at `path`.
fn locate(text: &str, path: &[OwnedSeg]) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    for seg in path {
        match seg {
            OwnedSeg::Key(key) => {
                if b.get(i) != Some(&b'{') {
                    return None;
                }
                i = skip_ws(b, i + 1);
                loop {
                    if b.get(i) != Some(&b'"') {
                        return None;
                    }
                    let end = skip_string(b, i)?;
                    let raw = text.get(i + 1..end - 1)?;
                    i = skip_ws(b, end);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                    if raw == key {
                        break;
                    }
                    i = skip_ws(b, skip_value(b, i)?);
                    if b.get(i) != Some(&b',') {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                }
            }
            OwnedSeg::Index(n) => {
                if b.get(i) != Some(&b'[') {
                    return None;
                }
                i = skip_ws(b, i + 1);
                for _ in 0..*n {
                    i = skip_ws(b, skip_value(b, i)?);
                    if b.get(i) != Some(&b',') {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                }
            }
        }
    }
    let before = text.get(..i)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
    let column = text.get(line_start..i)?.chars().count() + 1;
    Some((line, column))
}

// --- Value helpers ---------------------------------------------------------------------------

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'v>(v: &'v Value, at: &At) -> Result<&'v Map<String, Value>, Bad> {
    v.as_object()
        .ok_or_else(|| at.err(format!("expected an object, found {}", kind_of(v))))
}

fn array<'v>(v: &'v Value, at: &At) -> Result<&'v [Value], Bad> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| at.err(format!("expected an array, found {}", kind_of(v))))
}

/// A field that may be missing or null.
fn optional<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).filter(|v| !v.is_null())
}

fn required<'v>(map: &'v Map<String, Value>, key: &str, at: &At) -> Result<&'v Value, Bad> {
    optional(map, key).ok_or_else(|| at.err(format!("missing field \"{key}\"")))
}

fn number(v: &Value, at: &At) -> Result<f64, Bad> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| at.err("number out of range".to_string())),
        other => Err(at.err(format!("expected a number, found {}", kind_of(other)))),
    }
}

/// A string field; missing or null reads as empty.
fn text_field(map: &Map<String, Value>, key: &str, at: &At) -> Result<String, Bad> {
    match optional(map, key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(at
            .key(key)
            .err(format!("expected a string, found {}", kind_of(other)))),
    }
}

/// The schema of an OTIO object, split into family and version ("Clip.2" → ("Clip", 2)).
fn schema<'v>(map: &'v Map<String, Value>, at: &At) -> Result<(&'v str, u32), Bad> {
    let name = match map.get("OTIO_SCHEMA") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(at.key("OTIO_SCHEMA").err(format!(
                "expected a schema name such as \"Clip.2\", found {}",
                kind_of(other)
            )))
        }
        None => return Err(at.err("missing \"OTIO_SCHEMA\"; not an OpenTimelineIO object")),
    };
    let bad = || {
        at.key("OTIO_SCHEMA").err(format!(
            "schema name {name:?} is not of the form Name.version"
        ))
    };
    let (family, version) = name.rsplit_once('.').ok_or_else(bad)?;
    let version: u32 = version.parse().map_err(|_| bad())?;
    Ok((family, version))
}

fn check_version(family: &str, version: u32, known: &[u32], at: &At) -> Result<(), Bad> {
    if known.contains(&version) {
        return Ok(());
    }
    let known: Vec<String> = known.iter().map(|v| format!("{family}.{v}")).collect();
    Err(at.key("OTIO_SCHEMA").err(format!(
        "unsupported schema version {family}.{version} (this reader knows {})",
        known.join(", ")
    )))
}

/// The metadata["cutroom"] object, if any.
fn cutroom_metadata<'v>(
    map: &'v Map<String, Value>,
    at: &At,
) -> Result<Option<&'v Map<String, Value>>, Bad> {
    let Some(meta) = optional(map, "metadata") else {
        return Ok(None);
    };
    let at_meta = at.key("metadata");
    let meta = object(meta, &at_meta)?;
    match optional(meta, METADATA_KEY) {
        None => Ok(None),
        Some(v) => object(v, &at_meta.key(METADATA_KEY)).map(Some),
    }
}

fn read_rate_json(v: &Value, at: &At) -> Result<Rate, Bad> {
    let map = object(v, at)?;
    let part = |key: &str| -> Result<i64, Bad> {
        let v = required(map, key, at)?;
        v.as_i64().ok_or_else(|| {
            at.key(key)
                .err(format!("expected a whole number, found {}", kind_of(v)))
        })
    };
    let (num, den) = (part("num")?, part("den")?);
    Rate::new(num, den).map_err(|e| at.err(e.to_string()))
}

/// A float value as whole units, rounding a fractional value to the nearest unit.
fn whole_units(value: f64, at: &At) -> Result<i64, Bad> {
    if !value.is_finite() || value.abs() > MAX_VALUE {
        return Err(at.err(format!(
            "time value {value} is out of range (at most 2^53 units)"
        )));
    }
    if value.fract() == 0.0 {
        return Ok(value as i64);
    }
    let micro_units = (value * 1e6).round() as i128;
    round_div(micro_units, 1_000_000)
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| at.err(format!("time value {value} is out of range")))
}

struct Reader {
    /// Rates matched exactly against a float rate before falling back to [`Rate::from_f64`].
    exact_rates: Vec<Rate>,
    /// Items, markers and cues read so far.
    count: usize,
    /// Most items, markers and cues accepted.
    limit: usize,
}

impl Reader {
    fn bump(&mut self, at: &At) -> Result<(), Bad> {
        self.count += 1;
        if self.count > self.limit {
            return Err(at.err(format!(
                "more than {} clips, gaps, transitions, markers and cues",
                self.limit
            )));
        }
        Ok(())
    }

    fn rate(&self, v: &Value, at: &At) -> Result<Rate, Bad> {
        let fps = number(v, at)?;
        if !fps.is_finite() || fps <= 0.0 {
            return Err(at.err(format!(
                "rate {fps} is not a valid rate; it must be positive"
            )));
        }
        if let Some(exact) = self.exact_rates.iter().find(|r| rate_f64(**r) == fps) {
            return Ok(*exact);
        }
        Rate::from_f64(fps).map_err(|_| at.err(format!("rate {fps} is out of range")))
    }

    fn time(&self, v: &Value, at: &At) -> Result<RationalTime, Bad> {
        self.time_and_float(v, at).map(|(t, _)| t)
    }

    /// The time, and its value as the float written in the file.
    fn time_and_float(&self, v: &Value, at: &At) -> Result<(RationalTime, f64), Bad> {
        let map = object(v, at)?;
        if map.contains_key("OTIO_SCHEMA") {
            let (family, version) = schema(map, at)?;
            if family != "RationalTime" {
                return Err(at.err(format!("expected a RationalTime, found a {family}")));
            }
            check_version(family, version, &[1], at)?;
        }
        let at_rate = at.key("rate");
        let rate = self.rate(required(map, "rate", at)?, &at_rate)?;
        let at_value = at.key("value");
        let value = number(required(map, "value", at)?, &at_value)?;
        if !value.is_finite() || (value / rate_f64(rate)).abs() > MAX_SECONDS {
            return Err(at_value.err(format!(
                "time value {value} at rate {rate} is out of range (more than {MAX_SECONDS} seconds)"
            )));
        }
        Ok((
            RationalTime::new(whole_units(value, &at_value)?, rate),
            value,
        ))
    }

    fn non_negative(&self, v: &Value, at: &At, what: &str) -> Result<RationalTime, Bad> {
        let (t, value) = self.time_and_float(v, at)?;
        if value < 0.0 {
            return Err(at.key("value").err(format!("{what} is negative ({value})")));
        }
        Ok(t)
    }

    fn range(&self, v: &Value, at: &At) -> Result<TimeRange, Bad> {
        let map = object(v, at)?;
        if map.contains_key("OTIO_SCHEMA") {
            let (family, version) = schema(map, at)?;
            if family != "TimeRange" {
                return Err(at.err(format!("expected a TimeRange, found a {family}")));
            }
            check_version(family, version, &[1], at)?;
        }
        let start = self.time(required(map, "start_time", at)?, &at.key("start_time"))?;
        let at_duration = at.key("duration");
        let duration =
            self.non_negative(required(map, "duration", at)?, &at_duration, "duration")?;
        start
            .checked_add(duration)
            .map_err(|_| at.err("the range ends beyond the representable time"))?;
        Ok(TimeRange::new(start, duration))
    }

    fn document(&mut self, root: &Value, at: &At) -> Result<Timeline, Bad> {
        let map = object(root, at)?;
        let (family, version) = schema(map, at)?;
        match family {
            "Timeline" => {
                check_version(family, version, &[1], at)?;
                self.timeline(map, at)
            }
            "SerializableCollection" => {
                check_version(family, version, &[1], at)?;
                let at_children = at.key("children");
                let children = array(required(map, "children", at)?, &at_children)?;
                for (i, child) in children.iter().enumerate() {
                    let at_child = at_children.index(i);
                    let child_map = object(child, &at_child)?;
                    if schema(child_map, &at_child)?.0 == "Timeline" {
                        return self.document(child, &at_child);
                    }
                }
                Err(at.err("the SerializableCollection holds no Timeline"))
            }
            other => Err(at.key("OTIO_SCHEMA").err(format!(
                "the top-level object is a {other}.{version}; expected a Timeline.1"
            ))),
        }
    }

    fn timeline(&mut self, map: &Map<String, Value>, at: &At) -> Result<Timeline, Bad> {
        let name = text_field(map, "name", at)?;
        let cutroom = cutroom_metadata(map, at)?;
        let at_cutroom = at.key("metadata");
        let at_cutroom = at_cutroom.key(METADATA_KEY);
        let mut declared_rate = None;
        if let Some(cr) = cutroom {
            if let Some(v) = optional(cr, "rate") {
                let rate = read_rate_json(v, &at_cutroom.key("rate"))?;
                declared_rate = Some(rate);
                self.exact_rates.push(rate);
            }
            if let Some(v) = optional(cr, "exact_rates") {
                let at_rates = at_cutroom.key("exact_rates");
                for (i, r) in array(v, &at_rates)?.iter().enumerate().take(1000) {
                    let rate = read_rate_json(r, &at_rates.index(i))?;
                    self.exact_rates.push(rate);
                }
            }
        }
        let global_start = match optional(map, "global_start_time") {
            Some(v) => Some(self.time(v, &at.key("global_start_time"))?),
            None => None,
        };
        let at_stack = at.key("tracks");
        let (mut tracks, markers) = match optional(map, "tracks") {
            Some(v) => self.stack(v, &at_stack)?,
            None => (Vec::new(), Vec::new()),
        };
        let rate = declared_rate
            .or(global_start.map(|g| g.rate))
            .or_else(|| first_item_rate(&tracks, Some(TrackKind::Video)))
            .or_else(|| first_item_rate(&tracks, None))
            .unwrap_or(Rate::FPS_24);
        if let Some(cr) = cutroom {
            if let Some(v) = optional(cr, "subtitle_tracks") {
                let at_subs = at_cutroom.key("subtitle_tracks");
                for (i, sub) in array(v, &at_subs)?.iter().enumerate() {
                    let (index, track) = self.subtitle_track(sub, &at_subs.index(i))?;
                    let index = index.min(tracks.len());
                    tracks.insert(index, track);
                }
            }
        }
        let timeline = Timeline {
            name,
            rate,
            global_start: global_start.unwrap_or(RationalTime::zero(rate)),
            tracks,
            markers,
        };
        for track in &timeline.tracks {
            if track.duration().try_rescaled_to(timeline.rate).is_err() {
                return Err(at_stack.err(format!(
                    "track {:?} is too long to express at the timeline rate",
                    track.name
                )));
            }
        }
        Ok(timeline)
    }

    fn stack(&mut self, v: &Value, at: &At) -> Result<(Vec<Track>, Vec<Marker>), Bad> {
        let map = object(v, at)?;
        let (family, version) = schema(map, at)?;
        if family != "Stack" {
            return Err(at.key("OTIO_SCHEMA").err(format!(
                "the timeline's tracks must be a Stack, found a {family}"
            )));
        }
        check_version(family, version, &[1], at)?;
        if optional(map, "source_range").is_some() {
            return Err(at
                .key("source_range")
                .err("a trimmed timeline stack (non-null source_range) is not supported"));
        }
        let markers = self.markers(map, at)?;
        let mut tracks = Vec::new();
        if let Some(children) = optional(map, "children") {
            let at_children = at.key("children");
            for (i, child) in array(children, &at_children)?.iter().enumerate() {
                let at_child = at_children.index(i);
                let child_map = object(child, &at_child)?;
                let (family, version) = schema(child_map, &at_child)?;
                match family {
                    "Track" => {
                        check_version(family, version, &[1], &at_child)?;
                        tracks.push(self.track(child_map, &at_child)?);
                    }
                    "Stack" => {
                        return Err(at_child.err(
                            "a Stack nested in the timeline's stack is not supported; \
                             flatten it first (otio.algorithms.flatten_stack)",
                        ))
                    }
                    other => {
                        return Err(at_child.err(format!(
                            "expected a Track in the timeline's stack, found a {other}"
                        )))
                    }
                }
            }
        }
        Ok((tracks, markers))
    }

    fn markers(&mut self, map: &Map<String, Value>, at: &At) -> Result<Vec<Marker>, Bad> {
        let Some(v) = optional(map, "markers") else {
            return Ok(Vec::new());
        };
        let at_markers = at.key("markers");
        let list = array(v, &at_markers)?;
        let mut out = Vec::with_capacity(list.len().min(1024));
        for (i, m) in list.iter().enumerate() {
            let at_m = at_markers.index(i);
            self.bump(&at_m)?;
            out.push(self.marker(m, &at_m)?);
        }
        Ok(out)
    }

    fn marker(&mut self, v: &Value, at: &At) -> Result<Marker, Bad> {
        let map = object(v, at)?;
        let (family, version) = schema(map, at)?;
        if family != "Marker" {
            return Err(at.err(format!("expected a Marker, found a {family}")));
        }
        check_version(family, version, &[1, 2], at)?;
        let range = self.range(required(map, "marked_range", at)?, &at.key("marked_range"))?;
        let color = match optional(map, "color") {
            Some(Value::String(s)) => MarkerColor::parse(s).unwrap_or_default(),
            _ => MarkerColor::default(),
        };
        let mut confidence = None;
        if let Some(cr) = cutroom_metadata(map, at)? {
            if let Some(c) = optional(cr, "confidence") {
                let at_c = at.key("metadata");
                let at_c = at_c.key(METADATA_KEY);
                let at_c = at_c.key("confidence");
                let c = number(c, &at_c)?;
                if !(0.0..=1.0).contains(&c) {
                    return Err(at_c.err(format!("confidence {c} is outside 0..1")));
                }
                confidence = Some(c as f32);
            }
        }
        Ok(Marker {
            name: text_field(map, "name", at)?,
            range,
            color,
            note: text_field(map, "comment", at)?,
            confidence,
        })
    }

    fn track(&mut self, map: &Map<String, Value>, at: &At) -> Result<Track, Bad> {
        let name = text_field(map, "name", at)?;
        let kind = match optional(map, "kind") {
            Some(Value::String(k)) if k == "Video" => TrackKind::Video,
            Some(Value::String(k)) if k == "Audio" => TrackKind::Audio,
            Some(Value::String(k)) => {
                return Err(at.key("kind").err(format!(
                    "track {name:?} has kind {k:?}; expected \"Video\" or \"Audio\""
                )))
            }
            Some(other) => {
                return Err(at
                    .key("kind")
                    .err(format!("expected a string, found {}", kind_of(other))))
            }
            // OTIO's default kind.
            None => TrackKind::Video,
        };
        if optional(map, "source_range").is_some() {
            return Err(at.key("source_range").err(format!(
                "track {name:?} is trimmed (non-null source_range), which is not supported"
            )));
        }
        let mut track = Track::new(name, kind);
        if let Some(cr) = cutroom_metadata(map, at)? {
            if optional(cr, "language").is_some() {
                let at_cr = at.key("metadata");
                track.language = Some(text_field(cr, "language", &at_cr.key(METADATA_KEY))?);
            }
        }
        track.markers = self.markers(map, at)?;
        if let Some(children) = optional(map, "children") {
            let at_children = at.key("children");
            let list = array(children, &at_children)?;
            track.items.reserve(list.len().min(MAX_TIMELINE_ITEMS));
            for (i, child) in list.iter().enumerate() {
                let at_child = at_children.index(i);
                self.bump(&at_child)?;
                track.items.push(self.item(child, &at_child, &track.name)?);
            }
        }
        check_track_arithmetic(&track).map_err(|reason| at.err(reason))?;
        Ok(track)
    }

    fn item(&mut self, v: &Value, at: &At, track: &str) -> Result<Item, Bad> {
        let map = object(v, at)?;
        let (family, version) = schema(map, at)?;
        match family {
            "Clip" => {
                check_version(family, version, &[1, 2], at)?;
                Ok(Item::Clip(self.clip(map, version, at)?))
            }
            "Gap" => {
                check_version(family, version, &[1], at)?;
                let at_range = at.key("source_range");
                let range = self.range(required(map, "source_range", at)?, &at_range)?;
                Ok(Item::Gap(Gap {
                    duration: range.duration,
                }))
            }
            "Transition" => {
                check_version(family, version, &[1], at)?;
                let in_offset = self.non_negative(
                    required(map, "in_offset", at)?,
                    &at.key("in_offset"),
                    "in_offset",
                )?;
                let out_offset = self.non_negative(
                    required(map, "out_offset", at)?,
                    &at.key("out_offset"),
                    "out_offset",
                )?;
                in_offset
                    .checked_add(out_offset)
                    .map_err(|_| at.err("transition is too long"))?;
                Ok(Item::Transition(Transition {
                    name: text_field(map, "name", at)?,
                    kind: TransitionKind::Dissolve,
                    in_offset,
                    out_offset,
                }))
            }
            "Stack" | "Track" => Err(at.err(format!(
                "a {family} nested inside track {track:?} is not supported (Cutroom tracks are \
                 flat); flatten it first (otio.algorithms.flatten_stack)"
            ))),
            other => Err(at.key("OTIO_SCHEMA").err(format!(
                "unsupported item {other}.{version} in track {track:?} \
                 (expected Clip, Gap or Transition)"
            ))),
        }
    }

    fn clip(&mut self, map: &Map<String, Value>, version: u32, at: &At) -> Result<Clip, Bad> {
        let name = text_field(map, "name", at)?;
        let media = if version == 1 {
            match optional(map, "media_reference") {
                Some(r) => self.media_reference(r, &at.key("media_reference"))?,
                None => MediaReference::missing(""),
            }
        } else {
            let key = match optional(map, "active_media_reference_key") {
                Some(Value::String(k)) => k.as_str(),
                Some(other) => {
                    return Err(at
                        .key("active_media_reference_key")
                        .err(format!("expected a string, found {}", kind_of(other))))
                }
                None => DEFAULT_MEDIA,
            };
            match optional(map, "media_references") {
                None => MediaReference::missing(""),
                Some(refs) => {
                    let at_refs = at.key("media_references");
                    let refs = object(refs, &at_refs)?;
                    match refs.get(key) {
                        Some(r) => self.media_reference(r, &at_refs.key(key))?,
                        None if refs.is_empty() => MediaReference::missing(""),
                        None => {
                            return Err(at.key("active_media_reference_key").err(format!(
                                "clip {name:?}: active media reference {key:?} is not among \
                                 its media_references"
                            )))
                        }
                    }
                }
            }
        };
        let source_range = match optional(map, "source_range") {
            Some(r) => self.range(r, &at.key("source_range"))?,
            None => media.available_range.ok_or_else(|| {
                at.err(format!(
                    "clip {name:?} has neither a source_range nor a media available_range, \
                     so its length is unknown"
                ))
            })?,
        };
        let mut color = None;
        if let Some(cr) = cutroom_metadata(map, at)? {
            if let Some(ct) = optional(cr, "color_transform") {
                let at_ct = at.key("metadata");
                let at_ct = at_ct.key(METADATA_KEY);
                color = Some(read_color_transform(ct, &at_ct.key("color_transform"))?);
            }
        }
        Ok(Clip {
            name,
            media,
            source_range,
            markers: self.markers(map, at)?,
            color,
        })
    }

    fn media_reference(&mut self, v: &Value, at: &At) -> Result<MediaReference, Bad> {
        let map = object(v, at)?;
        let (family, _version) = schema(map, at)?;
        let available_range = match optional(map, "available_range") {
            Some(r) => Some(self.range(r, &at.key("available_range"))?),
            None => None,
        };
        let target_url = if family == "ExternalReference" {
            match optional(map, "target_url") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(at
                        .key("target_url")
                        .err(format!("expected a string, found {}", kind_of(other))))
                }
                None => None,
            }
        } else {
            None
        };
        Ok(MediaReference {
            name: text_field(map, "name", at)?,
            target_url,
            available_range,
        })
    }

    fn subtitle_track(&mut self, v: &Value, at: &At) -> Result<(usize, Track), Bad> {
        let map = object(v, at)?;
        let index = match optional(map, "index") {
            Some(i) => i.as_u64().ok_or_else(|| {
                at.key("index")
                    .err(format!("expected a track index, found {}", kind_of(i)))
            })?,
            None => u64::MAX,
        };
        let mut track = Track::new(text_field(map, "name", at)?, TrackKind::Subtitle);
        if optional(map, "language").is_some() {
            track.language = Some(text_field(map, "language", at)?);
        }
        track.markers = self.markers(map, at)?;
        if let Some(cues) = optional(map, "cues") {
            let at_cues = at.key("cues");
            let list = array(cues, &at_cues)?;
            track.cues.reserve(list.len().min(MAX_TIMELINE_ITEMS));
            for (i, cue) in list.iter().enumerate() {
                let at_cue = at_cues.index(i);
                self.bump(&at_cue)?;
                track.cues.push(self.cue(cue, &at_cue)?);
            }
        }
        Ok((usize::try_from(index).unwrap_or(usize::MAX), track))
    }

    fn cue(&mut self, v: &Value, at: &At) -> Result<SubtitleCue, Bad> {
        let map = object(v, at)?;
        let range = self.range(required(map, "range", at)?, &at.key("range"))?;
        let mut cue = SubtitleCue::new(range, text_field(map, "text", at)?);
        if optional(map, "id").is_some() {
            cue.id = Some(text_field(map, "id", at)?);
        }
        if let Some(words) = optional(map, "words") {
            let at_words = at.key("words");
            for (i, w) in array(words, &at_words)?.iter().enumerate() {
                let at_w = at_words.index(i);
                self.bump(&at_w)?;
                let wmap = object(w, &at_w)?;
                let probability = match optional(wmap, "probability") {
                    Some(p) => {
                        let at_p = at_w.key("probability");
                        let p = number(p, &at_p)?;
                        if !(0.0..=1.0).contains(&p) {
                            return Err(at_p.err(format!("probability {p} is outside 0..1")));
                        }
                        Some(p as f32)
                    }
                    None => None,
                };
                cue.words.push(WordTiming {
                    text: text_field(wmap, "text", &at_w)?,
                    range: self.range(required(wmap, "range", &at_w)?, &at_w.key("range"))?,
                    probability,
                });
            }
        }
        Ok(cue)
    }
}

fn read_f32(v: &Value, at: &At) -> Result<f32, Bad> {
    let x = number(v, at)?;
    let y = x as f32;
    if !y.is_finite() {
        return Err(at.err(format!("{x} does not fit a 32-bit float")));
    }
    Ok(y)
}

fn read_triple(v: &Value, at: &At) -> Result<[f32; 3], Bad> {
    let list = array(v, at)?;
    if list.len() != 3 {
        return Err(at.err(format!("expected 3 numbers, found {}", list.len())));
    }
    Ok([
        read_f32(&list[0], &at.index(0))?,
        read_f32(&list[1], &at.index(1))?,
        read_f32(&list[2], &at.index(2))?,
    ])
}

fn read_color_transform(v: &Value, at: &At) -> Result<ColorTransform, Bad> {
    let map = object(v, at)?;
    let size_value = required(map, "size", at)?;
    let size = size_value
        .as_u64()
        .filter(|s| (2..=ColorTransform::MAX_SIZE as u64).contains(s))
        .ok_or_else(|| {
            at.key("size").err(format!(
                "the color table size must be a whole number from 2 to {}",
                ColorTransform::MAX_SIZE
            ))
        })? as usize;
    let at_table = at.key("table");
    let list = array(required(map, "table", at)?, &at_table)?;
    if list.len() != size * size * size {
        return Err(at_table.err(format!(
            "a size-{size} color table needs {} entries, found {}",
            size * size * size,
            list.len()
        )));
    }
    let mut table = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        table.push(read_triple(entry, &at_table.index(i))?);
    }
    let params = match optional(map, "params") {
        Some(p) => object(p, &at.key("params"))?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => Default::default(),
    };
    Ok(ColorTransform {
        title: text_field(map, "title", at)?,
        size,
        domain_min: read_triple(required(map, "domain_min", at)?, &at.key("domain_min"))?,
        domain_max: read_triple(required(map, "domain_max", at)?, &at.key("domain_max"))?,
        table,
        method: text_field(map, "method", at)?,
        params,
    })
}

/// The rate of the first clip or gap, in a track of `kind` (any kind for `None`).
fn first_item_rate(tracks: &[Track], kind: Option<TrackKind>) -> Option<Rate> {
    tracks
        .iter()
        .filter(|t| kind.is_none_or(|k| t.kind == k))
        .flat_map(|t| t.items.iter())
        .find_map(Item::duration)
        .map(|d| d.rate)
}

/// Replays the model's track arithmetic ([`Track::items_with_ranges`], [`Track::duration`])
/// with checked operations, so a file with absurd lengths is rejected here instead of
/// overflowing later.
fn check_track_arithmetic(track: &Track) -> Result<(), String> {
    let too_long = || format!("track {:?} is too long", track.name);
    let mut pos: Option<RationalTime> = None;
    let mut total: Option<RationalTime> = None;
    for item in &track.items {
        let here = pos.unwrap_or_else(|| {
            RationalTime::zero(item.duration().map(|d| d.rate).unwrap_or(Rate::FPS_24))
        });
        match item {
            Item::Transition(t) => {
                here.checked_sub(t.in_offset).map_err(|_| too_long())?;
                pos = Some(here);
            }
            _ => {
                let d = item.duration().unwrap_or(RationalTime::zero(here.rate));
                pos = Some(here.checked_add(d).map_err(|_| too_long())?);
                let t = total.unwrap_or(RationalTime::zero(d.rate));
                total = Some(t.checked_add(d).map_err(|_| too_long())?);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn rt(v: i64, rate: Rate) -> RationalTime {
        RationalTime::new(v, rate)
    }

    fn clip(name: &str, url: &str, start: i64, frames: i64, rate: Rate) -> Item {
        let media = MediaReference::external(url, Some(TimeRange::from_frames(0, 10_000, rate)));
        Item::Clip(Clip::new(
            name,
            media,
            TimeRange::from_frames(start, frames, rate),
        ))
    }

    fn gap(frames: i64, rate: Rate) -> Item {
        Item::Gap(Gap {
            duration: rt(frames, rate),
        })
    }

    fn dissolve(frames_in: i64, frames_out: i64, rate: Rate) -> Item {
        let mut t = Transition::dissolve(rt(frames_in, rate), rt(frames_out, rate));
        t.name = "Cross Dissolve".into();
        Item::Transition(t)
    }

    fn marker(name: &str, start: i64, frames: i64, rate: Rate, conf: Option<f32>) -> Marker {
        Marker {
            name: name.into(),
            range: TimeRange::from_frames(start, frames, rate),
            color: MarkerColor::Green,
            note: format!("note for {name}"),
            confidence: conf,
        }
    }

    /// Two video tracks, an audio track (at 48 kHz), gaps, a dissolve and markers.
    fn sample(rate: Rate) -> Timeline {
        let mut tl = Timeline::new("Sample cut", rate);
        tl.global_start = rt(rate.nominal_fps() as i64 * 3600, rate);
        let mut v1 = Track::new("V1", TrackKind::Video);
        v1.items = vec![
            clip("shot 1", "/media/a.mov", 100, 48, rate),
            dissolve(12, 12, rate),
            clip("shot 2", "/media/b.mov", 0, 72, rate),
            gap(24, rate),
            clip("shot 3", "/media/c.mov", 1001, 30, rate),
        ];
        if let Item::Clip(c) = &mut v1.items[0] {
            c.markers.push(marker("focus", 110, 0, rate, Some(0.75)));
        }
        v1.markers.push(marker("track note", 5, 10, rate, None));
        let mut v2 = Track::new("V2", TrackKind::Video);
        let mut missing = Clip::new(
            "title",
            MediaReference::missing("title card"),
            TimeRange::from_frames(0, 40, rate),
        );
        missing
            .markers
            .push(marker("typo", 3, 1, rate, Some(0.125)));
        v2.items = vec![gap(60, rate), Item::Clip(missing), gap(7, rate)];
        let mut a1 = Track::new("A1", TrackKind::Audio);
        a1.items = vec![
            clip("dialogue", "/media/a.wav", 48_000, 96_000, Rate::HZ_48000),
            gap(48_000, Rate::HZ_48000),
        ];
        tl.tracks = vec![v1, v2, a1];
        tl.markers
            .push(marker("scene change", 48, 0, rate, Some(0.9)));
        tl
    }

    fn assert_same(a: &Timeline, b: &Timeline) {
        assert_eq!(a, b);
        // `==` on times compares instants; check the rates survived too.
        assert_eq!(a.rate, b.rate);
        assert_eq!(a.global_start.rate, b.global_start.rate);
        for (ta, tb) in a.tracks.iter().zip(&b.tracks) {
            for (ia, ib) in ta.items.iter().zip(&tb.items) {
                assert_eq!(
                    ia.duration().map(|d| (d.value, d.rate)),
                    ib.duration().map(|d| (d.value, d.rate))
                );
            }
        }
    }

    fn round_trip(tl: &Timeline) -> Timeline {
        let text = write(tl).expect("writes");
        parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn timeline_with_gaps_dissolve_and_markers_survives_an_otio_round_trip_at_23_976() {
        let tl = sample(Rate::FPS_23_976);
        assert_same(&round_trip(&tl), &tl);
    }

    #[test]
    fn timeline_with_gaps_dissolve_and_markers_survives_an_otio_round_trip_at_29_97() {
        let tl = sample(Rate::FPS_29_97);
        assert_same(&round_trip(&tl), &tl);
    }

    #[test]
    fn marker_confidence_survives_in_cutroom_metadata() {
        let tl = sample(Rate::FPS_25);
        let back = round_trip(&tl);
        assert_eq!(back.markers[0].confidence, Some(0.9));
        let Item::Clip(c) = &back.tracks[0].items[0] else {
            panic!("first item is a clip")
        };
        assert_eq!(c.markers[0].confidence, Some(0.75));
        assert_eq!(c.markers[0].color, MarkerColor::Green);
        assert_eq!(c.markers[0].note, "note for focus");
        assert_eq!(back.tracks[0].markers[0].confidence, None);
    }

    #[test]
    fn subtitle_tracks_language_and_color_transform_survive_in_cutroom_metadata() {
        let rate = Rate::FPS_24;
        let mut tl = sample(rate);
        let mut subs = Track::new("English", TrackKind::Subtitle);
        subs.language = Some("en".into());
        let mut cue = SubtitleCue::new(
            TimeRange::from_frames(0, 1500, Rate::MILLIS),
            "Hello\nthere",
        );
        cue.id = Some("c1".into());
        cue.words.push(WordTiming {
            text: "Hello".into(),
            range: TimeRange::from_frames(0, 600, Rate::MILLIS),
            probability: Some(0.98),
        });
        subs.cues.push(cue);
        subs.cues.push(SubtitleCue::new(
            TimeRange::from_frames(2000, 500, Rate::MILLIS),
            "Bye",
        ));
        subs.markers.push(marker("sub marker", 1, 0, rate, None));
        tl.tracks.insert(1, subs);
        tl.tracks[2].language = Some("zxx".into());
        let mut ct = ColorTransform::identity(3);
        ct.title = "match to A".into();
        ct.method = "mkl".into();
        ct.table[5] = [0.1, 0.2, f32::from_bits(0x3e99_999b)];
        let mut params = BTreeMap::new();
        params.insert("strength".to_string(), json!(0.5));
        ct.params = params;
        if let Item::Clip(c) = &mut tl.tracks[0].items[2] {
            c.color = Some(ct);
        }
        let text = write(&tl).unwrap();
        assert_same(&parse(&text).unwrap(), &tl);
    }

    #[test]
    fn written_json_uses_otio_schema_names_and_float_rates() {
        let text = write(&sample(Rate::FPS_23_976)).unwrap();
        for needle in [
            "\"OTIO_SCHEMA\": \"Timeline.1\"",
            "\"OTIO_SCHEMA\": \"Stack.1\"",
            "\"OTIO_SCHEMA\": \"Track.1\"",
            "\"OTIO_SCHEMA\": \"Clip.2\"",
            "\"OTIO_SCHEMA\": \"Gap.1\"",
            "\"OTIO_SCHEMA\": \"Transition.1\"",
            "\"OTIO_SCHEMA\": \"Marker.2\"",
            "\"OTIO_SCHEMA\": \"ExternalReference.1\"",
            "\"OTIO_SCHEMA\": \"MissingReference.1\"",
            "\"transition_type\": \"SMPTE_Dissolve\"",
            "\"active_media_reference_key\": \"DEFAULT_MEDIA\"",
            "\"rate\": 23.976023976023978",
            "\"kind\": \"Audio\"",
            "\"value\": 48.0",
        ] {
            assert!(text.contains(needle), "missing {needle}");
        }
    }

    const PLAIN_OTIO: &str = r#"{
    "OTIO_SCHEMA": "Timeline.1",
    "metadata": {},
    "name": "from elsewhere",
    "global_start_time": null,
    "tracks": {
        "OTIO_SCHEMA": "Stack.1",
        "children": [
            {
                "OTIO_SCHEMA": "Track.1",
                "name": "V1",
                "kind": "Video",
                "children": [
                    {
                        "OTIO_SCHEMA": "Clip.1",
                        "name": "old clip",
                        "media_reference": {
                            "OTIO_SCHEMA": "ExternalReference.1",
                            "target_url": "file:///a.mov",
                            "available_range": null
                        },
                        "effects": [
                            {"OTIO_SCHEMA": "SomeVendorEffect.7", "anything": [1, 2]},
                            {"OTIO_SCHEMA": "LinearTimeWarp.1", "time_scalar": 2.0}
                        ],
                        "source_range": {
                            "OTIO_SCHEMA": "TimeRange.1",
                            "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976, "value": 10.4},
                            "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 23.976023976023978, "value": 20.5}
                        }
                    }
                ]
            }
        ]
    }
}"#;

    #[test]
    fn clip_1_with_float_ntsc_rates_reads_as_exact_24000_over_1001() {
        let tl = parse(PLAIN_OTIO).unwrap();
        assert_eq!(tl.rate, Rate::FPS_23_976);
        assert_eq!(tl.global_start, RationalTime::zero(Rate::FPS_23_976));
        let Item::Clip(c) = &tl.tracks[0].items[0] else {
            panic!("a clip")
        };
        assert_eq!(c.name, "old clip");
        assert_eq!(c.media.target_url.as_deref(), Some("file:///a.mov"));
        assert_eq!(c.source_range.start.rate, Rate::FPS_23_976);
        // Fractional values round to the nearest frame, halves away from zero.
        assert_eq!(c.source_range.start.value, 10);
        assert_eq!(c.source_range.duration.value, 21);
    }

    #[test]
    fn timeline_rate_comes_from_the_first_video_item_when_the_file_does_not_say() {
        let mut tl = sample(Rate::FPS_29_97);
        tl.tracks.rotate_left(2); // audio first
        let text = write(&tl)
            .unwrap()
            .replace("\"cutroom\"", "\"someone_else\"")
            .replacen(
                "\"global_start_time\": {",
                "\"global_start_time\": null, \"x\": {",
                1,
            );
        let back = parse(&text).unwrap();
        assert_eq!(back.rate, Rate::FPS_29_97);
        assert_eq!(back.global_start, RationalTime::zero(Rate::FPS_29_97));
        assert_eq!(back.tracks[0].kind, TrackKind::Audio);
    }

    fn expect_error(text: &str) -> ParseError {
        match parse(text) {
            Ok(_) => panic!("accepted malformed input:\n{text}"),
            Err(e) => {
                assert!(!e.reason.is_empty());
                e
            }
        }
    }

    #[test]
    fn truncated_json_gives_a_syntax_error_with_a_line() {
        let text = write(&sample(Rate::FPS_24)).unwrap();
        let cut = &text[..text.len() / 2];
        let e = expect_error(cut);
        assert!(e.line > 1, "{e}");
        assert!(e.reason.contains("truncated"), "{e}");
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let e = expect_error("{\n  \"OTIO_SCHEMA\": \"Timeline.1\",\n  \"name\": oops\n}");
        assert_eq!(e.line, 3, "{e}");
        assert!(e.column > 0, "{e}");
        assert!(e.reason.starts_with("invalid JSON"), "{e}");
    }

    #[test]
    fn unknown_top_level_schema_is_rejected_with_a_clear_reason() {
        let e = expect_error(r#"{"OTIO_SCHEMA": "Clip.2", "name": "x"}"#);
        assert!(e.reason.contains("expected a Timeline.1"), "{e}");
        let e = expect_error(r#"{"name": "x"}"#);
        assert!(e.reason.contains("OTIO_SCHEMA"), "{e}");
        let e = expect_error("[1, 2]");
        assert!(e.reason.contains("expected an object"), "{e}");
        let e = expect_error(r#"{"OTIO_SCHEMA": "Timeline.9"}"#);
        assert!(
            e.reason.contains("unsupported schema version Timeline.9"),
            "{e}"
        );
    }

    #[test]
    fn negative_duration_is_rejected_at_its_line() {
        let text = PLAIN_OTIO.replace("\"value\": 20.5", "\"value\": -20.5");
        let e = expect_error(&text);
        assert!(e.reason.contains("negative"), "{e}");
        assert!(e.reason.contains("source_range.duration"), "{e}");
        let line = text
            .lines()
            .position(|l| l.contains("-20.5"))
            .map(|i| i + 1)
            .unwrap();
        assert_eq!(e.line, line, "{e}");
    }

    #[test]
    fn zero_rate_is_rejected() {
        let text = PLAIN_OTIO.replace("\"rate\": 23.976,", "\"rate\": 0,");
        let e = expect_error(&text);
        assert!(e.reason.contains("rate 0"), "{e}");
        assert!(e.line > 0, "{e}");
    }

    #[test]
    fn string_where_a_number_belongs_is_rejected() {
        let text = PLAIN_OTIO.replace("\"value\": 10.4", "\"value\": \"10.4\"");
        let e = expect_error(&text);
        assert!(
            e.reason.contains("expected a number, found a string"),
            "{e}"
        );
        assert!(e.reason.contains("start_time.value"), "{e}");
    }

    #[test]
    fn huge_and_overflowing_times_are_rejected() {
        let text = PLAIN_OTIO.replace("\"value\": 20.5", "\"value\": 1e300");
        assert!(expect_error(&text).reason.contains("out of range"));
        let text = PLAIN_OTIO.replace("\"value\": 20.5", "\"value\": 1e400");
        expect_error(&text);
        let text = PLAIN_OTIO.replace("\"rate\": 23.976,", "\"rate\": 1e12,");
        assert!(expect_error(&text).reason.contains("out of range"));
    }

    #[test]
    fn nested_stack_in_a_track_is_rejected_with_a_clear_reason() {
        let text = PLAIN_OTIO.replace(
            "\"OTIO_SCHEMA\": \"Clip.1\"",
            "\"OTIO_SCHEMA\": \"Stack.1\"",
        );
        let e = expect_error(&text);
        assert!(e.reason.contains("nested"), "{e}");
        assert!(e.reason.contains("flatten"), "{e}");
    }

    #[test]
    fn unknown_track_item_and_track_kind_are_rejected() {
        let text = PLAIN_OTIO.replace("\"Clip.1\"", "\"Widget.1\"");
        assert!(expect_error(&text)
            .reason
            .contains("unsupported item Widget.1"));
        let text = PLAIN_OTIO.replace("\"Video\"", "\"Hologram\"");
        assert!(expect_error(&text).reason.contains("Hologram"));
    }

    #[test]
    fn clip_2_with_unknown_active_reference_is_rejected() {
        let text = write(&sample(Rate::FPS_24)).unwrap().replacen(
            "\"active_media_reference_key\": \"DEFAULT_MEDIA\"",
            "\"active_media_reference_key\": \"PROXY\"",
            1,
        );
        assert!(expect_error(&text).reason.contains("PROXY"));
    }

    #[test]
    fn too_many_items_are_rejected() {
        let gap = r#"{"OTIO_SCHEMA":"Gap.1","source_range":{"OTIO_SCHEMA":"TimeRange.1","start_time":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":0.0},"duration":{"OTIO_SCHEMA":"RationalTime.1","rate":24.0,"value":1.0}}}"#;
        let mut text = String::from(
            r#"{"OTIO_SCHEMA":"Timeline.1","tracks":{"OTIO_SCHEMA":"Stack.1","children":[{"OTIO_SCHEMA":"Track.1","kind":"Video","children":["#,
        );
        for i in 0..=100 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(gap);
        }
        text.push_str("]}]}}");
        let e = parse_with_limit(&text, 100).expect_err("101 items exceed a limit of 100");
        assert!(e.reason.contains("more than 100"), "{}", e.reason);
        assert!(e.reason.contains("children[100]"), "{}", e.reason);
        assert!(parse_with_limit(&text, 101).is_ok());
    }

    #[test]
    fn a_track_longer_than_64_bits_is_rejected_not_overflowed() {
        let gap = r#"{"OTIO_SCHEMA":"Gap.1","source_range":{"OTIO_SCHEMA":"TimeRange.1","start_time":{"OTIO_SCHEMA":"RationalTime.1","rate":1000000000.0,"value":0.0},"duration":{"OTIO_SCHEMA":"RationalTime.1","rate":1000000000.0,"value":9e15}}}"#;
        let mut text = String::from(
            r#"{"OTIO_SCHEMA":"Timeline.1","tracks":{"OTIO_SCHEMA":"Stack.1","children":[{"OTIO_SCHEMA":"Track.1","kind":"Video","children":["#,
        );
        for i in 0..2000 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(gap);
        }
        text.push_str("]}]}}");
        assert!(expect_error(&text).reason.contains("too long"));
    }

    #[test]
    fn serializable_collection_yields_its_first_timeline() {
        let inner = write(&sample(Rate::FPS_25)).unwrap();
        let text =
            format!(r#"{{"OTIO_SCHEMA": "SerializableCollection.1", "children": [{inner}]}}"#);
        assert_same(&parse(&text).unwrap(), &sample(Rate::FPS_25));
    }

    #[test]
    fn unusual_rates_round_trip_exactly() {
        let odd = Rate::new(1, 3).unwrap();
        let mut tl = Timeline::new("odd", Rate::new(25, 2).unwrap());
        let mut v = Track::new("V1", TrackKind::Video);
        v.items = vec![clip("still", "/s.png", 0, 4, odd), gap(10, tl.rate)];
        tl.tracks.push(v);
        let back = round_trip(&tl);
        assert_same(&back, &tl);
        let Item::Clip(c) = &back.tracks[0].items[0] else {
            panic!("a clip")
        };
        assert_eq!(c.source_range.duration.rate, odd);
    }

    #[test]
    fn times_beyond_2_pow_53_are_unrepresentable() {
        let mut tl = Timeline::new("big", Rate::HZ_48000);
        let mut v = Track::new("A1", TrackKind::Audio);
        v.items.push(gap(1 << 60, Rate::HZ_48000));
        tl.tracks.push(v);
        assert!(matches!(
            write(&tl),
            Err(FormatError::Unrepresentable { .. })
        ));
    }

    #[test]
    fn arbitrary_mutations_of_a_valid_file_never_panic() {
        let text = write(&sample(Rate::FPS_29_97)).unwrap();
        let bytes = text.as_bytes();
        // Deterministic pseudo-random cuts and byte flips.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut mutated = bytes.to_vec();
            let at = (seed as usize) % mutated.len();
            mutated[at] = b"{}[],:\"0-.e9xn"[(seed >> 32) as usize % 14];
            let mutated = String::from_utf8_lossy(&mutated);
            let _ = parse(&mutated);
            let _ = parse(mutated.get(..at).unwrap_or(""));
        }
    }
}
