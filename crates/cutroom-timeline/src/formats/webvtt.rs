//! WebVTT (`.vtt`) subtitles.
//!
//! ```text
//! WEBVTT optional title
//!
//! NOTE comments, STYLE and REGION blocks are skipped
//!
//! intro
//! 00:01.000 --> 00:00:02.500 align:start
//! Fish &amp; chips
//! second line
//! ```
//!
//! **Reading** requires the `WEBVTT` header line (text after it, and any header lines up to
//! the first blank line, are ignored) and tolerates a byte-order mark, CRLF/LF/CR line
//! endings, spaces and tabs around lines, extra blank lines and a missing final newline.
//! Timestamps are `HH:MM:SS.mmm` (hours may have any number of digits) or `MM:SS.mmm`.
//! `NOTE`, `STYLE` and `REGION` blocks are skipped. A cue identifier line is kept in
//! [`SubtitleCue::id`]. Cue settings after the end time (`align:start`, `line:0`…) are
//! ignored: the model has no place for them. Cue text is reduced to plain text: markup tags
//! (`<i>`, `<v Name>`, `<c.class>`, inline timestamps) are removed, character references
//! (`&amp;`, `&lt;`, `&gt;`, `&nbsp;`, `&lrm;`, `&rlm;`, `&quot;`, `&apos;`, numeric ones)
//! are decoded, a `<` with no closing `>` on its line and an unknown `&name;` are kept
//! literally, and lines left blank by removing markup are dropped. Times are stored at
//! [`Rate::MILLIS`](crate::time::Rate::MILLIS).
//!
//! It rejects, with the line and column: a missing header, a cue without a timing line or
//! `-->`, `-->` inside cue text or inside a NOTE/STYLE/REGION block (a blank line is
//! missing), malformed or implausibly large timestamps, a cue that ends before it starts, and
//! more than [`MAX_CUES`] cues.
//!
//! **Writing** emits `WEBVTT`, then each cue in the order given with its identifier, times as
//! `HH:MM:SS.mmm` rounded to the nearest millisecond (negative times as zero, the end never
//! before the start), and text with `&`, `<` and `>` escaped (so a literal `-->` in text is
//! written as `--&gt;`). Blank lines inside text are dropped because a blank line ends the
//! cue. An identifier that cannot be written unambiguously (containing `-->` or a line break,
//! blank, or starting with `NOTE`, `STYLE` or `REGION`) is left out. Lines end with `\n` and
//! the file ends with a newline. Word timings are not written.

use crate::error::ParseError;
use crate::formats::subtitle_text::{
    column, cue_from_millis, is_blank, parse_timing_line, push_timing_line, quote, text_lines,
    Dialect, Lines,
};
use crate::formats::MAX_CUES;
use crate::model::SubtitleCue;

/// Parses WebVTT text into cues, in file order.
pub fn parse(text: &str) -> Result<Vec<SubtitleCue>, ParseError> {
    parse_limited(text, MAX_CUES)
}

