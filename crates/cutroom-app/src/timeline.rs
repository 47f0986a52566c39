//! The timeline panel: tracks with clips, gaps, dissolves, markers and subtitle cues; zoom
//! and scroll; click or drag to seek (scrubbing); the proposal under review drawn as a
//! distinct overlay lane (cuts, removal spans, markers, cue blocks) with confidences.

use cutroom_engine::Target;
use cutroom_timeline::{Item, MarkerColor, Timeline, TrackKind};
use eframe::egui::{self, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use crate::app::Action;
use crate::waveform::{height_of, Peaks};

/// What an overlay item shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayKind {
    /// A hard cut at `start`.
    Cut,
    /// A transition spanning the range.
    Transition,
    /// A span to remove.
    Removal,
    /// A marker.
    Marker,
    /// A subtitle cue.
    Cue,
    /// A colour transform for the whole clip.
    Color,
}

/// One proposal item placed on the timeline (timeline frames).
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayItem {
    /// Proposal item id.
    pub id: u32,
    /// Kind.
    pub kind: OverlayKind,
    /// First frame.
    pub start: i64,
    /// End frame (exclusive); equal to `start` for cuts.
    pub end: i64,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
    /// Whether it is selected for acceptance.
    pub selected: bool,
}

/// The timeline panel.
pub struct TimelinePanel {
    /// Pixels per frame.
    pub zoom: f32,
    /// First visible frame.
    pub scroll: f32,
    fitted_for: Option<i64>,
}

impl Default for TimelinePanel {
    fn default() -> Self {
        TimelinePanel {
            zoom: 4.0,
            scroll: 0.0,
            fitted_for: None,
        }
    }
}

const RULER: f32 = 18.0;
const TRACK: f32 = 34.0;
const LANE: f32 = 30.0;
const HEADER: f32 = 70.0;

fn marker_color(c: MarkerColor) -> Color32 {
    match c.as_str() {
        "RED" => Color32::from_rgb(220, 60, 60),
        "GREEN" => Color32::from_rgb(80, 200, 90),
        "BLUE" => Color32::from_rgb(80, 130, 230),
        "CYAN" => Color32::from_rgb(80, 210, 220),
        "MAGENTA" | "PINK" | "PURPLE" => Color32::from_rgb(210, 90, 210),
        "ORANGE" => Color32::from_rgb(240, 150, 50),
        "WHITE" => Color32::WHITE,
        "BLACK" => Color32::BLACK,
        _ => Color32::from_rgb(240, 210, 60),
    }
}

/// The waveform of a clip, one column per pixel from `x0` to `x1`: each column's centre `x`
/// and the height fraction ([`height_of`]) of the loudest peak over the media seconds it
/// covers; `secs_at(x)` gives the media time at the left edge of the column at `x`.
pub fn waveform_columns(
    peaks: &Peaks,
    x0: f32,
    x1: f32,
    secs_at: impl Fn(f32) -> f64,
) -> Vec<(f32, f32)> {
    let mut columns = Vec::new();
    let mut x = x0.floor();
    while x < x1 {
        columns.push((
            x + 0.5,
            height_of(peaks.max_over(secs_at(x), secs_at(x + 1.0))),
        ));
        x += 1.0;
    }
    columns
}

