//! Reviewing a proposal live: the item list (accept/reject each or all, step from one item
//! to the next), the colour-match strength and wipe, and the editable cue list with
//! readability-rule violations highlighted. Accepting hands the selection to the document
//! as one undoable command.

use std::collections::BTreeSet;

use cutroom_engine::{JobId, Target};
use cutroom_plugin::{Proposal, ProposalKind};
use cutroom_timeline::{ColorTransform, Rate, RationalTime, SubtitleCue, TimeRange};
use eframe::egui::{self, Color32};

use crate::app::Action;
use crate::timeline::{OverlayItem, OverlayKind};
use crate::viewer::OverlayCue;

/// How media time of the analysed clip maps onto the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipMap {
    /// Timeline frame where the clip starts.
    pub track_start: i64,
    /// Media time at the clip's first frame.
    pub source_start: RationalTime,
    /// Timeline rate.
    pub rate: Rate,
}

impl ClipMap {
    /// Timeline frame showing media time `t`.
    pub fn frame(&self, t: RationalTime) -> i64 {
        self.track_start + t.to_frames(self.rate) - self.source_start.to_frames(self.rate)
    }

    /// Media time shown at timeline frame `f`.
    pub fn media_time(&self, f: i64) -> RationalTime {
        let offset = RationalTime::new(f - self.track_start, self.rate);
        self.source_start
            .rescaled_to(self.rate)
            .checked_add(offset)
            .unwrap_or(self.source_start)
    }
}

/// A proposal waiting for the editor's decision.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The job that produced it.
    pub job: JobId,
    /// Plugin display name.
    pub plugin_name: String,
    /// The proposal (cue edits are made here).
    pub proposal: Proposal,
    /// The clip it applies to.
    pub target: Target,
    /// The clip's placement.
    pub map: ClipMap,
    /// Ids of the items to accept.
    pub selected: BTreeSet<u32>,
}

impl Pending {
    /// Timeline frame where item `index` of the proposal is (`None` for whole-clip items
    /// such as a colour transform).
    pub fn item_frame(&self, index: usize) -> Option<i64> {
        let t = match &self.proposal.items.get(index)?.kind {
            ProposalKind::Cut { at } => *at,
            ProposalKind::Transition { range, .. } | ProposalKind::Removal { range } => range.start,
            ProposalKind::Marker(m) => m.range.start,
            ProposalKind::Cue(c) => c.range.start,
            ProposalKind::Color(_) => return None,
        };
        Some(self.map.frame(t))
    }
}

/// Readability rules for subtitle cues.
pub mod rules {
    /// Most lines per cue.
    pub const MAX_LINES: usize = 2;
    /// Most characters per line.
    pub const MAX_LINE_CHARS: usize = 42;
    /// Shortest duration, seconds.
    pub const MIN_SECONDS: f64 = 0.833;
    /// Longest duration, seconds.
    pub const MAX_SECONDS: f64 = 7.0;
    /// Fastest reading speed, characters per second.
    pub const MAX_CPS: f64 = 20.0;
}

/// The rules `cue` breaks (empty when it reads well). `next` is the following cue.
pub fn violations(cue: &SubtitleCue, next: Option<&SubtitleCue>) -> Vec<String> {
    let mut v = Vec::new();
    let lines: Vec<&str> = cue.text.lines().collect();
    if lines.len() > rules::MAX_LINES {
        v.push(format!("{} lines (max {})", lines.len(), rules::MAX_LINES));
    }
    if let Some(l) = lines
        .iter()
        .find(|l| l.chars().count() > rules::MAX_LINE_CHARS)
    {
        v.push(format!(
            "line of {} characters (max {})",
            l.chars().count(),
            rules::MAX_LINE_CHARS
        ));
    }
    let secs = cue.range.duration.to_seconds();
    if secs < rules::MIN_SECONDS {
        v.push(format!(
            "{secs:.2} s on screen (min {:.2})",
            rules::MIN_SECONDS
        ));
    }
    if secs > rules::MAX_SECONDS {
        v.push(format!(
            "{secs:.2} s on screen (max {:.0})",
            rules::MAX_SECONDS
        ));
    }
    let chars = cue.text.chars().filter(|c| !c.is_whitespace()).count() as f64;
    if secs > 0.0 && chars / secs > rules::MAX_CPS {
        v.push(format!(
            "{:.0} characters/s (max {:.0})",
            chars / secs,
            rules::MAX_CPS
        ));
    }
    if let Some(n) = next {
        if n.range.start < cue.range.end_exclusive() {
            v.push("overlaps the next cue".into());
        }
    }
    v
}

