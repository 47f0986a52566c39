//! Shot boundaries from small analysis frames: hard cuts and gradual transitions.
//!
//! Each frame (64×36 RGB) is reduced to a 16×9 RGB thumbnail and a 4×4×4 colour histogram.
//! The distance between two frames mixes the thumbnails' mean absolute difference (sensitive
//! to any change of picture) with the histograms' L1 distance (insensitive to motion).
//!
//! **Hard cuts.** The distance between consecutive frames must stand out against its own
//! neighbourhood: it must exceed a floor and a multiple of the mean distance over a sliding
//! window of frames on both sides (an adaptive threshold, so that steady fast motion — pans,
//! zooms, busy textures — raises the bar around itself). A candidate is rejected as a
//! **flash** when a frame a few frames later is close to the frame before the candidate again
//! (the picture came back), and as a **pan** by the same adaptive window.
//!
//! **Gradual transitions** (dissolves, fades to/from black or white) are found by a blend fit:
//! for a window of frames `a..=b` whose end frames differ like two shots do, every frame in
//! between must be (nearly) a mix `w·F(a) + (1−w)·F(b)` of the end frames with `w` falling
//! monotonically from 1 to 0. Motion, flashes and pans do not fit such a mix; dissolves and
//! fades do. The frames where `w` moves away from 0 and 1 give the span. Spans separated by a
//! few frames (fade to black, then from black) are merged into one.
//!
//! Frames are processed in chunks with overlapping margins, so memory stays bounded whatever
//! the length of the media.

/// Analysis frame width the detector expects.
pub const FRAME_WIDTH: u32 = 64;
/// Analysis frame height the detector expects.
pub const FRAME_HEIGHT: u32 = 36;

const THUMB_W: usize = 16;
const THUMB_H: usize = 9;
const THUMB_LEN: usize = THUMB_W * THUMB_H * 3;
const HIST_BINS: usize = 64;

/// Frames analysed together (plus margins on each side).
const CHUNK: usize = 1024;
/// Frames of context on each side of a chunk; longer than the longest gradual window.
const MARGIN: usize = 96;
/// Half-width of the adaptive window for hard cuts.
const CUT_WINDOW: usize = 4;
/// How many frames after a candidate cut may bring the picture back (flash length).
const FLASH_FRAMES: usize = 8;
/// Window lengths (frames between the end frames) tried for gradual transitions.
const GRADUAL_WINDOWS: [usize; 8] = [5, 8, 12, 17, 24, 33, 45, 62];

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShotSettings {
    /// 0 (only the clearest boundaries) ..= 1 (everything plausible); 0.5 is balanced.
    pub sensitivity: f64,
    /// Shortest shot in frames: boundaries closer than this to a stronger one are dropped.
    pub min_shot_frames: i64,
    /// Whether to look for dissolves and fades.
    pub gradual: bool,
}

impl Default for ShotSettings {
    fn default() -> Self {
        ShotSettings {
            sensitivity: 0.5,
            min_shot_frames: 8,
            gradual: true,
        }
    }
}

impl ShotSettings {
    /// Ratio over the local mean a consecutive-frame distance must reach to be a cut.
    fn cut_ratio(&self) -> f32 {
        (4.5 - 3.0 * self.sensitivity as f32).max(1.2)
    }
    /// Smallest consecutive-frame distance that can be a cut.
    fn cut_floor(&self) -> f32 {
        (0.16 - 0.12 * self.sensitivity as f32).max(0.02)
    }
    /// Smallest end-to-end distance of a gradual transition.
    fn gradual_floor(&self) -> f32 {
        (0.3 - 0.2 * self.sensitivity as f32).max(0.05)
    }
    /// How many times more a gradual window must change than its surroundings.
    fn gradual_contrast(&self) -> f32 {
        2.2 - 1.0 * self.sensitivity as f32
    }
    /// Largest relative residual of the blend fit.
    fn blend_tolerance(&self) -> f32 {
        0.2 + 0.15 * self.sensitivity as f32
    }
}

