//! Log-mel front end, faithful to the reference (and to faster-whisper's `FeatureExtractor`).
//!
//! 16 kHz audio is padded with 160 zero samples at the end, then reflect-padded by 200
//! samples on each side (centred frames); a periodic 400-point Hann window, hop 160, power
//! spectrum of bins 0..=200 with the last frame dropped; Slaney-style mel filters (librosa's
//! `mel(sr=16000, n_fft=400, norm="slaney")`); `log10(max(x, 1e-10))`, floored at the
//! global maximum minus 8, then `(x + 4) / 4`.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Samples per second Whisper expects.
pub const SAMPLE_RATE: usize = 16_000;
/// FFT size.
pub const N_FFT: usize = 400;
/// Hop between frames (10 ms).
pub const HOP: usize = 160;
/// Frames in one 30 s window.
pub const WINDOW_FRAMES: usize = 3000;

/// Mel filterbank `[n_mels][N_FFT / 2 + 1]`, as librosa's Slaney mel filters.
pub fn mel_filters(n_mels: usize) -> Vec<Vec<f32>> {
    let sr = SAMPLE_RATE as f64;
    let n_bins = N_FFT / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_bins).map(|i| i as f64 * sr / N_FFT as f64).collect();
    let max_mel = 45.245_640_471_924_965;
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    let freqs: Vec<f64> = (0..n_mels + 2)
        .map(|i| {
            let m = max_mel * i as f64 / (n_mels + 1) as f64;
            if m >= min_log_mel {
                min_log_hz * (logstep * (m - min_log_mel)).exp()
            } else {
                f_sp * m
            }
        })
        .collect();
    (0..n_mels)
        .map(|m| {
            let enorm = 2.0 / (freqs[m + 2] - freqs[m]);
            fft_freqs
                .iter()
                .map(|&f| {
                    let lower = -(freqs[m] - f) / (freqs[m + 1] - freqs[m]);
                    let upper = (freqs[m + 2] - f) / (freqs[m + 2] - freqs[m + 1]);
                    (0f64.max(lower.min(upper)) * enorm) as f32
                })
                .collect()
        })
        .collect()
}

/// Computes log-mel features; see [`LogMel`].
pub struct MelFrontEnd {
    n_mels: usize,
    filters: Vec<(usize, Vec<f32>)>,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f64>>,
}

/// Log-mel features of a whole recording, `n_mels` rows by `frames` columns.
#[derive(Debug, Clone)]
pub struct LogMel {
    /// Mel bins.
    pub n_mels: usize,
    /// Frames (10 ms each).
    pub frames: usize,
    /// Row-major `[n_mels][frames]`.
    pub data: Vec<f32>,
}

impl LogMel {
    /// Frames holding audio content (the reference's `features.shape[-1] - 1`).
    pub fn content_frames(&self) -> usize {
        self.frames.saturating_sub(1)
    }

    /// The window of `len` frames from `start`, zero-padded to [`WINDOW_FRAMES`], as
    /// `[n_mels][WINDOW_FRAMES]`.
    pub fn window(&self, start: usize, len: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.n_mels * WINDOW_FRAMES];
        let end = (start + len.min(WINDOW_FRAMES)).min(self.frames);
        if start < end {
            for m in 0..self.n_mels {
                let row = &self.data[m * self.frames..(m + 1) * self.frames];
                out[m * WINDOW_FRAMES..m * WINDOW_FRAMES + (end - start)]
                    .copy_from_slice(&row[start..end]);
            }
        }
        out
    }
}

impl MelFrontEnd {
    /// A front end with `n_mels` bins (80 for most models, 128 for large-v3).
    pub fn new(n_mels: usize) -> MelFrontEnd {
        let filters = mel_filters(n_mels)
            .into_iter()
            .map(|row| {
                let first = row.iter().position(|&v| v != 0.0).unwrap_or(0);
                let last = row.iter().rposition(|&v| v != 0.0).map_or(first, |l| l + 1);
                (first, row[first..last.max(first)].to_vec())
            })
            .collect();
        let window = (0..N_FFT)
            .map(|n| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos()) as f32
            })
            .collect();
        let fft = FftPlanner::new().plan_fft_forward(N_FFT);
        MelFrontEnd {
            n_mels,
            filters,
            window,
            fft,
        }
    }

    /// Log-mel features of 16 kHz mono `samples`.
    pub fn compute(&self, samples: &[f32]) -> LogMel {
        let mut x: Vec<f32> = samples.to_vec();
        x.extend(std::iter::repeat_n(0.0, HOP));
        let pad = N_FFT / 2;
        let n = x.len();
        // Reflect padding (numpy "reflect": the edge sample is not repeated).
        let at = |i: isize| -> f32 {
            let n = n as isize;
            let mut j = i;
            if n == 1 {
                return x[0];
            }
            // Reflect until inside; for very short input this may bounce more than once.
            loop {
                if j < 0 {
                    j = -j;
                } else if j >= n {
                    j = 2 * (n - 1) - j;
                } else {
                    return x[j as usize];
                }
            }
        };
        let padded_len = n + 2 * pad;
        let frames_total = 1 + (padded_len - N_FFT) / HOP;
        let frames = frames_total - 1; // the reference drops the last frame
        let n_bins = N_FFT / 2 + 1;
        let mut mel = vec![0f32; self.n_mels * frames];
        let mut buf = vec![Complex::new(0f64, 0f64); N_FFT];
        let mut scratch = vec![Complex::new(0f64, 0f64); self.fft.get_inplace_scratch_len()];
        let mut power = vec![0f32; n_bins];
        for f in 0..frames {
            let base = (f * HOP) as isize - pad as isize;
            for (k, b) in buf.iter_mut().enumerate() {
                let v = at(base + k as isize) * self.window[k];
                *b = Complex::new(v as f64, 0.0);
            }
            self.fft.process_with_scratch(&mut buf, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buf) {
                let re = c.re as f32;
                let im = c.im as f32;
                *p = re * re + im * im;
            }
            for (m, (first, w)) in self.filters.iter().enumerate() {
                let s: f32 = w.iter().zip(&power[*first..]).map(|(a, b)| a * b).sum();
                mel[m * frames + f] = s;
            }
        }
        let mut max = f32::NEG_INFINITY;
        for v in mel.iter_mut() {
            *v = v.max(1e-10).log10();
            max = max.max(*v);
        }
        for v in mel.iter_mut() {
            *v = (v.max(max - 8.0) + 4.0) / 4.0;
        }
        LogMel {
            n_mels: self.n_mels,
            frames,
            data: mel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_second_gives_a_hundred_frames_plus_the_padding_frame() {
        let m = MelFrontEnd::new(80).compute(&vec![0.0; 16_000]);
        assert_eq!(m.frames, 101);
        assert_eq!(m.content_frames(), 100);
        // Silence: every value is the floor, (log10(1e-10) + 4) / 4.
        assert!(m.data.iter().all(|v| (*v - (-1.5)).abs() < 1e-6));
    }

    #[test]
    fn filters_match_librosa_slaney_sums() {
        let f = mel_filters(80);
        assert_eq!(f.len(), 80);
        assert_eq!(f[0].len(), 201);
        // First filter peaks at bin 1 (40 Hz) with Slaney area normalisation.
        assert!((f[0][1] - 0.024_862_4).abs() < 1e-5, "{}", f[0][1]);
    }
}
