//! Final Cut Pro XML (FCPXML 1.9), as imported by Final Cut Pro 10.4.9+ and DaVinci Resolve.
//!
//! # What is written
//!
//! `<fcpxml version="1.9">` with a `<resources>` block (one `<format>` for the timeline rate,
//! one `<asset>` per distinct media with a percent-encoded `<media-rep src="file:///…">`, and
//! a Cross Dissolve `<effect>` when there are transitions) and one
//! `library/event/project/sequence/spine`. Every time is a rational number of seconds
//! (`1001/24000s`, `5s`) computed with exact integer arithmetic; every time on the sequence
//! (offsets, durations) is a whole number of frames of the timeline rate, or writing fails
//! with [`FormatError::Unrepresentable`].
//!
//! - The first video track (or, without video tracks, the first audio track) is the primary
//!   storyline: clips become `<asset-clip>`, gaps `<gap>`, transitions `<transition>` placed
//!   as FCPXML expects — the clips stay contiguous and the transition overlaps
//!   `in_offset` of the outgoing and `out_offset` of the incoming item (its `offset` is
//!   `cut - in_offset`), exactly OpenTimelineIO's model.
//! - Other video tracks are connected clips on lanes 1, 2, … and audio tracks connected clips
//!   on lanes -1, -2, …, each anchored to the primary element under its start. A secondary
//!   track that holds transitions is written as a connected storyline (`<spine lane="…">`)
//!   instead, which can carry them. When a connected clip starts after the end of the primary
//!   storyline, the primary storyline is padded with a gap to the end of the timeline (it is
//!   read back as a trailing gap on the first track).
//! - Clip markers are `<marker>`s in the clip (media time). FCPXML has no timeline or track
//!   markers: those are written on the primary element under them (clip or gap) and read
//!   back as clip markers (on clips) or timeline markers (on gaps). Marker colour and
//!   confidence have no FCPXML field and are not written.
//! - Subtitle tracks are not written (FCPXML captions need per-tool styling and roles that
//!   Cutroom does not model); export subtitles as SRT or WebVTT alongside.
//! - Color transforms are not written.
//! - Media with no target (missing references) is written as a relative URL named after the
//!   media, which importers show as offline; it reads back as a reference to that path.
//!
//! # What is read
//!
//! Assets (1.9 `media-rep` or the older `src` attribute), formats, the first sequence's spine
//! (`asset-clip`, `clip`, `video`, `audio`, `gap`, `transition`; titles, multicam, compound
//! and sync clips become clips with a missing reference so the timing survives), markers,
//! connected clips and connected storylines one level deep, grouped by lane into tracks.
//! The position of every spine element is the sum of the durations before it (spine
//! `offset`s are redundant and ignored, except on transitions). File URLs are read back as
//! paths. A `<!DOCTYPE fcpxml>` declaration is accepted; a DOCTYPE with an internal subset
//! (entity declarations) is rejected.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;

use roxmltree::{Document, Node, ParsingOptions};

use crate::error::{FormatError, ParseError};
use crate::formats::MAX_TIMELINE_ITEMS;
use crate::model::{
    Clip, Gap, Item, Marker, MarkerColor, MediaReference, Timeline, Track, TrackKind, Transition,
    TransitionKind,
};
use crate::time::{Rate, RationalTime, TimeRange};

/// The FCPXML version written.
pub const VERSION: &str = "1.9";

/// Name Final Cut Pro and Resolve give the built-in dissolve.
const DISSOLVE_NAME: &str = "Cross Dissolve";

/// Final Cut Pro's identifier of its built-in Cross Dissolve transition.
const DISSOLVE_UID: &str = "FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265";

/// Options for [`write_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FcpxmlOptions {
    /// Frame width written on the sequence format.
    pub width: u32,
    /// Frame height written on the sequence format.
    pub height: u32,
    /// Mark 29.97 and 59.94 sequences as drop-frame (`tcFormat="DF"`); other rates are
    /// always `NDF`.
    pub drop_frame: bool,
}

impl Default for FcpxmlOptions {
    fn default() -> Self {
        FcpxmlOptions {
            width: 1920,
            height: 1080,
            drop_frame: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Exact rational seconds
// ---------------------------------------------------------------------------------------------

/// Largest magnitude of a numerator kept in [`Sec`] (2^90) and of a denominator (2^36), so
/// that cross-multiplication never overflows `i128`.
const MAX_NUM: i128 = 1 << 90;
const MAX_DEN: i128 = 1 << 36;

/// An exact number of seconds `n / d`, `d > 0`, in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sec {
    n: i128,
    d: i128,
}

fn gcd(a: i128, b: i128) -> u128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Sec {
    const ZERO: Sec = Sec { n: 0, d: 1 };

    fn new(n: i128, d: i128) -> Option<Sec> {
        if d == 0 {
            return None;
        }
        let (n, d) = if d < 0 {
            (n.checked_neg()?, d.checked_neg()?)
        } else {
            (n, d)
        };
        let g = gcd(n, d).max(1);
        if n.unsigned_abs() / g >= MAX_NUM as u128 || d.unsigned_abs() / g >= MAX_DEN as u128 {
            return None;
        }
        // Both quotients fit: |n| / g < 2^90 and d / g < 2^36.
        let (n, d) = (n / g as i128, d / g as i128);
        Some(Sec { n, d })
    }

    fn from_rt(t: RationalTime) -> Option<Sec> {
        Sec::new(t.value as i128 * t.rate.den() as i128, t.rate.num() as i128)
    }

    fn add(self, o: Sec) -> Option<Sec> {
        Sec::new(
            self.n
                .checked_mul(o.d)?
                .checked_add(o.n.checked_mul(self.d)?)?,
            self.d.checked_mul(o.d)?,
        )
    }

    fn sub(self, o: Sec) -> Option<Sec> {
        self.add(Sec { n: -o.n, d: o.d })
    }

    fn is_negative(self) -> bool {
        self.n < 0
    }

    /// Frames of `rate` in this span, if it is a whole number of them.
    fn whole_frames(self, rate: Rate) -> Option<i128> {
        let num = self.n * rate.num() as i128;
        let den = self.d * rate.den() as i128;
        (num % den == 0).then_some(num / den)
    }

    /// FCPXML spelling: `5s`, `1001/24000s`.
    fn fcp(self) -> String {
        if self.d == 1 {
            format!("{}s", self.n)
        } else {
            format!("{}/{}s", self.n, self.d)
        }
    }

    /// FCPXML spelling over the frame duration of `rate` when this is a whole number of its
    /// frames (`48048/24000s`, as Final Cut Pro writes), whole seconds as `5s`, otherwise
    /// the reduced fraction.
    fn fcp_at(self, rate: Rate) -> String {
        match self.whole_frames(rate) {
            Some(f) => {
                let n = f * rate.den() as i128;
                let d = rate.num() as i128;
                if n % d == 0 {
                    format!("{}s", n / d)
                } else {
                    format!("{n}/{d}s")
                }
            }
            None => self.fcp(),
        }
    }

    /// The same instant as a [`RationalTime`], at `rate` when exact there, otherwise in units
    /// of `1/d` seconds.
    fn to_rt(self, rate: Rate) -> Option<RationalTime> {
        if let Some(f) = self.whole_frames(rate) {
            return Some(RationalTime::new(i64::try_from(f).ok()?, rate));
        }
        let units = Rate::new(i64::try_from(self.d).ok()?, 1).ok()?;
        Some(RationalTime::new(i64::try_from(self.n).ok()?, units))
    }
}

impl PartialOrd for Sec {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sec {
    fn cmp(&self, other: &Self) -> Ordering {
        // Bounded by MAX_NUM * MAX_DEN < 2^127.
        (self.n * other.d).cmp(&(other.n * self.d))
    }
}

/// Parses an FCPXML time: `5s`, `-5s`, `1001/30000s`, or (leniently) `1.5s`. No floats.
fn parse_time(text: &str) -> Result<Sec, String> {
    let bad = || {
        format!(
            "{:?} is not an FCPXML time (a rational number of seconds such as \"1001/30000s\")",
            text.chars().take(40).collect::<String>()
        )
    };
    let body = text.trim().strip_suffix('s').ok_or_else(bad)?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let digits = |s: &str| -> Result<i128, String> {
        if s.is_empty() || s.len() > 27 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse::<i128>().map_err(|_| bad())
    };
    let value = if let Some((num, den)) = body.split_once('/') {
        let d = digits(den)?;
        if d == 0 {
            return Err(format!("{:?} has a zero denominator", text));
        }
        Sec::new(digits(num)?, d)
    } else if let Some((int, frac)) = body.split_once('.') {
        if frac.len() > 9 {
            return Err(bad());
        }
        let scale = 10i128.pow(frac.len() as u32);
        let i = if int.is_empty() { 0 } else { digits(int)? };
        let f = if frac.is_empty() { 0 } else { digits(frac)? };
        i.checked_mul(scale)
            .and_then(|v| v.checked_add(f))
            .and_then(|n| Sec::new(n, scale))
    } else {
        Sec::new(digits(body)?, 1)
    }
    .ok_or_else(|| format!("time {:?} is out of range", text))?;
    Ok(if neg {
        Sec {
            n: -value.n,
            d: value.d,
        }
    } else {
        value
    })
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

fn unrepresentable(reason: impl Into<String>) -> FormatError {
    FormatError::Unrepresentable {
        format: "FCPXML",
        reason: reason.into(),
    }
}

/// Escapes text for a double-quoted XML attribute. Characters XML 1.0 cannot carry (C0
/// controls other than tab, newline and carriage return) are dropped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path for a URL: unreserved characters and `/` stay, everything else is
/// `%XX` of its UTF-8 bytes.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// True for `scheme:` prefixes (two or more characters, so `C:` is a drive, not a scheme).
fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i >= 2 => {
            let scheme = &s[..i];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        _ => false,
    }
}

fn is_drive_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'/' || b[2] == b'\\')
}

/// The `media-rep src` URL for a media target.
fn media_url(media: &MediaReference) -> String {
    let Some(target) = media.target_url.as_deref() else {
        return encode_path(&media.name.replace(['/', '\\'], "_"));
    };
    // `file:` without `//` is read back as a relative path (see `url_to_target`), so such a
    // target is written as a path too, with its colon encoded, to survive a round trip.
    let bare_file = target
        .get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:"))
        && !target[5..].starts_with("//");
    if has_scheme(target) && !bare_file {
        // Already a URL: only encode what may not appear in one.
        let mut out = String::with_capacity(target.len());
        for c in target.chars() {
            if c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '`' | '{' | '}' | '|')
            {
                out.push(c);
            } else {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
        out
    } else if is_drive_path(target) {
        format!(
            "file:///{}:{}",
            &target[..1],
            encode_path(&target[2..].replace('\\', "/"))
        )
    } else if let Some(unc) = target.strip_prefix("\\\\") {
        format!("file://{}", encode_path(&unc.replace('\\', "/")))
    } else if target.starts_with('/') {
        format!("file://{}", encode_path(target))
    } else {
        encode_path(&target.replace('\\', "/"))
    }
}

struct AssetInfo {
    id: String,
    media: MediaReference,
    has_video: bool,
    has_audio: bool,
    /// Media times of the clips that use it (for the frame-grid check on video assets).
    media_times: Vec<RationalTime>,
    format: Option<String>,
}

/// One element of the primary storyline being built.
struct PrimaryEl {
    /// Position in timeline time (seconds).
    offset: Sec,
    duration: Sec,
    /// Local time at `offset` (the clip's source start; zero for gaps).
    local_start: Sec,
    kind: PrimaryKind,
    /// Anchored children, already rendered.
    anchors: Vec<String>,
    /// Markers, already rendered.
    markers: Vec<String>,
}

enum PrimaryKind {
    /// A clip: its asset and its index in the primary track's items.
    Clip {
        asset: usize,
        item: usize,
    },
    Gap,
    Transition {
        name: String,
    },
}

struct Writer {
    rate: Rate,
    assets: Vec<AssetInfo>,
    asset_index: HashMap<String, usize>,
    next_id: usize,
}

impl Writer {
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("r{}", self.next_id)
    }

    fn asset_for(&mut self, media: &MediaReference, kind: TrackKind) -> usize {
        let key = format!("{media:?}");
        let idx = match self.asset_index.get(&key) {
            Some(&i) => i,
            None => {
                let id = self.new_id();
                self.assets.push(AssetInfo {
                    id,
                    media: media.clone(),
                    has_video: false,
                    has_audio: false,
                    media_times: Vec::new(),
                    format: None,
                });
                self.asset_index.insert(key, self.assets.len() - 1);
                self.assets.len() - 1
            }
        };
        if kind == TrackKind::Video {
            self.assets[idx].has_video = true;
        } else {
            self.assets[idx].has_audio = true;
        }
        idx
    }

    /// `t` in FCPXML spelling, requiring a whole number of timeline frames.
    fn seq_time(&self, t: Sec, what: &dyn Fn() -> String) -> Result<String, FormatError> {
        if t.whole_frames(self.rate).is_none() {
            return Err(unrepresentable(format!(
                "{} is {}, not a whole number of frames at {} fps; FCPXML needs every \
                 timeline time on the frame grid",
                what(),
                t.fcp(),
                self.rate
            )));
        }
        Ok(t.fcp_at(self.rate))
    }

    fn sec(&self, t: RationalTime) -> Result<Sec, FormatError> {
        Sec::from_rt(t).ok_or_else(|| unrepresentable(format!("time {t} is out of range")))
    }

    fn marker_xml(&self, m: &Marker, local: Sec) -> Result<String, FormatError> {
        let mut s = format!("<marker start=\"{}\"", local.fcp_at(self.rate));
        let dur = self.sec(m.range.duration)?;
        if dur.is_negative() {
            return Err(unrepresentable(format!(
                "marker {:?} has a negative duration",
                m.name
            )));
        }
        if dur != Sec::ZERO {
            let _ = write!(s, " duration=\"{}\"", dur.fcp_at(self.rate));
        }
        let _ = write!(s, " value=\"{}\"", esc(&m.name));
        if !m.note.is_empty() {
            let _ = write!(s, " note=\"{}\"", esc(&m.note));
        }
        s.push_str("/>");
        Ok(s)
    }

    fn src_enable(&self, asset: usize, kind: TrackKind) -> &'static str {
        let a = &self.assets[asset];
        match (a.has_video && a.has_audio, kind) {
            (true, TrackKind::Video) => " srcEnable=\"video\"",
            (true, _) => " srcEnable=\"audio\"",
            _ => "",
        }
    }

