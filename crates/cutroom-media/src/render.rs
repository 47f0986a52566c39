//! [`Renderer`]: renders a [`Timeline`] to a media file with FFmpeg's encoders.
//! [`SoundMixer`] mixes the same sound, from any position, for playback.
//!
//! What is rendered:
//! - **Picture**: for every output frame, the topmost video track with content at that time
//!   (later tracks stack on top). Clips show the source frame at the exact position the edit
//!   names (frame-exact cuts); gaps are black; a dissolve blends the outgoing and incoming
//!   clips (using their handles) with weight `(k + ½) / n` for frame `k` of an `n`-frame
//!   dissolve, so the middle frame of an odd-length dissolve is an exact 50/50 mix; a dissolve
//!   to or from a gap fades through black. A clip's [`ColorTransform`](cutroom_timeline::ColorTransform) is applied to its
//!   frames with `cutroom-color`'s 3D LUT code (tetrahedral interpolation, as FFmpeg's
//!   `lut3d` defaults to; `cutroom-color` offers no trilinear variant). Every source frame is scaled to the output
//!   size.
//! - **Sound**: the audio tracks mixed together; a timeline without audio tracks takes the
//!   sound of the clips on its first video track (the usual result of a cut list). Each
//!   clip's sound is the sample-exact range of the same media that its picture shows: output
//!   sample `s` of a clip plays media sample `round(src·sr) + s − round(start·sr)`, so sound
//!   and picture stay within one sample of each other at every cut. Gaps are silence;
//!   dissolves cross-fade linearly.
//! - **Subtitles** (optional, [`SubtitleMode`]): as a soft track (`mov_text` in MP4/MOV,
//!   SubRip in Matroska), as a `.srt`/`.vtt` file beside the output, or burned into the
//!   picture with libavfilter's `subtitles` filter (libass).
//!
//! The output is written to a temporary file next to it and renamed into place only when
//! complete; a failed or cancelled render leaves nothing behind. The renderer refuses to
//! write over any file the timeline reads.
//!
//! Clip times: a clip's `source_range` is in the media's own time; when the media reference
//! declares an `available_range`, its start is the media's first frame (e.g. a file whose
//! timecode starts at 01:00:00:00), otherwise the media starts at zero. Relative
//! `target_url`s are resolved against [`RenderOptions::media_base`]; `file://` URLs are
//! accepted.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use cutroom_color::{Interpolation, PreparedLut};
use cutroom_timeline::formats::{self, SubtitleFormat};
use cutroom_timeline::time::round_div;
use cutroom_timeline::{Item, Rate, RationalTime, SubtitleCue, Timeline, TrackKind};
use ffmpeg_next as ffmpeg;
use ffmpeg_next::software::scaling;
use ffmpeg_next::util::channel_layout::ChannelLayout;

use crate::ffio;
use crate::{
    AudioOutput, AudioReader, MediaError, PixelFormat, VideoFrame, VideoOutput, VideoReader,
};

/// How subtitle tracks reach the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubtitleMode {
    /// Subtitle tracks are ignored.
    #[default]
    None,
    /// Every subtitle track with cues becomes a subtitle stream of the output (`mov_text` in
    /// MP4/MOV, SubRip in Matroska), tagged with the track's language.
    Soft,
    /// The selected subtitle track is written beside the output with the output's name and
    /// the format's extension (`out.srt`, `out.vtt`).
    Sidecar(SubtitleFormat),
    /// The selected subtitle track is drawn into the picture (libavfilter `subtitles`, which
    /// uses libass and the system's fonts).
    BurnIn,
}

/// Settings of a render. `Default` gives H.264 (libx264, CRF 20, preset `veryfast`) and AAC
/// 48 kHz stereo at the timeline's rate and the first clip's size.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// FFmpeg encoder name for the picture (`libx264`, `libx265`, `mpeg4`…).
    pub video_codec: String,
    /// Constant rate factor passed to the encoder as `crf` (ignored by encoders without it).
    pub crf: u8,
    /// Encoder preset passed as `preset` (`ultrafast` … `veryslow` for x264); empty for none.
    pub preset: String,
    /// Output width in pixels; 0 takes the first video clip's width (or 1280 without one).
    pub width: u32,
    /// Output height in pixels; 0 takes the first video clip's height (or 720 without one).
    pub height: u32,
    /// Output frame rate; `None` renders at the timeline's rate.
    pub frame_rate: Option<Rate>,
    /// FFmpeg encoder name for the sound (`aac`, `libopus`, `flac`…).
    pub audio_codec: String,
    /// Audio bit rate in bits per second (for lossy encoders).
    pub audio_bit_rate: usize,
    /// Output sample rate in Hz.
    pub audio_sample_rate: u32,
    /// Output channel count (1 or 2 usually).
    pub audio_channels: u16,
    /// How subtitle tracks reach the output.
    pub subtitles: SubtitleMode,
    /// Which subtitle track (counting subtitle tracks only, from 0) a sidecar or burn-in uses.
    pub subtitle_track: usize,
    /// Directory relative media paths are resolved against (e.g. the project file's
    /// directory); `None` uses the current directory.
    pub media_base: Option<PathBuf>,
    /// How clip LUTs ([`cutroom_timeline::ColorTransform`]) are interpolated.
    pub lut_interpolation: Interpolation,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            video_codec: "libx264".into(),
            crf: 20,
            preset: "veryfast".into(),
            width: 0,
            height: 0,
            frame_rate: None,
            audio_codec: "aac".into(),
            audio_bit_rate: 192_000,
            audio_sample_rate: 48_000,
            audio_channels: 2,
            subtitles: SubtitleMode::None,
            subtitle_track: 0,
            media_base: None,
            lut_interpolation: Interpolation::Tetrahedral,
        }
    }
}

/// What a finished render produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderSummary {
    /// The output file.
    pub output: PathBuf,
    /// Video frames written.
    pub frames: i64,
    /// Audio sample frames written (per channel).
    pub samples: i64,
    /// Output frame rate.
    pub frame_rate: Rate,
    /// Output size `(width, height)`.
    pub size: (u32, u32),
    /// Subtitle cues written (soft, sidecar or burned in).
    pub subtitle_cues: usize,
    /// The sidecar subtitle file, when one was written.
    pub sidecar: Option<PathBuf>,
}

/// Renders `timeline` to `output` (see [`Renderer`]); the entry point for the command line.
///
/// `progress` receives a fraction in `[0, 1]` and a short message; setting `cancel` stops the
/// render, removes its partial output and returns [`MediaError::Cancelled`].
pub fn render_timeline(
    timeline: &Timeline,
    output: &Path,
    options: &RenderOptions,
    progress: &mut dyn FnMut(f32, &str),
    cancel: &AtomicBool,
) -> Result<RenderSummary, MediaError> {
    Renderer::new(timeline.clone(), options.clone()).render(output, progress, cancel)
}

/// Renders a timeline to a file. See the [module documentation](self) for what is rendered.
#[derive(Debug, Clone)]
pub struct Renderer {
    timeline: Timeline,
    options: RenderOptions,
}

impl Renderer {
    /// A renderer of `timeline` with `options`.
    pub fn new(timeline: Timeline, options: RenderOptions) -> Renderer {
        Renderer { timeline, options }
    }

    /// The options in use.
    pub fn options(&self) -> &RenderOptions {
        &self.options
    }

    /// Renders to `output` (the container follows its extension: `.mp4`, `.mov`, `.mkv`…).
    ///
    /// The file appears only when the render is complete (temporary file, then rename).
    pub fn render(
        &self,
        output: &Path,
        progress: &mut dyn FnMut(f32, &str),
        cancel: &AtomicBool,
    ) -> Result<RenderSummary, MediaError> {
        ffio::init();
        let plan = Plan::build(&self.timeline, &self.options, output, false)?;
        check_output(output, &plan, &self.options)?;
        let temp = temp_path(output);
        let result = (|| {
            let mut job = Job::new(&plan, &self.options, output, &temp)?;
            job.run(progress, cancel)
        })();
        match result {
            Ok(mut summary) => {
                if let Err(e) = std::fs::File::open(&temp).and_then(|f| f.sync_all()) {
                    let _ = std::fs::remove_file(&temp);
                    return Err(output_error(output, format!("cannot flush to disk: {e}")));
                }
                if let Err(e) = std::fs::rename(&temp, output) {
                    let _ = std::fs::remove_file(&temp);
                    return Err(output_error(output, format!("cannot move into place: {e}")));
                }
                if let SubtitleMode::Sidecar(format) = self.options.subtitles {
                    let path = sidecar_path(output, format);
                    let cues = plan.selected_cues(self.options.subtitle_track);
                    formats::write_subtitles(&cues, &path)
                        .map_err(|e| output_error(&path, e.to_string()))?;
                    summary.subtitle_cues = cues.len();
                    summary.sidecar = Some(path);
                }
                progress(1.0, "done");
                Ok(summary)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                Err(e)
            }
        }
    }
}

