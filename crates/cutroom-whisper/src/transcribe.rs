//! Long-form transcription: 30 s windows seeked by timestamps, greedy decoding with the
//! timestamp rules, temperature fallback, and word timings from cross-attention.
//!
//! The loop follows faster-whisper's `generate_segments` (itself the reference
//! `transcribe`) so that, with beam size 1, both produce the same text on the same model.

use std::io::Write;

use crate::align::{align_words, Alignment};
use crate::kernels::sum_exp;
use crate::mel::{LogMel, HOP, SAMPLE_RATE, WINDOW_FRAMES};
use crate::model::{CrossKv, KvCache};
use crate::{Whisper, WhisperError};

/// How to transcribe. The defaults are the reference's (and faster-whisper's) with beam
/// size 1 and word timestamps on.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Language code for multilingual models (`None`: detect from the first window).
    /// English-only models always use English.
    pub language: Option<String>,
    /// Temperatures tried in turn when a decode looks wrong (0 is greedy).
    pub temperatures: Vec<f32>,
    /// Retry when the gzip compression ratio of the text is above this (too repetitive).
    pub compression_ratio_threshold: Option<f32>,
    /// Retry when the average token log probability is below this.
    pub log_prob_threshold: Option<f32>,
    /// A window whose no-speech probability is above this (and log probability below
    /// `log_prob_threshold`) is skipped as silence.
    pub no_speech_threshold: Option<f32>,
    /// Prompt each window with the text of the previous ones.
    pub condition_on_previous_text: bool,
    /// Stop conditioning after a decode needed a temperature above this.
    pub prompt_reset_on_temperature: f32,
    /// Compute word timings.
    pub word_timestamps: bool,
    /// The first timestamp of a window is at most this many seconds.
    pub max_initial_timestamp: f32,
    /// Suppress a blank or end-of-text as the first token.
    pub suppress_blank: bool,
    /// Seed of the sampler used at temperatures above 0.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            language: None,
            temperatures: vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            compression_ratio_threshold: Some(2.4),
            log_prob_threshold: Some(-1.0),
            no_speech_threshold: Some(0.6),
            condition_on_previous_text: true,
            prompt_reset_on_temperature: 0.5,
            word_timestamps: true,
            max_initial_timestamp: 1.0,
            suppress_blank: true,
            seed: 0x5eed,
        }
    }
}

/// One recognised word with its timing in seconds from the start of the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word, with its leading space as decoded (e.g. `" country,"`).
    pub text: String,
    /// Start in seconds.
    pub start: f64,
    /// End in seconds.
    pub end: f64,
    /// Mean probability of its tokens.
    pub probability: f32,
}

/// A stretch of text between two timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Start in seconds.
    pub start: f64,
    /// End in seconds.
    pub end: f64,
    /// Text as decoded (usually with a leading space).
    pub text: String,
    /// Token ids, timestamps included.
    pub tokens: Vec<u32>,
    /// Word timings (empty without `word_timestamps`).
    pub words: Vec<Word>,
    /// Average log probability of the window's decode.
    pub avg_logprob: f32,
    /// Probability that the window held no speech.
    pub no_speech_prob: f32,
    /// Temperature the window was decoded at.
    pub temperature: f32,
}

/// The result of a transcription.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// Language code used.
    pub language: String,
    /// Segments in time order.
    pub segments: Vec<Segment>,
}

impl Transcript {
    /// All text, segments joined and trimmed.
    pub fn text(&self) -> String {
        let s: String = self.segments.iter().map(|s| s.text.as_str()).collect();
        s.trim().to_string()
    }

    /// Every word in order.
    pub fn words(&self) -> impl Iterator<Item = &Word> {
        self.segments.iter().flat_map(|s| s.words.iter())
    }
}

/// Result of decoding one window at one temperature.
pub(crate) struct Decoded {
    tokens: Vec<u32>,
    avg_logprob: f32,
    no_speech_prob: f32,
    compression_ratio: f32,
}

/// A small deterministic random generator for sampling.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// gzip-style compression ratio of text (bytes / deflated bytes), as the reference uses to
/// spot repetition loops.
pub fn compression_ratio(text: &str) -> f32 {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(bytes);
    let compressed = enc.finish().map(|v| v.len()).unwrap_or(bytes.len());
    bytes.len() as f32 / compressed.max(1) as f32
}

fn log_softmax(x: &[f32]) -> Vec<f32> {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = max as f64 + sum_exp(x, max).ln();
    x.iter().map(|&v| (v as f64 - lse) as f32).collect()
}