/// `lut` blended with the identity by `strength` (0 = identity, 1 = `lut`).
pub fn with_strength(lut: &ColorTransform, strength: f32) -> ColorTransform {
    let s = strength.clamp(0.0, 1.0);
    let mut out = lut.clone();
    let n = lut.size.max(2);
    let step = 1.0 / (n - 1) as f32;
    for (i, v) in out.table.iter_mut().enumerate() {
        let (r, g, b) = (i % n, (i / n) % n, i / (n * n));
        let id = [
            lut.domain_min[0] + (lut.domain_max[0] - lut.domain_min[0]) * r as f32 * step,
            lut.domain_min[1] + (lut.domain_max[1] - lut.domain_min[1]) * g as f32 * step,
            lut.domain_min[2] + (lut.domain_max[2] - lut.domain_min[2]) * b as f32 * step,
        ];
        for c in 0..3 {
            v[c] = id[c] * (1.0 - s) + v[c] * s;
        }
    }
    out
}

/// The review panel.
pub struct ReviewPanel {
    /// The proposal under review.
    pub pending: Option<Pending>,
    /// Colour-match strength in `[0, 1]`.
    pub strength: f32,
    /// Show the before/after wipe for a colour proposal.
    pub wipe: bool,
    cursor: usize,
}

impl Default for ReviewPanel {
    fn default() -> Self {
        ReviewPanel {
            pending: None,
            strength: 1.0,
            wipe: true,
            cursor: 0,
        }
    }
}

impl ReviewPanel {
    /// Starts reviewing `pending` with every item selected.
    pub fn set(&mut self, mut pending: Pending) {
        pending.selected = pending.proposal.items.iter().map(|i| i.id).collect();
        self.pending = Some(pending);
        self.strength = 1.0;
        self.cursor = 0;
    }

    /// The colour transform under review (at full strength) while the wipe is on.
    pub fn preview_lut(&self) -> Option<ColorTransform> {
        self.preview_lut_ref().cloned()
    }

    /// [`ReviewPanel::preview_lut`] without copying the table.
    pub fn preview_lut_ref(&self) -> Option<&ColorTransform> {
        self.colour_under_review().filter(|_| self.wipe)
    }

    /// The selected colour transform of the proposal under review (at full strength).
    pub fn colour_under_review(&self) -> Option<&ColorTransform> {
        let p = self.pending.as_ref()?;
        p.proposal.items.iter().find_map(|i| match &i.kind {
            ProposalKind::Color(c) if p.selected.contains(&i.id) => Some(c),
            _ => None,
        })
    }

    /// The proposal to apply: colour items scaled by the strength slider.
    pub fn proposal_to_apply(&self) -> Option<(Proposal, Vec<u32>, Target)> {
        let p = self.pending.as_ref()?;
        let mut proposal = p.proposal.clone();
        for item in &mut proposal.items {
            if let ProposalKind::Color(c) = &mut item.kind {
                if self.strength < 1.0 {
                    *c = with_strength(c, self.strength);
                }
            }
        }
        Some((proposal, p.selected.iter().copied().collect(), p.target))
    }

