//! `probe`: what a media file contains, without decoding it (beyond a few packets).

use std::path::Path;

use cutroom_timeline::{Rate, RationalTime};
use ffmpeg_next as ffmpeg;
use serde::Serialize;

use crate::ffio;
use crate::MediaError;

/// What a media file contains, as reported by `cutroom probe --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaInfo {
    /// The path as given.
    pub path: String,
    /// FFmpeg's short name of the container format, e.g. `"mov,mp4,m4a,3gp,3g2,mj2"`.
    pub format: String,
    /// Human-readable container format name, e.g. `"QuickTime / MOV"`.
    pub format_long_name: String,
    /// Duration of the whole file in microseconds (rate 1000000/1), if the container knows it.
    pub duration: Option<RationalTime>,
    /// Container start time in microseconds, if known (usually zero).
    pub start_time: Option<RationalTime>,
    /// Overall bit rate in bits per second, if known.
    pub bit_rate: Option<u64>,
    /// Source timecode of the first frame (the `timecode` tag of the file or of any stream).
    pub timecode: Option<String>,
    /// Every stream, in file order.
    pub streams: Vec<StreamInfo>,
}

impl MediaInfo {
    /// The first video stream, if any.
    pub fn video(&self) -> Option<&VideoStreamInfo> {
        self.streams.iter().find_map(|s| match &s.kind {
            StreamKind::Video(v) => Some(v),
            _ => None,
        })
    }

    /// The first audio stream, if any.
    pub fn audio(&self) -> Option<&AudioStreamInfo> {
        self.streams.iter().find_map(|s| match &s.kind {
            StreamKind::Audio(a) => Some(a),
            _ => None,
        })
    }

    /// All subtitle streams.
    pub fn subtitles(&self) -> impl Iterator<Item = &SubtitleStreamInfo> {
        self.streams.iter().filter_map(|s| match &s.kind {
            StreamKind::Subtitle(t) => Some(t),
            _ => None,
        })
    }
}

/// One stream of a media file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamInfo {
    /// Index of the stream in the file.
    pub index: usize,
    /// Codec short name (`"h264"`, `"aac"`, `"subrip"`…), `"none"` when unknown.
    pub codec: String,
    /// Stream duration in its own time base, if known.
    pub duration: Option<RationalTime>,
    /// Language tag (`"eng"`…), if present.
    pub language: Option<String>,
    /// What kind of stream it is, with the kind's properties.
    #[serde(flatten)]
    pub kind: StreamKind,
}

/// The kind of a stream and its kind-specific properties.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StreamKind {
    /// Pictures.
    Video(VideoStreamInfo),
    /// Sound.
    Audio(AudioStreamInfo),
    /// Subtitles or captions.
    Subtitle(SubtitleStreamInfo),
    /// Anything else (data, timecode tracks, attachments).
    Other {
        /// FFmpeg's media type name (`"data"`, `"attachment"`…).
        medium: String,
    },
}

/// Properties of a video stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoStreamInfo {
    /// Codec short name (also in [`StreamInfo::codec`], so not repeated in JSON).
    #[serde(skip)]
    pub codec: String,
    /// Coded width in pixels (before rotation).
    pub width: u32,
    /// Coded height in pixels (before rotation).
    pub height: u32,
    /// Pixel format name as FFmpeg spells it (`"yuv420p"`, `"yuv420p10le"`…).
    pub pixel_format: Option<String>,
    /// The frame rate frames are indexed at: the stream's base rate (`r_frame_rate`), falling
    /// back to the average rate. Exact: 30000/1001 stays 30000/1001.
    pub frame_rate: Option<Rate>,
    /// The average frame rate the container reports (`avg_frame_rate`), if known.
    pub avg_frame_rate: Option<Rate>,
    /// True when the first packets' time stamps are not evenly spaced at `frame_rate`, or the
    /// average and base rates disagree: frames are not on a regular grid.
    pub variable_frame_rate: bool,
    /// Rotation in degrees, normalised to 0..360, as the legacy `rotate` tag states it: a file
    /// written with `rotate=90` (a phone's portrait video) reports 90. Read from the
    /// display-matrix side data (FFmpeg's `av_display_rotation_get`, which is what `ffprobe`
    /// prints as `rotation`), else from the `rotate` tag. Frames are delivered unrotated.
    pub rotation: i32,
    /// Number of frames, if the container declares it.
    pub frame_count: Option<u64>,
}

