//! The Cutroom desktop app, on eframe/egui.
//!
//! [`CutroomApp`] owns the open [`cutroom_engine::Document`], a
//! [`cutroom_engine::JobScheduler`] and one struct per panel, each in its own module:
//! [`media_bin`], [`viewer`], [`timeline`], [`plugins`], [`jobs`], [`review`], [`export`].
//! [`app`] lays them out and carries out the [`app::Action`]s they return; panels never edit
//! the project themselves.
//!
//! Threads: the UI thread only draws and sends commands. Pictures are decoded by the
//! [`playback`] thread into a bounded channel; job events and dialog answers are drained
//! with `try_recv` each frame; media is probed on the [`opening`] thread and its audio's
//! [`waveform`]s are computed on another; thumbnails and native dialogs run on their own
//! threads.
//!
//! [`run_app`] opens the window; `CUTROOM_SMOKE` scripts a run for the smoke test (see
//! [`smoke`]).

pub mod app;
pub mod audio_out;
pub mod dialogs;
pub mod export;
pub mod jobs;
pub mod media_bin;
pub mod opening;
pub mod playback;
pub mod plugins;
pub mod preview_lut;
pub mod review;
pub mod smoke;
pub mod timeline;
pub mod viewer;
pub mod waveform;
pub mod worker;

use std::path::PathBuf;

pub use app::{Action, AppConfig, CutroomApp, WindowApp, RECOVERY_BASE_FILE, RECOVERY_FILE};

use anyhow::{anyhow, Context as _};
use eframe::egui;

/// The directory for the recovery file and other per-user state: `CUTROOM_DATA_DIR`, else
/// the platform's data directory for Cutroom.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("CUTROOM_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| eframe::storage_dir("cutroom"))
}

/// Opens the Cutroom window, optionally with `initial_file` (media, timeline or project)
/// open, and returns when the window is closed.
///
/// With `CUTROOM_SMOKE=run:PLUGIN[:accept][:hold=SECONDS]` it runs the plugin on the
/// opened clip and closes by itself; an error is returned if the job fails.
pub fn run_app(initial_file: Option<PathBuf>) -> anyhow::Result<()> {
    let smoke = match std::env::var("CUTROOM_SMOKE") {
        Ok(s) if !s.is_empty() => Some(smoke::SmokePlan::parse(&s).map_err(|e| anyhow!(e))?),
        _ => None,
    };
    let dir = data_dir();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Cutroom")
            .with_app_id("cutroom")
            .with_inner_size([1400.0, 860.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Glow,
        persistence_path: dir.as_ref().map(|d| d.join("ui-state.ron")),
        ..Default::default()
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let failure = std::sync::Arc::new(std::sync::Mutex::new(None));
    let failure_out = failure.clone();
    eframe::run_native(
        "Cutroom",
        options,
        Box::new(move |cc| {
            let app = CutroomApp::new(AppConfig {
                worker_threads: workers,
                data_dir: dir,
                smoke,
                ..AppConfig::default()
            });
            let mut window = WindowApp::new(app, cc.storage, failure_out);
            if let Some(f) = initial_file {
                window.app.open_path(&f);
            }
            Ok(Box::new(window))
        }),
    )
    .map_err(|e| anyhow!("could not open the Cutroom window: {e}"))?;
    let failed = failure.lock().ok().and_then(|f| f.clone());
    match failed {
        Some(why) => Err(anyhow!(why)).context("the scripted run failed"),
        None => Ok(()),
    }
}
