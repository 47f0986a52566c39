//! The viewer: shows the timeline's picture at the playhead, plays it back in real time,
//! and overlays what is under review (subtitle cues, the before/after wipe of a LUT).
//!
//! Decoding happens on the [`Player`] thread; this panel only drains ready frames with
//! `try_recv`, picks the one due by the playback clock and uploads it to a texture. Sound
//! is mixed and played by the [`AudioPlayer`] thread, which the viewer starts and stops with
//! the picture.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use cutroom_timeline::{Rate, Timecode, Timeline};
use eframe::egui::{self, Align2, Color32, FontId, Key, Pos2, Rect, Stroke, TextureHandle, Vec2};

use crate::audio_out::{AudioCommand, AudioPlayer};
use crate::playback::{DecodedFrame, Player, PlayerCommand, Program};
use cutroom_color::PreparedLut;

/// A subtitle cue to draw over the picture, in timeline frames.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayCue {
    /// First frame shown.
    pub start: i64,
    /// First frame no longer shown.
    pub end: i64,
    /// Text, lines separated by `\n`.
    pub text: String,
    /// True for a cue still under review (drawn in a different colour).
    pub proposed: bool,
}

/// Playback figures, for the status line and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlaybackStats {
    /// Frames shown while playing.
    pub displayed: u64,
    /// Frames the clock passed without them being shown.
    pub dropped: u64,
    /// Frames received from the decode thread.
    pub decoded: u64,
    /// Total decode + conversion time of received frames, in seconds.
    pub decode_seconds: f64,
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    anchor_frame: i64,
    anchor: Instant,
    speed: i32,
}

/// The viewer panel.
pub struct Viewer {
    player: Option<Player>,
    max_size: [u32; 2],
    decode_size: Option<[u32; 2]>,
    program: Arc<Program>,
    generation: u64,
    /// The playhead, in timeline frames.
    pub position: i64,
    shown: Option<i64>,
    texture: Option<TextureHandle>,
    graded: Option<TextureHandle>,
    pending: Option<DecodedFrame>,
    clock: Option<Clock>,
    /// In point (timeline frame) for running plugins on a range.
    pub in_point: Option<i64>,
    /// Out point (inclusive timeline frame).
    pub out_point: Option<i64>,
    /// Spans `[start, end)` that playback jumps over (proposed removals under review).
    pub skip_spans: Vec<(i64, i64)>,
    /// Cues drawn over the picture.
    pub cues: Vec<OverlayCue>,
    /// Wipe position in `[0, 1]` when a preview LUT is set: left of it is "before".
    pub wipe: f32,
    has_preview: bool,
    /// Display timecode as drop-frame where the rate allows.
    pub drop_frame: bool,
    /// Playback figures since the last [`Viewer::reset_stats`].
    pub stats: PlaybackStats,
    need_show: bool,
    audio: Option<AudioPlayer>,
    sound: Option<(Arc<Timeline>, Option<PathBuf>)>,
    /// The ALSA PCM sound plays to (see [`crate::audio_out`]); set before the first
    /// [`Viewer::tick`]. `None`: `CUTROOM_AUDIO_DEVICE`, else `default`.
    pub sound_device: Option<String>,
    /// Why playback is silent, once the sound device failed.
    pub sound_error: Option<String>,
    /// No sound while playing or stepping.
    pub muted: bool,
}

impl Viewer {
    /// A viewer whose pictures fit within `max_size` pixels.
    pub fn new(max_size: [u32; 2]) -> Viewer {
        Viewer {
            player: None,
            max_size,
            decode_size: None,
            program: Arc::new(Program::empty()),
            generation: 0,
            position: 0,
            shown: None,
            texture: None,
            graded: None,
            pending: None,
            clock: None,
            in_point: None,
            out_point: None,
            skip_spans: Vec::new(),
            cues: Vec::new(),
            wipe: 0.5,
            has_preview: false,
            drop_frame: false,
            stats: PlaybackStats::default(),
            need_show: false,
            audio: None,
            sound: None,
            sound_device: None,
            sound_error: None,
            muted: false,
        }
    }