/// Properties of an audio stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioStreamInfo {
    /// Codec short name (also in [`StreamInfo::codec`], so not repeated in JSON).
    #[serde(skip)]
    pub codec: String,
    /// Samples per second.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u32,
    /// Channel layout name as FFmpeg describes it (`"mono"`, `"stereo"`, `"5.1"`…).
    pub layout: Option<String>,
    /// Sample format name (`"fltp"`, `"s16"`…).
    pub sample_format: Option<String>,
}

/// Properties of a subtitle stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubtitleStreamInfo {
    /// Codec short name (`"subrip"`, `"mov_text"`, `"webvtt"`…; also in
    /// [`StreamInfo::codec`], so not repeated in JSON).
    #[serde(skip)]
    pub codec: String,
    /// Language tag, if present (also in [`StreamInfo::language`], so not repeated in JSON).
    #[serde(skip)]
    pub language: Option<String>,
}

/// How many video packets the frame-rate regularity check looks at.
const VFR_PACKETS: usize = 120;

/// Reads the container and stream headers of `path` (and a few video packets for the
/// variable-frame-rate check) and describes the file.
pub fn probe(path: impl AsRef<Path>) -> Result<MediaInfo, MediaError> {
    let path = path.as_ref();
    let mut input = ffio::open_input(path)?;

    let us = Rate::new(1_000_000, 1).ok();
    let known = |v: i64| (v != ffmpeg::ffi::AV_NOPTS_VALUE && v >= 0).then_some(v);
    let duration = known(input.duration()).and_then(|d| us.map(|r| RationalTime::new(d, r)));
    // SAFETY: `input` is a valid, opened format context.
    let (start, bit_rate) = unsafe { ((*input.as_ptr()).start_time, (*input.as_ptr()).bit_rate) };
    let start_time = (start != ffmpeg::ffi::AV_NOPTS_VALUE)
        .then_some(start)
        .and_then(|d| us.map(|r| RationalTime::new(d, r)));
    let bit_rate = (bit_rate > 0).then_some(bit_rate as u64);
    let format = input.format().name().to_string();
    let format_long_name = input.format().description().to_string();
    let mut timecode = input.metadata().get("timecode").map(str::to_string);

    let mut streams = Vec::new();
    let mut video_indices = Vec::new();
    for stream in input.streams() {
        let params = stream.parameters();
        let codec = codec_name(params.id());
        let language = stream.metadata().get("language").map(str::to_string);
        if timecode.is_none() {
            timecode = stream.metadata().get("timecode").map(str::to_string);
        }
        let tb = stream.time_base();
        let duration = known(stream.duration()).and_then(|d| ffio::ticks_time(d, tb));
        // SAFETY: the parameters belong to a stream of the open context.
        let raw = unsafe { &*params.as_ptr() };
        let kind = match params.medium() {
            ffmpeg::media::Type::Video => {
                video_indices.push(stream.index());
                let r = ffio::rate_of(stream.rate());
                let avg = ffio::rate_of(stream.avg_frame_rate());
                let frames = stream.frames();
                StreamKind::Video(VideoStreamInfo {
                    codec: codec.clone(),
                    width: raw.width.max(0) as u32,
                    height: raw.height.max(0) as u32,
                    pixel_format: pixel_format_name(raw.format),
                    frame_rate: r.or(avg),
                    avg_frame_rate: avg,
                    variable_frame_rate: matches!((r, avg), (Some(r), Some(a)) if r != a),
                    rotation: rotation_of(&stream),
                    frame_count: (frames > 0).then_some(frames as u64),
                })
            }
            ffmpeg::media::Type::Audio => StreamKind::Audio(AudioStreamInfo {
                codec: codec.clone(),
                sample_rate: raw.sample_rate.max(0) as u32,
                channels: raw.ch_layout.nb_channels.max(0) as u32,
                layout: layout_name(&raw.ch_layout),
                sample_format: sample_format_name(raw.format),
            }),
            ffmpeg::media::Type::Subtitle => StreamKind::Subtitle(SubtitleStreamInfo {
                codec: codec.clone(),
                language: language.clone(),
            }),
            other => StreamKind::Other {
                medium: format!("{other:?}").to_lowercase(),
            },
        };
        streams.push(StreamInfo {
            index: stream.index(),
            codec,
            duration,
            language,
            kind,
        });
    }

    // A rate disagreement alone is a weak signal (some muxers round the average); confirm or
    // overturn it with the actual spacing of the first packets' time stamps.
    if let Some(&first) = video_indices.first() {
        if let Some(regular) = packets_are_regular(&mut input, first, path) {
            for s in &mut streams {
                if s.index == first {
                    if let StreamKind::Video(v) = &mut s.kind {
                        v.variable_frame_rate = !regular;
                    }
                }
            }
        }
    }

    Ok(MediaInfo {
        path: path.display().to_string(),
        format,
        format_long_name,
        duration,
        start_time,
        bit_rate,
        timecode,
        streams,
    })
}

