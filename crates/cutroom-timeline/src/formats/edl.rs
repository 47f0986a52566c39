//! CMX3600 edit decision lists (`.edl`).
//!
//! # What is written
//!
//! ```text
//! TITLE: My cut
//! FCM: DROP FRAME
//!
//! 001  INTERVIE V     C        01:00:10;00 01:00:15;00 01:00:00;00 01:00:05;00
//! * FROM CLIP NAME:  interview take 3
//! * SOURCE FILE: /media/interview take 3.mov
//! * LOC: 01:00:11;00 RED     check focus
//! 002  INTERVIE V     C        01:00:15;00 01:00:15;00 01:00:05;00 01:00:05;00
//! 002  BROLL    V     D 030    00:00:20;00 00:00:24;00 01:00:05;00 01:00:09;00
//! * FROM CLIP NAME:  interview take 3
//! * TO CLIP NAME:  b-roll
//! * SOURCE FILE: /media/b-roll.mov
//! ```
//!
//! - Record timecodes start at the timeline's `global_start`; every time is rounded to whole
//!   frames at the timeline rate (EDLs count frames). Timecodes are drop-frame when asked for
//!   and the rate is 29.97 or 59.94, otherwise non-drop.
//! - Reel names are the media name (or the clip name) without extension, reduced to letters,
//!   digits and `_`, cut to [`REEL_NAME_LEN`] characters (`AX` when nothing is left, or when
//!   the result would read as the special sources `BL`, `BLACK` or `BARS`).
//!   `* FROM CLIP NAME:` carries the full clip name and `* SOURCE FILE:` the media path.
//!   No other comment kinds are written, except `* TO CLIP NAME:` for dissolves and
//!   `* LOC:` for clip markers (start point in source timecode, colour, name).
//! - CMX3600 has one video track: a timeline with more than one video track is
//!   [`FormatError::Unrepresentable`] (export one track at a time). Up to four audio tracks are
//!   written after the video events on channels `A`, `A2`, `A3`, `A4`. Subtitle tracks,
//!   timeline and track markers, marker durations and notes, clip colour transforms and
//!   media available ranges are not carried.
//! - Dissolves use the standard two-line form: a zero-length cut event of the outgoing source,
//!   then a `D nnn` event of the incoming one with the same number. A dissolve always starts
//!   at the cut in an EDL, so a transition with an `in_offset` is written as the equivalent
//!   picture: the outgoing clip ends `in_offset` earlier and the incoming one starts that much
//!   earlier; it reads back as a dissolve with `in_offset` zero.
//! - Gaps between clips are jumps in record timecode (which OpenTimelineIO reads back as a
//!   Gap). A gap at the start or end of a track, or one that a dissolve fades into, is written
//!   as a `BL` (black) event, so the timeline's start and length survive; on reading, `BL` and
//!   `BLACK` events become gaps. Adjacent gaps between clips are one hole in record time and
//!   read back as one gap.
//!
//! # What is read
//!
//! The inverse: one video track `V1` and audio tracks `A1`… as the channels name them
//! (`B`, `AA`, `A2/V`, `AA/V` place the event on several tracks), gaps for holes in record
//! time, and dissolves. The timeline starts at the earliest record timecode. Media references
//! come from `* SOURCE FILE:` (or `* FROM CLIP:` / `* FROM FILE:` as OpenTimelineIO writes
//! them), otherwise a missing reference named by the reel. `FCM: DROP FRAME` makes timecodes
//! written with `:` count drop-frame; a `;` always does. Unknown comment lines are ignored.
//! Wipes, keys, speed changes (`M2`) and events whose source and record lengths differ are
//! rejected with the line and column of the problem.

use std::collections::BTreeMap;

use crate::error::{FormatError, ParseError};
use crate::formats::MAX_TIMELINE_ITEMS;
use crate::model::{
    Clip, Gap, Item, Marker, MarkerColor, MediaReference, Timeline, Track, TrackKind, Transition,
};
use crate::time::{Rate, RationalTime, TimeRange, Timecode};

const FORMAT: &str = "edl";

/// Longest reel name written (the CMX3600 limit).
pub const REEL_NAME_LEN: usize = 8;

/// Longest line accepted when reading, in characters.
pub const MAX_LINE_CHARS: usize = 4096;

/// Most audio tracks written (channels `A`, `A2`, `A3`, `A4`).
pub const MAX_AUDIO_TRACKS: usize = 4;

/// Longest reel name accepted when reading (file-based EDLs exceed the 8 of CMX3600).
const MAX_REEL_CHARS: usize = 128;

/// Highest audio channel number accepted when reading (`A99`).
const MAX_AUDIO_CHANNEL: u8 = 99;