    /// Sets the timeline whose sound is played (call before [`Viewer::set_program`] after
    /// an edit); relative media paths are taken relative to `media_base`.
    pub fn set_sound(&mut self, timeline: Arc<Timeline>, media_base: Option<PathBuf>) {
        self.sound = Some((timeline, media_base));
        self.send_sound();
    }

    fn send_sound(&self) {
        if let (Some(a), Some((timeline, media_base))) = (&self.audio, &self.sound) {
            a.send(AudioCommand::SetTimeline {
                timeline: timeline.clone(),
                media_base: media_base.clone(),
            });
        }
    }

    /// Sample frames the sound thread has written since playback last started.
    pub fn sound_played(&self) -> i64 {
        self.audio.as_ref().map_or(0, AudioPlayer::played)
    }

    /// The program being shown.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Timeline rate.
    pub fn rate(&self) -> Rate {
        self.program.rate
    }

    /// Replaces what is played (after an edit); keeps the playhead where it was.
    pub fn set_program(&mut self, program: Program) {
        self.program = Arc::new(program);
        self.send(PlayerCommand::SetProgram(self.program.clone()));
        self.position = self.position.clamp(0, (self.program.frames - 1).max(0));
        self.restart();
    }

    /// Sets or clears the LUT graded into the "after" side of the wipe.
    pub fn set_preview_lut(&mut self, lut: Option<PreparedLut>) {
        self.has_preview = lut.is_some();
        if lut.is_none() {
            self.graded = None;
        }
        self.send(PlayerCommand::SetPreviewLut(lut.map(Arc::new)));
        self.restart();
    }

    /// True when a preview LUT is set (the before/after wipe is shown).
    pub fn has_preview(&self) -> bool {
        self.has_preview
    }

    /// True while playing (any speed or direction).
    pub fn is_playing(&self) -> bool {
        self.clock.is_some()
    }

    /// Playback speed: 0 when paused, negative in reverse.
    pub fn speed(&self) -> i32 {
        self.clock.map_or(0, |c| c.speed)
    }

    /// The box decoded pictures are fitted into: the picture area's size in pixels, rounded
    /// up to 64 and capped by the viewer's largest size (`None` before the first draw).
    pub fn decode_size(&self) -> Option<[u32; 2]> {
        self.decode_size
    }

    /// Size in pixels of the last picture uploaded.
    pub fn picture_size(&self) -> Option<[usize; 2]> {
        self.texture.as_ref().map(|t| t.size())
    }

    /// The frame currently displayed.
    pub fn shown_frame(&self) -> Option<i64> {
        self.shown
    }

    /// Clears the playback figures.
    pub fn reset_stats(&mut self) {
        self.stats = PlaybackStats::default();
    }

    fn send(&self, cmd: PlayerCommand) {
        if let Some(p) = &self.player {
            p.send(cmd);
        }
    }

    fn last_frame(&self) -> i64 {
        (self.program.frames - 1).max(0)
    }

    /// Re-issues the current state to the decode and sound threads (a new generation).
    fn restart(&mut self) {
        self.generation += 1;
        self.pending = None;
        self.restart_sound();
        match self.clock {
            Some(c) => {
                self.clock = Some(Clock {
                    anchor_frame: self.position,
                    anchor: Instant::now(),
                    speed: c.speed,
                });
                self.send(PlayerCommand::Play {
                    generation: self.generation,
                    from: self.position,
                    step: c.speed as i64,
                });
            }
            None => {
                self.send(PlayerCommand::Show {
                    generation: self.generation,
                    frame: self.position,
                });
            }
        }
        self.need_show = self.player.is_none();
    }

    /// Starts the sound where the picture is (at normal speed forward), else stops it.
    fn restart_sound(&self) {
        let Some(a) = &self.audio else { return };
        // Sound at normal speed forward only, up to the next span playback jumps over.
        a.send(match self.clock {
            Some(c) if c.speed == 1 && !self.muted => AudioCommand::Play {
                from: self.position,
                until: self
                    .skip_spans
                    .iter()
                    .map(|&(a, _)| a)
                    .filter(|&a| a > self.position)
                    .min(),
            },
            _ => AudioCommand::Stop,
        });
    }

