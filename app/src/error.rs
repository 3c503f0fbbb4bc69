// SPDX-License-Identifier: AGPL-3.0-only
//! `AppError`: the error every server function returns, as it travels to the browser.
//!
//! Internal causes never cross the wire: the server logs them with an operation id and sends
//! only that id. Field errors name the form field they belong on.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session, or wrong credentials.
    #[error("please sign in")]
    Unauthorized,
    /// Signed in, but this role may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The password given with the account must be changed before anything else.
    #[error("please change your password first")]
    PasswordChangeRequired,
    /// The object does not exist, or is not visible to this actor.
    #[error("not found")]
    NotFound,
    /// A form field holds a value that cannot be accepted.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The request clashes with what exists (for example an address in use).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// Something failed on the server; the id finds the cause in the server log.
    #[error("something went wrong on our side (reference {op_id})")]
    Internal { op_id: String },
    /// The request did not reach the server function intact.
    #[error("the request could not be processed: {0}")]
    Request(String),
}

impl AppError {
    /// The form field this error belongs on, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } | AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message to show next to a field, or above the form.
    pub fn message(&self) -> String {
        match self {
            AppError::Invalid { message, .. } | AppError::Conflict { message, .. } => {
                message.clone()
            }
            other => other.to_string(),
        }
    }

    /// Builds a field error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}
