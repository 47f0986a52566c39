//! The playback decode thread.
//!
//! The viewer never decodes. It describes what to play as a [`Program`] (the video tracks
//! of the timeline composited as the renderer does, flattened to segments of media), and sends [`PlayerCommand`]s to a decode
//! thread that owns the FFmpeg readers. Decoded frames, already converted to
//! [`egui::ColorImage`]s (and graded with the preview LUT when one is set), come back on a
//! **bounded** channel: when the viewer falls behind, the decode thread waits (back-pressure)
//! instead of queueing without limit. Every command that moves the playhead carries a new
//! generation number; frames of older generations are dropped by the viewer, which is how a
//! seek flushes the pipeline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use cutroom_media::{resolve_media, PixelFormat, VideoOutput, VideoReader};
use cutroom_timeline::{Item, Rate, RationalTime, Timeline, Track, TrackKind};
use eframe::egui::{self, Color32, ColorImage};

use cutroom_color::PreparedLut;

/// Threads a LUT is applied with (the decode thread and one helper).
const LUT_THREADS: usize = 2;

/// Frames the decode thread may have ready ahead of the viewer.
pub const FRAME_QUEUE: usize = 4;

/// A stretch of the timeline showing one piece of media (or nothing, for a gap), or a
/// dissolve between two.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// First timeline frame of the segment.
    pub start: i64,
    /// Length in timeline frames.
    pub len: i64,
    /// The media shown (the incoming picture of a dissolve), or `None` for black.
    pub media: Option<SegmentMedia>,
    /// Set when the segment is (part of) a dissolve: the picture cross-fades from this one
    /// to [`Segment::media`], with the weights the renderer uses.
    pub dissolve: Option<Dissolve>,
}

impl Segment {
    /// The part `[a, b)` of this segment (which must lie within it), showing the same
    /// pictures at the same timeline frames.
    fn slice(&self, a: i64, b: i64, rate: Rate) -> Segment {
        let skip = a - self.start;
        Segment {
            start: a,
            len: b - a,
            media: self.media.as_ref().map(|m| m.shifted(skip, rate)),
            dissolve: self.dissolve.as_ref().map(|d| Dissolve {
                from: d.from.as_ref().map(|m| m.shifted(skip, rate)),
                offset: d.offset + skip,
                len: d.len,
            }),
        }
    }
}

/// The outgoing side of a dissolve segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Dissolve {
    /// The outgoing media (running on into its handle), or `None` to fade from black.
    pub from: Option<SegmentMedia>,
    /// Frames of the dissolve before the segment's first frame (non-zero when an upper
    /// track hides the dissolve's start).
    pub offset: i64,
    /// Length of the whole dissolve in frames; frame `k` of the segment is frame
    /// `offset + k` of it.
    pub len: i64,
}

/// Where a segment's pictures come from.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMedia {
    /// Index of the clip's track in the timeline.
    pub track: usize,
    /// Index of the clip on its track. With [`SegmentMedia::track`] it identifies the decode
    /// reader, so that every track, and the two sides of a dissolve between clips of the
    /// same file, read on separate readers.
    pub clip: usize,
    /// Media file.
    pub path: PathBuf,
    /// Media time (from the media's first frame) shown at the segment's first frame. It can
    /// be before the media's start for an incoming clip without a handle; such frames show
    /// the media's first frame, as the renderer does.
    pub source_start: RationalTime,
    /// The colour transform accepted on the clip, if any.
    pub lut: Option<Arc<cutroom_timeline::ColorTransform>>,
}

impl SegmentMedia {
    /// The same media, shown from `frames` timeline frames later at `rate`.
    fn shifted(&self, frames: i64, rate: Rate) -> SegmentMedia {
        SegmentMedia {
            source_start: self.source_start + RationalTime::new(frames, rate),
            ..self.clone()
        }
    }
}

/// What the viewer plays: a timeline flattened to segments, at the timeline's rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Timeline rate; frame numbers are at this rate.
    pub rate: Rate,
    /// Segments in order, without overlaps.
    pub segments: Vec<Segment>,
    /// Total length in frames.
    pub frames: i64,
}

