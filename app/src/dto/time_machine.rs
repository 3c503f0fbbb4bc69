// SPDX-License-Identifier: AGPL-3.0-only
//! The Mail Time Machine's wire types: a day as it stood, restores, the operator's view.

use serde::{Deserialize, Serialize};

use super::{MailFolder, MailMessage, MessageList};

/// Which part of the Mail Time Machine to show: a day, a folder of it, a page, a search, a
/// message opened. Empty fields mean the newest day, its Inbox, the first page, no search,
/// nothing opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeMachineQuery {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub folder: String,
    pub page: u64,
    pub q: String,
    /// The message opened (its id in that day's list).
    pub open: String,
}

/// The signed-in mailbox as it stood at 00:00 of a day: read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeMachineView {
    /// The days it can be seen as it stood (`YYYY-MM-DD`), newest first; empty until the
    /// first snapshot.
    pub days: Vec<String>,
    /// How many days are kept.
    pub kept_days: u32,
    /// The day shown; empty when there is none.
    pub day: String,
    /// When that day's snapshot was taken (RFC 3339, UTC): at 00:00, or later when an
    /// operator took it again.
    pub taken_at: String,
    /// Every folder of that day, subscribed or not, in the webmail's order.
    pub folders: Vec<MailFolder>,
    /// The folder's page (or what the search found in it).
    pub list: Option<MessageList>,
    /// The message opened.
    pub message: Option<MailMessage>,
    /// What bringing the mailbox back to a day costs (cents; 0 = free).
    pub restore_price_cents: i64,
    /// The mailbox's latest restores, newest first.
    pub restores: Vec<RestoreRow>,
}

/// A mailbox brought back to a day: asked for, running, or done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRow {
    pub id: i32,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Exact rollback (newer mail moved aside) rather than a merge.
    pub exact: bool,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub total: u32,
    pub done: u32,
    /// Messages put back, given back their folders and flags, moved aside.
    pub restored: u32,
    pub changed: u32,
    pub moved: u32,
    pub price_cents: i64,
    /// When it was asked for (RFC 3339, UTC).
    pub created_at: String,
    pub error: String,
}

/// A day's snapshot of every mailbox, as the operator's monitor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// When it was taken (RFC 3339, UTC).
    pub taken_at: String,
    /// It ran to its end (otherwise it is taken again at the next start).
    pub finished: bool,
    pub mailboxes: u32,
    pub changed: u32,
    pub failed: u32,
    pub bytes_added: u64,
    /// Interval rows opened, closed or replaced (a changed message: one closed, one
    /// opened; an unchanged mailbox: none).
    pub rows_written: u64,
}

/// The Mail Time Machine as the operator sees it: the days kept and what they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotStatus {
    pub days: Vec<SnapshotRow>,
    pub kept_days: u32,
    /// Messages in the content store (each once, however many days hold it), and their
    /// bytes.
    pub objects: u64,
    pub bytes: u64,
    /// The latest restores users asked for, newest first, with what each costs.
    pub restores: Vec<MonitorRestore>,
}

/// A restore as the operator's monitor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorRestore {
    pub mailbox: String,
    pub row: RestoreRow,
}
