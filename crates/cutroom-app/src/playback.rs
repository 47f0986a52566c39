//! The playback decode thread.
//!
//! The viewer never decodes. It describes what to play as a [`Program`] (the first video
//! track of the timeline as segments of media), and sends [`PlayerCommand`]s to a decode
//! thread that owns the FFmpeg readers. Decoded frames, already converted to
//! [`egui::ColorImage`]s (and graded with the preview LUT when one is set), come back on a
//! **bounded** channel: when the viewer falls behind, the decode thread waits (back-pressure)
//! instead of queueing without limit. Every command that moves the playhead carries a new
//! generation number; frames of older generations are dropped by the viewer, which is how a
//! seek flushes the pipeline.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use cutroom_media::{PixelFormat, VideoOutput, VideoReader};
use cutroom_timeline::{Item, Rate, RationalTime, Timeline, TrackKind};
use eframe::egui::{self, Color32, ColorImage};

use cutroom_color::PreparedLut;

/// Threads a LUT is applied with (the decode thread and one helper).
const LUT_THREADS: usize = 2;

/// Frames the decode thread may have ready ahead of the viewer.
pub const FRAME_QUEUE: usize = 4;

/// A stretch of the timeline showing one piece of media (or nothing, for a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// First timeline frame of the segment.
    pub start: i64,
    /// Length in timeline frames.
    pub len: i64,
    /// The media shown, or `None` for a gap (black).
    pub media: Option<SegmentMedia>,
}

/// Where a segment's pictures come from.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMedia {
    /// Media file.
    pub path: PathBuf,
    /// Media time shown at the segment's first frame.
    pub source_start: RationalTime,
    /// The colour transform accepted on the clip, if any.
    pub lut: Option<Arc<cutroom_timeline::ColorTransform>>,
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

impl Program {
    /// An empty program at 25 fps.
    pub fn empty() -> Program {
        Program {
            rate: Rate::FPS_25,
            segments: Vec::new(),
            frames: 0,
        }
    }

    /// The first video track of `timeline` as a program. Clip media are looked up as files
    /// (`file://` URLs and plain paths); transitions play as cuts.
    pub fn from_timeline(timeline: &Timeline) -> Program {
        let rate = timeline.rate;
        let mut segments = Vec::new();
        let mut frames = 0;
        if let Some(track) = timeline.tracks_of(TrackKind::Video).next() {
            for (item, range) in track.items_with_ranges() {
                let start = range.start.to_frames(rate);
                let len = range.duration.to_frames(rate);
                let media = match item {
                    Item::Clip(c) => c.media.target_url.as_deref().map(|url| SegmentMedia {
                        path: url_to_path(url),
                        source_start: c.source_range.start,
                        lut: c.color.clone().map(Arc::new),
                    }),
                    Item::Gap(_) => None,
                    Item::Transition(_) => continue,
                };
                if len > 0 {
                    segments.push(Segment { start, len, media });
                    frames = frames.max(start + len);
                }
            }
        }
        Program {
            rate,
            segments,
            frames,
        }
    }

    /// The segment showing timeline frame `frame`.
    pub fn segment_at(&self, frame: i64) -> Option<&Segment> {
        self.segments
            .iter()
            .find(|s| frame >= s.start && frame < s.start + s.len)
    }
}

/// A media URL from a timeline as a file path.
pub fn url_to_path(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("file://").unwrap_or(url))
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
                    readers: HashMap::new(),
                    preview: None,
                    clip_lut: None,
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

struct Decoder {
    max_size: [u32; 2],
    program: Arc<Program>,
    readers: HashMap<PathBuf, Option<OpenReader>>,
    preview: Option<Arc<PreparedLut>>,
    clip_lut: Option<(Arc<cutroom_timeline::ColorTransform>, Arc<PreparedLut>)>,
    repaint: Option<egui::Context>,
    stop: Arc<AtomicBool>,
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
        }
    }

    fn output_for(&self, path: &std::path::Path) -> Option<VideoOutput> {
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
        let (mut rgba, w, h, lut) = match &seg.media {
            None => {
                let (w, h) = (16, 9);
                (black(w, h), w, h, None)
            }
            Some(m) => {
                let t = m.source_start + RationalTime::new(frame - seg.start, program.rate);
                match self.read(&m.path, t) {
                    Some((data, w, h)) => (data, w, h, m.lut.clone()),
                    None => (black(16, 9), 16, 9, None),
                }
            }
        };
        let (wu, hu) = (w as usize, h as usize);
        if let Some(lut) = lut {
            let prepared = match &self.clip_lut {
                Some((l, p)) if Arc::ptr_eq(l, &lut) => Some(p.clone()),
                _ => PreparedLut::new(&lut).ok().map(Arc::new),
            };
            if let Some(p) = prepared {
                let _ = p.apply_rgba8(&mut rgba, wu, hu, LUT_THREADS);
                self.clip_lut = Some((lut, p));
            }
        }
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

    /// Reads the frame at media time `t` of `path` as tightly packed RGBA.
    fn read(&mut self, path: &std::path::Path, t: RationalTime) -> Option<(Vec<u8>, u32, u32)> {
        if !self.readers.contains_key(path) {
            let opened = self.output_for(path).and_then(|out| {
                VideoReader::open(path, out)
                    .ok()
                    .map(|reader| OpenReader { reader, next: 0 })
            });
            self.readers.insert(path.to_path_buf(), opened);
        }
        let open = self.readers.get_mut(path)?.as_mut()?;
        let want = t.to_frames(open.reader.rate());
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
        Some((data, f.width, f.height))
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

    #[test]
    fn fitting_keeps_the_aspect_and_never_upscales() {
        assert_eq!(fit(1920, 1080, [1280, 720]), (1280, 720));
        assert_eq!(fit(640, 360, [1280, 720]), (640, 360));
        assert_eq!(fit(1080, 1920, [1280, 720]), (404, 720));
    }
}