    /// Moves the playhead to `frame` (clamped); playback continues from there.
    pub fn seek(&mut self, frame: i64) {
        self.position = frame.clamp(0, self.last_frame());
        self.restart();
    }

    /// Plays at `speed` (1, 2, 4 forward; -1, -2, -4 reverse) or pauses with 0.
    pub fn play(&mut self, speed: i32) {
        self.clock = (speed != 0).then(|| Clock {
            anchor_frame: self.position,
            anchor: Instant::now(),
            speed,
        });
        if speed > 0 && self.position >= self.last_frame() {
            self.position = 0;
        }
        self.restart();
    }

    /// Space: play at normal speed, or pause.
    pub fn toggle_play(&mut self) {
        self.play(if self.is_playing() { 0 } else { 1 });
    }

    /// J/L shuttle: each press doubles the speed in that direction (up to 4×); pressing
    /// the other direction starts at 1× that way.
    pub fn shuttle(&mut self, forward: bool) {
        let s = self.speed();
        let next = match (forward, s) {
            (true, s) if s > 0 => (s * 2).min(4),
            (true, _) => 1,
            (false, s) if s < 0 => (s * 2).max(-4),
            (false, _) => -1,
        };
        self.play(next);
    }

    /// Moves by `delta` frames and pauses; the sound of the frame arrived at plays once
    /// (audio scrubbing: finding where a word starts, frame by frame).
    pub fn step(&mut self, delta: i64) {
        self.clock = None;
        self.seek(self.position + delta);
        if let (Some(a), false) = (&self.audio, self.muted) {
            a.send(AudioCommand::Play {
                from: self.position,
                until: Some(self.position + 1),
            });
        }
    }

    /// Handles the transport keys (Space, J/K/L, ←/→, Home/End, I/O).
    pub fn handle_keys(&mut self, input: &egui::InputState) {
        if input.key_pressed(Key::Space) {
            self.toggle_play();
        }
        if input.key_pressed(Key::L) {
            self.shuttle(true);
        }
        if input.key_pressed(Key::J) {
            self.shuttle(false);
        }
        if input.key_pressed(Key::K) {
            self.play(0);
        }
        if input.key_pressed(Key::ArrowRight) {
            self.step(1);
        }
        if input.key_pressed(Key::ArrowLeft) {
            self.step(-1);
        }
        if input.key_pressed(Key::Home) {
            self.clock = None;
            self.seek(0);
        }
        if input.key_pressed(Key::End) {
            self.clock = None;
            self.seek(self.last_frame());
        }
        if input.key_pressed(Key::I) {
            self.in_point = Some(self.position);
        }
        if input.key_pressed(Key::O) {
            self.out_point = Some(self.position);
        }
    }

    /// Advances the clock and takes ready frames from the decode thread. Call once per UI
    /// frame before drawing.
    pub fn tick(&mut self, ctx: &egui::Context) {
        if self.player.is_none() {
            let size = self.decode_size.unwrap_or(self.max_size);
            self.player = Some(Player::spawn(size, Some(ctx.clone())));
            self.send(PlayerCommand::SetProgram(self.program.clone()));
            self.audio = Some(AudioPlayer::spawn(self.sound_device.clone()));
            self.send_sound();
            self.need_show = true;
        }
        if let Some(e) = self.audio.as_ref().and_then(AudioPlayer::try_error) {
            self.sound_error = Some(e);
        }
        if self.need_show {
            self.need_show = false;
            self.restart();
        }
        self.follow_sound();
        if let Some(c) = self.clock {
            let fps = self.program.rate.as_f64();
            let target = c.anchor_frame
                + (c.anchor.elapsed().as_secs_f64() * fps * c.speed as f64).floor() as i64;
            let end = self.last_frame();
            if target > end || target < 0 {
                self.position = target.clamp(0, end);
                self.clock = None;
            } else {
                self.position = target;
                // Jump over a proposed removal: to its end going forward, to the frame
                // before it in reverse.
                if let Some(&(a, b)) = self
                    .skip_spans
                    .iter()
                    .find(|(a, b)| target >= *a && target < *b)
                {
                    self.position = if c.speed > 0 {
                        b.min(end)
                    } else {
                        (a - 1).max(0)
                    };
                    self.restart();
                }
            }
            if let Some(c) = self.clock {
                // Wake up when the next frame is due (the decode thread also wakes us when
                // a frame arrives); no busy repainting.
                let fps = self.program.rate.as_f64() * c.speed.unsigned_abs() as f64;
                let t = c.anchor.elapsed().as_secs_f64() * fps;
                let wait = (t.floor() + 1.0 - t) / fps;
                ctx.request_repaint_after(std::time::Duration::from_secs_f64(wait.max(0.001)));
            }
        }
        self.take_frames(ctx);
    }

