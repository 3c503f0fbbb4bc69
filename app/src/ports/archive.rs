// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in mailbox's archive: every message it received or sent since the archive was
//! switched on, to read, download and put back (never to change).

use crate::{
    dto::{ArchiveQuery, ArchiveView, MailPart},
    error::AppError,
};

/// The most messages one `.zip` holds.
pub const MAX_ZIP: usize = 500;

#[async_trait::async_trait]
pub trait ArchiveHandle: Send + Sync {
    /// A folder's page or a search, perhaps with a message opened; `NotFound` for a message
    /// out of reach.
    async fn view(&self, query: &ArchiveQuery) -> Result<ArchiveView, AppError>;
    /// A message's HTML body, cleaned for the reader's sandboxed frame (remote images always
    /// held back); `NotFound` when it has none.
    async fn html_body(&self, id: &str) -> Result<String, AppError>;
    /// A message as an `.eml` file.
    async fn source(&self, id: &str) -> Result<MailPart, AppError>;
    /// An attachment of a message, by its place in the message.
    async fn part(&self, id: &str, index: u32) -> Result<MailPart, AppError>;
    /// Several messages as one `.zip` of `.eml` files (at most [`MAX_ZIP`]).
    async fn zip(&self, ids: &[String]) -> Result<MailPart, AppError>;
    /// Puts a message back into the mailbox (received into the Inbox, sent into Sent).
    async fn put_back(&self, id: &str) -> Result<(), AppError>;
}