/// A segment of one track, and whether it is a gap (which shows the tracks below).
struct TrackSegment {
    segment: Segment,
    gap: bool,
}

impl Program {
    /// An empty program at 25 fps.
    pub fn empty() -> Program {
        Program {
            rate: Rate::FPS_25,
            segments: Vec::new(),
            frames: 0,
        }
    }

    /// The video tracks of `timeline` composited as the renderer does: at every frame the
    /// topmost video track (later tracks stack on top) with something other than a gap
    /// there is shown, so a gap in an upper track shows the tracks below, and where no
    /// track has anything the picture is black. Only one track is decoded for any frame
    /// (two for a dissolve), each track on its own readers.
    ///
    /// Clip media are files: `file://` URLs and plain paths, relative ones resolved
    /// against `media_base` (the directory of the timeline or project file; see
    /// [`resolve_media`]).
    ///
    /// A dissolve becomes a segment of its own over the span it covers (`cut - in_offset`
    /// to `cut + out_offset`), cross-fading the outgoing clip (running on into its handle)
    /// into the incoming one; next to a gap, or at the start of the track, it fades
    /// through black — as the renderer does.
    pub fn from_timeline(timeline: &Timeline, media_base: Option<&Path>) -> Program {
        let rate = timeline.rate;
        let tracks: Vec<(Vec<TrackSegment>, i64)> = timeline
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == TrackKind::Video)
            .map(|(ti, t)| track_segments(t, ti, rate, media_base))
            .collect();
        let frames = tracks.iter().map(|t| t.1).max().unwrap_or(0);
        let mut bounds: Vec<i64> = tracks
            .iter()
            .flat_map(|(segs, _)| segs)
            .flat_map(|s| [s.segment.start, s.segment.start + s.segment.len])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        // Each track's first segment that may still cover the current span (bounds rise).
        let mut cursors = vec![0usize; tracks.len()];
        let mut segments: Vec<Segment> = Vec::new();
        // Which track segment the last piece came from (`None`: black).
        let mut last_source: Option<Option<(usize, usize)>> = None;
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            let mut top = None;
            for (t, (segs, _)) in tracks.iter().enumerate().rev() {
                let c = &mut cursors[t];
                while *c < segs.len() && segs[*c].segment.start + segs[*c].segment.len <= a {
                    *c += 1;
                }
                if let Some(s) = segs.get(*c) {
                    if s.segment.start <= a && !s.gap {
                        top = Some((t, *c));
                        break;
                    }
                }
            }
            // A piece continuing the previous one's source extends it.
            if let (Some(source), Some(prev)) = (last_source, segments.last_mut()) {
                if source == top && prev.start + prev.len == a {
                    prev.len += b - a;
                    continue;
                }
            }
            segments.push(match top {
                Some((t, i)) => tracks[t].0[i].segment.slice(a, b, rate),
                None => Segment {
                    start: a,
                    len: b - a,
                    media: None,
                    dissolve: None,
                },
            });
            last_source = Some(top);
        }
        Program {
            rate,
            segments,
            frames,
        }
    }

    /// The segment showing timeline frame `frame`.
    pub fn segment_at(&self, frame: i64) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.start + s.len <= frame);
        self.segments
            .get(i)
            .filter(|s| frame >= s.start && frame < s.start + s.len)
    }
}

