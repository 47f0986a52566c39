//! Pieces shared by the SRT and WebVTT adapters: line splitting, blank-line rules,
//! `HH:MM:SS,mmm` timestamps and the cue-timing line.
//!
//! Both formats count time in milliseconds; cues read from them are stored at
//! [`Rate::MILLIS`]. Timestamps are limited to [`MAX_HOURS`] hours so that every cue time can
//! be rescaled to any rate Cutroom supports (up to 10^9 units per second) without leaving
//! the 64-bit range.

use crate::error::ParseError;
use crate::model::SubtitleCue;
use crate::time::{Rate, RationalTime, TimeRange};

/// Largest hour field accepted in a timestamp (about 114 years).
pub(crate) const MAX_HOURS: i64 = 999_999;

/// Largest time, in milliseconds, that can be read or written.
pub(crate) const MAX_MILLIS: i64 = (MAX_HOURS + 1) * 3_600_000 - 1;

/// Which format's timestamp rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `H:MM:SS,mmm`; `.` is accepted in place of `,`.
    Srt,
    /// `H:MM:SS.mmm` or `MM:SS.mmm`.
    WebVtt,
}

impl Dialect {
    fn example(self) -> &'static str {
        match self {
            Dialect::Srt => "00:01:02,345",
            Dialect::WebVtt => "00:01:02.345",
        }
    }
}

/// The lines of `text` with their 1-based numbers. Lines end at `\r\n`, `\n` or a lone `\r`;
/// a leading byte-order mark is skipped; a final line terminator does not start a new line.
pub(crate) struct Lines<'a> {
    rest: Option<&'a str>,
    next_no: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        Lines {
            rest: Some(text.strip_prefix('\u{feff}').unwrap_or(text)),
            next_no: 1,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let rest = self.rest?;
        if rest.is_empty() {
            self.rest = None;
            return None;
        }
        let (line, after) = match rest.find(['\r', '\n']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..i], Some(&rest[i + skip..]))
            }
            None => (rest, None),
        };
        self.rest = after;
        let no = self.next_no;
        self.next_no += 1;
        Some((no, line))
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// True for a line holding nothing but spaces and tabs: such a line ends a cue.
pub(crate) fn is_blank(line: &str) -> bool {
    line.chars().all(is_space)
}

/// `line` without leading and trailing spaces and tabs.
pub(crate) fn trim_ws(line: &str) -> &str {
    line.trim_matches(is_space)
}

/// 1-based character column of byte offset `byte` in `line`.
pub(crate) fn column(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(1, |s| s.chars().count() + 1)
}

/// A short, bounded quotation of untrusted text for error messages.
pub(crate) fn quote(text: &str) -> String {
    let mut q: String = text.chars().take(40).collect();
    if q.len() < text.len() {
        q.push('…');
    }
    format!("{q:?}")
}

/// The lines of cue text as they will be written: split at any line terminator, with
/// blank lines dropped (a blank line would end the cue).
pub(crate) fn text_lines(text: &str) -> impl Iterator<Item = &str> {
    Lines {
        rest: Some(text),
        next_no: 1,
    }
    .map(|(_, l)| l)
    .filter(|l| !is_blank(l))
}

/// Reads a run of ASCII digits starting at byte `at`; returns its value (saturating at
/// `u64::MAX`), its length and the byte after it.
fn digits(bytes: &[u8], at: usize) -> (u64, usize, usize) {
    let mut value: u64 = 0;
    let mut end = at;
    while let Some(&b) = bytes.get(end) {
        if !b.is_ascii_digit() {
            break;
        }
        value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
        end += 1;
    }
    (value, end - at, end)
}

