//! [`FfmpegSource`]: the plugin SDK's [`MediaSource`] over `cutroom-media`'s FFmpeg readers.
//!
//! Each `open_video`/`open_audio` call opens its own reader (its own decoder state), seeks
//! frame- or sample-exactly to the start of the requested range and stops at its end, so
//! several streams of one file can run at once on different threads. Frames requested at an
//! eighth of the source size or less decode with the analysis shortcuts of
//! [`DecodeOptions::analysis`] (no deblocking), which average away at that size.

use std::path::{Path, PathBuf};

use cutroom_media::video::DecodeOptions;
use cutroom_media::{AudioOutput, AudioReader, VideoOutput, VideoReader};
use cutroom_plugin::context::{AudioIter, VideoIter};
use cutroom_plugin::{
    AudioChunk, AudioRequest, Frame, MediaError, MediaMeta, MediaSource, PixelFormat, VideoRequest,
};
use cutroom_timeline::{Rate, RationalTime, TimeRange};

/// A media file, probed once, that plugins can read frames and samples from.
#[derive(Debug, Clone)]
pub struct FfmpegSource {
    path: PathBuf,
    meta: MediaMeta,
}

fn media_error(path: &Path, e: cutroom_media::MediaError) -> MediaError {
    MediaError::Open {
        name: path.display().to_string(),
        reason: e.to_string(),
    }
}

impl FfmpegSource {
    /// Probes `path` and prepares to read it. Fails with the file name and cause when the file
    /// is missing, unreadable or not media.
    pub fn open(path: impl AsRef<Path>) -> Result<FfmpegSource, cutroom_media::MediaError> {
        let path = path.as_ref().to_path_buf();
        let info = cutroom_media::probe(&path)?;
        let video = info.video();
        let audio = info.audio();
        let frame_rate = video.and_then(|v| v.frame_rate);
        let duration = info
            .duration
            .or_else(|| info.streams.iter().filter_map(|s| s.duration).max())
            .unwrap_or(RationalTime::zero(Rate::MILLIS));
        // Express the duration at the most natural rate: frames for video, samples for audio.
        // A still image (PNG, JPEG…) has no duration: it is one frame.
        let duration = match (frame_rate, audio) {
            (Some(r), _) => RationalTime::new(duration.to_frames(r).max(1), r),
            (None, Some(a)) => Rate::whole(a.sample_rate)
                .map(|r| duration.rescaled_to(r))
                .unwrap_or(duration),
            _ => duration,
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let meta = MediaMeta {
            name,
            duration,
            frame_rate,
            width: video.map(|v| v.width).unwrap_or(0),
            height: video.map(|v| v.height).unwrap_or(0),
            sample_rate: audio.map(|a| a.sample_rate),
            channels: audio.map(|a| a.channels as u16).unwrap_or(0),
            range: TimeRange::new(RationalTime::zero(duration.rate), duration),
        };
        Ok(FfmpegSource { path, meta })
    }

    /// The file this source reads.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn to_media_format(f: PixelFormat) -> cutroom_media::PixelFormat {
    match f {
        PixelFormat::Gray8 => cutroom_media::PixelFormat::Gray8,
        PixelFormat::Rgb24 => cutroom_media::PixelFormat::Rgb24,
        PixelFormat::Rgba => cutroom_media::PixelFormat::Rgba,
    }
}

/// Copies a possibly padded frame into tightly packed rows. A frame that sits exactly on the
/// frame-rate grid gets its time expressed at the frame rate (frame 12 at 25 fps, rather than
/// 6144 ticks of a 1/12800 time base); off-grid (variable-rate) times are kept as they are.
fn packed(frame: cutroom_media::VideoFrame, format: PixelFormat, rate: Rate) -> Frame {
    let on_grid = RationalTime::new(frame.index, rate);
    let time = if frame.time == on_grid {
        on_grid
    } else {
        frame.time
    };
    let row = frame.width as usize * format.bytes_per_pixel();
    let data = if frame.stride == row {
        frame.data
    } else {
        let mut out = Vec::with_capacity(row * frame.height as usize);
        for y in 0..frame.height as usize {
            out.extend_from_slice(&frame.data[y * frame.stride..y * frame.stride + row]);
        }
        out
    };
    Frame {
        index: frame.index,
        time,
        width: frame.width,
        height: frame.height,
        format,
        data,
    }
}

impl MediaSource for FfmpegSource {
    fn meta(&self) -> MediaMeta {
        self.meta.clone()
    }