    /// Renders a clip as an `asset-clip` at `offset` (already spelled) on `lane`.
    fn clip_xml(
        &self,
        clip: &Clip,
        asset: usize,
        kind: TrackKind,
        lane: Option<i64>,
        offset: &str,
        (anchors, extra_markers): (&[String], &[String]),
    ) -> Result<String, FormatError> {
        let mut s = format!("<asset-clip ref=\"{}\"", self.assets[asset].id);
        if let Some(l) = lane {
            let _ = write!(s, " lane=\"{l}\"");
        }
        let dur = self.sec(clip.source_range.duration)?;
        let _ = write!(
            s,
            " offset=\"{}\" name=\"{}\" start=\"{}\" duration=\"{}\"{}",
            offset,
            esc(&clip.name),
            self.sec(clip.source_range.start)?.fcp_at(self.rate),
            self.seq_time(dur, &|| format!("the duration of clip {:?}", clip.name))?,
            self.src_enable(asset, kind)
        );
        let mut markers = Vec::with_capacity(clip.markers.len() + extra_markers.len());
        for m in &clip.markers {
            markers.push(self.marker_xml(m, self.sec(m.range.start)?)?);
        }
        markers.extend(extra_markers.iter().cloned());
        if anchors.is_empty() && markers.is_empty() {
            s.push_str("/>");
        } else {
            s.push('>');
            for a in anchors.iter().chain(markers.iter()) {
                s.push_str(a);
            }
            s.push_str("</asset-clip>");
        }
        Ok(s)
    }
}

/// Writes FCPXML 1.9 text with default options (1920×1080, drop-frame timecode at 29.97 and
/// 59.94). See the module documentation for what is carried.
pub fn write(timeline: &Timeline) -> Result<String, FormatError> {
    write_with(timeline, &FcpxmlOptions::default())
}