/// What a gradual transition looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradualKind {
    /// One picture mixes into another.
    Dissolve,
    /// The picture fades out to black.
    FadeToBlack,
    /// The picture fades in from black.
    FadeFromBlack,
    /// Out to black and in again, as one transition.
    FadeThroughBlack,
    /// The picture fades out to white.
    FadeToWhite,
    /// The picture fades in from white.
    FadeFromWhite,
    /// Out to white and in again, as one transition.
    FadeThroughWhite,
}

impl GradualKind {
    /// Words for a reviewer.
    pub fn describe(self) -> &'static str {
        match self {
            GradualKind::Dissolve => "dissolve",
            GradualKind::FadeToBlack => "fade to black",
            GradualKind::FadeFromBlack => "fade from black",
            GradualKind::FadeThroughBlack => "fade through black",
            GradualKind::FadeToWhite => "fade to white",
            GradualKind::FadeFromWhite => "fade from white",
            GradualKind::FadeThroughWhite => "fade through white",
        }
    }
}

/// A shot boundary, in frame indices of the media.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShotEvent {
    /// A hard cut: `frame` is the first frame of the new shot.
    Cut {
        /// First frame of the new shot.
        frame: i64,
        /// Confidence in `[0, 1]`.
        confidence: f32,
        /// Distance between the frames on either side of the cut.
        distance: f32,
        /// How far the distance stands above its neighbourhood.
        ratio: f32,
    },
    /// A gradual transition over the frames `start..end` (end exclusive).
    Gradual {
        /// First frame that is part of the transition.
        start: i64,
        /// First frame after the transition.
        end: i64,
        /// What it looks like.
        kind: GradualKind,
        /// Confidence in `[0, 1]`.
        confidence: f32,
    },
}

impl ShotEvent {
    /// The frame the event is anchored at (cut frame or transition start).
    pub fn anchor(&self) -> i64 {
        match *self {
            ShotEvent::Cut { frame, .. } => frame,
            ShotEvent::Gradual { start, .. } => start,
        }
    }

    /// The event's confidence.
    pub fn confidence(&self) -> f32 {
        match *self {
            ShotEvent::Cut { confidence, .. } | ShotEvent::Gradual { confidence, .. } => confidence,
        }
    }
}

/// The reduced form of one frame.
#[derive(Debug, Clone)]
struct Features {
    index: i64,
    thumb: [f32; THUMB_LEN],
    hist: [f32; HIST_BINS],
    luma: f32,
    /// Nearly uniform black or white (the middle of a fade).
    flat: bool,
}

impl Features {
    /// Reduces a tightly packed RGB24 frame of any size at least 16×9.
    fn from_rgb(index: i64, width: usize, height: usize, data: &[u8]) -> Features {
        let mut thumb = [0f32; THUMB_LEN];
        let mut counts = [0u32; THUMB_W * THUMB_H];
        let mut hist = [0f32; HIST_BINS];
        let mut luma = 0f64;
        let pixels = (width * height).min(data.len() / 3);
        for (i, p) in data.chunks_exact(3).take(pixels).enumerate() {
            let (x, y) = (i % width, i / width);
            let cell = (y * THUMB_H / height) * THUMB_W + x * THUMB_W / width;
            counts[cell] += 1;
            for c in 0..3 {
                thumb[cell * 3 + c] += p[c] as f32;
            }
            // Soft binning: each channel splits its vote between the two nearest of four
            // levels, so a slow colour shift moves the histogram slowly too.
            let mut lo = [0usize; 3];
            let mut frac = [0f32; 3];
            for c in 0..3 {
                let pos = p[c] as f32 * (3.0 / 255.0);
                lo[c] = (pos as usize).min(2);
                frac[c] = pos - lo[c] as f32;
            }
            for corner in 0..8 {
                let mut bin = 0;
                let mut weight = 1.0;
                for c in 0..3 {
                    let up = (corner >> c) & 1;
                    bin = bin * 4 + lo[c] + up;
                    weight *= if up == 1 { frac[c] } else { 1.0 - frac[c] };
                }
                hist[bin] += weight;
            }
            luma += 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64;
        }
        for (cell, &n) in counts.iter().enumerate() {
            let n = n.max(1) as f32;
            for c in 0..3 {
                thumb[cell * 3 + c] /= n;
            }
        }
        let total = pixels.max(1) as f32;
        for h in &mut hist {
            *h /= total;
        }
        let luma = (luma / pixels.max(1) as f64) as f32;
        let mean = thumb.iter().sum::<f32>() / THUMB_LEN as f32;
        let spread =
            (thumb.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / THUMB_LEN as f32).sqrt();
        Features {
            index,
            thumb,
            hist,
            luma,
            flat: spread < 5.0 && !(20.0..=235.0).contains(&luma),
        }
    }
}