    /// The proposal items placed on the timeline.
    pub fn overlay(&self) -> Vec<OverlayItem> {
        let Some(p) = &self.pending else {
            return Vec::new();
        };
        let m = p.map;
        p.proposal
            .items
            .iter()
            .map(|i| {
                let span = |r: &TimeRange| (m.frame(r.start), m.frame(r.end_exclusive()));
                let (kind, (start, end)) = match &i.kind {
                    ProposalKind::Cut { at } => (OverlayKind::Cut, (m.frame(*at), m.frame(*at))),
                    ProposalKind::Transition { range, .. } => {
                        (OverlayKind::Transition, span(range))
                    }
                    ProposalKind::Removal { range } => (OverlayKind::Removal, span(range)),
                    ProposalKind::Marker(mk) => (OverlayKind::Marker, {
                        let (a, b) = span(&mk.range);
                        (a, b.max(a + 1))
                    }),
                    ProposalKind::Cue(c) => (OverlayKind::Cue, span(&c.range)),
                    ProposalKind::Color(_) => {
                        (OverlayKind::Color, (m.track_start, m.track_start + 1))
                    }
                };
                OverlayItem {
                    id: i.id,
                    kind,
                    start,
                    end,
                    confidence: i.confidence,
                    selected: p.selected.contains(&i.id),
                }
            })
            .collect()
    }

    /// Selected removals, as timeline spans playback skips.
    pub fn skip_spans(&self) -> Vec<(i64, i64)> {
        self.overlay()
            .into_iter()
            .filter(|o| o.kind == OverlayKind::Removal && o.selected)
            .map(|o| (o.start, o.end))
            .collect()
    }

    /// Proposed cues to draw over the picture.
    pub fn overlay_cues(&self) -> Vec<OverlayCue> {
        let Some(p) = &self.pending else {
            return Vec::new();
        };
        p.proposal
            .items
            .iter()
            .filter(|i| p.selected.contains(&i.id))
            .filter_map(|i| match &i.kind {
                ProposalKind::Cue(c) => Some(OverlayCue {
                    start: p.map.frame(c.range.start),
                    end: p.map.frame(c.range.end_exclusive()),
                    text: c.text.clone(),
                    proposed: true,
                }),
                _ => None,
            })
            .collect()
    }

    /// A one-line summary for the timeline header.
    pub fn title(&self) -> Option<String> {
        let p = self.pending.as_ref()?;
        Some(format!(
            "Proposal from {}: {} items, {} selected",
            p.plugin_name,
            p.proposal.items.len(),
            p.selected.len()
        ))
    }