/// Writes FCPXML 1.9 text with `opts`.
pub fn write_with(timeline: &Timeline, opts: &FcpxmlOptions) -> Result<String, FormatError> {
    crate::validate::timeline(timeline).map_err(unrepresentable)?;
    let rate = timeline.rate;
    let mut w = Writer {
        rate,
        assets: Vec::new(),
        asset_index: HashMap::new(),
        next_id: 1, // r1 is the sequence format
    };

    let video: Vec<&Track> = timeline.tracks_of(TrackKind::Video).collect();
    let audio: Vec<&Track> = timeline.tracks_of(TrackKind::Audio).collect();
    // The primary storyline and the lanes of the others.
    let mut lanes: Vec<(&Track, i64)> = Vec::new();
    let primary: Option<&Track>;
    if let Some((first, rest)) = video.split_first() {
        primary = Some(first);
        for (i, t) in rest.iter().enumerate() {
            lanes.push((t, i as i64 + 1));
        }
        for (i, t) in audio.iter().enumerate() {
            lanes.push((t, -(i as i64) - 1));
        }
    } else if let Some((first, rest)) = audio.split_first() {
        primary = Some(first);
        for (i, t) in rest.iter().enumerate() {
            lanes.push((t, -(i as i64) - 1));
        }
    } else {
        primary = None;
    }

    // Register assets in order of first use so ids are stable.
    for track in primary.into_iter().chain(lanes.iter().map(|(t, _)| *t)) {
        for item in &track.items {
            if let Item::Clip(c) = item {
                let a = w.asset_for(&c.media, track.kind);
                w.assets[a].media_times.push(c.source_range.start);
                w.assets[a].media_times.push(c.source_range.end_exclusive());
            }
        }
    }
    let item_count: usize = timeline.tracks.iter().map(|t| t.items.len()).sum();
    if item_count > MAX_TIMELINE_ITEMS {
        return Err(unrepresentable(format!(
            "the timeline has {item_count} items, more than the {MAX_TIMELINE_ITEMS} limit"
        )));
    }

    // Formats: the sequence format, plus one per other media rate a video asset needs.
    let mut extra_formats: Vec<(String, Rate)> = Vec::new();
    for i in 0..w.assets.len() {
        if !w.assets[i].has_video {
            continue;
        }
        let a = &w.assets[i];
        let mut times = a.media_times.clone();
        if let Some(r) = a.media.available_range {
            times.push(r.start);
            times.push(r.end_exclusive());
        }
        let on_grid = |r: Rate| times.iter().all(|t| t.is_exact_at(r));
        if on_grid(rate) {
            w.assets[i].format = Some("r1".into());
            continue;
        }
        let own = a
            .media
            .available_range
            .map(|r| r.start.rate)
            .or_else(|| a.media_times.first().map(|t| t.rate))
            .unwrap_or(rate);
        if !on_grid(own) || own.num() / own.den().max(1) > 1000 {
            return Err(unrepresentable(format!(
                "media {:?} is used at times that are whole frames neither of the timeline \
                 rate {} nor of its own rate {}",
                a.media.name, rate, own
            )));
        }
        let id = match extra_formats.iter().find(|(_, r)| *r == own) {
            Some((id, _)) => id.clone(),
            None => {
                let id = w.new_id();
                extra_formats.push((id.clone(), own));
                id
            }
        };
        w.assets[i].format = Some(id);
    }

    // The primary storyline.
    let mut prim: Vec<PrimaryEl> = Vec::new();
    let mut pos = Sec::ZERO;
    let mut has_transition = false;
    if let Some(track) = primary {
        for (i, item) in track.items.iter().enumerate() {
            match item {
                Item::Clip(c) => {
                    let asset = w.asset_for(&c.media, track.kind);
                    let d = w.sec(c.source_range.duration)?;
                    prim.push(PrimaryEl {
                        offset: pos,
                        duration: d,
                        local_start: w.sec(c.source_range.start)?,
                        kind: PrimaryKind::Clip { asset, item: i },
                        anchors: Vec::new(),
                        markers: Vec::new(),
                    });
                    pos = pos
                        .add(d)
                        .ok_or_else(|| unrepresentable("timeline too long"))?;
                }
                Item::Gap(g) => {
                    let d = w.sec(g.duration)?;
                    prim.push(PrimaryEl {
                        offset: pos,
                        duration: d,
                        local_start: Sec::ZERO,
                        kind: PrimaryKind::Gap,
                        anchors: Vec::new(),
                        markers: Vec::new(),
                    });
                    pos = pos
                        .add(d)
                        .ok_or_else(|| unrepresentable("timeline too long"))?;
                }
                Item::Transition(t) => {
                    has_transition = true;
                    let inn = w.sec(t.in_offset)?;
                    let out = w.sec(t.out_offset)?;
                    let what = || format!("transition {i} on track {:?}", track.name);
                    w.seq_time(inn, &|| format!("the in offset of {}", what()))?;
                    w.seq_time(out, &|| format!("the out offset of {}", what()))?;
                    let start = pos
                        .sub(inn)
                        .ok_or_else(|| unrepresentable("time overflow"))?;
                    let dur = inn
                        .add(out)
                        .ok_or_else(|| unrepresentable("time overflow"))?;
                    prim.push(PrimaryEl {
                        offset: start,
                        duration: dur,
                        local_start: Sec::ZERO,
                        kind: PrimaryKind::Transition {
                            name: t.name.clone(),
                        },
                        anchors: Vec::new(),
                        markers: Vec::new(),
                    });
                }
            }
        }
    }
    let primary_end = pos;

    // Where connected things start, to pad the primary storyline if needed.
    let mut timeline_end = primary_end;
    let mut latest_start: Option<Sec> = None;
    for (track, _) in &lanes {
        let mut p = Sec::ZERO;
        let storyline = track.items.iter().any(|i| matches!(i, Item::Transition(_)));
        if storyline && !track.items.is_empty() {
            latest_start = latest_start.max(Some(Sec::ZERO));
        }
        for item in &track.items {
            if let Some(d) = item.duration() {
                if let Item::Clip(_) = item {
                    if !storyline {
                        latest_start = latest_start.max(Some(p));
                    }
                }
                p = p
                    .add(w.sec(d)?)
                    .ok_or_else(|| unrepresentable("timeline too long"))?;
            }
        }
        timeline_end = timeline_end.max(p);
    }
    let has_solid = prim
        .iter()
        .any(|e| !matches!(e.kind, PrimaryKind::Transition { .. }));
    if let Some(ls) = latest_start {
        if ls >= primary_end || !has_solid {
            let end = if timeline_end > ls {
                timeline_end
            } else {
                // A zero-length connected clip at the very end: give it a frame to sit on.
                ls.add(Sec::new(rate.den() as i128, rate.num() as i128).unwrap_or(Sec::ZERO))
                    .unwrap_or(ls)
            };
            let d = end.sub(primary_end).unwrap_or(Sec::ZERO);
            w.seq_time(d, &|| {
                "the padding gap at the end of the primary storyline".into()
            })?;
            prim.push(PrimaryEl {
                offset: primary_end,
                duration: d,
                local_start: Sec::ZERO,
                kind: PrimaryKind::Gap,
                anchors: Vec::new(),
                markers: Vec::new(),
            });
            timeline_end = timeline_end.max(end);
        }
    }

    // Index of the solid primary element (clip or gap) under timeline time `t`.
    let solid: Vec<usize> = prim
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e.kind, PrimaryKind::Transition { .. }))
        .map(|(i, _)| i)
        .collect();
    let host_of = |prim: &[PrimaryEl], t: Sec| -> Option<usize> {
        let k = solid.partition_point(|&i| prim[i].offset <= t);
        // The last element starting at or before t (the later one when a zero-length
        // element shares its start).
        solid.get(k.saturating_sub(1)).copied()
    };
    let local_in = |e: &PrimaryEl, t: Sec| -> Result<Sec, FormatError> {
        e.local_start
            .add(
                t.sub(e.offset)
                    .ok_or_else(|| unrepresentable("time overflow"))?,
            )
            .ok_or_else(|| unrepresentable("time overflow"))
    };

    // Connected clips and storylines.
    for (track, lane) in &lanes {
        let storyline = track.items.iter().any(|i| matches!(i, Item::Transition(_)));
        if storyline {
            let host = host_of(&prim, Sec::ZERO)
                .ok_or_else(|| unrepresentable("no primary element to anchor a storyline"))?;
            let mut s = format!(
                "<spine lane=\"{lane}\" offset=\"{}\"",
                local_in(&prim[host], Sec::ZERO)?.fcp_at(rate)
            );
            let default = default_track_name(track.kind, track_ordinal(timeline, track));
            if track.name != default {
                let _ = write!(s, " name=\"{}\"", esc(&track.name));
            }
            s.push('>');
            let mut p = Sec::ZERO;
            for (i, item) in track.items.iter().enumerate() {
                match item {
                    Item::Clip(c) => {
                        let asset = w.asset_for(&c.media, track.kind);
                        let off = w.seq_time(p, &|| format!("clip {:?}", c.name))?;
                        s.push_str(&w.clip_xml(c, asset, track.kind, None, &off, (&[], &[]))?);
                        p = p.add(w.sec(c.source_range.duration)?).unwrap_or(p);
                    }
                    Item::Gap(g) => {
                        let d = w.sec(g.duration)?;
                        let _ = write!(
                            s,
                            "<gap name=\"Gap\" offset=\"{}\" duration=\"{}\"/>",
                            w.seq_time(p, &|| format!("gap {i} on track {:?}", track.name))?,
                            w.seq_time(d, &|| format!("gap {i} on track {:?}", track.name))?
                        );
                        p = p.add(d).unwrap_or(p);
                    }
                    Item::Transition(t) => {
                        has_transition = true;
                        let inn = w.sec(t.in_offset)?;
                        let out = w.sec(t.out_offset)?;
                        let what = || format!("transition {i} on track {:?}", track.name);
                        let start = p.sub(inn).ok_or_else(|| unrepresentable("overflow"))?;
                        let dur = inn.add(out).ok_or_else(|| unrepresentable("overflow"))?;
                        s.push_str(&transition_xml(
                            &t.name,
                            &w.seq_time(start, &what)?,
                            &w.seq_time(dur, &what)?,
                        ));
                    }
                }
            }
            s.push_str("</spine>");
            prim[host].anchors.push(s);
        } else {
            let mut p = Sec::ZERO;
            for (i, item) in track.items.iter().enumerate() {
                let Some(d) = item.duration() else { continue };
                let d = w.sec(d)?;
                w.seq_time(p, &|| format!("item {i} on track {:?}", track.name))?;
                if let Item::Clip(c) = item {
                    let host = host_of(&prim, p).ok_or_else(|| {
                        unrepresentable("no primary element to anchor a connected clip")
                    })?;
                    let off = local_in(&prim[host], p)?.fcp_at(rate);
                    let asset = w.asset_for(&c.media, track.kind);
                    let xml = w.clip_xml(c, asset, track.kind, Some(*lane), &off, (&[], &[]))?;
                    prim[host].anchors.push(xml);
                }
                p = p
                    .add(d)
                    .ok_or_else(|| unrepresentable("timeline too long"))?;
            }
        }
    }

    // Timeline markers and the primary track's markers go on the element under them.
    let mut loose: Vec<&Marker> = timeline.markers.iter().collect();
    if let Some(track) = primary {
        loose.extend(track.markers.iter());
    }
    for m in loose {
        let t = w.sec(m.range.start)?;
        let Some(host) = host_of(&prim, t) else {
            return Err(unrepresentable(format!(
                "marker {:?} has no clip or gap under it to carry it",
                m.name
            )));
        };
        let local = local_in(&prim[host], t)?;
        let xml = w.marker_xml(m, local)?;
        prim[host].markers.push(xml);
    }

    // Render.
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE fcpxml>\n");
    let _ = writeln!(out, "<fcpxml version=\"{VERSION}\">");
    out.push_str("  <resources>\n");
    let _ = writeln!(out, "    {}", format_xml("r1", rate, opts));
    for (id, r) in &extra_formats {
        let _ = writeln!(out, "    {}", format_xml(id, *r, opts));
    }
    for a in &w.assets {
        let _ = write!(
            out,
            "    <asset id=\"{}\" name=\"{}\"",
            a.id,
            esc(&a.media.name)
        );
        if let Some(r) = a.media.available_range {
            let d = w.sec(r.duration)?;
            if d.is_negative() {
                return Err(unrepresentable(format!(
                    "media {:?} has a negative available duration",
                    a.media.name
                )));
            }
            let _ = write!(
                out,
                " start=\"{}\" duration=\"{}\"",
                w.sec(r.start)?.fcp_at(rate),
                d.fcp_at(rate)
            );
        }
        let _ = write!(
            out,
            " hasVideo=\"{}\" hasAudio=\"{}\"",
            u8::from(a.has_video),
            u8::from(a.has_audio)
        );
        if let Some(f) = &a.format {
            let _ = write!(out, " format=\"{f}\"");
        }
        if a.has_audio {
            out.push_str(" audioSources=\"1\"");
        }
        let _ = writeln!(
            out,
            ">\n      <media-rep kind=\"original-media\" src=\"{}\"/>\n    </asset>",
            esc(&media_url(&a.media))
        );
    }
    let dissolve_id = if has_transition {
        let id = w.new_id();
        let _ = writeln!(
            out,
            "    <effect id=\"{id}\" name=\"{DISSOLVE_NAME}\" uid=\"{DISSOLVE_UID}\"/>"
        );
        Some(id)
    } else {
        None
    };
    out.push_str("  </resources>\n  <library>\n");
    let name = esc(&timeline.name);
    let _ = writeln!(out, "    <event name=\"{name}\">");
    let _ = writeln!(out, "      <project name=\"{name}\">");
    let tc_format = if opts.drop_frame && rate.supports_drop_frame() {
        "DF"
    } else {
        "NDF"
    };
    let _ = writeln!(
        out,
        "        <sequence format=\"r1\" duration=\"{}\" tcStart=\"{}\" tcFormat=\"{tc_format}\">",
        timeline_end.fcp_at(rate),
        w.sec(timeline.global_start)?.fcp_at(rate)
    );
    out.push_str("          <spine");
    if let Some(track) = primary {
        if track.name != default_track_name(track.kind, 1) {
            let _ = write!(out, " name=\"{}\"", esc(&track.name));
        }
    }
    out.push_str(">\n");
    for (i, e) in prim.iter().enumerate() {
        let what = || format!("element {i} of the primary storyline");
        let off = w.seq_time(e.offset, &what)?;
        let line = match &e.kind {
            PrimaryKind::Clip { asset, item } => {
                let track = primary.expect("clips come from the primary track");
                let Some(Item::Clip(clip)) = track.items.get(*item) else {
                    unreachable!("primary clip elements index clips of the primary track");
                };
                w.clip_xml(
                    clip,
                    *asset,
                    track.kind,
                    None,
                    &off,
                    (&e.anchors, &e.markers),
                )?
            }
            PrimaryKind::Gap => {
                let mut s = format!(
                    "<gap name=\"Gap\" offset=\"{off}\" duration=\"{}\"",
                    w.seq_time(e.duration, &what)?
                );
                if e.anchors.is_empty() && e.markers.is_empty() {
                    s.push_str("/>");
                } else {
                    s.push('>');
                    for a in e.anchors.iter().chain(e.markers.iter()) {
                        s.push_str(a);
                    }
                    s.push_str("</gap>");
                }
                s
            }
            PrimaryKind::Transition { name } => {
                let mut s = transition_xml(name, &off, &w.seq_time(e.duration, &what)?);
                if let Some(id) = &dissolve_id {
                    s = s.replace(
                        "/>",
                        &format!(
                            "><filter-video ref=\"{id}\" name=\"{DISSOLVE_NAME}\"/></transition>"
                        ),
                    );
                }
                s
            }
        };
        let _ = writeln!(out, "            {line}");
    }
    out.push_str("          </spine>\n        </sequence>\n      </project>\n    </event>\n");
    out.push_str("  </library>\n</fcpxml>\n");
    Ok(out)
}

