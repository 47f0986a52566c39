//! Readability rules for subtitle cues and the checker that reports every violation.
//!
//! The defaults are the Netflix English (USA) timed-text rules: at most 42 characters per
//! line and 2 lines per cue, a reading speed of at most 20 characters per second, a duration
//! between 5/6 s and 7 s, and at least 2 frames between consecutive cues. Cues that carry word
//! timings are also checked against the speech: a cue starts with its first word (at most
//! [`Rules::max_lead_in`] early), shows no silence longer than [`Rules::max_pause`] between
//! its words, and leaves the screen soon after its last word (at most [`Rules::max_linger`]
//! later than reading speed and minimum duration require).
//!
//! Times in subtitle files are whole milliseconds, so every limit is compared in whole
//! milliseconds, rounded once with the timeline crate's rounding rule (5/6 s is 833 ms, two
//! frames at 24 fps are 83 ms).

use std::fmt;

use cutroom_plugin::timeline::time::round_div;
use cutroom_plugin::timeline::{Rate, SubtitleCue};

/// The limits a cue layout must respect. All are parameters of the subtitles plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Most characters on one line (42).
    pub max_chars_per_line: usize,
    /// Most lines in one cue (2).
    pub max_lines: usize,
    /// Highest reading speed in characters per second, counting letters, spaces and
    /// punctuation but not line breaks (20).
    pub max_cps: f64,
    /// Shortest time a cue is shown, in seconds (5/6).
    pub min_duration: f64,
    /// Longest time a cue is shown, in seconds (7).
    pub max_duration: f64,
    /// Least number of frames between the end of a cue and the start of the next (2).
    pub min_gap_frames: u32,
    /// The frame rate the gap is counted in (the media's, else 24 fps).
    pub frame_rate: Rate,
    /// How long, in seconds, a cue may start before its first word is spoken (0.5).
    pub max_lead_in: f64,
    /// How long, in seconds, a cue may stay after its last word beyond what the minimum
    /// duration and reading speed require (1.0).
    pub max_linger: f64,
    /// Longest silence between two words of the same cue, in seconds (1.5).
    pub max_pause: f64,
    /// A cue edge this many frames or fewer from a shot boundary is snapped to it (12).
    pub snap_frames: u32,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::netflix_english()
    }
}

/// Words that a line should not end with: articles, conjunctions, prepositions and the like.
/// A line break goes before them, not after.
pub const WEAK_LINE_END_WORDS: &[&str] = &[
    "a", "an", "the", "and", "but", "or", "nor", "so", "yet", "for", "of", "to", "in", "on", "at",
    "by", "with", "from", "into", "onto", "over", "under", "about", "after", "before", "than",
    "that", "which", "who", "whom", "whose", "if", "because", "as", "while", "when", "where", "my",
    "your", "his", "her", "its", "our", "their", "this", "these", "those", "mr.", "mrs.", "ms.",
    "dr.",
];

impl Rules {
    /// Netflix English (USA) timed-text rules, counted at 24 fps.
    pub fn netflix_english() -> Rules {
        Rules {
            max_chars_per_line: 42,
            max_lines: 2,
            max_cps: 20.0,
            min_duration: 5.0 / 6.0,
            max_duration: 7.0,
            min_gap_frames: 2,
            frame_rate: Rate::FPS_24,
            max_lead_in: 0.5,
            max_linger: 1.0,
            max_pause: 1.5,
            snap_frames: 12,
        }
    }

    /// The same rules with the gap and snap window counted at `rate`.
    pub fn with_frame_rate(mut self, rate: Rate) -> Rules {
        self.frame_rate = rate;
        self
    }

