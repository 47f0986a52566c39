//! Internal FFmpeg plumbing shared by the probe and the readers: one-time initialisation,
//! opening an input with clear errors, rational conversions, packet reading and the
//! demuxing half of a reader ([`Demuxer`]).

use std::path::{Path, PathBuf};
use std::sync::Once;

use cutroom_timeline::{Rate, RationalTime};
use ffmpeg_next as ffmpeg;

use crate::MediaError;

static INIT: Once = Once::new();

/// Initialises FFmpeg once per process and keeps its logging quiet (errors reach callers as
/// [`MediaError`] values; FFmpeg's own log would only repeat them on stderr).
pub(crate) fn init() {
    INIT.call_once(|| {
        // `init` only registers components on old FFmpeg versions and cannot fail on 5.x+.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// What a reader needs of the stream it decodes, read once when it is opened.
pub(crate) struct StreamSetup {
    /// Index of the stream in the container.
    pub(crate) index: usize,
    /// Time base of the stream's timestamps.
    pub(crate) time_base: ffmpeg::Rational,
    /// The time base as a rate (ticks per second).
    pub(crate) tick_rate: Rate,
    /// Timestamp of the stream's start (0 when the container does not say).
    pub(crate) origin: i64,
    /// Timestamp of the stream's end, when the container states a duration.
    pub(crate) end_ticks: Option<i64>,
    /// Frame count the container declares, if any.
    pub(crate) frames: Option<i64>,
    /// Declared frame rate, else the average frame rate (video).
    pub(crate) frame_rate: Option<Rate>,
    /// A codec context from the stream's parameters, not yet opened.
    pub(crate) codec: ffmpeg::codec::Context,
    /// The stream's codec, for error messages.
    pub(crate) codec_id: ffmpeg::codec::Id,
}

impl StreamSetup {
    /// Picks the best stream of `kind` (`name` is "video" or "audio" in messages) and reads
    /// its timing and codec parameters.
    pub(crate) fn best(
        input: &ffmpeg::format::context::Input,
        path: &Path,
        kind: ffmpeg::media::Type,
        name: &'static str,
    ) -> Result<StreamSetup, MediaError> {
        let owned = || path.to_path_buf();
        let stream = input.streams().best(kind).ok_or(MediaError::NoStream {
            path: owned(),
            kind: name,
        })?;
        let time_base = stream.time_base();
        let tick_rate = tick_rate(time_base).ok_or_else(|| MediaError::Unsupported {
            path: owned(),
            reason: format!("invalid {name} time base {time_base}"),
        })?;
        let start = stream.start_time();
        let origin = if start == ffmpeg::ffi::AV_NOPTS_VALUE {
            0
        } else {
            start
        };
        let duration = stream.duration();
        let mut end_ticks = (duration > 0 && duration != ffmpeg::ffi::AV_NOPTS_VALUE)
            .then(|| origin.saturating_add(duration));
        // FFmpeg takes a WAV file's length from the file's size, so a cut-off copy would end
        // cleanly; its header still declares the whole length.
        if kind == ffmpeg::media::Type::Audio && input.format().name() == "wav" {
            if let Some((frames, rate)) = wav_declared_length(path) {
                let declared = units_to_ticks_floor(frames, rate, time_base);
                end_ticks = Some(end_ticks.unwrap_or(0).max(origin.saturating_add(declared)));
            }
        }
        let frames = stream.frames();
        let codec = ffmpeg::codec::Context::from_parameters(stream.parameters())
            .map_err(|e| codec_error(path, name, e))?;
        Ok(StreamSetup {
            index: stream.index(),
            time_base,
            tick_rate,
            origin,
            end_ticks,
            frames: (frames > 0).then_some(frames),
            frame_rate: rate_of(stream.rate()).or_else(|| rate_of(stream.avg_frame_rate())),
            codec,
            codec_id: stream.parameters().id(),
        })
    }
}

/// The WAV format tag whose real tag is in its sub-format GUID.
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xfffe;

/// WAV data sizes from here up are placeholders of a streamed file (see
/// [`wav_declared_length`]).
const STREAMED_WAV_SIZE: u32 = 0x7fff_0000;

/// The length a WAV file's header declares: sample frames in its `data` chunk and the sample
/// rate. `None` for compressed audio (ADPCM, MP3…, whose blocks are not sample frames), when
/// the header cannot be read, or when it declares no usable length: 0, or one of
/// the placeholders programs write when they stream a WAV file without coming back to
/// finish its header (all ones; `0x7ffff000` from espeak-ng). Declared sizes from 2 GiB
/// minus 64 KiB up count as such placeholders, so a cut-off copy of a WAV file that large
/// goes unnoticed, as it does in FFmpeg.
pub(crate) fn wav_declared_length(path: &Path) -> Option<(i64, Rate)> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    let u32_at = |i: usize| -> Option<u32> {
        Some(u32::from_le_bytes(head.get(i..i + 4)?.try_into().ok()?))
    };
    let u16_at = |i: usize| -> Option<u16> {
        Some(u16::from_le_bytes(head.get(i..i + 2)?.try_into().ok()?))
    };
    if head.get(0..4)? != b"RIFF" || head.get(8..12)? != b"WAVE" {
        return None;
    }
    let (mut at, mut format) = (12usize, None);
    while at + 8 <= head.len() {
        let (id, size) = (head.get(at..at + 4)?, u32_at(at + 4)?);
        let body = at + 8;
        match id {
            b"fmt " => {
                let mut tag = u16_at(body)?;
                if tag == WAVE_FORMAT_EXTENSIBLE {
                    // The sub-format GUID starts with the format tag it stands for.
                    tag = u16_at(body + 24)?;
                }
                // Only for uncompressed audio does a block hold exactly one sample frame.
                if !matches!(tag, 1 | 3 | 6 | 7) {
                    return None;
                }
                format = Some((u32_at(body + 4)?, u16_at(body + 12)?));
            }
            b"data" => {
                let (rate, align) = format?;
                if size == 0 || size >= STREAMED_WAV_SIZE || align == 0 || rate == 0 {
                    return None;
                }
                let rate = Rate::new(i64::from(rate), 1).ok()?;
                return Some((i64::from(size / u32::from(align)), rate));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at = body
            .checked_add(size as usize)?
            .checked_add(size as usize & 1)?;
    }
    None
}

/// The error for a decoder of `codec` that failed to open, naming a codec this FFmpeg build
/// cannot decode as such.
pub(crate) fn open_error(
    path: &Path,
    name: &'static str,
    codec: ffmpeg::codec::Id,
    e: ffmpeg::Error,
) -> MediaError {
    match e {
        ffmpeg::Error::DecoderNotFound => MediaError::Codec {
            path: path.to_path_buf(),
            kind: name,
            reason: format!("no decoder for codec {codec:?} in this FFmpeg build"),
        },
        other => codec_error(path, name, other),
    }
}

/// A codec error on the `name` stream of `path`.
pub(crate) fn codec_error(path: &Path, name: &'static str, e: ffmpeg::Error) -> MediaError {
    MediaError::Codec {
        path: path.to_path_buf(),
        kind: name,
        reason: describe(e),
    }
}

/// Checks the path at the file-system level, then opens it with FFmpeg.
pub(crate) fn open_input(path: &Path) -> Result<ffmpeg::format::context::Input, MediaError> {
    init();
    let owned = || path.to_path_buf();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(MediaError::NotFound { path: owned() })
        }
        Err(e) => {
            return Err(MediaError::Io {
                path: owned(),
                source: e,
            })
        }
    };
    if meta.is_dir() {
        return Err(MediaError::NotAFile {
            path: owned(),
            kind: "a directory",
        });
    }
    if !meta.is_file() {
        return Err(MediaError::NotAFile {
            path: owned(),
            kind: "not a regular file",
        });
    }
    if meta.len() == 0 {
        return Err(MediaError::Empty { path: owned() });
    }
    // Surface permission problems as an OS error rather than FFmpeg's vaguer message.
    if let Err(e) = std::fs::File::open(path) {
        return Err(MediaError::Io {
            path: owned(),
            source: e,
        });
    }
    if path.to_str().is_none() {
        return Err(MediaError::Open {
            path: owned(),
            reason: "the path is not valid UTF-8, which FFmpeg's file API requires".into(),
        });
    }
    let input = ffmpeg::format::input(path).map_err(|e| MediaError::Open {
        path: owned(),
        reason: describe(e),
    })?;
    // FFmpeg's `tty` demuxer accepts any text file (by extension) and renders it as ANSI art;
    // for an editor such a file is not media.
    if input.format().name() == "tty" {
        return Err(MediaError::Open {
            path: owned(),
            reason: "this is a text file, not audio or video".into(),
        });
    }
    Ok(input)
}

/// FFmpeg's error text, with the common cases phrased for users.
pub(crate) fn describe(e: ffmpeg::Error) -> String {
    match e {
        ffmpeg::Error::InvalidData => {
            "invalid data (not a media file, an unknown format, or a damaged header)".into()
        }
        ffmpeg::Error::Eof => "unexpected end of file".into(),
        other => other.to_string(),
    }
}

/// FFmpeg's error text for a failure while decoding an opened stream.
pub(crate) fn describe_decode(e: ffmpeg::Error) -> String {
    match e {
        ffmpeg::Error::InvalidData => "corrupt data in the stream".into(),
        other => describe(other),
    }
}

/// Converts an FFmpeg rational frame rate to an exact [`Rate`], if it is a usable rate.
pub(crate) fn rate_of(r: ffmpeg::Rational) -> Option<Rate> {
    let (n, d) = (r.numerator(), r.denominator());
    if n <= 0 || d <= 0 {
        return None;
    }
    Rate::new(n as i64, d as i64).ok()
}

/// The rate whose units are the ticks of a time base (time base 1/90000 → rate 90000/1).
pub(crate) fn tick_rate(time_base: ffmpeg::Rational) -> Option<Rate> {
    let (n, d) = (time_base.numerator(), time_base.denominator());
    if n <= 0 || d <= 0 {
        return None;
    }
    Rate::new(d as i64, n as i64).ok()
}

/// `ticks` of a stream time base as an exact [`RationalTime`].
pub(crate) fn ticks_time(ticks: i64, time_base: ffmpeg::Rational) -> Option<RationalTime> {
    tick_rate(time_base).map(|r| RationalTime::new(ticks, r))
}

/// Nearest unit at `rate` to `ticks` of `time_base` (the one rounding rule, [`round_div`]).
///
/// [`round_div`]: cutroom_timeline::time::round_div
pub(crate) fn ticks_to_units(ticks: i64, time_base: ffmpeg::Rational, rate: Rate) -> Option<i64> {
    let num = ticks as i128 * time_base.numerator() as i128 * rate.num() as i128;
    let den = time_base.denominator() as i128 * rate.den() as i128;
    cutroom_timeline::time::round_div(num, den).and_then(|v| i64::try_from(v).ok())
}

/// Largest tick of `time_base` at or before unit `units` of `rate`.
pub(crate) fn units_to_ticks_floor(units: i64, rate: Rate, time_base: ffmpeg::Rational) -> i64 {
    let num = units as i128 * rate.den() as i128 * time_base.denominator() as i128;
    let den = rate.num() as i128 * time_base.numerator() as i128;
    if den <= 0 {
        return 0;
    }
    let v = num.div_euclid(den);
    v.clamp(i64::MIN as i128 / 2, i64::MAX as i128 / 2) as i64
}

/// Outcome of reading one packet.
pub(crate) enum ReadOutcome {
    /// A packet was read into the buffer.
    Packet,
    /// The demuxer reached the end of the file.
    Eof,
}

/// Consecutive unreadable packets tolerated before reading gives up (a demuxer that keeps
/// reporting invalid data without advancing would otherwise spin forever).
const MAX_INVALID_PACKETS: u32 = 256;

/// Reads the next packet, skipping a bounded run of packets the demuxer reports as invalid.
pub(crate) fn read_packet(
    input: &mut ffmpeg::format::context::Input,
    packet: &mut ffmpeg::Packet,
    path: &Path,
) -> Result<ReadOutcome, MediaError> {
    let mut invalid = 0u32;
    loop {
        // `av_read_frame` overwrites the packet without releasing the data it still holds;
        // readers reuse one packet, so without this every packet read stays allocated and
        // memory grows with the file's length.
        // SAFETY: the packet is valid; unref on an empty packet is a no-op.
        unsafe { ffmpeg::ffi::av_packet_unref(ffmpeg::packet::Mut::as_mut_ptr(packet)) };
        match packet.read(input) {
            Ok(()) => return Ok(ReadOutcome::Packet),
            Err(ffmpeg::Error::Eof) => return Ok(ReadOutcome::Eof),
            Err(ffmpeg::Error::InvalidData) if invalid < MAX_INVALID_PACKETS => invalid += 1,
            Err(ffmpeg::Error::Other { errno }) if errno == libc_eagain() => {
                invalid += 1;
                if invalid >= MAX_INVALID_PACKETS {
                    return Err(read_error(path, "the demuxer made no progress".into()));
                }
            }
            Err(e) => return Err(read_error(path, describe(e))),
        }
    }
}

fn read_error(path: &Path, reason: String) -> MediaError {
    MediaError::Read {
        path: PathBuf::from(path),
        reason,
    }
}

/// `EAGAIN` as FFmpeg reports it in `Error::Other`.
pub(crate) fn libc_eagain() -> i32 {
    ffmpeg::util::error::EAGAIN
}

/// Is this the decoder's "send more input" / "no output yet" answer?
pub(crate) fn is_again(e: &ffmpeg::Error) -> bool {
    matches!(e, ffmpeg::Error::Other { errno } if *errno == libc_eagain())
}

/// Why [`Demuxer::feed`] could not hand the decoder its next input.
pub(crate) enum FeedError {
    /// Reading the file failed.
    Read(MediaError),
    /// The decoder refused the packet (or the end-of-stream signal).
    Decode(ffmpeg::Error),
}

/// The demuxing half of a reader: the open input, the stream being decoded, one reusable
/// packet, and what the packets read so far have shown (whether the demuxer is done, how far
/// the stream's data reaches), so that a stream shorter than its container declares is
/// reported instead of silently ending early.
pub(crate) struct Demuxer {
    /// The open input.
    pub(crate) input: ffmpeg::format::context::Input,
    /// Index of the decoded stream.
    pub(crate) stream_index: usize,
    /// Time base of the stream's timestamps.
    pub(crate) time_base: ffmpeg::Rational,
    /// The time base as a rate (ticks per second).
    pub(crate) tick_rate: Rate,
    /// Timestamp of the stream's start.
    pub(crate) origin: i64,
    end_ticks: Option<i64>,
    packet: ffmpeg::Packet,
    eof: bool,
    last_packet_end: Option<i64>,
}

impl Demuxer {
    /// Demuxes the stream `setup` describes from `input`.
    pub(crate) fn new(input: ffmpeg::format::context::Input, setup: &StreamSetup) -> Demuxer {
        Demuxer {
            input,
            stream_index: setup.index,
            time_base: setup.time_base,
            tick_rate: setup.tick_rate,
            origin: setup.origin,
            end_ticks: setup.end_ticks,
            packet: ffmpeg::Packet::empty(),
            eof: false,
            last_packet_end: None,
        }
    }

    /// Has the end of the file been reached (and the decoder told so)?
    pub(crate) fn at_end(&self) -> bool {
        self.eof
    }

    /// Sends the stream's next packet to `decoder`, skipping other streams' packets; at the
    /// end of the file, sends the end-of-stream signal instead.
    pub(crate) fn feed(
        &mut self,
        decoder: &mut ffmpeg::decoder::Opened,
        path: &Path,
    ) -> Result<(), FeedError> {
        loop {
            match read_packet(&mut self.input, &mut self.packet, path).map_err(FeedError::Read)? {
                ReadOutcome::Packet => {
                    if self.packet.stream() != self.stream_index {
                        continue;
                    }
                    if let Some(p) = self.packet.pts().or(self.packet.dts()) {
                        let end = p.saturating_add(self.packet.duration().max(0));
                        self.last_packet_end =
                            Some(self.last_packet_end.map_or(end, |e| e.max(end)));
                    }
                    return decoder.send_packet(&self.packet).map_err(FeedError::Decode);
                }
                ReadOutcome::Eof => {
                    self.eof = true;
                    return match decoder.send_eof() {
                        Ok(()) | Err(ffmpeg::Error::Eof) => Ok(()),
                        Err(e) => Err(FeedError::Decode(e)),
                    };
                }
            }
        }
    }

    /// Seeks to the keyframe at or before `ts` (in the stream's time base) and forgets what
    /// the packets showed so far. The caller flushes its decoder.
    pub(crate) fn seek(&mut self, ts: i64) -> Result<(), ffmpeg::Error> {
        // SAFETY: the context is open; seeks within one stream's time base to a position at
        // or before `ts` (max_ts = ts).
        let ret = unsafe {
            ffmpeg::ffi::avformat_seek_file(
                self.input.as_mut_ptr(),
                self.stream_index as i32,
                i64::MIN,
                ts,
                ts,
                0,
            )
        };
        if ret < 0 {
            // Some demuxers only implement the older API: retry with it.
            // SAFETY: as above.
            let ret2 = unsafe {
                ffmpeg::ffi::av_seek_frame(
                    self.input.as_mut_ptr(),
                    self.stream_index as i32,
                    ts,
                    ffmpeg::ffi::AVSEEK_FLAG_BACKWARD,
                )
            };
            if ret2 < 0 {
                return Err(ffmpeg::Error::from(ret));
            }
        }
        self.eof = false;
        self.last_packet_end = None;
        Ok(())
    }

    /// At the end of the stream: did the packets reach the length the container declares?
    /// `kind` ("audio" or "video") names the data in the error.
    pub(crate) fn check_complete(&self, path: &Path, kind: &str) -> Result<(), MediaError> {
        let (Some(end), Some(last)) = (self.end_ticks, self.last_packet_end) else {
            return Ok(());
        };
        // Allow half a second of slack for muxers whose declared duration is approximate.
        let slack =
            units_to_ticks_floor(1, Rate::new(2, 1).unwrap_or(Rate::FPS_25), self.time_base);
        if last.saturating_add(slack) < end {
            let secs = |t: i64| {
                RationalTime::new(t.saturating_sub(self.origin), self.tick_rate).to_seconds()
            };
            return Err(MediaError::EndedEarly {
                path: path.to_path_buf(),
                reason: format!(
                    "{kind} data stops at {:.3} s but the container declares {:.3} s",
                    secs(last),
                    secs(end)
                ),
            });
        }
        Ok(())
    }
}
