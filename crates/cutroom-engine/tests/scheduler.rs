//! The job scheduler: events, concurrency, cancellation and failure isolation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use cutroom_engine::scheduler::JobRequest;
use cutroom_engine::{JobEvent, JobId, JobScheduler, Registry, SubmitError};
use cutroom_plugin::prelude::*;
use cutroom_plugin::testing::SyntheticSource;
use cutroom_plugin::MediaSource;

struct Panicky;
impl Plugin for Panicky {
    fn manifest(&self) -> Manifest {
        Manifest::new("panicky", "Panicky", "0.1.0", "Always panics.")
    }
    fn run(&self, _: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
        panic!("deliberate failure in a test plugin");
    }
}

struct Erroring;
impl Plugin for Erroring {
    fn manifest(&self) -> Manifest {
        Manifest::new("erroring", "Erroring", "0.1.0", "Always fails.")
    }
    fn run(&self, _: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
        Err(PluginError::failed("the model file is missing"))
    }
}

struct Overconfident;
impl Plugin for Overconfident {
    fn manifest(&self) -> Manifest {
        Manifest::new("overconfident", "Overconfident", "0.1.0", "Bad proposal.")
    }
    fn run(&self, _: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
        let mut p = Proposal::new("overconfident");
        p.items.push(ProposalItem {
            id: 0,
            kind: ProposalKind::Cut {
                at: RationalTime::new(1, Rate::FPS_24),
            },
            confidence: 3.0,
            reason: String::new(),
        });
        Ok(p)
    }
}

/// Sleeps 150 ms while counting how many instances run at once.
struct Sleepy {
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}
impl Plugin for Sleepy {
    fn manifest(&self) -> Manifest {
        Manifest::new("sleepy", "Sleepy", "0.1.0", "Sleeps.")
    }
    fn run(&self, _: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(Proposal::new("sleepy"))
    }
}

fn registry() -> (Registry, Arc<AtomicUsize>) {
    let mut r = Registry::with_builtins();
    r.register(Box::new(Panicky)).unwrap();
    r.register(Box::new(Erroring)).unwrap();
    r.register(Box::new(Overconfident)).unwrap();
    let peak = Arc::new(AtomicUsize::new(0));
    r.register(Box::new(Sleepy {
        running: Arc::default(),
        peak: peak.clone(),
    }))
    .unwrap();
    (r, peak)
}

fn bright_source(frames: i64) -> Arc<dyn MediaSource> {
    Arc::new(SyntheticSource::new(Rate::FPS_25, frames).with_luma(|i| {
        if i % 50 < 10 {
            240
        } else {
            20
        }
    }))
}

fn slow_source() -> Arc<dyn MediaSource> {
    Arc::new(
        SyntheticSource::new(Rate::FPS_25, 1_000_000)
            .with_luma(|_| 0)
            .with_frame_delay(Duration::from_millis(5)),
    )
}

/// Receives events until `job` ends; returns them all (other jobs' events included).
fn until_end(events: &Receiver<JobEvent>, job: JobId) -> (Vec<JobEvent>, JobEvent) {
    let mut seen = Vec::new();
    loop {
        let e = events
            .recv_timeout(Duration::from_secs(20))
            .expect("job did not end within 20 s");
        if e.job() == job && e.is_terminal() {
            return (seen, e);
        }
        seen.push(e);
    }
}

/// Collects the terminal event of every job in `jobs`.
fn ends(events: &Receiver<JobEvent>, jobs: &[JobId]) -> Vec<JobEvent> {
    let mut out: Vec<Option<JobEvent>> = vec![None; jobs.len()];
    while out.iter().any(Option::is_none) {
        let e = events
            .recv_timeout(Duration::from_secs(20))
            .expect("jobs did not end within 20 s");
        if e.is_terminal() {
            if let Some(i) = jobs.iter().position(|j| *j == e.job()) {
                out[i] = Some(e);
            }
        }
    }
    out.into_iter().map(Option::unwrap).collect()
}

#[test]
fn a_job_reports_queued_started_progress_and_its_proposal() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 2);
    let events = s.events();
    let job = s
        .submit("example-brightness", bright_source(200), Params::default())
        .unwrap();
    let (seen, end) = until_end(&events, job);
    assert_eq!(
        seen[0],
        JobEvent::Queued {
            job,
            plugin_id: "example-brightness".into()
        }
    );
    assert_eq!(seen[1], JobEvent::Started { job });
    let progress: Vec<f32> = seen
        .iter()
        .filter_map(|e| match e {
            JobEvent::Progress { fraction, .. } => Some(*fraction),
            _ => None,
        })
        .collect();
    assert!(!progress.is_empty());
    assert_eq!(*progress.last().unwrap(), 1.0);
    assert!(seen.iter().any(|e| matches!(e, JobEvent::Log { .. })));
    match end {
        JobEvent::Finished { proposal, .. } => {
            assert_eq!(proposal.plugin_id, "example-brightness");
            assert_eq!(proposal.items.len(), 4);
        }
        other => panic!("expected Finished, got {other:?}"),
    }
    assert_eq!(s.active_jobs(), 0);
}