    /// At normal speed the picture follows the sound: the playback clock is moved toward
    /// the time the sound device is playing, so that the device's start-up delay and its
    /// clock's drift do not put picture and sound apart.
    fn follow_sound(&mut self) {
        let (Some(c), Some(audio)) = (self.clock.as_mut(), &self.audio) else {
            return;
        };
        if c.speed != 1 {
            return;
        }
        let Some(heard) = audio.heard_seconds() else {
            return;
        };
        let fps = self.program.rate.as_f64();
        let shown = c.anchor_frame as f64 / fps + c.anchor.elapsed().as_secs_f64();
        if let Some(shift) = sound_correction(shown, heard, fps) {
            let by = std::time::Duration::from_secs_f64(shift.abs());
            c.anchor = if shift > 0.0 {
                c.anchor + by
            } else {
                c.anchor.checked_sub(by).unwrap_or(c.anchor)
            };
        }
    }

    fn take_frames(&mut self, ctx: &egui::Context) {
        let Some(player) = &self.player else { return };
        let playing = self.clock.map(|c| c.speed);
        let mut best: Option<DecodedFrame> = None;
        loop {
            let next = match self.pending.take() {
                Some(p) => p,
                None => match player.try_recv() {
                    Some(f) if f.generation == self.generation => {
                        self.stats.decoded += 1;
                        self.stats.decode_seconds += f.decode_time.as_secs_f64();
                        f
                    }
                    Some(_) => continue, // flushed by a seek
                    None => break,
                },
            };
            let due = match playing {
                Some(s) if s > 0 => next.frame <= self.position,
                Some(_) => next.frame >= self.position,
                None => true,
            };
            if !due {
                self.pending = Some(next);
                break;
            }
            if best.is_some() && playing.is_some() {
                self.stats.dropped += 1;
            }
            best = Some(next);
        }
        if let Some(f) = best {
            if playing.is_some() {
                self.stats.displayed += 1;
            }
            self.shown = Some(f.frame);
            let opts = egui::TextureOptions::LINEAR;
            match &mut self.texture {
                Some(t) => t.set(f.image, opts),
                None => self.texture = Some(ctx.load_texture("viewer", f.image, opts)),
            }
            match (f.graded, &mut self.graded) {
                (Some(g), Some(t)) => t.set(g, opts),
                (Some(g), None) => self.graded = Some(ctx.load_texture("viewer-graded", g, opts)),
                (None, _) => {}
            }
        }
    }

    /// The timecode of timeline frame `frame`.
    pub fn timecode(&self, frame: i64) -> String {
        let drop = self.drop_frame && self.program.rate.supports_drop_frame();
        Timecode::from_frames(frame, self.program.rate, drop).to_string()
    }

    /// Asks the decode thread for pictures no larger than the picture area `rect` (in
    /// points, `ppp` pixels per point) shows: a 1080p clip in a 740-pixel-wide panel is
    /// decoded, graded and uploaded at 740 pixels wide, a seventh of the work.
    fn fit_decode_to(&mut self, rect: Rect, ppp: f32) {
        let px = |points: f32, cap: u32| {
            let p = (points * ppp).ceil().max(1.0) as u32;
            (p.div_ceil(64) * 64).clamp(64, cap.max(64))
        };
        let size = [
            px(rect.width(), self.max_size[0]),
            px(rect.height(), self.max_size[1]),
        ];
        if self.decode_size != Some(size) {
            self.decode_size = Some(size);
            self.send(PlayerCommand::SetSize(size));
            if self.player.is_some() {
                self.restart();
            }
        }
    }