/// Track `ti` of a timeline as segments in order (gaps included), and its length in
/// frames.
fn track_segments(
    track: &Track,
    ti: usize,
    rate: Rate,
    media_base: Option<&Path>,
) -> (Vec<TrackSegment>, i64) {
    let mut segments: Vec<TrackSegment> = Vec::new();
    let mut frames = 0;
    // Each clip's start frame and media (at that start), by item index.
    let mut clips: HashMap<usize, (i64, SegmentMedia)> = HashMap::new();
    let mut transitions = Vec::new();
    for (ii, (item, range)) in track.items_with_ranges().into_iter().enumerate() {
        let start = range.start.to_frames(rate);
        let len = range.duration.to_frames(rate);
        let media = match item {
            Item::Clip(c) => c.media.target_url.as_deref().map(|url| SegmentMedia {
                track: ti,
                clip: ii,
                path: resolve_media(url, media_base),
                source_start: c.source_range.start - c.media.origin(rate),
                lut: c.color.clone().map(Arc::new),
            }),
            Item::Gap(_) => None,
            Item::Transition(_) => {
                transitions.push((ii, start, start + len));
                continue;
            }
        };
        if let Some(m) = &media {
            clips.insert(ii, (start, m.clone()));
        }
        if len > 0 {
            segments.push(TrackSegment {
                segment: Segment {
                    start,
                    len,
                    media,
                    dissolve: None,
                },
                gap: matches!(item, Item::Gap(_)),
            });
            frames = frames.max(start + len);
        }
    }
    for (ii, a, b) in transitions {
        let (a, b) = (a.max(0), b.min(frames));
        if b <= a {
            continue;
        }
        let side = |i: Option<usize>| {
            let (start, m) = clips.get(&i?)?;
            Some(m.shifted(a - start, rate))
        };
        let from = side(ii.checked_sub(1));
        let to = side(Some(ii + 1));
        let mut carved = Vec::with_capacity(segments.len() + 2);
        for s in segments {
            let (start, end) = (s.segment.start, s.segment.start + s.segment.len);
            if end <= a || start >= b {
                carved.push(s);
                continue;
            }
            if start < a {
                carved.push(TrackSegment {
                    segment: s.segment.slice(start, a, rate),
                    gap: s.gap,
                });
            }
            if end > b {
                carved.push(TrackSegment {
                    segment: s.segment.slice(b, end, rate),
                    gap: s.gap,
                });
            }
        }
        carved.push(TrackSegment {
            segment: Segment {
                start: a,
                len: b - a,
                media: to,
                dissolve: Some(Dissolve {
                    from,
                    offset: 0,
                    len: b - a,
                }),
            },
            gap: false,
        });
        carved.sort_by_key(|s| s.segment.start);
        segments = carved;
    }
    (segments, frames)
}

/// A decoded picture for the viewer.
pub struct DecodedFrame {
    /// Generation of the command that produced it.
    pub generation: u64,
    /// Timeline frame it shows.
    pub frame: i64,
    /// The picture (with the clip's accepted LUT applied).
    pub image: ColorImage,
    /// The picture with the preview LUT applied, when one is set (the "after" of the wipe).
    pub graded: Option<ColorImage>,
    /// Time spent decoding and converting it.
    pub decode_time: Duration,
}

/// Instructions for the decode thread.
pub enum PlayerCommand {
    /// Play this program from now on (does not move the playhead).
    SetProgram(Arc<Program>),
    /// Decode one frame and stop.
    Show {
        /// New generation.
        generation: u64,
        /// Timeline frame.
        frame: i64,
    },
    /// Decode frames `from, from + step, from + 2·step, …` until told otherwise.
    Play {
        /// New generation.
        generation: u64,
        /// First timeline frame.
        from: i64,
        /// Frame increment: 1 for normal speed, 2/4 for fast, negative for reverse.
        step: i64,
    },
    /// Grade frames with this LUT for the before/after preview (or stop grading).
    SetPreviewLut(Option<Arc<PreparedLut>>),
    /// Decode pictures that fit within this size (the viewer panel's size in pixels), so
    /// that scaling, grading and texture upload cost what the screen shows, not what the
    /// media holds. Reopens the readers when the size changes.
    SetSize([u32; 2]),
}