fn unrepresentable(reason: impl Into<String>) -> FormatError {
    FormatError::Unrepresentable {
        format: FORMAT,
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Writes `timeline` as CMX3600 text, with drop-frame timecode when `drop_frame` is set and
/// the timeline rate is 29.97 or 59.94 (see the module documentation for what is carried).
pub fn write(timeline: &Timeline, drop_frame: bool) -> Result<String, FormatError> {
    let rate = timeline.rate;
    let df = drop_frame && rate.supports_drop_frame();
    let video: Vec<&Track> = timeline.tracks_of(TrackKind::Video).collect();
    if video.len() > 1 {
        return Err(unrepresentable(format!(
            "CMX3600 carries one video track and the timeline has {}; export one track at a time",
            video.len()
        )));
    }
    let audio: Vec<&Track> = timeline.tracks_of(TrackKind::Audio).collect();
    if audio.len() > MAX_AUDIO_TRACKS {
        return Err(unrepresentable(format!(
            "CMX3600 carries at most {MAX_AUDIO_TRACKS} audio tracks and the timeline has {}",
            audio.len()
        )));
    }
    let start = frames_at(timeline.global_start, rate, "the timeline start")?;
    if start < 0 {
        return Err(unrepresentable("the timeline starts before timecode zero"));
    }

    let mut out = String::new();
    out.push_str(&format!("TITLE: {}\n", one_line(&timeline.name)));
    out.push_str(if df {
        "FCM: DROP FRAME\n\n"
    } else {
        "FCM: NON-DROP FRAME\n\n"
    });

    let channels = video
        .iter()
        .map(|t| (*t, "V".to_string()))
        .chain(audio.iter().enumerate().map(|(i, t)| {
            let ch = if i == 0 {
                "A".to_string()
            } else {
                format!("A{}", i + 1)
            };
            (*t, ch)
        }));
    let mut number = 0usize;
    for (track, channel) in channels {
        let segs = plan_track(track, rate, start)?;
        for k in 0..segs.len() {
            let seg = &segs[k];
            let w = EventWriter {
                rate,
                df,
                channel: &channel,
            };
            match seg.dissolve {
                Some(len) => {
                    // A transition is never first, so there is an outgoing segment.
                    let prev = k.checked_sub(1).and_then(|p| segs.get(p));
                    number += 1;
                    w.dissolve_event(&mut out, number, prev, seg, len)?;
                }
                None => {
                    let edge = k == 0 || k + 1 == segs.len();
                    let len = seg.rec_out - seg.rec_in;
                    if seg.clip.is_some() || (edge && len > 0) {
                        number += 1;
                        w.cut_event(&mut out, number, seg)?;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// One clip or gap of a track, in whole frames at the timeline rate, after dissolves have
/// been moved to their EDL positions.
struct Seg<'a> {
    clip: Option<&'a Clip>,
    rec_in: i64,
    rec_out: i64,
    src_in: i64,
    /// Length of a dissolve into this segment from the previous one.
    dissolve: Option<i64>,
}

impl Seg<'_> {
    fn len(&self) -> i64 {
        self.rec_out - self.rec_in
    }
}

fn frames_at(t: RationalTime, rate: Rate, what: &str) -> Result<i64, FormatError> {
    t.try_rescaled_to(rate)
        .map(|t| t.value)
        .map_err(|_| unrepresentable(format!("{what} is out of range")))
}

fn plan_track<'a>(track: &'a Track, rate: Rate, start: i64) -> Result<Vec<Seg<'a>>, FormatError> {
    let mut segs: Vec<Seg<'a>> = Vec::with_capacity(track.items.len());
    let mut pending: Option<(i64, i64)> = None;
    let mut pos = start;
    let name = &track.name;
    for item in &track.items {
        match item {
            Item::Transition(t) => {
                let i = frames_at(t.in_offset, rate, "a transition offset")?;
                let o = frames_at(t.out_offset, rate, "a transition offset")?;
                if i < 0 || o < 0 {
                    return Err(unrepresentable(format!(
                        "a transition on track {name} has a negative offset"
                    )));
                }
                if pending.is_some() {
                    return Err(unrepresentable(format!(
                        "track {name} has two transitions in a row"
                    )));
                }
                let Some(prev) = segs.last_mut() else {
                    return Err(unrepresentable(format!(
                        "the transition at the start of track {name} has nothing to dissolve from"
                    )));
                };
                let keep = prev.len() - i;
                if keep <= 0 || keep < prev.dissolve.unwrap_or(0) {
                    return Err(unrepresentable(format!(
                        "a transition on track {name} reaches back further than its outgoing item"
                    )));
                }
                prev.rec_out -= i;
                pending = Some((i, i + o));
            }
            Item::Clip(_) | Item::Gap(_) => {
                let (clip, dur, src) = match item {
                    Item::Clip(c) => (
                        Some(c),
                        c.source_range.duration,
                        frames_at(c.source_range.start, rate, "a clip's source start")?,
                    ),
                    Item::Gap(g) => (None, g.duration, 0),
                    Item::Transition(_) => continue,
                };
                let dur = frames_at(dur, rate, "an item duration")?;
                if dur < 0 {
                    return Err(unrepresentable(format!(
                        "an item on track {name} has a negative duration"
                    )));
                }
                let rec_in = pos;
                pos = pos
                    .checked_add(dur)
                    .ok_or_else(|| unrepresentable("the timeline is too long"))?;
                let mut seg = Seg {
                    clip,
                    rec_in,
                    rec_out: pos,
                    src_in: src,
                    dissolve: None,
                };
                if let Some((i, len)) = pending.take() {
                    seg.rec_in -= i;
                    if clip.is_some() {
                        seg.src_in -= i;
                    }
                    if seg.src_in < 0 {
                        return Err(unrepresentable(format!(
                            "a dissolve on track {name} needs media before source timecode zero"
                        )));
                    }
                    if len > seg.len() {
                        return Err(unrepresentable(format!(
                            "a dissolve on track {name} is longer than the item it dissolves into"
                        )));
                    }
                    seg.dissolve = Some(len);
                }
                if seg.src_in < 0 {
                    return Err(unrepresentable(format!(
                        "a clip on track {name} starts before source timecode zero"
                    )));
                }
                segs.push(seg);
            }
        }
    }
    if pending.is_some() {
        return Err(unrepresentable(format!(
            "the transition at the end of track {name} has nothing to dissolve into"
        )));
    }
    Ok(segs)
}

struct EventWriter<'a> {
    rate: Rate,
    df: bool,
    channel: &'a str,
}

impl EventWriter<'_> {
    fn tc(&self, frames: i64) -> Result<String, FormatError> {
        // 100 hours of nominal-rate frames bounds every timecode below 100:00:00:00.
        let limit = 100 * 3600 * i64::from(self.rate.nominal_fps());
        let tc = Timecode::from_frames(frames.clamp(-1, limit), self.rate, self.df);
        if frames < 0 || tc.hours > 99 {
            return Err(unrepresentable(format!(
                "timecode {tc} is outside 00:00:00:00–99:59:59:99"
            )));
        }
        Ok(tc.to_string())
    }

    fn line(
        &self,
        out: &mut String,
        number: usize,
        reel: &str,
        transition: Option<i64>,
        src: (i64, i64),
        rec: (i64, i64),
    ) -> Result<(), FormatError> {
        let trans = match transition {
            Some(n) => format!("D {n:03}   "),
            None => "C       ".to_string(),
        };
        out.push_str(&format!(
            "{number:03}  {reel:<8} {ch:<5} {trans} {} {} {} {}\n",
            self.tc(src.0)?,
            self.tc(src.1)?,
            self.tc(rec.0)?,
            self.tc(rec.1)?,
            ch = self.channel,
        ));
        Ok(())
    }

    fn cut_event(&self, out: &mut String, number: usize, seg: &Seg) -> Result<(), FormatError> {
        let reel = seg.clip.map(reel_name).unwrap_or_else(|| "BL".into());
        self.line(
            out,
            number,
            &reel,
            None,
            (seg.src_in, seg.src_in.saturating_add(seg.len())),
            (seg.rec_in, seg.rec_out),
        )?;
        if let Some(clip) = seg.clip {
            out.push_str(&format!("* FROM CLIP NAME:  {}\n", one_line(&clip.name)));
            self.clip_details(out, clip)?;
        }
        Ok(())
    }

    fn dissolve_event(
        &self,
        out: &mut String,
        number: usize,
        prev: Option<&Seg>,
        seg: &Seg,
        len: i64,
    ) -> Result<(), FormatError> {
        let prev_clip = prev.and_then(|p| p.clip);
        let (reel, src_out) = match (prev, prev_clip) {
            (Some(p), Some(c)) => (reel_name(c), p.src_in.saturating_add(p.len())),
            _ => ("BL".to_string(), 0),
        };
        self.line(
            out,
            number,
            &reel,
            None,
            (src_out, src_out),
            (seg.rec_in, seg.rec_in),
        )?;
        let in_reel = seg.clip.map(reel_name).unwrap_or_else(|| "BL".into());
        self.line(
            out,
            number,
            &in_reel,
            Some(len),
            (seg.src_in, seg.src_in.saturating_add(seg.len())),
            (seg.rec_in, seg.rec_out),
        )?;
        if let Some(c) = prev_clip {
            out.push_str(&format!("* FROM CLIP NAME:  {}\n", one_line(&c.name)));
        }
        if let Some(clip) = seg.clip {
            out.push_str(&format!("* TO CLIP NAME:  {}\n", one_line(&clip.name)));
            self.clip_details(out, clip)?;
        }
        Ok(())
    }

    fn clip_details(&self, out: &mut String, clip: &Clip) -> Result<(), FormatError> {
        if let Some(url) = &clip.media.target_url {
            if url.contains(['\n', '\r']) {
                return Err(unrepresentable(format!(
                    "the media path of clip {:?} contains a line break",
                    clip.name
                )));
            }
            out.push_str(&format!("* SOURCE FILE: {url}\n"));
        }
        for m in &clip.markers {
            let at = frames_at(m.range.start, self.rate, "a marker time")?;
            let line = format!(
                "* LOC: {} {:<7} {}",
                self.tc(at)?,
                m.color.as_str(),
                one_line(&m.name)
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        Ok(())
    }
}

/// Text on one line: line breaks become spaces, surrounding whitespace is dropped.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ").trim().to_string()
}

/// The reel name written for `clip` (see the module documentation).
pub fn reel_name(clip: &Clip) -> String {
    let base = if clip.media.name.trim().is_empty() {
        clip.name.as_str()
    } else {
        clip.media.name.as_str()
    };
    let base = base.rsplit(['/', '\\']).next().unwrap_or(base);
    let stem = match base.rfind('.') {
        Some(dot) if dot > 0 && base[dot + 1..].chars().all(|c| c.is_ascii_alphanumeric()) => {
            &base[..dot]
        }
        _ => base,
    };
    let reel: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(REEL_NAME_LEN)
        .collect::<String>()
        .to_ascii_uppercase();
    if reel.is_empty() || is_black_reel(&reel) || reel == "BARS" {
        "AX".to_string()
    } else {
        reel
    }
}

fn is_black_reel(reel: &str) -> bool {
    reel == "BL" || reel == "BLACK"
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Parses CMX3600 text whose timecodes count frames at `rate` (EDLs do not record their rate).
///
/// Errors carry the 1-based line and, for a bad field, its column.
pub fn parse(text: &str, rate: Rate) -> Result<Timeline, ParseError> {
    parse_limited(text, rate, MAX_TIMELINE_ITEMS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TrackId {
    Video,
    Audio(u8),
}

impl TrackId {
    fn track(self) -> Track {
        match self {
            TrackId::Video => Track::new("V1", TrackKind::Video),
            TrackId::Audio(n) => Track::new(format!("A{n}"), TrackKind::Audio),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditKind {
    Cut,
    Dissolve(i64),
}

#[derive(Debug, Clone)]
struct EventLine {
    line: usize,
    number: u32,
    reel: String,
    channel: String,
    tracks: Vec<TrackId>,
    kind: EditKind,
    /// Column of the transition-length field (dissolves).
    kind_col: usize,
    src_in: i64,
    rec_in: i64,
    rec_in_col: usize,
    rec_out: i64,
}

impl EventLine {
    fn len(&self) -> i64 {
        self.rec_out - self.rec_in
    }
}

#[derive(Debug, Clone, Default)]
struct SideInfo {
    name: Option<String>,
    source_file: Option<String>,
    other_file: Option<String>,
    markers: Vec<Marker>,
}

#[derive(Debug, Clone, Default)]
struct Group {
    lines: Vec<EventLine>,
    from: SideInfo,
    to: SideInfo,
    saw_to: bool,
}

/// Splits a line into whitespace-separated fields with their 1-based character columns,
/// keeping at most `max` fields (the count of further fields is still reported).
fn fields(line: &str, max: usize) -> (Vec<(usize, &str)>, usize) {
    let mut out = Vec::new();
    let mut count = 0;
    let mut start: Option<(usize, usize)> = None; // (byte, column)
    let mut col = 0;
    for (b, c) in line.char_indices() {
        col += 1;
        if c.is_whitespace() {
            if let Some((sb, sc)) = start.take() {
                count += 1;
                if out.len() < max {
                    out.push((sc, &line[sb..b]));
                }
            }
        } else if start.is_none() {
            start = Some((b, col));
        }
    }
    if let Some((sb, sc)) = start {
        count += 1;
        if out.len() < max {
            out.push((sc, &line[sb..]));
        }
    }
    (out, count)
}

/// 1-based character column at which `sub`, a slice of `line`, starts.
fn column_of(line: &str, sub: &str) -> usize {
    let offset = (sub.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    let offset = offset.min(line.len());
    line.char_indices().take_while(|(b, _)| *b < offset).count() + 1
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if starts_with_ci(s, prefix) {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

struct Reader {
    rate: Rate,
    drop_frame: bool,
}

impl Reader {
    /// Parses a timecode field to a frame count, honouring `FCM: DROP FRAME`.
    fn timecode(&self, text: &str, line: usize, col: usize) -> Result<i64, ParseError> {
        let owned;
        let mut text = text;
        if self.drop_frame && !text.contains([';', '.', ',']) {
            if let Some(i) = text.rfind(':') {
                owned = format!("{};{}", &text[..i], &text[i + 1..]);
                text = &owned;
            }
        }
        let tc = Timecode::parse(text, self.rate)
            .map_err(|e| ParseError::at(line, col, format!("bad timecode: {e}")))?;
        if tc.negative {
            return Err(ParseError::at(line, col, "timecodes cannot be negative"));
        }
        Ok(tc.to_frames(self.rate))
    }

    fn event_line(&self, line_text: &str, line: usize) -> Result<EventLine, ParseError> {
        let (f, count) = fields(line_text, 9);
        let (num_col, num_text) = f[0];
        if !num_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::at(
                line,
                num_col,
                format!("bad event number {num_text:?}: it must be digits only"),
            ));
        }
        if num_text.len() > 6 {
            return Err(ParseError::at(
                line,
                num_col,
                "bad event number: more than 6 digits",
            ));
        }
        let number: u32 = num_text
            .parse()
            .map_err(|_| ParseError::at(line, num_col, "bad event number"))?;
        if count < 8 {
            return Err(ParseError::at(
                line,
                0,
                format!(
                    "event {num_text} has {count} fields; expected number, reel, channel, \
                     transition, source in/out and record in/out"
                ),
            ));
        }
        let (reel_col, reel) = f[1];
        if reel.chars().count() > MAX_REEL_CHARS {
            return Err(ParseError::at(
                line,
                reel_col,
                format!("reel name is longer than {MAX_REEL_CHARS} characters"),
            ));
        }
        let (ch_col, channel) = f[2];
        let tracks = parse_channel(channel)
            .ok_or_else(|| ParseError::at(line, ch_col, format!("unknown channel {channel:?}")))?;
        let (kind_col, code) = f[3];
        let (kind, tc_start, kind_col) = if code == "C" {
            if count != 8 {
                return Err(ParseError::at(
                    line,
                    f.get(8).map(|x| x.0).unwrap_or(0),
                    format!("a cut event has 8 fields, this one has {count}"),
                ));
            }
            (EditKind::Cut, 4, kind_col)
        } else if code == "D" {
            if count != 9 {
                return Err(ParseError::at(
                    line,
                    kind_col,
                    format!(
                        "a dissolve event has 9 fields (D and its length), this one has {count}"
                    ),
                ));
            }
            let (dcol, dtext) = f[4];
            if dtext.is_empty() || dtext.len() > 6 || !dtext.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseError::at(
                    line,
                    dcol,
                    format!("bad dissolve length {dtext:?}: expected a frame count"),
                ));
            }
            let n: i64 = dtext
                .parse()
                .map_err(|_| ParseError::at(line, dcol, "bad dissolve length"))?;
            (EditKind::Dissolve(n), 5, dcol)
        } else if code.len() == 4
            && code.starts_with('W')
            && code[1..].bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ParseError::at(
                line,
                kind_col,
                format!("wipe transitions ({code}) are not supported"),
            ));
        } else if matches!(code, "K" | "KB" | "KO") {
            return Err(ParseError::at(
                line,
                kind_col,
                format!("key transitions ({code}) are not supported"),
            ));
        } else {
            return Err(ParseError::at(
                line,
                kind_col,
                format!("unknown transition code {code:?}: expected C or D"),
            ));
        };
        let mut tcs = [0i64; 4];
        let mut cols = [0usize; 4];
        for (k, slot) in tcs.iter_mut().enumerate() {
            let (col, text) = f[tc_start + k];
            cols[k] = col;
            *slot = self.timecode(text, line, col)?;
        }
        let [src_in, src_out, rec_in, rec_out] = tcs;
        if src_out < src_in {
            return Err(ParseError::at(
                line,
                cols[1],
                "source out is before source in (negative duration)",
            ));
        }
        if rec_out < rec_in {
            return Err(ParseError::at(
                line,
                cols[3],
                "record out is before record in (negative duration)",
            ));
        }
        if src_out - src_in != rec_out - rec_in {
            return Err(ParseError::at(
                line,
                cols[3],
                format!(
                    "source and record durations differ ({} vs {} frames); speed changes are \
                     not supported",
                    src_out - src_in,
                    rec_out - rec_in
                ),
            ));
        }
        Ok(EventLine {
            line,
            number,
            reel: reel.to_string(),
            channel: channel.to_string(),
            tracks,
            kind,
            kind_col,
            src_in,
            rec_in,
            rec_in_col: cols[2],
            rec_out,
        })
    }

    fn comment(&self, group: &mut Group, raw: &str, line: usize) -> Result<(), ParseError> {
        let body = raw.trim().trim_start_matches('*').trim();
        if let Some(v) = strip_prefix_ci(body, "FROM CLIP NAME:") {
            group.from.name = Some(v.trim().to_string());
            return Ok(());
        }
        if let Some(v) = strip_prefix_ci(body, "TO CLIP NAME:") {
            group.to.name = Some(v.trim().to_string());
            group.saw_to = true;
            return Ok(());
        }
        if let Some(v) = strip_prefix_ci(body, "TO CLIP:").or(strip_prefix_ci(body, "TO FILE:")) {
            group.to.other_file = Some(v.trim().to_string());
            group.saw_to = true;
            return Ok(());
        }
        let side = if group.saw_to {
            &mut group.to
        } else {
            &mut group.from
        };
        if let Some(v) = strip_prefix_ci(body, "SOURCE FILE:") {
            side.source_file = Some(v.trim().to_string());
        } else if let Some(v) =
            strip_prefix_ci(body, "FROM CLIP:").or(strip_prefix_ci(body, "FROM FILE:"))
        {
            group.from.other_file = Some(v.trim().to_string());
        } else if let Some(v) = strip_prefix_ci(body, "LOC:") {
            let v = v.trim();
            let (tc_text, rest) = v.split_once(char::is_whitespace).unwrap_or((v, ""));
            let frame = self.timecode(tc_text, line, column_of(raw, tc_text))?;
            let rest = rest.trim_start();
            let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let (color, name) = match MarkerColor::parse(word) {
                Some(c) => (c, after.trim()),
                None => (MarkerColor::Red, rest.trim()),
            };
            side.markers.push(Marker {
                name: name.to_string(),
                range: TimeRange::from_frames(frame, 0, self.rate),
                color,
                note: String::new(),
                confidence: None,
            });
        }
        Ok(())
    }
}

fn parse_channel(ch: &str) -> Option<Vec<TrackId>> {
    use TrackId::{Audio, Video};
    let tracks = match ch {
        "V" | "V1" => vec![Video],
        "A" => vec![Audio(1)],
        "AA" => vec![Audio(1), Audio(2)],
        "B" => vec![Video, Audio(1)],
        "A2/V" => vec![Video, Audio(2)],
        "AA/V" => vec![Video, Audio(1), Audio(2)],
        _ => {
            let n = ch.strip_prefix('A')?;
            if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u8 = n.parse().ok()?;
            if n == 0 || n > MAX_AUDIO_CHANNEL {
                return None;
            }
            vec![Audio(n)]
        }
    };
    Some(tracks)
}

fn parse_limited(text: &str, rate: Rate, max_items: usize) -> Result<Timeline, ParseError> {
    let mut reader = Reader {
        rate,
        drop_frame: false,
    };
    let mut title: Option<String> = None;
    let mut groups: Vec<Group> = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.len() > MAX_LINE_CHARS && raw.chars().count() > MAX_LINE_CHARS {
            return Err(ParseError::at(
                line_no,
                MAX_LINE_CHARS + 1,
                format!("line is longer than {MAX_LINE_CHARS} characters"),
            ));
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('*') {
            if let Some(g) = groups.last_mut() {
                reader.comment(g, raw, line_no)?;
            }
            continue;
        }
        if line.as_bytes()[0].is_ascii_digit() {
            let ev = reader.event_line(raw, line_no)?;
            let pairs_with_last = matches!(ev.kind, EditKind::Dissolve(_))
                && groups.last().is_some_and(|g| {
                    g.lines.len() == 1
                        && g.lines[0].number == ev.number
                        && g.lines[0].kind == EditKind::Cut
                        && g.lines[0].channel == ev.channel
                });
            match groups.last_mut() {
                Some(g) if pairs_with_last => g.lines.push(ev),
                _ => {
                    if groups.len() >= max_items {
                        return Err(ParseError::at(
                            line_no,
                            1,
                            format!("more than {max_items} events"),
                        ));
                    }
                    groups.push(Group {
                        lines: vec![ev],
                        ..Group::default()
                    });
                }
            }
            continue;
        }
        if let Some(t) = strip_prefix_ci(line, "TITLE:") {
            if title.is_none() {
                title = Some(t.trim().to_string());
            }
        } else if let Some(mode) = strip_prefix_ci(line, "FCM:") {
            let mode = mode.trim().to_ascii_uppercase().replace('-', " ");
            let col = 1 + raw.len() - raw.trim_start().len() + 5;
            match mode.as_str() {
                "DROP FRAME" => {
                    if !rate.supports_drop_frame() {
                        return Err(ParseError::at(
                            line_no,
                            col,
                            format!("drop-frame timecode needs a 29.97 or 59.94 rate, not {rate}"),
                        ));
                    }
                    reader.drop_frame = true;
                }
                "NON DROP FRAME" | "NONDROP FRAME" => reader.drop_frame = false,
                _ => {
                    return Err(ParseError::at(
                        line_no,
                        col,
                        "FCM must be DROP FRAME or NON-DROP FRAME",
                    ))
                }
            }
        } else if starts_with_ci(line, "M2") {
            return Err(ParseError::at(
                line_no,
                1,
                "speed changes (M2) are not supported",
            ));
        } else if ["SPLIT:", "AUD ", "EFFECTS NAME IS", ">>>"]
            .iter()
            .any(|p| starts_with_ci(line, p))
        {
            // Notes that do not change the events' record times.
        } else {
            return Err(ParseError::at(
                line_no,
                1 + raw.len() - raw.trim_start().len(),
                "unrecognised line: expected TITLE:, FCM:, an event, or a * comment",
            ));
        }
    }
    build_timeline(title.unwrap_or_default(), rate, groups, max_items)
}

struct TrackBuild {
    track: Track,
    cursor: i64,
}

fn clip_item(ev: &EventLine, info: &SideInfo, rate: Rate) -> Item {
    let len = ev.len();
    if is_black_reel(&ev.reel) {
        return Item::Gap(Gap {
            duration: RationalTime::new(len, rate),
        });
    }
    let media = match info.source_file.as_ref().or(info.other_file.as_ref()) {
        Some(url) if !url.is_empty() => MediaReference::external(url.clone(), None),
        _ => MediaReference::missing(ev.reel.clone()),
    };
    let mut clip = Clip::new(
        info.name.clone().unwrap_or_else(|| ev.reel.clone()),
        media,
        TimeRange::from_frames(ev.src_in, len, rate),
    );
    clip.markers = info.markers.clone();
    Item::Clip(clip)
}

/// Places events on tracks, counting items against the limit.
struct Builder {
    rate: Rate,
    total: usize,
    max_items: usize,
}

impl Builder {
    fn push(&mut self, b: &mut TrackBuild, item: Item, line: usize) -> Result<(), ParseError> {
        self.total += 1;
        if self.total > self.max_items {
            return Err(ParseError::at_line(
                line,
                format!("more than {} timeline items", self.max_items),
            ));
        }
        b.track.items.push(item);
        Ok(())
    }

    /// Brings the track up to `ev`'s record in, with a gap for any hole, and moves the
    /// track's end to `ev`'s record out.
    fn advance(&mut self, b: &mut TrackBuild, ev: &EventLine) -> Result<(), ParseError> {
        let rate = self.rate;
        if ev.rec_in < b.cursor {
            return Err(ParseError::at(
                ev.line,
                ev.rec_in_col,
                format!(
                    "event {:03} starts at {} on {}, before the previous event there ends at {} \
                     (overlapping record times)",
                    ev.number,
                    Timecode::from_frames(ev.rec_in, rate, false),
                    b.track.name,
                    Timecode::from_frames(b.cursor, rate, false)
                ),
            ));
        }
        if ev.rec_in > b.cursor {
            let gap = Item::Gap(Gap {
                duration: RationalTime::new(ev.rec_in - b.cursor, rate),
            });
            self.push(b, gap, ev.line)?;
        }
        b.cursor = ev.rec_out;
        Ok(())
    }

    fn dissolve(
        &mut self,
        b: &mut TrackBuild,
        ev: &EventLine,
        info: &SideInfo,
    ) -> Result<(), ParseError> {
        let rate = self.rate;
        let n = match ev.kind {
            EditKind::Dissolve(n) => n,
            EditKind::Cut => 0,
        };
        if n > ev.len() {
            return Err(ParseError::at(
                ev.line,
                ev.kind_col,
                format!(
                    "dissolve of {n} frames is longer than its event ({} frames)",
                    ev.len()
                ),
            ));
        }
        self.advance(b, ev)?;
        if n > 0 {
            if b.track.items.is_empty() {
                // A fade in at the very start: dissolve from an empty gap.
                let gap = Item::Gap(Gap {
                    duration: RationalTime::zero(rate),
                });
                self.push(b, gap, ev.line)?;
            }
            let t = Transition::dissolve(RationalTime::zero(rate), RationalTime::new(n, rate));
            self.push(b, Item::Transition(t), ev.line)?;
        }
        // A zero-length dissolve is a cut.
        self.push(b, clip_item(ev, info, rate), ev.line)
    }
}

fn build_timeline(
    name: String,
    rate: Rate,
    groups: Vec<Group>,
    max_items: usize,
) -> Result<Timeline, ParseError> {
    let global_start = groups
        .iter()
        .flat_map(|g| g.lines.iter().map(|l| l.rec_in))
        .min()
        .unwrap_or(0);
    let mut builds: BTreeMap<TrackId, TrackBuild> = BTreeMap::new();
    let mut builder = Builder {
        rate,
        total: 0,
        max_items,
    };
    for g in &groups {
        let Some(main) = g.lines.last() else { continue };
        for &id in &main.tracks {
            let b = builds.entry(id).or_insert_with(|| TrackBuild {
                track: id.track(),
                cursor: global_start,
            });
            match g.lines.as_slice() {
                [ev] => {
                    let mut info = g.from.clone();
                    merge_side(&mut info, &g.to);
                    if ev.kind == EditKind::Cut {
                        builder.advance(b, ev)?;
                        builder.push(b, clip_item(ev, &info, rate), ev.line)?;
                    } else {
                        // A dissolve with no outgoing cut line: from whatever precedes it.
                        builder.dissolve(b, ev, &info)?;
                    }
                }
                [cut, ev] => {
                    if cut.len() > 0 {
                        builder.advance(b, cut)?;
                        builder.push(b, clip_item(cut, &g.from, rate), cut.line)?;
                    } else if cut.rec_out != ev.rec_in {
                        return Err(ParseError::at(
                            ev.line,
                            ev.rec_in_col,
                            "a dissolve must start where its outgoing cut line ends",
                        ));
                    }
                    let info = if g.saw_to || cut.len() > 0 {
                        &g.to
                    } else {
                        &g.from
                    };
                    builder.dissolve(b, ev, info)?;
                }
                _ => {}
            }
        }
    }
    let mut timeline = Timeline::new(name, rate);
    timeline.global_start = RationalTime::new(global_start, rate);
    timeline.tracks = builds.into_values().map(|b| b.track).collect();
    Ok(timeline)
}

fn merge_side(into: &mut SideInfo, other: &SideInfo) {
    if other.name.is_some() {
        into.name.clone_from(&other.name);
    }
    if other.source_file.is_some() {
        into.source_file.clone_from(&other.source_file);
    }
    if other.other_file.is_some() {
        into.other_file.clone_from(&other.other_file);
    }
    into.markers.extend(other.markers.iter().cloned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    fn timeline(rate: Rate, start: i64, items: Vec<Item>) -> Timeline {
        let mut t = Timeline::new("Reel one cut", rate);
        t.global_start = RationalTime::new(start, rate);
        let mut v = Track::new("V1", TrackKind::Video);
        v.items = items;
        t.tracks.push(v);
        t
    }

    fn assert_round_trip(t: &Timeline, drop_frame: bool) -> String {
        let text = write(t, drop_frame).expect("writes");
        let back = parse(&text, t.rate).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(&back, t, "\n{text}");
        // Frame for frame, not just equal instants: every value is at the timeline rate.
        for (_, c, r) in back.clips_with_ranges() {
            assert_eq!(c.source_range.start.rate, t.rate);
            assert_eq!(r.start.rate, t.rate);
        }
        text
    }

    /// 10 minutes (drop-frame) of 29.97: a label boundary that non-drop would get wrong.
    const TEN_MIN_DF: i64 = 17_982;

    #[test]
    fn cuts_at_23_976_non_drop_survive_a_round_trip_frame_for_frame() {
        let r = Rate::FPS_23_976;
        let mut c = Clip::new(
            "interview take 3",
            MediaReference::external("/media/interview take 3.mov", None),
            TimeRange::from_frames(86_400 + 17, 101, r),
        );
        c.markers.push(Marker {
            name: "check focus".into(),
            range: TimeRange::from_frames(86_430, 0, r),
            color: MarkerColor::Green,
            note: String::new(),
            confidence: None,
        });
        let t = timeline(
            r,
            86_400,
            vec![
                Item::Clip(c),
                clip("b-roll", "/media/b-roll.mxf", 1_000, 48, r),
                clip("b-roll", "/media/b-roll.mxf", 2_000, 1, r),
            ],
        );
        let text = assert_round_trip(&t, false);
        assert!(text.contains("FCM: NON-DROP FRAME"), "{text}");
        assert!(text.contains("01:00:00:00 01:00:04:05"), "{text}");
        assert!(
            text.contains("* LOC: 01:00:01:06 GREEN   check focus"),
            "{text}"
        );
    }

    #[test]
    fn drop_frame_29_97_with_gaps_and_a_dissolve_survives_a_round_trip() {
        let r = Rate::FPS_29_97;
        // Clips straddle the minute and ten-minute labels where drop-frame skips numbers.
        let start = 107_892 + TEN_MIN_DF - 45; // just before 01:10:00;00
        let t = timeline(
            r,
            start,
            vec![
                clip("A", "/m/a.mov", 1_790, 30, r),
                gap(17, r),
                clip("B", "/m/b.mov", TEN_MIN_DF - 3, 100, r),
                dissolve(15, r),
                clip("C", "/m/c.mov", 3_597, 60, r),
                gap(2, r),
                clip("D", "/m/d.mov", 0, 1_801, r),
            ],
        );
        let text = assert_round_trip(&t, true);
        assert!(text.contains("FCM: DROP FRAME"), "{text}");
        assert!(
            text.contains(
                "001  A        V     C        00:00:59;20 00:01:00;22 01:09:58;15 01:09:59;15"
            ),
            "{text}"
        );
        assert!(
            text.contains("00:01:00;03 01:10:05;14 01:11:05;17"),
            "{text}"
        );
        assert!(text.contains(" D 015 "), "{text}");
    }

    #[test]
    fn gaps_fades_and_dissolves_at_25_fps_survive_a_round_trip() {
        let r = Rate::FPS_25;
        let t = timeline(
            r,
            90_000,
            vec![
                gap(50, r),
                dissolve(10, r),
                clip("first", "/m/first.mov", 250, 75, r),
                dissolve(25, r),
                clip("second", "/m/second.mov", 0, 40, r),
                gap(13, r),
                clip("third", "/m/third.mov", 100, 30, r),
                dissolve(12, r),
                gap(20, r),
                gap(7, r),
            ],
        );
        let text = assert_round_trip(&t, false);
        assert!(text.contains(" BL "), "{text}");
    }

    #[test]
    fn an_audio_track_is_written_on_channel_a_and_read_back() {
        let r = Rate::FPS_24;
        let mut t = timeline(r, 0, vec![clip("pic", "/m/pic.mov", 0, 48, r)]);
        let mut a = Track::new("A1", TrackKind::Audio);
        a.items = vec![
            clip("sound", "/m/sound.wav", 10, 20, r),
            dissolve(5, r),
            clip("music", "/m/music.wav", 0, 40, r),
        ];
        t.tracks.push(a);
        let text = assert_round_trip(&t, false);
        assert!(text.contains(" A     C "), "{text}");
    }

    #[test]
    fn drop_frame_is_ignored_at_rates_without_it() {
        let r = Rate::FPS_25;
        let t = timeline(r, 0, vec![clip("a", "/m/a.mov", 0, 10, r)]);
        let text = assert_round_trip(&t, true);
        assert!(text.contains("FCM: NON-DROP FRAME"));
    }

    #[test]
    fn only_known_comment_kinds_are_written() {
        let r = Rate::FPS_24;
        let t = timeline(
            r,
            0,
            vec![
                clip("a", "/m/a.mov", 0, 10, r),
                dissolve(4, r),
                clip("b", "/m/b.mov", 0, 10, r),
            ],
        );
        let text = write(&t, false).unwrap();
        for line in text.lines().filter(|l| l.starts_with('*')) {
            assert!(
                [
                    "* FROM CLIP NAME:",
                    "* TO CLIP NAME:",
                    "* SOURCE FILE:",
                    "* LOC:"
                ]
                .iter()
                .any(|p| line.starts_with(p)),
                "{line}"
            );
        }
        assert!(text.starts_with("TITLE: Reel one cut\nFCM: NON-DROP FRAME\n"));
    }

    #[test]
    fn reel_names_are_short_sanitized_media_names() {
        let r = Rate::FPS_24;
        let mk = |media: MediaReference| Clip::new("clip", media, TimeRange::from_frames(0, 1, r));
        assert_eq!(
            reel_name(&mk(MediaReference::external("/x/A001_C002 (v2).mov", None))),
            "A001_C00"
        );
        assert_eq!(
            reel_name(&mk(MediaReference::external("/x/bl.mov", None))),
            "AX"
        );
        assert_eq!(reel_name(&mk(MediaReference::missing("???"))), "AX");
        assert_eq!(reel_name(&mk(MediaReference::missing(""))), "CLIP");
    }

    #[test]
    fn a_centred_dissolve_is_written_as_the_same_picture_starting_at_the_cut() {
        let r = Rate::FPS_24;
        let mut t = timeline(
            r,
            0,
            vec![
                clip("a", "/m/a.mov", 100, 48, r),
                Item::Transition(Transition::dissolve(
                    RationalTime::new(6, r),
                    RationalTime::new(6, r),
                )),
                clip("b", "/m/b.mov", 200, 48, r),
            ],
        );
        let back = parse(&write(&t, false).unwrap(), r).unwrap();
        t.tracks[0].items = vec![
            clip("a", "/m/a.mov", 100, 42, r),
            dissolve(12, r),
            clip("b", "/m/b.mov", 194, 54, r),
        ];
        assert_eq!(back, t);
    }

    #[test]
    fn several_video_tracks_are_unrepresentable() {
        let r = Rate::FPS_24;
        let mut t = timeline(r, 0, vec![clip("a", "/m/a.mov", 0, 10, r)]);
        t.tracks.push(t.tracks[0].clone());
        let err = write(&t, false).unwrap_err();
        assert!(
            matches!(err, FormatError::Unrepresentable { ref reason, .. } if reason.contains("one video track")),
            "{err}"
        );
    }

    #[test]
    fn transitions_without_neighbours_are_unrepresentable() {
        let r = Rate::FPS_24;
        for items in [
            vec![dissolve(2, r), clip("a", "/m/a.mov", 0, 10, r)],
            vec![clip("a", "/m/a.mov", 0, 10, r), dissolve(2, r)],
            vec![
                clip("a", "/m/a.mov", 0, 10, r),
                dissolve(20, r),
                clip("b", "/m/b.mov", 0, 10, r),
            ],
        ] {
            assert!(matches!(
                write(&timeline(r, 0, items), false),
                Err(FormatError::Unrepresentable { .. })
            ));
        }
    }

    #[test]
    fn timecodes_past_99_hours_or_absurd_times_are_unrepresentable() {
        let r = Rate::FPS_25;
        for start in [100 * 3600 * 25, i64::MAX - 5] {
            let t = timeline(r, 0, vec![clip("a", "/m/a.mov", start, 10, r)]);
            assert!(matches!(
                write(&t, false),
                Err(FormatError::Unrepresentable { .. })
            ));
        }
    }

    const HEADER: &str = "TITLE: t\nFCM: NON-DROP FRAME\n";

    fn parse_err(body: &str) -> ParseError {
        parse(&format!("{HEADER}{body}"), Rate::FPS_24).unwrap_err()
    }

    #[test]
    fn a_bad_event_number_is_reported_with_its_line_and_column() {
        let e = parse_err("0x1  AX V C 00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n");
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert!(e.reason.contains("event number"), "{e}");
        let e = parse_err("1234567 AX V C 00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n");
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn a_bad_timecode_is_reported_with_its_line_and_column() {
        let e = parse_err(
            "001  AX V C 00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n\
             002  AX V C 00:00:00:00 00:00:00:24 00:00:01:00 00:00:02:00\n",
        );
        assert_eq!((e.line, e.column), (4, 25), "{e}");
        assert!(e.reason.contains("timecode"), "{e}");
        let e = parse_err("001  AX V C 00:00:00;00 00:00:01:00 00:00:00:00 00:00:01:00\n");
        assert_eq!((e.line, e.column), (3, 13), "{e}");
    }

    #[test]
    fn a_negative_duration_is_an_error() {
        let e = parse_err("001  AX V C 00:00:02:00 00:00:03:00 00:00:05:00 00:00:04:00\n");
        assert_eq!((e.line, e.column), (3, 49), "{e}");
        assert!(e.reason.contains("negative"), "{e}");
        let e = parse_err("001  AX V C 00:00:03:00 00:00:02:00 00:00:04:00 00:00:05:00\n");
        assert!(e.reason.contains("negative"), "{e}");
    }

    #[test]
    fn overlapping_record_times_are_an_error() {
        let e = parse_err(
            "001  AX V C 00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00\n\
             * FROM CLIP NAME: a\n\
             002  AX V C 00:00:00:00 00:00:02:00 00:00:01:00 00:00:03:00\n",
        );
        assert_eq!((e.line, e.column), (5, 37), "{e}");
        assert!(e.reason.contains("overlapping"), "{e}");
    }

    #[test]
    fn unknown_and_unsupported_transition_codes_are_errors() {
        for (code, word) in [("X", "unknown"), ("W001 010", "wipe"), ("KB", "key")] {
            let e = parse_err(&format!(
                "001  AX V C 00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00\n\
                 002  AX V {code} 00:00:00:00 00:00:02:00 00:00:02:00 00:00:04:00\n"
            ));
            assert_eq!((e.line, e.column), (4, 11), "{e}");
            assert!(e.reason.contains(word), "{e}");
        }
    }

    #[test]
    fn a_dissolve_longer_than_its_event_is_an_error() {
        let e = parse_err(
            "001  AX V C 00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00\n\
             002  AX V C 00:00:02:00 00:00:02:00 00:00:02:00 00:00:02:00\n\
             002  BX V D 049 00:00:00:00 00:00:02:00 00:00:02:00 00:00:04:00\n",
        );
        assert_eq!((e.line, e.column), (5, 13), "{e}");
    }

    #[test]
    fn overlong_lines_are_rejected() {
        let e = parse_err(&format!("* FROM CLIP NAME: {}\n", "x".repeat(5000)));
        assert_eq!((e.line, e.column), (3, MAX_LINE_CHARS + 1), "{e}");
    }

    #[test]
    fn unrecognised_lines_and_speed_changes_are_errors() {
        assert_eq!(parse_err("hello\n").line, 3);
        assert!(parse_err("M2   AX  048.0  00:00:00:00\n")
            .reason
            .contains("speed"));
        let e = parse_err("001  AX V C 00:00:00:00 00:00:02:00 00:00:00:00 00:00:01:00\n");
        assert!(e.reason.contains("durations differ"), "{e}");
    }

    #[test]
    fn drop_frame_fcm_needs_a_drop_frame_rate() {
        let e = parse("FCM: DROP FRAME\n", Rate::FPS_25).unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn event_count_is_limited() {
        let mut text = String::new();
        for i in 0..5 {
            text.push_str(&format!(
                "{:03}  AX V C 00:00:00:00 00:00:01:00 00:00:0{i}:00 00:00:0{}:00\n",
                i + 1,
                i + 1
            ));
        }
        assert!(parse_limited(&text, Rate::FPS_24, 5).is_ok());
        let e = parse_limited(&text, Rate::FPS_24, 4).unwrap_err();
        assert_eq!(e.line, 5, "{e}");
    }

    #[test]
    fn fcm_drop_frame_makes_colon_timecodes_count_drop_frame() {
        let text = "FCM: DROP FRAME\n\
                    001  AX V C 00:01:00:02 00:01:00:04 01:00:00:00 01:00:00:02\n";
        let t = parse(text, Rate::FPS_29_97).unwrap();
        let Item::Clip(c) = &t.tracks[0].items[0] else {
            panic!()
        };
        assert_eq!(
            c.source_range,
            TimeRange::from_frames(1800, 2, Rate::FPS_29_97)
        );
        assert_eq!(t.global_start.value, 107_892);
        assert!(parse(
            "FCM: DROP FRAME\n001  AX V C 00:01:00:00 00:01:00:04 01:00:00:00 01:00:00:04\n",
            Rate::FPS_29_97
        )
        .is_err());
    }

    #[test]
    fn a_typical_third_party_edl_is_read() {
        let text = "TITLE: SEQ 1\r\nFCM: NON-DROP FRAME\r\n\r\n\
            001  BL       V     C        00:00:00:00 00:00:00:00 01:00:00:00 01:00:00:00\r\n\
            001  A001C003 V     D 024    12:00:00:00 12:00:05:00 01:00:00:00 01:00:05:00\r\n\
            * TO CLIP NAME:  A001C003.mov\r\n\
            * SOURCE FILE: /cards/A001C003.mov\r\n\
            * COMMENT: ignored\r\n\
            002  A002     B     C        00:10:00:00 00:10:02:00 01:00:05:00 01:00:07:00\r\n\
            * FROM CLIP NAME:  sync take\r\n";
        let t = parse(text, Rate::FPS_24).unwrap();
        assert_eq!(t.name, "SEQ 1");
        assert_eq!(t.global_start.value, 86_400);
        assert_eq!(t.tracks.len(), 2);
        let v = &t.tracks[0].items;
        assert_eq!(v.len(), 4, "{v:?}");
        assert!(matches!(&v[0], Item::Gap(g) if g.duration.value == 0));
        assert!(matches!(&v[1], Item::Transition(x) if x.out_offset.value == 24));
        let Item::Clip(c) = &v[2] else { panic!() };
        assert_eq!(c.name, "A001C003.mov");
        assert_eq!(c.media.target_url.as_deref(), Some("/cards/A001C003.mov"));
        let Item::Clip(s) = &v[3] else { panic!() };
        assert_eq!(s.media, MediaReference::missing("A002"));
        let a = &t.tracks[1];
        assert_eq!((a.name.as_str(), a.kind), ("A1", TrackKind::Audio));
        assert!(matches!(&a.items[0], Item::Gap(g) if g.duration.value == 120));
    }

    fn arb_item(r: Rate) -> impl Strategy<Value = Item> {
        prop_oneof![
            3 => (0i64..200_000, 20i64..3_000).prop_map(move |(s, d)| clip(
                &format!("clip {s}"),
                &format!("/m/c{s}.mov"),
                s,
                d,
                r
            )),
            1 => (20i64..500).prop_map(move |d| gap(d, r)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn generated_29_97_drop_frame_timelines_round_trip(
            start in 0i64..2_000_000,
            items in prop::collection::vec((arb_item(Rate::FPS_29_97), prop::option::of(1i64..20)), 1..12),
        ) {
            let r = Rate::FPS_29_97;
            let mut list: Vec<Item> = Vec::new();
            let n = items.len();
            for (k, (item, diss)) in items.into_iter().enumerate() {
                // Adjacent gaps are one hole in record time: they read back merged.
                if let (Item::Gap(g), Some(Item::Gap(last))) = (&item, list.last_mut()) {
                    last.duration = last.duration + g.duration;
                } else {
                    list.push(item);
                }
                if let Some(d) = diss {
                    if k + 1 < n {
                        list.push(dissolve(d, r));
                    }
                }
            }
            let t = timeline(r, start, list);
            let text = write(&t, true).unwrap();
            prop_assert_eq!(parse(&text, r).unwrap(), t);
        }

        #[test]
        fn arbitrary_edl_like_text_never_panics(
            lines in prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![
                        Just("001".to_string()), Just("002".to_string()), Just("AX".to_string()),
                        Just("BL".to_string()), Just("V".to_string()), Just("A".to_string()),
                        Just("C".to_string()), Just("D".to_string()), Just("010".to_string()),
                        Just("00:00:00:00".to_string()), Just("00:00:01:00".to_string()),
                        Just("00:01:00;02".to_string()), Just("*".to_string()),
                        Just("LOC:".to_string()), Just("FCM:".to_string()),
                        Just("DROP FRAME".to_string()), "[ -~]{0,12}",
                    ],
                    0..10,
                ),
                0..12,
            ),
        ) {
            let text: String = lines.iter().map(|l| l.join(" ") + "\n").collect();
            let _ = parse(&text, Rate::FPS_29_97);
            let _ = parse(&text, Rate::FPS_24);
        }
    }
}
