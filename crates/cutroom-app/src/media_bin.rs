//! The media bin: every piece of media the project knows, with probe facts and a thumbnail.
//!
//! Thumbnails are decoded on a short-lived background thread per file and arrive on a
//! channel the panel drains each frame.

use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, Sender};
use cutroom_media::{PixelFormat, VideoOutput, VideoReader};
use cutroom_plugin::MediaMeta;
use eframe::egui::{self, Color32, ColorImage, TextureHandle, TextureOptions};

use crate::app::Action;

/// Thumbnail size in pixels.
pub const THUMB: [u32; 2] = [96, 54];

/// One piece of media in the bin.
pub struct MediaEntry {
    /// Key shared with clips' media references (their URL).
    pub key: String,
    /// Display name.
    pub name: String,
    /// One line of facts: size, rate, duration, audio.
    pub info: String,
    /// The file, when the media is a file.
    pub path: Option<PathBuf>,
    thumb: Option<TextureHandle>,
}

/// The media bin panel.
pub struct MediaBin {
    /// Entries in the order added.
    pub entries: Vec<MediaEntry>,
    thumbs_tx: Sender<(String, ColorImage)>,
    thumbs_rx: Receiver<(String, ColorImage)>,
}

impl Default for MediaBin {
    fn default() -> Self {
        let (thumbs_tx, thumbs_rx) = crossbeam_channel::unbounded();
        MediaBin {
            entries: Vec::new(),
            thumbs_tx,
            thumbs_rx,
        }
    }
}

/// One line describing media: "1920×1080 · 25 fps · 00:00:10:00 · audio 48 kHz 2 ch".
pub fn describe(meta: &MediaMeta) -> String {
    let mut parts = Vec::new();
    if meta.width > 0 {
        parts.push(format!("{}×{}", meta.width, meta.height));
    }
    if let Some(r) = meta.frame_rate {
        let fps = r.as_f64();
        if (fps - fps.round()).abs() < 1e-6 {
            parts.push(format!("{} fps", fps.round()));
        } else {
            parts.push(format!("{fps:.3} fps"));
        }
    }
    parts.push(format!("{:.2} s", meta.duration.to_seconds()));
    if let Some(sr) = meta.sample_rate {
        parts.push(format!(
            "audio {} kHz {} ch",
            sr as f64 / 1000.0,
            meta.channels
        ));
    }
    parts.join(" · ")
}

impl MediaBin {
    /// Adds media and starts decoding its thumbnail. A no-op when the key is already
    /// there for the same file; an entry whose key now names another file (a relative
    /// path in a project from another directory) is replaced.
    pub fn add(&mut self, key: &str, meta: &MediaMeta, path: Option<&Path>) {
        if let Some(i) = self.entries.iter().position(|e| e.key == key) {
            if self.entries[i].path.as_deref() == path {
                return;
            }
            self.entries.remove(i);
        }
        self.entries.push(MediaEntry {
            key: key.to_string(),
            name: meta.name.clone(),
            info: describe(meta),
            path: path.map(Path::to_path_buf),
            thumb: None,
        });
        if let (Some(path), true) = (path, meta.width > 0) {
            let path = path.to_path_buf();
            let key = key.to_string();
            let tx = self.thumbs_tx.clone();
            let _ = std::thread::Builder::new()
                .name("cutroom-thumbnail".into())
                .spawn(move || {
                    if let Some(img) = thumbnail(&path) {
                        let _ = tx.send((key, img));
                    }
                });
        }
    }

    /// The file of the entry `key`, if it is in the bin and is a file.
    pub fn path_of(&self, key: &str) -> Option<&Path> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| e.path.as_deref())
    }

    /// Shows the bin, with the names of the files still `opening` below its entries.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        recent: &[PathBuf],
        opening: &[String],
        actions: &mut Vec<Action>,
    ) {
        for (key, img) in self.thumbs_rx.try_iter() {
            if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
                e.thumb = Some(ui.ctx().load_texture(
                    format!("thumb:{key}"),
                    img,
                    TextureOptions::LINEAR,
                ));
            }
        }
        ui.horizontal(|ui| {
            ui.heading("Media");
            if ui.button("Open…").clicked() {
                actions.push(Action::OpenDialog);
            }
        });
        if self.entries.is_empty() && opening.is_empty() {
            ui.weak("Open or drop a clip, timeline or project.");
        }
        for e in &self.entries {
            ui.horizontal(|ui| {
                let size = egui::vec2(THUMB[0] as f32, THUMB[1] as f32);
                match &e.thumb {
                    Some(t) => {
                        ui.image((t.id(), size));
                    }
                    None => {
                        let (r, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                        ui.painter().rect_filled(r, 2.0, Color32::from_gray(30));
                    }
                }
                ui.vertical(|ui| {
                    ui.strong(&e.name);
                    ui.small(&e.info);
                    if ui.small_button("Add to timeline").clicked() {
                        actions.push(Action::AddToTimeline(e.key.clone()));
                    }
                });
            });
        }
        for name in opening {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak(format!("{name}: opening…"));
            });
        }
        if !recent.is_empty() {
            ui.collapsing("Recent", |ui| {
                for p in recent {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| p.display().to_string());
                    if ui
                        .link(name)
                        .on_hover_text(p.display().to_string())
                        .clicked()
                    {
                        actions.push(Action::Open(p.clone()));
                    }
                }
            });
        }
    }
}

/// The first frame of `path`, scaled to [`THUMB`].
fn thumbnail(path: &Path) -> Option<ColorImage> {
    let mut r = VideoReader::open(
        path,
        VideoOutput {
            width: THUMB[0],
            height: THUMB[1],
            format: PixelFormat::Rgba,
        },
    )
    .ok()?;
    let f = r.next_frame().ok()??;
    let row = f.width as usize * 4;
    let mut pixels = Vec::with_capacity((f.width * f.height) as usize);
    for y in 0..f.height as usize {
        let line = f.data.get(y * f.stride..y * f.stride + row)?;
        pixels.extend(
            line.chunks_exact(4)
                .map(|p| Color32::from_rgb(p[0], p[1], p[2])),
        );
    }
    Some(ColorImage::new(
        [f.width as usize, f.height as usize],
        pixels,
    ))
}
