// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's wire types: a mailbox's archive as its owner reads it.

use serde::{Deserialize, Serialize};

use super::{ArchiveChoice, MailMessage, MessageList, ReadsPage};

/// Which part of the archive to show: a folder (`in`, "Posta in arrivo", the default, or
/// `out`, "Posta inviata"; for the owner also `reads`, what its delegates read), a page, a
/// search, a message opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArchiveQuery {
    pub folder: String,
    pub page: u64,
    /// Words of the sender, of the recipients, of the subject, anywhere.
    pub from: String,
    pub to: String,
    pub subject: String,
    pub q: String,
    /// `YYYY-MM-DD`, both included; empty for no bound.
    pub after: String,
    pub before: String,
    /// The message opened (its id in the archive).
    pub open: String,
    /// The archive shown, among a delegate's (its id; empty for the first).
    pub archive: String,
}

impl ArchiveQuery {
    /// Whether any search field is filled.
    pub fn is_search(&self) -> bool {
        [
            &self.from,
            &self.to,
            &self.subject,
            &self.q,
            &self.after,
            &self.before,
        ]
        .iter()
        .any(|f| !f.trim().is_empty())
    }
}

/// An archive, read-only: the owner's own mailbox's, or one of a delegate's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveView {
    /// The mailbox has an archive (switched on now or earlier).
    pub exists: bool,
    /// It captures now.
    pub active: bool,
    pub retention_years: u32,
    /// Messages received and sent it holds.
    pub received: u64,
    pub sent: u64,
    /// The folder's page (or what the search found in it).
    pub list: Option<MessageList>,
    /// More matched than the search counts.
    pub more: bool,
    pub message: Option<MailMessage>,
    /// The query shown, as understood.
    pub query: ArchiveQuery,
    /// The reader is the mailbox's owner (who may put messages back and sees who read them);
    /// otherwise a delegate.
    pub owner: bool,
    /// A delegate's archives, and the one shown.
    pub archives: Vec<ArchiveChoice>,
    pub archive: String,
    /// A delegate's last day of access and window (`YYYY-MM-DD`, empty for an open end).
    pub expires_on: String,
    pub window_from: String,
    pub window_to: String,
    /// The owner's folder "reads": what delegates read, and how many reads there are.
    pub reads: Option<ReadsPage>,
    pub reads_total: u64,
}
