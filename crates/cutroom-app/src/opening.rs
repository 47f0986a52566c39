//! Opening media off the UI thread.
//!
//! Opening a media file means probing it: FFmpeg reads the container header and, for many
//! formats, the first packets of every stream. That takes tens of milliseconds for a local
//! file, seconds on network storage, and blocks for as long as a pipe or a stalled mount
//! gives no data. [`MediaOpener`] does it on its own thread, one file after another in the
//! order asked, and the app picks the answers up with [`MediaOpener::try_iter`] each frame.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cutroom_source::FfmpegSource;

use crate::worker::Worker;

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
    worker: Worker<Request, Result<FfmpegSource, String>>,
    /// Answers made here, when no thread could take the request.
    failed: Vec<Opened>,
    pending: Vec<String>,
}

impl Default for MediaOpener {
    fn default() -> Self {
        MediaOpener {
            worker: Worker::new("cutroom-open", false, |r: &Request| {
                FfmpegSource::open(&r.path).map_err(|e| e.to_string())
            }),
            failed: Vec::new(),
            pending: Vec::new(),
        }
    }
}

fn opened(request: Request, result: Result<FfmpegSource, String>) -> Opened {
    Opened {
        key: request.key,
        path: request.path,
        purpose: request.purpose,
        result,
    }
}

impl MediaOpener {
    /// Asks for `path` to be opened; the answer comes from [`MediaOpener::try_iter`].
    /// Never blocks.
    pub fn request(&mut self, key: &str, path: &Path, purpose: Purpose) {
        self.pending.push(key.to_string());
        let request = Request {
            key: key.to_string(),
            path: path.to_path_buf(),
            purpose,
        };
        if let Err(request) = self.worker.send(request) {
            let message = format!(
                "cannot open {}: no thread to open media on",
                request.path.display()
            );
            self.failed.push(opened(request, Err(message)));
        }
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
        let mut answers = std::mem::take(&mut self.failed);
        answers.extend(self.worker.try_iter().map(|(r, a)| opened(r, a)));
        self.settle(&answers);
        answers
    }

    /// Waits up to `timeout` for the next answer. For scripts and tests; the UI never
    /// calls it.
    pub fn wait(&mut self, timeout: Duration) -> Option<Opened> {
        if self.pending.is_empty() {
            return None;
        }
        let next = if self.failed.is_empty() {
            let (r, a) = self.worker.recv_deadline(Instant::now() + timeout)?;
            opened(r, a)
        } else {
            self.failed.remove(0)
        };
        self.settle(std::slice::from_ref(&next));
        Some(next)
    }

    fn settle(&mut self, answers: &[Opened]) {
        for a in answers {
            if let Some(i) = self.pending.iter().position(|k| *k == a.key) {
                self.pending.remove(i);
            }
        }
    }
}
