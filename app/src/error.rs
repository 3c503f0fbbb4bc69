// SPDX-License-Identifier: AGPL-3.0-only
//! `AppError`: the error every server function returns, as it travels to the browser.
//!
//! Internal causes never cross the wire: the server logs them with an operation id and sends
//! only that id. Field errors name the form field they belong on.

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, Text};
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
    /// Two-factor sign-in is required and must be turned on before anything else.
    #[error("please turn on two-factor authentication first")]
    TwoFactorRequired,
    /// The object does not exist, or is not visible to this actor.
    #[error("not found")]
    NotFound,
    /// A form field holds a value that cannot be accepted.
    #[error("{field}: {message}")]
    Invalid { field: String, message: Text },
    /// The request clashes with what exists (for example an address in use).
    #[error("{field}: {message}")]
    Conflict { field: String, message: Text },
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

    /// The message to show next to a field, or above the form, in the page's language.
    pub fn message(&self) -> String {
        self.message_in(crate::i18n::use_lang())
    }

    /// The message in a given language.
    pub fn message_in(&self, lang: Lang) -> String {
        let pick = |en: &str, it: &str| match lang {
            Lang::En => en.to_string(),
            Lang::It => it.to_string(),
        };
        match self {
            AppError::Invalid { message, .. } | AppError::Conflict { message, .. } => {
                message.get(lang).to_string()
            }
            AppError::Unauthorized => pick("Please sign in.", "Accedi per continuare."),
            AppError::Forbidden => pick(
                "You are not allowed to do this.",
                "Non hai i permessi per questa operazione.",
            ),
            AppError::PasswordChangeRequired => pick(
                "Please change your password first.",
                "Prima cambia la tua password.",
            ),
            AppError::TwoFactorRequired => pick(
                "Turn on two-factor authentication first.",
                "Prima attiva l'autenticazione a due fattori.",
            ),
            AppError::NotFound => pick("Not found.", "Non trovato."),
            AppError::Internal { op_id } => match lang {
                Lang::En => format!("Something went wrong on our side (reference {op_id})."),
                Lang::It => {
                    format!("Si è verificato un errore da parte nostra (riferimento {op_id}).")
                }
            },
            AppError::Request(cause) => match lang {
                Lang::En => format!("The request could not be processed: {cause}"),
                Lang::It => format!("Non è stato possibile elaborare la richiesta: {cause}"),
            },
        }
    }

    /// Builds a field error.
    pub fn invalid(field: &str, message: Text) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}