/// Whether the first video packets sit on the grid of the stream's base rate, each step one
/// frame (within one tick of the time base). `None` when it cannot be told (too few packets,
/// no time stamps, no rate).
fn packets_are_regular(
    input: &mut ffmpeg::format::context::Input,
    stream_index: usize,
    path: &Path,
) -> Option<bool> {
    let stream = input.stream(stream_index)?;
    let tb = stream.time_base();
    let rate = ffio::rate_of(stream.rate()).or_else(|| ffio::rate_of(stream.avg_frame_rate()))?;
    let mut pts = Vec::with_capacity(VFR_PACKETS);
    let mut packet = ffmpeg::Packet::empty();
    let mut reads = 0usize;
    while pts.len() < VFR_PACKETS && reads < VFR_PACKETS * 16 {
        reads += 1;
        match ffio::read_packet(input, &mut packet, path) {
            Ok(ffio::ReadOutcome::Packet) => {
                if packet.stream() == stream_index {
                    if let Some(p) = packet.pts() {
                        pts.push(p);
                    }
                }
            }
            _ => break,
        }
    }
    if pts.len() < 3 {
        return None;
    }
    pts.sort_unstable();
    // One frame in ticks, as an exact fraction: frame = tb.den * rate.den / (tb.num * rate.num).
    let fnum = tb.denominator() as i128 * rate.den() as i128;
    let fden = tb.numerator() as i128 * rate.num() as i128;
    if fden <= 0 {
        return None;
    }
    let regular = pts.windows(2).all(|w| {
        let delta = (w[1] - w[0]) as i128;
        // |delta - frame| <= 1 tick  <=>  |delta*fden - fnum| <= fden
        (delta * fden - fnum).abs() <= fden
    });
    Some(regular)
}

fn codec_name(id: ffmpeg::codec::Id) -> String {
    let name = id.name();
    if name.is_empty() {
        "none".into()
    } else {
        name.to_string()
    }
}

extern "C" {
    // Declared with `int` rather than the enum type so that an out-of-range value coming from
    // a damaged file is passed through as a plain integer (FFmpeg returns NULL for it).
    #[link_name = "av_get_pix_fmt_name"]
    fn pix_fmt_name_of_int(pix_fmt: std::os::raw::c_int) -> *const std::os::raw::c_char;
    #[link_name = "av_get_sample_fmt_name"]
    fn sample_fmt_name_of_int(sample_fmt: std::os::raw::c_int) -> *const std::os::raw::c_char;
}

