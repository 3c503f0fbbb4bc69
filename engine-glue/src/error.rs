// SPDX-License-Identifier: AGPL-3.0-only
//! `GlueError`: what can go wrong between the panel and the engine, in the product's terms.

use std::path::Path;

/// An engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GlueError {
    /// The engine configuration could not be built or was refused by the engine.
    #[error("engine configuration: {reason}")]
    Config { reason: String },
    /// A file in the engine's data folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The engine started but refused part of its configuration (a port in use, a store that
    /// did not open).
    #[error("engine did not start: {}", .problems.join("; "))]
    Boot { problems: Vec<String> },
    /// The object to create exists already (a domain, or an address in use by any account).
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    /// The object does not exist in the engine.
    #[error("{what} not found")]
    NotFound { what: String },
    /// The engine refused the request as invalid.
    #[error("invalid request: {reason}")]
    Invalid { reason: String },
    /// The engine's mail store refused a change for a reason of its own (JMAP's set error:
    /// `kind` such as `mailboxHasEmail` or `invalidProperties`, and its description).
    #[error("refused ({kind}): {reason}")]
    Refused { kind: String, reason: String },
    /// A secret could not be hashed or was not in the expected form.
    #[error("secret: {reason}")]
    Secret { reason: String },
    /// The engine failed while carrying out the request.
    #[error("engine error: {reason}")]
    Engine { reason: String },
}

impl GlueError {
    /// The engine's configuration errors (key → error), sorted, as one error; `None` when
    /// there are none.
    pub(crate) fn from_config_errors<K: std::fmt::Display, E: std::fmt::Debug>(
        errors: impl IntoIterator<Item = (K, E)>,
    ) -> Option<GlueError> {
        let mut problems: Vec<String> = errors
            .into_iter()
            .map(|(key, err)| format!("{key}: {err:?}"))
            .collect();
        problems.sort();
        (!problems.is_empty()).then_some(GlueError::Boot { problems })
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        GlueError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