    /// Checks the limits make sense together; the message names the first that does not.
    pub fn validate(&self) -> Result<(), String> {
        let finite = [
            self.max_cps,
            self.min_duration,
            self.max_duration,
            self.max_lead_in,
            self.max_linger,
            self.max_pause,
        ];
        if finite.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err("time and speed limits must be finite and not negative".into());
        }
        if self.max_chars_per_line == 0 || self.max_lines == 0 {
            return Err("a cue needs at least one line of at least one character".into());
        }
        if self.max_cps <= 0.0 {
            return Err("the reading speed must be above 0".into());
        }
        if self.max_duration <= 0.0 || self.min_duration > self.max_duration {
            return Err(format!(
                "the minimum duration {} s is above the maximum {} s",
                self.min_duration, self.max_duration
            ));
        }
        Ok(())
    }

    /// Shortest duration in milliseconds.
    pub fn min_duration_ms(&self) -> i64 {
        secs_to_ms(self.min_duration)
    }

    /// Longest duration in milliseconds.
    pub fn max_duration_ms(&self) -> i64 {
        secs_to_ms(self.max_duration)
    }

    /// Least gap between cues in milliseconds (`min_gap_frames` at `frame_rate`).
    pub fn min_gap_ms(&self) -> i64 {
        frames_to_ms(self.min_gap_frames, self.frame_rate)
    }

    /// The snap window in milliseconds.
    pub fn snap_ms(&self) -> i64 {
        frames_to_ms(self.snap_frames, self.frame_rate)
    }

    /// Most lead-in before the first word, in milliseconds.
    pub fn max_lead_in_ms(&self) -> i64 {
        secs_to_ms(self.max_lead_in)
    }

    /// Most linger after the last word, in milliseconds.
    pub fn max_linger_ms(&self) -> i64 {
        secs_to_ms(self.max_linger)
    }

    /// Longest pause inside a cue, in milliseconds.
    pub fn max_pause_ms(&self) -> i64 {
        secs_to_ms(self.max_pause)
    }

    /// True when `chars` characters shown for `duration_ms` are within the reading speed.
    pub fn readable(&self, chars: usize, duration_ms: i64) -> bool {
        // chars / (ms / 1000) <= cps, in integers where possible.
        (chars as f64) * 1000.0 <= self.max_cps * duration_ms as f64 + 1e-6
    }

    /// Shortest duration in milliseconds that shows `chars` characters within the reading
    /// speed and the minimum duration.
    pub fn needed_ms(&self, chars: usize) -> i64 {
        let reading = ((chars as f64) * 1000.0 / self.max_cps).ceil() as i64;
        reading.max(self.min_duration_ms())
    }
}

fn secs_to_ms(s: f64) -> i64 {
    (s * 1000.0).round() as i64
}

fn frames_to_ms(frames: u32, rate: Rate) -> i64 {
    round_div(
        frames as i128 * 1000 * rate.den() as i128,
        rate.num() as i128,
    )
    .unwrap_or(0) as i64
}

/// Characters of a cue for the reading speed: everything but line breaks.
pub fn cue_chars(text: &str) -> usize {
    text.chars().filter(|c| *c != '\n' && *c != '\r').count()
}

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A readability guideline (where a line breaks).
    Warning,
    /// A hard limit.
    Error,
}

/// What rule a cue breaks.
#[derive(Debug, Clone, PartialEq)]
pub enum ViolationKind {
    /// The cue has no text.
    EmptyText,
    /// A line is longer than [`Rules::max_chars_per_line`].
    LineTooLong {
        /// 1-based line number within the cue.
        line: usize,
        /// Its length in characters.
        chars: usize,
    },
    /// More lines than [`Rules::max_lines`].
    TooManyLines {
        /// Line count.
        lines: usize,
    },
    /// Reading speed above [`Rules::max_cps`].
    TooFast {
        /// Characters per second.
        cps: f64,
    },
    /// Shown for less than [`Rules::min_duration`].
    TooShort {
        /// Duration in milliseconds.
        ms: i64,
    },
    /// Shown for more than [`Rules::max_duration`].
    TooLong {
        /// Duration in milliseconds.
        ms: i64,
    },
    /// Starts before the previous cue ends.
    Overlap {
        /// Milliseconds of overlap.
        ms: i64,
    },
    /// Less than [`Rules::min_gap_frames`] after the previous cue.
    GapTooSmall {
        /// Gap in milliseconds.
        ms: i64,
    },
    /// Starts more than [`Rules::max_lead_in`] before its first word.
    StartsBeforeSpeech {
        /// Milliseconds before the first word.
        ms: i64,
    },
    /// Stays longer than [`Rules::max_linger`] after its last word (beyond what reading
    /// speed and minimum duration need).
    LingersAfterSpeech {
        /// Milliseconds of extra time.
        ms: i64,
    },
    /// Shows a silence longer than [`Rules::max_pause`] between two of its words.
    SpansSilence {
        /// Length of the silence in milliseconds.
        ms: i64,
    },
    /// A line ends with a word that should start the next line ("the", "and", "of"…).
    WeakLineBreak {
        /// 1-based line number.
        line: usize,
        /// The word.
        word: String,
    },
}