/// The viewer's handle on the decode thread. Dropping it stops the thread.
pub struct Player {
    commands: Sender<PlayerCommand>,
    frames: Receiver<DecodedFrame>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Player {
    /// Starts a decode thread producing pictures that fit within `max_size` (keeping the
    /// aspect ratio). `repaint` is asked to repaint whenever a frame is ready.
    pub fn spawn(max_size: [u32; 2], repaint: Option<egui::Context>) -> Player {
        let (commands, commands_rx) = crossbeam_channel::unbounded();
        let (frames_tx, frames) = crossbeam_channel::bounded(FRAME_QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("cutroom-playback".into())
            .spawn(move || {
                let mut worker = Decoder {
                    max_size,
                    program: Arc::new(Program::empty()),
                    readers: Vec::new(),
                    uses: 0,
                    preview: None,
                    luts: Vec::new(),
                    repaint,
                    stop: stop_flag,
                };
                worker.run(commands_rx, frames_tx);
            })
            .expect("spawning the playback thread");
        Player {
            commands,
            frames,
            stop,
            thread: Some(thread),
        }
    }

    /// Sends a command; never blocks.
    pub fn send(&self, command: PlayerCommand) {
        let _ = self.commands.send(command);
    }

    /// The next ready frame, if any; never blocks.
    pub fn try_recv(&self) -> Option<DecodedFrame> {
        self.frames.try_recv().ok()
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the thread if it waits for a command.
        let (dead, _) = crossbeam_channel::unbounded();
        self.commands = dead;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct OpenReader {
    reader: VideoReader,
    next: i64,
}

/// Readers kept open (least recently used closed first): enough for both sides of a
/// dissolve plus the clips around it, and for a clip on an upper track over one below
/// (whose reader is still open where it was left when the upper clip ends).
const MAX_READERS: usize = 6;

/// Prepared clip LUTs kept (both sides of a dissolve may carry one).
const MAX_LUTS: usize = 4;

/// `(track, clip, file)`.
type ReaderKey = (usize, usize, PathBuf);

struct Decoder {
    max_size: [u32; 2],
    program: Arc<Program>,
    /// `(key, reader or None when the file cannot be read, last use)`.
    readers: Vec<(ReaderKey, Option<OpenReader>, u64)>,
    uses: u64,
    preview: Option<Arc<PreparedLut>>,
    luts: Vec<(Arc<cutroom_timeline::ColorTransform>, Arc<PreparedLut>)>,
    repaint: Option<egui::Context>,
    stop: Arc<AtomicBool>,
}

/// A tightly packed RGBA8 picture.
struct Picture {
    data: Vec<u8>,
    w: u32,
    h: u32,
}

impl Picture {
    fn black(w: u32, h: u32) -> Picture {
        Picture {
            data: black(w, h),
            w,
            h,
        }
    }

    /// This picture resampled (nearest neighbour) to `w`×`h`; only needed when the two
    /// sides of a dissolve have different sizes.
    fn resized(self, w: u32, h: u32) -> Picture {
        if (self.w, self.h) == (w, h) {
            return self;
        }
        let mut data = Vec::with_capacity(w as usize * h as usize * 4);
        for y in 0..h as usize {
            let sy = y * self.h as usize / h as usize;
            for x in 0..w as usize {
                let sx = x * self.w as usize / w as usize;
                let i = (sy * self.w as usize + sx) * 4;
                data.extend_from_slice(&self.data[i..i + 4]);
            }
        }
        Picture { data, w, h }
    }
}

enum Mode {
    Idle,
    Still(u64, i64),
    Playing(u64, i64, i64),
}

impl Decoder {
    fn run(&mut self, commands: Receiver<PlayerCommand>, frames: Sender<DecodedFrame>) {
        let mut mode = Mode::Idle;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            // Apply every waiting command; block only when idle.
            let first = match mode {
                Mode::Idle => match commands.recv() {
                    Ok(c) => Some(c),
                    Err(_) => return,
                },
                _ => None,
            };
            for cmd in first.into_iter().chain(commands.try_iter()) {
                self.apply(cmd, &mut mode);
            }
            let (generation, frame) = match mode {
                Mode::Idle => continue,
                Mode::Still(g, f) => {
                    mode = Mode::Idle;
                    (g, f)
                }
                Mode::Playing(g, f, step) => {
                    let next = f + step;
                    mode = if next < 0 || next >= self.program.frames {
                        Mode::Idle
                    } else {
                        Mode::Playing(g, next, step)
                    };
                    (g, f)
                }
            };
            if frame < 0 || frame >= self.program.frames.max(1) {
                continue;
            }
            let Some(decoded) = self.decode(generation, frame) else {
                continue;
            };
            // Wait for room in the queue, but keep listening for commands.
            let mut pending = decoded;
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                match frames.try_send(pending) {
                    Ok(()) => {
                        if let Some(ctx) = &self.repaint {
                            ctx.request_repaint();
                        }
                        break;
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                    Err(TrySendError::Full(d)) => {
                        pending = d;
                        match commands.recv_timeout(Duration::from_millis(4)) {
                            Ok(cmd) => {
                                let moves = matches!(
                                    cmd,
                                    PlayerCommand::Show { .. } | PlayerCommand::Play { .. }
                                );
                                self.apply(cmd, &mut mode);
                                if moves {
                                    break; // the frame is stale now
                                }
                            }
                            Err(RecvTimeoutError::Timeout) => {}
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
            }
        }
    }

    fn apply(&mut self, cmd: PlayerCommand, mode: &mut Mode) {
        match cmd {
            PlayerCommand::SetProgram(p) => self.program = p,
            PlayerCommand::Show { generation, frame } => *mode = Mode::Still(generation, frame),
            PlayerCommand::Play {
                generation,
                from,
                step,
            } => *mode = Mode::Playing(generation, from, if step == 0 { 1 } else { step }),
            PlayerCommand::SetPreviewLut(l) => self.preview = l,
            PlayerCommand::SetSize(size) => {
                if size != self.max_size {
                    self.max_size = size;
                    self.readers.clear();
                }
            }
        }
    }

    fn output_for(&self, path: &Path) -> Option<VideoOutput> {
        let info = cutroom_media::probe(path).ok()?;
        let v = info.video()?;
        let (w, h) = fit(v.width, v.height, self.max_size);
        Some(VideoOutput {
            width: w,
            height: h,
            format: PixelFormat::Rgba,
        })
    }

    fn decode(&mut self, generation: u64, frame: i64) -> Option<DecodedFrame> {
        let started = Instant::now();
        let program = self.program.clone();
        let seg = program.segment_at(frame)?;
        let k = frame - seg.start;
        let incoming = seg.media.as_ref().and_then(|m| self.picture(m, k));
        let pic = match &seg.dissolve {
            None => incoming,
            Some(d) => {
                let outgoing = d.from.as_ref().and_then(|m| self.picture(m, k));
                let w = cutroom_media::render::dissolve_weight(
                    (d.offset + k) as f64,
                    d.len as f64,
                    1.0,
                );
                match (outgoing, incoming) {
                    (Some(mut out), Some(inc)) => {
                        let inc = inc.resized(out.w, out.h);
                        cutroom_media::render::blend(&mut out.data, Some(&inc.data), w);
                        Some(out)
                    }
                    // Fade out to black.
                    (Some(mut out), None) => {
                        cutroom_media::render::blend(&mut out.data, None, w);
                        Some(out)
                    }
                    // Fade in from black.
                    (None, Some(inc)) => {
                        let mut out = Picture::black(inc.w, inc.h);
                        cutroom_media::render::blend(&mut out.data, Some(&inc.data), w);
                        Some(out)
                    }
                    (None, None) => None,
                }
            }
        };
        let Picture { data: rgba, w, h } = pic.unwrap_or_else(|| Picture::black(16, 9));
        let (wu, hu) = (w as usize, h as usize);
        let size = [wu, hu];
        let graded = self.preview.as_ref().map(|lut| {
            let mut g = rgba.clone();
            let _ = lut.apply_rgba8(&mut g, wu, hu, LUT_THREADS);
            to_image(size, &g)
        });
        Some(DecodedFrame {
            generation,
            frame,
            image: to_image(size, &rgba),
            graded,
            decode_time: started.elapsed(),
        })
    }

    /// Frame `k` of segment media `m`, with the clip's accepted LUT applied.
    fn picture(&mut self, m: &SegmentMedia, k: i64) -> Option<Picture> {
        let t = m.source_start + RationalTime::new(k, self.program.rate);
        let mut pic = self.read((m.track, m.clip), &m.path, t)?;
        if let Some(lut) = &m.lut {
            if let Some(p) = self.prepared(lut) {
                let _ = p.apply_rgba8(&mut pic.data, pic.w as usize, pic.h as usize, LUT_THREADS);
            }
        }
        Some(pic)
    }

    /// The prepared form of `lut`, cached.
    fn prepared(
        &mut self,
        lut: &Arc<cutroom_timeline::ColorTransform>,
    ) -> Option<Arc<PreparedLut>> {
        if let Some(i) = self.luts.iter().position(|(l, _)| Arc::ptr_eq(l, lut)) {
            let entry = self.luts.remove(i);
            let p = entry.1.clone();
            self.luts.push(entry);
            return Some(p);
        }
        let p = Arc::new(PreparedLut::new(lut).ok()?);
        if self.luts.len() >= MAX_LUTS {
            self.luts.remove(0);
        }
        self.luts.push((lut.clone(), p.clone()));
        Some(p)
    }

    /// The open reader for clip `clip` (track and item index) of `path` (opening it, and
    /// closing the least recently used one, when needed).
    fn reader(&mut self, clip: (usize, usize), path: &Path) -> Option<&mut OpenReader> {
        self.uses += 1;
        let i = match self
            .readers
            .iter()
            .position(|((t, c, p), _, _)| (*t, *c) == clip && p == path)
        {
            Some(i) => i,
            None => {
                let opened = self.output_for(path).and_then(|out| {
                    VideoReader::open(path, out)
                        .ok()
                        .map(|reader| OpenReader { reader, next: 0 })
                });
                if self.readers.len() >= MAX_READERS {
                    if let Some(lru) = (0..self.readers.len()).min_by_key(|&i| self.readers[i].2) {
                        self.readers.remove(lru);
                    }
                }
                self.readers
                    .push(((clip.0, clip.1, path.to_path_buf()), opened, self.uses));
                self.readers.len() - 1
            }
        };
        let entry = &mut self.readers[i];
        entry.2 = self.uses;
        entry.1.as_mut()
    }

    /// Reads the frame at media time `t` of `path` as tightly packed RGBA. Times before
    /// the media's start show its first frame; past its end, its last.
    fn read(&mut self, clip: (usize, usize), path: &Path, t: RationalTime) -> Option<Picture> {
        let open = self.reader(clip, path)?;
        let mut want = t.to_frames(open.reader.rate()).max(0);
        if let Some(n) = open.reader.frame_count() {
            want = want.min(n - 1).max(0);
        }
        if want < open.next || want > open.next + 12 {
            open.reader.seek_to_frame(want).ok()?;
            open.next = want;
        }
        while open.next < want {
            match open.reader.skip_frame().ok()? {
                Some(i) => open.next = i + 1,
                None => return None,
            }
        }
        let f = open.reader.next_frame().ok()??;
        open.next = f.index + 1;
        let row = f.width as usize * 4;
        let data = if f.stride == row {
            f.data
        } else {
            f.data
                .chunks(f.stride)
                .take(f.height as usize)
                .flat_map(|r| r[..row.min(r.len())].iter().copied())
                .collect()
        };
        Some(Picture {
            data,
            w: f.width,
            h: f.height,
        })
    }
}

fn black(w: u32, h: u32) -> Vec<u8> {
    [0u8, 0, 0, 255].repeat((w * h) as usize)
}

fn to_image(size: [usize; 2], rgba: &[u8]) -> ColorImage {
    let pixels = rgba
        .chunks_exact(4)
        .map(|p| Color32::from_rgba_premultiplied(p[0], p[1], p[2], 255))
        .collect();
    ColorImage::new(size, pixels)
}

/// The largest even size with the aspect of `w`×`h` that fits within `max`.
pub fn fit(w: u32, h: u32, max: [u32; 2]) -> (u32, u32) {
    if w == 0 || h == 0 {
        return (16, 9);
    }
    let s = (max[0] as f64 / w as f64)
        .min(max[1] as f64 / h as f64)
        .min(1.0);
    let even = |x: f64| ((x.round() as u32) & !1).max(2);
    (even(w as f64 * s), even(h as f64 * s))
}

#[cfg(test)]
mod tests {
    use super::*;

    use cutroom_timeline::{Clip, Gap, MediaReference, TimeRange, Track, Transition};

    fn frames(n: i64) -> RationalTime {
        RationalTime::new(n, Rate::FPS_25)
    }

    fn clip(url: &str, from: i64, len: i64) -> Item {
        Item::Clip(Clip::new(
            url,
            MediaReference::external(url, Some(TimeRange::new(frames(0), frames(100)))),
            TimeRange::new(frames(from), frames(len)),
        ))
    }

    fn program(items: Vec<Item>) -> Program {
        tracks(vec![items])
    }

    /// Video tracks from bottom (V1) to top.
    fn tracks(tracks: Vec<Vec<Item>>) -> Program {
        let mut tl = Timeline::new("t", Rate::FPS_25);
        for (i, items) in tracks.into_iter().enumerate() {
            let mut v = Track::new(format!("V{}", i + 1), TrackKind::Video);
            v.items = items;
            tl.tracks.push(v);
        }
        Program::from_timeline(&tl, None)
    }

    fn gap(len: i64) -> Item {
        Item::Gap(Gap {
            duration: frames(len),
        })
    }

    /// `(start, len, file, first source frame, dissolve offset)` of a segment.
    type Layout = (i64, i64, Option<String>, Option<i64>, Option<i64>);

    fn layout(p: &Program) -> Vec<Layout> {
        p.segments
            .iter()
            .map(|s| {
                (
                    s.start,
                    s.len,
                    s.media.as_ref().map(|m| m.path.display().to_string()),
                    start_frame(&s.media),
                    s.dissolve.as_ref().map(|d| d.offset),
                )
            })
            .collect()
    }

    fn start_frame(m: &Option<SegmentMedia>) -> Option<i64> {
        m.as_ref().map(|m| m.source_start.to_frames(Rate::FPS_25))
    }

    #[test]
    fn a_dissolve_becomes_a_segment_fading_the_outgoing_clip_into_the_incoming_one() {
        let p = program(vec![
            clip("a.mp4", 0, 40),
            Item::Transition(Transition::dissolve(frames(5), frames(5))),
            clip("b.mp4", 10, 40),
        ]);
        assert_eq!(p.frames, 80);
        let spans: Vec<_> = p.segments.iter().map(|s| (s.start, s.len)).collect();
        assert_eq!(spans, [(0, 35), (35, 10), (45, 35)]);
        let d = &p.segments[1];
        let from = &d.dissolve.as_ref().expect("a dissolve segment").from;
        // The outgoing clip runs on into its handle; the incoming one starts in its own.
        assert_eq!(start_frame(from), Some(35));
        assert_eq!(from.as_ref().unwrap().path, PathBuf::from("a.mp4"));
        assert_eq!(start_frame(&d.media), Some(5));
        assert_eq!(d.media.as_ref().unwrap().path, PathBuf::from("b.mp4"));
        // After the dissolve the incoming clip continues where the dissolve left it.
        assert_eq!(start_frame(&p.segments[2].media), Some(15));
        assert!(p.segments[2].dissolve.is_none());
    }

    #[test]
    fn a_dissolve_from_a_gap_fades_in_from_black() {
        let p = program(vec![
            Item::Gap(Gap {
                duration: frames(20),
            }),
            Item::Transition(Transition::dissolve(frames(4), frames(4))),
            clip("b.mp4", 0, 40),
        ]);
        let d = p.segment_at(18).unwrap();
        assert_eq!((d.start, d.len), (16, 8));
        assert_eq!(
            d.dissolve,
            Some(Dissolve {
                from: None,
                offset: 0,
                len: 8
            })
        );
        assert!(d.media.is_some());
    }

    #[test]
    fn a_clip_on_an_upper_track_covers_the_track_below_only_where_it_is() {
        let p = tracks(vec![
            vec![clip("a.mp4", 0, 100)],
            vec![gap(20), clip("b.mp4", 50, 30)],
        ]);
        assert_eq!(p.frames, 100);
        let a = Some("a.mp4".to_string());
        let b = Some("b.mp4".to_string());
        assert_eq!(
            layout(&p),
            [
                (0, 20, a.clone(), Some(0), None),
                (20, 30, b, Some(50), None),
                // The lower clip carries on at the frame the timeline has reached.
                (50, 50, a, Some(50), None),
            ]
        );
        // Both tracks read on readers of their own.
        let (low, high) = (p.segment_at(0).unwrap(), p.segment_at(20).unwrap());
        let (low, high) = (low.media.as_ref().unwrap(), high.media.as_ref().unwrap());
        assert_eq!((low.track, high.track), (0, 1));
    }

    #[test]
    fn where_no_track_has_a_clip_the_picture_is_black_and_the_longest_track_sets_the_length() {
        let p = tracks(vec![
            vec![clip("a.mp4", 0, 10), gap(10), clip("a.mp4", 20, 10)],
            vec![gap(25), clip("b.mp4", 0, 15)],
        ]);
        assert_eq!(p.frames, 40);
        let a = Some("a.mp4".to_string());
        let b = Some("b.mp4".to_string());
        assert_eq!(
            layout(&p),
            [
                (0, 10, a.clone(), Some(0), None),
                (10, 10, None, None, None),
                (20, 5, a, Some(20), None),
                (25, 15, b, Some(0), None),
            ]
        );
    }

    #[test]
    fn an_upper_clip_over_part_of_a_dissolve_leaves_the_rest_of_the_fade_in_step() {
        let p = tracks(vec![
            vec![
                clip("a.mp4", 0, 40),
                Item::Transition(Transition::dissolve(frames(5), frames(5))),
                clip("b.mp4", 10, 40),
            ],
            vec![clip("c.mp4", 0, 38)],
        ]);
        // The dissolve runs 35..45; V2 hides its first three frames.
        let d = p.segment_at(40).unwrap();
        assert_eq!((d.start, d.len), (38, 7));
        let fade = d.dissolve.as_ref().unwrap();
        assert_eq!((fade.offset, fade.len), (3, 10));
        assert_eq!(start_frame(&fade.from), Some(38));
        assert_eq!(start_frame(&d.media), Some(8));
        assert_eq!(start_frame(&p.segment_at(45).unwrap().media), Some(15));
    }

    #[test]
    fn relative_media_paths_are_resolved_against_the_timeline_files_directory() {
        let base = Path::new("/projects/film");
        assert_eq!(
            resolve_media("shots/a.mp4", Some(base)),
            PathBuf::from("/projects/film/shots/a.mp4")
        );
        assert_eq!(
            resolve_media("/media/a.mp4", Some(base)),
            PathBuf::from("/media/a.mp4")
        );
        assert_eq!(
            resolve_media("file:///media/my%20clip.mp4", Some(base)),
            PathBuf::from("/media/my clip.mp4")
        );
        assert_eq!(
            resolve_media("file://localhost/media/a.mp4", None),
            PathBuf::from("/media/a.mp4")
        );
        assert_eq!(resolve_media("a.mp4", None), PathBuf::from("a.mp4"));
        assert_eq!(resolve_media("100%", None), PathBuf::from("100%"));
        let mut tl = Timeline::new("t", Rate::FPS_25);
        let mut v = Track::new("V1", TrackKind::Video);
        v.items = vec![clip("a.mp4", 0, 10)];
        tl.tracks.push(v);
        let p = Program::from_timeline(&tl, Some(base));
        let m = p.segments[0].media.as_ref().unwrap();
        assert_eq!(m.path, PathBuf::from("/projects/film/a.mp4"));
    }

    #[test]
    fn fitting_keeps_the_aspect_and_never_upscales() {
        assert_eq!(fit(1920, 1080, [1280, 720]), (1280, 720));
        assert_eq!(fit(640, 360, [1280, 720]), (640, 360));
        assert_eq!(fit(1080, 1920, [1280, 720]), (404, 720));
    }
}
