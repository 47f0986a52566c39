//! `.cube` 3D lookup tables (the Resolve/Adobe "Cube LUT" text format).
//!
//! A file is a header of keywords followed by `N³` data lines of three numbers, red changing
//! fastest:
//!
//! ```text
//! # comment
//! TITLE "Warm look"
//! LUT_3D_SIZE 17
//! DOMAIN_MIN 0 0 0
//! DOMAIN_MAX 1 1 1
//! 0 0 0
//! 0.0625 0 0
//! ...
//! ```
//!
//! Supported keywords: `TITLE`, `LUT_3D_SIZE` (2–[`ColorTransform::MAX_SIZE`]),
//! `DOMAIN_MIN`, `DOMAIN_MAX` and Resolve's `LUT_3D_INPUT_RANGE min max`. 1D LUTs
//! (`LUT_1D_SIZE`) are rejected, as are unknown keywords, keywords after the first data line,
//! repeated keywords, non-finite numbers and a domain whose minimum is not below its maximum.
//!
//! The writer prints every number as the shortest decimal that reads back as the same `f32`,
//! so `parse(write(lut)) == lut` exactly. The transform's [`method`](ColorTransform::method)
//! and [`params`](ColorTransform::params) travel in comments (`# cutroom-method: "..."`,
//! `# cutroom-params: {...}`, both JSON) placed before `LUT_3D_SIZE`, where other readers
//! (FFmpeg among them) ignore them. The writer puts `DOMAIN_MIN`/`DOMAIN_MAX` after
//! `LUT_3D_SIZE` because FFmpeg only honours them there.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::{FormatError, ParseError};
use crate::model::ColorTransform;

/// Comment prefix carrying [`ColorTransform::method`] as a JSON string.
pub const METHOD_COMMENT: &str = "# cutroom-method:";

/// Comment prefix carrying [`ColorTransform::params`] as a JSON object.
pub const PARAMS_COMMENT: &str = "# cutroom-params:";

/// Table entries reserved up front at most, whatever `LUT_3D_SIZE` says; the table grows
/// with the data lines actually present.
const INITIAL_TABLE_CAPACITY: usize = 1 << 16;

/// One whitespace-separated token: its 1-based character column, byte offset and text.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    column: usize,
    byte: usize,
    text: &'a str,
}

/// Splits a line into tokens, keeping their character columns for error messages.
fn tokens(line: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    let mut column = 0;
    for (byte, ch) in line.char_indices() {
        column += 1;
        if ch.is_whitespace() {
            if let Some((c, b)) = start.take() {
                out.push(Token {
                    column: c,
                    byte: b,
                    text: &line[b..byte],
                });
            }
        } else if start.is_none() {
            start = Some((column, byte));
        }
    }
    if let Some((c, b)) = start {
        out.push(Token {
            column: c,
            byte: b,
            text: &line[b..],
        });
    }
    out
}

/// Column just after the last character of `line` (where a missing value would go).
fn end_column(line: &str) -> usize {
    line.trim_end().chars().count() + 1
}

/// Reads a finite number from `tok`.
fn number(line_no: usize, tok: &Token<'_>) -> Result<f32, ParseError> {
    let value: f32 = tok.text.parse().map_err(|_| {
        ParseError::at(
            line_no,
            tok.column,
            format!("expected a number, found {:?}", tok.text),
        )
    })?;
    if !value.is_finite() {
        return Err(ParseError::at(
            line_no,
            tok.column,
            format!(
                "{:?} is not a finite number (NaN, infinity and values beyond the 32-bit float range are not allowed)",
                tok.text
            ),
        ));
    }
    Ok(value)
}

/// Reads exactly `N` finite numbers from the tokens after a keyword (or a whole data line).
fn numbers<const N: usize>(
    line_no: usize,
    line: &str,
    toks: &[Token<'_>],
    what: &str,
) -> Result<[f32; N], ParseError> {
    if toks.len() != N {
        let column = toks.get(N).map_or_else(|| end_column(line), |t| t.column);
        return Err(ParseError::at(
            line_no,
            column,
            format!("{what} needs {N} numbers, found {}", toks.len()),
        ));
    }
    let mut out = [0.0; N];
    for (slot, tok) in out.iter_mut().zip(toks) {
        *slot = number(line_no, tok)?;
    }
    Ok(out)
}

/// Checks a title can be written and read back unchanged.
fn title_problem(title: &str) -> Option<&'static str> {
    if title.contains('"') {
        Some("TITLE must not contain a double quote (the format has no escape for it)")
    } else if title.chars().any(char::is_control) {
        Some("TITLE must not contain control characters")
    } else {
        None
    }
}

