//! [`PeakMeter`]: the peak level of each fixed-length frame of audio, for plugins that
//! measure loudness (auto-cut's dead-air finder) and hosts that draw waveforms.

/// The largest absolute sample (linear, full scale 1.0) of each frame of `frame_len`
/// samples, fed with mono samples in chunks of any size.
#[derive(Debug, Clone)]
pub struct PeakMeter {
    frame_len: usize,
    peaks: Vec<f32>,
    peak: f32,
    filled: usize,
}

impl PeakMeter {
    /// A meter of frames of `frame_len` samples (at least one).
    pub fn new(frame_len: usize) -> PeakMeter {
        PeakMeter {
            frame_len: frame_len.max(1),
            peaks: Vec::new(),
            peak: 0.0,
            filled: 0,
        }
    }

    /// Adds mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        for &s in samples {
            self.peak = self.peak.max(s.abs());
            self.filled += 1;
            if self.filled == self.frame_len {
                self.close();
            }
        }
    }

    /// Adds `n` samples of silence.
    pub fn push_silence(&mut self, mut n: usize) {
        while n > 0 {
            let take = (self.frame_len - self.filled).min(n);
            self.filled += take;
            n -= take;
            if self.filled == self.frame_len {
                self.close();
            }
        }
    }

    fn close(&mut self) {
        self.peaks.push(self.peak);
        self.peak = 0.0;
        self.filled = 0;
    }

    /// The peak of every frame (a last partial frame counts as a frame).
    pub fn finish(mut self) -> Vec<f32> {
        if self.filled > 0 {
            self.close();
        }
        self.peaks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_per_frame_whatever_the_chunks() {
        let mut m = PeakMeter::new(160);
        let mut samples = vec![0.0f32; 400];
        samples[170] = -0.5;
        samples[399] = 0.25;
        m.push(&samples[..100]);
        m.push(&samples[100..]);
        assert_eq!(
            m.finish(),
            [0.0, 0.5, 0.25],
            "the last 80 samples are a frame"
        );
        let mut m = PeakMeter::new(2);
        m.push_silence(3);
        m.push(&[0.1]);
        assert_eq!(m.finish(), [0.0, 0.1]);
    }
}
