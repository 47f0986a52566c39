//! Native file dialogs (rfd) run on their own thread, so the UI keeps drawing while the
//! user chooses; the answer arrives on a channel drained each frame.

use std::path::PathBuf;

use crossbeam_channel::{Receiver, Sender};

/// What a dialog was opened for.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogPurpose {
    /// Open media, a timeline or a project.
    Open,
    /// Choose a file for a plugin parameter.
    Param {
        /// Plugin id.
        plugin_id: String,
        /// Parameter id.
        param_id: String,
    },
    /// Export to a file.
    Export(crate::export::ExportKind),
}

/// Dialogs in flight.
pub struct Dialogs {
    tx: Sender<(DialogPurpose, PathBuf)>,
    rx: Receiver<(DialogPurpose, PathBuf)>,
}

impl Default for Dialogs {
    fn default() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Dialogs { tx, rx }
    }
}

impl Dialogs {
    /// Opens a "pick a file" dialog filtered by `filters` (`(name, extensions)`).
    pub fn open(&self, purpose: DialogPurpose, filters: Vec<(String, Vec<String>)>) {
        self.spawn(purpose, filters, None);
    }

    /// Opens a "save as" dialog proposing `file_name`.
    pub fn save(
        &self,
        purpose: DialogPurpose,
        filters: Vec<(String, Vec<String>)>,
        file_name: String,
    ) {
        self.spawn(purpose, filters, Some(file_name));
    }

    fn spawn(
        &self,
        purpose: DialogPurpose,
        filters: Vec<(String, Vec<String>)>,
        save_name: Option<String>,
    ) {
        let tx = self.tx.clone();
        let _ = std::thread::Builder::new()
            .name("cutroom-dialog".into())
            .spawn(move || {
                let mut d = rfd::FileDialog::new();
                for (name, exts) in &filters {
                    d = d.add_filter(name, exts);
                }
                let picked = match save_name {
                    Some(name) => d.set_file_name(name).save_file(),
                    None => d.pick_file(),
                };
                if let Some(p) = picked {
                    let _ = tx.send((purpose, p));
                }
            });
    }

    /// Answers that arrived since the last call.
    pub fn answers(&self) -> Vec<(DialogPurpose, PathBuf)> {
        self.rx.try_iter().collect()
    }
}
