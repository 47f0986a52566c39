//! Builds the viewer's preview LUT — the colour proposal under review at the strength
//! slider's value — off the UI thread.
//!
//! Blending a LUT with the identity and preparing it costs about 0.6 ms for a 33³ table,
//! 7 ms for 65³ and 40 ms for 129³ (the largest the colour-match plugin bakes), which
//! would stall the UI on every step of a slider drag. One worker thread builds them
//! instead; requests that arrive while it is busy are coalesced, so a drag costs one
//! build at a time and the last position always gets built.

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use cutroom_color::PreparedLut;
use cutroom_timeline::ColorTransform;
use eframe::egui;

use crate::review::with_strength;

/// What a preview LUT is built from: the reviewed job's id and the strength in thousandths.
pub type PreviewKey = (u64, u32);

/// The key of `strength` for the proposal of job `job`.
pub fn preview_key(job: u64, strength: f32) -> PreviewKey {
    (job, (strength.clamp(0.0, 1.0) * 1000.0).round() as u32)
}

struct Request {
    key: PreviewKey,
    lut: Arc<ColorTransform>,
    strength: f32,
}

/// A built preview LUT.
pub struct Built {
    /// What it was built from.
    pub key: PreviewKey,
    /// The prepared LUT (`None` when the table is malformed).
    pub lut: Option<PreparedLut>,
}

/// The worker thread; dropping the builder stops it.
pub struct PreviewLutBuilder {
    requests: Option<Sender<Request>>,
    results: Receiver<Built>,
    thread: Option<JoinHandle<()>>,
}

impl PreviewLutBuilder {
    /// Starts the worker; `repaint` is asked to repaint when a LUT is ready.
    pub fn spawn(repaint: Option<egui::Context>) -> PreviewLutBuilder {
        let (requests, rx) = crossbeam_channel::unbounded::<Request>();
        let (tx, results) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("cutroom-preview-lut".into())
            .spawn(move || {
                while let Ok(mut req) = rx.recv() {
                    // Only the latest request matters.
                    if let Some(last) = rx.try_iter().last() {
                        req = last;
                    }
                    let lut = PreparedLut::new(&with_strength(&req.lut, req.strength)).ok();
                    if tx.send(Built { key: req.key, lut }).is_err() {
                        return;
                    }
                    if let Some(ctx) = &repaint {
                        ctx.request_repaint();
                    }
                }
            })
            .expect("spawning the preview LUT thread");
        PreviewLutBuilder {
            requests: Some(requests),
            results,
            thread: Some(thread),
        }
    }

    /// Asks for `lut` at `strength` under `key`; never blocks.
    pub fn request(&self, key: PreviewKey, lut: Arc<ColorTransform>, strength: f32) {
        if let Some(r) = &self.requests {
            let _ = r.send(Request { key, lut, strength });
        }
    }

    /// The most recently built LUT since the last call, if any; never blocks.
    pub fn try_recv(&self) -> Option<Built> {
        self.results.try_iter().last()
    }
}

impl Drop for PreviewLutBuilder {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait(b: &PreviewLutBuilder) -> Built {
        let start = Instant::now();
        loop {
            if let Some(built) = b.try_recv() {
                return built;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no LUT built");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn a_burst_of_slider_steps_ends_with_the_last_strength_built() {
        let mut lut = ColorTransform::identity(33);
        lut.table.iter_mut().for_each(|v| v[0] = 1.0);
        let lut = Arc::new(lut);
        let b = PreviewLutBuilder::spawn(None);
        for step in 0..=100 {
            let s = step as f32 / 100.0;
            b.request(preview_key(7, s), lut.clone(), s);
        }
        let mut last = wait(&b);
        while last.key != preview_key(7, 1.0) {
            last = wait(&b);
        }
        // Full strength turns red all the way up.
        let mut px = [10u8, 20, 30, 255];
        last.lut
            .expect("a valid table")
            .apply_rgba8(&mut px, 1, 1, 1)
            .unwrap();
        assert_eq!(px[0], 255);
    }

    #[test]
    fn keys_round_the_strength_to_thousandths() {
        assert_eq!(preview_key(3, 0.5), (3, 500));
        assert_eq!(preview_key(3, 1.7), (3, 1000));
        assert_eq!(preview_key(3, 0.0004), (3, 0));
    }
}
