// SPDX-License-Identifier: AGPL-3.0-only
//! The Mail Time Machine of the signed-in mailbox: its own mailbox as it stood each of the
//! last days, to read (never to change).

use crate::{
    dto::{MailPart, RestoreRow, TimeMachineQuery, TimeMachineView},
    error::AppError,
};

#[async_trait::async_trait]
pub trait TimeMachineHandle: Send + Sync {
    /// A day as it stood, with a folder's page and perhaps a message opened; `NotFound` for
    /// a day, folder or message the mailbox cannot be seen with.
    async fn view(&self, query: &TimeMachineQuery) -> Result<TimeMachineView, AppError>;
    /// A message's HTML body as it stood on `day`, cleaned for the reader's sandboxed frame
    /// (remote images always held back); `NotFound` when it has none.
    async fn html_body(&self, day: &str, id: &str) -> Result<String, AppError>;
    /// A message as it stood on `day`, as an `.eml` file.
    async fn source(&self, day: &str, id: &str) -> Result<MailPart, AppError>;
    /// An attachment of a message as it stood on `day`, by its place in the message.
    async fn part(&self, day: &str, id: &str, index: u32) -> Result<MailPart, AppError>;
    /// Starts bringing the mailbox back to `day`: merged (newer mail kept as it is), or
    /// exactly (newer mail moved into a `Restored after <day>` folder). Nothing is deleted.
    async fn restore(&self, day: &str, exact: bool) -> Result<RestoreRow, AppError>;
}