/// One broken rule in one cue.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Index of the cue (0-based) in the checked list.
    pub cue: usize,
    /// Start of that cue in milliseconds.
    pub at_ms: i64,
    /// The rule.
    pub kind: ViolationKind,
}

impl Violation {
    /// Hard limit or guideline.
    pub fn severity(&self) -> Severity {
        match self.kind {
            ViolationKind::WeakLineBreak { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl ViolationKind {
    /// A stable snake_case name of the rule (`line_too_long`, `too_fast`…), for reports and
    /// scripts.
    pub fn rule(&self) -> &'static str {
        match self {
            ViolationKind::EmptyText => "empty_text",
            ViolationKind::LineTooLong { .. } => "line_too_long",
            ViolationKind::TooManyLines { .. } => "too_many_lines",
            ViolationKind::TooFast { .. } => "too_fast",
            ViolationKind::TooShort { .. } => "too_short",
            ViolationKind::TooLong { .. } => "too_long",
            ViolationKind::Overlap { .. } => "overlap",
            ViolationKind::GapTooSmall { .. } => "gap_too_small",
            ViolationKind::StartsBeforeSpeech { .. } => "starts_before_speech",
            ViolationKind::LingersAfterSpeech { .. } => "lingers_after_speech",
            ViolationKind::SpansSilence { .. } => "spans_silence",
            ViolationKind::WeakLineBreak { .. } => "weak_line_break",
        }
    }
}

/// The detail of the broken rule ("line 1 has 45 characters").
impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViolationKind::EmptyText => write!(f, "no text"),
            ViolationKind::LineTooLong { line, chars } => {
                write!(f, "line {line} has {chars} characters")
            }
            ViolationKind::TooManyLines { lines } => write!(f, "{lines} lines"),
            ViolationKind::TooFast { cps } => write!(f, "reading speed {cps:.1} characters/s"),
            ViolationKind::TooShort { ms } => write!(f, "shown for only {ms} ms"),
            ViolationKind::TooLong { ms } => write!(f, "shown for {ms} ms"),
            ViolationKind::Overlap { ms } => write!(f, "overlaps the previous cue by {ms} ms"),
            ViolationKind::GapTooSmall { ms } => {
                write!(f, "starts only {ms} ms after the previous cue")
            }
            ViolationKind::StartsBeforeSpeech { ms } => {
                write!(f, "starts {ms} ms before its first word")
            }
            ViolationKind::LingersAfterSpeech { ms } => {
                write!(f, "stays {ms} ms longer than needed after its last word")
            }
            ViolationKind::SpansSilence { ms } => {
                write!(f, "shows a silence of {ms} ms between its words")
            }
            ViolationKind::WeakLineBreak { line, word } => {
                write!(f, "line {line} ends with {word:?}; break before it")
            }
        }
    }
}

impl Violation {
    /// The cue's start as an SRT time, `HH:MM:SS,mmm`.
    pub fn time(&self) -> String {
        let t = self.at_ms.max(0);
        format!(
            "{:02}:{:02}:{:02},{:03}",
            t / 3_600_000,
            t / 60_000 % 60,
            t / 1000 % 60,
            t % 1000
        )
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cue {} at {}: {}", self.cue + 1, self.time(), self.kind)
    }
}

