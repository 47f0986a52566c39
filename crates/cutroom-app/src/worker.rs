//! [`Worker`]: a thread of its own that answers requests one after another, in the order
//! sent, for the UI thread to pick up without waiting (media probing, waveforms).

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

/// A named thread, started at the first request, that applies one function to each
/// request. Answers come back with their request.
pub struct Worker<R, A> {
    name: &'static str,
    low_priority: bool,
    work: Arc<dyn Fn(&R) -> A + Send + Sync>,
    requests: Option<Sender<R>>,
    answers_tx: Sender<(R, A)>,
    answers: Receiver<(R, A)>,
}

impl<R: Send + 'static, A: Send + 'static> Worker<R, A> {
    /// A worker thread called `name` that answers with `work`; with `low_priority` it runs
    /// at the jobs' lower priority.
    pub fn new(
        name: &'static str,
        low_priority: bool,
        work: impl Fn(&R) -> A + Send + Sync + 'static,
    ) -> Worker<R, A> {
        let (answers_tx, answers) = crossbeam_channel::unbounded();
        Worker {
            name,
            low_priority,
            work: Arc::new(work),
            requests: None,
            answers_tx,
            answers,
        }
    }

    /// Queues `request` (never blocks). A thread that has gone (it only ends when `work`
    /// panicked) is started again; the request comes back when no thread can be started.
    pub fn send(&mut self, mut request: R) -> Result<(), R> {
        for _ in 0..2 {
            match self.sender().send(request) {
                Ok(()) => return Ok(()),
                Err(e) => request = e.into_inner(),
            }
            self.requests = None;
        }
        Err(request)
    }

    fn sender(&mut self) -> &Sender<R> {
        let (name, low, work, answers) = (
            self.name,
            self.low_priority,
            self.work.clone(),
            self.answers_tx.clone(),
        );
        self.requests.get_or_insert_with(|| {
            let (tx, rx) = crossbeam_channel::unbounded::<R>();
            let spawned = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    if low {
                        crate::app::lower_own_priority();
                    }
                    for r in rx {
                        let a = work(&r);
                        if answers.send((r, a)).is_err() {
                            return;
                        }
                    }
                });
            match spawned {
                Ok(_) => tx,
                // No thread: sending on this fails.
                Err(_) => crossbeam_channel::bounded(0).0,
            }
        })
    }

    /// The answers that have arrived (never blocks).
    pub fn try_iter(&self) -> impl Iterator<Item = (R, A)> + '_ {
        self.answers.try_iter()
    }

    /// The next answer, waiting until `deadline` at most.
    pub fn recv_deadline(&self, deadline: Instant) -> Option<(R, A)> {
        self.answers.recv_deadline(deadline).ok()
    }
}