fn transition_xml(name: &str, offset: &str, duration: &str) -> String {
    let name = if name.is_empty() { DISSOLVE_NAME } else { name };
    format!(
        "<transition name=\"{}\" offset=\"{offset}\" duration=\"{duration}\"/>",
        esc(name)
    )
}

fn format_xml(id: &str, rate: Rate, opts: &FcpxmlOptions) -> String {
    let frame = Sec::new(rate.den() as i128, rate.num() as i128).unwrap_or(Sec::ZERO);
    let mut s = format!("<format id=\"{id}\"");
    if opts.width == 1920 && opts.height == 1080 {
        let suffix = match (rate.num(), rate.den()) {
            (24000, 1001) => Some("2398"),
            (24, 1) => Some("24"),
            (25, 1) => Some("25"),
            (30000, 1001) => Some("2997"),
            (30, 1) => Some("30"),
            (50, 1) => Some("50"),
            (60000, 1001) => Some("5994"),
            (60, 1) => Some("60"),
            _ => None,
        };
        if let Some(sfx) = suffix {
            let _ = write!(s, " name=\"FFVideoFormat1080p{sfx}\"");
        }
    }
    let _ = write!(
        s,
        " frameDuration=\"{}\" width=\"{}\" height=\"{}\"/>",
        frame.fcp(),
        opts.width,
        opts.height
    );
    s
}

/// 1-based position of `track` among the timeline's tracks of its kind.
fn track_ordinal(timeline: &Timeline, track: &Track) -> usize {
    timeline
        .tracks_of(track.kind)
        .position(|t| std::ptr::eq(t, track))
        .map(|p| p + 1)
        .unwrap_or(1)
}

fn default_track_name(kind: TrackKind, ordinal: usize) -> String {
    match kind {
        TrackKind::Video => format!("V{ordinal}"),
        TrackKind::Audio => format!("A{ordinal}"),
        TrackKind::Subtitle => format!("S{ordinal}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// 1-based line and column of byte offset `pos` in `text`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = text.get(..pos).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, col)
}

/// Rejects a DOCTYPE with an internal subset (where entities would be declared).
fn check_doctype(text: &str) -> Result<(), ParseError> {
    let Some(start) = text.find("<!DOCTYPE") else {
        return Ok(());
    };
    let mut quote: Option<char> = None;
    for (i, c) in text[start..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => {
                let (l, col) = line_col(text, start + i);
                return Err(ParseError::at(
                    l,
                    col,
                    "the DOCTYPE has an internal subset; FCPXML needs none and entity \
                     declarations are not accepted",
                ));
            }
            (None, '>') => return Ok(()),
            _ => {}
        }
    }
    let (l, col) = line_col(text, start);
    Err(ParseError::at(l, col, "unterminated DOCTYPE declaration"))
}

/// Deepest element nesting accepted; real FCPXML stays below 40. Bounded because the XML
/// parser recurses per level.
const MAX_DEPTH: usize = 256;

/// Rejects element nesting deeper than [`MAX_DEPTH`] before the XML parser sees the text.
/// Comments, CDATA, processing instructions, declarations and quoted attribute values are
/// skipped, so markup-like text inside them does not count.
fn check_nesting(text: &str) -> Result<(), ParseError> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    let skip_to = |from: usize, end: &str| -> usize {
        text.get(from..)
            .and_then(|rest| rest.find(end))
            .map(|p| from + p + end.len())
            .unwrap_or(b.len())
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = skip_to(i + 4, "-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i + 9, "]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i + 2, "?>");
        } else if rest.starts_with(b"<!") {
            i = skip_to(i + 2, ">");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i + 2, ">");
        } else {
            // A start tag: find its end outside quotes.
            let start = i;
            let mut quote = None;
            i += 1;
            while i < b.len() {
                match (quote, b[i]) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, c @ (b'"' | b'\'')) => quote = Some(c),
                    (None, b'>') => break,
                    _ => {}
                }
                i += 1;
            }
            let empty = i > 0 && b.get(i - 1) == Some(&b'/');
            if !empty {
                depth += 1;
                if depth > MAX_DEPTH {
                    let (l, c) = line_col(text, start);
                    return Err(ParseError::at(
                        l,
                        c,
                        format!("elements are nested more than {MAX_DEPTH} deep"),
                    ));
                }
            }
            i += 1;
        }
    }
    Ok(())
}

struct AssetRes<'a, 'i> {
    media: MediaReference,
    has_video: bool,
    has_audio: bool,
    /// Start and duration as read, until the sequence rate is known.
    range: Option<(Sec, Sec, Node<'a, 'i>)>,
}

/// A clip or gap read from a storyline, with where it sits.
struct Placed {
    start: Sec,
    item: Item,
    audio_only: bool,
}

/// A connected element waiting to be turned into track items.
struct Anchored<'a, 'i> {
    lane: i64,
    node: Node<'a, 'i>,
    /// Timeline time at the element's `offset`… i.e. where it starts.
    start: Sec,
}

struct Reader<'a, 'i> {
    text: &'i str,
    doc: &'a Document<'i>,
    rate: Rate,
    assets: HashMap<&'a str, AssetRes<'a, 'i>>,
    effects: HashMap<&'a str, &'a str>,
    items: usize,
}

