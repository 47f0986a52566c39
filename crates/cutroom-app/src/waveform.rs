//! Audio waveforms for the timeline: the peak envelope of each media file's audio, computed
//! on a background thread (streamed, so memory stays small whatever the media's length) and
//! drawn inside the clips that use it, so that speech, pauses and the spans a dead-air
//! proposal removes can be seen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutroom_media::{AudioOutput, AudioReader, MediaError};
use cutroom_plugin::PeakMeter;

use crate::worker::Worker;

/// Peaks per second of audio.
pub const PEAKS_PER_SECOND: u32 = 100;

/// The rate audio is resampled to for its peaks (mono): 80 samples per peak.
const ANALYSIS_RATE: u32 = 8000;

/// The quietest level drawn, in dBFS; the waveform's height is linear in dB above it.
pub const FLOOR_DB: f32 = -60.0;

/// The peak envelope of a file's audio, mixed to mono: the largest absolute sample of each
/// 1/[`PEAKS_PER_SECOND`] of a second from the start of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Peaks {
    /// One value per 1/[`PEAKS_PER_SECOND`] s, in `[0, 1]` (full scale is 1).
    pub values: Vec<f32>,
}

impl Peaks {
    /// Reads the audio of `path` and computes its peaks.
    pub fn compute(path: &Path) -> Result<Peaks, MediaError> {
        let mut reader = AudioReader::open(
            path,
            AudioOutput {
                sample_rate: ANALYSIS_RATE,
                channels: 1,
            },
        )?;
        let mut meter = PeakMeter::new((ANALYSIS_RATE / PEAKS_PER_SECOND) as usize);
        // Chunks follow each other; the first starts where the stream's first sample is,
        // which is silence after zero and cut off before it.
        let mut next = 0i64;
        while let Some(chunk) = reader.next_chunk()? {
            if chunk.start > next {
                meter.push_silence((chunk.start - next) as usize);
            }
            let skip = (next - chunk.start).clamp(0, chunk.data.len() as i64) as usize;
            meter.push(&chunk.data[skip..]);
            next = next.max(chunk.end());
        }
        let values = meter.finish().into_iter().map(|p| p.min(1.0)).collect();
        Ok(Peaks { values })
    }

    /// The largest peak over the media seconds `[from, to)` (at least the one peak at
    /// `from`); 0 outside the audio.
    pub fn max_over(&self, from: f64, to: f64) -> f32 {
        if to <= 0.0 {
            return 0.0;
        }
        // A span that starts or ends on a peak's edge (up to rounding) does not take in
        // the peak on the other side.
        const EDGE: f64 = 1e-6;
        let per = f64::from(PEAKS_PER_SECOND);
        let a = (from * per + EDGE).floor().max(0.0) as usize;
        let b = (((to * per - EDGE).ceil()).max(0.0) as usize).max(a + 1);
        self.values
            .get(a.min(self.values.len())..b.min(self.values.len()))
            .map_or(0.0, |s| s.iter().copied().fold(0.0, f32::max))
    }
}

/// A peak level as a height fraction in `[0, 1]`: linear in dB from [`FLOOR_DB`] to 0 dBFS.
pub fn height_of(peak: f32) -> f32 {
    if peak <= 0.0 {
        return 0.0;
    }
    ((20.0 * peak.log10() - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0)
}

struct Request {
    key: String,
    path: PathBuf,
}

/// The waveforms of the project's media by key (the URL clips refer to), computed one file
/// after another on a thread of its own.
pub struct Waveforms {
    peaks: HashMap<String, Arc<Peaks>>,
    /// The file each key was asked for, so that a key that comes to name another file
    /// (a relative path in another project) is computed again.
    asked: HashMap<String, PathBuf>,
    worker: Worker<Request, Option<Peaks>>,
    outstanding: usize,
}

impl Default for Waveforms {
    fn default() -> Self {
        Waveforms {
            peaks: HashMap::new(),
            asked: HashMap::new(),
            worker: Worker::new("cutroom-waveform", true, |r: &Request| {
                Peaks::compute(&r.path).ok()
            }),
            outstanding: 0,
        }
    }
}

impl Waveforms {
    /// Asks for the waveform of the media `key`, the file `path`, unless it was asked for
    /// already. Never blocks.
    pub fn request(&mut self, key: &str, path: &Path) {
        if self.asked.get(key).map(PathBuf::as_path) == Some(path) {
            return;
        }
        self.asked.insert(key.to_string(), path.to_path_buf());
        self.peaks.remove(key);
        let request = Request {
            key: key.to_string(),
            path: path.to_path_buf(),
        };
        // Without a thread to compute on, the clip is drawn without its waveform.
        if self.worker.send(request).is_ok() {
            self.outstanding += 1;
        }
    }

    /// Takes in the waveforms computed since the last call; `true` if any arrived. Never
    /// blocks.
    pub fn poll(&mut self) -> bool {
        let mut any = false;
        for (r, peaks) in self.worker.try_iter() {
            self.outstanding = self.outstanding.saturating_sub(1);
            // Only the answer for the file the key names now.
            if self.asked.get(&r.key) != Some(&r.path) {
                continue;
            }
            if let Some(p) = peaks {
                self.peaks.insert(r.key, Arc::new(p));
                any = true;
            }
        }
        any
    }

    /// How many waveforms are still being computed.
    pub fn pending(&self) -> usize {
        self.outstanding
    }

    /// The waveform of the media `key`, once computed.
    pub fn get(&self, key: &str) -> Option<&Peaks> {
        self.peaks.get(key).map(Arc::as_ref)
    }

    /// Waits up to `timeout` until the waveform of `key` is there. For scripts and tests;
    /// the UI never calls it.
    pub fn wait_for(&mut self, key: &str, timeout: std::time::Duration) -> Option<&Peaks> {
        let deadline = std::time::Instant::now() + timeout;
        while !self.peaks.contains_key(key) && std::time::Instant::now() < deadline {
            if !self.poll() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        self.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loudest_peak_of_a_span_is_found_and_outside_the_audio_is_silence() {
        let p = Peaks {
            values: vec![0.1, 0.5, 0.2, 0.0],
        };
        assert_eq!(p.max_over(0.0, 0.02), 0.5);
        assert_eq!(p.max_over(0.02, 0.021), 0.2, "at least the peak at `from`");
        assert_eq!(p.max_over(0.0, 1.0), 0.5);
        assert_eq!(p.max_over(0.04, 0.05), 0.0);
        assert_eq!(p.max_over(5.0, 6.0), 0.0);
        assert_eq!(p.max_over(-1.0, -0.5), 0.0);
        assert_eq!(p.max_over(-1.0, 0.005), 0.1);
    }

    #[test]
    fn heights_are_linear_in_decibels_above_the_floor() {
        assert_eq!(height_of(1.0), 1.0);
        assert!((height_of(0.1) - 2.0 / 3.0).abs() < 1e-6, "-20 dB");
        assert_eq!(height_of(0.0005), 0.0, "below -60 dB");
        assert_eq!(height_of(0.0), 0.0);
    }
}
