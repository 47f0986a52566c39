//! Dead-air removal from 16 kHz mono audio.
//!
//! Audio is measured in 10 ms **audio frames** (160 samples): each frame's peak level in dBFS.
//! A frame is *sound* when its peak reaches the threshold. Then, as in auto-editor:
//!
//! 1. runs of sound shorter than `min_sound` are dropped (clicks, pops);
//! 2. runs of silence shorter than `min_silence` are kept (pauses between words);
//! 3. each remaining run of sound is kept with `pad_before` before and `pad_after` after it;
//! 4. everything not kept is proposed for removal.
//!
//! With voice-activity detection on, a frame counts as sound only if it is loud **and** lies
//! in (or just next to) speech according to the Silero VAD, so music, room noise and breaths
//! are removed too; the loudness keeps the edges of speech accurate to the 10 ms frame while
//! the VAD's 32 ms windows decide what is speech.

use cutroom_plugin::PeakMeter;

/// Samples per second of the analysed audio.
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples in one audio frame (10 ms).
pub const FRAME_SAMPLES: usize = 160;
/// Samples in one VAD window (32 ms).
pub const VAD_WINDOW: usize = 512;

/// Settings of the dead-air finder, in audio frames of 10 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeadAirSettings {
    /// Peak level (dBFS) a frame must reach to be sound.
    pub threshold_db: f32,
    /// Shortest run of sound that counts, in frames.
    pub min_sound: usize,
    /// Shortest silence that is removed, in frames.
    pub min_silence: usize,
    /// Frames kept before each run of sound.
    pub pad_before: usize,
    /// Frames kept after each run of sound.
    pub pad_after: usize,
    /// Speech probability at which the VAD says speech starts.
    pub vad_threshold: f32,
}

impl Default for DeadAirSettings {
    fn default() -> Self {
        DeadAirSettings {
            threshold_db: -40.0,
            min_sound: 3,
            min_silence: 30,
            pad_before: 10,
            pad_after: 20,
            vad_threshold: 0.5,
        }
    }
}

/// A span to remove, in audio frames `start..end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Removal {
    /// First removed frame.
    pub start: usize,
    /// First frame after the removal.
    pub end: usize,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
    /// Whether the span held loud audio that was not speech (music, noise).
    pub non_speech: bool,
}

/// Peak level of each 10 ms frame, in dBFS, fed with audio in any chunk sizes (the SDK's
/// [`PeakMeter`] in decibels).
#[derive(Debug, Clone)]
pub struct LevelMeter(PeakMeter);

impl Default for LevelMeter {
    fn default() -> Self {
        LevelMeter(PeakMeter::new(FRAME_SAMPLES))
    }
}

impl LevelMeter {
    /// An empty meter.
    pub fn new() -> LevelMeter {
        LevelMeter::default()
    }

    /// Adds mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        self.0.push(samples);
    }

    /// The levels of every frame (a last partial frame counts as a frame).
    pub fn finish(self) -> Vec<f32> {
        self.0.finish().into_iter().map(to_db).collect()
    }
}

fn to_db(peak: f32) -> f32 {
    if peak <= 1e-6 {
        -120.0
    } else {
        20.0 * peak.log10()
    }
}

/// Runs of `true` in `mask` as `(start, end)` pairs.
fn runs(mask: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &m) in mask.iter().enumerate() {
        match (m, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, mask.len()));
    }
    out
}

/// Speech mask per 10 ms frame from VAD window probabilities (hysteresis: speech starts at
/// `threshold` and continues while the probability stays above `threshold − 0.15`), widened
/// by `reach` frames on each side.
pub fn speech_frames(
    probabilities: &[f32],
    frames: usize,
    threshold: f32,
    reach: usize,
) -> Vec<bool> {
    let mut mask = vec![false; frames];
    let low = (threshold - 0.15).max(0.01);
    let mut speaking = false;
    for (w, &p) in probabilities.iter().enumerate() {
        speaking = if speaking { p >= low } else { p >= threshold };
        if speaking {
            let first = (w * VAD_WINDOW / FRAME_SAMPLES).saturating_sub(reach);
            let last = (((w + 1) * VAD_WINDOW).div_ceil(FRAME_SAMPLES) + reach).min(frames);
            for m in mask.iter_mut().take(last).skip(first) {
                *m = true;
            }
        }
    }
    mask
}