impl<'a, 'i: 'a> Reader<'a, 'i> {
    fn err_node(&self, node: Node, reason: impl Into<String>) -> ParseError {
        let p = self.doc.text_pos_at(node.range().start);
        ParseError::at(p.row as usize, p.col as usize, reason)
    }

    fn err_attr(&self, node: Node, name: &str, reason: impl Into<String>) -> ParseError {
        match node.attribute_node(name) {
            Some(a) => {
                let (l, c) = line_col(self.text, a.range_value().start);
                ParseError::at(l, c, reason)
            }
            None => self.err_node(node, reason),
        }
    }

    fn time_attr(&self, node: Node, name: &str) -> Result<Option<Sec>, ParseError> {
        match node.attribute(name) {
            None => Ok(None),
            Some(v) => parse_time(v).map(Some).map_err(|e| {
                self.err_attr(
                    node,
                    name,
                    format!("<{}> {name}: {e}", node.tag_name().name()),
                )
            }),
        }
    }

    fn duration_attr(&self, node: Node, name: &str) -> Result<Option<Sec>, ParseError> {
        let d = self.time_attr(node, name)?;
        if let Some(d) = d {
            if d.is_negative() {
                return Err(self.err_attr(
                    node,
                    name,
                    format!("<{}> has a negative {name}", node.tag_name().name()),
                ));
            }
        }
        Ok(d)
    }

    fn required_duration(&self, node: Node) -> Result<Sec, ParseError> {
        self.duration_attr(node, "duration")?.ok_or_else(|| {
            self.err_node(
                node,
                format!("<{}> has no duration", node.tag_name().name()),
            )
        })
    }

    fn rt(&self, node: Node, t: Sec) -> Result<RationalTime, ParseError> {
        t.to_rt(self.rate)
            .ok_or_else(|| self.err_node(node, format!("time {} is out of range", t.fcp())))
    }

    fn add(&self, node: Node, a: Sec, b: Sec) -> Result<Sec, ParseError> {
        a.add(b)
            .ok_or_else(|| self.err_node(node, "time arithmetic out of range"))
    }

    fn sub(&self, node: Node, a: Sec, b: Sec) -> Result<Sec, ParseError> {
        a.sub(b)
            .ok_or_else(|| self.err_node(node, "time arithmetic out of range"))
    }

    fn count(&mut self, node: Node) -> Result<(), ParseError> {
        self.items += 1;
        if self.items > MAX_TIMELINE_ITEMS {
            return Err(self.err_node(
                node,
                format!("more than {MAX_TIMELINE_ITEMS} timeline items"),
            ));
        }
        Ok(())
    }

    fn lane(&self, node: Node) -> Result<i64, ParseError> {
        match node.attribute("lane") {
            None => Ok(0),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|l| l.abs() <= 10_000)
                .ok_or_else(|| {
                    self.err_attr(node, "lane", format!("lane {v:?} is not a small integer"))
                }),
        }
    }

    fn markers(&self, node: Node, shift: Sec) -> Result<Vec<Marker>, ParseError> {
        let mut out = Vec::new();
        for m in node
            .children()
            .filter(|c| c.has_tag_name("marker") || c.has_tag_name("chapter-marker"))
        {
            let start = self
                .time_attr(m, "start")?
                .ok_or_else(|| self.err_node(m, "<marker> has no start"))?;
            let dur = self.duration_attr(m, "duration")?.unwrap_or(Sec::ZERO);
            let start = self.add(m, start, shift)?;
            out.push(Marker {
                name: m.attribute("value").unwrap_or("").to_string(),
                range: TimeRange::new(self.rt(m, start)?, self.rt(m, dur)?),
                color: MarkerColor::default(),
                note: m.attribute("note").unwrap_or("").to_string(),
                confidence: None,
            });
        }
        Ok(out)
    }

    fn asset(&self, node: Node, r: &str) -> Result<&AssetRes<'a, 'i>, ParseError> {
        self.assets.get(r).ok_or_else(|| {
            self.err_attr(
                node,
                "ref",
                format!("ref {r:?} names no asset in <resources>"),
            )
        })
    }

    /// A clip-like spine element as a model clip; `None` for elements that are not clips.
    fn clip_of(&self, node: Node<'a, 'i>, depth: u32) -> Result<Option<(Clip, bool)>, ParseError> {
        let tag = node.tag_name().name();
        let start = self.time_attr(node, "start")?.unwrap_or(Sec::ZERO);
        let name_attr = node.attribute("name");
        match tag {
            "asset-clip" | "video" | "audio" => {
                let r = node
                    .attribute("ref")
                    .ok_or_else(|| self.err_node(node, format!("<{tag}> has no ref")))?;
                if tag != "asset-clip" && !self.assets.contains_key(r) {
                    if let Some(effect) = self.effects.get(r) {
                        // A generator or title effect: keep its timing.
                        let d = self.required_duration(node)?;
                        let name = name_attr.unwrap_or(effect).to_string();
                        return Ok(Some((
                            Clip::new(
                                name.clone(),
                                MediaReference::missing(name),
                                TimeRange::new(self.rt(node, start)?, self.rt(node, d)?),
                            ),
                            tag == "audio",
                        )));
                    }
                }
                let asset = self.asset(node, r)?;
                let d = match self.duration_attr(node, "duration")? {
                    Some(d) => d,
                    None => match asset.media.available_range {
                        Some(r) => Sec::from_rt(r.duration).unwrap_or(Sec::ZERO),
                        None => {
                            return Err(self.err_node(
                                node,
                                format!("<{tag}> has no duration and its asset none either"),
                            ))
                        }
                    },
                };
                let audio_only = tag == "audio"
                    || node.attribute("srcEnable") == Some("audio")
                    || (!asset.has_video && asset.has_audio);
                let mut clip = Clip::new(
                    name_attr.unwrap_or(&asset.media.name).to_string(),
                    asset.media.clone(),
                    TimeRange::new(self.rt(node, start)?, self.rt(node, d)?),
                );
                clip.markers = self.markers(node, Sec::ZERO)?;
                Ok(Some((clip, audio_only)))
            }
            "clip" | "sync-clip" | "audition" if depth < 4 => {
                // A container: the media is its primary (lane 0) child.
                let inner = node.children().find(|c| {
                    c.is_element()
                        && matches!(
                            c.tag_name().name(),
                            "asset-clip" | "video" | "audio" | "clip" | "sync-clip"
                        )
                        && c.attribute("lane").is_none_or(|l| l.trim() == "0")
                });
                let d = match tag {
                    "audition" => None,
                    _ => Some(self.required_duration(node)?),
                };
                let Some(inner) = inner else {
                    let Some(d) = d else { return Ok(None) };
                    let name = name_attr.unwrap_or(tag).to_string();
                    return Ok(Some((
                        Clip::new(
                            name.clone(),
                            MediaReference::missing(name),
                            TimeRange::new(self.rt(node, start)?, self.rt(node, d)?),
                        ),
                        false,
                    )));
                };
                let Some((mut clip, audio_only)) = self.clip_of(inner, depth + 1)? else {
                    return Ok(None);
                };
                if tag == "audition" {
                    return Ok(Some((clip, audio_only)));
                }
                // Container local time t is media time inner.start + (t - inner.offset).
                let inner_start = Sec::from_rt(clip.source_range.start).unwrap_or(Sec::ZERO);
                let inner_off = self.time_attr(inner, "offset")?.unwrap_or(Sec::ZERO);
                let shift = self.sub(node, inner_start, inner_off)?;
                let src = self.add(node, start, shift)?;
                let d = d.unwrap_or(Sec::ZERO);
                clip.source_range = TimeRange::new(self.rt(node, src)?, self.rt(node, d)?);
                if let Some(n) = name_attr {
                    clip.name = n.to_string();
                }
                let mut markers = self.markers(node, shift)?;
                markers.append(&mut clip.markers);
                clip.markers = markers;
                Ok(Some((clip, audio_only)))
            }
            "title" | "mc-clip" | "ref-clip" | "clip" | "sync-clip" | "caption" => {
                let d = self.required_duration(node)?;
                let name = name_attr.unwrap_or(tag).to_string();
                let mut clip = Clip::new(
                    name.clone(),
                    MediaReference::missing(name),
                    TimeRange::new(self.rt(node, start)?, self.rt(node, d)?),
                );
                clip.markers = self.markers(node, Sec::ZERO)?;
                Ok(Some((clip, false)))
            }
            _ => Ok(None),
        }
    }

    /// Reads a storyline whose local time 0 is timeline time `base`. Returns its items (with
    /// timeline start times), the markers found on gaps (timeline time), and the connected
    /// elements when `collect` is set.
    #[allow(clippy::type_complexity)]
    fn storyline(
        &mut self,
        spine: Node<'a, 'i>,
        base: Sec,
        collect: bool,
    ) -> Result<(Vec<Placed>, Vec<Marker>, Vec<Anchored<'a, 'i>>), ParseError> {
        let mut placed = Vec::new();
        let mut gap_markers = Vec::new();
        let mut anchored = Vec::new();
        let mut pos = base;
        for child in spine.children().filter(|c| c.is_element()) {
            let tag = child.tag_name().name();
            match tag {
                "transition" => {
                    self.count(child)?;
                    let d = self.required_duration(child)?;
                    let inn = match self.time_attr(child, "offset")? {
                        Some(off) => {
                            let abs = self.add(child, base, off)?;
                            self.sub(child, pos, abs)?
                        }
                        None => {
                            // Centred on the cut, whole frames.
                            let frames = d.whole_frames(self.rate).unwrap_or(0) / 2;
                            Sec::new(frames * self.rate.den() as i128, self.rate.num() as i128)
                                .unwrap_or(Sec::ZERO)
                        }
                    };
                    let out = self.sub(child, d, inn)?;
                    if inn.is_negative() || out.is_negative() {
                        return Err(self.err_node(
                            child,
                            "the transition does not overlap the cut it sits on",
                        ));
                    }
                    let name = match child.attribute("name") {
                        Some(DISSOLVE_NAME) | None => String::new(),
                        Some(n) => n.to_string(),
                    };
                    placed.push(Placed {
                        start: pos,
                        item: Item::Transition(Transition {
                            name,
                            kind: TransitionKind::Dissolve,
                            in_offset: self.rt(child, inn)?,
                            out_offset: self.rt(child, out)?,
                        }),
                        audio_only: false,
                    });
                }
                "gap" => {
                    self.count(child)?;
                    let d = self.required_duration(child)?;
                    let start = self.time_attr(child, "start")?.unwrap_or(Sec::ZERO);
                    // Local time l sits at timeline time pos + (l - start).
                    let shift = self.sub(child, pos, start)?;
                    gap_markers.extend(self.markers(child, shift)?);
                    if collect {
                        self.anchors_of(child, shift, &mut anchored)?;
                    }
                    placed.push(Placed {
                        start: pos,
                        item: Item::Gap(Gap {
                            duration: self.rt(child, d)?,
                        }),
                        audio_only: false,
                    });
                    pos = self.add(child, pos, d)?;
                }
                _ => {
                    let Some((clip, audio_only)) = self.clip_of(child, 0)? else {
                        continue;
                    };
                    self.count(child)?;
                    if collect {
                        let start = self.time_attr(child, "start")?.unwrap_or(Sec::ZERO);
                        let shift = self.sub(child, pos, start)?;
                        self.anchors_of(child, shift, &mut anchored)?;
                    }
                    let d = Sec::from_rt(clip.source_range.duration)
                        .ok_or_else(|| self.err_node(child, "duration out of range"))?;
                    placed.push(Placed {
                        start: pos,
                        item: Item::Clip(clip),
                        audio_only,
                    });
                    pos = self.add(child, pos, d)?;
                }
            }
        }
        Ok((placed, gap_markers, anchored))
    }

    /// Collects the connected children of `parent`, whose local time `l` is at timeline time
    /// `l + shift`.
    fn anchors_of(
        &mut self,
        parent: Node<'a, 'i>,
        shift: Sec,
        out: &mut Vec<Anchored<'a, 'i>>,
    ) -> Result<(), ParseError> {
        for c in parent.children().filter(|c| c.is_element()) {
            let lane = self.lane(c)?;
            if lane == 0 {
                continue;
            }
            let off = self.time_attr(c, "offset")?.unwrap_or(Sec::ZERO);
            let start = self.add(c, off, shift)?;
            if start.is_negative() {
                return Err(self.err_node(c, "the connected clip starts before the timeline"));
            }
            out.push(Anchored {
                lane,
                node: c,
                start,
            });
        }
        Ok(())
    }

    fn items_from(
        &self,
        node: Node,
        start: Sec,
        placed: Vec<Placed>,
    ) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::with_capacity(placed.len() + 1);
        if start != Sec::ZERO {
            items.push(Item::Gap(Gap {
                duration: self.rt(node, start)?,
            }));
        }
        items.extend(placed.into_iter().map(|p| p.item));
        Ok(items)
    }
}

fn url_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-escape in URL {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("URL {s:?} does not decode to UTF-8"))
}

/// The media target a `src` URL names: a path for `file:` URLs and relative references, the
/// URL itself otherwise.
fn url_to_target(src: &str) -> Result<String, String> {
    let lower = src.get(..7).map(|p| p.to_ascii_lowercase());
    if lower.as_deref() == Some("file://") {
        let rest = &src[7..];
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        if rest.starts_with('/') {
            let path = url_decode(rest)?;
            // file:///C:/x → C:/x
            if is_drive_path(&path[1..]) || (path.len() == 3 && path.ends_with(':')) {
                return Ok(path[1..].to_string());
            }
            Ok(path)
        } else {
            // file://server/share → UNC path
            Ok(format!("//{}", url_decode(rest)?))
        }
    } else if let Some(rest) = src.strip_prefix("file:") {
        url_decode(rest)
    } else if has_scheme(src) {
        Ok(src.to_string())
    } else {
        url_decode(src)
    }
}

