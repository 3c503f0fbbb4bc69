// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail: the signed-in mailbox's own folders and messages.

use crate::{
    dto::{MailFolder, MailMessage, MessageList},
    error::AppError,
};

#[async_trait::async_trait]
pub trait MailHandle: Send + Sync {
    /// The mailbox's folders with their counts: the special ones first (Inbox, Drafts, Sent,
    /// Archive, Junk, Trash), then the others by name, each followed by its subfolders.
    async fn folders(&self) -> Result<Vec<MailFolder>, AppError>;
    /// A page of a folder (from 0; the Inbox when `folder` is empty), newest first;
    /// `NotFound` for a folder the mailbox does not have.
    async fn messages(&self, folder: &str, page: u64) -> Result<MessageList, AppError>;
    /// A message for reading; `NotFound` for one the mailbox does not have.
    async fn message(&self, id: &str) -> Result<MailMessage, AppError>;
}
