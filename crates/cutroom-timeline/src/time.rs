//! Rational, frame- and sample-exact time.
//!
//! A [`RationalTime`] is an integer count of units at a [`Rate`] (units per second, itself a
//! rational such as 30000/1001 for NTSC video or 48000/1 for audio samples). A [`TimeRange`]
//! is a start and a duration. Every conversion that can lose precision rounds in one place,
//! [`round_div`], to the nearest unit with ties away from zero.
//!
//! SMPTE timecode, including drop-frame for 29.97 and 59.94, lives in [`Timecode`].

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Errors from time construction and timecode parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// A rate with a zero numerator or denominator, or one that is absurdly large.
    #[error("invalid rate {num}/{den}: both parts must be positive and at most 10^9")]
    InvalidRate {
        /// Numerator as given.
        num: i64,
        /// Denominator as given.
        den: i64,
    },
    /// A timecode string that is not `HH:MM:SS:FF` / `HH:MM:SS;FF`.
    #[error("invalid timecode {text:?}: {reason}")]
    InvalidTimecode {
        /// The text that failed to parse.
        text: String,
        /// Why it failed.
        reason: String,
    },
    /// A value that does not fit the 64-bit range used for times.
    #[error("time value out of range")]
    Overflow,
    /// [`TimeRange::part`]: the part would start at or after the end of the range.
    #[error("the part starts at or after the end of the range")]
    StartsPastEnd,
    /// [`TimeRange::part`]: the part would end at or before its start.
    #[error("the part ends at or before its start")]
    EndsBeforeStart,
}

/// Rounds `num / den` to the nearest integer, ties away from zero.
///
/// This is the single rounding rule of Cutroom's time model: every conversion between rates,
/// from seconds, or to frames goes through it. Returns `None` on overflow or a zero divisor.
pub fn round_div(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    // r in [0, den). Round to nearest; on an exact half, away from zero.
    let twice = r.checked_mul(2)?;
    let up = match twice.cmp(&den) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => q >= 0,
    };
    Some(if up { q + 1 } else { q })
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// A rate in units per second, as an exact rational `num / den` (e.g. 24000/1001 for 23.976).
///
/// Always stored in lowest terms, so `Rate::new(48, 2) == Rate::new(24, 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RateRepr", into = "RateRepr")]
pub struct Rate {
    num: u32,
    den: u32,
}

#[derive(Serialize, Deserialize)]
struct RateRepr {
    num: i64,
    den: i64,
}

impl TryFrom<RateRepr> for Rate {
    type Error = TimeError;
    fn try_from(r: RateRepr) -> Result<Self, TimeError> {
        Rate::new(r.num, r.den)
    }
}

impl From<Rate> for RateRepr {
    fn from(r: Rate) -> Self {
        RateRepr {
            num: r.num as i64,
            den: r.den as i64,
        }
    }
}

const MAX_RATE_PART: i64 = 1_000_000_000;

impl Rate {
    /// 24000/1001 (23.976 fps).
    pub const FPS_23_976: Rate = Rate {
        num: 24000,
        den: 1001,
    };
    /// 24 fps.
    pub const FPS_24: Rate = Rate { num: 24, den: 1 };
    /// 25 fps.
    pub const FPS_25: Rate = Rate { num: 25, den: 1 };
    /// 30000/1001 (29.97 fps).
    pub const FPS_29_97: Rate = Rate {
        num: 30000,
        den: 1001,
    };
    /// 30 fps.
    pub const FPS_30: Rate = Rate { num: 30, den: 1 };
    /// 50 fps.
    pub const FPS_50: Rate = Rate { num: 50, den: 1 };
    /// 60000/1001 (59.94 fps).
    pub const FPS_59_94: Rate = Rate {
        num: 60000,
        den: 1001,
    };
    /// 60 fps.
    pub const FPS_60: Rate = Rate { num: 60, den: 1 };
    /// 48 kHz audio.
    pub const HZ_48000: Rate = Rate { num: 48000, den: 1 };
    /// 16 kHz audio (analysis rate).
    pub const HZ_16000: Rate = Rate { num: 16000, den: 1 };
    /// Milliseconds, the unit of SRT and WebVTT.
    pub const MILLIS: Rate = Rate { num: 1000, den: 1 };

