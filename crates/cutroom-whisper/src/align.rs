//! Word timings from the cross-attention of the alignment heads, by dynamic time warping
//! (the reference's `find_alignment`).

use crate::model::{CrossKv, KvCache};
use crate::{Whisper, WhisperError};

/// A word and where it lies in its 30 s window (seconds from the window start).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlignedWord {
    pub text: String,
    /// Number of tokens of the word (0 after its punctuation was merged away).
    pub tokens: usize,
    pub start: f64,
    pub end: f64,
    pub probability: f32,
}

/// Result of aligning a window's text.
pub(crate) struct Alignment {
    pub words: Vec<AlignedWord>,
    /// Median word duration (at most 0.7 s).
    pub median: f64,
    /// Twice the median.
    pub max_duration: f64,
}

const PREPEND: &str = "\"'“¿([{-";
const APPEND: &str = "\"'.。,，!！?？:：”)]}、";
const SENTENCE_END: &str = ".。!！?？";

/// Aligns `text` (text tokens only) against the encoder output behind `cross`.
pub(crate) fn align_words(
    w: &Whisper,
    cross: &CrossKv,
    sot_sequence: &[u32],
    text: &[u32],
    num_frames: usize,
) -> Result<Alignment, WhisperError> {
    let empty = Alignment {
        words: Vec::new(),
        median: 0.0,
        max_duration: 0.0,
    };
    if text.is_empty() || w.config.alignment_heads.is_empty() {
        return Ok(empty);
    }
    let mut tokens = sot_sequence.to_vec();
    tokens.push(w.tokens.no_timestamps);
    tokens.extend_from_slice(text);
    tokens.push(w.tokens.eot);
    let max = w.model.dims.max_text;
    if tokens.len() > max {
        tokens.truncate(max);
    }
    let mut cache = KvCache::default();
    let (hidden, weights) = w.model.decode(&tokens, &mut cache, cross, true)?;
    let sot_len = sot_sequence.len();
    let n_text = text.len().min(tokens.len().saturating_sub(sot_len + 2));
    // Probability of each text token given the tokens before it.
    let rows = hidden.narrow(0, sot_len, n_text)?;
    let logits: Vec<Vec<f32>> = w.model.logits(&rows)?.to_vec2()?;
    let probs: Vec<f32> = logits
        .iter()
        .zip(text)
        .map(|(row, &t)| {
            let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = row.iter().map(|&v| ((v - m) as f64).exp()).sum();
            (((row[t as usize] - m) as f64).exp() / sum) as f32
        })
        .collect();

    let frames = (num_frames / 2).max(1);
    let t = tokens.len();
    let mut matrix = vec![0f64; t * frames];
    let mut heads = 0usize;
    for &(layer, head) in &w.config.alignment_heads {
        let Some(lw) = weights.get(layer) else {
            continue;
        };
        let hw: Vec<Vec<f32>> = lw
            .get(head)?
            .narrow(1, 0, frames.min(lw.dim(2)?))?
            .to_vec2()?;
        let f = hw.first().map_or(0, |r| r.len());
        if f == 0 {
            continue;
        }
        // Softmax restricted to the content frames.
        let mut m: Vec<f64> = Vec::with_capacity(t * f);
        for row in &hw {
            let s: f64 = row.iter().map(|&v| v as f64).sum::<f64>().max(1e-30);
            m.extend(row.iter().map(|&v| v as f64 / s));
        }
        // Standardise each frame over tokens (population std).
        for j in 0..f {
            let mean = (0..t).map(|i| m[i * f + j]).sum::<f64>() / t as f64;
            let var = (0..t).map(|i| (m[i * f + j] - mean).powi(2)).sum::<f64>() / t as f64;
            let std = var.sqrt().max(1e-12);
            for i in 0..t {
                m[i * f + j] = (m[i * f + j] - mean) / std;
            }
        }
        // Median filter of width 7 along frames, reflect padding.
        for i in 0..t {
            let row = median_filter(&m[i * f..(i + 1) * f], 7);
            for j in 0..f {
                matrix[i * frames + j] += row[j];
            }
        }
        heads += 1;
    }
    if heads == 0 {
        return Ok(empty);
    }
    // Rows: from the no-timestamps token up to (not including) end-of-text.
    let first = sot_len;
    let last = t - 1;
    let n = last - first;
    let cost: Vec<f64> = (first..last)
        .flat_map(|i| (0..frames).map(move |j| (i, j)))
        .map(|(i, j)| -matrix[i * frames + j] / heads as f64)
        .collect();
    let (text_idx, time_idx) = dtw(&cost, n, frames);

    let mut with_eot = text[..n_text].to_vec();
    with_eot.push(w.tokens.eot);
    let split = w.tokens.split_words(&with_eot);
    if split.len() <= 1 {
        return Ok(empty);
    }
    let mut boundaries = vec![0usize];
    for (_, toks) in &split[..split.len() - 1] {
        boundaries.push(boundaries.last().copied().unwrap_or(0) + toks.len());
    }
    let mut jump_times = Vec::new();
    for k in 0..text_idx.len() {
        if k == 0 || text_idx[k] != text_idx[k - 1] {
            jump_times.push(time_idx[k] as f64 / 50.0);
        }
    }
    let at = |k: usize| {
        jump_times
            .get(k)
            .copied()
            .or(jump_times.last().copied())
            .unwrap_or(0.0)
    };
    let mut words: Vec<AlignedWord> = split[..split.len() - 1]
        .iter()
        .enumerate()
        .map(|(k, (text, toks))| {
            let (a, b) = (boundaries[k], boundaries[k + 1]);
            let p = if b > a && b <= probs.len() {
                probs[a..b].iter().sum::<f32>() / (b - a) as f32
            } else {
                0.0
            };
            AlignedWord {
                text: text.clone(),
                tokens: toks.len(),
                start: at(a),
                end: at(b),
                probability: p,
            }
        })
        .collect();

    let mut durations: Vec<f64> = words
        .iter()
        .map(|w| w.end - w.start)
        .filter(|d| *d != 0.0)
        .collect();
    durations.sort_by(f64::total_cmp);
    let median = match durations.len() {
        0 => 0.0,
        m if m % 2 == 1 => durations[m / 2],
        m => (durations[m / 2 - 1] + durations[m / 2]) / 2.0,
    }
    .min(0.7);
    let max_duration = median * 2.0;
    if !durations.is_empty() {
        for i in 1..words.len() {
            if words[i].end - words[i].start > max_duration {
                if SENTENCE_END.contains(words[i].text.as_str()) {
                    words[i].end = words[i].start + max_duration;
                } else if SENTENCE_END.contains(words[i - 1].text.as_str()) {
                    words[i].start = words[i].end - max_duration;
                }
            }
        }
    }
    merge_punctuations(&mut words);
    Ok(Alignment {
        words,
        median,
        max_duration,
    })
}