/// The block keyword (`NOTE`, `STYLE`, `REGION`) a line starts with, if any.
fn block_keyword(line: &str) -> Option<&'static str> {
    ["NOTE", "STYLE", "REGION"].into_iter().find(|kw| {
        line.strip_prefix(kw)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// An error for a `-->` found where no timing line may be.
fn arrow_error(no: usize, line: &str, arrow: usize, what: &str) -> ParseError {
    ParseError::at(
        no,
        column(line, arrow),
        format!(
            "`-->` is not allowed {what}; a blank line is probably missing before this timing \
             line (write `--&gt;` for a literal arrow in text)"
        ),
    )
}

fn parse_limited(text: &str, max_cues: usize) -> Result<Vec<SubtitleCue>, ParseError> {
    let mut lines = Lines::new(text).peekable();
    let header_ok = lines.next().is_some_and(|(_, first)| {
        first
            .strip_prefix("WEBVTT")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    });
    if !header_ok {
        return Err(ParseError::at(
            1,
            1,
            "not a WebVTT file: the first line must be `WEBVTT`",
        ));
    }
    while let Some((no, line)) = lines.next_if(|(_, l)| !is_blank(l)) {
        if let Some(arrow) = line.find("-->") {
            return Err(arrow_error(no, line, arrow, "in the WEBVTT header"));
        }
    }

    let mut cues = Vec::new();
    while let Some((no, line)) = lines.next() {
        if is_blank(line) {
            continue;
        }
        if let Some(keyword) = block_keyword(line) {
            let what = format!("in a {keyword} block");
            let mut block_line = Some((no, line));
            while let Some((n, l)) = block_line {
                if let Some(arrow) = l.find("-->") {
                    return Err(arrow_error(n, l, arrow, &what));
                }
                block_line = lines.next_if(|(_, l)| !is_blank(l));
            }
            continue;
        }
        let (id, timing_no, timing) = if line.contains("-->") {
            (None, no, line)
        } else {
            match lines.next() {
                Some((n, l)) if !is_blank(l) => (Some(line.to_string()), n, l),
                _ => {
                    return Err(ParseError::at_line(
                        no + 1,
                        format!(
                            "cue {} has no timing line: expected \
                             `00:00:01.000 --> 00:00:02.000` after it",
                            quote(line)
                        ),
                    ))
                }
            }
        };
        if cues.len() >= max_cues {
            return Err(ParseError::at_line(
                timing_no,
                format!("more than {max_cues} cues; refusing to read further"),
            ));
        }
        let (start, end) = parse_timing_line(timing, timing_no, Dialect::WebVtt)?;
        let mut cue_text = String::new();
        while let Some((n, l)) = lines.next_if(|(_, l)| !is_blank(l)) {
            if let Some(arrow) = l.find("-->") {
                return Err(arrow_error(n, l, arrow, "in cue text"));
            }
            let decoded = decode_cue_text(l);
            if is_blank(&decoded) {
                continue;
            }
            if !cue_text.is_empty() {
                cue_text.push('\n');
            }
            cue_text.push_str(&decoded);
        }
        cues.push(cue_from_millis(start, end, cue_text, id));
    }
    Ok(cues)
}

/// Plain text of one line of cue text: tags removed, character references decoded.
fn decode_cue_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(tag) = tail.strip_prefix('<') {
            match tag.find('>') {
                Some(close) => rest = &tag[close + 1..],
                None => {
                    out.push('<');
                    rest = tag;
                }
            }
        } else {
            match decode_reference(tail) {
                Some((c, len)) => {
                    out.push(c);
                    rest = &tail[len..];
                }
                None => {
                    out.push('&');
                    rest = &tail[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the character reference at the start of `tail` (which starts with `&`): the
/// character and the bytes it took, or `None` if it is not one.
fn decode_reference(tail: &str) -> Option<(char, usize)> {
    let semi = tail.bytes().take(12).position(|b| b == b';')?;
    let name = tail.get(1..semi)?;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "nbsp" => '\u{a0}',
        "lrm" => '\u{200e}',
        "rlm" => '\u{200f}',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let (digits, radix) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            let code = u32::from_str_radix(digits, radix).ok()?;
            char::from_u32(code).filter(|&c| c != '\0')?
        }
    };
    Some((c, semi + 1))
}

/// True when `id` can be written as a cue identifier line and read back unchanged.
fn writable_id(id: &str) -> bool {
    !id.contains("-->")
        && !id.contains(['\r', '\n'])
        && !is_blank(id)
        && block_keyword(id).is_none()
}

fn push_escaped(out: &mut String, line: &str) {
    for c in line.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Writes cues as WebVTT text, in the order given.
pub fn write(cues: &[SubtitleCue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for cue in cues {
        out.push('\n');
        if let Some(id) = cue.id.as_deref().filter(|id| writable_id(id)) {
            out.push_str(id);
            out.push('\n');
        }
        push_timing_line(&mut out, cue, '.');
        for line in text_lines(&cue.text) {
            push_escaped(&mut out, line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::subtitle_text::testing::{cue, text_line};
    use proptest::prelude::*;

    fn with_id(mut c: SubtitleCue, id: &str) -> SubtitleCue {
        c.id = Some(id.to_string());
        c
    }

    fn err(text: &str) -> ParseError {
        parse(text).expect_err("input should be rejected")
    }

    #[test]
    fn a_plain_file_reads_with_identifiers_and_both_timestamp_forms() {
        let text = "WEBVTT\n\nintro\n00:01.000 --> 00:00:02.500\nHello\nworld\n\n\
                    00:00:03.000 --> 00:00:04.000\nBye\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                with_id(cue(1000, 2500, "Hello\nworld"), "intro"),
                cue(3000, 4000, "Bye")
            ]
        );
    }

    #[test]
    fn header_text_notes_styles_regions_and_cue_settings_are_skipped() {
        let text = "\u{feff}WEBVTT - my film\r\nKind: captions\r\nLanguage: en\r\n\r\n\
                    REGION\r\nid:fred\r\nwidth:40%\r\n\r\n\
                    STYLE\r\n::cue { color: yellow }\r\n\r\n\
                    NOTE this is\r\na comment\r\n\r\n\
                    1\r\n00:00:01.000 --> 00:00:02.000 align:start line:0 position:10%\r\nA\r\n\r\n\
                    NOTE\r\n\r\n\
                    100:00:00.000 --> 100:00:00.001\r\nB";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                with_id(cue(1000, 2000, "A"), "1"),
                cue(360_000_000, 360_000_001, "B")
            ]
        );
    }

    #[test]
    fn markup_is_removed_and_character_references_are_decoded() {
        let text = "WEBVTT\n\n00:01.000 --> 00:02.000\n\
                    <v Bob><i>Fish</i> &amp; <c.loud>chips</c> &lt;3 &gt;\n\
                    a&nbsp;b&#233;&#x1F3AC;&bogus; &#0; 1 < 2 & 3\n<b></b>\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![cue(
                1000,
                2000,
                "Fish & chips <3 >\na\u{a0}bé🎬&bogus; &#0; 1 < 2 & 3"
            )]
        );
    }

    #[test]
    fn a_file_without_the_header_is_rejected() {
        let e = err("1\n00:00:01.000 --> 00:00:02.000\nA\n");
        assert_eq!((e.line, e.column), (1, 1), "{e}");
        assert!(e.reason.contains("WEBVTT"), "{e}");
        assert_eq!(err("").line, 1);
        assert_eq!(err("WEBVTTX\n").line, 1);
    }

    #[test]
    fn the_header_alone_is_an_empty_file_and_no_cues_write_only_the_header() {
        assert_eq!(parse("WEBVTT").unwrap(), vec![]);
        assert_eq!(write(&[]), "WEBVTT\n");
    }

    #[test]
    fn an_arrow_inside_cue_text_is_rejected() {
        let e = err("WEBVTT\n\n00:01.000 --> 00:02.000\nA\nthen --> B\n");
        assert_eq!((e.line, e.column), (5, 6), "{e}");
        assert!(e.reason.contains("cue text"), "{e}");
    }

    #[test]
    fn a_cue_right_after_the_header_or_a_note_without_a_blank_line_is_rejected() {
        let e = err("WEBVTT\n00:01.000 --> 00:02.000\nA\n");
        assert_eq!(e.line, 2, "{e}");
        let e = err("WEBVTT\n\nNOTE hi\n00:01.000 --> 00:02.000\nA\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.reason.contains("NOTE"), "{e}");
    }

    #[test]
    fn a_cue_ending_before_it_starts_is_rejected_at_its_end_time() {
        let e = err("WEBVTT\n\nx\n00:00:05.000 --> 00:04.999\nB\n");
        assert_eq!((e.line, e.column), (4, 18), "{e}");
        assert!(e.reason.contains("negative duration"), "{e}");
    }

    #[test]
    fn malformed_timestamps_are_rejected_with_line_and_column() {
        let e = err("WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nA\n");
        assert_eq!((e.line, e.column), (3, 9), "{e}");
        let e = err("WEBVTT\n\n\n00:1.000 --> 00:02.000\nA\n");
        assert_eq!((e.line, e.column), (4, 4), "{e}");
        let e = err("WEBVTT\n\n00:01.000 --> 00:02.0000\nA\n");
        assert_eq!((e.line, e.column), (3, 21), "{e}");
        let e = err("WEBVTT\n\n00:01.000 --> 1000000:00:00.000\nA\n");
        assert!(e.reason.contains("plausible"), "{e}");
    }

    #[test]
    fn a_cue_without_a_timing_line_is_rejected() {
        let e = err("WEBVTT\n\nintro\nHello\n");
        assert_eq!((e.line, e.column), (4, 6), "{e}");
        assert!(e.reason.contains("-->"), "{e}");
        let e = err("WEBVTT\n\nintro\n\nHello\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.reason.contains("no timing line"), "{e}");
    }

    #[test]
    fn more_cues_than_the_limit_are_rejected_at_the_first_extra_cue() {
        let text = write(&[cue(0, 1, "a"), cue(1, 2, "b"), cue(2, 3, "c")]);
        assert_eq!(parse_limited(&text, 3).unwrap().len(), 3);
        let e = parse_limited(&text, 2).unwrap_err();
        assert_eq!(e.line, 9, "{e}");
    }

    #[test]
    fn writing_escapes_markup_characters_and_keeps_identifiers() {
        let written = write(&[with_id(
            cue(3_723_456, 3_724_000, "a < b & c > d\n-->"),
            "x",
        )]);
        assert_eq!(
            written,
            "WEBVTT\n\nx\n01:02:03.456 --> 01:02:04.000\na &lt; b &amp; c &gt; d\n--&gt;\n"
        );
        assert_eq!(
            parse(&written).unwrap(),
            vec![with_id(
                cue(3_723_456, 3_724_000, "a < b & c > d\n-->"),
                "x"
            )]
        );
    }

    #[test]
    fn identifiers_that_would_be_misread_are_left_out() {
        for bad in ["a --> b", "NOTE to self", "STYLE", "two\nlines", " "] {
            let written = write(&[with_id(cue(0, 1000, "t"), bad)]);
            assert_eq!(parse(&written).unwrap(), vec![cue(0, 1000, "t")], "{bad:?}");
        }
    }

    fn any_id() -> impl Strategy<Value = Option<String>> {
        prop::option::of(
            "[\\PC&&[^\u{2028}\u{2029}]]{1,12}".prop_filter("writable", |id| writable_id(id)),
        )
    }

    fn any_cue() -> impl Strategy<Value = SubtitleCue> {
        (
            0i64..100_000_000,
            0i64..10_000_000,
            prop::collection::vec(text_line(), 1..4),
            any_id(),
        )
            .prop_map(|(start, len, lines, id)| {
                let mut c = cue(start, start + len, &lines.join("\n"));
                c.id = id;
                c
            })
    }

    proptest! {
        #[test]
        fn any_cue_list_survives_a_write_and_read(cues in prop::collection::vec(any_cue(), 0..20)) {
            prop_assert_eq!(parse(&write(&cues)).unwrap(), cues);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(
            text in "WEBVTT\n\n(\\PC|\r|\n|-->|:|\\.|&|<|>|;|#|[0-9]){0,200}"
        ) {
            let _ = parse(&text);
        }
    }
}
