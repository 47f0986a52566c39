//! Preview benchmark: plays a clip in the real window with an accepted LUT and subtitle
//! cues while a plugin job runs in the background, and prints JSON figures: display rate,
//! dropped frames, decode-to-texture throughput and UI frame times (p50/p99), measured over
//! SECONDS after one second of warm-up.
//!
//! `app_bench CLIP [SECONDS] [BACKGROUND_PLUGIN]` — run it under a display (bench/app.sh
//! uses Xvfb). The background plugin defaults to `subtitles` when registered.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use cutroom_app::review::{ClipMap, Pending};
use cutroom_app::{AppConfig, CutroomApp};
use cutroom_engine::JobId;
use cutroom_plugin::{Params, Proposal, ProposalKind};
use cutroom_timeline::{ColorTransform, RationalTime, SubtitleCue, TimeRange};
use eframe::egui;

struct Bench {
    app: CutroomApp,
    seconds: f64,
    started: Option<Instant>,
    warm: bool,
    cpu_at_start: f64,
    ui_times: Vec<f64>,
    frame_times: Vec<f64>,
    plugin: String,
    job: Option<JobId>,
    out: Arc<Mutex<Option<String>>>,
}

/// Seconds of playback before the measurement starts.
const WARM_UP: f64 = 1.0;

/// CPU seconds this process has used (user + system), from /proc; 0 where unavailable.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    let ticks = 100.0; // USER_HZ on Linux
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / ticks
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

impl eframe::App for Bench {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let (Some(_), Some(cpu)) = (self.started, frame.info().cpu_usage) {
            self.frame_times.push(cpu as f64 * 1000.0);
        }
        let t0 = Instant::now();
        self.app.show(ui);
        let dt = t0.elapsed().as_secs_f64();
        let Some(start) = self.started else {
            // First frame: start playback and the background job.
            self.app.viewer.reset_stats();
            self.app.viewer.seek(0);
            self.app.viewer.play(1);
            if self.app.registry().manifest(&self.plugin).is_none() {
                eprintln!(
                    "bench: no plugin {:?}; using example-brightness as the background load",
                    self.plugin
                );
                self.plugin = "example-brightness".into();
            }
            if let Some(m) = self.app.registry().manifest(&self.plugin).cloned() {
                match self
                    .app
                    .run_plugin(&self.plugin, Params::defaults(&m), false)
                {
                    Ok(j) => self.job = Some(j),
                    Err(e) => eprintln!("bench: background job not started: {e}"),
                }
            } else {
                eprintln!(
                    "bench: no plugin {:?}; running without a background job",
                    self.plugin
                );
            }
            self.started = Some(Instant::now());
            self.cpu_at_start = cpu_seconds();
            return;
        };
        self.ui_times.push(dt * 1000.0);
        // Keep playing for the whole measurement (loop the clip if it is short).
        if !self.app.viewer.is_playing() {
            self.app.viewer.seek(0);
            self.app.viewer.play(1);
        }
        let elapsed = start.elapsed().as_secs_f64();
        if !self.warm {
            // Start-up (readers opening, the model loading) is not the sustained rate:
            // measure from one second in.
            if elapsed >= WARM_UP {
                self.warm = true;
                self.app.viewer.reset_stats();
                self.ui_times.clear();
                self.frame_times.clear();
                self.cpu_at_start = cpu_seconds();
                self.started = Some(Instant::now());
            }
            return;
        }
        if elapsed >= self.seconds {
            let s = self.app.viewer.stats;
            let job_state = self
                .job
                .and_then(|j| self.app.job_state(j))
                .map(|s| format!("{s:?}"))
                .unwrap_or_else(|| "none".into());
            let mut t = self.ui_times.clone();
            let mut ft = self.frame_times.clone();
            let json = serde_json::json!({
                "seconds": elapsed,
                "process_cpu_cores": (cpu_seconds() - self.cpu_at_start) / elapsed,
                "displayed_frames": s.displayed,
                "display_fps": s.displayed as f64 / elapsed,
                "dropped_frames": s.dropped,
                "decoded_frames": s.decoded,
                "decode_to_texture_fps": if s.decode_seconds > 0.0 { s.decoded as f64 / s.decode_seconds } else { 0.0 },
                "ui_frames": t.len(),
                "ui_frame_ms_p50": percentile(&mut t, 0.5),
                "ui_frame_ms_p99": percentile(&mut t, 0.99),
                "frame_cpu_ms_p50": percentile(&mut ft, 0.5),
                "frame_cpu_ms_p99": percentile(&mut ft, 0.99),
                "decode_size": self.app.viewer.decode_size(),
                "picture_size": self.app.viewer.picture_size(),
                "background_plugin": self.plugin,
                "background_job": job_state,
            });
            *self.out.lock().unwrap() = Some(json.to_string());
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

/// A warm grade: lifts red, lowers blue.
fn warm_lut() -> ColorTransform {
    let mut lut = ColorTransform::identity(33);
    for v in &mut lut.table {
        *v = [(v[0] * 1.08 + 0.02).min(1.0), v[1], v[2] * 0.9];
    }
    lut.title = "warm".into();
    lut
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let clip = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: app_bench CLIP [SECONDS] [PLUGIN]"))?;
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(30.0);
    let plugin = args.next().unwrap_or_else(|| "subtitles".into());
    let size: u32 = std::env::var("BENCH_VIEWER_HEIGHT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1080);

    let mut app = CutroomApp::new(AppConfig {
        worker_threads: 1,
        viewer_size: [size * 16 / 9, size],
        ..AppConfig::default()
    });
    app.open_path(std::path::Path::new(&clip));
    if !app.wait_for_media(std::time::Duration::from_secs(60)) {
        anyhow::bail!("{clip} did not open within a minute");
    }
    if let Some((msg, true)) = app.status() {
        anyhow::bail!("{msg}");
    }
    // Accept a LUT and one cue per two seconds through the review path.
    let project = app.project().unwrap();
    let tl = &project.timelines[0];
    let rate = tl.rate;
    let frames = tl.duration().to_frames(rate);
    let mut proposal = Proposal::new("bench");
    proposal.push(ProposalKind::Color(warm_lut()), 1.0, "warm")?;
    for (i, start) in (0..frames).step_by(50).enumerate() {
        let range = TimeRange::new(
            RationalTime::new(start, rate),
            RationalTime::new(40.min(frames - start), rate),
        );
        let text = format!("Subtitle number {}\nsecond line of the cue", i + 1);
        proposal.push(
            ProposalKind::Cue(SubtitleCue::new(range, text)),
            1.0,
            "bench",
        )?;
    }
    let target = app
        .selected_clip()
        .ok_or_else(|| anyhow::anyhow!("no clip"))?;
    app.review.set(Pending {
        job: JobId(0),
        plugin_name: "bench".into(),
        proposal,
        target,
        map: ClipMap {
            track_start: 0,
            source_start: RationalTime::zero(rate),
            rate,
        },
        selected: Default::default(),
    });
    app.accept();

    let out = Arc::new(Mutex::new(None));
    let bench = Bench {
        app,
        seconds,
        started: None,
        warm: false,
        cpu_at_start: 0.0,
        ui_times: Vec::new(),
        frame_times: Vec::new(),
        plugin,
        job: None,
        out: out.clone(),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1400.0, 860.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native("cutroom-bench", options, Box::new(|_| Ok(Box::new(bench))))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let json = out
        .lock()
        .unwrap()
        .take()
        .ok_or_else(|| anyhow::anyhow!("the bench window closed early"))?;
    println!("{json}");
    Ok(())
}