/// Reads the text after `TITLE`: a quoted string, or (leniently) bare words.
fn parse_title(line_no: usize, line: &str, rest_byte: usize) -> Result<String, ParseError> {
    let rest = &line[rest_byte..];
    let lead = rest.len() - rest.trim_start().len();
    let rest = rest.trim();
    let column = line[..rest_byte + lead].chars().count() + 1;
    if rest.is_empty() {
        return Err(ParseError::at(
            line_no,
            column,
            "TITLE needs a text in double quotes",
        ));
    }
    let title = match rest.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"').ok_or_else(|| {
            ParseError::at(
                line_no,
                column,
                "TITLE text has no closing double quote at the end of the line",
            )
        })?,
        None => rest,
    };
    if let Some(problem) = title_problem(title) {
        return Err(ParseError::at(line_no, column, problem));
    }
    Ok(title.to_string())
}

/// Reads the lattice size after `LUT_3D_SIZE`, checking bounds before anything is allocated.
fn parse_size(line_no: usize, line: &str, args: &[Token<'_>]) -> Result<usize, ParseError> {
    let [tok] = args else {
        let column = args.get(1).map_or_else(|| end_column(line), |t| t.column);
        return Err(ParseError::at(
            line_no,
            column,
            format!(
                "LUT_3D_SIZE needs one whole number, found {} values",
                args.len()
            ),
        ));
    };
    if tok.text.is_empty() || !tok.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::at(
            line_no,
            tok.column,
            format!("LUT_3D_SIZE must be a whole number, found {:?}", tok.text),
        ));
    }
    let max = ColorTransform::MAX_SIZE;
    // Digits only, so a parse failure can only mean overflow: far too large either way.
    let size = tok.text.parse::<usize>().unwrap_or(usize::MAX);
    if size > max {
        return Err(ParseError::at(
            line_no,
            tok.column,
            format!(
                "LUT_3D_SIZE {} is too large; at most {max} is supported",
                tok.text
            ),
        ));
    }
    if size < 2 {
        return Err(ParseError::at(
            line_no,
            tok.column,
            format!("LUT_3D_SIZE {size} is too small; a 3D LUT needs at least 2 points per axis"),
        ));
    }
    Ok(size)
}

/// Where a keyword was seen, for duplicate and domain errors.
#[derive(Debug, Clone, Copy)]
struct Seen {
    line: usize,
    /// Columns of the keyword's numeric arguments (up to three).
    columns: [usize; 3],
}