fn output_error(path: &Path, reason: String) -> MediaError {
    MediaError::Output {
        path: path.to_path_buf(),
        reason,
    }
}

fn render_error(path: &Path, reason: String) -> MediaError {
    MediaError::Render {
        path: path.to_path_buf(),
        reason,
    }
}

fn encode_error(path: &Path, what: &str, e: ffmpeg::Error) -> MediaError {
    MediaError::Encode {
        path: path.to_path_buf(),
        reason: format!("{what}: {}", ffio::describe(e)),
    }
}

fn sidecar_path(output: &Path, format: SubtitleFormat) -> PathBuf {
    output.with_extension(match format {
        SubtitleFormat::Srt => "srt",
        SubtitleFormat::WebVtt => "vtt",
    })
}

/// `dir/.name.partial-PID-N.ext`: same directory (so the rename is atomic), same extension
/// (so FFmpeg picks the same container).
fn temp_path(output: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "render".into());
    let ext = output
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let name = format!(".{stem}.partial-{}-{n}{ext}", std::process::id());
    match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(name),
        _ => PathBuf::from(name),
    }
}

/// The canonical form of a path that may not exist yet (its directory must).
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.canonicalize().ok().map(|p| p.join(name))
}

fn check_output(output: &Path, plan: &Plan, options: &RenderOptions) -> Result<(), MediaError> {
    if output.file_name().is_none() || output.is_dir() {
        return Err(output_error(output, "not a file name".into()));
    }
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(output_error(
            output,
            format!("the directory {} does not exist", dir.display()),
        ));
    }
    if output.to_str().is_none() {
        return Err(output_error(
            output,
            "the path is not valid UTF-8, which FFmpeg's file API requires".into(),
        ));
    }
    let sources: HashSet<PathBuf> = plan
        .media_paths()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut targets = vec![output.to_path_buf()];
    if let SubtitleMode::Sidecar(f) = options.subtitles {
        targets.push(sidecar_path(output, f));
    }
    for t in targets {
        if let Some(c) = canonical_target(&t) {
            if sources.contains(&c) {
                return Err(output_error(
                    &t,
                    "this is a source file of the timeline; refusing to overwrite it".into(),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Exact rational seconds.

/// An exact time in seconds, `n / d` with `d > 0`, kept in lowest terms.
#[derive(Debug, Clone, Copy)]
struct Q {
    n: i128,
    d: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Q {
    const ZERO: Q = Q { n: 0, d: 1 };

    fn new(n: i128, d: i128) -> Q {
        let (n, d) = if d < 0 { (-n, -d) } else { (n, d.max(1)) };
        let g = gcd(n, d);
        Q { n: n / g, d: d / g }
    }

    fn of(t: RationalTime) -> Q {
        Q::new(
            i128::from(t.value) * i128::from(t.rate.den()),
            i128::from(t.rate.num()),
        )
    }

    /// The start of unit `i` at `rate` (frame `i`, sample `i`).
    fn units(i: i64, rate: Rate) -> Q {
        Q::new(
            i128::from(i) * i128::from(rate.den()),
            i128::from(rate.num()),
        )
    }

    fn samples(i: i64, sr: u32) -> Q {
        Q::new(i128::from(i), i128::from(sr))
    }

    fn add(self, o: Q) -> Q {
        Q::new(self.n * o.d + o.n * self.d, self.d * o.d)
    }

    fn sub(self, o: Q) -> Q {
        Q::new(self.n * o.d - o.n * self.d, self.d * o.d)
    }

    /// Nearest unit at `rate` (the one rounding rule).
    fn to_units(self, rate: Rate) -> i64 {
        round_div(
            self.n * i128::from(rate.num()),
            self.d * i128::from(rate.den()),
        )
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or(i64::MAX)
    }

    /// Smallest unit count at `rate` covering this time.
    fn ceil_units(self, rate: Rate) -> i64 {
        let num = self.n * i128::from(rate.num());
        let den = self.d * i128::from(rate.den());
        let q = num.div_euclid(den) + i128::from(num.rem_euclid(den) != 0);
        i64::try_from(q).unwrap_or(i64::MAX)
    }

    fn to_samples(self, sr: u32) -> i64 {
        round_div(self.n * i128::from(sr), self.d)
            .and_then(|v| i64::try_from(v).ok())
            .unwrap_or(i64::MAX)
    }

    fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }
}

impl PartialEq for Q {
    fn eq(&self, o: &Q) -> bool {
        self.n * o.d == o.n * self.d
    }
}
impl Eq for Q {}
impl PartialOrd for Q {
    fn partial_cmp(&self, o: &Q) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Q {
    fn cmp(&self, o: &Q) -> std::cmp::Ordering {
        (self.n * o.d).cmp(&(o.n * self.d))
    }
}

// ---------------------------------------------------------------------------------------------
// The plan: tracks as spans of exact time.

/// A clip as the renderer needs it.
#[derive(Debug)]
struct ClipPlan {
    /// `(track index, item index)` in the timeline: identifies the clip's readers.
    key: (usize, usize),
    path: PathBuf,
    /// Track time at which the clip starts.
    start: Q,
    /// Media time (seconds from the media's first frame) shown at `start`.
    src: Q,
    lut: Option<Arc<PreparedLut>>,
}

#[derive(Debug, Clone, Copy)]
enum SpanKind {
    Clip(usize),
    Gap,
    /// A dissolve from the outgoing clip (or black/silence) to the incoming one.
    Dissolve {
        from: Option<usize>,
        to: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: Q,
    end: Q,
    kind: SpanKind,
}

#[derive(Debug, Default)]
struct TrackPlan {
    /// Sorted, non-overlapping.
    spans: Vec<Span>,
}

impl TrackPlan {
    /// The span containing `t`, if any.
    fn at(&self, t: Q) -> Option<&Span> {
        let i = self.spans.partition_point(|s| s.start <= t);
        let s = self.spans.get(i.checked_sub(1)?)?;
        (t < s.end).then_some(s)
    }

    /// Spans overlapping `[a, b)`.
    fn overlapping(&self, a: Q, b: Q) -> impl Iterator<Item = &Span> {
        let first = self.spans.partition_point(|s| s.end <= a);
        self.spans[first..].iter().take_while(move |s| s.start < b)
    }
}

struct Plan {
    clips: Vec<ClipPlan>,
    video: Vec<TrackPlan>,
    audio: Vec<TrackPlan>,
    /// Subtitle tracks: (language, cues).
    subtitles: Vec<(Option<String>, Vec<SubtitleCue>)>,
    duration: Q,
    timeline_rate: Rate,
}

impl Plan {
    /// The plan of `timeline`. `sound_only` plans for [`SoundMixer`]: no LUTs are prepared,
    /// and media that is not there (or a clip that names none) is left to be silent instead
    /// of failing the plan.
    fn build(
        timeline: &Timeline,
        options: &RenderOptions,
        output: &Path,
        sound_only: bool,
    ) -> Result<Plan, MediaError> {
        let mut clips = Vec::new();
        let mut video = Vec::new();
        let mut audio = Vec::new();
        let mut subtitles = Vec::new();
        let mut duration = Q::ZERO;
        for (ti, track) in timeline.tracks.iter().enumerate() {
            match track.kind {
                TrackKind::Subtitle => {
                    let mut cues = track.cues.clone();
                    cues.sort_by_key(|c| c.range.start);
                    if let Some(end) = cues.iter().map(|c| Q::of(c.range.end_exclusive())).max() {
                        duration = duration.max(end);
                    }
                    subtitles.push((track.language.clone(), cues));
                }
                kind => {
                    let plan = track_plan(timeline, ti, options, output, sound_only, &mut clips)?;
                    if let Some(last) = plan.spans.last() {
                        duration = duration.max(last.end);
                    }
                    if kind == TrackKind::Video {
                        video.push(plan);
                    } else {
                        audio.push(plan);
                    }
                }
            }
        }
        Ok(Plan {
            clips,
            video,
            audio,
            subtitles,
            duration,
            timeline_rate: timeline.rate,
        })
    }

    fn media_paths(&self) -> impl Iterator<Item = &Path> {
        self.clips.iter().map(|c| c.path.as_path())
    }

    /// The tracks whose sound is heard: the audio tracks, or the first video track's clips.
    fn sound_tracks(&self) -> &[TrackPlan] {
        if self.audio.is_empty() {
            &self.video[..self.video.len().min(1)]
        } else {
            &self.audio
        }
    }

    fn selected_cues(&self, index: usize) -> Vec<SubtitleCue> {
        self.subtitles
            .get(index)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }
}

/// A clip's media URL as a file path: `file://` URLs (with `localhost` and percent-escapes)
/// and plain paths; a relative path is taken relative to `base` (the directory of the
/// timeline or project file that names it, [`RenderOptions::media_base`]) when given.
/// The renderer and the app's preview resolve media with this one rule.
pub fn resolve_media(url: &str, base: Option<&Path>) -> PathBuf {
    let path = if let Some(rest) = url.strip_prefix("file://") {
        // file:///abs/path or file://localhost/abs/path
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        PathBuf::from(percent_decode(rest))
    } else {
        PathBuf::from(url)
    };
    match base {
        Some(b) if path.is_relative() => b.join(path),
        _ => path,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends a span of `kind` lasting `d` at `*pos` (nothing when `d` is zero) and moves
/// `*pos` past it.
fn advance(spans: &mut Vec<Span>, pos: &mut Q, d: Q, kind: SpanKind) {
    if d > Q::ZERO {
        spans.push(Span {
            start: *pos,
            end: pos.add(d),
            kind,
        });
    }
    *pos = pos.add(d);
}

fn track_plan(
    timeline: &Timeline,
    ti: usize,
    options: &RenderOptions,
    output: &Path,
    sound_only: bool,
    clips: &mut Vec<ClipPlan>,
) -> Result<TrackPlan, MediaError> {
    let track = &timeline.tracks[ti];
    let mut spans: Vec<Span> = Vec::new();
    // (transition item index, cut time) to carve afterwards.
    let mut transitions = Vec::new();
    // For each item index, its span index (clips and gaps).
    let mut clip_of_item: HashMap<usize, usize> = HashMap::new();
    let mut pos = Q::ZERO;
    for (ii, item) in track.items.iter().enumerate() {
        match item {
            Item::Clip(c) => {
                let d = Q::of(c.source_range.duration);
                if d < Q::ZERO {
                    return Err(render_error(
                        output,
                        format!(
                            "clip '{}' on track '{}' has a negative duration",
                            c.name, track.name
                        ),
                    ));
                }
                let url = c.media.target_url.as_deref().filter(|u| !u.is_empty());
                let Some(url) = url else {
                    if sound_only {
                        // Silent, like a gap.
                        advance(&mut spans, &mut pos, d, SpanKind::Gap);
                        continue;
                    }
                    return Err(render_error(
                        &PathBuf::from(&c.media.name),
                        format!(
                            "clip '{}' on track '{}' has no media file (missing reference)",
                            c.name, track.name
                        ),
                    ));
                };
                let path = resolve_media(url, options.media_base.as_deref());
                // Fail early, before any output exists, on media that is not there.
                match std::fs::metadata(&path) {
                    _ if sound_only => {}
                    Ok(m) if m.is_file() => {}
                    Ok(_) => {
                        return Err(MediaError::NotAFile {
                            path,
                            kind: "not a regular file",
                        })
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(MediaError::NotFound { path })
                    }
                    Err(e) => return Err(MediaError::Io { path, source: e }),
                }
                let media_start = Q::of(c.media.origin(timeline.rate));
                let idx = clips.len();
                clips.push(ClipPlan {
                    key: (ti, ii),
                    path,
                    start: pos,
                    src: Q::of(c.source_range.start).sub(media_start),
                    lut: match &c.color {
                        Some(_) if sound_only => None,
                        Some(ct) => Some(Arc::new(
                            PreparedLut::with_interpolation(ct, options.lut_interpolation)
                                .map_err(|e| {
                                    render_error(
                                        output,
                                        format!("clip '{}' on track '{}': {e}", c.name, track.name),
                                    )
                                })?,
                        )),
                        None => None,
                    },
                });
                clip_of_item.insert(ii, idx);
                advance(&mut spans, &mut pos, d, SpanKind::Clip(idx));
            }
            Item::Gap(g) => {
                let d = Q::of(g.duration);
                if d < Q::ZERO {
                    return Err(render_error(
                        output,
                        format!("a gap on track '{}' has a negative duration", track.name),
                    ));
                }
                advance(&mut spans, &mut pos, d, SpanKind::Gap);
            }
            Item::Transition(t) => {
                transitions.push((ii, pos, Q::of(t.in_offset), Q::of(t.out_offset)))
            }
        }
    }
    let track_end = pos;
    for (ii, cut, in_off, out_off) in transitions {
        let a = cut.sub(in_off).max(Q::ZERO);
        let b = cut.add(out_off).min(track_end);
        if b <= a {
            continue;
        }
        let from = ii
            .checked_sub(1)
            .and_then(|p| clip_of_item.get(&p).copied());
        let to = clip_of_item.get(&(ii + 1)).copied();
        let mut carved = Vec::with_capacity(spans.len() + 2);
        for s in spans {
            if s.end <= a || s.start >= b {
                carved.push(s);
                continue;
            }
            if s.start < a {
                carved.push(Span { end: a, ..s });
            }
            if s.end > b {
                carved.push(Span { start: b, ..s });
            }
        }
        carved.push(Span {
            start: a,
            end: b,
            kind: SpanKind::Dissolve { from, to },
        });
        carved.sort_by_key(|x| x.start);
        spans = carved;
    }
    Ok(TrackPlan { spans })
}

// ---------------------------------------------------------------------------------------------
// Sources: a clip's frames and samples, read sequentially with seeks only when needed.

/// How far ahead (in frames) reading forward beats seeking.
const MAX_READ_AHEAD: i64 = 48;

struct VideoSource {
    reader: Option<VideoReader>,
    current: Option<VideoFrame>,
    lut: Option<Arc<PreparedLut>>,
    ended: bool,
}

impl VideoSource {
    fn open(clip: &ClipPlan, size: (u32, u32)) -> Result<VideoSource, MediaError> {
        let out = VideoOutput {
            width: size.0,
            height: size.1,
            format: PixelFormat::Rgba,
        };
        let reader = match VideoReader::open(&clip.path, out) {
            Ok(r) => Some(r),
            // Sound-only media on a video track shows black.
            Err(MediaError::NoStream { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(VideoSource {
            reader,
            current: None,
            lut: clip.lut.clone(),
            ended: false,
        })
    }

    fn rate(&self) -> Option<Rate> {
        self.reader.as_ref().map(|r| r.rate())
    }

    /// Frame `k` of the media (the last frame when `k` is past the end; `None` for media
    /// without pictures).
    fn frame(&mut self, k: i64) -> Result<Option<&VideoFrame>, MediaError> {
        let k = k.max(0);
        let Some(reader) = self.reader.as_mut() else {
            return Ok(None);
        };
        let have = self.current.as_ref().map(|f| f.index);
        if have == Some(k) || (self.ended && have.is_some_and(|h| h <= k)) {
            return Ok(self.current.as_ref());
        }
        let forward = matches!(have, Some(h) if h < k && k - h <= MAX_READ_AHEAD)
            || (have.is_none() && k == 0);
        if !forward {
            match reader.seek_to_frame(k) {
                Ok(()) => {}
                // Past the end of the media: hold the last frame shown.
                Err(MediaError::Seek { .. }) => {
                    self.ended = true;
                    if self.current.is_none() {
                        self.current = last_frame(reader)?;
                        self.apply_lut();
                    }
                    return Ok(self.current.as_ref());
                }
                Err(e) => return Err(e),
            }
        }
        self.ended = false;
        loop {
            match reader.next_frame()? {
                Some(f) => {
                    let index = f.index;
                    self.current = Some(f);
                    if index >= k {
                        break;
                    }
                }
                None => {
                    self.ended = true;
                    break;
                }
            }
        }
        self.apply_lut();
        Ok(self.current.as_ref())
    }

    fn apply_lut(&mut self) {
        if let (Some(lut), Some(frame)) = (self.lut.as_ref(), self.current.as_mut()) {
            // Sizes match by construction (the reader scales to the output size).
            let _ = lut.apply_rgba8(
                &mut frame.data,
                frame.width as usize,
                frame.height as usize,
                0,
            );
        }
    }
}

/// The last frame of a reader's media (used when a clip reaches past the media's end).
fn last_frame(reader: &mut VideoReader) -> Result<Option<VideoFrame>, MediaError> {
    if let Some(n) = reader.frame_count() {
        if reader.seek_to_frame(n - 1).is_ok() {
            let mut last = None;
            while let Some(f) = reader.next_frame()? {
                last = Some(f);
            }
            return Ok(last);
        }
    }
    Ok(None)
}

struct AudioSource {
    reader: Option<AudioReader>,
    channels: usize,
    /// Offset added to a media position (relative to the media's first video frame) to get
    /// the reader's position (relative to the audio stream's start).
    offset: i64,
    /// Interleaved samples from `buf_start`.
    buf: Vec<f32>,
    buf_start: i64,
    eof: bool,
}

impl AudioSource {
    /// A source with no sound.
    fn silent(out: AudioOutput) -> AudioSource {
        AudioSource {
            reader: None,
            channels: usize::from(out.channels),
            offset: 0,
            buf: Vec::new(),
            buf_start: 0,
            eof: true,
        }
    }

    fn open(clip: &ClipPlan, out: AudioOutput) -> Result<AudioSource, MediaError> {
        let reader = match AudioReader::open(&clip.path, out) {
            Ok(r) => Some(r),
            Err(MediaError::NoStream { .. }) => None,
            Err(e) => return Err(e),
        };
        let offset = if reader.is_some() {
            stream_offset(&clip.path, out.sample_rate)?
        } else {
            0
        };
        Ok(AudioSource {
            reader,
            channels: usize::from(out.channels),
            offset,
            buf: Vec::new(),
            buf_start: 0,
            eof: false,
        })
    }

    /// Adds `gain(i)` times media samples `[pos, pos + n)` into `out` (interleaved, `n`
    /// frames); silence before the media's start and after its end.
    fn mix_into(
        &mut self,
        pos: i64,
        out: &mut [f32],
        gain: &dyn Fn(usize) -> f32,
    ) -> Result<(), MediaError> {
        let ch = self.channels;
        let n = out.len() / ch;
        let Some(reader) = self.reader.as_mut() else {
            return Ok(());
        };
        let start = pos + self.offset;
        let end = start + n as i64;
        // Where the media begins within this request.
        let skip = (-start).clamp(0, n as i64);
        let want = start.max(0);
        if end <= 0 {
            return Ok(());
        }
        let buf_end = self.buf_start + (self.buf.len() / ch) as i64;
        if want < self.buf_start || want > buf_end + 48_000 {
            reader.seek_to_sample(want)?;
            self.buf.clear();
            self.buf_start = want;
            self.eof = false;
        }
        while !self.eof && self.buf_start + ((self.buf.len() / ch) as i64) < end {
            match reader.next_chunk()? {
                Some(chunk) => {
                    let be = self.buf_start + (self.buf.len() / ch) as i64;
                    if chunk.start > be {
                        // A hole in the stream: silence.
                        let pad = ((chunk.start - be) as usize).min(10 * 48_000) * ch;
                        self.buf.resize(self.buf.len() + pad, 0.0);
                    }
                    let be = self.buf_start + (self.buf.len() / ch) as i64;
                    let drop = ((be - chunk.start).max(0) as usize * ch).min(chunk.data.len());
                    self.buf.extend_from_slice(&chunk.data[drop..]);
                }
                None => self.eof = true,
            }
        }
        for i in skip as usize..n {
            let p = start + i as i64;
            let off = (p - self.buf_start) as usize * ch;
            let Some(src) = self.buf.get(off..off + ch) else {
                break;
            };
            let g = gain(i);
            for (o, s) in out[i * ch..(i + 1) * ch].iter_mut().zip(src) {
                *o += g * s;
            }
        }
        // Drop what is behind the request.
        let keep_from = ((end - self.buf_start).max(0) as usize * ch).min(self.buf.len());
        if keep_from > 0 {
            self.buf.drain(..keep_from);
            self.buf_start += (keep_from / ch) as i64;
        }
        Ok(())
    }
}

/// Mixes a plan's sound tracks: one audio source per clip, opened when the clip is first
/// heard and closed once it is no longer heard.
struct Mixer {
    out: AudioOutput,
    sources: HashMap<(usize, usize), AudioSource>,
    /// Clips whose sound cannot be read are silent instead of failing the mix (playback).
    lenient: bool,
}

impl Mixer {
    fn new(out: AudioOutput, lenient: bool) -> Mixer {
        Mixer {
            out,
            sources: HashMap::new(),
            lenient,
        }
    }

    /// Output samples `[a, b)` of every sound track of `plan`, summed into `out`.
    fn mix(&mut self, plan: &Plan, a: i64, b: i64, out: &mut [f32]) -> Result<(), MediaError> {
        let sr = self.out.sample_rate;
        let ch = usize::from(self.out.channels);
        let qa = Q::samples(a, sr);
        let qb = Q::samples(b, sr);
        let mut used = HashSet::new();
        for track in plan.sound_tracks() {
            for span in track.overlapping(qa, qb) {
                let s0 = span.start.to_samples(sr).max(a);
                let s1 = span.end.to_samples(sr).min(b);
                if s1 <= s0 {
                    continue;
                }
                let region = &mut out[(s0 - a) as usize * ch..(s1 - a) as usize * ch];
                match span.kind {
                    SpanKind::Gap => {}
                    SpanKind::Clip(c) => {
                        used.insert(plan.clips[c].key);
                        self.clip_sound(&plan.clips[c], s0, region, &|_| 1.0)?;
                    }
                    SpanKind::Dissolve { from, to } => {
                        let d0 = span.start.to_samples(sr);
                        let len = (span.end.to_samples(sr) - d0).max(1) as f32;
                        let off = (s0 - d0) as f32;
                        let w = move |i: usize| ((off + i as f32 + 0.5) / len).clamp(0.0, 1.0);
                        if let Some(c) = from {
                            used.insert(plan.clips[c].key);
                            self.clip_sound(&plan.clips[c], s0, region, &|i| 1.0 - w(i))?;
                        }
                        if let Some(c) = to {
                            used.insert(plan.clips[c].key);
                            self.clip_sound(&plan.clips[c], s0, region, &w)?;
                        }
                    }
                }
            }
        }
        self.sources.retain(|k, _| used.contains(k));
        Ok(())
    }

    /// Adds `clip`'s sound for output samples starting at `s0` into `region`.
    fn clip_sound(
        &mut self,
        clip: &ClipPlan,
        s0: i64,
        region: &mut [f32],
        gain: &dyn Fn(usize) -> f32,
    ) -> Result<(), MediaError> {
        let sr = self.out.sample_rate;
        let source = match self.sources.entry(clip.key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                match AudioSource::open(clip, self.out) {
                    Ok(s) => v.insert(s),
                    Err(_) if self.lenient => v.insert(AudioSource::silent(self.out)),
                    Err(e) => return Err(e),
                }
            }
        };
        let media_pos = clip.src.to_samples(sr) + (s0 - clip.start.to_samples(sr));
        match source.mix_into(media_pos, region, gain) {
            Err(_) if self.lenient => {
                // A stream that goes bad is silent from here on.
                *source = AudioSource::silent(self.out);
                Ok(())
            }
            r => r,
        }
    }
}

/// A timeline's sound for playback: mixed as [`Renderer`] mixes it (the same tracks, the
/// same sample positions, the same cross-fades), read from any sample position in any
/// order. Clips whose media is missing or unreadable are silent.
pub struct SoundMixer {
    plan: Plan,
    mixer: Mixer,
}

impl SoundMixer {
    /// The sound of `timeline` at `out`'s rate and channel count; relative media paths are
    /// taken relative to `media_base`.
    pub fn new(
        timeline: &Timeline,
        media_base: Option<&Path>,
        out: AudioOutput,
    ) -> Result<SoundMixer, MediaError> {
        ffio::init();
        if out.sample_rate == 0 || out.channels == 0 {
            return Err(MediaError::Unsupported {
                path: PathBuf::from(&timeline.name),
                reason: format!(
                    "cannot mix to {} Hz, {} channels",
                    out.sample_rate, out.channels
                ),
            });
        }
        let options = RenderOptions {
            media_base: media_base.map(Path::to_path_buf),
            ..RenderOptions::default()
        };
        let plan = Plan::build(timeline, &options, Path::new(&timeline.name), true)?;
        Ok(SoundMixer {
            plan,
            mixer: Mixer::new(out, true),
        })
    }

    /// The rate and channel count mixed to.
    pub fn output(&self) -> AudioOutput {
        self.mixer.out
    }

    /// The timeline's length in sample frames.
    pub fn len_samples(&self) -> i64 {
        self.plan.duration.to_samples(self.mixer.out.sample_rate)
    }

    /// Adds the sound of sample frames `[a, a + n)` into `out` (interleaved, `n` frames;
    /// the caller clears it). Before zero and after the end is silence.
    pub fn mix(&mut self, a: i64, out: &mut [f32]) -> Result<(), MediaError> {
        let ch = usize::from(self.mixer.out.channels);
        let n = (out.len() / ch) as i64;
        let (from, to) = (a.max(0), (a + n).min(self.len_samples()));
        if to <= from {
            return Ok(());
        }
        let region = &mut out[(from - a) as usize * ch..(to - a) as usize * ch];
        self.mixer.mix(&self.plan, from, to, region)
    }
}

/// Samples (at `sr`) by which the audio stream starts after the video stream.
fn stream_offset(path: &Path, sr: u32) -> Result<i64, MediaError> {
    let input = ffio::open_input(path)?;
    let start_of = |kind: ffmpeg::media::Type| -> Option<Q> {
        let s = input.streams().best(kind)?;
        let st = s.start_time();
        if st == ffmpeg::ffi::AV_NOPTS_VALUE {
            return Some(Q::ZERO);
        }
        let tb = s.time_base();
        (tb.denominator() > 0 && tb.numerator() > 0).then(|| {
            Q::new(
                i128::from(st) * i128::from(tb.numerator()),
                i128::from(tb.denominator()),
            )
        })
    };
    match (
        start_of(ffmpeg::media::Type::Video),
        start_of(ffmpeg::media::Type::Audio),
    ) {
        (Some(v), Some(a)) => Ok(a.sub(v).to_samples(sr)),
        _ => Ok(0),
    }
}

// ---------------------------------------------------------------------------------------------
// The job: encoders, muxer and the frame loop.

struct SubtitleStream {
    index: usize,
    encoder: ffmpeg::encoder::Subtitle,
    /// (start ms, end ms, ASS dialogue text).
    cues: Vec<(i64, i64, String)>,
    next: usize,
}

struct Job<'a> {
    plan: &'a Plan,
    options: &'a RenderOptions,
    output: &'a Path,
    octx: ffmpeg::format::context::Output,
    rate: Rate,
    size: (u32, u32),
    frames: i64,
    samples: i64,
    video_index: usize,
    video_enc: ffmpeg::encoder::Video,
    video_tb: ffmpeg::Rational,
    audio_index: usize,
    audio_enc: ffmpeg::encoder::Audio,
    audio_tb: ffmpeg::Rational,
    audio_format: ffmpeg::format::Sample,
    audio_layout: ChannelLayout,
    audio_frame_size: usize,
    subtitle_streams: Vec<SubtitleStream>,
    burn: Option<(ffmpeg::filter::Graph, PathBuf)>,
    to_yuv: Option<scaling::Context>,
    rgba: ffmpeg::frame::Video,
    yuv: ffmpeg::frame::Video,
    canvas: Vec<u8>,
    video_sources: HashMap<(usize, usize), VideoSource>,
    mixer: Mixer,
    /// Interleaved samples not yet encoded.
    fifo: Vec<f32>,
    audio_pts: i64,
    mixed: i64,
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        if let Some((_, dir)) = &self.burn {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The ASS header handed to text subtitle encoders (they need a `Default` style).
const ASS_HEADER: &str =
    "[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n\
[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, \
BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, \
Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n\
Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\r\n\r\n\
[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\r\n";

fn ass_text(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\\N")
}

impl<'a> Job<'a> {
    fn new(
        plan: &'a Plan,
        options: &'a RenderOptions,
        output: &'a Path,
        temp: &Path,
    ) -> Result<Job<'a>, MediaError> {
        let rate = options.frame_rate.unwrap_or(plan.timeline_rate);
        let size = output_size(plan, options, output)?;
        let frames = plan.duration.ceil_units(rate);
        let sr = options.audio_sample_rate;
        if sr == 0 || sr > 384_000 || options.audio_channels == 0 || options.audio_channels > 8 {
            return Err(render_error(
                output,
                format!(
                    "audio {} Hz x {} channels is out of range",
                    sr, options.audio_channels
                ),
            ));
        }
        let samples = Q::units(frames, rate).to_samples(sr);

        let enc_err = |what: &str, e: ffmpeg::Error| encode_error(output, what, e);
        let mut octx = ffmpeg::format::output(&temp).map_err(|e| match e {
            ffmpeg::Error::InvalidData | ffmpeg::Error::MuxerNotFound => render_error(
                output,
                "no container format for this file extension (use .mp4, .mov or .mkv)".into(),
            ),
            e => output_error(output, ffio::describe(e)),
        })?;
        let global_header = octx
            .format()
            .flags()
            .contains(ffmpeg::format::Flags::GLOBAL_HEADER);
        let container = octx.format().name().to_string();

        // Video.
        let vcodec = ffmpeg::encoder::find_by_name(&options.video_codec).ok_or_else(|| {
            render_error(
                output,
                format!(
                    "no video encoder named '{}' in this FFmpeg build",
                    options.video_codec
                ),
            )
        })?;
        let video_index = octx
            .add_stream(vcodec)
            .map_err(|e| enc_err("adding the video stream", e))?
            .index();
        let mut venc = ffmpeg::codec::context::Context::new_with_codec(vcodec)
            .encoder()
            .video()
            .map_err(|e| enc_err("video encoder", e))?;
        let video_tb = ffmpeg::Rational::new(rate.den() as i32, rate.num() as i32);
        venc.set_width(size.0);
        venc.set_height(size.1);
        venc.set_format(ffmpeg::format::Pixel::YUV420P);
        venc.set_time_base(video_tb);
        venc.set_frame_rate(Some(ffmpeg::Rational::new(
            rate.num() as i32,
            rate.den() as i32,
        )));
        if global_header {
            venc.set_flags(ffmpeg::codec::Flags::GLOBAL_HEADER);
        }
        let mut vopts = ffmpeg::Dictionary::new();
        vopts.set("crf", &options.crf.to_string());
        if !options.preset.is_empty() {
            vopts.set("preset", &options.preset);
        }
        let video_enc = venc
            .open_with(vopts)
            .map_err(|e| enc_err(&format!("opening {}", options.video_codec), e))?;
        {
            let mut st = octx
                .stream_mut(video_index)
                .ok_or_else(|| render_error(output, "the muxer lost the video stream".into()))?;
            st.set_parameters(&video_enc);
            st.set_time_base(video_tb);
        }

        // Audio.
        let acodec = ffmpeg::encoder::find_by_name(&options.audio_codec).ok_or_else(|| {
            render_error(
                output,
                format!(
                    "no audio encoder named '{}' in this FFmpeg build",
                    options.audio_codec
                ),
            )
        })?;
        let audio_format = pick_sample_format(acodec).ok_or_else(|| {
            render_error(
                output,
                format!(
                    "the {} encoder takes no float or 16-bit samples",
                    options.audio_codec
                ),
            )
        })?;
        let audio_index = octx
            .add_stream(acodec)
            .map_err(|e| enc_err("adding the audio stream", e))?
            .index();
        let mut aenc = ffmpeg::codec::context::Context::new_with_codec(acodec)
            .encoder()
            .audio()
            .map_err(|e| enc_err("audio encoder", e))?;
        let audio_layout = if options.audio_channels == 2 {
            ChannelLayout::STEREO
        } else {
            ChannelLayout::default(i32::from(options.audio_channels))
        };
        let audio_tb = ffmpeg::Rational::new(1, sr as i32);
        aenc.set_rate(sr as i32);
        aenc.set_channel_layout(audio_layout);
        aenc.set_channels(i32::from(options.audio_channels));
        aenc.set_format(audio_format);
        aenc.set_bit_rate(options.audio_bit_rate);
        aenc.set_time_base(audio_tb);
        if global_header {
            aenc.set_flags(ffmpeg::codec::Flags::GLOBAL_HEADER);
        }
        let audio_enc = aenc
            .open_as(acodec)
            .map_err(|e| enc_err(&format!("opening {}", options.audio_codec), e))?;
        let audio_frame_size = match audio_enc.frame_size() as usize {
            0 => 1024,
            n => n,
        };
        {
            let mut st = octx
                .stream_mut(audio_index)
                .ok_or_else(|| render_error(output, "the muxer lost the audio stream".into()))?;
            st.set_parameters(&audio_enc);
            st.set_time_base(audio_tb);
        }

        // Subtitles.
        let ms_rate = Rate::MILLIS;
        let to_ms_cues = |cues: &[SubtitleCue]| -> Vec<(i64, i64, String)> {
            let end_ms = plan.duration.to_units(ms_rate);
            cues.iter()
                .filter_map(|c| {
                    let a = Q::of(c.range.start).to_units(ms_rate).max(0);
                    let b = Q::of(c.range.end_exclusive()).to_units(ms_rate).min(end_ms);
                    (b > a).then(|| (a, b, c.text.clone()))
                })
                .collect()
        };
        let mut subtitle_streams = Vec::new();
        let mut burn = None;
        match options.subtitles {
            SubtitleMode::Soft => {
                let name = match container.as_str() {
                    n if n.contains("mp4") || n.contains("mov") => "mov_text",
                    n if n.contains("matroska") => "subrip",
                    n if n.contains("webm") => "webvtt",
                    other => {
                        return Err(render_error(
                            output,
                            format!("the {other} container has no soft subtitle support here; use .mp4 or .mkv"),
                        ))
                    }
                };
                for (lang, cues) in &plan.subtitles {
                    if cues.is_empty() {
                        continue;
                    }
                    let scodec = ffmpeg::encoder::find_by_name(name).ok_or_else(|| {
                        render_error(output, format!("no {name} encoder in this FFmpeg build"))
                    })?;
                    let index = octx
                        .add_stream(scodec)
                        .map_err(|e| enc_err("adding a subtitle stream", e))?
                        .index();
                    let mut senc = ffmpeg::codec::context::Context::new_with_codec(scodec)
                        .encoder()
                        .subtitle()
                        .map_err(|e| enc_err("subtitle encoder", e))?;
                    senc.set_time_base(ffmpeg::Rational::new(1, 1000));
                    if global_header {
                        senc.set_flags(ffmpeg::codec::Flags::GLOBAL_HEADER);
                    }
                    set_subtitle_header(&mut senc);
                    let encoder = senc
                        .open_as(scodec)
                        .map_err(|e| enc_err(&format!("opening {name}"), e))?;
                    {
                        let mut st = octx.stream_mut(index).ok_or_else(|| {
                            render_error(output, "the muxer lost a subtitle stream".into())
                        })?;
                        st.set_parameters(&encoder);
                        st.set_time_base(ffmpeg::Rational::new(1, 1000));
                        if let Some(lang) = lang.as_deref().filter(|l| !l.is_empty()) {
                            let mut md = ffmpeg::Dictionary::new();
                            md.set("language", &iso639_2(lang));
                            st.set_metadata(md);
                        }
                    }
                    subtitle_streams.push(SubtitleStream {
                        index,
                        encoder,
                        cues: to_ms_cues(cues),
                        next: 0,
                    });
                }
            }
            SubtitleMode::BurnIn => {
                let cues = plan.selected_cues(options.subtitle_track);
                if !cues.is_empty() {
                    burn = Some(burn_in_graph(&cues, size, rate, output)?);
                }
            }
            SubtitleMode::None | SubtitleMode::Sidecar(_) => {}
        }

        // MP4/MOV edit lists count in the movie time scale (1000 by default, which rounds the
        // tracks' lengths to milliseconds); one that divides both frame and sample times
        // keeps them exact.
        let mut mux_opts = ffmpeg::Dictionary::new();
        if container.contains("mp4") || container.contains("mov") {
            let (a, b) = (i128::from(rate.num()), i128::from(sr));
            let lcm = a / gcd(a, b) * b;
            let scale = if lcm <= 1_000_000_000 { lcm } else { b };
            mux_opts.set("movie_timescale", &scale.to_string());
        }
        octx.write_header_with(mux_opts).map(|_| ()).map_err(|e| {
            output_error(output, format!("writing the header: {}", ffio::describe(e)))
        })?;

        Ok(Job {
            plan,
            options,
            output,
            octx,
            rate,
            size,
            frames,
            samples,
            video_index,
            video_enc,
            video_tb,
            audio_index,
            audio_enc,
            audio_tb,
            audio_format,
            audio_layout,
            audio_frame_size,
            subtitle_streams,
            burn,
            to_yuv: None,
            rgba: ffmpeg::frame::Video::new(ffmpeg::format::Pixel::RGBA, size.0, size.1),
            yuv: ffmpeg::frame::Video::new(ffmpeg::format::Pixel::YUV420P, size.0, size.1),
            canvas: vec![0; size.0 as usize * size.1 as usize * 4],
            video_sources: HashMap::new(),
            mixer: Mixer::new(
                AudioOutput {
                    sample_rate: options.audio_sample_rate,
                    channels: options.audio_channels,
                },
                false,
            ),
            fifo: Vec::new(),
            audio_pts: 0,
            mixed: 0,
        })
    }

    fn run(
        &mut self,
        progress: &mut dyn FnMut(f32, &str),
        cancel: &AtomicBool,
    ) -> Result<RenderSummary, MediaError> {
        let total = self.frames.max(1);
        let mut last_reported = -1i64;
        progress(0.0, "rendering");
        for i in 0..self.frames {
            if cancel.load(Ordering::Relaxed) {
                return Err(MediaError::Cancelled {
                    path: self.output.to_path_buf(),
                });
            }
            let t = Q::units(i, self.rate);
            self.write_subtitles_until(t.to_units(Rate::MILLIS))?;
            self.compose(t)?;
            self.encode_video(i)?;
            let sample_end = Q::units(i + 1, self.rate)
                .to_samples(self.options.audio_sample_rate)
                .min(self.samples);
            self.produce_audio(sample_end)?;
            let pct = (i + 1) * 200 / total;
            if pct != last_reported {
                last_reported = pct;
                progress(
                    (i + 1) as f32 / total as f32,
                    &format!("frame {} of {}", i + 1, self.frames),
                );
            }
        }
        self.produce_audio(self.samples)?;
        self.write_subtitles_until(i64::MAX)?;
        self.finish_audio()?;
        self.finish_video()?;
        self.octx.write_trailer().map_err(|e| {
            output_error(
                self.output,
                format!("writing the trailer: {}", ffio::describe(e)),
            )
        })?;
        Ok(RenderSummary {
            output: self.output.to_path_buf(),
            frames: self.frames,
            samples: self.samples,
            frame_rate: self.rate,
            size: self.size,
            subtitle_cues: match self.options.subtitles {
                SubtitleMode::Soft => self.subtitle_streams.iter().map(|s| s.cues.len()).sum(),
                SubtitleMode::BurnIn => self.plan.selected_cues(self.options.subtitle_track).len(),
                _ => 0,
            },
            sidecar: None,
        })
    }

    /// Fills `self.canvas` with the picture at time `t`.
    fn compose(&mut self, t: Q) -> Result<(), MediaError> {
        let mut used = HashSet::new();
        let plan = self.plan;
        let span = plan.video.iter().rev().find_map(|track| {
            track
                .at(t)
                .filter(|s| !matches!(s.kind, SpanKind::Gap))
                .copied()
        });
        match span.map(|s| (s, s.kind)) {
            None | Some((_, SpanKind::Gap)) => black(&mut self.canvas),
            Some((_, SpanKind::Clip(c))) => {
                used.insert(plan.clips[c].key);
                let frame = clip_frame(&mut self.video_sources, &plan.clips[c], self.size, t)?;
                match frame {
                    Some(data) => self.canvas.copy_from_slice(data),
                    None => black(&mut self.canvas),
                }
            }
            Some((s, SpanKind::Dissolve { from, to })) => {
                let wi = dissolve_weight(
                    t.sub(s.start).to_f64(),
                    s.end.sub(s.start).to_f64(),
                    Q::units(1, self.rate).to_f64(),
                );
                if let Some(c) = from {
                    used.insert(plan.clips[c].key);
                }
                if let Some(c) = to {
                    used.insert(plan.clips[c].key);
                }
                // Outgoing into the canvas, then blend the incoming over it.
                let mut canvas = std::mem::take(&mut self.canvas);
                match from {
                    Some(c) => match self.clip_frame(c, t)? {
                        Some(d) => canvas.copy_from_slice(d),
                        None => black(&mut canvas),
                    },
                    None => black(&mut canvas),
                }
                let incoming = match to {
                    Some(c) => self.clip_frame(c, t)?,
                    None => None,
                };
                blend(&mut canvas, incoming, wi);
                self.canvas = canvas;
            }
        }
        self.video_sources.retain(|k, _| used.contains(k));
        Ok(())
    }

    /// The RGBA picture of clip `c` at timeline time `t` (`None`: black).
    fn clip_frame(&mut self, c: usize, t: Q) -> Result<Option<&[u8]>, MediaError> {
        clip_frame(&mut self.video_sources, &self.plan.clips[c], self.size, t)
    }

    fn encode_video(&mut self, i: i64) -> Result<(), MediaError> {
        let (w, h) = self.size;
        let row = w as usize * 4;
        // The filter source takes the frame's buffer away; give it a new one then.
        if self.rgba.planes() == 0 {
            self.rgba = ffmpeg::frame::Video::new(ffmpeg::format::Pixel::RGBA, w, h);
        }
        // SAFETY: the frame holds a buffer we allocated; make it writable in case the encoder
        // still holds a reference to it.
        unsafe { ffmpeg::ffi::av_frame_make_writable(self.rgba.as_mut_ptr()) };
        let stride = self.rgba.stride(0);
        let dst = self.rgba.data_mut(0);
        for y in 0..h as usize {
            dst[y * stride..y * stride + row].copy_from_slice(&self.canvas[y * row..(y + 1) * row]);
        }
        self.rgba.set_pts(Some(i));
        let output = self.output;
        if let Some((graph, _)) = self.burn.as_mut() {
            let err = |what: &str, e: ffmpeg::Error| encode_error(output, what, e);
            graph
                .get("in")
                .ok_or_else(|| render_error(output, "subtitle filter input missing".into()))?
                .source()
                .add(&self.rgba)
                .map_err(|e| err("burning in subtitles", e))?;
            let mut sink = graph
                .get("out")
                .ok_or_else(|| render_error(output, "subtitle filter output missing".into()))?;
            let mut filtered = ffmpeg::frame::Video::empty();
            loop {
                match sink.sink().frame(&mut filtered) {
                    Ok(()) => {
                        filtered.set_pts(Some(i));
                        self.video_enc
                            .send_frame(&filtered)
                            .map_err(|e| err("encoding video", e))?;
                        self.drain_video()?;
                    }
                    Err(e) if ffio::is_again(&e) || e == ffmpeg::Error::Eof => break,
                    Err(e) => return Err(err("burning in subtitles", e)),
                }
            }
            return Ok(());
        }
        if self.to_yuv.is_none() {
            self.to_yuv = Some(
                scaling::Context::get(
                    ffmpeg::format::Pixel::RGBA,
                    w,
                    h,
                    ffmpeg::format::Pixel::YUV420P,
                    w,
                    h,
                    scaling::Flags::BILINEAR,
                )
                .map_err(|e| encode_error(output, "RGBA to YUV conversion", e))?,
            );
        }
        // SAFETY: as above.
        unsafe { ffmpeg::ffi::av_frame_make_writable(self.yuv.as_mut_ptr()) };
        if let Some(scaler) = self.to_yuv.as_mut() {
            scaler
                .run(&self.rgba, &mut self.yuv)
                .map_err(|e| encode_error(output, "RGBA to YUV conversion", e))?;
        }
        self.yuv.set_pts(Some(i));
        self.video_enc
            .send_frame(&self.yuv)
            .map_err(|e| encode_error(output, "encoding video", e))?;
        self.drain_video()
    }

    fn drain_video(&mut self) -> Result<(), MediaError> {
        let mut packet = ffmpeg::Packet::empty();
        loop {
            match self.video_enc.receive_packet(&mut packet) {
                Ok(()) => {
                    packet.set_stream(self.video_index);
                    // Encoders leave the duration unset; the MP4 muxer needs it for the last
                    // frame's length (and so for the edit list's duration).
                    if packet.duration() <= 0 {
                        packet.set_duration(1);
                    }
                    let st_tb = self.stream_tb(self.video_index);
                    packet.rescale_ts(self.video_tb, st_tb);
                    packet.write_interleaved(&mut self.octx).map_err(|e| {
                        output_error(self.output, format!("writing video: {}", ffio::describe(e)))
                    })?;
                }
                Err(e) if ffio::is_again(&e) || e == ffmpeg::Error::Eof => return Ok(()),
                Err(e) => return Err(encode_error(self.output, "encoding video", e)),
            }
        }
    }

    fn finish_video(&mut self) -> Result<(), MediaError> {
        match self.video_enc.send_eof() {
            Ok(()) | Err(ffmpeg::Error::Eof) => {}
            Err(e) => return Err(encode_error(self.output, "finishing video", e)),
        }
        self.drain_video()
    }

    fn stream_tb(&self, index: usize) -> ffmpeg::Rational {
        self.octx
            .stream(index)
            .map(|s| s.time_base())
            .unwrap_or(ffmpeg::Rational::new(1, 90_000))
    }

    /// Mixes the sound up to output sample `end` and encodes every full frame.
    fn produce_audio(&mut self, end: i64) -> Result<(), MediaError> {
        let ch = usize::from(self.options.audio_channels);
        let sr = self.options.audio_sample_rate;
        if end > self.mixed {
            let a = self.mixed;
            let n = (end - a) as usize;
            let mut block = vec![0.0f32; n * ch];
            self.mix(a, end, &mut block)?;
            self.fifo.extend_from_slice(&block);
            self.mixed = end;
        }
        let fs = self.audio_frame_size;
        while self.fifo.len() >= fs * ch {
            let chunk: Vec<f32> = self.fifo.drain(..fs * ch).collect();
            self.encode_audio(&chunk)?;
        }
        let _ = sr;
        Ok(())
    }

    /// Output samples `[a, b)` of every sound track, summed into `out`.
    fn mix(&mut self, a: i64, b: i64, out: &mut [f32]) -> Result<(), MediaError> {
        self.mixer.mix(self.plan, a, b, out)
    }

    fn encode_audio(&mut self, interleaved: &[f32]) -> Result<(), MediaError> {
        let ch = usize::from(self.options.audio_channels);
        let n = interleaved.len() / ch;
        if n == 0 {
            return Ok(());
        }
        let mut frame = ffmpeg::frame::Audio::new(self.audio_format, n, self.audio_layout);
        frame.set_rate(self.options.audio_sample_rate);
        frame.set_pts(Some(self.audio_pts));
        fill_audio(&mut frame, self.audio_format, interleaved, ch);
        self.audio_pts += n as i64;
        self.audio_enc
            .send_frame(&frame)
            .map_err(|e| encode_error(self.output, "encoding audio", e))?;
        self.drain_audio()
    }

    fn drain_audio(&mut self) -> Result<(), MediaError> {
        let mut packet = ffmpeg::Packet::empty();
        loop {
            match self.audio_enc.receive_packet(&mut packet) {
                Ok(()) => {
                    packet.set_stream(self.audio_index);
                    let st_tb = self.stream_tb(self.audio_index);
                    packet.rescale_ts(self.audio_tb, st_tb);
                    packet.write_interleaved(&mut self.octx).map_err(|e| {
                        output_error(self.output, format!("writing audio: {}", ffio::describe(e)))
                    })?;
                }
                Err(e) if ffio::is_again(&e) || e == ffmpeg::Error::Eof => return Ok(()),
                Err(e) => return Err(encode_error(self.output, "encoding audio", e)),
            }
        }
    }

    fn finish_audio(&mut self) -> Result<(), MediaError> {
        if !self.fifo.is_empty() {
            let rest = std::mem::take(&mut self.fifo);
            self.encode_audio(&rest)?;
        }
        match self.audio_enc.send_eof() {
            Ok(()) | Err(ffmpeg::Error::Eof) => {}
            Err(e) => return Err(encode_error(self.output, "finishing audio", e)),
        }
        self.drain_audio()
    }

    /// Writes soft subtitle cues starting before `until_ms`.
    fn write_subtitles_until(&mut self, until_ms: i64) -> Result<(), MediaError> {
        for si in 0..self.subtitle_streams.len() {
            loop {
                let s = &mut self.subtitle_streams[si];
                let Some((a, b, text)) = s.cues.get(s.next).cloned() else {
                    break;
                };
                if a > until_ms {
                    break;
                }
                s.next += 1;
                let data = encode_subtitle(&mut s.encoder, a, b, &text)
                    .map_err(|e| encode_error(self.output, "encoding a subtitle", e))?;
                let index = s.index;
                let mut packet = ffmpeg::Packet::copy(&data);
                packet.set_stream(index);
                packet.set_pts(Some(a));
                packet.set_dts(Some(a));
                packet.set_duration(b - a);
                let st_tb = self.stream_tb(index);
                packet.rescale_ts(ffmpeg::Rational::new(1, 1000), st_tb);
                packet.write_interleaved(&mut self.octx).map_err(|e| {
                    output_error(
                        self.output,
                        format!("writing subtitles: {}", ffio::describe(e)),
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// The RGBA picture of `clip` at timeline time `t` (`None`: black), opening its reader on
/// first use.
fn clip_frame<'s>(
    sources: &'s mut HashMap<(usize, usize), VideoSource>,
    clip: &ClipPlan,
    size: (u32, u32),
    t: Q,
) -> Result<Option<&'s [u8]>, MediaError> {
    let source = match sources.entry(clip.key) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(v) => v.insert(VideoSource::open(clip, size)?),
    };
    let Some(rate) = source.rate() else {
        return Ok(None);
    };
    let k = clip.src.add(t.sub(clip.start)).to_units(rate);
    Ok(source.frame(k)?.map(|f| f.data.as_slice()))
}

fn black(canvas: &mut [u8]) {
    for px in canvas.chunks_exact_mut(4) {
        px.copy_from_slice(&[0, 0, 0, 255]);
    }
}

/// Weight (out of 256) of the incoming picture for the frame that starts `offset` into a
/// dissolve `length` long, with frames `frame` long (all in the same unit): `(k + ½) / n` for
/// frame `k` of an `n`-frame dissolve, so the middle frame of an odd-length dissolve is an
/// exact 50/50 mix. The viewer's preview uses it too, so preview and render agree.
pub fn dissolve_weight(offset: f64, length: f64, frame: f64) -> u32 {
    if length <= 0.0 {
        return 256;
    }
    let w = ((offset + frame / 2.0) / length).clamp(0.0, 1.0);
    (w * 256.0).round() as u32
}

/// Cross-fades two same-sized RGBA8 pictures in place:
/// `canvas = canvas·(256−w)/256 + incoming·w/256` (incoming `None` is black).
pub fn blend(canvas: &mut [u8], incoming: Option<&[u8]>, w: u32) {
    let w = w.min(256);
    let keep = 256 - w;
    match incoming {
        Some(src) => {
            for (d, s) in canvas.iter_mut().zip(src) {
                *d = ((u32::from(*d) * keep + u32::from(*s) * w + 128) >> 8) as u8;
            }
        }
        None => {
            for px in canvas.chunks_exact_mut(4) {
                for d in &mut px[..3] {
                    *d = ((u32::from(*d) * keep + 128) >> 8) as u8;
                }
            }
        }
    }
}

fn pick_sample_format(codec: ffmpeg::Codec) -> Option<ffmpeg::format::Sample> {
    use ffmpeg::format::sample::Type;
    use ffmpeg::format::Sample;
    let preferred = [
        Sample::F32(Type::Planar),
        Sample::F32(Type::Packed),
        Sample::I16(Type::Planar),
        Sample::I16(Type::Packed),
    ];
    let audio = codec.audio().ok()?;
    match audio.formats() {
        Some(formats) => {
            let formats: Vec<_> = formats.collect();
            preferred.into_iter().find(|f| formats.contains(f))
        }
        None => Some(Sample::F32(Type::Planar)),
    }
}

fn fill_audio(
    frame: &mut ffmpeg::frame::Audio,
    format: ffmpeg::format::Sample,
    interleaved: &[f32],
    ch: usize,
) {
    use ffmpeg::format::sample::Type;
    use ffmpeg::format::Sample;
    let n = interleaved.len() / ch;
    let to_i16 = |v: f32| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16;
    match format {
        Sample::F32(Type::Planar) => {
            for c in 0..ch {
                let plane = frame.data_mut(c);
                for i in 0..n {
                    plane[i * 4..i * 4 + 4].copy_from_slice(&interleaved[i * ch + c].to_ne_bytes());
                }
            }
        }
        Sample::F32(Type::Packed) => {
            let plane = frame.data_mut(0);
            for (i, v) in interleaved.iter().enumerate() {
                plane[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
            }
        }
        Sample::I16(Type::Planar) => {
            for c in 0..ch {
                let plane = frame.data_mut(c);
                for i in 0..n {
                    plane[i * 2..i * 2 + 2]
                        .copy_from_slice(&to_i16(interleaved[i * ch + c]).to_ne_bytes());
                }
            }
        }
        _ => {
            let plane = frame.data_mut(0);
            for (i, v) in interleaved.iter().enumerate() {
                plane[i * 2..i * 2 + 2].copy_from_slice(&to_i16(*v).to_ne_bytes());
            }
        }
    }
}

/// Gives a text subtitle encoder the ASS header it parses styles from.
fn set_subtitle_header(enc: &mut ffmpeg::encoder::subtitle::Subtitle) {
    let header = ASS_HEADER.as_bytes();
    // SAFETY: the codec context owns `subtitle_header` (freed with av_free when the context is
    // freed); we allocate it with av_mallocz, NUL-terminated, and set its size.
    unsafe {
        let ctx = enc.as_mut_ptr();
        let buf = ffmpeg::ffi::av_mallocz(header.len() + 1) as *mut u8;
        if buf.is_null() {
            return;
        }
        std::ptr::copy_nonoverlapping(header.as_ptr(), buf, header.len());
        (*ctx).subtitle_header = buf;
        (*ctx).subtitle_header_size = header.len() as i32;
    }
}

/// Encodes one text cue (times in ms) with a text subtitle encoder.
fn encode_subtitle(
    enc: &mut ffmpeg::encoder::Subtitle,
    start_ms: i64,
    end_ms: i64,
    text: &str,
) -> Result<Vec<u8>, ffmpeg::Error> {
    let line = format!("0,0,Default,,0,0,0,,{}", ass_text(text));
    let line = CString::new(line.replace('\0', "")).map_err(|_| ffmpeg::Error::InvalidData)?;
    let mut buf = vec![0u8; 64 * 1024 + text.len() * 8];
    // SAFETY: the AVSubtitle and its single rect are allocated with av_mallocz/av_strdup and
    // released by avsubtitle_free; the encoder only reads them.
    unsafe {
        let mut sub: ffmpeg::ffi::AVSubtitle = std::mem::zeroed();
        sub.format = 1;
        sub.start_display_time = 0;
        sub.end_display_time = (end_ms - start_ms).clamp(0, u32::MAX as i64) as u32;
        sub.pts = start_ms.saturating_mul(1000);
        let rects = ffmpeg::ffi::av_mallocz(std::mem::size_of::<*mut ffmpeg::ffi::AVSubtitleRect>())
            as *mut *mut ffmpeg::ffi::AVSubtitleRect;
        let rect = ffmpeg::ffi::av_mallocz(std::mem::size_of::<ffmpeg::ffi::AVSubtitleRect>())
            as *mut ffmpeg::ffi::AVSubtitleRect;
        if rects.is_null() || rect.is_null() {
            ffmpeg::ffi::av_free(rects as *mut _);
            ffmpeg::ffi::av_free(rect as *mut _);
            return Err(ffmpeg::Error::Other {
                errno: ffmpeg::util::error::ENOMEM,
            });
        }
        (*rect).type_ = ffmpeg::ffi::AVSubtitleType::SUBTITLE_ASS;
        (*rect).ass = ffmpeg::ffi::av_strdup(line.as_ptr());
        *rects = rect;
        sub.rects = rects;
        sub.num_rects = 1;
        let n = ffmpeg::ffi::avcodec_encode_subtitle(
            enc.as_mut_ptr(),
            buf.as_mut_ptr(),
            buf.len() as i32,
            &sub,
        );
        ffmpeg::ffi::avsubtitle_free(&mut sub);
        if n < 0 {
            return Err(ffmpeg::Error::from(n));
        }
        buf.truncate(n as usize);
    }
    Ok(buf)
}

/// An ISO 639-2 code for a BCP 47 tag where the common two-letter codes are known.
fn iso639_2(tag: &str) -> String {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase();
    let three = match primary.as_str() {
        "en" => "eng",
        "fr" => "fra",
        "de" => "deu",
        "es" => "spa",
        "it" => "ita",
        "pt" => "por",
        "nl" => "nld",
        "ja" => "jpn",
        "zh" => "zho",
        "ko" => "kor",
        "ru" => "rus",
        "ar" => "ara",
        "sv" => "swe",
        "pl" => "pol",
        _ => return primary,
    };
    three.to_string()
}

/// Escapes a value for an option inside a filter graph description (two levels of quoting).
fn escape_filter_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        if matches!(c, '\\' | '\'' | ':' | ',' | ';' | '[' | ']' | '=') {
            out.push_str("\\\\\\");
        }
        out.push(c);
    }
    out
}

/// A filter graph RGBA → `subtitles` (libass) → YUV 4:2:0, with the cues in a temporary
/// SubRip file (removed with the job).
fn burn_in_graph(
    cues: &[SubtitleCue],
    size: (u32, u32),
    rate: Rate,
    output: &Path,
) -> Result<(ffmpeg::filter::Graph, PathBuf), MediaError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cutroom-burn-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| output_error(output, format!("temporary directory: {e}")))?;
    let srt = dir.join("cues.srt");
    let cleanup = |e: MediaError| {
        let _ = std::fs::remove_dir_all(&dir);
        e
    };
    formats::write_subtitles(cues, &srt)
        .map_err(|e| cleanup(output_error(output, e.to_string())))?;
    let err =
        |e: ffmpeg::Error| cleanup(encode_error(output, "setting up the subtitles filter", e));
    let mut graph = ffmpeg::filter::Graph::new();
    let buffer = ffmpeg::filter::find("buffer").ok_or_else(|| {
        cleanup(render_error(
            output,
            "libavfilter has no buffer source".into(),
        ))
    })?;
    let sink = ffmpeg::filter::find("buffersink").ok_or_else(|| {
        cleanup(render_error(
            output,
            "libavfilter has no buffer sink".into(),
        ))
    })?;
    if ffmpeg::filter::find("subtitles").is_none() {
        return Err(cleanup(render_error(
            output,
            "this FFmpeg build has no 'subtitles' filter (libass) for burning in".into(),
        )));
    }
    let args = format!(
        "video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect=1/1",
        size.0,
        size.1,
        ffmpeg::ffi::AVPixelFormat::AV_PIX_FMT_RGBA as i32,
        rate.den(),
        rate.num()
    );
    graph.add(&buffer, "in", &args).map_err(err)?;
    graph.add(&sink, "out", "").map_err(err)?;
    if let Some(mut out) = graph.get("out") {
        out.set_pixel_format(ffmpeg::format::Pixel::YUV420P);
    }
    let srt_str = srt
        .to_str()
        .ok_or_else(|| cleanup(render_error(output, "temporary path is not UTF-8".into())))?;
    let spec = format!(
        "subtitles=filename={},format=yuv420p",
        escape_filter_value(srt_str)
    );
    graph
        .output("in", 0)
        .and_then(|p| p.input("out", 0))
        .and_then(|p| p.parse(&spec))
        .map_err(err)?;
    graph.validate().map_err(err)?;
    Ok((graph, dir))
}

/// The output size: the options' or the first video clip's, made even for 4:2:0.
fn output_size(
    plan: &Plan,
    options: &RenderOptions,
    output: &Path,
) -> Result<(u32, u32), MediaError> {
    let (mut w, mut h) = (options.width, options.height);
    if w == 0 || h == 0 {
        let first = plan
            .video
            .iter()
            .flat_map(|t| t.spans.iter())
            .find_map(|s| match s.kind {
                SpanKind::Clip(c) => Some(c),
                _ => None,
            });
        let (sw, sh) = match first {
            Some(c) => match VideoReader::open(
                &plan.clips[c].path,
                VideoOutput::source_size(PixelFormat::Rgba),
            ) {
                Ok(r) => r.output_size(),
                Err(MediaError::NoStream { .. }) => (1280, 720),
                Err(e) => return Err(e),
            },
            None => (1280, 720),
        };
        if w == 0 && h == 0 {
            (w, h) = (sw, sh);
        } else if w == 0 {
            w = ((u64::from(sw) * u64::from(h)) / u64::from(sh.max(1))) as u32;
        } else {
            h = ((u64::from(sh) * u64::from(w)) / u64::from(sw.max(1))) as u32;
        }
    }
    let (w, h) = (w & !1, h & !1);
    if w < 2 || h < 2 || w > 8192 || h > 8192 {
        return Err(render_error(
            output,
            format!("output size {w}x{h} is out of range (2..=8192)"),
        ));
    }
    Ok((w, h))
}
