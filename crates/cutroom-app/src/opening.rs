//! Opening media off the UI thread.
//!
//! Opening a media file means probing it: FFmpeg reads the container header and, for many
//! formats, the first packets of every stream. That takes tens of milliseconds for a local
//! file, seconds on network storage, and blocks for as long as a pipe or a stalled mount
//! gives no data. [`MediaOpener`] does it on its own thread, one file after another in the
//! order asked, and the app picks the answers up with [`MediaOpener::try_iter`] each frame.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use cutroom_source::FfmpegSource;

/// Why a file is opened, which decides what the app does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The user opened (or dropped) the file: it goes to the bin and onto the timeline.
    File,
    /// The media of a clip of the project opened as the `n`th; ignored once another
    /// project was opened since.
    Project(u64),
}

/// One answer: the file opened, or why not.
pub struct Opened {
    /// The key clips refer to the media by.
    pub key: String,
    /// The file.
    pub path: PathBuf,
    /// Why it was opened.
    pub purpose: Purpose,
    /// The source, or the error message (which names the file).
    pub result: Result<FfmpegSource, String>,
}

struct Request {
    key: String,
    path: PathBuf,
    purpose: Purpose,
}

/// Probes media files on a thread of its own (started on the first request).
pub struct MediaOpener {
    requests: Option<Sender<Request>>,
    answers_tx: Sender<Opened>,
    answers: Receiver<Opened>,
    pending: Vec<String>,
}

impl Default for MediaOpener {
    fn default() -> Self {
        let (answers_tx, answers) = crossbeam_channel::unbounded();
        MediaOpener {
            requests: None,
            answers_tx,
            answers,
            pending: Vec::new(),
        }
    }
}

impl MediaOpener {
    /// Asks for `path` to be opened; the answer comes from [`MediaOpener::try_iter`].
    /// Never blocks.
    pub fn request(&mut self, key: &str, path: &Path, purpose: Purpose) {
        self.pending.push(key.to_string());
        let mut request = Request {
            key: key.to_string(),
            path: path.to_path_buf(),
            purpose,
        };
        // A second try starts a new thread, should the first have gone (it only ends when
        // a probe panicked).
        for _ in 0..2 {
            match self.sender().send(request) {
                Ok(()) => return,
                Err(e) => request = e.into_inner(),
            }
            self.requests = None;
        }
        let message = format!(
            "cannot open {}: no thread to open media on",
            request.path.display()
        );
        let _ = self.answers_tx.send(Opened {
            key: request.key,
            path: request.path,
            purpose,
            result: Err(message),
        });
    }

    fn sender(&mut self) -> &Sender<Request> {
        self.requests.get_or_insert_with(|| {
            let (tx, rx) = crossbeam_channel::unbounded::<Request>();
            let answers = self.answers_tx.clone();
            let spawned = std::thread::Builder::new()
                .name("cutroom-open".into())
                .spawn(move || {
                    for r in rx {
                        let result = FfmpegSource::open(&r.path).map_err(|e| e.to_string());
                        let opened = Opened {
                            key: r.key,
                            path: r.path,
                            purpose: r.purpose,
                            result,
                        };
                        if answers.send(opened).is_err() {
                            return;
                        }
                    }
                });
            if spawned.is_err() {
                // No thread: sending fails, and `request` answers with an error.
                return crossbeam_channel::bounded(0).0;
            }
            tx
        })
    }

    /// How many files are still being opened.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether the media `key` is still being opened.
    pub fn is_pending(&self, key: &str) -> bool {
        self.pending.iter().any(|k| k == key)
    }

    /// The file names of the media still being opened, in the order asked.
    pub fn pending_names(&self) -> Vec<String> {
        self.pending
            .iter()
            .map(|k| {
                Path::new(k)
                    .file_name()
                    .map_or_else(|| k.clone(), |n| n.to_string_lossy().into_owned())
            })
            .collect()
    }

    /// The answers that have arrived, in the order asked. Never blocks.
    pub fn try_iter(&mut self) -> Vec<Opened> {
        let answers: Vec<Opened> = self.answers.try_iter().collect();
        self.settle(&answers);
        answers
    }

    /// Waits up to `timeout` for the next answer. For scripts and tests; the UI never
    /// calls it.
    pub fn wait(&mut self, timeout: Duration) -> Option<Opened> {
        if self.pending.is_empty() {
            return None;
        }
        let deadline = Instant::now() + timeout;
        match self.answers.recv_deadline(deadline) {
            Ok(a) => {
                self.settle(std::slice::from_ref(&a));
                Some(a)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    fn settle(&mut self, answers: &[Opened]) {
        for a in answers {
            if let Some(i) = self.pending.iter().position(|k| *k == a.key) {
                self.pending.remove(i);
            }
        }
    }
}