/// Proposes removals from frame levels (dBFS) and, with a VAD, a speech mask of equal length.
pub fn find_removals(levels: &[f32], speech: Option<&[bool]>, s: &DeadAirSettings) -> Vec<Removal> {
    let n = levels.len();
    let loud: Vec<bool> = levels.iter().map(|&l| l >= s.threshold_db).collect();
    let mut sound: Vec<bool> = match speech {
        Some(sp) => loud
            .iter()
            .zip(sp.iter().chain(std::iter::repeat(&false)))
            .map(|(&l, &p)| l && p)
            .collect(),
        None => loud.clone(),
    };
    // 1. Drop blips.
    for (a, b) in runs(&sound) {
        if b - a < s.min_sound {
            sound[a..b].fill(false);
        }
    }
    // 2. Keep short pauses (only between sounds: leading and trailing silence always goes).
    let sounds = runs(&sound);
    for pair in sounds.windows(2) {
        let (gap_start, gap_end) = (pair[0].1, pair[1].0);
        if gap_end - gap_start < s.min_silence {
            sound[gap_start..gap_end].fill(true);
        }
    }
    // 3. Pad.
    let mut keep = vec![false; n];
    for (a, b) in runs(&sound) {
        let from = a.saturating_sub(s.pad_before);
        let to = (b + s.pad_after).min(n);
        keep[from..to].fill(true);
    }
    // 4. The rest goes, if it is long enough to be a silence worth cutting.
    let removed: Vec<bool> = keep.iter().map(|k| !k).collect();
    runs(&removed)
        .into_iter()
        .filter(|&(a, b)| {
            // Leading/trailing silence is always removed; inner gaps were filtered in step 2.
            b > a
        })
        .map(|(a, b)| {
            let loudest = levels[a..b].iter().copied().fold(-120.0f32, f32::max);
            let non_speech =
                speech.is_some() && loud[a..b].iter().filter(|&&l| l).count() * 5 >= (b - a);
            let confidence = if non_speech {
                let sp = speech.unwrap_or(&[]);
                let speechy = (a..b)
                    .filter(|&i| sp.get(i).copied().unwrap_or(false))
                    .count();
                (1.0 - speechy as f32 / (b - a) as f32).clamp(0.3, 1.0)
            } else {
                (0.5 + (s.threshold_db - loudest) / 40.0).clamp(0.3, 1.0)
            };
            Removal {
                start: a,
                end: b,
                confidence,
                non_speech,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(pattern: &str) -> Vec<f32> {
        pattern
            .chars()
            .map(|c| if c == '#' { -10.0 } else { -70.0 })
            .collect()
    }

    fn spans(r: &[Removal]) -> Vec<(usize, usize)> {
        r.iter().map(|r| (r.start, r.end)).collect()
    }

    #[test]
    fn silences_are_removed_with_padding_on_each_side() {
        let s = DeadAirSettings {
            min_sound: 1,
            min_silence: 3,
            pad_before: 1,
            pad_after: 2,
            ..DeadAirSettings::default()
        };
        //           0123456789012345678
        let l = levels("....###.......##...");
        assert_eq!(
            spans(&find_removals(&l, None, &s)),
            [(0, 3), (9, 13), (18, 19)]
        );
    }

    #[test]
    fn short_pauses_and_blips_are_left_alone() {
        let s = DeadAirSettings {
            min_sound: 2,
            min_silence: 4,
            pad_before: 0,
            pad_after: 0,
            ..DeadAirSettings::default()
        };
        let l = levels("###..###....#.....###");
        assert_eq!(spans(&find_removals(&l, None, &s)), [(8, 18)]);
    }

    #[test]
    fn the_meter_measures_peaks_per_ten_milliseconds() {
        let mut m = LevelMeter::new();
        let mut samples = vec![0.0f32; 400];
        samples[170] = 0.5;
        m.push(&samples[..100]);
        m.push(&samples[100..]);
        let l = m.finish();
        assert_eq!(l.len(), 3);
        assert_eq!(l[0], -120.0);
        assert!((l[1] + 6.02).abs() < 0.01);
    }

    #[test]
    fn vad_windows_map_onto_audio_frames() {
        let mask = speech_frames(&[0.1, 0.9, 0.5, 0.1], 13, 0.5, 0);
        // Window 1 (samples 512..1024) → frames 3..7; window 2 continues above 0.35.
        assert_eq!(
            mask.iter().map(|&b| b as u8).collect::<Vec<_>>(),
            [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
        );
    }
}
