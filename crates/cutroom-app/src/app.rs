//! [`CutroomApp`]: owns the document, the job scheduler and the panels, lays the panels out,
//! and carries out the [`Action`]s they ask for. Panels never change the project themselves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::Receiver;
use cutroom_engine::scheduler::JobRequest;
use cutroom_engine::{Document, JobEvent, JobId, JobScheduler, Registry, Target};
use cutroom_plugin::{MediaSource, ParamKind, ParamValue, Params};
use cutroom_timeline::formats::{ReadOptions, TimelineFormat};
use cutroom_timeline::{
    project_file, Clip, Item, MediaReference, Project, Rate, RationalTime, TimeRange, Track,
    TrackKind,
};
use eframe::egui::{self, Color32, Key, KeyboardShortcut, Modifiers};
use serde::{Deserialize, Serialize};

use crate::dialogs::{DialogPurpose, Dialogs};
use crate::export::{self, ExportKind, ExportPanel};
use crate::jobs::{JobState, JobsPanel};
use crate::media_bin::MediaBin;
use crate::opening::{MediaOpener, Opened, Purpose};
use crate::playback::Program;
use crate::plugins::{PluginsPanel, SavedParams};
use crate::preview_lut::{preview_key, PreviewKey, PreviewLutBuilder};
use crate::review::{ClipMap, Pending, ReviewPanel};
use crate::smoke::{Smoke, SmokePlan};
use crate::timeline::TimelinePanel;
use crate::viewer::{OverlayCue, Viewer};
use crate::waveform::Waveforms;
use cutroom_media::resolve_media;

/// Something a panel asks the app to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Show the open dialog.
    OpenDialog,
    /// Open a file (media, timeline or project).
    Open(PathBuf),
    /// Append the bin entry with this key to the timeline.
    AddToTimeline(String),
    /// Move the playhead.
    Seek(i64),
    /// Make this clip the one plugins run on.
    SelectClip(Target),
    /// Run a plugin on the selected clip (or its I/O range).
    RunPlugin {
        /// Plugin id.
        plugin_id: String,
        /// Validated parameters.
        params: Params,
        /// Restrict to the in/out range.
        on_range: bool,
    },
    /// Choose a file for a parameter.
    BrowseParam {
        /// Plugin id.
        plugin_id: String,
        /// Parameter id.
        param_id: String,
        /// Accepted extensions.
        extensions: Vec<String>,
    },
    /// Cancel a job.
    CancelJob(JobId),
    /// Apply the selected items of the proposal under review.
    Accept,
    /// Drop the proposal under review.
    RejectAll,
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Ask where to export.
    ExportDialog(ExportKind),
}

/// How to build the app.
pub struct AppConfig {
    /// The plugins offered.
    pub registry: Registry,
    /// Worker threads for jobs.
    pub worker_threads: usize,
    /// Where the recovery file lives; no autosave when `None`.
    pub data_dir: Option<PathBuf>,
    /// Largest picture the viewer decodes.
    pub viewer_size: [u32; 2],
    /// Scripted run for the smoke test.
    pub smoke: Option<SmokePlan>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            registry: Registry::with_builtins(),
            worker_threads: 1,
            data_dir: None,
            viewer_size: [1280, 720],
            smoke: None,
        }
    }
}

/// State remembered between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Persisted {
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// Last parameters per plugin.
    pub params: SavedParams,
}

/// Render jobs take ids from here up, apart from the scheduler's plugin jobs.
pub const RENDER_JOB_BASE: u64 = 1 << 40;

enum RenderMsg {
    Progress(f32, String),
    Done(Result<String, String>),
}

struct RenderJob {
    id: JobId,
    cancel: Arc<AtomicBool>,
    rx: Receiver<RenderMsg>,
}

/// Nice value of the threads that run plugin jobs and renders: lower priority than the UI
/// and playback threads, so a background job takes the CPU playback leaves over instead of
/// making it drop frames.
pub const JOB_NICE: i32 = 10;

/// Gives the job scheduler's worker threads ([`JOB_NICE`]); threads they start (a model's
/// compute threads) inherit it. Linux only; elsewhere jobs keep the normal priority.
fn lower_job_priority() {
    #[cfg(target_os = "linux")]
    {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return;
        };
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if !comm.starts_with("cutroom-worker") {
                continue;
            }
            if let Some(tid) = task.file_name().to_str().and_then(|s| s.parse().ok()) {
                // SAFETY: setpriority only reads its integer arguments; on Linux it sets the
                // nice value of the one thread `tid`.
                unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, JOB_NICE) };
            }
        }
    }
}

/// Gives the calling thread [`JOB_NICE`] (Linux only).
pub(crate) fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: as above; `0` names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, JOB_NICE);
    }
}

/// Most entries in the recent-files list.
pub const MAX_RECENT: usize = 10;

