//! The editorial model: project, timelines, tracks, clips, gaps, transitions, markers,
//! subtitle cues and color transforms.
//!
//! The shape follows OpenTimelineIO: a [`Timeline`] holds [`Track`]s; a video or audio track
//! is a sequence of [`Item`]s (clips and gaps take time, transitions overlap their
//! neighbours); media references live on the clips. Subtitle tracks hold [`SubtitleCue`]s
//! placed at absolute timeline times.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::{Rate, RationalTime, TimeRange};

/// A Cutroom project: a media bin, one or more timelines and settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Display name.
    pub name: String,
    /// Media the project knows about (the bin), in the order added.
    #[serde(default)]
    pub media: Vec<MediaReference>,
    /// Timelines; the first is the one opened by default.
    #[serde(default)]
    pub timelines: Vec<Timeline>,
    /// Project-wide settings.
    #[serde(default)]
    pub settings: ProjectSettings,
}

impl Project {
    /// An empty project with one empty timeline at `rate`.
    pub fn new(name: impl Into<String>, rate: Rate) -> Project {
        let name = name.into();
        Project {
            timelines: vec![Timeline::new(name.clone(), rate)],
            name,
            media: Vec::new(),
            settings: ProjectSettings {
                frame_rate: rate,
                ..ProjectSettings::default()
            },
        }
    }
}

/// Project-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSettings {
    /// Default edit rate for new timelines.
    pub frame_rate: Rate,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// Audio sample rate in Hz.
    pub sample_rate: u32,
    /// Display timecode as drop-frame where the rate allows it.
    pub drop_frame: bool,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            frame_rate: Rate::FPS_25,
            width: 1920,
            height: 1080,
            sample_rate: 48_000,
            drop_frame: false,
        }
    }
}

/// Where a clip's media lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaReference {
    /// Display name (usually the file name).
    pub name: String,
    /// Path or URL of the media; `None` for a missing reference.
    pub target_url: Option<String>,
    /// The range of the media that exists, if known.
    pub available_range: Option<TimeRange>,
}

impl MediaReference {
    /// A reference to a file path, with an optional known extent.
    pub fn external(target_url: impl Into<String>, available_range: Option<TimeRange>) -> Self {
        let target_url = target_url.into();
        let name = target_url
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&target_url)
            .to_string();
        MediaReference {
            name,
            target_url: Some(target_url),
            available_range,
        }
    }

    /// The media time of the media's first frame: the start of `available_range` (e.g.
    /// 01:00:00:00 for a file whose timecode starts there), else zero at `rate`. A clip's
    /// `source_range` minus this is its position from the start of the file.
    pub fn origin(&self, rate: Rate) -> RationalTime {
        self.available_range
            .map_or_else(|| RationalTime::zero(rate), |r| r.start)
    }

    /// A reference with no known media (OTIO's MissingReference).
    pub fn missing(name: impl Into<String>) -> Self {
        MediaReference {
            name: name.into(),
            target_url: None,
            available_range: None,
        }
    }
}

/// A timeline: named tracks at an edit rate, starting at a global start time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Display name.
    pub name: String,
    /// Edit rate (frames per second) of the timeline.
    pub rate: Rate,
    /// Timecode of the first frame (e.g. 01:00:00:00); zero when absent.
    pub global_start: RationalTime,
    /// Tracks, video first by convention; order is stacking order within a kind.
    #[serde(default)]
    pub tracks: Vec<Track>,
    /// Markers on the timeline itself, in timeline time (relative to the first frame).
    #[serde(default)]
    pub markers: Vec<Marker>,
}

impl Timeline {
    /// An empty timeline at `rate` starting at zero.
    pub fn new(name: impl Into<String>, rate: Rate) -> Timeline {
        Timeline {
            name: name.into(),
            rate,
            global_start: RationalTime::zero(rate),
            tracks: Vec::new(),
            markers: Vec::new(),
        }
    }

    /// The longest track's duration (zero when empty), at the timeline rate.
    pub fn duration(&self) -> RationalTime {
        self.tracks
            .iter()
            .map(|t| t.duration().rescaled_to(self.rate))
            .max()
            .unwrap_or(RationalTime::zero(self.rate))
    }

    /// Tracks of one kind, in order.
    pub fn tracks_of(&self, kind: TrackKind) -> impl Iterator<Item = &Track> {
        self.tracks.iter().filter(move |t| t.kind == kind)
    }

    /// Every clip of every track, with its range in timeline time.
    pub fn clips_with_ranges(&self) -> Vec<(&Track, &Clip, TimeRange)> {
        let mut out = Vec::new();
        for track in &self.tracks {
            for (item, range) in track.items_with_ranges() {
                if let Item::Clip(c) = item {
                    out.push((track, c, range));
                }
            }
        }
        out
    }
}

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    /// Picture.
    Video,
    /// Sound.
    Audio,
    /// Subtitle cues.
    Subtitle,
}

