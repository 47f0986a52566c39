//! SubRip (`.srt`) subtitles.
//!
//! A file is a sequence of blocks separated by blank lines:
//!
//! ```text
//! 1
//! 00:00:01,000 --> 00:00:02,500
//! First line
//! second line
//! ```
//!
//! **Reading** is tolerant of what real files contain: CRLF, LF or CR line endings, a
//! byte-order mark, spaces and tabs around the number and timing lines, extra blank lines,
//! a missing final newline, `.` instead of `,` before the milliseconds, hours above 99, a
//! block without its number line, and anything after the end time (position coordinates).
//! Cue numbers are checked to be numeric but otherwise ignored. Text is kept as written
//! (markup such as `<i>` included), lines joined by `\n`. Times are stored at
//! [`Rate::MILLIS`](crate::time::Rate::MILLIS).
//!
//! It rejects, with the line and column: a non-numeric cue number, a missing timing line or
//! `-->`, malformed or implausibly large timestamps (more than 999,999 hours), a cue that ends
//! before it starts, and more than [`MAX_CUES`] cues.
//!
//! **Writing** numbers cues from 1 in the order given, writes times rounded to the nearest
//! millisecond (negative times as zero, the end never before the start), and drops blank
//! lines inside a cue's text because a blank line ends the cue. Lines end with `\n`, not
//! CRLF: SRT has no formal specification, and FFmpeg, VLC, mpv and editing suites all read
//! both, while LF keeps files diff-friendly. The file ends with a newline (an empty cue
//! list gives an empty file). Word timings and cue identifiers are not representable in SRT
//! and are not written.

use crate::error::ParseError;
use crate::formats::subtitle_text::{
    column, cue_from_millis, is_blank, parse_timing_line, push_timing_line, quote, text_lines,
    trim_ws, Dialect, Lines,
};
use crate::formats::MAX_CUES;
use crate::model::SubtitleCue;

/// Parses SubRip text into cues, in file order.
pub fn parse(text: &str) -> Result<Vec<SubtitleCue>, ParseError> {
    parse_limited(text, MAX_CUES)
}