#[test]
fn panicking_and_failing_jobs_do_not_stop_the_others() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 2);
    let events = s.events();
    let mut jobs = vec![
        s.submit("panicky", bright_source(10), Params::default())
            .unwrap(),
        s.submit("erroring", bright_source(10), Params::default())
            .unwrap(),
        s.submit("overconfident", bright_source(10), Params::default())
            .unwrap(),
    ];
    for _ in 0..4 {
        jobs.push(
            s.submit("example-brightness", bright_source(100), Params::default())
                .unwrap(),
        );
    }
    // A second panic after the first, on the same pool.
    jobs.push(
        s.submit("panicky", bright_source(10), Params::default())
            .unwrap(),
    );
    jobs.push(
        s.submit("example-brightness", bright_source(100), Params::default())
            .unwrap(),
    );

    let ends = ends(&events, &jobs);
    let failed = |e: &JobEvent| match e {
        JobEvent::Failed { message, .. } => message.clone(),
        other => panic!("expected Failed, got {other:?}"),
    };
    let m = failed(&ends[0]);
    assert!(m.contains("panicky"), "{m}");
    assert!(m.contains("deliberate failure in a test plugin"), "{m}");
    assert_eq!(
        failed(&ends[1]),
        "plugin \"erroring\" failed: the model file is missing"
    );
    assert!(failed(&ends[2]).contains("confidence 3 is not in [0, 1]"));
    for e in ends[3..7].iter().chain(&ends[8..]) {
        assert!(matches!(e, JobEvent::Finished { .. }), "{e:?}");
    }
    assert!(failed(&ends[7]).contains("deliberate failure"));
    assert_eq!(s.threads(), 2);
}

#[test]
fn jobs_run_in_parallel_up_to_the_thread_count() {
    let (r, peak) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 2);
    let events = s.events();
    let jobs: Vec<JobId> = (0..4)
        .map(|_| {
            s.submit("sleepy", bright_source(1), Params::default())
                .unwrap()
        })
        .collect();
    let started = Instant::now();
    let ends = ends(&events, &jobs);
    assert!(ends.iter().all(|e| matches!(e, JobEvent::Finished { .. })));
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    // Four 150 ms jobs on two threads take about 300 ms, not 600.
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_cancelled_job_stops_within_250_ms() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 1);
    let events = s.events();
    let job = s
        .submit("example-brightness", slow_source(), Params::default())
        .unwrap();
    // Wait until it is running and has reported progress.
    loop {
        let e = events.recv_timeout(Duration::from_secs(10)).unwrap();
        if matches!(e, JobEvent::Progress { .. }) {
            break;
        }
    }
    let asked = Instant::now();
    assert!(s.cancel(job));
    let (_, end) = until_end(&events, job);
    let took = asked.elapsed();
    assert_eq!(end, JobEvent::Cancelled { job });
    assert!(took < Duration::from_millis(250), "cancel took {took:?}");
    assert!(!s.cancel(job), "a finished job cannot be cancelled again");
}

#[test]
fn a_queued_job_cancelled_before_it_starts_never_starts() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 1);
    let events = s.events();
    let running = s
        .submit("example-brightness", slow_source(), Params::default())
        .unwrap();
    let waiting = s
        .submit("example-brightness", bright_source(10), Params::default())
        .unwrap();
    assert!(s.cancel(waiting));
    assert!(s.cancel(running));
    let (mut seen, end) = until_end(&events, waiting);
    assert_eq!(end, JobEvent::Cancelled { job: waiting });
    seen.extend(events.try_iter());
    assert!(!seen.contains(&JobEvent::Started { job: waiting }));
}

#[test]
fn unknown_plugins_and_bad_parameters_are_refused_at_submission() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 1);
    assert_eq!(
        s.submit("auto-cutt", bright_source(1), Params::default()),
        Err(SubmitError::UnknownPlugin("auto-cutt".into()))
    );
    let other =
        Manifest::new("x", "x", "0", "x").param(ParamSpec::float("gain", "Gain", 0.0, 1.0, 0.5));
    let foreign = Params::defaults(&other);
    let err = s
        .submit("example-brightness", bright_source(1), foreign)
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown parameter \"gain\""),
        "{err}"
    );
    assert!(s.events().try_recv().is_err(), "no event for a refused job");
}

#[test]
fn a_job_can_be_limited_to_a_range() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 1);
    let events = s.events();
    let job = s
        .submit_request(
            JobRequest::new("example-brightness", bright_source(200), Params::default())
                .with_range(TimeRange::from_frames(45, 20, Rate::FPS_25)),
        )
        .unwrap();
    match until_end(&events, job).1 {
        JobEvent::Finished { proposal, .. } => {
            let ranges: Vec<TimeRange> = proposal
                .items
                .iter()
                .map(|i| match &i.kind {
                    ProposalKind::Marker(m) => m.range,
                    k => panic!("{k:?}"),
                })
                .collect();
            assert_eq!(ranges, [TimeRange::from_frames(50, 10, Rate::FPS_25)]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dropping_the_scheduler_cancels_running_jobs() {
    let (r, _) = registry();
    let s = JobScheduler::with_threads(Arc::new(r), 1);
    let events = s.events();
    let job = s
        .submit("example-brightness", slow_source(), Params::default())
        .unwrap();
    let started = Instant::now();
    drop(s);
    assert!(started.elapsed() < Duration::from_secs(1));
    let all: Vec<JobEvent> = events.try_iter().collect();
    assert_eq!(all.last(), Some(&JobEvent::Cancelled { job }));
}
