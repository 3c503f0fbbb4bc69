// SPDX-License-Identifier: AGPL-3.0-only
//! A manager's delegates: people it lets read some archives of its domains, until a day and
//! within a window of dates; and the log of what they read.

use crate::{
    dto::{DelegatesView, ReadsPage},
    error::AppError,
};

/// What a manager gives a delegate, as its form posts it. Dates are `YYYY-MM-DD`; an empty
/// window bound is open.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DelegateForm {
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub expires_on: String,
    pub window_from: String,
    pub window_to: String,
    /// The archives (their ids).
    pub archives: Vec<String>,
}

#[async_trait::async_trait]
pub trait DelegatesHandle: Send + Sync {
    /// The manager's delegates and the archives it may give them.
    async fn list(&self) -> Result<DelegatesView, AppError>;
    /// Creates a delegate and e-mails its credentials; returns where they were sent.
    async fn create(&self, form: &DelegateForm) -> Result<String, AppError>;
    /// Changes a delegate's name, e-mail, expiry, window and archives (not its login).
    async fn update(&self, login: &str, form: &DelegateForm) -> Result<(), AppError>;
    /// Deletes a delegate (its reads stay in the log); `confirm` must repeat its login.
    async fn delete(&self, login: &str, confirm: &str) -> Result<(), AppError>;
    /// E-mails a delegate a new password, to be changed at its next sign-in; returns where.
    async fn reset_password(&self, login: &str) -> Result<String, AppError>;
    /// A page of what the manager's delegates read (of one, when `login` is not empty).
    async fn reads(&self, login: &str, page: u64) -> Result<ReadsPage, AppError>;
}