fn parse_limited(text: &str, max_cues: usize) -> Result<Vec<SubtitleCue>, ParseError> {
    let mut lines = Lines::new(text).peekable();
    let mut cues = Vec::new();
    while let Some((no, line)) = lines.next() {
        if is_blank(line) {
            continue;
        }
        let (timing_no, timing) = if line.contains("-->") {
            // A block without its number line.
            (no, line)
        } else {
            check_cue_number(no, line)?;
            let number = trim_ws(line);
            match lines.next() {
                Some((n, l)) if !is_blank(l) => (n, l),
                Some((n, _)) => {
                    return Err(ParseError::at_line(
                        n,
                        format!(
                            "cue {number} has no timing line: expected \
                             `00:00:01,000 --> 00:00:02,000` here, found a blank line"
                        ),
                    ))
                }
                None => {
                    return Err(ParseError::at_line(
                        no + 1,
                        format!("file ends after cue number {number} without a timing line"),
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
        let (start, end) = parse_timing_line(timing, timing_no, Dialect::Srt)?;
        let mut cue_text = String::new();
        while let Some((_, l)) = lines.next_if(|(_, l)| !is_blank(l)) {
            if !cue_text.is_empty() {
                cue_text.push('\n');
            }
            cue_text.push_str(l);
        }
        cues.push(cue_from_millis(start, end, cue_text, None));
    }
    Ok(cues)
}

/// Checks that a cue-number line holds only digits (surrounding spaces allowed).
fn check_cue_number(no: usize, line: &str) -> Result<(), ParseError> {
    let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
    let number = trim_ws(line);
    if let Some(bad) = number.find(|c: char| !c.is_ascii_digit()) {
        return Err(ParseError::at(
            no,
            column(line, lead + bad),
            format!(
                "expected a cue number, found {} (is a blank line missing or one too many \
                 inside the previous cue?)",
                quote(number)
            ),
        ));
    }
    Ok(())
}

/// Writes cues as SubRip text, numbered from 1 in the order given.
pub fn write(cues: &[SubtitleCue]) -> String {
    let mut out = String::new();
    for (i, cue) in cues.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&(i + 1).to_string());
        out.push('\n');
        push_timing_line(&mut out, cue, ',');
        for line in text_lines(&cue.text) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::subtitle_text::testing::{cue, text_line};
    use crate::formats::subtitle_text::MAX_MILLIS;
    use crate::time::Rate;
    use proptest::prelude::*;

    fn err(text: &str) -> ParseError {
        parse(text).expect_err("input should be rejected")
    }

    #[test]
    fn a_plain_file_reads_as_numbered_multi_line_cues() {
        let text = "1\n00:00:01,000 --> 00:00:02,500\nHello\nworld\n\n\
                    2\n00:00:03,000 --> 00:00:04,000\nBye\n";
        let cues = parse(text).unwrap();
        assert_eq!(
            cues,
            vec![cue(1000, 2500, "Hello\nworld"), cue(3000, 4000, "Bye")]
        );
        assert_eq!(cues[0].range.start.rate, Rate::MILLIS);
    }

    #[test]
    fn crlf_bom_trailing_spaces_extra_blank_lines_and_no_final_newline_are_tolerated() {
        let text =
            "\u{feff}\r\n\r\n1  \r\n00:00:01,000 --> 00:00:02,000  \r\nHi\r\n\r\n\r\n \t\r\n\
                    2\r\n00:00:03.000-->00:00:04.000\r\nThere";
        assert_eq!(
            parse(text).unwrap(),
            vec![cue(1000, 2000, "Hi"), cue(3000, 4000, "There")]
        );
    }

    #[test]
    fn hours_above_99_and_position_coordinates_are_accepted() {
        let text = "1\n123:04:05,006 --> 123:04:06,000 X1:10 X2:20 Y1:30 Y2:40\nLate\n";
        let start = ((123 * 60 + 4) * 60 + 5) * 1000 + 6;
        let end = ((123 * 60 + 4) * 60 + 6) * 1000;
        assert_eq!(parse(text).unwrap(), vec![cue(start, end, "Late")]);
    }

    #[test]
    fn a_block_without_its_number_line_is_read() {
        let text = "00:00:01,000 --> 00:00:02,000\nNo number\n";
        assert_eq!(parse(text).unwrap(), vec![cue(1000, 2000, "No number")]);
    }

    #[test]
    fn an_empty_file_has_no_cues_and_an_empty_cue_list_writes_nothing() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("\r\n \r\n").unwrap(), vec![]);
        assert_eq!(write(&[]), "");
    }

    #[test]
    fn a_cue_without_text_reads_as_empty_text() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![cue(1000, 2000, ""), cue(3000, 4000, "B")]
        );
    }

    #[test]
    fn a_cue_ending_before_it_starts_is_rejected_at_its_end_time() {
        let e = err("1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:05,000 --> 00:00:04,999\nB\n");
        assert_eq!((e.line, e.column), (6, 18), "{e}");
        assert!(e.reason.contains("negative duration"), "{e}");
    }

    #[test]
    fn a_zero_length_cue_is_accepted() {
        let text = "1\n00:00:05,000 --> 00:00:05,000\nFlash\n";
        assert_eq!(parse(text).unwrap(), vec![cue(5000, 5000, "Flash")]);
    }

    #[test]
    fn malformed_timestamps_are_rejected_with_line_and_column() {
        let e = err("1\n00:00:01,000 --> 00:0x:02,000\nA\n");
        assert_eq!((e.line, e.column), (2, 22), "{e}");
        let e = err("\n\n1\n0:0:01,000 --> 00:00:02,000\nA\n");
        assert_eq!((e.line, e.column), (4, 3), "{e}");
        let e = err("1\n00:00:01 --> 00:00:02,000\nA\n");
        assert_eq!((e.line, e.column), (2, 9), "{e}");
        let e = err("1\n00:00:01,000 --> 00:00:61,000\nA\n");
        assert_eq!((e.line, e.column), (2, 24), "{e}");
        let e = err("1\n00:00:01,000 -->\nA\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.reason.contains("missing end time"), "{e}");
    }

    #[test]
    fn a_timing_line_without_an_arrow_is_rejected() {
        let e = err("1\n00:00:01,000 00:00:02,000\nA\n");
        assert_eq!((e.line, e.column), (2, 14), "{e}");
        assert!(e.reason.contains("-->"), "{e}");
    }

    #[test]
    fn a_non_numeric_cue_number_is_rejected_with_its_column() {
        let e =
            err("1\n00:00:01,000 --> 00:00:02,000\nA\n\n 12b\n00:00:03,000 --> 00:00:04,000\nB\n");
        assert_eq!((e.line, e.column), (5, 4), "{e}");
        assert!(e.reason.contains("cue number"), "{e}");
    }

    #[test]
    fn a_blank_line_inside_cue_text_is_reported_at_the_stray_text() {
        let e = err("1\n00:00:01,000 --> 00:00:02,000\nA\n\nstray\n");
        assert_eq!((e.line, e.column), (5, 1), "{e}");
    }

    #[test]
    fn a_number_without_a_timing_line_is_rejected() {
        assert_eq!(err("1\n").line, 2);
        assert_eq!(err("1\n\n00:00:01,000 --> 00:00:02,000\nA\n").line, 2);
    }

    #[test]
    fn absurd_timestamps_are_rejected_not_overflowed() {
        let e = err("1\n99999999999999999999:00:00,000 --> 99999999999999999999:00:00,001\nA\n");
        assert_eq!((e.line, e.column), (2, 1), "{e}");
        assert!(e.reason.contains("plausible"), "{e}");
    }

    #[test]
    fn more_cues_than_the_limit_are_rejected_at_the_first_extra_cue() {
        let text = write(&[cue(0, 1, "a"), cue(1, 2, "b"), cue(2, 3, "c")]);
        assert_eq!(parse_limited(&text, 3).unwrap().len(), 3);
        let e = parse_limited(&text, 2).unwrap_err();
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("more than 2 cues"), "{e}");
    }

    #[test]
    fn writing_renumbers_from_one_and_ends_with_a_newline() {
        let mut a = cue(3_723_456, 3_724_000, "One\ntwo");
        a.id = Some("intro".into());
        let b = cue(0, 1, "Zero");
        assert_eq!(
            write(&[a, b]),
            "1\n01:02:03,456 --> 01:02:04,000\nOne\ntwo\n\n2\n00:00:00,000 --> 00:00:00,001\nZero\n"
        );
    }

    #[test]
    fn writing_drops_blank_lines_inside_text_so_the_cue_stays_whole() {
        let written = write(&[cue(0, 1000, "a\n\n  \nb\r\nc")]);
        assert_eq!(parse(&written).unwrap(), vec![cue(0, 1000, "a\nb\nc")]);
    }

    #[test]
    fn writing_clamps_times_outside_the_readable_range() {
        let written = write(&[cue(-500, i64::MAX / 2, "x")]);
        assert_eq!(parse(&written).unwrap(), vec![cue(0, MAX_MILLIS, "x")]);
    }

    fn any_cue() -> impl Strategy<Value = SubtitleCue> {
        (
            0i64..100_000_000,
            0i64..10_000_000,
            prop::collection::vec(text_line(), 1..4),
        )
            .prop_map(|(start, len, lines)| cue(start, start + len, &lines.join("\n")))
    }

    proptest! {
        #[test]
        fn any_cue_list_survives_a_write_and_read(cues in prop::collection::vec(any_cue(), 0..20)) {
            prop_assert_eq!(parse(&write(&cues)).unwrap(), cues);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "(\\PC|\r|\n|-->|:|,|[0-9]){0,200}") {
            let _ = parse(&text);
        }
    }
}
