//! [`AudioReader`]: interleaved `f32` samples at a chosen rate and channel count, with exact
//! sample positions and sample-accurate seeking.

use std::path::{Path, PathBuf};

use cutroom_timeline::{Rate, RationalTime};
use ffmpeg_next as ffmpeg;
use ffmpeg_next::software::resampling;
use ffmpeg_next::util::channel_layout::ChannelLayout;

use crate::ffio;
use crate::MediaError;

/// The samples an [`AudioReader`] should produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct AudioOutput {
    /// Samples per second per channel (e.g. 16000 for speech models, 48000 for playback).
    pub sample_rate: u32,
    /// Channel count (1 = mono, mixed down; 2 = stereo…).
    pub channels: u16,
}

/// A run of interleaved samples starting at an exact sample position.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    /// Position of the first sample frame, counted at the output rate from the stream's start.
    pub start: i64,
    /// Output sample rate.
    pub sample_rate: u32,
    /// Output channel count.
    pub channels: u16,
    /// `frames() * channels` samples, channel-interleaved.
    pub data: Vec<f32>,
}

impl AudioChunk {
    /// Number of sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.data.len() / usize::from(self.channels.max(1))
    }

    /// Exact time of the first sample, at the output rate.
    pub fn time(&self) -> RationalTime {
        match Rate::new(i64::from(self.sample_rate), 1) {
            Ok(rate) => RationalTime::new(self.start, rate),
            Err(_) => RationalTime::new(self.start, Rate::HZ_48000),
        }
    }

    /// Position one past the last sample frame.
    pub fn end(&self) -> i64 {
        self.start + self.frames() as i64
    }
}

const MAX_SAMPLE_RATE: u32 = 768_000;
const MAX_CHANNELS: u16 = 64;

/// Streams the first audio stream of a file as interleaved `f32`, resampled and remixed.
///
/// Positions are exact: the first chunk starts at the first decoded sample's time stamp
/// (converted to the output rate) and every later chunk starts where the previous one ended.
/// After an error the reader is finished until the next successful seek.
pub struct AudioReader {
    path: PathBuf,
    demux: ffio::Demuxer,
    decoder: ffmpeg::decoder::Audio,
    output: AudioOutput,
    out_layout: ChannelLayout,
    resampler: Option<(resampling::Context, (ffmpeg::format::Sample, u64, i32, u32))>,
    decoded: ffmpeg::frame::Audio,
    converted: Option<ffmpeg::frame::Audio>,
    converted_cap: usize,
    flushed: bool,
    finished: bool,
    /// Position of the next output sample, once known.
    position: Option<i64>,
    /// Drop output before this position (set by seeking).
    discard_before: Option<i64>,
}

// SAFETY: all FFmpeg objects are owned exclusively by the reader and used through `&mut self`
// only; FFmpeg permits using them from any one thread at a time.
unsafe impl Send for AudioReader {}