fn c_str(p: *const std::os::raw::c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: FFmpeg returns pointers to static NUL-terminated names.
    Some(
        unsafe { std::ffi::CStr::from_ptr(p) }
            .to_string_lossy()
            .into_owned(),
    )
}

fn pixel_format_name(format: i32) -> Option<String> {
    if format < 0 {
        return None;
    }
    // SAFETY: takes any integer; returns NULL for unknown values.
    c_str(unsafe { pix_fmt_name_of_int(format) })
}

fn sample_format_name(format: i32) -> Option<String> {
    if format < 0 {
        return None;
    }
    // SAFETY: takes any integer; returns NULL for unknown values.
    c_str(unsafe { sample_fmt_name_of_int(format) })
}

fn layout_name(layout: &ffmpeg::ffi::AVChannelLayout) -> Option<String> {
    let mut buf = [0 as std::os::raw::c_char; 128];
    // SAFETY: `layout` is a valid channel layout of the stream; the buffer size is passed.
    let n = unsafe { ffmpeg::ffi::av_channel_layout_describe(layout, buf.as_mut_ptr(), buf.len()) };
    if n <= 0 {
        return None;
    }
    c_str(buf.as_ptr()).filter(|s| !s.is_empty())
}

/// Display rotation in degrees (see [`VideoStreamInfo::rotation`]).
fn rotation_of(stream: &ffmpeg::format::stream::Stream) -> i32 {
    for side in stream.side_data() {
        if side.kind() == ffmpeg::codec::packet::side_data::Type::DisplayMatrix {
            if let Some(deg) = display_matrix_rotation(side.data()) {
                return deg;
            }
        }
    }
    stream
        .metadata()
        .get("rotate")
        .and_then(|r| r.trim().parse::<f64>().ok())
        .filter(|r| r.is_finite())
        .map(|r| normalise_degrees(r.round() as i64))
        .unwrap_or(0)
}

/// Rotation from a 3x3 display matrix of 16.16 fixed-point `i32`s, computed as FFmpeg's
/// `av_display_rotation_get` does, normalised to 0..360.
fn display_matrix_rotation(data: &[u8]) -> Option<i32> {
    if data.len() < 36 {
        return None;
    }
    let m = |i: usize| -> Option<f64> {
        let b: [u8; 4] = data.get(i * 4..i * 4 + 4)?.try_into().ok()?;
        Some(i32::from_ne_bytes(b) as f64 / 65536.0)
    };
    let (a, b, c, d) = (m(0)?, m(1)?, m(3)?, m(4)?);
    let scale0 = a.hypot(c);
    let scale1 = b.hypot(d);
    if scale0 == 0.0 || scale1 == 0.0 {
        return None;
    }
    let ccw = -(b / scale1).atan2(a / scale0).to_degrees();
    if !ccw.is_finite() {
        return None;
    }
    Some(normalise_degrees(ccw.round() as i64))
}

fn normalise_degrees(d: i64) -> i32 {
    d.rem_euclid(360) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(a: i32, b: i32, c: i32, d: i32) -> Vec<u8> {
        let m = [a, b, 0, c, d, 0, 0, 0, 1 << 30];
        m.iter().flat_map(|v| v.to_ne_bytes()).collect()
    }

    #[test]
    fn identity_display_matrix_means_no_rotation() {
        assert_eq!(
            display_matrix_rotation(&matrix(65536, 0, 0, 65536)),
            Some(0)
        );
    }

    #[test]
    fn short_display_matrix_is_ignored() {
        assert_eq!(display_matrix_rotation(&[0u8; 12]), None);
    }

    #[test]
    fn degrees_normalise_into_one_turn() {
        assert_eq!(normalise_degrees(-90), 270);
        assert_eq!(normalise_degrees(450), 90);
    }
}
