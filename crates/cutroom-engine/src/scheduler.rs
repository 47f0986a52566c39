//! Running plugins on a pool of worker threads.
//!
//! [`JobScheduler::submit`] queues a job and returns its [`JobId`] at once. Workers take jobs
//! in submission order, run the plugin with a [`Context`] whose cancel token
//! [`JobScheduler::cancel`] sets, and report [`JobEvent`]s on one unbounded crossbeam
//! channel that the UI drains with `try_iter` each frame (it never blocks on it). Progress
//! events are thinned to about one per percent so a plugin that reports every frame cannot
//! flood the channel. A plugin that returns an error or panics ends its own job with
//! [`JobEvent::Failed`]; the worker thread survives and takes the next job.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use cutroom_plugin::{
    CancelToken, Context, LogLevel, Manifest, MediaSource, ParamError, Params, Plugin, PluginError,
    Proposal, Reporter,
};
use cutroom_timeline::TimeRange;

use crate::registry::Registry;

/// Identifies a job for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// Something that happened to a job. Every job ends with exactly one of `Finished`,
/// `Failed` or `Cancelled`.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// Accepted and waiting for a worker.
    Queued {
        /// The job.
        job: JobId,
        /// Which plugin it runs.
        plugin_id: String,
    },
    /// A worker started running the plugin.
    Started {
        /// The job.
        job: JobId,
    },
    /// The plugin reported progress.
    Progress {
        /// The job.
        job: JobId,
        /// Done fraction in `[0, 1]`.
        fraction: f32,
        /// What is happening.
        message: String,
    },
    /// The plugin wrote a log line.
    Log {
        /// The job.
        job: JobId,
        /// Severity.
        level: LogLevel,
        /// The line.
        message: String,
    },
    /// The plugin returned a valid proposal.
    Finished {
        /// The job.
        job: JobId,
        /// What it proposes.
        proposal: Proposal,
    },
    /// The plugin returned an error, panicked, or returned an invalid proposal.
    Failed {
        /// The job.
        job: JobId,
        /// Why, naming the plugin.
        message: String,
    },
    /// The job was cancelled before or while running.
    Cancelled {
        /// The job.
        job: JobId,
    },
}

impl JobEvent {
    /// The job the event is about.
    pub fn job(&self) -> JobId {
        match self {
            JobEvent::Queued { job, .. }
            | JobEvent::Started { job }
            | JobEvent::Progress { job, .. }
            | JobEvent::Log { job, .. }
            | JobEvent::Finished { job, .. }
            | JobEvent::Failed { job, .. }
            | JobEvent::Cancelled { job } => *job,
        }
    }

    /// True for the events that end a job.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobEvent::Finished { .. } | JobEvent::Failed { .. } | JobEvent::Cancelled { .. }
        )
    }
}

/// Why a job was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// No plugin has this id.
    #[error("no plugin with id {0:?}")]
    UnknownPlugin(String),
    /// The parameters do not fit the plugin's manifest.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// The scheduler is shutting down.
    #[error("the job scheduler is shut down")]
    ShutDown,
}

/// Everything that describes one job.
pub struct JobRequest {
    /// Plugin to run.
    pub plugin_id: String,
    /// Media to analyse.
    pub source: Arc<dyn MediaSource>,
    /// Parameters (validated again against the manifest on submission).
    pub params: Params,
    /// A reference clip, for plugins that read one.
    pub reference: Option<Arc<dyn MediaSource>>,
    /// Part of the media to process; the whole media when `None`.
    pub range: Option<TimeRange>,
}

impl JobRequest {
    /// A job over the whole of `source`.
    pub fn new(plugin_id: impl Into<String>, source: Arc<dyn MediaSource>, params: Params) -> Self {
        JobRequest {
            plugin_id: plugin_id.into(),
            source,
            params,
            reference: None,
            range: None,
        }
    }

    /// Adds a reference clip.
    pub fn with_reference(mut self, reference: Arc<dyn MediaSource>) -> Self {
        self.reference = Some(reference);
        self
    }

    /// Restricts processing to `range` of the media.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = Some(range);
        self
    }
}

struct QueuedJob {
    id: JobId,
    plugin: Arc<dyn Plugin>,
    manifest: Manifest,
    request: JobRequest,
    params: Params,
    cancel: CancelToken,
}

type Tokens = Arc<Mutex<HashMap<JobId, CancelToken>>>;

/// A pool of worker threads running plugin jobs.
pub struct JobScheduler {
    registry: Arc<Registry>,
    jobs: Option<Sender<QueuedJob>>,
    events_tx: Sender<JobEvent>,
    events_rx: Receiver<JobEvent>,
    tokens: Tokens,
    next_id: AtomicU64,
    workers: Vec<JoinHandle<()>>,
}

impl JobScheduler {
    /// A scheduler with one worker per available CPU.
    pub fn new(registry: Arc<Registry>) -> JobScheduler {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        JobScheduler::with_threads(registry, n)
    }