/// Parses one timestamp, `token`, that starts at byte `offset` of `line` (line number
/// `line_no`), into milliseconds.
fn parse_timestamp(
    line: &str,
    line_no: usize,
    offset: usize,
    token: &str,
    dialect: Dialect,
) -> Result<i64, ParseError> {
    let b = token.as_bytes();
    let err = |at: usize, what: &str| {
        ParseError::at(
            line_no,
            column(line, offset + at),
            format!(
                "malformed timestamp {}: {what} (expected the form {})",
                quote(token),
                dialect.example()
            ),
        )
    };
    let (first, first_len, mut at) = digits(b, 0);
    if first_len == 0 {
        return Err(err(0, "it does not start with a digit"));
    }
    if b.get(at) != Some(&b':') {
        return Err(err(at, "expected ':'"));
    }
    let second_at = at + 1;
    let (second, second_len, after_second) = digits(b, second_at);
    at = after_second;
    let (hours, hours_len, minutes, minutes_at, minutes_len, seconds, seconds_at, seconds_len) =
        if b.get(at) == Some(&b':') {
            let seconds_at = at + 1;
            let (s, s_len, end) = digits(b, seconds_at);
            at = end;
            (
                first, first_len, second, second_at, second_len, s, seconds_at, s_len,
            )
        } else if dialect == Dialect::WebVtt {
            (0, 1, first, 0, first_len, second, second_at, second_len)
        } else {
            return Err(err(at, "expected ':' between minutes and seconds"));
        };
    if minutes_len != 2 {
        return Err(err(minutes_at, "minutes must have two digits"));
    }
    if seconds_len != 2 {
        return Err(err(seconds_at, "seconds must have two digits"));
    }
    if minutes > 59 {
        return Err(err(minutes_at, "minutes must be 00 to 59"));
    }
    if seconds > 59 {
        return Err(err(seconds_at, "seconds must be 00 to 59"));
    }
    if hours_len > 9 || hours > MAX_HOURS as u64 {
        return Err(err(
            0,
            &format!("hours above {MAX_HOURS} are not a plausible subtitle time"),
        ));
    }
    match (b.get(at), dialect) {
        (Some(b','), Dialect::Srt) | (Some(b'.'), _) => {}
        (Some(b','), Dialect::WebVtt) => {
            return Err(err(at, "WebVTT uses '.' before the milliseconds, not ','"))
        }
        _ => return Err(err(at, "expected ',' or '.' before the milliseconds")),
    }
    let millis_at = at + 1;
    let (millis, millis_len, end) = digits(b, millis_at);
    if millis_len != 3 {
        return Err(err(millis_at, "milliseconds must have three digits"));
    }
    if end != b.len() {
        return Err(err(end, "unexpected characters after the milliseconds"));
    }
    // All parts are bounded above, so this cannot overflow.
    Ok(((hours as i64 * 60 + minutes as i64) * 60 + seconds as i64) * 1000 + millis as i64)
}

/// Parses a cue-timing line `start --> end [settings]` into milliseconds. Anything after the
/// end time (WebVTT cue settings, SRT position coordinates) is ignored. The end must not be
/// before the start.
pub(crate) fn parse_timing_line(
    line: &str,
    line_no: usize,
    dialect: Dialect,
) -> Result<(i64, i64), ParseError> {
    let start_at = line.len() - line.trim_start_matches(is_space).len();
    let Some(arrow) = line.find("-->") else {
        // Point just past the first word, where the arrow should have been.
        let word_end = line[start_at..]
            .find(is_space)
            .map_or(line.len(), |i| start_at + i);
        return Err(ParseError::at(
            line_no,
            column(line, word_end) + usize::from(word_end < line.len()),
            format!(
                "expected a timing line `{0} --> {0}` but found no `-->` in {1}",
                dialect.example(),
                quote(line)
            ),
        ));
    };
    let start_token = trim_ws(&line[..arrow]);
    if start_token.is_empty() {
        return Err(ParseError::at(
            line_no,
            column(line, arrow),
            "missing start time before `-->`",
        ));
    }
    let start = parse_timestamp(line, line_no, start_at, start_token, dialect)?;
    let after = arrow + 3;
    let end_at = after + (line[after..].len() - line[after..].trim_start_matches(is_space).len());
    let end_len = line[end_at..].find(is_space).unwrap_or(line.len() - end_at);
    let end_token = &line[end_at..end_at + end_len];
    if end_token.is_empty() {
        return Err(ParseError::at(
            line_no,
            column(line, end_at),
            "missing end time after `-->`",
        ));
    }
    let end = parse_timestamp(line, line_no, end_at, end_token, dialect)?;
    if end < start {
        return Err(ParseError::at(
            line_no,
            column(line, end_at),
            format!(
                "cue ends at {} before it starts at {} (negative duration)",
                end_token, start_token
            ),
        ));
    }
    Ok((start, end))
}

/// A cue over `[start_ms, end_ms)` at millisecond rate.
pub(crate) fn cue_from_millis(
    start_ms: i64,
    end_ms: i64,
    text: String,
    id: Option<String>,
) -> SubtitleCue {
    SubtitleCue {
        range: TimeRange::new(
            RationalTime::new(start_ms, Rate::MILLIS),
            RationalTime::new(end_ms - start_ms, Rate::MILLIS),
        ),
        text,
        words: Vec::new(),
        id,
    }
}

/// The cue's start and end in whole milliseconds (nearest), clamped to
/// `0..=MAX_MILLIS` with the end never before the start, so that what is written can
/// always be read back.
pub(crate) fn cue_millis(cue: &SubtitleCue) -> (i64, i64) {
    let clamp = |t: Result<RationalTime, _>, overflow: i64| match t {
        Ok(t) => t.value.clamp(0, MAX_MILLIS),
        Err(_) => overflow,
    };
    let start_t = cue.range.start.try_rescaled_to(Rate::MILLIS);
    let start = clamp(
        start_t,
        if cue.range.start.is_negative() {
            0
        } else {
            MAX_MILLIS
        },
    );
    let end_t = cue
        .range
        .start
        .checked_add(cue.range.duration)
        .and_then(|e| e.try_rescaled_to(Rate::MILLIS));
    let end = clamp(
        end_t,
        if cue.range.duration.is_negative() {
            0
        } else {
            MAX_MILLIS
        },
    );
    (start, end.max(start))
}