fn arg_columns(args: &[Token<'_>]) -> [usize; 3] {
    let mut cols = [0; 3];
    for (slot, tok) in cols.iter_mut().zip(args) {
        *slot = tok.column;
    }
    cols
}

/// Header state collected while parsing.
#[derive(Default)]
struct Header {
    title: Option<(usize, String)>,
    size: Option<(usize, usize)>,
    domain_min: Option<(Seen, [f32; 3])>,
    domain_max: Option<(Seen, [f32; 3])>,
    input_range: Option<usize>,
    method: Option<(usize, String)>,
    params: Option<(usize, BTreeMap<String, serde_json::Value>)>,
}

fn duplicate(line_no: usize, keyword: &str, first: usize) -> ParseError {
    ParseError::at(
        line_no,
        1,
        format!("duplicate {keyword} (first given on line {first})"),
    )
}

/// Handles a `#` comment line, reading Cutroom's method/params comments.
fn comment(line_no: usize, line: &str, header: &mut Header) -> Result<(), ParseError> {
    let trimmed = line.trim();
    let lead = line[..line.len() - line.trim_start().len()].chars().count();
    if let Some(json) = trimmed.strip_prefix(METHOD_COMMENT) {
        if let Some((first, _)) = header.method {
            return Err(duplicate(line_no, "cutroom-method comment", first));
        }
        let method: String = serde_json::from_str(json.trim()).map_err(|e| {
            ParseError::at(
                line_no,
                lead + METHOD_COMMENT.chars().count() + 1,
                format!("cutroom-method comment is not a JSON string: {e}"),
            )
        })?;
        header.method = Some((line_no, method));
    } else if let Some(json) = trimmed.strip_prefix(PARAMS_COMMENT) {
        if let Some((first, _)) = header.params {
            return Err(duplicate(line_no, "cutroom-params comment", first));
        }
        let params: BTreeMap<String, serde_json::Value> = serde_json::from_str(json.trim())
            .map_err(|e| {
                ParseError::at(
                    line_no,
                    lead + PARAMS_COMMENT.chars().count() + 1,
                    format!("cutroom-params comment is not a JSON object: {e}"),
                )
            })?;
        header.params = Some((line_no, params));
    }
    Ok(())
}

/// Handles a keyword line before the data.
fn keyword(
    line_no: usize,
    line: &str,
    toks: &[Token<'_>],
    header: &mut Header,
) -> Result<(), ParseError> {
    let Some((kw, args)) = toks.split_first() else {
        return Ok(());
    };
    match kw.text {
        "TITLE" => {
            if let Some((first, _)) = header.title {
                return Err(duplicate(line_no, "TITLE", first));
            }
            let title = parse_title(line_no, line, kw.byte + kw.text.len())?;
            header.title = Some((line_no, title));
        }
        "LUT_3D_SIZE" => {
            if let Some((first, _)) = header.size {
                return Err(duplicate(line_no, "LUT_3D_SIZE", first));
            }
            header.size = Some((line_no, parse_size(line_no, line, args)?));
        }
        "DOMAIN_MIN" | "DOMAIN_MAX" => {
            let is_min = kw.text == "DOMAIN_MIN";
            let slot = if is_min {
                &header.domain_min
            } else {
                &header.domain_max
            };
            if let Some((first, _)) = slot {
                return Err(duplicate(line_no, kw.text, first.line));
            }
            if let Some(first) = header.input_range {
                return Err(ParseError::at(
                    line_no,
                    1,
                    format!(
                        "{} conflicts with LUT_3D_INPUT_RANGE on line {first}",
                        kw.text
                    ),
                ));
            }
            let values = numbers::<3>(line_no, line, args, kw.text)?;
            let seen = Seen {
                line: line_no,
                columns: arg_columns(args),
            };
            if is_min {
                header.domain_min = Some((seen, values));
            } else {
                header.domain_max = Some((seen, values));
            }
        }
        "LUT_3D_INPUT_RANGE" => {
            if let Some(first) = header.input_range {
                return Err(duplicate(line_no, "LUT_3D_INPUT_RANGE", first));
            }
            if let Some((first, _)) = header.domain_min.or(header.domain_max) {
                return Err(ParseError::at(
                    line_no,
                    1,
                    format!(
                        "LUT_3D_INPUT_RANGE conflicts with DOMAIN_MIN/DOMAIN_MAX on line {}",
                        first.line
                    ),
                ));
            }
            let [lo, hi] = numbers::<2>(line_no, line, args, "LUT_3D_INPUT_RANGE")?;
            let cols = arg_columns(args);
            header.domain_min = Some((
                Seen {
                    line: line_no,
                    columns: [cols[0]; 3],
                },
                [lo; 3],
            ));
            header.domain_max = Some((
                Seen {
                    line: line_no,
                    columns: [cols[1]; 3],
                },
                [hi; 3],
            ));
            header.input_range = Some(line_no);
        }
        "LUT_1D_SIZE" | "LUT_1D_INPUT_RANGE" => {
            return Err(ParseError::at(
                line_no,
                kw.column,
                format!(
                    "{}: 1D LUTs are not supported; only 3D LUTs (LUT_3D_SIZE) can be read",
                    kw.text
                ),
            ));
        }
        other => {
            return Err(ParseError::at(
                line_no,
                kw.column,
                format!("unknown keyword {other:?} (expected TITLE, LUT_3D_SIZE, DOMAIN_MIN, DOMAIN_MAX or LUT_3D_INPUT_RANGE)"),
            ));
        }
    }
    Ok(())
}

/// Is this first token a keyword (rather than the start of a data line)?
fn is_keyword(first: &str) -> bool {
    first.parse::<f32>().is_err()
        && first
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

/// Parses `.cube` text into a [`ColorTransform`].
///
/// Errors name the line and column of the problem. `LUT_3D_SIZE` is bounds-checked before any
/// table memory is reserved, and the table only grows with data lines actually present.
pub fn parse(text: &str) -> Result<ColorTransform, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut header = Header::default();
    let mut table: Vec<[f32; 3]> = Vec::new();
    let mut expected = 0usize;
    let mut first_data_line = 0usize;
    let mut last_line = 0usize;

    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        last_line = line_no;
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('#') {
            comment(line_no, line, &mut header)?;
            continue;
        }
        let toks = tokens(line);
        let Some(first) = toks.first() else {
            continue;
        };
        if is_keyword(first.text) {
            if first_data_line != 0 {
                return Err(ParseError::at(
                    line_no,
                    first.column,
                    format!(
                        "keyword {} after the table data (data starts on line {first_data_line}); keywords must come first",
                        first.text
                    ),
                ));
            }
            keyword(line_no, line, &toks, &mut header)?;
            continue;
        }
        // A data line.
        if first_data_line == 0 {
            let Some((_, size)) = header.size else {
                return Err(ParseError::at(
                    line_no,
                    first.column,
                    "data line before LUT_3D_SIZE; the size must be given first",
                ));
            };
            first_data_line = line_no;
            expected = size * size * size;
            table.reserve(expected.min(INITIAL_TABLE_CAPACITY));
        }
        if table.len() == expected {
            return Err(ParseError::at(
                line_no,
                first.column,
                format!(
                    "too many data lines: LUT_3D_SIZE {} needs exactly {expected}",
                    header.size.map_or(0, |(_, s)| s)
                ),
            ));
        }
        table.push(numbers::<3>(line_no, line, &toks, "a data line")?);
    }

    let Some((_, size)) = header.size else {
        return Err(ParseError::whole(
            "missing LUT_3D_SIZE; this does not look like a 3D .cube LUT",
        ));
    };
    let expected = size * size * size;
    if table.len() != expected {
        return Err(ParseError::at_line(
            last_line.max(1),
            format!(
                "too few data lines: LUT_3D_SIZE {size} needs {expected}, found {}",
                table.len()
            ),
        ));
    }

    let (domain_min, domain_max) = match (header.domain_min, header.domain_max) {
        (None, None) => ([0.0; 3], [1.0; 3]),
        (Some((_, lo)), None) => (lo, [1.0; 3]),
        (None, Some((_, hi))) => ([0.0; 3], hi),
        (Some((_, lo)), Some((_, hi))) => (lo, hi),
    };
    for channel in 0..3 {
        if domain_min[channel] >= domain_max[channel] {
            // Point at whichever of the two keywords came later.
            let later = match (header.domain_min, header.domain_max) {
                (Some((a, _)), Some((b, _))) => {
                    if a.line > b.line {
                        a
                    } else {
                        b
                    }
                }
                (Some((a, _)), None) | (None, Some((a, _))) => a,
                (None, None) => Seen {
                    line: 0,
                    columns: [0; 3],
                },
            };
            let name = ["red", "green", "blue"][channel];
            return Err(ParseError::at(
                later.line,
                later.columns[channel],
                format!(
                    "domain minimum {} is not below maximum {} for {name}",
                    domain_min[channel], domain_max[channel]
                ),
            ));
        }
    }

    Ok(ColorTransform {
        title: header.title.map(|(_, t)| t).unwrap_or_default(),
        size,
        domain_min,
        domain_max,
        table,
        method: header.method.map(|(_, m)| m).unwrap_or_default(),
        params: header.params.map(|(_, p)| p).unwrap_or_default(),
    })
}

fn unrepresentable(reason: impl Into<String>) -> FormatError {
    FormatError::Unrepresentable {
        format: "cube",
        reason: reason.into(),
    }
}

/// Writes a [`ColorTransform`] as `.cube` text that [`parse`] reads back unchanged.
///
/// Fails if the size is outside 2–[`ColorTransform::MAX_SIZE`], the table does not hold
/// `size³` entries, a number is not finite, the domain minimum is not below the maximum, or
/// the title holds a double quote or control character.
pub fn write(lut: &ColorTransform) -> Result<String, FormatError> {
    let size = lut.size;
    if !(2..=ColorTransform::MAX_SIZE).contains(&size) {
        return Err(unrepresentable(format!(
            "LUT size {size} is outside 2..={}",
            ColorTransform::MAX_SIZE
        )));
    }
    let expected = size * size * size;
    if lut.table.len() != expected {
        return Err(unrepresentable(format!(
            "a size-{size} LUT needs {expected} table entries, it has {}",
            lut.table.len()
        )));
    }
    if let Some(problem) = title_problem(&lut.title) {
        return Err(unrepresentable(problem));
    }
    for c in 0..3 {
        let (lo, hi) = (lut.domain_min[c], lut.domain_max[c]);
        if !lo.is_finite() || !hi.is_finite() || lo >= hi {
            return Err(unrepresentable(format!(
                "domain minimum {lo} must be finite and below maximum {hi}"
            )));
        }
    }
    if let Some(i) = lut
        .table
        .iter()
        .position(|e| e.iter().any(|v| !v.is_finite()))
    {
        return Err(unrepresentable(format!(
            "table entry {i} holds a non-finite value"
        )));
    }

    // `{}` on f32 prints the shortest decimal that parses back to the same value.
    let mut out = String::with_capacity(64 + expected * 24);
    out.push_str("# Written by Cutroom\n");
    if !lut.title.is_empty() {
        let _ = writeln!(out, "TITLE \"{}\"", lut.title);
    }
    if !lut.method.is_empty() {
        let json = serde_json::to_string(&lut.method)
            .map_err(|e| unrepresentable(format!("method: {e}")))?;
        let _ = writeln!(out, "{METHOD_COMMENT} {json}");
    }
    if !lut.params.is_empty() {
        let json = serde_json::to_string(&lut.params)
            .map_err(|e| unrepresentable(format!("params: {e}")))?;
        let _ = writeln!(out, "{PARAMS_COMMENT} {json}");
    }
    let [r0, g0, b0] = lut.domain_min;
    let [r1, g1, b1] = lut.domain_max;
    let _ = writeln!(out, "LUT_3D_SIZE {size}");
    let _ = writeln!(out, "DOMAIN_MIN {r0} {g0} {b0}");
    let _ = writeln!(out, "DOMAIN_MAX {r1} {g1} {b1}");
    for [r, g, b] in &lut.table {
        let _ = writeln!(out, "{r} {g} {b}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gamma_lut(size: usize) -> ColorTransform {
        let mut lut = ColorTransform::identity(size);
        for e in &mut lut.table {
            *e = [e[1].powf(2.2), e[2], 1.0 - e[0]];
        }
        lut.title = "swap and gamma".into();
        lut
    }

    fn err(text: &str) -> ParseError {
        parse(text).expect_err("input should be rejected")
    }

    const HEADER_2: &str = "LUT_3D_SIZE 2\n";
    const DATA_2: &str = "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";

    #[test]
    fn identity_lut_survives_a_round_trip_exactly() {
        let lut = ColorTransform::identity(17);
        let text = write(&lut).unwrap();
        assert_eq!(parse(&text).unwrap(), lut);
    }

    #[test]
    fn non_default_domain_title_method_and_params_survive_a_round_trip() {
        let mut lut = gamma_lut(5);
        lut.domain_min = [-0.25, 0.0, 0.125];
        lut.domain_max = [1.5, 2.0, 1.0e-3 + 1.0];
        lut.method = "mkl \"quoted\"\nnext".into();
        lut.params
            .insert("strength".into(), serde_json::json!(0.75));
        lut.params.insert(
            "reference".into(),
            serde_json::json!({"file": "a b.png", "n": [1, 2]}),
        );
        let text = write(&lut).unwrap();
        assert!(text.contains("DOMAIN_MIN -0.25 0 0.125\n"), "{text}");
        assert_eq!(parse(&text).unwrap(), lut);
    }

    #[test]
    fn awkward_float_values_survive_a_round_trip_bit_for_bit() {
        let mut lut = ColorTransform::identity(2);
        lut.table[0] = [f32::MIN_POSITIVE, f32::MAX, -f32::MAX];
        lut.table[1] = [1.0e-45, 0.1, 1.0 / 3.0];
        lut.table[2] = [16_777_217.0, -0.0, 2.0e-7];
        let back = parse(&write(&lut).unwrap()).unwrap();
        for (a, b) in lut.table.iter().zip(&back.table) {
            for c in 0..3 {
                assert_eq!(a[c].to_bits(), b[c].to_bits());
            }
        }
    }

    #[test]
    fn writer_puts_domain_after_size_and_data_red_fastest() {
        let text = write(&ColorTransform::identity(2)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines[..6],
            [
                "TITLE \"identity\"",
                "LUT_3D_SIZE 2",
                "DOMAIN_MIN 0 0 0",
                "DOMAIN_MAX 1 1 1",
                "0 0 0",
                "1 0 0"
            ]
        );
    }

    #[test]
    fn reads_a_minimal_file_with_comments_blank_lines_and_crlf() {
        let text = format!("# hello\r\n\r\nTITLE \"t\"\r\n{HEADER_2}\r\n# mid\n{DATA_2}\n\n");
        let lut = parse(&text).unwrap();
        assert_eq!(lut, {
            let mut id = ColorTransform::identity(2);
            id.title = "t".into();
            id
        });
    }

    #[test]
    fn reads_resolve_input_range_as_the_domain() {
        let lut = parse(&format!("LUT_3D_INPUT_RANGE -0.5 2\n{HEADER_2}{DATA_2}")).unwrap();
        assert_eq!(lut.domain_min, [-0.5; 3]);
        assert_eq!(lut.domain_max, [2.0; 3]);
    }

    #[test]
    fn unquoted_title_is_accepted() {
        let lut = parse(&format!("TITLE my look\n{HEADER_2}{DATA_2}")).unwrap();
        assert_eq!(lut.title, "my look");
    }

    #[test]
    fn huge_size_is_rejected_before_allocating() {
        let e = err("LUT_3D_SIZE 100000\n0 0 0\n");
        assert_eq!((e.line, e.column), (1, 13));
        assert!(e.reason.contains("too large"), "{}", e.reason);
        let e = err("LUT_3D_SIZE 99999999999999999999999999\n");
        assert!(e.reason.contains("too large"), "{}", e.reason);
    }

    #[test]
    fn size_below_two_or_not_a_whole_number_is_rejected() {
        assert!(err("LUT_3D_SIZE 1\n0 0 0\n").reason.contains("too small"));
        let e = err("LUT_3D_SIZE 2.5\n");
        assert_eq!((e.line, e.column), (1, 13));
        assert!(err("LUT_3D_SIZE -3\n").reason.contains("whole number"));
        assert!(err("LUT_3D_SIZE\n").reason.contains("one whole number"));
        assert!(err("LUT_3D_SIZE 2 3\n").reason.contains("one whole number"));
    }

    #[test]
    fn missing_size_is_rejected() {
        let e = err("TITLE \"x\"\n# nothing\n");
        assert!(e.reason.contains("missing LUT_3D_SIZE"), "{}", e.reason);
        assert!(err("").reason.contains("missing LUT_3D_SIZE"));
        let e = err("TITLE \"x\"\n0 0 0\n");
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.reason.contains("before LUT_3D_SIZE"), "{}", e.reason);
    }

    #[test]
    fn too_few_data_lines_say_how_many_were_expected_and_found() {
        let e = err(&format!("{HEADER_2}0 0 0\n1 0 0\n0 1 0\n"));
        assert_eq!(e.line, 4);
        assert!(e.reason.contains("needs 8, found 3"), "{}", e.reason);
        assert!(err(HEADER_2).reason.contains("found 0"));
    }

    #[test]
    fn too_many_data_lines_are_rejected_at_the_first_extra_line() {
        let e = err(&format!("{HEADER_2}{DATA_2}0.5 0.5 0.5\n"));
        assert_eq!((e.line, e.column), (10, 1));
        assert!(e.reason.contains("too many data lines"), "{}", e.reason);
    }

    #[test]
    fn non_numeric_value_is_rejected_with_its_column() {
        let e = err(&format!("{HEADER_2}0 0 0\n1 abc 0\n"));
        assert_eq!((e.line, e.column), (3, 3));
        assert!(e.reason.contains("expected a number"), "{}", e.reason);
        let e = err(&format!("{HEADER_2}-x 0 0\n"));
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn wrong_count_of_numbers_on_a_data_line_is_rejected() {
        let e = err(&format!("{HEADER_2}0 0\n"));
        assert_eq!((e.line, e.column), (2, 4));
        assert!(
            e.reason.contains("needs 3 numbers, found 2"),
            "{}",
            e.reason
        );
        let e = err(&format!("{HEADER_2}0 0 0 0\n"));
        assert_eq!((e.line, e.column), (2, 7));
    }

    #[test]
    fn nan_and_infinity_are_rejected() {
        for bad in ["nan", "NaN", "inf", "-infinity", "1e39"] {
            let e = err(&format!("{HEADER_2}0 {bad} 0\n"));
            assert_eq!((e.line, e.column), (2, 3), "{bad}");
            assert!(e.reason.contains("not a finite number"), "{}", e.reason);
        }
        let e = err(&format!("{HEADER_2}nan 0 0\n"));
        assert_eq!((e.line, e.column), (2, 1));
        let e = err("DOMAIN_MAX 1 inf 1\nLUT_3D_SIZE 2\n");
        assert_eq!((e.line, e.column), (1, 14));
    }

    #[test]
    fn keyword_after_data_is_rejected() {
        let text = format!("{HEADER_2}0 0 0\nDOMAIN_MIN 0 0 0\n");
        let e = err(&text);
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.reason.contains("after the table data"), "{}", e.reason);
    }

    #[test]
    fn duplicate_keywords_are_rejected() {
        for kw in [
            "TITLE \"a\"",
            "LUT_3D_SIZE 2",
            "DOMAIN_MIN 0 0 0",
            "DOMAIN_MAX 1 1 1",
        ] {
            let e = err(&format!("{kw}\n{kw}\n{HEADER_2}{DATA_2}"));
            assert_eq!(e.line, 2, "{kw}");
            assert!(e.reason.contains("duplicate"), "{}", e.reason);
            assert!(e.reason.contains("line 1"), "{}", e.reason);
        }
        let e = err(&format!(
            "DOMAIN_MIN 0 0 0\nLUT_3D_INPUT_RANGE 0 1\n{HEADER_2}{DATA_2}"
        ));
        assert!(e.reason.contains("conflicts"), "{}", e.reason);
        let e = err(&format!(
            "{METHOD_COMMENT} \"a\"\n{METHOD_COMMENT} \"b\"\n{HEADER_2}{DATA_2}"
        ));
        assert!(e.reason.contains("duplicate"), "{}", e.reason);
    }

    #[test]
    fn domain_min_not_below_max_is_rejected() {
        let e = err(&format!(
            "{HEADER_2}DOMAIN_MIN 0 0.5 0\nDOMAIN_MAX 1 0.5 1\n{DATA_2}"
        ));
        assert_eq!((e.line, e.column), (3, 14));
        assert!(e.reason.contains("green"), "{}", e.reason);
        let e = err(&format!("DOMAIN_MIN 0 0 2\n{HEADER_2}{DATA_2}"));
        assert_eq!((e.line, e.column), (1, 16));
        assert!(e.reason.contains("blue"), "{}", e.reason);
        assert!(err(&format!("LUT_3D_INPUT_RANGE 1 1\n{HEADER_2}{DATA_2}"))
            .reason
            .contains("not below"));
    }

    #[test]
    fn one_dimensional_luts_are_rejected_as_unsupported() {
        let e = err("LUT_1D_SIZE 1024\n0 0 0\n");
        assert_eq!((e.line, e.column), (1, 1));
        assert!(
            e.reason.contains("1D LUTs are not supported"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn unknown_keyword_is_rejected() {
        let e = err(&format!("  LUT_4D_SIZE 3\n{HEADER_2}{DATA_2}"));
        assert_eq!((e.line, e.column), (1, 3));
        assert!(e.reason.contains("unknown keyword"), "{}", e.reason);
    }

    #[test]
    fn malformed_title_is_rejected() {
        assert!(err("TITLE\n").reason.contains("needs a text"));
        let e = err("TITLE \"open\n");
        assert_eq!((e.line, e.column), (1, 7));
        assert!(e.reason.contains("closing"), "{}", e.reason);
        assert!(err("TITLE \"a\"b\"\n").reason.contains("double quote"));
    }

    #[test]
    fn malformed_cutroom_comments_are_rejected() {
        let e = err(&format!("{PARAMS_COMMENT} [1]\n{HEADER_2}{DATA_2}"));
        assert_eq!((e.line, e.column), (1, 18));
        assert!(e.reason.contains("JSON object"), "{}", e.reason);
        let e = err(&format!("{METHOD_COMMENT} mkl\n{HEADER_2}{DATA_2}"));
        assert!(e.reason.contains("JSON string"), "{}", e.reason);
    }

    #[test]
    fn writer_rejects_what_the_format_cannot_carry() {
        let mut lut = ColorTransform::identity(2);
        lut.title = "say \"hi\"".into();
        assert!(write(&lut).is_err());
        let mut lut = ColorTransform::identity(2);
        lut.table.pop();
        assert!(write(&lut).is_err());
        let mut lut = ColorTransform::identity(2);
        lut.table[3][1] = f32::NAN;
        assert!(write(&lut).is_err());
        let mut lut = ColorTransform::identity(2);
        lut.domain_max[0] = 0.0;
        assert!(write(&lut).is_err());
        let mut lut = ColorTransform::identity(2);
        lut.size = 1;
        lut.table.truncate(1);
        assert!(write(&lut).is_err());
    }

    fn finite_f32() -> impl Strategy<Value = f32> {
        prop_oneof![
            -2.0f32..2.0,
            any::<f32>().prop_filter("finite", |v| v.is_finite()),
        ]
    }

    fn arb_lut() -> impl Strategy<Value = ColorTransform> {
        (2usize..=5).prop_flat_map(|size| {
            (
                proptest::collection::vec([finite_f32(), finite_f32(), finite_f32()], size.pow(3)),
                [-1.0f32..0.5, -1.0f32..0.5, -1.0f32..0.5],
                [0.5f32..4.0, 0.5f32..4.0, 0.5f32..4.0],
                "[a-zA-Z0-9 _.'-]{0,12}",
                "[a-z\"\\\\ \n]{0,8}",
                // Dyadic values: serde_json (without its `float_roundtrip` feature) may read
                // other decimals back one ulp off, which is a JSON matter, not a .cube one.
                proptest::collection::btree_map(
                    "[a-z\"]{1,5}",
                    (-1_000_000i32..1_000_000).prop_map(|v| f64::from(v) / 1024.0),
                    0..3,
                ),
            )
                .prop_filter("domain min below max", |(_, lo, hi, ..)| {
                    (0..3).all(|c| lo[c] < hi[c])
                })
                .prop_map(
                    move |(table, lo, hi, title, method, params)| ColorTransform {
                        title: title.trim().to_string(),
                        size,
                        domain_min: lo,
                        domain_max: hi,
                        table,
                        method,
                        params: params
                            .into_iter()
                            .map(|(k, v)| (k, serde_json::json!(v)))
                            .collect(),
                    },
                )
        })
    }

    proptest! {
        #[test]
        fn any_small_lut_survives_a_round_trip_exactly(lut in arb_lut()) {
            let text = write(&lut).unwrap();
            prop_assert_eq!(parse(&text).unwrap(), lut);
        }

        #[test]
        fn parser_never_panics_on_arbitrary_text(text in "(LUT_3D_SIZE|DOMAIN_M[AI][XN]|TITLE|#|[0-9.e -]|\n){0,60}") {
            let _ = parse(&text);
        }
    }

    #[test]
    fn gamma_lut_survives_a_round_trip() {
        let lut = gamma_lut(17);
        assert_eq!(parse(&write(&lut).unwrap()).unwrap(), lut);
    }
}