fn ms_of(t: cutroom_plugin::timeline::RationalTime) -> i64 {
    t.to_millis()
}

/// True when a line ending with `word` breaks a phrase (the word belongs to the next line).
pub fn is_weak_line_end(word: &str) -> bool {
    if word.ends_with([',', '.', ';', ':', '?', '!']) {
        return false;
    }
    let lower = word
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '\'')
        .to_lowercase();
    WEAK_LINE_END_WORDS.contains(&lower.as_str())
}

/// Every violation of `rules` in `cues`, in cue order.
///
/// Checks text (line length, line count), timing (duration, reading speed, order and gaps)
/// and, for cues that carry word timings, the relation to speech (lead-in, linger, pauses).
/// Line breaks after a weak word are reported as warnings ([`Severity::Warning`]).
pub fn check_cues(cues: &[SubtitleCue], rules: &Rules) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut prev_end: Option<i64> = None;
    for (i, cue) in cues.iter().enumerate() {
        let start = ms_of(cue.range.start);
        let end = ms_of(cue.range.end_exclusive());
        let mut push = |kind| {
            out.push(Violation {
                cue: i,
                at_ms: start,
                kind,
            })
        };
        let text = cue.text.trim_end_matches('\n');
        if text.trim().is_empty() {
            push(ViolationKind::EmptyText);
        }
        let lines: Vec<&str> = text.split('\n').collect();
        if lines.len() > rules.max_lines {
            push(ViolationKind::TooManyLines { lines: lines.len() });
        }
        for (n, line) in lines.iter().enumerate() {
            let chars = line.chars().count();
            if chars > rules.max_chars_per_line {
                push(ViolationKind::LineTooLong { line: n + 1, chars });
            }
            if n + 1 < lines.len() {
                if let Some(last) = line.split_whitespace().last() {
                    if is_weak_line_end(last) {
                        push(ViolationKind::WeakLineBreak {
                            line: n + 1,
                            word: last.to_string(),
                        });
                    }
                }
            }
        }
        let dur = end - start;
        if dur < rules.min_duration_ms() {
            push(ViolationKind::TooShort { ms: dur });
        }
        if dur > rules.max_duration_ms() {
            push(ViolationKind::TooLong { ms: dur });
        }
        let chars = cue_chars(text);
        if dur > 0 && !rules.readable(chars, dur) {
            push(ViolationKind::TooFast {
                cps: chars as f64 * 1000.0 / dur as f64,
            });
        }
        if let Some(pe) = prev_end {
            if start < pe {
                push(ViolationKind::Overlap { ms: pe - start });
            } else if start - pe < rules.min_gap_ms() {
                push(ViolationKind::GapTooSmall { ms: start - pe });
            }
        }
        if let (Some(first), Some(last)) = (cue.words.first(), cue.words.last()) {
            let first_start = ms_of(first.range.start);
            if first_start - start > rules.max_lead_in_ms() {
                push(ViolationKind::StartsBeforeSpeech {
                    ms: first_start - start,
                });
            }
            let last_end = ms_of(last.range.end_exclusive());
            let allowed = (last_end + rules.max_linger_ms()).max(start + rules.needed_ms(chars));
            if end > allowed {
                push(ViolationKind::LingersAfterSpeech {
                    ms: end - allowed + rules.max_linger_ms(),
                });
            }
            for w in cue.words.windows(2) {
                let pause = ms_of(w[1].range.start) - ms_of(w[0].range.end_exclusive());
                if pause > rules.max_pause_ms() {
                    push(ViolationKind::SpansSilence { ms: pause });
                }
            }
        }
        prev_end = Some(prev_end.map_or(end, |p| p.max(end)));
    }
    out
}

/// Only the hard-limit violations of [`check_cues`].
pub fn errors(violations: &[Violation]) -> Vec<&Violation> {
    violations
        .iter()
        .filter(|v| v.severity() == Severity::Error)
        .collect()
}