/// Distance between two frames in `[0, 1]`.
fn distance(a: &Features, b: &Features) -> f32 {
    let mut pix = 0f32;
    for (x, y) in a.thumb.iter().zip(&b.thumb) {
        pix += (x - y).abs();
    }
    let pix = pix / (THUMB_LEN as f32 * 255.0);
    let mut hist = 0f32;
    for (x, y) in a.hist.iter().zip(&b.hist) {
        hist += (x - y).abs();
    }
    0.5 * (pix * 4.0).min(1.0) + 0.25 * hist
}

/// Fits `m ≈ w·a + (1−w)·b`; returns `(w, residual relative to |a − b|)`.
fn blend_fit(a: &Features, b: &Features, m: &Features) -> (f32, f32) {
    let mut dd = 0f32;
    let mut md = 0f32;
    for i in 0..THUMB_LEN {
        let d = a.thumb[i] - b.thumb[i];
        dd += d * d;
        md += (m.thumb[i] - b.thumb[i]) * d;
    }
    if dd <= f32::EPSILON {
        return (0.5, f32::INFINITY);
    }
    let w = md / dd;
    let mut rr = 0f32;
    for i in 0..THUMB_LEN {
        let fit = w * a.thumb[i] + (1.0 - w) * b.thumb[i];
        let r = m.thumb[i] - fit;
        rr += r * r;
    }
    (w, (rr / dd).sqrt())
}

/// Streaming shot-boundary detector: push frames in order, then [`ShotDetector::finish`].
#[derive(Debug)]
pub struct ShotDetector {
    settings: ShotSettings,
    buffer: Vec<Features>,
    /// Events are accepted only from anchors at or after this frame index.
    committed: i64,
    events: Vec<ShotEvent>,
}

impl ShotDetector {
    /// A detector with `settings`.
    pub fn new(settings: ShotSettings) -> ShotDetector {
        ShotDetector {
            settings,
            buffer: Vec::with_capacity(CHUNK + 2 * MARGIN),
            committed: i64::MIN,
            events: Vec::new(),
        }
    }

    /// Adds the next frame (tightly packed RGB24, `width`×`height`). Frames must come in
    /// increasing index order; a gap in indices is treated as consecutive frames.
    pub fn push_rgb(&mut self, index: i64, width: u32, height: u32, data: &[u8]) {
        self.buffer.push(Features::from_rgb(
            index,
            width as usize,
            height as usize,
            data,
        ));
        if self.buffer.len() >= CHUNK + 2 * MARGIN {
            let upto = self.buffer[self.buffer.len() - MARGIN].index;
            self.analyse(upto);
            let keep_from = self.buffer.len() - 2 * MARGIN;
            self.buffer.drain(..keep_from);
        }
    }

    /// Analyses what is left and returns every boundary, in order, after the minimum shot
    /// length has been applied.
    pub fn finish(mut self) -> Vec<ShotEvent> {
        if !self.buffer.is_empty() {
            self.analyse(i64::MAX);
        }
        let mut events = self.events;
        apply_min_shot(&mut events, self.settings.min_shot_frames);
        events
    }

    /// Finds events in the buffer and keeps those anchored in `[committed, upto)`.
    fn analyse(&mut self, upto: i64) {
        let found = detect(&self.buffer, &self.settings);
        let from = self.committed;
        self.events.extend(
            found
                .into_iter()
                .filter(|e| e.anchor() >= from && e.anchor() < upto),
        );
        self.committed = upto;
    }
}

