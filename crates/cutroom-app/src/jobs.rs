//! The jobs panel: every plugin job with its progress, message, elapsed time and a Cancel
//! button; failures keep their message. Fed by the scheduler's events, drained each frame.

use std::time::{Duration, Instant};

use cutroom_engine::{JobEvent, JobId};
use eframe::egui::{self, Color32};

use crate::app::Action;

/// Where a job is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Running.
    Running,
    /// Done; the proposal has this many items.
    Finished(usize),
    /// A render finished; what it wrote.
    Rendered(String),
    /// Ended with an error.
    Failed(String),
    /// Cancelled.
    Cancelled,
}

impl JobState {
    /// True while queued or running.
    pub fn is_active(&self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// One job as the panel shows it.
#[derive(Debug, Clone)]
pub struct JobRow {
    /// The job.
    pub id: JobId,
    /// Display name of the plugin.
    pub plugin: String,
    /// State.
    pub state: JobState,
    /// Done fraction.
    pub fraction: f32,
    /// Latest progress message.
    pub message: String,
    /// Last log line.
    pub last_log: Option<String>,
    started: Instant,
    ended: Option<Instant>,
}

impl JobRow {
    /// Time since the job was submitted (frozen when it ended).
    pub fn elapsed(&self) -> Duration {
        self.ended.unwrap_or_else(Instant::now) - self.started
    }
}

/// The jobs panel.
#[derive(Default)]
pub struct JobsPanel {
    /// Jobs, newest last.
    pub rows: Vec<JobRow>,
}

impl JobsPanel {
    /// Records a job just submitted.
    pub fn submitted(&mut self, id: JobId, plugin: &str) {
        self.rows.push(JobRow {
            id,
            plugin: plugin.to_string(),
            state: JobState::Queued,
            fraction: 0.0,
            message: "queued".into(),
            last_log: None,
            started: Instant::now(),
            ended: None,
        });
    }

    /// The row of job `id`.
    pub fn row(&self, id: JobId) -> Option<&JobRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// True when some job is queued or running.
    pub fn any_active(&self) -> bool {
        self.rows.iter().any(|r| r.state.is_active())
    }

    /// Marks a render job as done.
    pub fn rendered(&mut self, id: JobId, what: String) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id) {
            row.state = JobState::Rendered(what);
            row.fraction = 1.0;
            row.ended = Some(Instant::now());
        }
    }

    /// Updates a row from a scheduler event.
    pub fn handle(&mut self, event: &JobEvent) {
        let Some(row) = self.rows.iter_mut().find(|r| r.id == event.job()) else {
            return;
        };
        match event {
            JobEvent::Queued { .. } => row.state = JobState::Queued,
            JobEvent::Started { .. } => {
                row.state = JobState::Running;
                row.message = "started".into();
            }
            JobEvent::Progress {
                fraction, message, ..
            } => {
                row.fraction = fraction.clamp(0.0, 1.0);
                row.message = message.clone();
            }
            JobEvent::Log { message, .. } => row.last_log = Some(message.clone()),
            JobEvent::Finished { proposal, .. } => {
                row.state = JobState::Finished(proposal.items.len());
                row.fraction = 1.0;
            }
            JobEvent::Failed { message, .. } => row.state = JobState::Failed(message.clone()),
            JobEvent::Cancelled { .. } => row.state = JobState::Cancelled,
        }
        if event.is_terminal() {
            row.ended = Some(Instant::now());
        }
    }

    /// Shows the jobs.
    pub fn ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.heading("Jobs");
            if self.rows.iter().any(|r| !r.state.is_active())
                && ui.small_button("Clear finished").clicked()
            {
                self.rows.retain(|r| r.state.is_active());
            }
        });
        if self.rows.is_empty() {
            ui.weak("No jobs yet. Run a plugin.");
        }
        for row in self.rows.iter().rev() {
            ui.push_id(row.id.0, |ui| {
                ui.group(|ui| {
                    ui.horizontal(|ui| {
                        ui.strong(format!("{} ({})", row.plugin, row.id));
                        ui.weak(format!("{:.1} s", row.elapsed().as_secs_f64()));
                    });
                    match &row.state {
                        JobState::Queued | JobState::Running => {
                            ui.add(egui::ProgressBar::new(row.fraction).desired_height(12.0));
                            ui.horizontal(|ui| {
                                ui.label(format!("{:.0}% — {}", row.fraction * 100.0, row.message));
                                if ui.button("Cancel").clicked() {
                                    actions.push(Action::CancelJob(row.id));
                                }
                            });
                        }
                        JobState::Finished(n) => {
                            ui.label(format!(
                                "Finished: {n} proposed item{}",
                                if *n == 1 { "" } else { "s" }
                            ));
                        }
                        JobState::Rendered(what) => {
                            ui.label(format!("Finished: {what}"));
                        }
                        JobState::Failed(msg) => {
                            ui.colored_label(
                                Color32::from_rgb(230, 90, 80),
                                format!("Failed: {msg}"),
                            );
                        }
                        JobState::Cancelled => {
                            ui.label("Cancelled");
                        }
                    }
                    if let Some(l) = &row.last_log {
                        ui.small(l);
                    }
                });
            });
        }
    }
}