fn median_filter(x: &[f64], width: usize) -> Vec<f64> {
    let pad = width / 2;
    let n = x.len();
    if n <= pad {
        return x.to_vec();
    }
    let get = |i: isize| -> f64 {
        let mut j = i;
        if j < 0 {
            j = -j;
        }
        if j >= n as isize {
            j = 2 * (n as isize - 1) - j;
        }
        x[j.clamp(0, n as isize - 1) as usize]
    };
    let mut win = vec![0f64; width];
    (0..n)
        .map(|i| {
            for (k, v) in win.iter_mut().enumerate() {
                *v = get(i as isize + k as isize - pad as isize);
            }
            win.sort_by(f64::total_cmp);
            win[pad]
        })
        .collect()
}

/// Dynamic time warping over an `n × m` cost matrix; the path as (row, column) indices.
pub(crate) fn dtw(x: &[f64], n: usize, m: usize) -> (Vec<usize>, Vec<usize>) {
    let w = m + 1;
    let mut cost = vec![f64::INFINITY; (n + 1) * w];
    let mut trace = vec![-1i8; (n + 1) * w];
    cost[0] = 0.0;
    for j in 1..=m {
        for i in 1..=n {
            let c0 = cost[(i - 1) * w + j - 1];
            let c1 = cost[(i - 1) * w + j];
            let c2 = cost[i * w + j - 1];
            let (c, t) = if c0 < c1 && c0 < c2 {
                (c0, 0)
            } else if c1 < c0 && c1 < c2 {
                (c1, 1)
            } else {
                (c2, 2)
            };
            cost[i * w + j] = x[(i - 1) * m + j - 1] + c;
            trace[i * w + j] = t;
        }
    }
    trace[..=m].fill(2);
    for i in 0..=n {
        trace[i * w] = 1;
    }
    let (mut i, mut j) = (n, m);
    let mut path = Vec::new();
    while i > 0 || j > 0 {
        path.push((i.wrapping_sub(1), j.wrapping_sub(1)));
        match trace[i * w + j] {
            0 => {
                i -= 1;
                j -= 1;
            }
            1 => i -= 1,
            _ => j -= 1,
        }
    }
    path.reverse();
    path.into_iter().filter(|(i, j)| *i < n && *j < m).unzip()
}

fn merge_punctuations(words: &mut [AlignedWord]) {
    if words.len() < 2 {
        return;
    }
    // Prepended punctuation joins the following word.
    let mut j = words.len() - 1;
    let mut i = words.len() as isize - 2;
    while i >= 0 {
        let iu = i as usize;
        let prev = words[iu].text.clone();
        if prev.starts_with(' ') && PREPEND.contains(prev.trim()) && !prev.trim().is_empty() {
            words[j].text = prev + &words[j].text;
            words[j].tokens += words[iu].tokens;
            words[iu].text.clear();
            words[iu].tokens = 0;
        } else {
            j = iu;
        }
        i -= 1;
    }
    // Appended punctuation joins the preceding word.
    let mut i = 0;
    let mut j = 1;
    while j < words.len() {
        let follow = words[j].text.clone();
        if !words[i].text.ends_with(' ') && !follow.is_empty() && APPEND.contains(follow.as_str()) {
            words[i].text.push_str(&follow);
            words[i].tokens += words[j].tokens;
            words[j].text.clear();
            words[j].tokens = 0;
        } else {
            i = j;
        }
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtw_follows_the_cheap_diagonal() {
        // 3 tokens over 6 frames: token k is cheap in frames 2k..2k+2.
        let mut x = vec![1.0; 18];
        for k in 0..3 {
            x[k * 6 + 2 * k] = 0.0;
            x[k * 6 + 2 * k + 1] = 0.0;
        }
        let (ti, fi) = dtw(&x, 3, 6);
        assert_eq!(ti, [0, 0, 1, 1, 2, 2]);
        assert_eq!(fi, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn median_filter_keeps_steps_and_removes_spikes() {
        let x = [0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let y = median_filter(&x, 7);
        assert_eq!(y[3], 0.0);
        assert_eq!(y[10], 1.0);
    }
}