    /// Creates a rate `num/den` in lowest terms. Both parts must be in `1..=10^9`.
    pub fn new(num: i64, den: i64) -> Result<Rate, TimeError> {
        if num <= 0 || den <= 0 || num > MAX_RATE_PART || den > MAX_RATE_PART {
            return Err(TimeError::InvalidRate { num, den });
        }
        let g = gcd(num as i128, den as i128) as i64;
        Ok(Rate {
            num: (num / g) as u32,
            den: (den / g) as u32,
        })
    }

    /// A whole-number rate such as 25 fps or 48000 Hz.
    pub fn whole(n: u32) -> Result<Rate, TimeError> {
        Rate::new(n as i64, 1)
    }

    /// Maps a floating-point frame rate to the rate it means: 23.976 → 24000/1001,
    /// 29.97 → 30000/1001, 59.94 → 60000/1001, whole numbers to themselves, anything else
    /// to the nearest 1/1000.
    pub fn from_f64(fps: f64) -> Result<Rate, TimeError> {
        if !fps.is_finite() || fps <= 0.0 || fps > MAX_RATE_PART as f64 {
            return Err(TimeError::InvalidRate { num: 0, den: 0 });
        }
        let rounded = fps.round();
        if (fps - rounded).abs() < 1e-6 {
            return Rate::new(rounded as i64, 1);
        }
        for base in [24i64, 30, 48, 60, 120] {
            let ntsc = base as f64 * 1000.0 / 1001.0;
            if (fps - ntsc).abs() < 0.005 {
                return Rate::new(base * 1000, 1001);
            }
        }
        Rate::new((fps * 1000.0).round() as i64, 1000)
    }

    /// Numerator (units per `den` seconds).
    pub fn num(self) -> u32 {
        self.num
    }

    /// Denominator.
    pub fn den(self) -> u32 {
        self.den
    }

    /// The rate as a float, for display only.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The nominal whole frame rate used for timecode counting (30 for 29.97, 24 for 23.976).
    pub fn nominal_fps(self) -> u32 {
        // Round num/den to nearest integer.
        round_div(self.num as i128, self.den as i128).unwrap_or(0) as u32
    }

    /// True for the NTSC rates where drop-frame timecode is defined (29.97 and 59.94).
    pub fn supports_drop_frame(self) -> bool {
        self.den == 1001 && (self.num == 30000 || self.num == 60000)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// A point in time: an integer number of units at a [`Rate`].
///
/// Equality and ordering compare the exact instant, so 1 s at 25 fps equals 1 s at 48 kHz.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RationalTime {
    /// Count of units (frames, samples, milliseconds…), may be negative.
    pub value: i64,
    /// Units per second.
    pub rate: Rate,
}

impl RationalTime {
    /// `value` units at `rate`.
    pub const fn new(value: i64, rate: Rate) -> RationalTime {
        RationalTime { value, rate }
    }

    /// Zero at `rate`.
    pub const fn zero(rate: Rate) -> RationalTime {
        RationalTime { value: 0, rate }
    }

    /// `frames` frames at `rate` (same as [`RationalTime::new`], named for readability).
    pub const fn from_frames(frames: i64, rate: Rate) -> RationalTime {
        RationalTime::new(frames, rate)
    }

    /// Nearest unit at `rate` to `seconds`.
    pub fn from_seconds(seconds: f64, rate: Rate) -> Result<RationalTime, TimeError> {
        // Go through microsecond-precision rational to use the single rounding rule.
        if !seconds.is_finite() || seconds.abs() > 1e12 {
            return Err(TimeError::Overflow);
        }
        let micros = (seconds * 1e6).round() as i128;
        let num = micros * rate.num as i128;
        let den = 1_000_000i128 * rate.den as i128;
        let v = round_div(num, den).ok_or(TimeError::Overflow)?;
        i64::try_from(v)
            .map(|value| RationalTime { value, rate })
            .map_err(|_| TimeError::Overflow)
    }

    /// Seconds as a float (display and analysis; not for edit arithmetic).
    pub fn to_seconds(self) -> f64 {
        self.value as f64 * self.rate.den as f64 / self.rate.num as f64
    }