/// Keeps the strongest of any boundaries closer than `min_frames` to each other.
fn apply_min_shot(events: &mut Vec<ShotEvent>, min_frames: i64) {
    events.sort_by_key(|e| e.anchor());
    if min_frames <= 1 || events.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by(|&a, &b| events[b].confidence().total_cmp(&events[a].confidence()));
    let mut kept: Vec<ShotEvent> = Vec::new();
    let span = |e: &ShotEvent| match *e {
        ShotEvent::Cut { frame, .. } => (frame, frame),
        ShotEvent::Gradual { start, end, .. } => (start, end),
    };
    for i in order {
        let (s, e) = span(&events[i]);
        let clash = kept.iter().any(|k| {
            let (ks, ke) = span(k);
            s < ke + min_frames && ks < e + min_frames
        });
        if !clash {
            kept.push(events[i]);
        }
    }
    kept.sort_by_key(|e| e.anchor());
    *events = kept;
}

/// Offline detection over a run of consecutive frames.
fn detect(frames: &[Features], settings: &ShotSettings) -> Vec<ShotEvent> {
    let n = frames.len();
    let mut events = Vec::new();
    if n < 2 {
        return events;
    }
    // s[t] = distance between frames t-1 and t (s[0] = 0).
    let mut s = vec![0f32; n];
    for t in 1..n {
        s[t] = distance(&frames[t - 1], &frames[t]);
    }
    let ratio_needed = settings.cut_ratio();
    let floor = settings.cut_floor();
    let mut is_cut = vec![false; n];
    let mut t = 1;
    while t < n {
        let lo = t.saturating_sub(CUT_WINDOW).max(1);
        let hi = (t + CUT_WINDOW).min(n - 1);
        let (mut sum, mut count) = (0f32, 0u32);
        for (u, &v) in s.iter().enumerate().take(hi + 1).skip(lo) {
            if u != t {
                sum += v;
                count += 1;
            }
        }
        let local = if count > 0 { sum / count as f32 } else { 0.0 };
        let ratio = s[t] / (local + 0.01);
        if s[t] >= floor && ratio >= ratio_needed {
            // Flash: the picture before the candidate comes back within a few frames.
            let before = &frames[t - 1];
            let mut returned = None;
            for k in 1..=FLASH_FRAMES {
                if t + k >= n {
                    break;
                }
                if distance(before, &frames[t + k]) < 0.4 * s[t] {
                    returned = Some(k);
                    break;
                }
            }
            if let Some(k) = returned {
                t += k + 1;
                continue;
            }
            is_cut[t] = true;
            let strength = ((ratio - ratio_needed) / ratio_needed).clamp(0.0, 1.0);
            let height = ((s[t] - floor) / (0.5 - floor).max(0.01)).clamp(0.0, 1.0);
            events.push(ShotEvent::Cut {
                frame: frames[t].index,
                confidence: (0.5 + 0.25 * strength + 0.25 * height).clamp(0.0, 1.0),
                distance: s[t],
                ratio,
            });
        }
        t += 1;
    }
    if settings.gradual {
        let mut gradual = detect_gradual(frames, &is_cut, settings);
        // A fade's steepest frames can look like a cut (xfade's fades leave the picture in
        // a frame or two): a cut next to a transition becomes part of it.
        let first = frames[0].index;
        // Whether the picture is black or white within two frames of a cut.
        let flat_at = |frame: i64| {
            let i = (frame - first).clamp(0, n as i64 - 1) as usize;
            frames[i.saturating_sub(1)..(i + 3).min(n)]
                .iter()
                .any(|f| f.flat)
        };
        events.retain(|e| {
            let ShotEvent::Cut { frame, .. } = *e else {
                return true;
            };
            if !flat_at(frame) {
                return true;
            }
            for g in gradual.iter_mut() {
                if let ShotEvent::Gradual { start, end, .. } = g {
                    if frame >= *start - 8 && frame <= *end + 8 {
                        *start = (*start).min(frame);
                        *end = (*end).max(frame + 1);
                        return false;
                    }
                }
            }
            true
        });
        events.extend(gradual);
    }
    events
}

/// A gradual candidate: inclusive span of changing frames and a score.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    score: f32,
}