/// The Cutroom desktop app.
pub struct CutroomApp {
    registry: Arc<Registry>,
    scheduler: JobScheduler,
    events: Receiver<JobEvent>,
    document: Option<Document>,
    revision: u64,
    shown_revision: u64,
    sources: HashMap<String, Arc<dyn MediaSource>>,
    selected: Option<Target>,
    job_targets: HashMap<JobId, (Target, ClipMap)>,
    recent: Vec<PathBuf>,
    status: Option<(String, bool)>,
    recovery_prompt: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    dialogs: Dialogs,
    preview_key: Option<PreviewKey>,
    preview_builder: Option<PreviewLutBuilder>,
    /// The reviewed colour transform, copied once per proposal (by job id).
    preview_source: Option<(u64, Arc<cutroom_timeline::ColorTransform>)>,
    smoke: Option<Smoke>,
    renders: Vec<RenderJob>,
    media_base: Option<PathBuf>,
    opener: MediaOpener,
    /// Counts the projects opened, so that media probed for an earlier one is ignored.
    project_generation: u64,
    /// The media bin.
    pub media_bin: MediaBin,
    /// The waveforms of the media's audio, drawn in the timeline.
    pub waveforms: Waveforms,
    /// The viewer.
    pub viewer: Viewer,
    /// The timeline.
    pub timeline: TimelinePanel,
    /// The plugins panel.
    pub plugins: PluginsPanel,
    /// The jobs panel.
    pub jobs: JobsPanel,
    /// The review panel.
    pub review: ReviewPanel,
    /// The export panel.
    pub export: ExportPanel,
}

fn media_reference(key: &str, meta: &cutroom_plugin::MediaMeta) -> MediaReference {
    let mut media = MediaReference::external(key.to_string(), Some(meta.range));
    media.name = meta.name.clone();
    media
}

/// A clip showing all of the media `key` at timeline rate `rate`.
fn clip_for(key: &str, meta: &cutroom_plugin::MediaMeta, rate: Rate) -> Clip {
    let source_range = TimeRange::new(meta.range.start, meta.range.duration.rescaled_to(rate));
    Clip::new(meta.name.clone(), media_reference(key, meta), source_range)
}

/// Name of the autosave file in the data directory.
pub const RECOVERY_FILE: &str = "recovery.cutroom";

/// Name of the file beside the autosave that holds the directory the autosaved project's
/// relative media paths are relative to (the directory of the file it was opened from).
pub const RECOVERY_BASE_FILE: &str = "recovery.base";