    /// The same instant at another rate, rounded to the nearest unit there.
    pub fn rescaled_to(self, rate: Rate) -> RationalTime {
        self.try_rescaled_to(rate)
            .expect("rescaling a 64-bit time between rates of at most 10^9 cannot overflow i128")
    }

    /// Like [`RationalTime::rescaled_to`] but reports results that leave the `i64` range.
    pub fn try_rescaled_to(self, rate: Rate) -> Result<RationalTime, TimeError> {
        if rate == self.rate {
            return Ok(self);
        }
        let num = self.value as i128 * self.rate.den as i128 * rate.num as i128;
        let den = self.rate.num as i128 * rate.den as i128;
        let v = round_div(num, den).ok_or(TimeError::Overflow)?;
        i64::try_from(v)
            .map(|value| RationalTime { value, rate })
            .map_err(|_| TimeError::Overflow)
    }

    /// True when this instant falls exactly on a unit boundary of `rate`.
    pub fn is_exact_at(self, rate: Rate) -> bool {
        let num = self.value as i128 * self.rate.den as i128 * rate.num as i128;
        let den = self.rate.num as i128 * rate.den as i128;
        num % den == 0
    }

    /// Frame index at `rate` (nearest frame).
    pub fn to_frames(self, rate: Rate) -> i64 {
        self.rescaled_to(rate).value
    }

    /// Sample index at `sample_rate` Hz (nearest sample).
    pub fn to_samples(self, sample_rate: u32) -> i64 {
        self.rescaled_to(Rate::new(sample_rate as i64, 1).unwrap_or(Rate::HZ_48000))
            .value
    }

    /// Milliseconds (nearest).
    pub fn to_millis(self) -> i64 {
        self.rescaled_to(Rate::MILLIS).value
    }

    /// Sum; the result is at `self`'s rate (the other operand is rescaled, rounding once).
    pub fn checked_add(self, other: RationalTime) -> Result<RationalTime, TimeError> {
        let o = other.try_rescaled_to(self.rate)?;
        self.value
            .checked_add(o.value)
            .map(|value| RationalTime {
                value,
                rate: self.rate,
            })
            .ok_or(TimeError::Overflow)
    }

    /// Difference; the result is at `self`'s rate.
    pub fn checked_sub(self, other: RationalTime) -> Result<RationalTime, TimeError> {
        let o = other.try_rescaled_to(self.rate)?;
        self.value
            .checked_sub(o.value)
            .map(|value| RationalTime {
                value,
                rate: self.rate,
            })
            .ok_or(TimeError::Overflow)
    }

    /// True for negative times.
    pub fn is_negative(self) -> bool {
        self.value < 0
    }

    /// SMPTE timecode of this time counted at `rate` (see [`Timecode`]).
    pub fn to_timecode(self, rate: Rate, drop_frame: bool) -> Timecode {
        Timecode::from_frames(self.to_frames(rate), rate, drop_frame)
    }

    fn cmp_exact(&self, other: &Self) -> Ordering {
        let a = self.value as i128 * self.rate.den as i128 * other.rate.num as i128;
        let b = other.value as i128 * other.rate.den as i128 * self.rate.num as i128;
        a.cmp(&b)
    }
}

impl PartialEq for RationalTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_exact(other) == Ordering::Equal
    }
}
impl Eq for RationalTime {}
impl PartialOrd for RationalTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RationalTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_exact(other)
    }
}

impl std::ops::Add for RationalTime {
    type Output = RationalTime;
    /// Panics on overflow; use [`RationalTime::checked_add`] for untrusted values.
    fn add(self, rhs: RationalTime) -> RationalTime {
        self.checked_add(rhs).expect("time addition overflowed")
    }
}

impl std::ops::Sub for RationalTime {
    type Output = RationalTime;
    /// Panics on overflow; use [`RationalTime::checked_sub`] for untrusted values.
    fn sub(self, rhs: RationalTime) -> RationalTime {
        self.checked_sub(rhs).expect("time subtraction overflowed")
    }
}

impl fmt::Display for RationalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.value, self.rate)
    }
}