    /// A scheduler with `threads` workers (at least one).
    pub fn with_threads(registry: Arc<Registry>, threads: usize) -> JobScheduler {
        let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded::<QueuedJob>();
        let (events_tx, events_rx) = crossbeam_channel::unbounded();
        let tokens: Tokens = Arc::default();
        let workers = (0..threads.max(1))
            .map(|i| {
                let jobs = jobs_rx.clone();
                let events = events_tx.clone();
                let tokens = tokens.clone();
                std::thread::Builder::new()
                    .name(format!("cutroom-worker-{i}"))
                    .spawn(move || {
                        for job in jobs {
                            let id = job.id;
                            run_job(job, &events);
                            tokens
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .remove(&id);
                        }
                    })
                    .expect("spawning a worker thread")
            })
            .collect();
        JobScheduler {
            registry,
            jobs: Some(jobs_tx),
            events_tx,
            events_rx,
            tokens,
            next_id: AtomicU64::new(1),
            workers,
        }
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The registry jobs are looked up in.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The event channel. Drain it with `try_iter()` on the UI thread; clones share events.
    pub fn events(&self) -> Receiver<JobEvent> {
        self.events_rx.clone()
    }

    /// Queues plugin `plugin_id` over the whole of `source`.
    pub fn submit(
        &self,
        plugin_id: &str,
        source: Arc<dyn MediaSource>,
        params: Params,
    ) -> Result<JobId, SubmitError> {
        self.submit_request(JobRequest::new(plugin_id, source, params))
    }

    /// Queues a job described in full. Unknown plugins and invalid parameters are refused
    /// here, before any event is sent.
    pub fn submit_request(&self, request: JobRequest) -> Result<JobId, SubmitError> {
        let jobs = self.jobs.as_ref().ok_or(SubmitError::ShutDown)?;
        let plugin = self
            .registry
            .get(&request.plugin_id)
            .ok_or_else(|| SubmitError::UnknownPlugin(request.plugin_id.clone()))?;
        let manifest = self
            .registry
            .manifest(&request.plugin_id)
            .cloned()
            .ok_or_else(|| SubmitError::UnknownPlugin(request.plugin_id.clone()))?;
        let params = request.params.clone().validated(&manifest)?;
        let id = JobId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let cancel = CancelToken::new();
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, cancel.clone());
        let _ = self.events_tx.send(JobEvent::Queued {
            job: id,
            plugin_id: manifest.id.clone(),
        });
        jobs.send(QueuedJob {
            id,
            plugin,
            manifest,
            request,
            params,
            cancel,
        })
        .map_err(|_| SubmitError::ShutDown)?;
        Ok(id)
    }

    /// Requests cancellation of a queued or running job. Returns false when the job is
    /// unknown or already over. The job ends with [`JobEvent::Cancelled`] as soon as the
    /// plugin next reads a frame or checks its context.
    pub fn cancel(&self, job: JobId) -> bool {
        match self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&job)
        {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Jobs queued or running.
    pub fn active_jobs(&self) -> usize {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for JobScheduler {
    /// Cancels every job and waits for the workers to finish.
    fn drop(&mut self) {
        for token in self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
        {
            token.cancel();
        }
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Sends a job's progress and logs as events, thinning progress to about one per percent.
struct EventReporter {
    job: JobId,
    events: Sender<JobEvent>,
    last: Option<(f32, String)>,
}

impl Reporter for EventReporter {
    fn progress(&mut self, fraction: f32, message: &str) {
        let send = match &self.last {
            None => true,
            Some((f, m)) => m != message || fraction - f >= 0.01 || (fraction >= 1.0 && *f < 1.0),
        };
        if send {
            self.last = Some((fraction, message.to_string()));
            let _ = self.events.send(JobEvent::Progress {
                job: self.job,
                fraction,
                message: message.to_string(),
            });
        }
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        let _ = self.events.send(JobEvent::Log {
            job: self.job,
            level,
            message: message.to_string(),
        });
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-text panic payload".to_string()
    }
}

fn run_job(job: QueuedJob, events: &Sender<JobEvent>) {
    let id = job.id;
    let plugin_id = job.manifest.id.clone();
    let send = |e: JobEvent| {
        let _ = events.send(e);
    };
    if job.cancel.is_cancelled() {
        send(JobEvent::Cancelled { job: id });
        return;
    }
    send(JobEvent::Started { job: id });
    let reporter = EventReporter {
        job: id,
        events: events.clone(),
        last: None,
    };
    let mut ctx = Context::new(
        job.request.source,
        job.manifest.reads.clone(),
        job.cancel.clone(),
        Box::new(reporter),
    );
    if let Some(range) = job.request.range {
        ctx = ctx.with_range(range);
    }
    if let Some(reference) = job.request.reference {
        ctx = ctx.with_reference(reference);
    }
    let plugin = job.plugin;
    let params = job.params;
    let outcome = catch_unwind(AssertUnwindSafe(|| plugin.run(&mut ctx, &params)));
    drop(ctx);
    let cancelled = job.cancel.is_cancelled();
    let event = match outcome {
        Err(payload) => JobEvent::Failed {
            job: id,
            message: format!("plugin {plugin_id:?} panicked: {}", panic_text(&*payload)),
        },
        Ok(_) if cancelled => JobEvent::Cancelled { job: id },
        Ok(Err(PluginError::Cancelled)) => JobEvent::Cancelled { job: id },
        Ok(Err(e)) => JobEvent::Failed {
            job: id,
            message: format!("plugin {plugin_id:?} failed: {e}"),
        },
        Ok(Ok(proposal)) => match proposal.validate() {
            Err(e) => JobEvent::Failed {
                job: id,
                message: format!("plugin {plugin_id:?} returned an invalid proposal: {e}"),
            },
            Ok(()) if proposal.plugin_id != plugin_id => JobEvent::Failed {
                job: id,
                message: format!(
                    "plugin {plugin_id:?} returned a proposal labelled {:?}",
                    proposal.plugin_id
                ),
            },
            Ok(()) => JobEvent::Finished { job: id, proposal },
        },
    };
    send(event);
}