impl TimelinePanel {
    /// Shows `timeline` with the playhead at `position`, and in each clip whose media has
    /// one, its waveform from `waveforms`.
    #[allow(clippy::too_many_arguments)]
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        timeline: Option<&Timeline>,
        position: i64,
        in_out: (Option<i64>, Option<i64>),
        overlay: &[OverlayItem],
        overlay_title: Option<&str>,
        selected: Option<Target>,
        waveforms: &crate::waveform::Waveforms,
        actions: &mut Vec<Action>,
    ) {
        let Some(tl) = timeline else {
            ui.weak("No timeline. Open a clip to start.");
            return;
        };
        let rate = tl.rate;
        let total = tl.duration().to_frames(rate).max(1);
        ui.horizontal(|ui| {
            ui.strong(&tl.name);
            ui.add(
                egui::Slider::new(&mut self.zoom, 0.05..=40.0)
                    .logarithmic(true)
                    .text("Zoom"),
            );
            if ui.button("Fit").clicked() {
                self.fitted_for = None;
            }
            if let Some(t) = overlay_title {
                ui.colored_label(Color32::from_rgb(255, 170, 60), t);
            }
        });
        let tracks = &tl.tracks;
        let height = RULER + TRACK * tracks.len() as f32 + LANE + 4.0;
        let (rect, resp) = ui.allocate_exact_size(
            Vec2::new(ui.available_width(), height),
            Sense::click_and_drag(),
        );
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Timeline"));
        let lane_x0 = rect.left() + HEADER;
        let width = (rect.right() - lane_x0).max(10.0);
        if self.fitted_for != Some(total) {
            self.zoom = (width / total as f32).clamp(0.05, 40.0);
            self.scroll = 0.0;
            self.fitted_for = Some(total);
        }
        // Zoom with Ctrl+wheel around the pointer, scroll with the wheel.
        if resp.hovered() {
            let (scroll, zoom, pointer) =
                ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta(), i.pointer.hover_pos()));
            if zoom != 1.0 {
                let px = pointer.map_or(lane_x0, |p| p.x);
                let at = self.scroll + (px - lane_x0) / self.zoom;
                self.zoom = (self.zoom * zoom).clamp(0.05, 40.0);
                self.scroll = at - (px - lane_x0) / self.zoom;
            } else if scroll.x != 0.0 || scroll.y != 0.0 {
                self.scroll -= (scroll.x + scroll.y) / self.zoom;
            }
        }
        self.scroll = self.scroll.clamp(0.0, total as f32);
        let x_of = |f: f64| lane_x0 + (f as f32 - self.scroll) * self.zoom;
        let f_of = |x: f32| (self.scroll + (x - lane_x0) / self.zoom).floor() as i64;

        let p = ui.painter_at(rect);
        p.rect_filled(rect, 0.0, Color32::from_gray(22));
        // Ruler with timecodes.
        let font = FontId::proportional(10.0);
        let fps = rate.nominal_fps().max(1) as i64;
        let secs_per_label = [1, 2, 5, 10, 30, 60, 120, 300, 600]
            .into_iter()
            .find(|s| (*s * fps) as f32 * self.zoom >= 80.0)
            .unwrap_or(1200);
        let step = secs_per_label * fps;
        let first = (self.scroll as i64 / step) * step;
        let mut f = first;
        while f <= total {
            let x = x_of(f as f64);
            if x > rect.right() {
                break;
            }
            if x >= lane_x0 {
                p.line_segment(
                    [Pos2::new(x, rect.top()), Pos2::new(x, rect.top() + RULER)],
                    Stroke::new(1.0, Color32::GRAY),
                );
                let tc = cutroom_timeline::Timecode::from_frames(f, rate, false).to_string();
                p.text(
                    Pos2::new(x + 2.0, rect.top() + 2.0),
                    Align2::LEFT_TOP,
                    tc,
                    font.clone(),
                    Color32::GRAY,
                );
            }
            f += step;
        }
        // I/O range.
        if let (Some(i), Some(o)) = in_out {
            let r = Rect::from_x_y_ranges(
                x_of(i as f64)..=x_of(o as f64 + 1.0),
                rect.top()..=rect.bottom(),
            );
            p.rect_filled(r, 0.0, Color32::from_rgba_unmultiplied(120, 160, 255, 28));
        }
        // Tracks.
        for (ti, track) in tracks.iter().enumerate() {
            let y0 = rect.top() + RULER + TRACK * ti as f32;
            let row = Rect::from_min_max(
                Pos2::new(rect.left(), y0),
                Pos2::new(rect.right(), y0 + TRACK - 2.0),
            );
            let kind = match track.kind {
                TrackKind::Video => "V",
                TrackKind::Audio => "A",
                TrackKind::Subtitle => "S",
            };
            p.text(
                Pos2::new(rect.left() + 4.0, row.center().y),
                Align2::LEFT_CENTER,
                if track.name.is_empty() {
                    format!("{kind}{}", ti + 1)
                } else {
                    track.name.clone()
                },
                font.clone(),
                Color32::LIGHT_GRAY,
            );
            let base = match track.kind {
                TrackKind::Video => Color32::from_rgb(60, 90, 140),
                TrackKind::Audio => Color32::from_rgb(60, 120, 80),
                TrackKind::Subtitle => Color32::from_rgb(110, 80, 140),
            };
            for (ii, (item, range)) in track.items_with_ranges().into_iter().enumerate() {
                let a = range.start.to_frames(rate) as f64;
                let b = range.end_exclusive().to_frames(rate) as f64;
                let r = Rect::from_x_y_ranges(x_of(a)..=x_of(b), row.y_range());
                match item {
                    Item::Clip(c) => {
                        let sel = selected
                            == Some(Target {
                                timeline: 0,
                                track: ti,
                                item: ii,
                            });
                        p.rect_filled(r.shrink2(Vec2::new(0.5, 1.0)), 3.0, base);
                        let wave = c.media.target_url.as_deref().and_then(|u| waveforms.get(u));
                        if let Some(peaks) = wave {
                            // Video clips show their sound in their lower half.
                            let band = if track.kind == TrackKind::Audio {
                                r.shrink2(Vec2::new(0.5, 3.0))
                            } else {
                                Rect::from_x_y_ranges(
                                    r.x_range(),
                                    r.center().y + 1.0..=r.bottom() - 2.0,
                                )
                            };
                            let start = c.source_range.start.to_seconds()
                                - c.media.origin(rate).to_seconds();
                            let fps = rate.as_f64();
                            let secs_at = |x: f32| {
                                let f = f64::from(self.scroll)
                                    + f64::from(x - lane_x0) / f64::from(self.zoom);
                                start + (f - a) / fps
                            };
                            let painter = p.with_clip_rect(r.intersect(rect));
                            let colour = Color32::from_rgba_unmultiplied(210, 235, 210, 150);
                            let (x0, x1) = (r.left().max(lane_x0), r.right().min(rect.right()));
                            for (x, h) in waveform_columns(peaks, x0, x1, secs_at) {
                                let half = (h * band.height() / 2.0).max(0.5);
                                painter.line_segment(
                                    [
                                        Pos2::new(x, band.center().y - half),
                                        Pos2::new(x, band.center().y + half),
                                    ],
                                    Stroke::new(1.0, colour),
                                );
                            }
                        }
                        if sel {
                            p.rect_stroke(
                                r,
                                3.0,
                                Stroke::new(2.0, Color32::WHITE),
                                StrokeKind::Inside,
                            );
                        }
                        let name_font = FontId::proportional(11.0);
                        // Above the waveform when there is one.
                        let (at, align) = if wave.is_some() && track.kind != TrackKind::Audio {
                            (r.left_top() + Vec2::new(4.0, 2.0), Align2::LEFT_TOP)
                        } else {
                            (r.left_center() + Vec2::new(4.0, 0.0), Align2::LEFT_CENTER)
                        };
                        p.with_clip_rect(r.intersect(rect)).text(
                            at,
                            align,
                            &c.name,
                            name_font,
                            Color32::WHITE,
                        );
                        if c.color.is_some() {
                            p.text(
                                r.right_top() + Vec2::new(-3.0, 2.0),
                                Align2::RIGHT_TOP,
                                "LUT",
                                font.clone(),
                                Color32::from_rgb(255, 200, 120),
                            );
                        }
                        for m in &c.markers {
                            let off = m.range.start.to_frames(rate)
                                - c.source_range.start.to_frames(rate);
                            let x = x_of(a + off as f64);
                            let col = marker_color(m.color);
                            // A marker with a duration also shows its span along the top.
                            let len = m.range.duration.to_frames(rate);
                            if len > 0 {
                                let span = Rect::from_x_y_ranges(
                                    x..=x_of(a + (off + len) as f64),
                                    r.top() + 1.0..=r.top() + 4.0,
                                );
                                p.with_clip_rect(r.intersect(rect))
                                    .rect_filled(span, 1.0, col);
                            }
                            p.add(egui::Shape::convex_polygon(
                                vec![
                                    Pos2::new(x - 4.0, r.top()),
                                    Pos2::new(x + 4.0, r.top()),
                                    Pos2::new(x, r.top() + 7.0),
                                ],
                                col,
                                Stroke::NONE,
                            ));
                        }
                        if resp.clicked() {
                            if let Some(pp) = resp.interact_pointer_pos() {
                                if r.contains(pp) {
                                    actions.push(Action::SelectClip(Target {
                                        timeline: 0,
                                        track: ti,
                                        item: ii,
                                    }));
                                }
                            }
                        }
                    }
                    Item::Gap(_) => {}
                    Item::Transition(_) => {
                        // The range already spans `cut - in_offset .. cut + out_offset`.
                        let (l, rr) = (x_of(a), x_of(b));
                        let tr = Rect::from_x_y_ranges(l..=rr.max(l + 4.0), row.y_range());
                        p.rect_filled(tr, 2.0, Color32::from_rgba_unmultiplied(255, 255, 255, 50));
                        p.line_segment(
                            [tr.left_top(), tr.right_bottom()],
                            Stroke::new(1.0, Color32::WHITE),
                        );
                        p.line_segment(
                            [tr.left_bottom(), tr.right_top()],
                            Stroke::new(1.0, Color32::WHITE),
                        );
                    }
                }
            }
            for cue in &track.cues {
                let a = cue.range.start.to_frames(rate) as f64;
                let b = cue.range.end_exclusive().to_frames(rate) as f64;
                let r = Rect::from_x_y_ranges(x_of(a)..=x_of(b), row.y_range());
                p.rect_filled(r.shrink2(Vec2::new(0.5, 3.0)), 2.0, base);
                p.with_clip_rect(r.intersect(rect)).text(
                    r.left_center() + Vec2::new(2.0, 0.0),
                    Align2::LEFT_CENTER,
                    cue.text.replace('\n', " "),
                    font.clone(),
                    Color32::WHITE,
                );
            }
        }
        for m in &tl.markers {
            let x = x_of(m.range.start.to_frames(rate) as f64);
            p.line_segment(
                [Pos2::new(x, rect.top()), Pos2::new(x, rect.top() + RULER)],
                Stroke::new(2.0, marker_color(m.color)),
            );
        }
        // Proposal overlay lane and lines across the tracks.
        let lane = Rect::from_min_max(
            Pos2::new(
                rect.left(),
                rect.top() + RULER + TRACK * tracks.len() as f32,
            ),
            Pos2::new(
                rect.right(),
                rect.top() + RULER + TRACK * tracks.len() as f32 + LANE,
            ),
        );
        if !overlay.is_empty() {
            p.text(
                Pos2::new(rect.left() + 4.0, lane.center().y),
                Align2::LEFT_CENTER,
                "Proposal",
                font.clone(),
                Color32::from_rgb(255, 170, 60),
            );
        }
        let tracks_y = rect.top() + RULER..=lane.top();
        for o in overlay {
            let alpha = if o.selected { 255 } else { 90 };
            let (x0, x1) = (x_of(o.start as f64), x_of(o.end as f64));
            let conf = format!("{:.2}", o.confidence);
            let col = match o.kind {
                OverlayKind::Cut => Color32::from_rgba_unmultiplied(255, 80, 60, alpha),
                OverlayKind::Transition => Color32::from_rgba_unmultiplied(255, 160, 60, alpha),
                OverlayKind::Removal => Color32::from_rgba_unmultiplied(255, 60, 60, alpha),
                OverlayKind::Marker => Color32::from_rgba_unmultiplied(255, 220, 60, alpha),
                OverlayKind::Cue => Color32::from_rgba_unmultiplied(90, 170, 255, alpha),
                OverlayKind::Color => Color32::from_rgba_unmultiplied(230, 120, 255, alpha),
            };
            match o.kind {
                OverlayKind::Cut => {
                    p.line_segment(
                        [
                            Pos2::new(x0, *tracks_y.start()),
                            Pos2::new(x0, lane.bottom()),
                        ],
                        Stroke::new(2.0, col),
                    );
                }
                OverlayKind::Removal | OverlayKind::Transition => {
                    let span = Rect::from_x_y_ranges(x0..=x1.max(x0 + 2.0), tracks_y.clone());
                    p.rect_filled(span, 0.0, col.gamma_multiply(0.25));
                }
                _ => {}
            }
            let block = Rect::from_x_y_ranges(
                x0..=x1.max(x0 + 3.0),
                lane.top() + 3.0..=lane.bottom() - 3.0,
            );
            p.rect_filled(block, 2.0, col);
            // The confidence inside the block when it fits, else just right of it (a cut's
            // block is a hairline: black text there would sit on the dark lane).
            let galley = p.layout_no_wrap(conf, font.clone(), Color32::BLACK);
            if galley.size().x + 4.0 <= block.width() {
                p.galley(
                    block.left_bottom() + Vec2::new(2.0, -1.0 - galley.size().y),
                    galley,
                    Color32::BLACK,
                );
            } else {
                p.galley(
                    block.right_bottom() + Vec2::new(3.0, -1.0 - galley.size().y),
                    galley,
                    Color32::LIGHT_GRAY,
                );
            }
        }
        // Playhead.
        let x = x_of(position as f64);
        if x >= lane_x0 && x <= rect.right() {
            p.line_segment(
                [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
                Stroke::new(1.5, Color32::from_rgb(255, 70, 70)),
            );
        }
        // Click or drag to seek (scrub).
        if resp.clicked() || resp.dragged() {
            if let Some(pp) = resp.interact_pointer_pos() {
                if pp.x >= lane_x0 {
                    actions.push(Action::Seek(f_of(pp.x).clamp(0, total - 1)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waveform_columns_follow_the_media_time_of_each_pixel() {
        // Silence, one loud second (-6 dB), silence; 10 ms per pixel, the clip starting
        // 0.5 s into its media at x = 20.
        let mut values = vec![0.0; 300];
        values[100..200].fill(0.5);
        let peaks = Peaks { values };
        let cols = waveform_columns(&peaks, 20.0, 270.0, |x| 0.5 + f64::from(x - 20.0) / 100.0);
        assert_eq!(cols.len(), 250);
        let loud: Vec<f32> = cols.iter().filter(|c| c.1 > 0.0).map(|c| c.0).collect();
        // Media 1.0..2.0 s is at x = 70..170.
        assert_eq!(loud.len(), 100);
        assert_eq!(loud.first(), Some(&70.5));
        assert_eq!(loud.last(), Some(&169.5));
        let h = cols[100].1;
        assert!(
            (h - height_of(0.5)).abs() < 1e-6 && (h - 0.9).abs() < 0.01,
            "{h}"
        );
    }
}
