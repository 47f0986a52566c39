//! The Cutroom plugin host.
//!
//! - [`Registry`]: the plugins this build knows ([`builtin::plugins`] plus any registered at
//!   run time), listed by manifest and found by id.
//! - [`JobScheduler`]: runs plugins on a pool of worker threads; each job has a cancel token
//!   and reports [`JobEvent`]s (queued, started, progress, log, finished, failed, cancelled)
//!   on a channel the UI drains without blocking. A plugin that panics or errs fails only
//!   its own job.
//! - [`Document`]: a project with an undo/redo stack; [`Document::apply_proposal`] applies
//!   the selected items of a proposal as one undoable command and autosaves.

pub mod apply;
pub mod builtin;
pub mod document;
pub mod export;
pub mod registry;
pub mod scheduler;

pub use apply::{ApplyError, Target};
pub use document::{Command, Document, EditError};
pub use registry::{Registry, RegistryError};
pub use scheduler::{JobEvent, JobId, JobScheduler, SubmitError};