    /// Shows the picture, overlays and transport controls.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let transport_h = 28.0;
        let avail = ui.available_size() - Vec2::new(0.0, transport_h);
        let (rect, _) = ui.allocate_exact_size(avail.max(Vec2::splat(16.0)), egui::Sense::hover());
        self.fit_decode_to(rect, ui.ctx().pixels_per_point());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::from_gray(12));
        let pic = self.texture.as_ref().map(|t| {
            let [w, h] = t.size();
            let s = (rect.width() / w as f32).min(rect.height() / h as f32);
            Rect::from_center_size(rect.center(), Vec2::new(w as f32 * s, h as f32 * s))
        });
        if let (Some(t), Some(pic)) = (&self.texture, pic) {
            let full = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
            match (&self.graded, self.has_preview) {
                (Some(g), true) => {
                    let x = pic.left() + pic.width() * self.wipe;
                    let left = Rect::from_min_max(pic.min, Pos2::new(x, pic.bottom()));
                    let right = Rect::from_min_max(Pos2::new(x, pic.top()), pic.max);
                    let uv_l = Rect::from_min_max(Pos2::ZERO, Pos2::new(self.wipe, 1.0));
                    let uv_r = Rect::from_min_max(Pos2::new(self.wipe, 0.0), Pos2::new(1.0, 1.0));
                    painter.image(t.id(), left, uv_l, Color32::WHITE);
                    painter.image(g.id(), right, uv_r, Color32::WHITE);
                    painter.line_segment(
                        [Pos2::new(x, pic.top()), Pos2::new(x, pic.bottom())],
                        Stroke::new(2.0, Color32::WHITE),
                    );
                    let font = FontId::proportional(13.0);
                    painter.text(
                        pic.left_top() + Vec2::new(6.0, 4.0),
                        Align2::LEFT_TOP,
                        "before",
                        font.clone(),
                        Color32::WHITE,
                    );
                    painter.text(
                        pic.right_top() + Vec2::new(-6.0, 4.0),
                        Align2::RIGHT_TOP,
                        "after",
                        font,
                        Color32::WHITE,
                    );
                    let handle = Rect::from_center_size(
                        Pos2::new(x, pic.center().y),
                        Vec2::new(16.0, pic.height()),
                    );
                    let resp = ui.interact(handle, ui.scope_id().with("wipe"), egui::Sense::drag());
                    let resp = resp.on_hover_cursor(egui::CursorIcon::ResizeHorizontal);
                    if let Some(p) = resp.interact_pointer_pos() {
                        self.wipe = ((p.x - pic.left()) / pic.width()).clamp(0.0, 1.0);
                    }
                }
                _ => {
                    painter.image(t.id(), pic, full, Color32::WHITE);
                }
            }
        } else {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "No picture",
                FontId::proportional(16.0),
                Color32::GRAY,
            );
        }
        // Subtitles over the picture.
        let area = pic.unwrap_or(rect);
        let mut y = area.bottom() - 12.0;
        for cue in self
            .cues
            .iter()
            .filter(|c| self.position >= c.start && self.position < c.end)
            .rev()
        {
            let color = if cue.proposed {
                Color32::from_rgb(255, 236, 140)
            } else {
                Color32::WHITE
            };
            let galley = painter.layout(
                cue.text.clone(),
                FontId::proportional(18.0),
                color,
                area.width() - 40.0,
            );
            let size = galley.size();
            let pos = Pos2::new(area.center().x - size.x / 2.0, y - size.y);
            painter.rect_filled(
                Rect::from_min_size(pos, size).expand(4.0),
                3.0,
                Color32::from_black_alpha(170),
            );
            painter.galley(pos, galley, color);
            y -= size.y + 12.0;
        }
        ui.horizontal(|ui| {
            if ui.button("|<").on_hover_text("Start (Home)").clicked() {
                self.clock = None;
                self.seek(0);
            }
            if ui.button("<").on_hover_text("Previous frame (←)").clicked() {
                self.step(-1);
            }
            let label = if self.is_playing() { "Pause" } else { "Play" };
            if ui
                .button(label)
                .on_hover_text("Space; J/K/L shuttle")
                .clicked()
            {
                self.toggle_play();
            }
            if ui.button(">").on_hover_text("Next frame (→)").clicked() {
                self.step(1);
            }
            if ui.button(">|").on_hover_text("End").clicked() {
                self.clock = None;
                self.seek(self.last_frame());
            }
            ui.monospace(format!(
                "{} / {}",
                self.timecode(self.position),
                self.timecode(self.program.frames)
            ));
            match self.speed() {
                0 => {}
                s => {
                    ui.label(format!("{}{}×", if s < 0 { "<< " } else { ">> " }, s.abs()));
                }
            }
            if let (Some(i), Some(o)) = (self.in_point, self.out_point) {
                ui.weak(format!("I/O {} – {}", self.timecode(i), self.timecode(o)));
            } else if let Some(i) = self.in_point {
                ui.weak(format!("In {}", self.timecode(i)));
            }
            if let Some(e) = &self.sound_error {
                ui.weak("No sound").on_hover_text(e);
            } else if ui
                .selectable_label(self.muted, "Mute")
                .on_hover_text("No sound while playing or stepping")
                .clicked()
            {
                self.muted = !self.muted;
                self.restart_sound();
            }
        });
    }
}