/// A span of time: `start` and `duration` (OpenTimelineIO's TimeRange).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// First instant in the range.
    pub start: RationalTime,
    /// Length of the range; never negative in a valid model.
    pub duration: RationalTime,
}

impl TimeRange {
    /// A range from `start` lasting `duration`.
    pub const fn new(start: RationalTime, duration: RationalTime) -> TimeRange {
        TimeRange { start, duration }
    }

    /// A range of whole frames at `rate`: `start_frame .. start_frame + frames`.
    pub const fn from_frames(start_frame: i64, frames: i64, rate: Rate) -> TimeRange {
        TimeRange {
            start: RationalTime::new(start_frame, rate),
            duration: RationalTime::new(frames, rate),
        }
    }

    /// A range from `start` (inclusive) to `end` (exclusive), at `start`'s rate.
    pub fn from_start_end(start: RationalTime, end: RationalTime) -> Result<TimeRange, TimeError> {
        Ok(TimeRange {
            start,
            duration: end.checked_sub(start)?,
        })
    }

    /// First instant after the range, at the start's rate.
    pub fn end_exclusive(&self) -> RationalTime {
        self.start + self.duration
    }

    /// True when `t` lies in `[start, end)`.
    pub fn contains(&self, t: RationalTime) -> bool {
        t >= self.start && t < self.end_exclusive()
    }

    /// True when the two ranges share any instant.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end_exclusive() && other.start < self.end_exclusive()
    }

    /// The shared part of two ranges, if any (at `self`'s rate).
    pub fn intersection(&self, other: &TimeRange) -> Option<TimeRange> {
        let start = self.start.max(other.start);
        let end = self.end_exclusive().min(other.end_exclusive());
        if end > start {
            TimeRange::from_start_end(start.rescaled_to(self.start.rate), end).ok()
        } else {
            None
        }
    }

    /// The part of this range from `from` to `to`, both offsets from its start; a `to` of
    /// `None`, or past the range's end, means the end.
    pub fn part(
        &self,
        from: RationalTime,
        to: Option<RationalTime>,
    ) -> Result<TimeRange, TimeError> {
        let end_of_range = self.end_exclusive();
        let start = self.start.checked_add(from)?;
        let end = match to {
            Some(t) => self.start.checked_add(t)?.min(end_of_range),
            None => end_of_range,
        };
        if start >= end_of_range {
            return Err(TimeError::StartsPastEnd);
        }
        if end <= start {
            return Err(TimeError::EndsBeforeStart);
        }
        TimeRange::from_start_end(start, end)
    }

    /// The same range with both ends rescaled to `rate`.
    pub fn rescaled_to(&self, rate: Rate) -> TimeRange {
        let start = self.start.rescaled_to(rate);
        let end = self.end_exclusive().rescaled_to(rate);
        TimeRange {
            start,
            duration: end - start,
        }
    }

    /// The range moved by `offset`.
    pub fn shifted(&self, offset: RationalTime) -> TimeRange {
        TimeRange {
            start: self.start + offset,
            duration: self.duration,
        }
    }
}

/// SMPTE timecode: hours, minutes, seconds, frames, and whether it counts drop-frame.
///
/// Drop-frame (29.97 and 59.94 only) skips frame numbers 0 and 1 (0–3 at 59.94) at the start
/// of every minute except minutes divisible by ten, so timecode stays within 3.6 ms per hour
/// of wall-clock time. It is written with `;` before the frames (`01:00:00;00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timecode {
    /// Hours (may exceed 23 for long timelines; wraps are not applied).
    pub hours: u32,
    /// Minutes 0–59.
    pub minutes: u32,
    /// Seconds 0–59.
    pub seconds: u32,
    /// Frames 0..nominal fps.
    pub frames: u32,
    /// Drop-frame counting.
    pub drop_frame: bool,
    /// True for negative times (shown with a leading `-`).
    pub negative: bool,
}

impl Timecode {
    fn drop_count(rate: Rate) -> i64 {
        (rate.nominal_fps() as i64 / 30) * 2
    }