fn logsumexp(x: &[f32]) -> f32 {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        return max;
    }
    (max as f64 + sum_exp(x, max).ln()) as f32
}

impl Whisper {
    /// Transcribes 16 kHz mono `samples` (values in `[-1, 1]`).
    ///
    /// `progress` is called with the fraction done after each window; returning `false`
    /// stops the run with [`WhisperError::Cancelled`].
    pub fn transcribe(
        &self,
        samples: &[f32],
        opts: &Options,
        progress: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Transcript, WhisperError> {
        self.transcribe_clips(samples, &[], opts, progress)
    }

    /// Like [`Whisper::transcribe`], but only over `clips` (start, end in seconds, in order),
    /// e.g. the speech regions found by a voice-activity detector. An empty list means the
    /// whole audio. Times in the result stay relative to the start of `samples`.
    pub fn transcribe_clips(
        &self,
        samples: &[f32],
        clips: &[(f64, f64)],
        opts: &Options,
        progress: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Transcript, WhisperError> {
        let mel = self.mel.compute(samples);
        self.transcribe_mel(&mel, clips, opts, progress)
    }

    fn transcribe_mel(
        &self,
        mel: &LogMel,
        clips: &[(f64, f64)],
        opts: &Options,
        progress: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Transcript, WhisperError> {
        let fps = (SAMPLE_RATE / HOP) as f64; // 100 frames per second
        let content = mel.content_frames();
        let mut seek_clips: Vec<(usize, usize)> = if clips.is_empty() {
            vec![(0, content)]
        } else {
            clips
                .iter()
                .map(|&(s, e)| {
                    let s = (s.max(0.0) * fps).round() as usize;
                    let e = (e.max(0.0) * fps).round() as usize;
                    (s.min(content), e.min(content))
                })
                .filter(|(s, e)| e > s)
                .collect()
        };
        seek_clips.sort_unstable();
        let total: usize = seek_clips.iter().map(|(s, e)| e - s).sum::<usize>().max(1);
        let mut done = 0usize;

        let mut rng = Rng(opts.seed | 1);
        let mut language: Option<String> = if self.tokens.multilingual {
            opts.language.clone()
        } else {
            Some("en".into())
        };
        let mut all_tokens: Vec<u32> = Vec::new();
        let mut prompt_reset_since = 0usize;
        let mut segments_out: Vec<Segment> = Vec::new();
        let tb = self.tokens.timestamp_begin;
        let input_stride = 2usize; // mel frames per encoder position
        let time_precision = 0.02f64;
        let mut last_speech = 0.0f64;

        // Windows start inside the clips only (time between clips is skipped), but a window
        // runs on past the end of its clip like any other, so that decoding does not depend
        // on where a detector put the clip's end.
        let mut ci = 0usize;
        let mut seek = seek_clips.first().map_or(content, |c| c.0);
        loop {
            while ci < seek_clips.len() && seek >= seek_clips[ci].1 {
                ci += 1;
            }
            let Some(&(clip_start, clip_end)) = seek_clips.get(ci) else {
                break;
            };
            seek = seek.max(clip_start);
            {
                let time_offset = seek as f64 / fps;
                let segment_size = WINDOW_FRAMES.min(content - seek);
                let window = mel.window(seek, segment_size);
                let cross = self.model.window_kv(&window, WINDOW_FRAMES)?;

                if language.is_none() {
                    language = Some(self.detect_language(&cross)?);
                }
                let sot_sequence = self.sot_sequence(language.as_deref());
                let previous = &all_tokens[prompt_reset_since.min(all_tokens.len())..];
                let mut prompt = Vec::new();
                if !previous.is_empty() {
                    prompt.push(self.tokens.sot_prev);
                    let keep = self.model.dims.max_text / 2 - 1;
                    prompt.extend_from_slice(&previous[previous.len().saturating_sub(keep)..]);
                }
                let sot_index = prompt.len();
                prompt.extend_from_slice(&sot_sequence);

                let (result, temperature) =
                    self.generate_with_fallback(&cross, &prompt, sot_index, opts, &mut rng)?;

                if let Some(th) = opts.no_speech_threshold {
                    let mut skip = result.no_speech_prob > th;
                    if opts
                        .log_prob_threshold
                        .is_some_and(|lp| result.avg_logprob > lp)
                    {
                        skip = false;
                    }
                    if skip {
                        seek += segment_size;
                        done += segment_size.min(clip_end.saturating_sub(seek - segment_size));
                        if !progress(done as f32 / total as f32) {
                            return Err(WhisperError::Cancelled);
                        }
                        continue;
                    }
                }

                let tokens = result.tokens;
                let previous_seek = seek;
                // Split into segments at consecutive timestamps.
                let is_ts = |t: u32| t >= tb;
                let single_timestamp_ending = tokens.len() >= 2
                    && !is_ts(tokens[tokens.len() - 2])
                    && is_ts(tokens[tokens.len() - 1]);
                let consecutive: Vec<usize> = (1..tokens.len())
                    .filter(|&i| is_ts(tokens[i]) && is_ts(tokens[i - 1]))
                    .collect();
                let mut current: Vec<(f64, f64, Vec<u32>)> = Vec::new();
                if !consecutive.is_empty() {
                    let mut slices = consecutive.clone();
                    if single_timestamp_ending {
                        slices.push(tokens.len());
                    }
                    let mut last = 0;
                    for s in slices {
                        let sliced = &tokens[last..s];
                        let start = time_offset + (sliced[0] - tb) as f64 * time_precision;
                        let end = time_offset
                            + (sliced[sliced.len() - 1].saturating_sub(tb)) as f64 * time_precision;
                        current.push((start, end, sliced.to_vec()));
                        last = s;
                    }
                    if single_timestamp_ending {
                        seek += segment_size;
                    } else {
                        let pos = tokens[last - 1].saturating_sub(tb) as usize;
                        seek += pos * input_stride;
                    }
                } else {
                    let mut duration = segment_size as f64 / fps;
                    let ts: Vec<u32> = tokens.iter().copied().filter(|&t| is_ts(t)).collect();
                    if let Some(&l) = ts.last() {
                        if l != tb {
                            duration = (l - tb) as f64 * time_precision;
                        }
                    }
                    current.push((time_offset, time_offset + duration, tokens.clone()));
                    seek += segment_size;
                }

                let mut words_per_segment: Vec<Vec<Word>> = vec![Vec::new(); current.len()];
                if opts.word_timestamps {
                    let per_seg: Vec<Vec<u32>> = current
                        .iter()
                        .map(|(_, _, t)| {
                            t.iter().copied().filter(|&x| x < self.tokens.eot).collect()
                        })
                        .collect();
                    let text: Vec<u32> = per_seg.iter().flatten().copied().collect();
                    let aligned = align_words(self, &cross, &sot_sequence, &text, segment_size)?;
                    words_per_segment = distribute_words(
                        &aligned,
                        &per_seg,
                        &mut current,
                        time_offset,
                        &mut last_speech,
                    );
                    if !single_timestamp_ending {
                        if let Some(end) = words_per_segment.iter().flatten().last().map(|w| w.end)
                        {
                            if end > time_offset {
                                seek = (end * fps).round() as usize;
                            }
                        }
                    }
                }

                for ((start, end, toks), words) in current.into_iter().zip(words_per_segment) {
                    let text = self.tokens.decode(&toks);
                    if start == end || text.trim().is_empty() {
                        continue;
                    }
                    all_tokens.extend_from_slice(&toks);
                    segments_out.push(Segment {
                        start,
                        end,
                        text,
                        tokens: toks,
                        words,
                        avg_logprob: result.avg_logprob,
                        no_speech_prob: result.no_speech_prob,
                        temperature,
                    });
                }
                if !opts.condition_on_previous_text
                    || temperature > opts.prompt_reset_on_temperature
                {
                    prompt_reset_since = all_tokens.len();
                }
                // Never stall: always move forward.
                if seek <= previous_seek {
                    seek = previous_seek + segment_size.max(1);
                }
                done += seek.min(clip_end).saturating_sub(previous_seek);
                if !progress((done as f32 / total as f32).min(1.0)) {
                    return Err(WhisperError::Cancelled);
                }
            }
        }
        Ok(Transcript {
            language: language.unwrap_or_else(|| "en".into()),
            segments: segments_out,
        })
    }

    /// The start-of-transcript sequence for `language`.
    pub(crate) fn sot_sequence(&self, language: Option<&str>) -> Vec<u32> {
        let mut s = vec![self.tokens.sot];
        if self.tokens.multilingual {
            if let Some(l) = language.and_then(|l| self.tokens.language(l)) {
                s.push(l);
            }
            if let Some(t) = self.tokens.transcribe {
                s.push(t);
            }
        }
        s
    }

    fn detect_language(&self, cross: &CrossKv) -> Result<String, WhisperError> {
        let mut cache = KvCache::default();
        let (hidden, _) = self
            .model
            .decode(&[self.tokens.sot], &mut cache, cross, false)?;
        let logits: Vec<f32> = self.model.logits(&hidden)?.squeeze(0)?.to_vec1()?;
        let best = self
            .config
            .lang_ids
            .iter()
            .copied()
            .filter(|&t| (t as usize) < logits.len())
            .max_by(|&a, &b| logits[a as usize].total_cmp(&logits[b as usize]));
        Ok(best
            .and_then(|t| self.tokens.language_code(t))
            .unwrap_or_else(|| "en".into()))
    }

    fn generate_with_fallback(
        &self,
        cross: &CrossKv,
        prompt: &[u32],
        sot_index: usize,
        opts: &Options,
        rng: &mut Rng,
    ) -> Result<(Decoded, f32), WhisperError> {
        let temps = if opts.temperatures.is_empty() {
            vec![0.0]
        } else {
            opts.temperatures.clone()
        };
        let mut all: Vec<(Decoded, f32)> = Vec::new();
        let mut below_cr: Vec<usize> = Vec::new();
        for &t in &temps {
            let d = self.generate(cross, prompt, sot_index, t, opts, rng)?;
            let mut fallback = false;
            if let Some(th) = opts.compression_ratio_threshold {
                if d.compression_ratio > th {
                    fallback = true;
                } else {
                    below_cr.push(all.len());
                }
            }
            if opts.log_prob_threshold.is_some_and(|lp| d.avg_logprob < lp) {
                fallback = true;
            }
            if opts
                .no_speech_threshold
                .is_some_and(|ns| d.no_speech_prob > ns)
                && opts.log_prob_threshold.is_some_and(|lp| d.avg_logprob < lp)
            {
                fallback = false;
            }
            if !fallback {
                return Ok((d, t));
            }
            all.push((d, t));
        }
        let last_t = *temps.last().unwrap_or(&0.0);
        let pool: Vec<usize> = if below_cr.is_empty() {
            (0..all.len()).collect()
        } else {
            below_cr
        };
        let best = pool
            .into_iter()
            .max_by(|&a, &b| all[a].0.avg_logprob.total_cmp(&all[b].0.avg_logprob))
            .unwrap_or(0);
        let (d, _) = all.swap_remove(best);
        Ok((d, last_t))
    }

    /// Decodes one window from `prompt` at temperature `t` (0: greedy).
    fn generate(
        &self,
        cross: &CrossKv,
        prompt: &[u32],
        sot_index: usize,
        t: f32,
        opts: &Options,
        rng: &mut Rng,
    ) -> Result<Decoded, WhisperError> {
        let eot = self.tokens.eot;
        let tb = self.tokens.timestamp_begin as usize;
        let max_initial = (opts.max_initial_timestamp as f64 / 0.02).round() as usize;
        let mut cache = KvCache::default();
        let (hidden, _) = self.model.decode(prompt, &mut cache, cross, false)?;
        let rows = hidden.dim(0)?;
        let no_speech_prob = {
            let row = hidden.narrow(0, sot_index, 1)?;
            let logits: Vec<f32> = self.model.logits(&row)?.squeeze(0)?.to_vec1()?;
            let lp = log_softmax(&logits);
            lp.get(self.tokens.no_speech as usize)
                .map_or(0.0, |v| v.exp())
        };
        let mut hidden_last = hidden.narrow(0, rows - 1, 1)?;
        let mut generated: Vec<u32> = Vec::new();
        let mut sum_logprob = 0f64;
        let max_len = self.model.dims.max_text;
        loop {
            let (mut logits, screen) = self.model.screen_logits(&hidden_last)?;
            let v = logits.len();
            let step = generated.len();
            let neg = f32::NEG_INFINITY;
            if step == 0 && opts.suppress_blank {
                for &s in &self.config.suppress_begin {
                    if let Some(l) = logits.get_mut(s as usize) {
                        *l = neg;
                    }
                }
            }
            for &s in &self.config.suppress {
                if let Some(l) = logits.get_mut(s as usize) {
                    *l = neg;
                }
            }
            // Timestamp rules.
            if let Some(l) = logits.get_mut(self.tokens.no_timestamps as usize) {
                *l = neg;
            }
            let n = generated.len();
            let last_ts = n >= 1 && generated[n - 1] as usize >= tb;
            let penult_ts = n < 2 || generated[n - 2] as usize >= tb;
            if last_ts {
                if penult_ts {
                    logits[tb.min(v)..].fill(neg);
                } else {
                    logits[..(eot as usize).min(v)].fill(neg);
                }
            }
            if let Some(&last) = generated.iter().rev().find(|&&x| x as usize >= tb) {
                let upto = if last_ts && !penult_ts {
                    last as usize
                } else {
                    last as usize + 1
                };
                logits[tb.min(v)..upto.min(v)].fill(neg);
            }
            if step == 0 {
                logits[..tb.min(v)].fill(neg);
                let allowed = tb + max_initial;
                if allowed + 1 < v {
                    logits[allowed + 1..].fill(neg);
                }
            }
            // Exact values wherever they can decide: the best text token and the
            // largest timestamps.
            screen.refine(&mut logits, 0..tb.min(v));
            screen.refine(&mut logits, tb.min(v)..v);
            let lp = log_softmax(&logits);
            if tb < v {
                let ts = logsumexp(&lp[tb..]);
                let max_text = lp[..tb].iter().copied().fold(neg, f32::max);
                if ts > max_text {
                    logits[..tb].fill(neg);
                }
            }
            let lp = log_softmax(&logits);
            let next = if t > 0.0 {
                let scaled: Vec<f32> = logits.iter().map(|&l| l / t).collect();
                let p = log_softmax(&scaled);
                let mut r = rng.next_f64();
                let mut pick = eot as usize;
                for (i, &x) in p.iter().enumerate() {
                    let pi = (x as f64).exp();
                    if r < pi {
                        pick = i;
                        break;
                    }
                    r -= pi;
                }
                pick
            } else {
                logits
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                    .map_or(eot as usize, |(i, _)| i)
            };
            sum_logprob += lp[next] as f64;
            if next as u32 == eot {
                break;
            }
            generated.push(next as u32);
            if prompt.len() + generated.len() >= max_len {
                break;
            }
            let (h, _) = self
                .model
                .decode(&[next as u32], &mut cache, cross, false)?;
            hidden_last = h;
        }
        let text = self.tokens.decode(&generated);
        if std::env::var_os("CUTROOM_WHISPER_DEBUG").is_some() {
            eprintln!(
                "decode t={t} prompt={prompt:?} tokens={generated:?} sum={sum_logprob:.3} no_speech={no_speech_prob:.3} text={text:?}"
            );
        }
        Ok(Decoded {
            avg_logprob: (sum_logprob / (generated.len() + 1) as f64) as f32,
            compression_ratio: compression_ratio(text.trim()),
            tokens: generated,
            no_speech_prob,
        })
    }
}

/// Gives each segment its words, with the reference's boundary fixes.
fn distribute_words(
    alignment: &Alignment,
    per_seg: &[Vec<u32>],
    segments: &mut [(f64, f64, Vec<u32>)],
    time_offset: f64,
    last_speech: &mut f64,
) -> Vec<Vec<Word>> {
    let aligned = &alignment.words;
    let median = alignment.median;
    let max_duration = alignment.max_duration;
    let round2 = |x: f64| (x * 100.0).round() / 100.0;

    let mut out = Vec::with_capacity(segments.len());
    let mut wi = 0usize;
    for (si, seg) in segments.iter_mut().enumerate() {
        let mut saved = 0usize;
        let mut words: Vec<Word> = Vec::new();
        while wi < aligned.len() && saved < per_seg[si].len() {
            let a = &aligned[wi];
            if !a.text.is_empty() {
                words.push(Word {
                    text: a.text.clone(),
                    start: round2(time_offset + a.start),
                    end: round2(time_offset + a.end),
                    probability: a.probability,
                });
            }
            saved += a.tokens;
            wi += 1;
        }
        if !words.is_empty() {
            let w0_end = words[0].end;
            if w0_end - *last_speech > median * 4.0
                && (words[0].end - words[0].start > max_duration
                    || (words.len() > 1 && words[1].end - words[0].start > max_duration * 2.0))
            {
                if words.len() > 1 && words[1].end - words[1].start > max_duration {
                    let boundary = (words[1].end / 2.0).max(words[1].end - max_duration);
                    words[0].end = boundary;
                    words[1].start = boundary;
                }
                words[0].start = (words[0].end - max_duration).max(0.0);
            }
            if seg.0 < words[0].end && seg.0 - 0.5 > words[0].start {
                words[0].start = (words[0].end - median).min(seg.0).max(0.0);
            } else {
                seg.0 = words[0].start;
            }
            let last = words.len() - 1;
            if seg.1 > words[last].start && seg.1 + 0.5 < words[last].end {
                words[last].end = (words[last].start + median).max(seg.1);
            } else {
                seg.1 = words[last].end;
            }
            *last_speech = seg.1;
        }
        out.push(words);
    }
    out
}
