//! Shared checks for the cutroom-timeline fuzz targets.
//!
//! Every target feeds the fuzzer's bytes (when they are UTF-8) to one reader. The reader
//! must never panic. When it accepts the input, the value is written back and read again:
//!
//! - [`Check::Exact`]: the re-read value must equal the first one.
//! - [`Check::Stable`]: the format may normalise on the first write (drop what the model
//!   keeps elsewhere, reorder, tidy whitespace), so the re-read value must survive one more
//!   write and read unchanged, and every write of a read value must read back.
//!
//! Setting `CUTROOM_FUZZ_EXACT=1` makes every target use [`Check::Exact`], to explore where a
//! format normalises.

use std::fmt::Debug;
use std::sync::OnceLock;

use cutroom_timeline::ParseError;

/// How strictly a target compares a value with its written-and-re-read copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `parse(write(parse(input))) == parse(input)`.
    Exact,
    /// `parse(write(x)) == x` for `x = parse(write(parse(input)))`.
    Stable,
}

/// The input as text, if it is UTF-8 (readers take `&str`).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Checks the round trip of a value `first` a reader accepted.
///
/// `write` returns `None` when the writer refuses the value (a documented
/// `Unrepresentable` error), which ends the check. `same` compares two values.
pub fn round_trip<T: Debug>(
    format: &str,
    first: &T,
    check: Check,
    write: impl Fn(&T) -> Option<String>,
    parse: impl Fn(&str) -> Result<T, ParseError>,
    same: impl Fn(&T, &T) -> bool,
) {
    static FORCE_EXACT: OnceLock<bool> = OnceLock::new();
    let check = if *FORCE_EXACT.get_or_init(|| std::env::var_os("CUTROOM_FUZZ_EXACT").is_some()) {
        Check::Exact
    } else {
        check
    };
    let Some(written) = write(first) else {
        return;
    };
    let second = parse(&written).unwrap_or_else(|e| {
        panic!("{format}: the writer's output does not read back: {e}\n--- written ---\n{written}")
    });
    let (before, after, text) = match check {
        Check::Exact => (first, second, written),
        Check::Stable => {
            let rewritten = write(&second).unwrap_or_else(|| {
                panic!("{format}: a value read from the writer's own output cannot be written")
            });
            let third = parse(&rewritten).unwrap_or_else(|e| {
                panic!(
                    "{format}: the second write does not read back: {e}\n--- written ---\n{rewritten}"
                )
            });
            return assert_same(format, &second, &third, &rewritten, &same);
        }
    };
    assert_same(format, before, &after, &text, &same);
}

fn assert_same<T: Debug>(
    format: &str,
    before: &T,
    after: &T,
    written: &str,
    same: &impl Fn(&T, &T) -> bool,
) {
    assert!(
        same(before, after),
        "{format}: value changed in a write/read round trip\n--- before ---\n{before:#?}\n--- after ---\n{after:#?}\n--- written ---\n{written}"
    );
}

/// JSON equality that allows numbers to differ in the last bits of an `f64`.
///
/// serde_json (without its `float_roundtrip` feature) may read a decimal back one ulp away
/// from the value it was printed from; that is not a fault of the format under test.
pub fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
            }
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && json_close(vx, vy))
        }
        _ => a == b,
    }
}