    /// Shows the panel. `rate` formats times.
    pub fn ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.heading("Review");
        let Some(p) = &mut self.pending else {
            ui.weak("Nothing to review. Run a plugin; its proposal appears here.");
            return;
        };
        ui.label(format!(
            "{}: {} items ({} selected)",
            p.plugin_name,
            p.proposal.items.len(),
            p.selected.len()
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!p.selected.is_empty(), egui::Button::new("Accept"))
                .on_hover_text("Apply the selected items as one undoable edit")
                .clicked()
            {
                actions.push(Action::Accept);
            }
            if ui.button("Reject all").clicked() {
                actions.push(Action::RejectAll);
            }
            if ui.small_button("All").clicked() {
                p.selected = p.proposal.items.iter().map(|i| i.id).collect();
            }
            if ui.small_button("None").clicked() {
                p.selected.clear();
            }
        });
        let n = p.proposal.items.len();
        if n > 0 {
            ui.horizontal(|ui| {
                let mut go = None;
                if ui.button("< Previous").clicked() {
                    go = Some((self.cursor + n - 1) % n);
                }
                if ui.button("Next >").clicked() {
                    go = Some((self.cursor + 1) % n);
                }
                if let Some(c) = go {
                    self.cursor = c;
                    if let Some(f) = p.item_frame(c) {
                        actions.push(Action::Seek(f));
                    }
                }
                ui.weak(format!("item {} of {n}", self.cursor + 1));
            });
        }
        if p.proposal
            .items
            .iter()
            .any(|i| matches!(i.kind, ProposalKind::Color(_)))
        {
            ui.add(egui::Slider::new(&mut self.strength, 0.0..=1.0).text("Strength"));
            ui.checkbox(&mut self.wipe, "Before/after wipe");
        }
        ui.separator();
        let cues: Vec<Option<SubtitleCue>> = p
            .proposal
            .items
            .iter()
            .map(|i| match &i.kind {
                ProposalKind::Cue(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let rate = p.map.rate;
        egui::ScrollArea::vertical()
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for (idx, item) in p.proposal.items.iter_mut().enumerate() {
                    ui.push_id(item.id, |ui| {
                        let mut on = p.selected.contains(&item.id);
                        let at = match &item.kind {
                            ProposalKind::Cut { at } => *at,
                            ProposalKind::Transition { range, .. }
                            | ProposalKind::Removal { range } => range.start,
                            ProposalKind::Marker(m) => m.range.start,
                            ProposalKind::Cue(c) => c.range.start,
                            ProposalKind::Color(_) => p.map.source_start,
                        };
                        let tc =
                            cutroom_timeline::Timecode::from_frames(p.map.frame(at), rate, false);
                        let text = format!(
                            "#{} {} at {tc} · {:.2} · {}",
                            item.id,
                            item.kind.name(),
                            item.confidence,
                            item.reason
                        );
                        let current = idx == self.cursor;
                        let r = ui.checkbox(&mut on, text);
                        if current {
                            r.clone().highlight();
                        }
                        if r.changed() {
                            if on {
                                p.selected.insert(item.id);
                            } else {
                                p.selected.remove(&item.id);
                            }
                        }
                        if let ProposalKind::Cue(c) = &mut item.kind {
                            let next = cues.iter().skip(idx + 1).flatten().next();
                            let bad = violations(c, next);
                            ui.indent("cue", |ui| {
                                ui.add(egui::TextEdit::multiline(&mut c.text).desired_rows(2));
                                let mut start = c.range.start.to_seconds();
                                let mut end = c.range.end_exclusive().to_seconds();
                                let changed = ui
                                    .horizontal(|ui| {
                                        let l1 = ui.label("Start");
                                        let a = ui
                                            .add(
                                                egui::DragValue::new(&mut start)
                                                    .speed(0.02)
                                                    .range(0.0..=86_400.0)
                                                    .suffix(" s"),
                                            )
                                            .labelled_by(l1.id)
                                            .changed();
                                        let l2 = ui.label("End");
                                        let b = ui
                                            .add(
                                                egui::DragValue::new(&mut end)
                                                    .speed(0.02)
                                                    .range(0.0..=86_400.0)
                                                    .suffix(" s"),
                                            )
                                            .labelled_by(l2.id)
                                            .changed();
                                        a || b
                                    })
                                    .inner;
                                if changed && end > start {
                                    let r = c.range.start.rate;
                                    if let (Ok(s), Ok(e)) = (
                                        RationalTime::from_seconds(start, r),
                                        RationalTime::from_seconds(end, r),
                                    ) {
                                        if let Ok(range) = TimeRange::from_start_end(s, e) {
                                            c.range = range;
                                        }
                                    }
                                }
                                for b in &bad {
                                    ui.colored_label(
                                        Color32::from_rgb(240, 110, 90),
                                        format!("! {b}"),
                                    );
                                }
                            });
                        }
                    });
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(start: i64, end: i64, text: &str) -> SubtitleCue {
        SubtitleCue::new(
            TimeRange::from_frames(start, end - start, Rate::FPS_25),
            text,
        )
    }

    #[test]
    fn a_short_fast_cue_breaks_the_duration_and_speed_rules() {
        let v = violations(
            &cue(0, 10, "A rather long sentence for so short a time"),
            None,
        );
        assert!(v.iter().any(|s| s.contains("on screen")), "{v:?}");
        assert!(v.iter().any(|s| s.contains("characters/s")), "{v:?}");
    }

    #[test]
    fn a_well_timed_cue_reads_well() {
        assert!(violations(&cue(0, 50, "Hello there."), Some(&cue(60, 90, "x"))).is_empty());
    }

    #[test]
    fn overlapping_cues_are_flagged() {
        let v = violations(&cue(0, 50, "Hello there."), Some(&cue(40, 90, "x")));
        assert_eq!(v, vec!["overlaps the next cue".to_string()]);
    }

    #[test]
    fn zero_strength_gives_the_identity() {
        let mut t = ColorTransform::identity(3);
        for v in &mut t.table {
            *v = [1.0 - v[0], v[1] * 0.5, 0.2];
        }
        let id = ColorTransform::identity(3);
        assert_eq!(with_strength(&t, 0.0).table, id.table);
        assert_eq!(with_strength(&t, 1.0).table, t.table);
    }
}