/// A track: a sequence of items (video/audio) or a list of cues (subtitle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Display name ("V1", "A1", "English").
    pub name: String,
    /// What the track carries.
    pub kind: TrackKind,
    /// Clips, gaps and transitions in order (video and audio tracks).
    #[serde(default)]
    pub items: Vec<Item>,
    /// Subtitle cues in timeline time, sorted by start (subtitle tracks).
    #[serde(default)]
    pub cues: Vec<SubtitleCue>,
    /// Language tag of a subtitle track (BCP 47, e.g. "en").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Markers on the track, in track time.
    #[serde(default)]
    pub markers: Vec<Marker>,
}

impl Track {
    /// An empty track of `kind`.
    pub fn new(name: impl Into<String>, kind: TrackKind) -> Track {
        Track {
            name: name.into(),
            kind,
            items: Vec::new(),
            cues: Vec::new(),
            language: None,
            markers: Vec::new(),
        }
    }

    /// Sum of the durations of clips and gaps (transitions take no time of their own).
    pub fn duration(&self) -> RationalTime {
        let mut rate = None;
        let mut total = RationalTime::zero(Rate::FPS_24);
        for item in &self.items {
            if let Some(d) = item.duration() {
                let r = *rate.get_or_insert(d.rate);
                if total.rate != r {
                    total = RationalTime::zero(r);
                }
                total = total + d;
            }
        }
        if self.kind == TrackKind::Subtitle {
            if let Some(last) = self.cues.iter().map(|c| c.range.end_exclusive()).max() {
                return last;
            }
        }
        total
    }

    /// Each item with the range it occupies in track time. A transition's range is the span it
    /// covers around the cut: from `cut - in_offset` for `in_offset + out_offset`.
    pub fn items_with_ranges(&self) -> Vec<(&Item, TimeRange)> {
        let mut out = Vec::with_capacity(self.items.len());
        let mut pos: Option<RationalTime> = None;
        for item in &self.items {
            let here = pos.unwrap_or_else(|| {
                RationalTime::zero(item.duration().map(|d| d.rate).unwrap_or(Rate::FPS_24))
            });
            match item {
                Item::Transition(t) => {
                    let start = here - t.in_offset;
                    out.push((item, TimeRange::new(start, t.in_offset + t.out_offset)));
                    pos = Some(here);
                }
                _ => {
                    let d = item.duration().expect("clips and gaps have durations");
                    out.push((item, TimeRange::new(here, d)));
                    pos = Some(here + d);
                }
            }
        }
        out
    }
}

/// One element of a video or audio track.
// Clips make up most of every track, so boxing them to shrink the rarer gaps and transitions
// would add an allocation per clip for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// Media placed on the track.
    Clip(Clip),
    /// Empty time.
    Gap(Gap),
    /// A transition between the neighbouring items.
    Transition(Transition),
}

impl Item {
    /// Time the item occupies on its track (`None` for transitions).
    pub fn duration(&self) -> Option<RationalTime> {
        match self {
            Item::Clip(c) => Some(c.source_range.duration),
            Item::Gap(g) => Some(g.duration),
            Item::Transition(_) => None,
        }
    }
}

/// A piece of media: which media, and which part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    /// Display name.
    pub name: String,
    /// The media this clip plays.
    pub media: MediaReference,
    /// The part of the media used, in media time.
    pub source_range: TimeRange,
    /// Markers on the clip, in media time.
    #[serde(default)]
    pub markers: Vec<Marker>,
    /// A color transform applied to the clip (e.g. an accepted color-match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<ColorTransform>,
}

impl Clip {
    /// A clip of `media` using `source_range`.
    pub fn new(name: impl Into<String>, media: MediaReference, source_range: TimeRange) -> Clip {
        Clip {
            name: name.into(),
            media,
            source_range,
            markers: Vec::new(),
            color: None,
        }
    }
}

/// Empty time on a track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Length of the gap.
    pub duration: RationalTime,
}

/// The kind of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// A cross-dissolve (OTIO's SMPTE_Dissolve); fades are dissolves to or from a gap.
    Dissolve,
}

/// A transition centred on the cut between its neighbours.
///
/// As in OpenTimelineIO it takes no track time: it overlaps `in_offset` of the outgoing item
/// and `out_offset` of the incoming one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// Display name.
    pub name: String,
    /// What kind of transition.
    pub kind: TransitionKind,
    /// How far it reaches back into the outgoing item.
    pub in_offset: RationalTime,
    /// How far it reaches into the incoming item.
    pub out_offset: RationalTime,
}

