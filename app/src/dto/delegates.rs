// SPDX-License-Identifier: AGPL-3.0-only
//! Delegates' wire types: a manager's delegates, the archives it may give them, and the log of
//! what they read.

use serde::{Deserialize, Serialize};

/// An archive one may choose (a manager giving it, a delegate reading it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveChoice {
    pub id: String,
    /// The archived mailbox's address.
    pub address: String,
    /// It captures now (an archive switched off keeps what it holds).
    pub active: bool,
}

/// A delegate as its manager sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegateRow {
    pub login: String,
    pub display_name: String,
    pub email: String,
    /// `YYYY-MM-DD`: the last day of its access.
    pub expires_on: String,
    /// Past its last day.
    pub expired: bool,
    /// The days of the messages it may see (`YYYY-MM-DD`, empty for an open end).
    pub window_from: String,
    pub window_to: String,
    pub archives: Vec<ArchiveChoice>,
    /// It has not signed in and changed its password yet.
    pub must_change_password: bool,
    pub created_at: String,
}

/// The manager's delegates page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatesView {
    pub delegates: Vec<DelegateRow>,
    /// The archives of the manager's domains.
    pub archives: Vec<ArchiveChoice>,
    /// `YYYY-MM-DD`, for the expiry's default and minimum.
    pub today: String,
}

/// One read of an archived message by a delegate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveReadRow {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
    pub reader: String,
    pub reader_name: String,
    /// `read`, `download`, `attachment` or `zip`.
    pub action: String,
    pub subject: String,
    pub message_id: String,
    /// The archived mailbox's address.
    pub address: String,
    pub ip: String,
}

/// A page of the read log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadsPage {
    pub rows: Vec<ArchiveReadRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}
