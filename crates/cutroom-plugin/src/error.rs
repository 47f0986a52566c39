//! The error a plugin run ends with.

use crate::context::MediaError;
use crate::params::ParamError;
use crate::proposal::ProposalError;

/// Why a plugin run did not produce a proposal.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// The job was cancelled; not a failure.
    #[error("cancelled")]
    Cancelled,
    /// A parameter was missing, of the wrong type or out of range.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// The media could not be opened or decoded.
    #[error("media: {0}")]
    Media(#[from] MediaError),
    /// The reference clip could not be opened or decoded.
    #[error("reference {name}: {source}")]
    ReferenceMedia {
        /// The reference's name (file name).
        name: String,
        /// What went wrong.
        source: MediaError,
    },
    /// The plugin asked for media its manifest does not declare in `reads`.
    #[error("the plugin asked for {what} but its manifest does not declare it in `reads`")]
    Undeclared {
        /// What was asked for ("video", "audio", "the reference clip").
        what: &'static str,
    },
    /// The proposal the plugin built is not valid.
    #[error("invalid proposal: {0}")]
    Proposal(#[from] ProposalError),
    /// Any other failure, described by the plugin.
    #[error("{0}")]
    Failed(String),
}

impl PluginError {
    /// A plugin-specific failure with a message for the user.
    pub fn failed(message: impl Into<String>) -> PluginError {
        PluginError::Failed(message.into())
    }
}