    /// The timecode of frame `frame` counted at `rate`. `drop_frame` is honoured only where
    /// the rate supports it.
    pub fn from_frames(frame: i64, rate: Rate, drop_frame: bool) -> Timecode {
        let drop_frame = drop_frame && rate.supports_drop_frame();
        let fps = rate.nominal_fps().max(1) as i64;
        let negative = frame < 0;
        let mut n = frame.unsigned_abs() as i64;
        if drop_frame {
            let d = Timecode::drop_count(rate);
            let per_10min = fps * 600 - 9 * d;
            let per_min = fps * 60 - d;
            let tens = n / per_10min;
            let rem = n % per_10min;
            // Frames 0..d of minutes 1..9 in each ten-minute block are skipped labels.
            let extra = if rem < d { 0 } else { (rem - d) / per_min };
            n += 9 * d * tens + d * extra;
        }
        let frames = (n % fps) as u32;
        let total_secs = n / fps;
        Timecode {
            hours: (total_secs / 3600) as u32,
            minutes: ((total_secs / 60) % 60) as u32,
            seconds: (total_secs % 60) as u32,
            frames,
            drop_frame,
            negative,
        }
    }

    /// Frame index at `rate` of this timecode.
    pub fn to_frames(&self, rate: Rate) -> i64 {
        let fps = rate.nominal_fps().max(1) as i64;
        let total_minutes = self.hours as i64 * 60 + self.minutes as i64;
        let mut n = (total_minutes * 60 + self.seconds as i64) * fps + self.frames as i64;
        if self.drop_frame && rate.supports_drop_frame() {
            let d = Timecode::drop_count(rate);
            n -= d * (total_minutes - total_minutes / 10);
        }
        if self.negative {
            -n
        } else {
            n
        }
    }

    /// Parses `HH:MM:SS:FF` (non-drop) or `HH:MM:SS;FF` / `HH;MM;SS;FF` / `HH:MM:SS.FF`
    /// (drop-frame) at `rate`. Validates the fields, including drop-frame labels that do not
    /// exist (e.g. `00:01:00;00` at 29.97).
    pub fn parse(text: &str, rate: Rate) -> Result<Timecode, TimeError> {
        let err = |reason: &str| TimeError::InvalidTimecode {
            text: text.chars().take(64).collect(),
            reason: reason.to_string(),
        };
        let (negative, body) = match text.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, text),
        };
        let bytes = body.as_bytes();
        let mut parts = [0u32; 4];
        let mut idx = 0;
        let mut drop_frame = false;
        let mut cur: Option<u32> = None;
        let mut digits = 0;
        for &b in bytes {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    if digits > 6 {
                        return Err(err("field too long"));
                    }
                    cur = Some(cur.unwrap_or(0) * 10 + (b - b'0') as u32);
                }
                b':' | b';' | b'.' | b',' => {
                    if idx >= 3 {
                        return Err(err("too many fields"));
                    }
                    parts[idx] = cur.ok_or_else(|| err("empty field"))?;
                    if b != b':' {
                        drop_frame = true;
                    }
                    idx += 1;
                    cur = None;
                    digits = 0;
                }
                _ => return Err(err("unexpected character")),
            }
        }
        if idx != 3 {
            return Err(err("expected four fields HH:MM:SS:FF"));
        }
        parts[3] = cur.ok_or_else(|| err("empty frame field"))?;
        let fps = rate.nominal_fps();
        let tc = Timecode {
            hours: parts[0],
            minutes: parts[1],
            seconds: parts[2],
            frames: parts[3],
            drop_frame,
            negative,
        };
        if tc.minutes > 59 || tc.seconds > 59 {
            return Err(err("minutes and seconds must be below 60"));
        }
        if tc.frames >= fps {
            return Err(err("frame field is not below the frame rate"));
        }
        if drop_frame {
            if !rate.supports_drop_frame() {
                return Err(err("drop-frame timecode needs a 29.97 or 59.94 rate"));
            }
            let d = Timecode::drop_count(rate) as u32;
            if tc.seconds == 0 && tc.minutes % 10 != 0 && tc.frames < d {
                return Err(err("this frame label is skipped in drop-frame counting"));
            }
        }
        Ok(tc)
    }
}