impl std::fmt::Debug for AudioReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioReader")
            .field("path", &self.path)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl AudioReader {
    /// Opens the first (best) audio stream of `path`, producing samples as `output` describes.
    pub fn open(path: impl AsRef<Path>, output: AudioOutput) -> Result<AudioReader, MediaError> {
        let path = path.as_ref();
        let owned = || path.to_path_buf();
        if output.sample_rate == 0
            || output.sample_rate > MAX_SAMPLE_RATE
            || output.channels == 0
            || output.channels > MAX_CHANNELS
        {
            return Err(MediaError::Convert {
                path: owned(),
                reason: format!(
                    "requested output {} Hz x {} channels is out of range (1..={MAX_SAMPLE_RATE} Hz, 1..={MAX_CHANNELS} channels)",
                    output.sample_rate, output.channels
                ),
            });
        }
        let input = ffio::open_input(path)?;
        let setup = ffio::StreamSetup::best(&input, path, ffmpeg::media::Type::Audio, "audio")?;
        let demux = ffio::Demuxer::new(input, &setup);
        let decoder = setup
            .codec
            .decoder()
            .audio()
            .map_err(|e| ffio::open_error(path, "audio", setup.codec_id, e))?;
        Ok(AudioReader {
            path: owned(),
            demux,
            decoder,
            output,
            out_layout: ChannelLayout::default(i32::from(output.channels)),
            resampler: None,
            decoded: ffmpeg::frame::Audio::empty(),
            converted: None,
            converted_cap: 0,
            flushed: false,
            finished: false,
            position: None,
            discard_before: None,
        })
    }

    /// The output specification this reader was opened with.
    pub fn output(&self) -> AudioOutput {
        self.output
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next chunk of samples, `Ok(None)` at the end of the stream.
    pub fn next_chunk(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            match self.step() {
                Ok(Some(chunk)) => {
                    if let Some(chunk) = self.trim(chunk) {
                        return Ok(Some(chunk));
                    }
                }
                Ok(None) => {
                    self.finished = true;
                    return Ok(None);
                }
                Err(e) => {
                    self.finished = true;
                    return Err(e);
                }
            }
        }
    }

    /// Positions the reader so that the next chunk starts exactly at sample `n` of the output
    /// rate (or at the stream's end if `n` is past it, in which case the next call returns
    /// `Ok(None)`).
    pub fn seek_to_sample(&mut self, n: i64) -> Result<(), MediaError> {
        if n < 0 {
            return Err(self.seek_error(format!("sample {n} is negative")));
        }
        let out_rate = Rate::new(i64::from(self.output.sample_rate), 1)
            .map_err(|e| self.seek_error(e.to_string()))?;
        let target = ffio::units_to_ticks_floor(n, out_rate, self.demux.time_base)
            .saturating_add(self.demux.origin);
        // Pre-roll: start decoding a little early so that codecs with overlapping frames
        // (AAC, MP3, Opus) have settled by the target; the surplus is trimmed.
        let preroll = ffio::units_to_ticks_floor(
            1,
            Rate::new(10, 1).unwrap_or(out_rate),
            self.demux.time_base,
        );
        if let Err(e) = self.demux.seek(target.saturating_sub(preroll)) {
            return Err(self.seek_error(ffio::describe(e)));
        }
        self.decoder.flush();
        self.resampler = None;
        self.flushed = false;
        self.finished = false;
        self.position = None;
        self.discard_before = Some(n);
        Ok(())
    }

    fn seek_error(&self, reason: String) -> MediaError {
        MediaError::Seek {
            path: self.path.clone(),
            reason,
        }
    }

    /// Drops samples before a seek target. `None` when the whole chunk is before it.
    fn trim(&mut self, mut chunk: AudioChunk) -> Option<AudioChunk> {
        let Some(target) = self.discard_before else {
            return Some(chunk);
        };
        if chunk.end() <= target {
            return None;
        }
        if chunk.start < target {
            let skip = (target - chunk.start) as usize * usize::from(self.output.channels);
            chunk.data.drain(..skip.min(chunk.data.len()));
            chunk.start = target;
        }
        self.discard_before = None;
        Some(chunk)
    }

    /// Produces the next converted chunk (possibly before a seek target).
    fn step(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        loop {
            if self.flushed {
                return Ok(None);
            }
            match self.decoder.receive_frame(&mut self.decoded) {
                Ok(()) => {
                    if self.decoded.samples() == 0 {
                        continue;
                    }
                    let chunk = self.convert_decoded()?;
                    if chunk.data.is_empty() {
                        continue;
                    }
                    return Ok(Some(chunk));
                }
                Err(ffmpeg::Error::Eof) => {
                    self.demux.check_complete(&self.path, "audio")?;
                    self.flushed = true;
                    return self.flush_resampler();
                }
                Err(e) if ffio::is_again(&e) => {}
                Err(e) => return Err(self.decode_error(e)),
            }
            if self.demux.at_end() {
                self.flushed = true;
                return self.flush_resampler();
            }
            match self.demux.feed(&mut self.decoder, &self.path) {
                Ok(()) => {}
                Err(ffio::FeedError::Read(e)) => return Err(e),
                Err(ffio::FeedError::Decode(e)) => return Err(self.decode_error(e)),
            }
        }
    }

    fn decode_error(&self, e: ffmpeg::Error) -> MediaError {
        MediaError::Decode {
            path: self.path.clone(),
            reason: match self.position {
                Some(p) => format!("{} near output sample {p}", ffio::describe_decode(e)),
                None => ffio::describe_decode(e),
            },
        }
    }

    /// Ensures an output frame with room for `samples` sample frames.
    fn output_frame(&mut self, samples: usize) -> &mut ffmpeg::frame::Audio {
        let need = samples.max(1);
        if self.converted.is_none() || self.converted_cap < need {
            let cap = need.next_power_of_two().max(4096);
            let mut frame = ffmpeg::frame::Audio::new(
                ffmpeg::format::Sample::F32(ffmpeg::format::sample::Type::Packed),
                cap,
                self.out_layout,
            );
            frame.set_rate(self.output.sample_rate);
            self.converted = Some(frame);
            self.converted_cap = cap;
        }
        let cap = self.converted_cap;
        let frame = self
            .converted
            .get_or_insert_with(ffmpeg::frame::Audio::empty);
        // swr_convert_frame treats nb_samples of an allocated frame as its capacity and
        // overwrites it with the count produced, so restore it before every call.
        frame.set_samples(cap);
        frame
    }

    fn convert_decoded(&mut self) -> Result<AudioChunk, MediaError> {
        let in_rate = self.decoded.rate();
        let in_format = self.decoded.format();
        let channels = i32::from(self.decoded.channels());
        if in_rate == 0 || channels <= 0 {
            return Err(MediaError::Decode {
                path: self.path.clone(),
                reason: "decoded audio frame has no sample rate or channels".into(),
            });
        }
        let mut layout = self.decoded.channel_layout();
        if layout.is_empty() || layout.channels() != channels || layout.bits() == 0 {
            layout = ChannelLayout::default(channels);
            self.decoded.set_channel_layout(layout);
        }
        let key = (in_format, layout.bits(), channels, in_rate);
        if self.resampler.as_ref().map(|(_, k)| *k) != Some(key) {
            // A mid-stream format change: drain what the old resampler holds first.
            let mut carried = Vec::new();
            if self.resampler.is_some() {
                if let Some(chunk) = self.flush_resampler()? {
                    carried = chunk.data;
                }
            }
            let ctx = resampling::Context::get(
                in_format,
                layout,
                in_rate,
                ffmpeg::format::Sample::F32(ffmpeg::format::sample::Type::Packed),
                self.out_layout,
                self.output.sample_rate,
            )
            .map_err(|e| MediaError::Convert {
                path: self.path.clone(),
                reason: format!(
                    "cannot resample {in_format:?} {in_rate} Hz x {channels} to f32 {} Hz x {}: {e}",
                    self.output.sample_rate, self.output.channels
                ),
            })?;
            self.resampler = Some((ctx, key));
            if self.position.is_none() {
                self.position = Some(self.position_of_decoded());
            }
            if !carried.is_empty() {
                // Rare path; keep the carried samples in front of this frame's.
                let mut chunk = self.run_resampler()?;
                carried.extend_from_slice(&chunk.data);
                chunk.data = carried;
                let frames = chunk.frames() as i64;
                chunk.start = self.position.unwrap_or(0) - frames;
                return Ok(chunk);
            }
        }
        if self.position.is_none() {
            self.position = Some(self.position_of_decoded());
        }
        self.run_resampler()
    }

    fn run_resampler(&mut self) -> Result<AudioChunk, MediaError> {
        let in_samples = self.decoded.samples();
        let in_rate = u64::from(self.decoded.rate().max(1));
        let estimate = (in_samples as u64 * u64::from(self.output.sample_rate)).div_ceil(in_rate)
            as usize
            + 256;
        self.output_frame(estimate);
        let (Some((resampler, _)), Some(out)) = (self.resampler.as_mut(), self.converted.as_mut())
        else {
            return Err(self.convert_error("resampler missing".into()));
        };
        let result = resampler.run(&self.decoded, out);
        if let Err(e) = result {
            return Err(self.convert_error(format!("resampling: {e}")));
        }
        Ok(self.take_converted())
    }

    fn flush_resampler(&mut self) -> Result<Option<AudioChunk>, MediaError> {
        let mut data = Vec::new();
        let start = self.position.unwrap_or(0);
        if self.resampler.is_none() {
            return Ok(None);
        }
        // Bounded: a resampler holds at most a filter's length of samples.
        for _ in 0..64 {
            self.output_frame(4096);
            let (Some((resampler, _)), Some(out)) =
                (self.resampler.as_mut(), self.converted.as_mut())
            else {
                break;
            };
            if let Err(e) = resampler.flush(out) {
                return Err(self.convert_error(format!("flushing the resampler: {e}")));
            }
            let chunk = self.take_converted();
            if chunk.data.is_empty() {
                break;
            }
            data.extend_from_slice(&chunk.data);
        }
        self.resampler = None;
        if data.is_empty() {
            return Ok(None);
        }
        Ok(Some(AudioChunk {
            start,
            sample_rate: self.output.sample_rate,
            channels: self.output.channels,
            data,
        }))
    }

    fn convert_error(&self, reason: String) -> MediaError {
        MediaError::Convert {
            path: self.path.clone(),
            reason,
        }
    }

    /// Copies the converted frame out and advances the position.
    fn take_converted(&mut self) -> AudioChunk {
        let channels = usize::from(self.output.channels);
        let start = self.position.unwrap_or(0);
        let data = match self.converted.as_ref() {
            Some(out) => {
                let n = out.samples() * channels;
                let bytes = out.data(0);
                bytes
                    .chunks_exact(4)
                    .take(n)
                    .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .collect::<Vec<f32>>()
            }
            None => Vec::new(),
        };
        let frames = (data.len() / channels.max(1)) as i64;
        self.position = Some(start + frames);
        AudioChunk {
            start,
            sample_rate: self.output.sample_rate,
            channels: self.output.channels,
            data,
        }
    }

    /// Output-rate position of the decoded frame's first sample.
    fn position_of_decoded(&self) -> i64 {
        let rate = Rate::new(i64::from(self.output.sample_rate), 1).unwrap_or(Rate::HZ_48000);
        self.decoded
            .timestamp()
            .or(self.decoded.pts())
            .and_then(|t| {
                ffio::ticks_to_units(
                    t.saturating_sub(self.demux.origin),
                    self.demux.time_base,
                    rate,
                )
            })
            .unwrap_or(0)
    }
}

impl Iterator for AudioReader {
    type Item = Result<AudioChunk, MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}
