//! The cue layout engine: timed words in, readable subtitle cues out.
//!
//! Words are grouped into cues by dynamic programming over every possible split. A split is
//! *feasible* when each cue fits in [`Rules::max_lines`] lines of
//! [`Rules::max_chars_per_line`], can be shown long enough for its reading speed and the
//! minimum duration before the next cue must start (the gap included), lasts at most the
//! maximum duration, and shows no long silence. Among feasible splits the engine prefers
//! cues that end at sentence ends, commas and pauses, lines that break after punctuation or
//! before a conjunction or preposition rather than mid-phrase, balanced lines, and cues that
//! do not straddle a shot boundary. If no feasible split exists (speech faster than the
//! reading speed allows), the split with the smallest violations is used, and
//! [`crate::check_cues`] reports them.
//!
//! Timing: a cue starts with its first word, and ends when its last word ends or, if later,
//! when the reading speed and minimum duration are satisfied — never lingering over silence,
//! and always at least the minimum gap before the next cue. Finally, cue edges within
//! [`Rules::snap_frames`] of a shot boundary snap to it (the start onto the cut, the end the
//! minimum gap before it) when that breaks no rule.

use cutroom_plugin::timeline::{Rate, RationalTime, SubtitleCue, TimeRange, WordTiming};

use crate::rules::{check_cues, cue_chars, is_weak_line_end, Rules, Severity};

/// Penalty for breaking a hard rule; larger than any sum of style costs.
const HARD: f64 = 1.0e6;

/// A word in milliseconds, with its original timing.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    start: i64,
    end: i64,
    timing: WordTiming,
}

/// What is known about the media besides the words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutContext {
    /// Shot boundaries (cuts) in media time, from a cut proposal; may be empty.
    pub shots: Vec<RationalTime>,
    /// End of the media; no cue ends after it.
    pub media_end: Option<RationalTime>,
}

/// Lays `words` out into cues that follow `rules`.
///
/// Words may come in any order and with surrounding spaces; empty words are dropped. The
/// cues carry their words' timings and are in time order, in milliseconds.
pub fn layout_cues(words: &[WordTiming], ctx: &LayoutContext, rules: &Rules) -> Vec<SubtitleCue> {
    let words = prepare(words, rules);
    if words.is_empty() {
        return Vec::new();
    }
    let media_end = ctx.media_end.map(|t| t.to_millis());
    let mut shots: Vec<i64> = ctx.shots.iter().map(|t| t.to_millis()).collect();
    shots.sort_unstable();
    shots.dedup();

    let n = words.len();
    let max_text = rules.max_lines * (rules.max_chars_per_line + 1);
    // best[j] = (cost, i): the cheapest layout of words[..j], whose last cue is words[i..j].
    let mut best: Vec<(f64, usize)> = vec![(f64::INFINITY, 0); n + 1];
    best[0] = (0.0, 0);
    for j in 1..=n {
        let mut chars = 0usize;
        for i in (0..j).rev() {
            chars += words[i].text.chars().count() + usize::from(i + 1 < j);
            if chars > max_text {
                break;
            }
            if !best[i].0.is_finite() {
                continue;
            }
            let Some(cost) = cue_cost(&words, i, j, media_end, &shots, rules) else {
                continue;
            };
            let total = best[i].0 + cost;
            if total < best[j].0 {
                best[j] = (total, i);
            }
        }
    }
    let mut bounds = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = best[j].1;
        bounds.push((i, j));
        j = i;
    }
    bounds.reverse();

    let mut cues: Vec<SubtitleCue> = bounds
        .iter()
        .map(|&(i, j)| {
            let (start, end) = timing(&words, i, j, media_end, rules);
            let lines = break_lines(&words[i..j], rules)
                .map(|(l, _)| l)
                .unwrap_or_else(|| vec![join(&words[i..j])]);
            SubtitleCue {
                range: ms_range(start, end),
                text: lines.join("\n"),
                words: words[i..j].iter().map(|w| w.timing.clone()).collect(),
                id: None,
            }
        })
        .collect();
    snap_to_shots(&mut cues, &shots, rules);
    cues
}

fn ms_range(start: i64, end: i64) -> TimeRange {
    TimeRange::new(
        RationalTime::new(start, Rate::MILLIS),
        RationalTime::new((end - start).max(1), Rate::MILLIS),
    )
}