impl fmt::Display for Timecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.drop_frame { ';' } else { ':' };
        write!(
            f,
            "{}{:02}:{:02}:{:02}{}{:02}",
            if self.negative { "-" } else { "" },
            self.hours,
            self.minutes,
            self.seconds,
            sep,
            self.frames
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_cut_from_offsets_and_ends_at_the_range_end() {
        let range = TimeRange::from_frames(100, 50, Rate::FPS_25);
        let t = |ms| RationalTime::new(ms, Rate::MILLIS);
        let whole = range.part(t(0), None).unwrap();
        assert_eq!(
            (whole.start, whole.end_exclusive()),
            (range.start, range.end_exclusive())
        );
        let p = range.part(t(400), Some(t(1200))).unwrap();
        assert_eq!(p.start.to_frames(Rate::FPS_25), 110);
        assert_eq!(p.end_exclusive().to_frames(Rate::FPS_25), 130);
        let past = range.part(t(1000), Some(t(60_000))).unwrap();
        assert_eq!(past.end_exclusive(), range.end_exclusive());
        assert_eq!(range.part(t(2000), None), Err(TimeError::StartsPastEnd));
        assert_eq!(
            range.part(t(800), Some(t(800))),
            Err(TimeError::EndsBeforeStart)
        );
        assert_eq!(
            range.part(t(800), Some(t(400))),
            Err(TimeError::EndsBeforeStart)
        );
    }

    #[test]
    fn round_div_rounds_half_away_from_zero() {
        assert_eq!(round_div(5, 2), Some(3));
        assert_eq!(round_div(-5, 2), Some(-3));
        assert_eq!(round_div(4, 3), Some(1));
        assert_eq!(round_div(-4, 3), Some(-1));
        assert_eq!(round_div(1, 0), None);
    }

    #[test]
    fn ntsc_rate_from_float_is_exact_rational() {
        assert_eq!(Rate::from_f64(29.97).unwrap(), Rate::FPS_29_97);
        assert_eq!(Rate::from_f64(23.976).unwrap(), Rate::FPS_23_976);
        assert_eq!(Rate::from_f64(25.0).unwrap(), Rate::FPS_25);
    }

    #[test]
    fn one_hour_of_29_97_drop_frame_is_107892_frames() {
        let tc = Timecode::parse("01:00:00;00", Rate::FPS_29_97).unwrap();
        assert_eq!(tc.to_frames(Rate::FPS_29_97), 107_892);
        assert_eq!(
            Timecode::from_frames(107_892, Rate::FPS_29_97, true).to_string(),
            "01:00:00;00"
        );
    }

    #[test]
    fn drop_frame_skips_labels_at_minute_boundaries() {
        let r = Rate::FPS_29_97;
        assert_eq!(
            Timecode::from_frames(1799, r, true).to_string(),
            "00:00:59;29"
        );
        assert_eq!(
            Timecode::from_frames(1800, r, true).to_string(),
            "00:01:00;02"
        );
        assert_eq!(
            Timecode::from_frames(17982, r, true).to_string(),
            "00:10:00;00"
        );
        assert!(Timecode::parse("00:01:00;00", r).is_err());
        let r60 = Rate::FPS_59_94;
        assert_eq!(
            Timecode::from_frames(3600, r60, true).to_string(),
            "00:01:00;04"
        );
    }

    #[test]
    fn rescale_rounds_once_to_nearest() {
        let t = RationalTime::new(1, Rate::FPS_29_97);
        assert_eq!(t.rescaled_to(Rate::MILLIS).value, 33);
        let t = RationalTime::new(1001, Rate::FPS_24);
        assert_eq!(t.to_millis(), 41708);
    }

    #[test]
    fn times_at_different_rates_compare_exactly() {
        assert_eq!(
            RationalTime::new(25, Rate::FPS_25),
            RationalTime::new(48000, Rate::HZ_48000)
        );
        assert!(RationalTime::new(30, Rate::FPS_30) > RationalTime::new(29, Rate::FPS_29_97));
    }

    #[test]
    fn bad_timecodes_are_rejected() {
        for tc in [
            "",
            "1:2:3",
            "00:00:00:30",
            "00:61:00:00",
            "aa:bb:cc:dd",
            "00:00:00:00:00",
        ] {
            assert!(Timecode::parse(tc, Rate::FPS_30).is_err(), "{tc}");
        }
    }
}