/// Parses FCPXML text (1.x) into a timeline. See the module documentation for what is read.
pub fn parse(text: &str) -> Result<Timeline, ParseError> {
    check_doctype(text)?;
    check_nesting(text)?;
    let opts = ParsingOptions {
        allow_dtd: true,
        nodes_limit: u32::try_from(MAX_TIMELINE_ITEMS * 8).unwrap_or(u32::MAX),
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| {
        let p = e.pos();
        ParseError::at(
            p.row as usize,
            p.col as usize,
            format!("not well-formed XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    let mut r = Reader {
        text,
        doc: &doc,
        rate: Rate::FPS_24,
        assets: HashMap::new(),
        effects: HashMap::new(),
        items: 0,
    };
    if root.tag_name().name() != "fcpxml" {
        return Err(r.err_node(
            root,
            format!(
                "the root element is <{}>, not <fcpxml>",
                root.tag_name().name()
            ),
        ));
    }
    if let Some(v) = root.attribute("version") {
        if !v.starts_with("1.") {
            return Err(r.err_attr(root, "version", format!("FCPXML version {v:?} is not 1.x")));
        }
    }

    // Resources.
    let mut formats: HashMap<&str, Option<Rate>> = HashMap::new();
    for res in root.children().filter(|c| c.has_tag_name("resources")) {
        for c in res.children().filter(|c| c.is_element()) {
            let id = c.attribute("id").unwrap_or("");
            match c.tag_name().name() {
                "format" => {
                    let rate = match r.duration_attr(c, "frameDuration")? {
                        None => None,
                        Some(fd) => {
                            if fd == Sec::ZERO {
                                return Err(r.err_attr(
                                    c,
                                    "frameDuration",
                                    "frameDuration is zero",
                                ));
                            }
                            Some(
                                i64::try_from(fd.d)
                                    .ok()
                                    .zip(i64::try_from(fd.n).ok())
                                    .and_then(|(n, d)| Rate::new(n, d).ok())
                                    .ok_or_else(|| {
                                        r.err_attr(c, "frameDuration", "frame rate out of range")
                                    })?,
                            )
                        }
                    };
                    formats.insert(id, rate);
                }
                "effect" => {
                    r.effects
                        .insert(id, c.attribute("name").unwrap_or("effect"));
                }
                "asset" => {
                    r.count(c)?;
                    let rep = c
                        .children()
                        .filter(|m| m.has_tag_name("media-rep"))
                        .find(|m| {
                            m.attribute("kind").unwrap_or("original-media") == "original-media"
                        })
                        .or_else(|| c.children().find(|m| m.has_tag_name("media-rep")));
                    let src = rep
                        .and_then(|m| m.attribute("src"))
                        .or_else(|| c.attribute("src"));
                    let target = match src {
                        Some(s) => Some(url_to_target(s).map_err(|e| {
                            let n = rep.filter(|m| m.attribute("src").is_some()).unwrap_or(c);
                            r.err_attr(n, "src", e)
                        })?),
                        None => None,
                    };
                    let name = c
                        .attribute("name")
                        .map(str::to_string)
                        .or_else(|| {
                            target
                                .as_deref()
                                .and_then(|t| t.rsplit(['/', '\\']).next())
                                .map(str::to_string)
                        })
                        .unwrap_or_else(|| id.to_string());
                    // Rates for asset times come later (the sequence rate); read raw first.
                    let start = r.time_attr(c, "start")?.unwrap_or(Sec::ZERO);
                    let dur = r.duration_attr(c, "duration")?;
                    r.assets.insert(
                        id,
                        AssetRes {
                            media: MediaReference {
                                name,
                                target_url: target,
                                available_range: None,
                            },
                            has_video: c.attribute("hasVideo").is_none_or(|v| v.trim() != "0"),
                            has_audio: c.attribute("hasAudio").is_some_and(|v| v.trim() == "1"),
                            range: dur.map(|d| (start, d, c)),
                        },
                    );
                }
                _ => {}
            }
        }
    }

    // The sequence.
    let Some(sequence) = root.descendants().find(|n| n.has_tag_name("sequence")) else {
        return Err(ParseError::whole(
            "the FCPXML holds no <sequence> (no project to open)",
        ));
    };
    let fmt = sequence
        .attribute("format")
        .ok_or_else(|| r.err_node(sequence, "<sequence> has no format"))?;
    let rate = match formats.get(fmt) {
        Some(Some(rate)) => *rate,
        Some(None) => {
            return Err(r.err_attr(
                sequence,
                "format",
                format!("format {fmt:?} has no frameDuration"),
            ))
        }
        None => {
            return Err(r.err_attr(
                sequence,
                "format",
                format!("format {fmt:?} names no <format> in <resources>"),
            ))
        }
    };
    r.rate = rate;
    let mut ranges = Vec::new();
    for (id, a) in &r.assets {
        if let Some((start, dur, node)) = a.range {
            ranges.push((*id, TimeRange::new(r.rt(node, start)?, r.rt(node, dur)?)));
        }
    }
    for (id, range) in ranges {
        if let Some(a) = r.assets.get_mut(id) {
            a.media.available_range = Some(range);
        }
    }

    let name = sequence
        .ancestors()
        .find(|n| n.has_tag_name("project"))
        .and_then(|p| p.attribute("name"))
        .unwrap_or("Timeline")
        .to_string();
    let mut timeline = Timeline::new(name, rate);
    if let Some(tc) = r.time_attr(sequence, "tcStart")? {
        timeline.global_start = r.rt(sequence, tc)?;
    }
    let spine = sequence
        .children()
        .find(|c| c.has_tag_name("spine"))
        .ok_or_else(|| r.err_node(sequence, "<sequence> has no <spine>"))?;

    let (placed, gap_markers, anchored) = r.storyline(spine, Sec::ZERO, true)?;
    timeline.markers = gap_markers;
    let clips: Vec<&Placed> = placed
        .iter()
        .filter(|p| matches!(p.item, Item::Clip(_)))
        .collect();
    let primary_kind = if !clips.is_empty() && clips.iter().all(|p| p.audio_only) {
        TrackKind::Audio
    } else {
        TrackKind::Video
    };
    let mut primary = Track::new("", primary_kind);
    primary.items = placed.into_iter().map(|p| p.item).collect();
    let primary_name = spine.attribute("name").map(str::to_string);

    // Connected elements → tracks, by lane.
    struct LaneTrack {
        lane: i64,
        name: Option<String>,
        items: Vec<Item>,
        end: Sec,
        storyline: bool,
    }
    let mut lane_tracks: Vec<LaneTrack> = Vec::new();
    let mut loose: Vec<(i64, Sec, Clip, Node)> = Vec::new();
    for a in anchored {
        if a.node.has_tag_name("spine") {
            let (items, markers, _) = r.storyline(a.node, a.start, false)?;
            timeline.markers.extend(markers);
            let end = items
                .iter()
                .filter_map(|p| {
                    p.item
                        .duration()
                        .and_then(Sec::from_rt)
                        .and_then(|d| p.start.add(d))
                })
                .max()
                .unwrap_or(a.start);
            lane_tracks.push(LaneTrack {
                lane: a.lane,
                name: a.node.attribute("name").map(str::to_string),
                items: r.items_from(a.node, a.start, items)?,
                end,
                storyline: true,
            });
        } else if let Some((clip, _)) = r.clip_of(a.node, 0)? {
            r.count(a.node)?;
            loose.push((a.lane, a.start, clip, a.node));
        }
    }
    // Individual connected clips: by lane, in time order, first fit into non-overlapping tracks.
    loose.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    for (lane, start, clip, node) in loose {
        let d = Sec::from_rt(clip.source_range.duration).unwrap_or(Sec::ZERO);
        let end = r.add(node, start, d)?;
        let slot = lane_tracks
            .iter_mut()
            .find(|t| t.lane == lane && !t.storyline && t.end <= start);
        let track = match slot {
            Some(t) => t,
            None => {
                lane_tracks.push(LaneTrack {
                    lane,
                    name: None,
                    items: Vec::new(),
                    end: Sec::ZERO,
                    storyline: false,
                });
                lane_tracks.last_mut().expect("just pushed")
            }
        };
        if start > track.end {
            let gap = r.sub(node, start, track.end)?;
            track.items.push(Item::Gap(Gap {
                duration: r.rt(node, gap)?,
            }));
        }
        track.items.push(Item::Clip(clip));
        track.end = end;
    }
    // Order: video lanes upwards, then audio lanes downwards; stable within a lane.
    lane_tracks.sort_by_key(|t| {
        if t.lane > 0 {
            t.lane
        } else {
            i64::MAX / 2 - t.lane
        }
    });

    let mut tracks = vec![primary];
    for lt in lane_tracks {
        let kind = if lt.lane > 0 {
            TrackKind::Video
        } else {
            TrackKind::Audio
        };
        let mut t = Track::new(lt.name.unwrap_or_default(), kind);
        t.items = lt.items;
        tracks.push(t);
    }
    // Default names by position within each kind.
    let (mut nv, mut na) = (0, 0);
    for (i, t) in tracks.iter_mut().enumerate() {
        let n = if t.kind == TrackKind::Video {
            nv += 1;
            nv
        } else {
            na += 1;
            na
        };
        if t.name.is_empty() {
            t.name = match (i, &primary_name) {
                (0, Some(pn)) => pn.clone(),
                _ => default_track_name(t.kind, n),
            };
        }
    }
    // Audio tracks after video tracks even when the primary storyline is audio.
    tracks.sort_by_key(|t| t.kind != TrackKind::Video);
    timeline.tracks = tracks;
    Ok(timeline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timecode;
    use proptest::prelude::*;

    fn media(name: &str, frames: i64, rate: Rate) -> MediaReference {
        MediaReference::external(
            format!("/media/shoot day/{name}.mov"),
            Some(TimeRange::from_frames(0, frames, rate)),
        )
    }

    fn clip(name: &str, m: &MediaReference, start: i64, frames: i64, rate: Rate) -> Item {
        Item::Clip(Clip::new(
            name,
            m.clone(),
            TimeRange::from_frames(start, frames, rate),
        ))
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

    fn marker(name: &str, frame: i64, rate: Rate) -> Marker {
        Marker {
            name: name.into(),
            range: TimeRange::from_frames(frame, 0, rate),
            color: MarkerColor::default(),
            note: String::new(),
            confidence: None,
        }
    }

    /// V1 with cuts, a gap and dissolves (one into the gap: a fade), at `rate`.
    fn cut_list(rate: Rate) -> Timeline {
        let a = media("A001", 2000, rate);
        let b = media("B002", 2000, rate);
        let mut tl = Timeline::new("Cut list", rate);
        let mut v1 = Track::new("V1", TrackKind::Video);
        v1.items = vec![
            clip("A001 take 1", &a, 100, 48, rate),
            dissolve(12, 12, rate),
            clip("B002", &b, 240, 72, rate),
            gap(30, rate),
            dissolve(0, 10, rate),
            clip("A001 again", &a, 500, 96, rate),
            dissolve(15, 0, rate),
            gap(24, rate),
        ];
        tl.tracks.push(v1);
        tl
    }

    fn round_trip(tl: &Timeline) -> Timeline {
        let text = write(tl).expect("writes");
        parse(&text).unwrap_or_else(|e| panic!("reads back: {e}\n{text}"))
    }

    #[test]
    fn cuts_gaps_and_dissolves_survive_a_round_trip_at_23_976() {
        let tl = cut_list(Rate::FPS_23_976);
        assert_eq!(round_trip(&tl), tl);
    }

    #[test]
    fn pal_25_cut_list_survives_a_round_trip() {
        let tl = cut_list(Rate::FPS_25);
        assert_eq!(round_trip(&tl), tl);
    }

    #[test]
    fn drop_frame_29_97_timeline_keeps_its_start_timecode() {
        let rate = Rate::FPS_29_97;
        let mut tl = cut_list(rate);
        let start = Timecode::parse("01:00:00;00", rate)
            .unwrap()
            .to_frames(rate);
        tl.global_start = RationalTime::new(start, rate);
        let text = write(&tl).unwrap();
        assert!(text.contains("tcFormat=\"DF\""), "{text}");
        assert!(text.contains("frameDuration=\"1001/30000s\""), "{text}");
        // 107892 frames of 1001/30000 s.
        assert!(text.contains("tcStart=\"107999892/30000s\""), "{text}");
        let back = parse(&text).unwrap();
        assert_eq!(back, tl);
        assert_eq!(back.global_start.to_frames(rate), 107_892);
    }

    #[test]
    fn non_drop_option_writes_ndf() {
        let tl = cut_list(Rate::FPS_29_97);
        let opts = FcpxmlOptions {
            drop_frame: false,
            ..FcpxmlOptions::default()
        };
        assert!(write_with(&tl, &opts).unwrap().contains("tcFormat=\"NDF\""));
    }

    fn multitrack(rate: Rate) -> Timeline {
        let mut tl = cut_list(rate);
        let c = media("C003", 3000, rate);
        let mut v2 = Track::new("V2", TrackKind::Video);
        v2.items = vec![
            gap(20, rate),
            clip("C003 insert", &c, 10, 40, rate),
            gap(100, rate),
            clip("C003 late", &c, 900, 12, rate),
        ];
        let mut a1 = Track::new("A1", TrackKind::Audio);
        let a = media("A001", 2000, rate);
        a1.items = vec![
            clip("A001 sound", &a, 100, 120, rate),
            gap(10, rate),
            clip("A001 more", &a, 600, 60, rate),
        ];
        let mut a2 = Track::new("A2", TrackKind::Audio);
        let music = MediaReference::external("/media/music/score.wav", None);
        a2.items = vec![gap(5, rate), clip("score", &music, 0, 200, rate)];
        tl.tracks.extend([v2, a1, a2]);
        tl
    }

    #[test]
    fn connected_video_and_audio_tracks_round_trip_at_25() {
        let tl = multitrack(Rate::FPS_25);
        let text = write(&tl).unwrap();
        assert!(text.contains("lane=\"1\""), "{text}");
        assert!(text.contains("lane=\"-1\""), "{text}");
        assert!(text.contains("lane=\"-2\""), "{text}");
        assert!(text.contains("srcEnable=\"video\""), "{text}");
        assert!(text.contains("srcEnable=\"audio\""), "{text}");
        assert_eq!(parse(&text).unwrap(), tl);
    }

    #[test]
    fn connected_tracks_round_trip_at_23_976_and_29_97() {
        for rate in [Rate::FPS_23_976, Rate::FPS_29_97] {
            let tl = multitrack(rate);
            assert_eq!(round_trip(&tl), tl, "{rate}");
        }
    }

    #[test]
    fn secondary_track_with_a_dissolve_becomes_a_connected_storyline() {
        let rate = Rate::FPS_23_976;
        let mut tl = cut_list(rate);
        let c = media("C003", 3000, rate);
        let mut v2 = Track::new("Graphics", TrackKind::Video);
        v2.items = vec![
            gap(30, rate),
            clip("one", &c, 0, 40, rate),
            dissolve(6, 6, rate),
            clip("two", &c, 100, 40, rate),
        ];
        tl.tracks.push(v2);
        let text = write(&tl).unwrap();
        assert!(text.contains("<spine lane=\"1\""), "{text}");
        assert!(text.contains("name=\"Graphics\""), "{text}");
        assert_eq!(parse(&text).unwrap(), tl);
    }

    #[test]
    fn audio_only_timeline_round_trips() {
        let rate = Rate::FPS_24;
        let m = media("voice", 5000, rate);
        let mut tl = Timeline::new("Radio", rate);
        let mut a1 = Track::new("A1", TrackKind::Audio);
        a1.items = vec![
            clip("v1", &m, 0, 100, rate),
            gap(10, rate),
            clip("v2", &m, 200, 50, rate),
        ];
        let mut a2 = Track::new("A2", TrackKind::Audio);
        a2.items = vec![gap(50, rate), clip("v3", &m, 400, 10, rate)];
        tl.tracks = vec![a1, a2];
        assert_eq!(round_trip(&tl), tl);
    }

    #[test]
    fn clip_markers_and_markers_over_gaps_round_trip() {
        let rate = Rate::FPS_23_976;
        let mut tl = cut_list(rate);
        if let Item::Clip(c) = &mut tl.tracks[0].items[0] {
            let mut m = marker("focus buzz", 110, rate);
            m.note = "soft <until> \"frame\" 120 & after\nsecond line".into();
            m.range.duration = RationalTime::new(3, rate);
            c.markers.push(m);
        }
        // V1: 48 + 72 = 120 frames of clips, then the gap [120, 150).
        tl.markers.push(marker("chapter: intro", 130, rate));
        let text = write(&tl).unwrap();
        assert!(text.contains("&lt;until&gt; &quot;frame&quot;"), "{text}");
        assert_eq!(parse(&text).unwrap(), tl);
    }

    #[test]
    fn timeline_marker_over_a_clip_is_read_back_on_that_clip() {
        let rate = Rate::FPS_25;
        let mut tl = cut_list(rate);
        tl.markers.push(marker("here", 10, rate));
        let back = round_trip(&tl);
        assert!(back.markers.is_empty());
        let Item::Clip(c) = &back.tracks[0].items[0] else {
            panic!()
        };
        // Clip starts at media frame 100 at timeline frame 0.
        assert_eq!(c.markers[0].range.start, RationalTime::new(110, rate));
    }

    #[test]
    fn names_with_markup_and_non_ascii_survive() {
        let rate = Rate::FPS_25;
        let m = MediaReference::external("/média/a & b <\"quoted\">/clip 'é'.mov", None);
        let mut tl = Timeline::new("Cut <1> & \"final\" — ünïcode", rate);
        let mut v1 = Track::new("V1", TrackKind::Video);
        v1.items = vec![clip("O'Brien & <Co>", &m, 0, 25, rate)];
        tl.tracks.push(v1);
        let text = write(&tl).unwrap();
        assert!(text.contains("src=\"file:///m%C3%A9dia/a%20%26%20b%20%3C%22quoted%22%3E/clip%20%27%C3%A9%27.mov\""), "{text}");
        assert_eq!(parse(&text).unwrap(), tl);
    }

    #[test]
    fn windows_paths_become_file_urls_with_a_drive() {
        let m = MediaReference::external("C:\\Media\\my clip.mov", None);
        assert_eq!(media_url(&m), "file:///C:/Media/my%20clip.mov");
        assert_eq!(
            url_to_target("file:///C:/Media/my%20clip.mov").unwrap(),
            "C:/Media/my clip.mov"
        );
        assert_eq!(
            url_to_target("file://localhost/tmp/a%20b.mov").unwrap(),
            "/tmp/a b.mov"
        );
        assert!(url_to_target("file:///tmp/%ZZ").is_err());
        assert!(url_to_target("file:///tmp/%FF").is_err());
    }

    #[test]
    fn a_file_colon_target_without_slashes_survives_a_round_trip() {
        // Found by the fcpxml fuzz target: `file:mov` was written verbatim and read back as
        // the relative path `mov`.
        for target in ["file:mov", "FILE:a b.mov", "file:é"] {
            let m = MediaReference::external(target, None);
            let url = media_url(&m);
            assert_eq!(url_to_target(&url).unwrap(), target, "{url}");
        }
    }

    #[test]
    fn rational_times_use_exact_integer_arithmetic() {
        let t = |v, r| Sec::from_rt(RationalTime::new(v, r)).unwrap().fcp();
        assert_eq!(t(1, Rate::FPS_29_97), "1001/30000s");
        assert_eq!(t(24, Rate::FPS_23_976), "1001/1000s");
        assert_eq!(t(50, Rate::FPS_25), "2s");
        assert_eq!(t(0, Rate::FPS_25), "0s");
        let at = |v, r| Sec::from_rt(RationalTime::new(v, r)).unwrap().fcp_at(r);
        assert_eq!(at(48, Rate::FPS_23_976), "48048/24000s");
        assert_eq!(at(30000, Rate::FPS_29_97), "1001s");
        assert_eq!(at(12, Rate::FPS_25), "12/25s");
        assert_eq!(at(50, Rate::FPS_25), "2s");
        assert_eq!(
            parse_time("1001/30000s").unwrap(),
            Sec::new(1001, 30000).unwrap()
        );
        assert_eq!(parse_time("2s").unwrap(), Sec::new(2, 1).unwrap());
        assert_eq!(parse_time("-3/2s").unwrap(), Sec::new(-3, 2).unwrap());
        assert_eq!(parse_time("1.25s").unwrap(), Sec::new(5, 4).unwrap());
        for bad in [
            "",
            "s",
            "5",
            "NaNs",
            "infs",
            "1e3s",
            "1/0s",
            "1/-2s",
            "+1s",
            "1//2s",
            "0x10s",
            "1.s2",
            "99999999999999999999999999999s",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn off_grid_clip_duration_is_refused() {
        let rate = Rate::FPS_24;
        let mut tl = Timeline::new("t", rate);
        let mut v1 = Track::new("V1", TrackKind::Video);
        let m = MediaReference::external("/a.mov", None);
        v1.items = vec![Item::Clip(Clip::new(
            "half",
            m,
            TimeRange::new(RationalTime::zero(rate), RationalTime::new(1, Rate::MILLIS)),
        ))];
        tl.tracks.push(v1);
        let err = write(&tl).unwrap_err().to_string();
        assert!(err.contains("whole number of frames"), "{err}");
    }

    #[test]
    fn media_at_its_own_rate_gets_its_own_format() {
        let rate = Rate::FPS_24;
        let m = MediaReference::external(
            "/pal.mov",
            Some(TimeRange::from_frames(0, 1000, Rate::FPS_25)),
        );
        let mut tl = Timeline::new("mixed", rate);
        let mut v1 = Track::new("V1", TrackKind::Video);
        // 13 frames at 25 fps is 0.52 s: not a 24 fps frame, but 48 of 25 fps is exactly 1.92 s…
        // so give the clip a 24-frame duration expressed at 24 fps.
        v1.items = vec![Item::Clip(Clip::new(
            "pal",
            m,
            TimeRange::new(
                RationalTime::new(13, Rate::FPS_25),
                RationalTime::new(24, rate),
            ),
        ))];
        tl.tracks.push(v1);
        let text = write(&tl).unwrap();
        assert!(text.contains("frameDuration=\"1/25s\""), "{text}");
        assert_eq!(parse(&text).unwrap(), tl);
    }

    #[test]
    fn connected_clip_after_the_primary_storyline_pads_it_with_a_gap() {
        let rate = Rate::FPS_25;
        let m = media("m", 1000, rate);
        let mut tl = Timeline::new("pad", rate);
        let mut v1 = Track::new("V1", TrackKind::Video);
        v1.items = vec![clip("short", &m, 0, 10, rate)];
        let mut a1 = Track::new("A1", TrackKind::Audio);
        a1.items = vec![gap(20, rate), clip("late", &m, 0, 30, rate)];
        tl.tracks = vec![v1, a1];
        let back = round_trip(&tl);
        assert_eq!(back.tracks[0].items.len(), 2);
        assert_eq!(back.tracks[0].items[1], gap(40, rate));
        assert_eq!(back.tracks[1], tl.tracks[1]);
    }

    /// Checks what a validator would: refs resolve, sequence times are whole frames, spine
    /// offsets are contiguous.
    fn check_structure(text: &str, rate: Rate) {
        let doc = Document::parse_with_options(
            text,
            ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
        let ids: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("id"))
            .collect();
        for n in doc.descendants().filter(|n| n.is_element()) {
            if let Some(r) = n.attribute("ref") {
                assert!(ids.contains(&r), "unresolved ref {r}");
            }
            if let Some(f) = n.attribute("format") {
                assert!(ids.contains(&f), "unresolved format {f}");
            }
        }
        for spine in doc.descendants().filter(|n| n.has_tag_name("spine")) {
            let mut pos = Sec::ZERO;
            for c in spine.children().filter(|c| c.is_element()) {
                let off = parse_time(c.attribute("offset").unwrap()).unwrap();
                let dur = parse_time(c.attribute("duration").unwrap()).unwrap();
                assert!(off.whole_frames(rate).is_some(), "offset {off:?} off grid");
                assert!(
                    dur.whole_frames(rate).is_some(),
                    "duration {dur:?} off grid"
                );
                if c.has_tag_name("transition") {
                    assert!(
                        off <= pos && pos <= off.add(dur).unwrap(),
                        "transition not over the cut"
                    );
                } else {
                    assert_eq!(off, pos, "spine not contiguous at {}", c.tag_name().name());
                    pos = pos.add(dur).unwrap();
                }
            }
        }
    }

    #[test]
    fn written_spines_are_contiguous_on_the_frame_grid_with_resolved_refs() {
        for rate in [Rate::FPS_23_976, Rate::FPS_29_97, Rate::FPS_25] {
            let text = write(&multitrack(rate)).unwrap();
            check_structure(&text, rate);
        }
    }

    const MINIMAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.9">
  <resources>
    <format id="r1" frameDuration="1/25s" width="1920" height="1080"/>
    <asset id="r2" name="a" start="0s" duration="100s" hasVideo="1" format="r1">
      <media-rep kind="original-media" src="file:///a.mov"/>
    </asset>
  </resources>
  <library><event name="e"><project name="p">
    <sequence format="r1" duration="4s" tcStart="0s" tcFormat="NDF">
      <spine>
        <asset-clip ref="r2" offset="0s" name="a" start="0s" duration="4s"/>
      </spine>
    </sequence>
  </project></event></library>
</fcpxml>
"#;

    fn parse_err(text: &str) -> ParseError {
        parse(text).expect_err("should be rejected")
    }

    #[test]
    fn minimal_document_reads() {
        let tl = parse(MINIMAL).unwrap();
        assert_eq!(tl.name, "p");
        assert_eq!(tl.rate, Rate::FPS_25);
        assert_eq!(tl.duration(), RationalTime::new(100, Rate::FPS_25));
    }

    #[test]
    fn deeply_nested_input_is_an_error_not_a_crash() {
        let depth = 200_000;
        let text = format!(
            "<fcpxml version=\"1.9\">{}{}</fcpxml>",
            "<clip>".repeat(depth),
            "</clip>".repeat(depth)
        );
        let e = parse(&text).unwrap_err();
        assert!(e.reason.contains("nested"), "{e}");
        // Markup-like text in attributes and comments does not count.
        let ok = MINIMAL.replace("name=\"a\"", &format!("name=\"{}\"", "&lt;x>".repeat(1000)));
        let ok = ok.replace(
            "<spine>",
            &format!("<spine><!--{}-->", "<clip>".repeat(1000)),
        );
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn extreme_times_are_errors_not_overflows() {
        for t in [
            "170141183460469231731687303715884105727s",
            "-9999999999999999999999999999/1s",
            "1/99999999999999999999999999s",
        ] {
            assert!(parse_time(t).is_err(), "{t}");
        }
        let huge = MINIMAL.replace(
            "duration=\"4s\"/>",
            "duration=\"999999999999999999999999/7s\"/>",
        );
        assert!(parse(&huge).is_err());
    }

    #[test]
    fn broken_xml_is_reported_with_line_and_column() {
        let e = parse_err(&MINIMAL.replace("</spine>", "</spin>"));
        assert_eq!(e.line, 14, "{e}");
        assert!(e.column > 0 && e.reason.contains("XML"), "{e}");
    }

    #[test]
    fn internal_dtd_subset_is_rejected() {
        let evil = MINIMAL.replace(
            "<!DOCTYPE fcpxml>",
            "<!DOCTYPE fcpxml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>",
        );
        let e = parse_err(&evil);
        assert_eq!((e.line, e.column), (2, 18), "{e}");
        assert!(e.reason.contains("internal subset"), "{e}");
    }

    #[test]
    fn negative_duration_is_rejected_at_the_attribute() {
        let e = parse_err(&MINIMAL.replace(
            "start=\"0s\" duration=\"4s\"",
            "start=\"0s\" duration=\"-4s\"",
        ));
        assert_eq!(e.line, 13, "{e}");
        assert!(e.column > 40, "{e}");
        assert!(e.reason.contains("negative"), "{e}");
    }

    #[test]
    fn non_rational_times_are_rejected() {
        for bad in ["NaN", "4", "4.0e1s", "four seconds", "1/0s"] {
            let e =
                parse_err(&MINIMAL.replace("duration=\"4s\"/>", &format!("duration=\"{bad}\"/>")));
            assert_eq!(e.line, 13, "{bad}: {e}");
            assert!(e.reason.contains("duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_refs_are_rejected() {
        let e = parse_err(&MINIMAL.replace("ref=\"r2\"", "ref=\"r9\""));
        assert_eq!(e.line, 13, "{e}");
        assert!(e.reason.contains("r9"), "{e}");
        let e = parse_err(&MINIMAL.replace("sequence format=\"r1\"", "sequence format=\"r7\""));
        assert!(e.reason.contains("r7"), "{e}");
    }

    #[test]
    fn documents_without_a_sequence_or_spine_are_rejected() {
        let e = parse_err("<fcpxml version=\"1.9\"><resources/></fcpxml>");
        assert!(e.reason.contains("sequence"), "{e}");
        let e = parse_err(
            &MINIMAL
                .replace("<spine>", "<nospine>")
                .replace("</spine>", "</nospine>"),
        );
        assert!(e.reason.contains("spine"), "{e}");
        let e = parse_err("<xmeml version=\"5\"/>");
        assert!(e.reason.contains("<fcpxml>"), "{e}");
    }

    #[test]
    fn a_transition_that_misses_its_cut_is_rejected() {
        let text = MINIMAL.replace(
            "</spine>",
            "<transition offset=\"10s\" duration=\"1s\"/><gap offset=\"4s\" duration=\"2s\"/></spine>",
        );
        let e = parse_err(&text);
        assert!(e.reason.contains("overlap"), "{e}");
    }

    /// The shape Final Cut Pro itself exports: `clip` containers, gaps starting at 3600 s,
    /// connected audio and titles, 1.8-style `src` on assets.
    const FCP_STYLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.8">
  <resources>
    <format id="r1" name="FFVideoFormat1080p2398" frameDuration="1001/24000s" width="1920" height="1080"/>
    <asset id="r2" name="Interview" src="file:///Volumes/Media/Interview%201.mov" start="0s" duration="240240/24000s" hasVideo="1" hasAudio="1" format="r1"/>
    <asset id="r3" name="Room tone" src="file:///Volumes/Media/tone.wav" start="0s" duration="60s" hasAudio="1"/>
    <effect id="r4" name="Basic Title" uid=".../Titles.localized/Basic Title.moti"/>
  </resources>
  <library>
    <event name="Day 1">
      <project name="Interview cut">
        <sequence format="r1" duration="144144/24000s" tcStart="3600s" tcFormat="NDF">
          <spine>
            <clip name="Interview" offset="0s" start="24024/24000s" duration="48048/24000s" tcFormat="NDF">
              <video ref="r2" offset="0s" start="0s" duration="240240/24000s"/>
              <asset-clip ref="r3" lane="-1" offset="24024/24000s" name="Room tone" start="0s" duration="24024/24000s"/>
              <marker start="36036/24000s" duration="1001/24000s" value="Laugh"/>
            </clip>
            <gap name="Gap" offset="48048/24000s" start="3600s" duration="48048/24000s">
              <title ref="r4" lane="1" offset="3600s" name="Lower third" start="3600s" duration="24024/24000s"/>
            </gap>
            <asset-clip ref="r2" offset="96096/24000s" name="Interview" start="120120/24000s" duration="48048/24000s" srcEnable="video"/>
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"#;

    #[test]
    fn final_cut_style_export_is_read() {
        let r = Rate::FPS_23_976;
        let tl = parse(FCP_STYLE).unwrap();
        assert_eq!(tl.name, "Interview cut");
        assert_eq!(tl.rate, r);
        assert_eq!(
            tl.global_start,
            RationalTime::new(3600, Rate::new(1, 1).unwrap())
        );
        let v1 = &tl.tracks[0];
        assert_eq!(v1.kind, TrackKind::Video);
        let Item::Clip(c) = &v1.items[0] else {
            panic!("{:?}", v1.items)
        };
        assert_eq!(
            c.media.target_url.as_deref(),
            Some("/Volumes/Media/Interview 1.mov")
        );
        // clip start 24 frames, video start 0 at offset 0 → media frame 24.
        assert_eq!(c.source_range, TimeRange::from_frames(24, 48, r));
        assert_eq!(c.markers[0].range.start, RationalTime::new(36, r));
        assert_eq!(v1.items[1], gap(48, r));
        let Item::Clip(c3) = &v1.items[2] else {
            panic!()
        };
        assert_eq!(c3.source_range, TimeRange::from_frames(120, 48, r));
        // Title on lane 1: at gap local 3600 s = timeline frame 48.
        let v2 = &tl.tracks[1];
        assert_eq!(v2.kind, TrackKind::Video);
        assert_eq!(v2.items[0], gap(48, r));
        let Item::Clip(t) = &v2.items[1] else {
            panic!()
        };
        assert_eq!(t.name, "Lower third");
        assert!(t.media.target_url.is_none());
        // Room tone on lane -1: clip local 24 frames = timeline frame 0.
        let a1 = &tl.tracks[2];
        assert_eq!(a1.kind, TrackKind::Audio);
        let Item::Clip(rt) = &a1.items[0] else {
            panic!("{:?}", a1.items)
        };
        assert_eq!(rt.name, "Room tone");
        assert_eq!(rt.source_range, TimeRange::from_frames(0, 24, r));
    }

    fn arb_rate() -> impl Strategy<Value = Rate> {
        prop_oneof![
            Just(Rate::FPS_23_976),
            Just(Rate::FPS_25),
            Just(Rate::FPS_29_97),
            Just(Rate::FPS_60)
        ]
    }

    proptest! {
        #[test]
        fn random_cut_lists_round_trip(
            rate in arb_rate(),
            items in proptest::collection::vec((0u8..4, 1i64..500, 0i64..5000, 0i64..20, 0i64..20), 0..25),
        ) {
            let m = media("src", 10_000, rate);
            let mut v1 = Track::new("V1", TrackKind::Video);
            let mut last_was_transition = true;
            for (k, (kind, len, start, i, o)) in items.into_iter().enumerate() {
                match kind {
                    0 | 1 => { v1.items.push(clip(&format!("c{k}"), &m, start, len, rate)); last_was_transition = false; }
                    2 => { v1.items.push(gap(len, rate)); last_was_transition = false; }
                    _ if !last_was_transition => { v1.items.push(dissolve(i, o, rate)); last_was_transition = true; }
                    _ => {}
                }
            }
            let mut tl = Timeline::new("random", rate);
            tl.tracks.push(v1);
            prop_assert_eq!(round_trip(&tl), tl);
        }

        #[test]
        fn mangled_documents_never_panic(cut in 0usize..4000, byte in 0u8..128, at in 0usize..4000) {
            let text = write(&multitrack(Rate::FPS_29_97)).unwrap();
            let mut bytes = text.into_bytes();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(cut.max(1) * 2);
            let s = String::from_utf8_lossy(&bytes);
            let _ = parse(&s);
        }
    }
}