/// Trims, sorts, drops empty words and splits words longer than a line.
fn prepare(words: &[WordTiming], rules: &Rules) -> Vec<Word> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        let text = w.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            continue;
        }
        let start = w.range.start.to_millis().max(0);
        let end = w.range.end_exclusive().to_millis().max(start);
        let chars: Vec<char> = text.chars().collect();
        let max = rules.max_chars_per_line.max(1);
        if chars.len() <= max {
            out.push(Word {
                text,
                start,
                end,
                timing: w.clone(),
            });
            continue;
        }
        let pieces = chars.len().div_ceil(max) as i64;
        for (k, piece) in chars.chunks(max).enumerate() {
            let k = k as i64;
            let s = start + (end - start) * k / pieces;
            let e = start + (end - start) * (k + 1) / pieces;
            let text: String = piece.iter().collect();
            out.push(Word {
                timing: WordTiming {
                    text: text.clone(),
                    range: ms_range(s, e.max(s + 1)),
                    probability: w.probability,
                },
                text,
                start: s,
                end: e,
            });
        }
    }
    out.sort_by_key(|w| (w.start, w.end));
    out
}

fn join(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Latest end a cue of `words[i..j]` may have: the gap before the next word, the maximum
/// duration, and the media's end.
fn end_limit(words: &[Word], i: usize, j: usize, media_end: Option<i64>, rules: &Rules) -> i64 {
    let start = words[i].start;
    let mut limit = start + rules.max_duration_ms();
    if let Some(next) = words.get(j) {
        limit = limit.min(next.start - rules.min_gap_ms());
    }
    if let Some(e) = media_end {
        limit = limit.min(e);
    }
    limit
}

/// Start and end of the cue holding `words[i..j]`.
fn timing(words: &[Word], i: usize, j: usize, media_end: Option<i64>, rules: &Rules) -> (i64, i64) {
    let start = words[i].start;
    let chars = cue_chars(&join(&words[i..j]));
    let wanted = words[j - 1].end.max(start + rules.needed_ms(chars));
    let end = wanted.min(end_limit(words, i, j, media_end, rules));
    (start, end.max(start + 1))
}

/// Cost of making `words[i..j]` one cue, or `None` if its text cannot fit.
fn cue_cost(
    words: &[Word],
    i: usize,
    j: usize,
    media_end: Option<i64>,
    shots: &[i64],
    rules: &Rules,
) -> Option<f64> {
    let (_, line_cost) = break_lines(&words[i..j], rules)?;
    let mut cost = 5.0 + line_cost;
    let start = words[i].start;
    let chars = cue_chars(&join(&words[i..j]));
    let limit = end_limit(words, i, j, media_end, rules);
    let needed = rules.needed_ms(chars);
    if start + needed > limit {
        cost += HARD + (start + needed - limit) as f64;
    }
    let speech = words[j - 1].end.min(limit) - start;
    if speech > rules.max_duration_ms() {
        cost += HARD + (speech - rules.max_duration_ms()) as f64;
    }
    for w in words[i..j].windows(2) {
        let pause = w[1].start - w[0].end;
        if pause > rules.max_pause_ms() {
            cost += HARD + pause as f64;
        } else if pause > 400 {
            // A noticeable pause inside a cue: better to split there.
            cost += 3.0;
        }
    }
    // Where the cue ends.
    let last = &words[j - 1].text;
    let pause_after = words
        .get(j)
        .map_or(i64::MAX, |n| n.start - words[j - 1].end);
    cost += if j == words.len() || pause_after >= 500 || last.ends_with(['.', '?', '!']) {
        0.0
    } else if last.ends_with([',', ';', ':', '-']) {
        2.0
    } else if is_weak_line_end(last) {
        30.0
    } else if words.get(j).is_some_and(|n| is_weak_line_end(&n.text)) {
        4.0
    } else {
        10.0
    };
    // A cue should not straddle a cut.
    let end = words[j - 1].end;
    let margin = rules.snap_ms();
    if shots
        .iter()
        .any(|&s| s > start + margin && s < end - margin)
    {
        cost += 20.0;
    }
    Some(cost)
}

/// Cost of breaking a line after `word` when `next` starts the next line.
fn break_cost(word: &str, next: &str) -> f64 {
    if word.ends_with(['.', '?', '!']) {
        0.0
    } else if word.ends_with([',', ';', ':', '-']) {
        1.0
    } else if is_weak_line_end(word) {
        50.0
    } else if is_weak_line_end(next) {
        3.0
    } else {
        8.0
    }
}

/// Splits a cue's words into at most `max_lines` lines of at most `max_chars_per_line`,
/// preferring one line, then breaks after punctuation or before a conjunction or
/// preposition, then balanced (slightly bottom-heavy) lines. `None` if it cannot fit.
pub(crate) fn break_lines_text(words: &[&str], rules: &Rules) -> Option<(Vec<String>, f64)> {
    let lens: Vec<usize> = words.iter().map(|w| w.chars().count()).collect();
    let n = words.len();
    if n == 0 {
        return Some((vec![String::new()], 0.0));
    }
    let total: usize = lens.iter().sum::<usize>() + n - 1;
    let max = rules.max_chars_per_line;
    if total <= max {
        return Some((vec![words.join(" ")], 0.0));
    }
    let line_len = |a: usize, b: usize| lens[a..b].iter().sum::<usize>() + (b - a - 1);
    let mut best: Option<(f64, Vec<usize>)> = None;
    for lines in 2..=rules.max_lines.min(n) {
        let target = total as f64 / lines as f64;
        // dp[l][k]: cheapest way to put words[..k] on l lines; with the break positions.
        let mut dp: Vec<Vec<Option<(f64, usize)>>> = vec![vec![None; n + 1]; lines + 1];
        dp[0][0] = Some((0.0, 0));
        for l in 1..=lines {
            for k in l..=n {
                let mut cell: Option<(f64, usize)> = None;
                for (a, cell_prev) in dp[l - 1].iter().enumerate().take(k).skip(l - 1) {
                    let Some((prev, _)) = *cell_prev else {
                        continue;
                    };
                    let len = line_len(a, k);
                    if len > max {
                        continue;
                    }
                    let mut c = prev;
                    let dev = len as f64 - target;
                    c += dev * dev / (target * 2.0).max(1.0);
                    if l < lines {
                        // Slight preference for a shorter top line (pyramid).
                        if dev > 0.0 {
                            c += 0.5;
                        }
                        if k < n {
                            c += break_cost(words[k - 1], words[k]);
                        }
                    }
                    if cell.is_none_or(|(bc, _)| c < bc) {
                        cell = Some((c, a));
                    }
                }
                dp[l][k] = cell;
            }
        }
        if let Some((c, _)) = dp[lines][n] {
            let c = c + 10.0 * (lines - 2) as f64;
            if best.as_ref().is_none_or(|(bc, _)| c < *bc) {
                let mut cuts = vec![n];
                let mut k = n;
                for l in (1..=lines).rev() {
                    let a = dp[l][k].map_or(0, |(_, a)| a);
                    cuts.push(a);
                    k = a;
                }
                cuts.reverse();
                best = Some((c, cuts));
            }
        }
    }
    let (cost, cuts) = best?;
    let lines = cuts
        .windows(2)
        .map(|w| words[w[0]..w[1]].join(" "))
        .collect();
    Some((lines, cost))
}

fn break_lines(words: &[Word], rules: &Rules) -> Option<(Vec<String>, f64)> {
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    break_lines_text(&texts, rules)
}

/// Moves cue edges onto nearby shot boundaries when that breaks no rule.
fn snap_to_shots(cues: &mut [SubtitleCue], shots: &[i64], rules: &Rules) {
    if shots.is_empty() {
        return;
    }
    let window = rules.snap_ms();
    let gap = rules.min_gap_ms();
    for k in 0..cues.len() {
        let start = cues[k].range.start.to_millis();
        let end = cues[k].range.end_exclusive().to_millis();
        let near = |t: i64| {
            shots
                .iter()
                .copied()
                .filter(|&s| (s - t).abs() <= window)
                .min_by_key(|&s| (s - t).abs())
        };
        if let Some(s) = near(start).filter(|&s| s != start && s < end) {
            try_edit(cues, k, s, end, rules);
        }
        let start = cues[k].range.start.to_millis();
        if let Some(s) = near(end + gap).filter(|&s| s - gap != end && s - gap > start) {
            try_edit(cues, k, start, s - gap, rules);
        }
    }
}

/// Sets cue `k` to `start..end` if cues `k-1..=k+1` then break no more hard rules than before.
fn try_edit(cues: &mut [SubtitleCue], k: usize, start: i64, end: i64, rules: &Rules) {
    let lo = k.saturating_sub(1);
    let hi = (k + 2).min(cues.len());
    let errors = |cs: &[SubtitleCue]| {
        check_cues(cs, rules)
            .iter()
            .filter(|v| v.severity() == Severity::Error)
            .count()
    };
    let before = errors(&cues[lo..hi]);
    let old = cues[k].range;
    cues[k].range = ms_range(start, end);
    if errors(&cues[lo..hi]) > before {
        cues[k].range = old;
    }
}
