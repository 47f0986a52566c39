//! Cutroom subtitles plugin.

pub mod layout;
pub mod rules;

pub use layout::{layout_cues, LayoutContext};
pub use rules::{check_cues, Rules, Severity, Violation, ViolationKind};