fn detect_gradual(frames: &[Features], is_cut: &[bool], settings: &ShotSettings) -> Vec<ShotEvent> {
    let n = frames.len();
    let floor = settings.gradual_floor();
    let tolerance = settings.blend_tolerance();
    // Prefix count of cuts, to skip windows that contain one.
    let mut cuts_before = vec![0u32; n + 1];
    for i in 0..n {
        cuts_before[i + 1] = cuts_before[i] + is_cut[i] as u32;
    }
    // Nearest cut at or before each frame, and nearest cut after it (n when none).
    let mut last_cut = vec![0usize; n];
    let mut next_cut = vec![n; n];
    for i in 0..n {
        last_cut[i] = if is_cut[i] {
            i
        } else if i > 0 {
            last_cut[i - 1]
        } else {
            0
        };
    }
    for i in (0..n).rev() {
        next_cut[i] = if i + 1 < n && is_cut[i + 1] {
            i + 1
        } else if i + 1 < n {
            next_cut[i + 1]
        } else {
            n
        };
    }
    let contrast = settings.gradual_contrast();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut w = Vec::with_capacity(GRADUAL_WINDOWS[GRADUAL_WINDOWS.len() - 1]);
    for a in 0..n {
        for &len in &GRADUAL_WINDOWS {
            let b = a + len;
            if b >= n {
                break;
            }
            if cuts_before[b + 1] - cuts_before[a + 1] > 0 {
                continue;
            }
            let (fa, fb) = (&frames[a], &frames[b]);
            let d_ab = distance(fa, fb);
            if d_ab < floor {
                continue;
            }
            // Quick rejection on the middle frame.
            let (wm, rm) = blend_fit(fa, fb, &frames[a + len / 2]);
            if rm > tolerance || !(0.02..=0.98).contains(&wm) {
                continue;
            }
            // The change must be concentrated in the window: the same number of frames
            // before and after it (up to the nearest cut) must change much less, or this is
            // steady motion (zoom, pan, busy texture), not a transition.
            let before_start = a.saturating_sub(len).max(last_cut[a]);
            // Steady motion does not start or end at a black or white frame: fades need no
            // contrast (they may arrive there quickly, right after a cut-like step).
            let before = if a - before_start >= 3 {
                distance(&frames[before_start], fa) * len as f32 / (a - before_start) as f32
            } else {
                0.0
            };
            let after_end = (b + len).min(next_cut[b] - 1).min(n - 1);
            let after = if after_end >= b + 3 {
                distance(fb, &frames[after_end]) * len as f32 / (after_end - b) as f32
            } else {
                0.0
            };
            if !fa.flat && !fb.flat && d_ab < contrast * before.max(after) {
                continue;
            }
            w.clear();
            let mut worst = 0f32;
            let mut ok = true;
            for fm in &frames[a + 1..b] {
                let (wi, ri) = blend_fit(fa, fb, fm);
                if ri > tolerance || !(-0.1..=1.1).contains(&wi) {
                    ok = false;
                    break;
                }
                if let Some(&prev) = w.last() {
                    if wi > prev + 0.1 {
                        ok = false;
                        break;
                    }
                }
                worst = worst.max(ri);
                w.push(wi);
            }
            if !ok {
                continue;
            }
            // Changing frames: those whose weight has left 1 and not yet reached 0.
            let first = w.iter().position(|&x| x < 0.9);
            let last = w.iter().rposition(|&x| x > 0.1);
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            if last < first || last - first + 1 < 3 {
                continue;
            }
            // The ends must hold still (the window should not cut through the transition),
            // unless an end is black or white: a fade may leave it at once.
            if (first == 0 && !fa.flat) || (last + 1 == w.len() && !fb.flat) {
                continue;
            }
            candidates.push(Candidate {
                start: a + 1 + first,
                end: a + 1 + last,
                score: d_ab * (1.0 - worst / tolerance).max(0.05),
            });
        }
    }
    // Cluster overlapping candidates, keep the best of each.
    candidates.sort_by_key(|c| c.start);
    let mut best: Vec<Candidate> = Vec::new();
    for c in candidates {
        match best.last_mut() {
            Some(b) if c.start <= b.end + 1 => {
                if c.score > b.score {
                    let end = b.end.max(c.end);
                    *b = c;
                    b.end = b.end.max(end.min(c.end));
                }
            }
            _ => best.push(c),
        }
    }
    // Merge fades through black/white: spans separated by a few frames.
    let mut merged: Vec<Candidate> = Vec::new();
    for c in best {
        match merged.last_mut() {
            Some(m) if c.start <= m.end + 4 => {
                m.end = m.end.max(c.end);
                m.score = m.score.max(c.score);
            }
            _ => merged.push(c),
        }
    }
    merged
        .into_iter()
        .map(|mut c| {
            // A fade includes the black or white frames it reaches.
            while c.start > 0 && frames[c.start - 1].flat {
                c.start -= 1;
            }
            while c.end + 1 < n && frames[c.end + 1].flat {
                c.end += 1;
            }
            let before = &frames[c.start.saturating_sub(1)];
            let after = &frames[(c.end + 1).min(n - 1)];
            let darkest = frames[c.start..=c.end]
                .iter()
                .map(|f| f.luma)
                .fold(f32::INFINITY, f32::min);
            let brightest = frames[c.start..=c.end]
                .iter()
                .map(|f| f.luma)
                .fold(0f32, f32::max);
            let kind = classify(before.luma, after.luma, darkest, brightest);
            ShotEvent::Gradual {
                start: frames[c.start].index,
                end: frames[c.end].index + 1,
                kind,
                confidence: (0.4 + c.score).clamp(0.0, 1.0),
            }
        })
        .collect()
}