/// Writes `ms` as `HH:MM:SS<sep>mmm` (hours take more digits when needed).
pub(crate) fn push_timestamp(out: &mut String, ms: i64, sep: char) {
    use std::fmt::Write;
    let ms = ms.clamp(0, MAX_MILLIS);
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, f) = (rest / 1000, rest % 1000);
    let _ = write!(out, "{h:02}:{m:02}:{s:02}{sep}{f:03}");
}

/// Writes the timing line `start --> end` and a newline.
pub(crate) fn push_timing_line(out: &mut String, cue: &SubtitleCue, sep: char) {
    let (start, end) = cue_millis(cue);
    push_timestamp(out, start, sep);
    out.push_str(" --> ");
    push_timestamp(out, end, sep);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(token: &str, dialect: Dialect) -> Result<i64, ParseError> {
        parse_timestamp(token, 7, 0, token, dialect)
    }

    #[test]
    fn lines_split_at_every_kind_of_line_ending_and_skip_the_bom() {
        let lines: Vec<_> = Lines::new("\u{feff}a\r\nb\rc\n\nd").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, "d")]);
        assert_eq!(Lines::new("a\n").count(), 1);
        assert_eq!(Lines::new("").count(), 0);
    }

    #[test]
    fn timestamps_accept_long_hours_and_the_short_webvtt_form() {
        assert_eq!(ts("01:02:03,456", Dialect::Srt), Ok(3_723_456));
        assert_eq!(ts("01:02:03.456", Dialect::Srt), Ok(3_723_456));
        assert_eq!(ts("123:00:00,001", Dialect::Srt), Ok(123 * 3_600_000 + 1));
        assert_eq!(ts("02:03.456", Dialect::WebVtt), Ok(123_456));
        assert_eq!(ts("999999:59:59.999", Dialect::WebVtt), Ok(MAX_MILLIS));
    }

    #[test]
    fn malformed_timestamps_point_at_the_bad_field() {
        let e = ts("00:60:00,000", Dialect::Srt).unwrap_err();
        assert_eq!((e.line, e.column), (7, 4), "{e}");
        let e = ts("00:00:00,00", Dialect::Srt).unwrap_err();
        assert_eq!(e.column, 10, "{e}");
        let e = ts("02:03,456", Dialect::Srt).unwrap_err();
        assert_eq!(e.column, 6, "{e}");
        let e = ts("00:00:01,000", Dialect::WebVtt).unwrap_err();
        assert_eq!(e.column, 9, "{e}");
        let e = ts("1000000:00:00,000", Dialect::Srt).unwrap_err();
        assert!(e.reason.contains("plausible"), "{e}");
        let e = ts("99999999999999999999999:00:00,000", Dialect::Srt).unwrap_err();
        assert!(e.reason.contains("plausible"), "{e}");
        let e = ts("-00:00:01,000", Dialect::Srt).unwrap_err();
        assert_eq!(e.column, 1, "{e}");
    }

    #[test]
    fn written_timestamps_clamp_to_the_readable_range() {
        let mut s = String::new();
        push_timestamp(&mut s, 3_723_456, ',');
        assert_eq!(s, "01:02:03,456");
        s.clear();
        push_timestamp(&mut s, -5, '.');
        assert_eq!(s, "00:00:00.000");
        s.clear();
        push_timestamp(&mut s, i64::MAX, '.');
        assert_eq!(s, "999999:59:59.999");
    }

    #[test]
    fn cue_times_at_other_rates_are_rounded_to_the_nearest_millisecond() {
        let cue = SubtitleCue::new(TimeRange::from_frames(1, 1, Rate::FPS_29_97), "x");
        // 1001/30000 s = 33.3667 ms; 2002/30000 s = 66.733 ms.
        assert_eq!(cue_millis(&cue), (33, 67));
        let huge = SubtitleCue::new(
            TimeRange::new(
                RationalTime::new(-10, Rate::MILLIS),
                RationalTime::new(i64::MAX, Rate::MILLIS),
            ),
            "x",
        );
        assert_eq!(cue_millis(&huge), (0, MAX_MILLIS));
    }
}

/// Test helpers shared by the SRT and WebVTT tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{is_blank, SubtitleCue};
    use crate::time::{Rate, RationalTime, TimeRange};
    use proptest::prelude::*;

    /// A cue from `start` to `end` milliseconds.
    pub(crate) fn cue(start: i64, end: i64, text: &str) -> SubtitleCue {
        SubtitleCue::new(
            TimeRange::new(
                RationalTime::new(start, Rate::MILLIS),
                RationalTime::new(end - start, Rate::MILLIS),
            ),
            text,
        )
    }

    /// One non-blank line of printable text without line separators.
    pub(crate) fn text_line() -> impl Strategy<Value = String> {
        "[\\PC&&[^\u{2028}\u{2029}]]{1,24}".prop_filter("non-blank", |l| !is_blank(l))
    }
}