/// The largest gap between picture and sound the picture follows: a device further off
/// does not keep time (the `null` PCM takes samples as fast as they come), and the picture
/// keeps the wall clock.
pub const MAX_SOUND_GAP: f64 = 0.5;

/// How far (seconds) to move the playback clock's anchor when the picture is at `shown`
/// seconds and the sound at `heard`: a quarter of the gap each UI frame once it is over
/// half a frame at `fps` (so that the picture converges without jitter); `None` within
/// half a frame, or beyond [`MAX_SOUND_GAP`].
pub fn sound_correction(shown: f64, heard: f64, fps: f64) -> Option<f64> {
    let gap = shown - heard;
    (gap.abs() > 0.5 / fps && gap.abs() <= MAX_SOUND_GAP).then_some(gap / 4.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_picture_follows_the_sound_only_when_it_is_off_by_more_than_half_a_frame() {
        assert_eq!(sound_correction(10.0, 10.01, 25.0), None, "10 ms");
        // Picture 60 ms ahead: the clock moves later (the picture waits).
        let s = sound_correction(10.06, 10.0, 25.0).unwrap();
        assert!((s - 0.015).abs() < 1e-9, "{s}");
        let s = sound_correction(10.0, 10.1, 25.0).unwrap();
        assert!((s + 0.025).abs() < 1e-9, "{s}");
        assert_eq!(
            sound_correction(10.0, 12.0, 25.0),
            None,
            "a device off by 2 s"
        );
    }

    fn playing_through_a_removal(speed: i32, from: i64) -> i64 {
        let ctx = egui::Context::default();
        let mut v = Viewer::new([64, 36]);
        v.set_program(Program {
            rate: Rate::FPS_25,
            segments: Vec::new(),
            frames: 100,
        });
        v.tick(&ctx); // starts the decode thread
        v.skip_spans = vec![(20, 40)];
        v.position = from;
        // 0.3 s of playback: 7 frames on from `from`.
        v.clock = Some(Clock {
            anchor_frame: from,
            anchor: Instant::now() - Duration::from_millis(300),
            speed,
        });
        v.tick(&ctx);
        v.position
    }

    #[test]
    fn playback_jumps_over_a_proposed_removal_in_both_directions() {
        assert_eq!(playing_through_a_removal(1, 15), 40);
        assert_eq!(playing_through_a_removal(-1, 45), 19);
        assert_eq!(playing_through_a_removal(1, 50), 57, "no removal there");
    }
}