    fn open_video(
        &self,
        request: &VideoRequest,
        range: TimeRange,
    ) -> Result<VideoIter, MediaError> {
        let rate = self.meta.frame_rate.ok_or(MediaError::NoStream("video"))?;
        let output = VideoOutput {
            width: request.width,
            height: request.height,
            format: to_media_format(request.format),
        };
        let options = if is_analysis_size(request, self.meta.width, self.meta.height) {
            DecodeOptions::analysis()
        } else {
            DecodeOptions::default()
        };
        let mut reader = VideoReader::open_with(&self.path, output, options)
            .map_err(|e| media_error(&self.path, e))?;
        let first = range.start.to_frames(rate).max(0);
        let end = range.end_exclusive().to_frames(rate);
        if first > 0 {
            reader
                .seek_to_frame(first)
                .map_err(|e| media_error(&self.path, e))?;
        }
        let format = request.format;
        let path = self.path.clone();
        let iter = reader
            .map(move |r| {
                r.map(|f| packed(f, format, rate))
                    .map_err(|e| MediaError::Decode {
                        at: path.display().to_string(),
                        reason: e.to_string(),
                    })
            })
            .take_while(move |r| r.as_ref().map_or(true, |f| f.index < end));
        Ok(Box::new(iter))
    }

    fn open_audio(
        &self,
        request: &AudioRequest,
        range: TimeRange,
    ) -> Result<AudioIter, MediaError> {
        if self.meta.sample_rate.is_none() {
            return Err(MediaError::NoStream("audio"));
        }
        let out_rate =
            Rate::whole(request.sample_rate).map_err(|e| MediaError::Unsupported(e.to_string()))?;
        let mut reader = AudioReader::open(
            &self.path,
            AudioOutput {
                sample_rate: request.sample_rate,
                channels: request.channels,
            },
        )
        .map_err(|e| media_error(&self.path, e))?;
        let first = range.start.rescaled_to(out_rate).value.max(0);
        let end = range.end_exclusive().rescaled_to(out_rate).value;
        if first > 0 {
            reader
                .seek_to_sample(first)
                .map_err(|e| media_error(&self.path, e))?;
        }
        let path = self.path.clone();
        let iter = reader
            .map(move |r| {
                r.map_err(|e| MediaError::Decode {
                    at: path.display().to_string(),
                    reason: e.to_string(),
                })
            })
            .take_while(move |r| r.as_ref().map_or(true, |c| c.start < end))
            .filter_map(move |r| match r {
                Err(e) => Some(Err(e)),
                Ok(c) => trim_chunk(c, first, end).map(Ok),
            });
        Ok(Box::new(iter))
    }
}

/// Frames requested at an eighth of the source size or less, on both axes, are for analysis:
/// each output pixel averages 64 or more decoded pixels, so the reader may take the decoder
/// shortcuts of [`DecodeOptions::analysis`] (their effect averages away).
fn is_analysis_size(request: &VideoRequest, width: u32, height: u32) -> bool {
    request.width > 0
        && request.height > 0
        && u64::from(request.width) * 8 <= u64::from(width)
        && u64::from(request.height) * 8 <= u64::from(height)
}

/// Cuts a chunk to the sample range `[first, end)`; `None` when nothing is left.
fn trim_chunk(c: cutroom_media::AudioChunk, first: i64, end: i64) -> Option<AudioChunk> {
    let ch = c.channels.max(1) as usize;
    let frames = c.data.len() / ch;
    let lo = (first - c.start).clamp(0, frames as i64) as usize;
    let hi = (end - c.start).clamp(0, frames as i64) as usize;
    if hi <= lo {
        return None;
    }
    Some(AudioChunk {
        start_sample: c.start + lo as i64,
        sample_rate: c.sample_rate,
        channels: c.channels,
        samples: c.data[lo * ch..hi * ch].to_vec(),
    })
}
