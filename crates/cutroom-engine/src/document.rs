//! An open project with undo/redo and autosave.
//!
//! Every change goes through [`Document::execute`] as a [`Command`] that records the edited
//! timeline before and after, so undo and redo restore exact states. After each command,
//! undo and redo the project is saved atomically to the recovery file, if one is set, so a
//! crash loses at most the edit in progress.

use std::path::{Path, PathBuf};

use cutroom_plugin::Proposal;
use cutroom_timeline::{project_file, FormatError, Project, Timeline};

use crate::apply::{apply_to_timeline, ApplyError, Target};

/// One undoable change to one timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// What the change was, for the Edit menu ("Apply example-brightness: 3 items").
    pub label: String,
    /// Index of the timeline changed.
    pub timeline: usize,
    before: Timeline,
    after: Timeline,
}

/// Why an edit was refused. The project is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// Applying a proposal failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

/// A project being edited, with its undo and redo stacks.
#[derive(Debug)]
pub struct Document {
    project: Project,
    undo: Vec<Command>,
    redo: Vec<Command>,
    recovery: Option<PathBuf>,
    autosave_error: Option<String>,
}

impl Document {
    /// Opens `project` for editing with empty history and no autosave.
    pub fn new(project: Project) -> Document {
        Document {
            project,
            undo: Vec::new(),
            redo: Vec::new(),
            recovery: None,
            autosave_error: None,
        }
    }

    /// Autosaves to `path` (a project file) after every command, undo and redo.
    pub fn with_autosave(mut self, path: impl Into<PathBuf>) -> Document {
        self.recovery = Some(path.into());
        self
    }

    /// The recovery file, if autosave is on.
    pub fn recovery_path(&self) -> Option<&Path> {
        self.recovery.as_deref()
    }

    /// Reads a recovery file written by autosave.
    pub fn recover(path: &Path) -> Result<Project, FormatError> {
        project_file::load(path)
    }

    /// The project in its current state.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Closes the document, returning the project.
    pub fn into_project(self) -> Project {
        self.project
    }

    /// The reason the last autosave failed, cleared by the next successful one.
    pub fn autosave_error(&self) -> Option<&str> {
        self.autosave_error.as_deref()
    }

    /// Changes timeline `timeline` with `edit` as one undoable command. `edit` works on a
    /// copy; if it fails the project is untouched and nothing is recorded.
    pub fn execute(
        &mut self,
        label: impl Into<String>,
        timeline: usize,
        edit: impl FnOnce(&mut Timeline) -> Result<(), ApplyError>,
    ) -> Result<(), EditError> {
        let before = self
            .project
            .timelines
            .get(timeline)
            .ok_or(ApplyError::NoSuchTimeline(timeline))?
            .clone();
        let mut after = before.clone();
        edit(&mut after)?;
        self.project.timelines[timeline] = after.clone();
        self.undo.push(Command {
            label: label.into(),
            timeline,
            before,
            after,
        });
        self.redo.clear();
        self.autosave();
        Ok(())
    }

    /// Applies the `selected` items of `proposal` to the clip at `target` as one undoable
    /// command (see [`crate::apply`] for what each kind of item does).
    pub fn apply_proposal(
        &mut self,
        proposal: &Proposal,
        selected: &[u32],
        target: Target,
    ) -> Result<(), EditError> {
        let label = format!(
            "Apply {}: {} item{}",
            proposal.plugin_id,
            selected.len(),
            if selected.len() == 1 { "" } else { "s" }
        );
        self.execute(label, target.timeline, |tl| {
            apply_to_timeline(tl, proposal, selected, &target)
        })
    }

    /// Undoes the last command; false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        let Some(cmd) = self.undo.pop() else {
            return false;
        };
        self.project.timelines[cmd.timeline] = cmd.before.clone();
        self.redo.push(cmd);
        self.autosave();
        true
    }

    /// Redoes the last undone command; false when there is nothing to redo.
    pub fn redo(&mut self) -> bool {
        let Some(cmd) = self.redo.pop() else {
            return false;
        };
        self.project.timelines[cmd.timeline] = cmd.after.clone();
        self.undo.push(cmd);
        self.autosave();
        true
    }

    /// Label of the command [`Document::undo`] would undo.
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|c| c.label.as_str())
    }

    /// Label of the command [`Document::redo`] would redo.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|c| c.label.as_str())
    }

    fn autosave(&mut self) {
        if let Some(path) = &self.recovery {
            self.autosave_error = project_file::save(&self.project, path)
                .err()
                .map(|e| e.to_string());
        }
    }
}