/// Writes (or, without a directory, removes) the recovery base file `path`.
fn write_recovery_base(path: &Path, base: Option<&Path>) {
    match base {
        #[cfg(unix)]
        Some(b) => {
            use std::os::unix::ffi::OsStrExt;
            let _ = std::fs::write(path, b.as_os_str().as_bytes());
        }
        #[cfg(not(unix))]
        Some(b) => {
            let _ = std::fs::write(path, b.to_string_lossy().as_bytes());
        }
        None => {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Removes the autosave `path` and the recovery base file beside it.
fn remove_recovery(path: &Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_file_name(RECOVERY_BASE_FILE));
}

/// The directory recorded by [`write_recovery_base`], if any.
fn read_recovery_base(path: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(path).ok().filter(|b| !b.is_empty())?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(&bytes)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

impl CutroomApp {
    /// A new app with nothing open.
    pub fn new(config: AppConfig) -> CutroomApp {
        let registry = Arc::new(config.registry);
        let scheduler = JobScheduler::with_threads(registry.clone(), config.worker_threads);
        let events = scheduler.events();
        let recovery_prompt = config
            .data_dir
            .as_ref()
            .map(|d| d.join(RECOVERY_FILE))
            .filter(|p| p.is_file());
        CutroomApp {
            registry,
            scheduler,
            events,
            document: None,
            revision: 0,
            shown_revision: 0,
            sources: HashMap::new(),
            selected: None,
            job_targets: HashMap::new(),
            recent: Vec::new(),
            status: None,
            recovery_prompt,
            data_dir: config.data_dir,
            dialogs: Dialogs::default(),
            preview_key: None,
            preview_builder: None,
            preview_source: None,
            smoke: config.smoke.map(Smoke::new),
            renders: Vec::new(),
            media_base: None,
            opener: MediaOpener::default(),
            project_generation: 0,
            media_bin: MediaBin::default(),
            waveforms: Waveforms::default(),
            viewer: Viewer::new(config.viewer_size),
            timeline: TimelinePanel::default(),
            plugins: PluginsPanel::default(),
            jobs: JobsPanel::default(),
            review: ReviewPanel::default(),
            export: ExportPanel,
        }
    }

    /// Restores what [`CutroomApp::persisted`] saved.
    pub fn restore(&mut self, state: Persisted) {
        self.recent = state.recent;
        self.plugins.values = state.params;
    }

    /// What to remember between runs.
    pub fn persisted(&self) -> Persisted {
        Persisted {
            recent: self.recent.clone(),
            params: self.plugins.values.clone(),
        }
    }

    /// The open document.
    pub fn document(&self) -> Option<&Document> {
        self.document.as_ref()
    }

    /// The project, if one is open.
    pub fn project(&self) -> Option<&Project> {
        self.document.as_ref().map(|d| d.project())
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The directory relative media paths of the open project are resolved against: the
    /// directory of the timeline or project file it was opened from (`None` when it was
    /// started from a media file or recovered).
    pub fn media_base(&self) -> Option<&Path> {
        self.media_base.as_deref()
    }

    /// The clip plugins run on.
    pub fn selected_clip(&self) -> Option<Target> {
        self.selected
    }

    /// The last status or error message, and whether it is an error.
    pub fn status(&self) -> Option<(&str, bool)> {
        self.status.as_ref().map(|(s, e)| (s.as_str(), *e))
    }

    /// A recovery file from a session that did not end cleanly, if any.
    pub fn recovery_prompt(&self) -> Option<&Path> {
        self.recovery_prompt.as_deref()
    }

    fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some((text.into(), error));
    }

    fn remember(&mut self, path: &Path) {
        let p = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|r| r != &p);
        self.recent.insert(0, p);
        self.recent.truncate(MAX_RECENT);
    }

    fn set_document(&mut self, project: Project) {
        let mut doc = Document::new(project);
        if let Some(dir) = &self.data_dir {
            if std::fs::create_dir_all(dir).is_ok() {
                doc = doc.with_autosave(dir.join(RECOVERY_FILE));
                write_recovery_base(&dir.join(RECOVERY_BASE_FILE), self.media_base.as_deref());
            }
        }
        self.document = Some(doc);
        self.selected = None;
        self.review.pending = None;
        self.changed();
        self.select_default_clip();
    }

    fn changed(&mut self) {
        self.revision += 1;
    }

    fn select_default_clip(&mut self) {
        let Some(p) = self.project() else { return };
        let valid = self.selected.filter(|t| {
            matches!(
                p.timelines
                    .get(t.timeline)
                    .and_then(|tl| tl.tracks.get(t.track))
                    .and_then(|tr| tr.items.get(t.item)),
                Some(Item::Clip(_))
            )
        });
        self.selected = valid.or_else(|| {
            let tl = p.timelines.first()?;
            tl.tracks.iter().enumerate().find_map(|(ti, tr)| {
                tr.items
                    .iter()
                    .position(|i| matches!(i, Item::Clip(_)))
                    .map(|ii| Target {
                        timeline: 0,
                        track: ti,
                        item: ii,
                    })
            })
        });
    }

    /// Adds media to the bin and, when no project is open, starts one with it as a clip.
    /// `key` is the media URL clips refer to (a file path for files).
    pub fn add_media(&mut self, key: &str, source: Arc<dyn MediaSource>, path: Option<&Path>) {
        let meta = self.register_media(key, source, path);
        if self.document.is_none() {
            let rate = meta.frame_rate.unwrap_or(Rate::FPS_25);
            let mut project = Project::new(meta.name.clone(), rate);
            project.settings.frame_rate = rate;
            project.media.push(media_reference(key, &meta));
            self.media_base = None;
            if let Some(tl) = project.timelines.first_mut() {
                let (kind, name) = if meta.width > 0 {
                    (TrackKind::Video, "V1")
                } else {
                    (TrackKind::Audio, "A1")
                };
                let mut track = Track::new(name, kind);
                track.items.push(Item::Clip(clip_for(key, &meta, rate)));
                tl.tracks.push(track);
            }
            self.set_document(project);
        }
    }

    /// Makes media known: in the bin, as a source for plugins, and (with sound, from a
    /// file) in the timeline's waveforms. Returns its facts.
    fn register_media(
        &mut self,
        key: &str,
        source: Arc<dyn MediaSource>,
        path: Option<&Path>,
    ) -> cutroom_plugin::MediaMeta {
        let meta = source.meta();
        self.media_bin.add(key, &meta, path);
        if let (Some(path), Some(_)) = (path, meta.sample_rate) {
            self.waveforms.request(key, path);
        }
        self.sources.insert(key.to_string(), source);
        meta
    }

    /// Appends the bin entry `key` to the end of the first track of its kind (video, or
    /// audio for audio-only media), as one undoable edit.
    pub fn add_to_timeline(&mut self, key: &str) {
        let Some(source) = self.sources.get(key).cloned() else {
            return;
        };
        let meta = source.meta();
        let Some(doc) = &mut self.document else {
            return;
        };
        let kind = if meta.width > 0 {
            TrackKind::Video
        } else {
            TrackKind::Audio
        };
        let label = format!("Add {}", meta.name);
        let result = doc.execute(label, 0, |tl| {
            let clip = clip_for(key, &meta, tl.rate);
            match tl.tracks.iter_mut().find(|t| t.kind == kind) {
                Some(t) => t.items.push(Item::Clip(clip)),
                None => {
                    let mut t =
                        Track::new(if kind == TrackKind::Video { "V1" } else { "A1" }, kind);
                    t.items.push(Item::Clip(clip));
                    tl.tracks.push(t);
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            self.set_status(e.to_string(), true);
        }
        self.changed();
        self.select_default_clip();
    }

    /// Opens a media file, a timeline (`.otio`, `.edl`, `.fcpxml`) or a project
    /// (`.cutroom`). Errors go to the status line.
    ///
    /// Media files are probed on another thread: they arrive in the bin (and on the
    /// timeline) a few frames later, or as an error in the status line.
    pub fn open_path(&mut self, path: &Path) {
        match self.try_open(path) {
            Ok(true) => {
                self.remember(path);
                self.set_status(format!("Opened {}", path.display()), false);
            }
            Ok(false) => {}
            Err(e) => self.set_status(e, true),
        }
    }

    /// Opens a timeline or project (`Ok(true)`), or asks for media to be opened
    /// (`Ok(false)`).
    fn try_open(&mut self, path: &Path) -> Result<bool, String> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        // Relative media paths in a timeline or project are relative to its file.
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let base = absolute.parent().map(Path::to_path_buf);
        if ext == "cutroom" {
            let p = project_file::load(path).map_err(|e| e.to_string())?;
            self.open_project_in(p, base);
            return Ok(true);
        }
        if TimelineFormat::from_path(path).is_some() {
            let opts = ReadOptions {
                edl_rate: self.viewer.rate(),
            };
            let tl =
                cutroom_timeline::formats::read_timeline(path, &opts).map_err(|e| e.to_string())?;
            let mut p = Project::new(tl.name.clone(), tl.rate);
            p.timelines = vec![tl];
            self.open_project_in(p, base);
            return Ok(true);
        }
        // Clips name media by absolute path, so that it does not depend on the current
        // directory or on the directory of the project it is added to.
        let key = absolute.display().to_string();
        self.opener.request(&key, &absolute, Purpose::File);
        let name = absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| key.clone());
        self.set_status(format!("Opening {name}…"), false);
        Ok(false)
    }

    /// Takes in the media opened since the last frame. Never blocks.
    fn poll_media(&mut self) {
        for opened in self.opener.try_iter() {
            self.take_opened(opened);
        }
    }

    /// Waits until every file asked for is open (or failed), for at most `timeout`;
    /// `false` if some are still being opened. For scripts and tests: the UI never waits.
    pub fn wait_for_media(&mut self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.opener.pending() > 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.opener.wait(left) {
                Some(opened) => self.take_opened(opened),
                None => break,
            }
        }
        self.opener.pending() == 0
    }

    /// How many media files are still being opened.
    pub fn media_opening(&self) -> usize {
        self.opener.pending()
    }

    fn take_opened(&mut self, opened: Opened) {
        let Opened {
            key,
            path,
            purpose,
            result,
        } = opened;
        match (purpose, result) {
            (Purpose::File, Ok(source)) => {
                let had_doc = self.document.is_some();
                self.add_media(&key, Arc::new(source), Some(&path));
                if had_doc {
                    self.add_to_timeline(&key);
                }
                self.remember(&path);
                self.set_status(format!("Opened {}", path.display()), false);
            }
            (Purpose::Project(g), _) if g != self.project_generation => {}
            (Purpose::Project(_), Ok(source)) => {
                self.register_media(&key, Arc::new(source), Some(&path));
            }
            (Purpose::Project(_), Err(e)) => self.set_status(format!("Media offline: {e}"), true),
            (Purpose::File, Err(e)) => self.set_status(e, true),
        }
    }

    /// Opens `project`, registering its clips' media files in the bin. Relative media
    /// paths are taken relative to the current directory; see
    /// [`CutroomApp::open_project_in`].
    pub fn open_project(&mut self, project: Project) {
        self.open_project_in(project, None);
    }

    /// Opens `project`, whose relative media paths are relative to `media_base` (the
    /// directory of the file it was read from), for playback, the bin, plugin runs and
    /// renders alike.
    pub fn open_project_in(&mut self, project: Project, media_base: Option<PathBuf>) {
        let urls: Vec<String> = project
            .timelines
            .iter()
            .flat_map(|t| &t.tracks)
            .flat_map(|t| &t.items)
            .filter_map(|i| match i {
                Item::Clip(c) => c.media.target_url.clone(),
                _ => None,
            })
            .collect();
        self.viewer.drop_frame = project.settings.drop_frame;
        self.media_base = media_base;
        self.set_document(project);
        self.project_generation += 1;
        let mut asked = std::collections::HashSet::new();
        for url in urls {
            let path = resolve_media(&url, self.media_base.as_deref());
            // The same (relative) URL may name another file than in an earlier project.
            if self.sources.contains_key(&url)
                && self.media_bin.path_of(&url) == Some(path.as_path())
            {
                continue;
            }
            if asked.insert(url.clone()) {
                self.opener
                    .request(&url, &path, Purpose::Project(self.project_generation));
            }
        }
    }

    /// Starts `plugin_id` on the selected clip (or its I/O range); returns the job.
    pub fn run_plugin(
        &mut self,
        plugin_id: &str,
        params: Params,
        on_range: bool,
    ) -> Result<JobId, String> {
        let target = self.selected.ok_or("select a clip to run the plugin on")?;
        let project = self.project().ok_or("nothing is open")?;
        let tl = &project.timelines[target.timeline];
        let track = tl.tracks.get(target.track).ok_or("no such track")?;
        let (item, range) = track
            .items_with_ranges()
            .into_iter()
            .nth(target.item)
            .ok_or("no such clip")?;
        let Item::Clip(clip) = item else {
            return Err("the selection is not a clip".into());
        };
        let map = ClipMap {
            track_start: range.start.to_frames(tl.rate),
            source_start: clip.source_range.start,
            rate: tl.rate,
        };
        let key = clip
            .media
            .target_url
            .clone()
            .unwrap_or_else(|| clip.media.name.clone());
        let source = self.sources.get(&key).cloned().ok_or_else(|| {
            if self.opener.is_pending(&key) {
                format!("the media of clip {:?} is still being opened", clip.name)
            } else {
                format!("the media of clip {:?} is not available", clip.name)
            }
        })?;
        let mut media_range = clip.source_range;
        if on_range {
            let (Some(i), Some(o)) = (self.viewer.in_point, self.viewer.out_point) else {
                return Err("set in and out points first (I and O)".into());
            };
            let (i, o) = (i.min(o), i.max(o));
            let clip_end = map.track_start + range.duration.to_frames(tl.rate);
            let (a, b) = (i.max(map.track_start), (o + 1).min(clip_end));
            if a >= b {
                return Err("the I/O range does not overlap the selected clip".into());
            }
            media_range = TimeRange::new(map.media_time(a), RationalTime::new(b - a, tl.rate));
        }
        let manifest = self
            .registry
            .manifest(plugin_id)
            .ok_or_else(|| format!("no plugin {plugin_id:?}"))?
            .clone();
        let mut request =
            JobRequest::new(plugin_id, source, params.clone()).with_range(media_range);
        if manifest.reads.reference_clip {
            let reference = manifest
                .params
                .iter()
                .filter(|s| matches!(s.kind, ParamKind::ClipRef))
                .find_map(|s| params.get_clip_ref(&s.id).ok().flatten())
                .and_then(|k| self.sources.get(k).cloned())
                .ok_or("choose a reference clip")?;
            request = request.with_reference(reference);
        }
        lower_job_priority();
        let job = self
            .scheduler
            .submit_request(request)
            .map_err(|e| e.to_string())?;
        self.jobs.submitted(job, &manifest.name);
        self.job_targets.insert(job, (target, map));
        // A run started from a script or shortcut shows its plugin in the list too.
        self.plugins.selected = Some(plugin_id.to_string());
        Ok(job)
    }

    /// Requests cancellation of `job`.
    pub fn cancel_job(&mut self, job: JobId) {
        match self.renders.iter().find(|r| r.id == job) {
            Some(r) => r.cancel.store(true, Ordering::Relaxed),
            None => {
                self.scheduler.cancel(job);
            }
        }
    }

    /// Renders the first timeline to `path` (MP4, H.264/AAC; subtitle cues as a soft track)
    /// on a background thread, shown as a job with progress and Cancel.
    pub fn start_render(&mut self, path: &Path) -> Result<JobId, String> {
        let tl = self
            .project()
            .and_then(|p| p.timelines.first())
            .cloned()
            .ok_or("nothing is open")?;
        let mut options = cutroom_media::RenderOptions {
            media_base: self.media_base.clone(),
            ..Default::default()
        };
        if !export::subtitle_cues(&tl).is_empty() {
            options.subtitles = cutroom_media::SubtitleMode::Soft;
        }
        let id = JobId(RENDER_JOB_BASE + self.renders.len() as u64);
        let (tx, rx) = crossbeam_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let output = path.to_path_buf();
        std::thread::Builder::new()
            .name("cutroom-render".into())
            .spawn(move || {
                lower_own_priority();
                let mut last = -1.0f32;
                let mut progress = |f: f32, m: &str| {
                    if f - last >= 0.01 || f >= 1.0 {
                        last = f;
                        let _ = tx.send(RenderMsg::Progress(f, m.to_string()));
                    }
                };
                let r =
                    cutroom_media::render_timeline(&tl, &output, &options, &mut progress, &flag);
                let _ = tx.send(RenderMsg::Done(
                    r.map(|s| format!("{} frames to {}", s.frames, s.output.display()))
                        .map_err(|e| e.to_string()),
                ));
            })
            .map_err(|e| format!("could not start the render: {e}"))?;
        self.jobs.submitted(id, "Render MP4");
        self.jobs.handle(&JobEvent::Started { job: id });
        self.renders.push(RenderJob { id, cancel, rx });
        Ok(id)
    }

    fn poll_renders(&mut self) {
        let mut done = Vec::new();
        for r in &self.renders {
            for msg in r.rx.try_iter() {
                match msg {
                    RenderMsg::Progress(fraction, message) => {
                        self.jobs.handle(&JobEvent::Progress {
                            job: r.id,
                            fraction,
                            message,
                        })
                    }
                    RenderMsg::Done(Ok(what)) => {
                        self.jobs.rendered(r.id, what.clone());
                        done.push((r.id, Ok(what)));
                    }
                    RenderMsg::Done(Err(e)) => {
                        let event = if r.cancel.load(Ordering::Relaxed) {
                            JobEvent::Cancelled { job: r.id }
                        } else {
                            JobEvent::Failed {
                                job: r.id,
                                message: e.clone(),
                            }
                        };
                        self.jobs.handle(&event);
                        done.push((r.id, Err(e)));
                    }
                }
            }
        }
        for (_, result) in done {
            match result {
                Ok(what) => self.set_status(format!("Rendered {what}"), false),
                Err(e) => self.set_status(e, true),
            }
        }
    }

    /// Drains job events and opened media (never blocks); finished proposals go to review.
    pub fn poll_jobs(&mut self) {
        self.poll_renders();
        self.poll_media();
        let events: Vec<JobEvent> = self.events.try_iter().collect();
        for ev in events {
            self.jobs.handle(&ev);
            match ev {
                JobEvent::Finished { job, proposal } => {
                    let Some((target, map)) = self.job_targets.remove(&job) else {
                        continue;
                    };
                    let plugin_name = self
                        .registry
                        .manifest(&proposal.plugin_id)
                        .map(|m| m.name.clone())
                        .unwrap_or_else(|| proposal.plugin_id.clone());
                    if proposal.items.is_empty() {
                        self.set_status(format!("{plugin_name} proposed nothing"), false);
                        continue;
                    }
                    self.review.set(Pending {
                        job,
                        plugin_name,
                        proposal,
                        target,
                        map,
                        selected: Default::default(),
                    });
                    // Review starts at the first proposed change (a cue shows over the
                    // picture at once), unless the editor is playing.
                    let first = self.review.pending.as_ref().and_then(|p| p.item_frame(0));
                    if let (Some(f), false) = (first, self.viewer.is_playing()) {
                        self.viewer.seek(f);
                    }
                }
                JobEvent::Failed { job, message } => {
                    self.job_targets.remove(&job);
                    self.set_status(message, true);
                }
                JobEvent::Cancelled { job } => {
                    self.job_targets.remove(&job);
                }
                _ => {}
            }
        }
    }

    /// Applies the selected items of the proposal under review as one undoable edit.
    pub fn accept(&mut self) {
        let Some((proposal, selected, target)) = self.review.proposal_to_apply() else {
            return;
        };
        let Some(doc) = &mut self.document else {
            return;
        };
        match doc.apply_proposal(&proposal, &selected, target) {
            Ok(()) => {
                let label = doc.undo_label().unwrap_or("edit").to_string();
                self.review.pending = None;
                self.changed();
                self.select_default_clip();
                self.set_status(format!("{label} (Ctrl+Z to undo)"), false);
            }
            Err(e) => self.set_status(e.to_string(), true),
        }
    }

    /// Undoes the last edit.
    pub fn undo(&mut self) {
        if let Some(doc) = &mut self.document {
            let label = doc.undo_label().map(str::to_string);
            if doc.undo() {
                self.changed();
                self.select_default_clip();
                self.set_status(format!("Undid {}", label.unwrap_or_default()), false);
            }
        }
    }

    /// Redoes the last undone edit.
    pub fn redo(&mut self) {
        if let Some(doc) = &mut self.document {
            let label = doc.redo_label().map(str::to_string);
            if doc.redo() {
                self.changed();
                self.select_default_clip();
                self.set_status(format!("Redid {}", label.unwrap_or_default()), false);
            }
        }
    }

    /// Exports `kind` to `path`.
    pub fn export_to(&mut self, kind: ExportKind, path: &Path) -> Result<(), String> {
        let project = self.project().ok_or("nothing is open")?;
        if kind == ExportKind::Cube {
            let lut = self
                .lut_to_export()
                .ok_or("no colour transform to export: run a colour match first")?;
            cutroom_timeline::formats::write_lut(&lut, path).map_err(|e| e.to_string())?;
            self.set_status(format!("Exported {}", path.display()), false);
            return Ok(());
        }
        let dest = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rebased = match self.media_base.as_deref() {
            // Relative media paths would point elsewhere from another directory.
            Some(base) if dest.parent() != Some(base) => {
                Some(export::with_absolute_media(project, base))
            }
            _ => None,
        };
        export::export(rebased.as_ref().unwrap_or(project), kind, path)?;
        self.set_status(format!("Exported {}", path.display()), false);
        Ok(())
    }

    /// The colour transform "LUT as .cube" writes: the colour match under review as it
    /// would be applied (at the strength slider's value), else the selected clip's, else
    /// the first clip's that has one.
    pub fn lut_to_export(&self) -> Option<cutroom_timeline::ColorTransform> {
        let (lut, strength) = self.lut_source()?;
        Some(if strength < 1.0 {
            crate::review::with_strength(lut, strength)
        } else {
            lut.clone()
        })
    }

    /// What [`CutroomApp::lut_to_export`] is made from, and at which strength, without
    /// copying the table.
    fn lut_source(&self) -> Option<(&cutroom_timeline::ColorTransform, f32)> {
        if let Some(lut) = self.review.colour_under_review() {
            return Some((lut, self.review.strength));
        }
        let tl = self.project()?.timelines.first()?;
        let selected =
            self.selected
                .and_then(|t| match tl.tracks.get(t.track)?.items.get(t.item)? {
                    Item::Clip(c) => c.color.as_ref(),
                    _ => None,
                });
        selected.or_else(|| export::first_lut(tl)).map(|l| (l, 1.0))
    }

    /// Carries out one action.
    pub fn perform(&mut self, action: Action) {
        match action {
            Action::OpenDialog => self.dialogs.open(
                DialogPurpose::Open,
                vec![
                    (
                        "Media, timelines and projects".into(),
                        [
                            "mp4", "mov", "mkv", "mxf", "avi", "webm", "wav", "mp3", "m4a", "otio",
                            "edl", "fcpxml", "cutroom",
                        ]
                        .map(String::from)
                        .to_vec(),
                    ),
                    ("All files".into(), vec!["*".into()]),
                ],
            ),
            Action::Open(p) => self.open_path(&p),
            Action::AddToTimeline(k) => self.add_to_timeline(&k),
            Action::Seek(f) => self.viewer.seek(f),
            Action::SelectClip(t) => self.selected = Some(t),
            Action::RunPlugin {
                plugin_id,
                params,
                on_range,
            } => {
                if let Err(e) = self.run_plugin(&plugin_id, params, on_range) {
                    self.set_status(e, true);
                }
            }
            Action::BrowseParam {
                plugin_id,
                param_id,
                extensions,
            } => {
                let filters = if extensions.is_empty() {
                    Vec::new()
                } else {
                    vec![(param_id.clone(), extensions)]
                };
                self.dialogs.open(
                    DialogPurpose::Param {
                        plugin_id,
                        param_id,
                    },
                    filters,
                );
            }
            Action::CancelJob(j) => self.cancel_job(j),
            Action::Accept => self.accept(),
            Action::RejectAll => self.review.pending = None,
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
            Action::ExportDialog(kind) => {
                let name = self
                    .project()
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| "untitled".into());
                self.dialogs.save(
                    DialogPurpose::Export(kind),
                    vec![(
                        kind.extension().to_uppercase(),
                        vec![kind.extension().into()],
                    )],
                    format!("{name}.{}", kind.extension()),
                );
            }
        }
    }

    fn dialog_answers(&mut self) {
        for (purpose, path) in self.dialogs.answers() {
            match purpose {
                DialogPurpose::Open => self.open_path(&path),
                DialogPurpose::Param {
                    plugin_id,
                    param_id,
                } => self.plugins.set_value(
                    &plugin_id,
                    &param_id,
                    ParamValue::FilePath(Some(path.display().to_string())),
                ),
                DialogPurpose::Export(ExportKind::Mp4) => {
                    if let Err(e) = self.start_render(&path) {
                        self.set_status(e, true);
                    }
                }
                DialogPurpose::Export(kind) => {
                    if let Err(e) = self.export_to(kind, &path) {
                        self.set_status(e, true);
                    }
                }
            }
        }
    }

    /// Brings the viewer in line with the document and the review.
    fn sync_viewer(&mut self, ctx: &egui::Context) {
        if self.shown_revision != self.revision {
            self.shown_revision = self.revision;
            if let Some(tl) = self.project().and_then(|p| p.timelines.first()) {
                let sound = Arc::new(tl.clone());
                self.viewer.set_sound(sound, self.media_base.clone());
            }
            let program = self
                .project()
                .and_then(|p| p.timelines.first())
                .map(|tl| Program::from_timeline(tl, self.media_base.as_deref()))
                .unwrap_or_else(Program::empty);
            self.viewer.set_program(program);
        }
        let mut cues: Vec<OverlayCue> = Vec::new();
        if let Some(tl) = self.project().and_then(|p| p.timelines.first()) {
            let rate = tl.rate;
            for c in export::subtitle_cues(tl) {
                cues.push(OverlayCue {
                    start: c.range.start.to_frames(rate),
                    end: c.range.end_exclusive().to_frames(rate),
                    text: c.text,
                    proposed: false,
                });
            }
        }
        cues.extend(self.review.overlay_cues());
        self.viewer.cues = cues;
        self.viewer.skip_spans = self.review.skip_spans();
        // The preview LUT is built on its own thread (a large table takes tens of
        // milliseconds); the viewer shows the latest one built for the proposal.
        let strength = self.review.strength;
        let job = self.review.pending.as_ref().map_or(0, |p| p.job.0);
        let key = self
            .review
            .preview_lut_ref()
            .map(|_| preview_key(job, strength));
        if key != self.preview_key {
            self.preview_key = key;
            match (key, self.review.preview_lut_ref()) {
                (Some(k), Some(lut)) => {
                    let lut = match &self.preview_source {
                        Some((j, l)) if *j == job => l.clone(),
                        _ => {
                            let l = Arc::new(lut.clone());
                            self.preview_source = Some((job, l.clone()));
                            l
                        }
                    };
                    self.preview_builder
                        .get_or_insert_with(|| PreviewLutBuilder::spawn(Some(ctx.clone())))
                        .request(k, lut, strength);
                }
                _ => self.viewer.set_preview_lut(None),
            }
        }
        if let Some(built) = self.preview_builder.as_ref().and_then(|b| b.try_recv()) {
            // Any strength of the proposal still under review (during a drag, the latest
            // built); nothing once the review ended or moved to another proposal.
            if self.preview_key.is_some_and(|k| k.0 == built.key.0) {
                self.viewer.set_preview_lut(built.lut);
            }
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let redo = ctx.input_mut(|i| {
            i.consume_shortcut(&KeyboardShortcut::new(
                Modifiers::COMMAND | Modifiers::SHIFT,
                Key::Z,
            ))
        });
        let undo = ctx
            .input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z)));
        if redo {
            self.redo();
        } else if undo {
            self.undo();
        }
        if !ctx.egui_wants_keyboard_input() {
            ctx.input(|i| {
                if !i.modifiers.command {
                    self.viewer.handle_keys(i);
                }
            });
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        for p in dropped {
            self.open_path(&p);
        }
    }

    /// Draws the whole app into `ui` and handles input. Used by the window and by tests.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll_jobs();
        self.dialog_answers();
        self.shortcuts(&ctx);
        if let Some(mut smoke) = self.smoke.take() {
            smoke.step(self, &ctx);
            self.smoke = Some(smoke);
        }
        self.sync_viewer(&ctx);
        self.viewer.tick(&ctx);
        self.waveforms.poll();
        if self.jobs.any_active() || self.opener.pending() > 0 || self.waveforms.pending() > 0 {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }

        let mut actions = Vec::new();
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open…").clicked() {
                        actions.push(Action::OpenDialog);
                    }
                    ui.menu_button("Open recent", |ui| {
                        for p in &self.recent {
                            if ui.button(p.display().to_string()).clicked() {
                                actions.push(Action::Open(p.clone()));
                            }
                        }
                    });
                    if ui.button("Save project…").clicked() {
                        actions.push(Action::ExportDialog(ExportKind::Project));
                    }
                });
                ui.menu_button("Edit", |ui| {
                    let doc = self.document.as_ref();
                    let u = doc
                        .and_then(|d| d.undo_label())
                        .map(|l| format!("Undo {l}"));
                    let r = doc
                        .and_then(|d| d.redo_label())
                        .map(|l| format!("Redo {l}"));
                    if ui
                        .add_enabled(u.is_some(), egui::Button::new(u.unwrap_or("Undo".into())))
                        .clicked()
                    {
                        actions.push(Action::Undo);
                    }
                    if ui
                        .add_enabled(r.is_some(), egui::Button::new(r.unwrap_or("Redo".into())))
                        .clicked()
                    {
                        actions.push(Action::Redo);
                    }
                });
                ui.separator();
                let doc = self.document.as_ref();
                if ui
                    .add_enabled(
                        doc.is_some_and(|d| d.undo_label().is_some()),
                        egui::Button::new("Undo"),
                    )
                    .on_hover_text("Ctrl+Z")
                    .clicked()
                {
                    actions.push(Action::Undo);
                }
                if ui
                    .add_enabled(
                        doc.is_some_and(|d| d.redo_label().is_some()),
                        egui::Button::new("Redo"),
                    )
                    .on_hover_text("Ctrl+Shift+Z")
                    .clicked()
                {
                    actions.push(Action::Redo);
                }
            });
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| match &self.status {
                Some((s, true)) => {
                    ui.colored_label(Color32::from_rgb(240, 110, 90), s);
                }
                Some((s, false)) => {
                    ui.label(s);
                }
                None => {
                    ui.weak("Ready");
                }
            });
        });
        egui::Panel::bottom("timeline")
            .resizable(true)
            .default_size(170.0)
            .show(ui, |ui| {
                let tl = self
                    .document
                    .as_ref()
                    .and_then(|d| d.project().timelines.first());
                let overlay = self.review.overlay();
                let title = self.review.title();
                self.timeline.ui(
                    ui,
                    tl,
                    self.viewer.position,
                    (self.viewer.in_point, self.viewer.out_point),
                    &overlay,
                    title.as_deref(),
                    self.selected,
                    &self.waveforms,
                    &mut actions,
                );
            });
        egui::Panel::left("left")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("left-scroll")
                    .show(ui, |ui| {
                        let opening = self.opener.pending_names();
                        self.media_bin.ui(ui, &self.recent, &opening, &mut actions);
                        ui.separator();
                        let clips: Vec<(String, String)> = self
                            .media_bin
                            .entries
                            .iter()
                            .map(|e| (e.key.clone(), e.name.clone()))
                            .collect();
                        let has_range =
                            self.viewer.in_point.is_some() && self.viewer.out_point.is_some();
                        self.plugins.ui(
                            ui,
                            &self.registry,
                            &clips,
                            self.selected.is_some(),
                            has_range,
                            &mut actions,
                        );
                    });
            });
        egui::Panel::right("right")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("right-scroll")
                    .show(ui, |ui| {
                        self.review.ui(ui, &mut actions);
                        ui.separator();
                        self.jobs.ui(ui, &mut actions);
                        ui.separator();
                        let has_lut = self.lut_source().is_some();
                        self.export.ui(
                            ui,
                            self.document.as_ref().map(|d| d.project()),
                            has_lut,
                            &mut actions,
                        );
                    });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            self.viewer.ui(ui);
        });
        if let Some(path) = self.recovery_prompt.clone() {
            egui::Modal::new(egui::Id::unique("recovery")).show(&ctx, |ui| {
                ui.heading("Recover unsaved work?");
                ui.label(
                    "Cutroom did not close cleanly last time. An autosaved project is available.",
                );
                ui.horizontal(|ui| {
                    if ui.button("Recover").clicked() {
                        self.recover();
                    }
                    if ui.button("Discard").clicked() {
                        remove_recovery(&path);
                        self.recovery_prompt = None;
                    }
                });
            });
        }
        for a in actions {
            self.perform(a);
        }
    }

    /// Opens the autosaved project offered by [`CutroomApp::recovery_prompt`], with its
    /// relative media paths resolved against the directory of the file it came from.
    pub fn recover(&mut self) {
        let Some(path) = self.recovery_prompt.take() else {
            return;
        };
        let base = read_recovery_base(&path.with_file_name(RECOVERY_BASE_FILE));
        match Document::recover(&path) {
            Ok(p) => {
                self.open_project_in(p, base);
                self.set_status("Recovered the autosaved project", false);
            }
            Err(e) => self.set_status(e.to_string(), true),
        }
    }

    /// A clean shutdown: the recovery file is no longer needed.
    pub fn shut_down(&mut self) {
        if let Some(p) = self.document.as_ref().and_then(|d| d.recovery_path()) {
            remove_recovery(p);
        }
    }

    /// The job's state, for scripts and tests.
    pub fn job_state(&self, job: JobId) -> Option<JobState> {
        self.jobs.row(job).map(|r| r.state.clone())
    }
}

/// The eframe application: [`CutroomApp`] plus persistence.
pub struct WindowApp {
    /// The app.
    pub app: CutroomApp,
    /// Set when a smoke run failed.
    pub failure: Arc<Mutex<Option<String>>>,
}

const STORAGE_KEY: &str = "cutroom";

impl WindowApp {
    /// Restores persisted state from `storage`; a smoke run reports failure to `failure`.
    pub fn new(
        mut app: CutroomApp,
        storage: Option<&dyn eframe::Storage>,
        failure: Arc<Mutex<Option<String>>>,
    ) -> WindowApp {
        if let Some(state) = storage.and_then(|s| eframe::get_value::<Persisted>(s, STORAGE_KEY)) {
            app.restore(state);
        }
        if let Some(s) = &mut app.smoke {
            s.failure = failure.clone();
        }
        WindowApp { app, failure }
    }
}

impl eframe::App for WindowApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.app.persisted());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.app.shut_down();
    }
}