impl Transition {
    /// A dissolve reaching `in_offset` before and `out_offset` after the cut.
    pub fn dissolve(in_offset: RationalTime, out_offset: RationalTime) -> Transition {
        Transition {
            name: String::new(),
            kind: TransitionKind::Dissolve,
            in_offset,
            out_offset,
        }
    }

    /// Total length of the transition.
    pub fn duration(&self) -> RationalTime {
        self.in_offset + self.out_offset
    }
}

/// Marker colors, as OpenTimelineIO names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum MarkerColor {
    Pink,
    #[default]
    Red,
    Orange,
    Yellow,
    Green,
    Cyan,
    Blue,
    Purple,
    Magenta,
    Black,
    White,
}

impl MarkerColor {
    /// All colors in OTIO order.
    pub const ALL: [MarkerColor; 11] = [
        MarkerColor::Pink,
        MarkerColor::Red,
        MarkerColor::Orange,
        MarkerColor::Yellow,
        MarkerColor::Green,
        MarkerColor::Cyan,
        MarkerColor::Blue,
        MarkerColor::Purple,
        MarkerColor::Magenta,
        MarkerColor::Black,
        MarkerColor::White,
    ];

    /// The OTIO spelling ("RED").
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerColor::Pink => "PINK",
            MarkerColor::Red => "RED",
            MarkerColor::Orange => "ORANGE",
            MarkerColor::Yellow => "YELLOW",
            MarkerColor::Green => "GREEN",
            MarkerColor::Cyan => "CYAN",
            MarkerColor::Blue => "BLUE",
            MarkerColor::Purple => "PURPLE",
            MarkerColor::Magenta => "MAGENTA",
            MarkerColor::Black => "BLACK",
            MarkerColor::White => "WHITE",
        }
    }

    /// Parses the OTIO spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<MarkerColor> {
        MarkerColor::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

/// A note at a point or span of time, optionally with the confidence of whoever placed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Short label.
    pub name: String,
    /// Where the marker sits (zero duration for a point).
    pub range: TimeRange,
    /// Display color.
    #[serde(default)]
    pub color: MarkerColor,
    /// Longer free text.
    #[serde(default)]
    pub note: String,
    /// Confidence in `[0, 1]` when placed by a plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// The timing of one word inside a cue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordTiming {
    /// The word as displayed.
    pub text: String,
    /// When it is spoken.
    pub range: TimeRange,
    /// Recogniser probability in `[0, 1]`, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f32>,
}

/// One subtitle cue: text shown over a time range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtitleCue {
    /// When the cue is shown.
    pub range: TimeRange,
    /// Text; lines separated by `\n`.
    pub text: String,
    /// Optional per-word timings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<WordTiming>,
    /// Optional cue identifier (WebVTT) — SRT numbers are regenerated on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl SubtitleCue {
    /// A cue with `text` over `range`.
    pub fn new(range: TimeRange, text: impl Into<String>) -> SubtitleCue {
        SubtitleCue {
            range,
            text: text.into(),
            words: Vec::new(),
            id: None,
        }
    }
}

/// A color transform: a 3D lookup table of `size`³ RGB entries, and how it was made.
///
/// Entries are stored red-fastest, as in `.cube` files: index = r + g·N + b·N².
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColorTransform {
    /// Title (the `.cube` TITLE).
    pub title: String,
    /// Lattice points per axis (2–256).
    pub size: usize,
    /// Input value mapped to lattice index 0, per channel.
    pub domain_min: [f32; 3],
    /// Input value mapped to the last lattice index, per channel.
    pub domain_max: [f32; 3],
    /// `size³` output RGB triples, red fastest.
    pub table: Vec<[f32; 3]>,
    /// Method that produced the table (e.g. "mkl", "reinhard-lab"); empty for imported LUTs.
    #[serde(default)]
    pub method: String,
    /// Parameters of the method, for display and reproducibility.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
}

impl ColorTransform {
    /// Largest lattice size accepted (the `.cube` specification's limit).
    pub const MAX_SIZE: usize = 256;

    /// The identity LUT of `size` points per axis over `[0, 1]`.
    pub fn identity(size: usize) -> ColorTransform {
        let size = size.clamp(2, Self::MAX_SIZE);
        let mut table = Vec::with_capacity(size * size * size);
        let s = (size - 1) as f32;
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    table.push([r as f32 / s, g as f32 / s, b as f32 / s]);
                }
            }
        }
        ColorTransform {
            title: "identity".into(),
            size,
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            table,
            method: String::new(),
            params: BTreeMap::new(),
        }
    }

    /// The table entry at lattice point (r, g, b).
    pub fn at(&self, r: usize, g: usize, b: usize) -> [f32; 3] {
        self.table[r + g * self.size + b * self.size * self.size]
    }
}