fn classify(before: f32, after: f32, darkest: f32, brightest: f32) -> GradualKind {
    const BLACK: f32 = 20.0;
    const WHITE: f32 = 235.0;
    match (before, after) {
        (b, a) if b <= BLACK && a > BLACK => GradualKind::FadeFromBlack,
        (b, a) if a <= BLACK && b > BLACK => GradualKind::FadeToBlack,
        (b, a) if b >= WHITE && a < WHITE => GradualKind::FadeFromWhite,
        (b, a) if a >= WHITE && b < WHITE => GradualKind::FadeToWhite,
        _ if darkest <= BLACK => GradualKind::FadeThroughBlack,
        _ if brightest >= WHITE => GradualKind::FadeThroughWhite,
        _ => GradualKind::Dissolve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(index: i64, f: impl Fn(usize, usize) -> [u8; 3]) -> Features {
        let mut data = Vec::new();
        for y in 0..FRAME_HEIGHT as usize {
            for x in 0..FRAME_WIDTH as usize {
                data.extend_from_slice(&f(x, y));
            }
        }
        Features::from_rgb(index, FRAME_WIDTH as usize, FRAME_HEIGHT as usize, &data)
    }

    #[test]
    fn identical_frames_are_at_distance_zero_and_different_ones_far_apart() {
        let a = frame(0, |x, y| [(x * 4) as u8, (y * 7) as u8, 90]);
        let b = frame(1, |x, _| [255 - (x * 4) as u8, 30, 200]);
        assert_eq!(distance(&a, &a), 0.0);
        assert!(distance(&a, &b) > 0.4, "{}", distance(&a, &b));
    }

    #[test]
    fn a_mix_of_two_frames_fits_a_blend_with_its_weight() {
        let a = frame(0, |x, y| [(x * 4) as u8, (y * 7) as u8, 90]);
        let b = frame(1, |x, _| [255 - (x * 4) as u8, 30, 200]);
        let m = frame(2, |x, y| {
            let pa = [(x * 4) as f32, (y * 7) as f32, 90.0];
            let pb = [255.0 - (x * 4) as f32, 30.0, 200.0];
            std::array::from_fn(|c| (0.3 * pa[c] + 0.7 * pb[c]).round() as u8)
        });
        let (w, r) = blend_fit(&a, &b, &m);
        assert!((w - 0.3).abs() < 0.02, "{w}");
        assert!(r < 0.02, "{r}");
    }

    #[test]
    fn the_minimum_shot_length_keeps_the_stronger_of_two_close_cuts() {
        let cut = |frame, confidence| ShotEvent::Cut {
            frame,
            confidence,
            distance: 0.5,
            ratio: 5.0,
        };
        let mut events = vec![cut(10, 0.6), cut(13, 0.9), cut(40, 0.7)];
        apply_min_shot(&mut events, 8);
        assert_eq!(events, vec![cut(13, 0.9), cut(40, 0.7)]);
    }
}
