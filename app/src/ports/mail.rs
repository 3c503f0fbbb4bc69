// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail: the signed-in mailbox's own folders and messages.

use crate::{
    dto::{
        AttachedFile, ComposeForm, ComposeStart, FilterForm, IdentityForm, MailFolder, MailMessage,
        MailPart, MailQuota, MailRulesView, MailSettingsView, MessageList, ReadingForm,
        SendOutcome, VacationForm,
    },
    error::AppError,
};

#[async_trait::async_trait]
pub trait MailHandle: Send + Sync {
    /// The mailbox's folders with their counts: the special ones first (Inbox, Drafts, Sent,
    /// Archive, Junk, Trash), then the others by name, each followed by its subfolders.
    async fn folders(&self) -> Result<Vec<MailFolder>, AppError>;
    /// A page of a folder (from 0; the Inbox when `folder` is empty), newest first, or of
    /// what the search `q` finds (words and operators such as `from:`, `has:attachment`,
    /// `in:`); `NotFound` for a folder the mailbox does not have.
    async fn messages(&self, folder: &str, page: u64, q: &str) -> Result<MessageList, AppError>;
    /// A message for reading; `NotFound` for one the mailbox does not have.
    async fn message(&self, id: &str) -> Result<MailMessage, AppError>;
    /// A message's HTML body, cleaned for the reader's sandboxed frame (never for the page
    /// itself): remote images held back, or through Casella's image proxy when `images`.
    /// `NotFound` for a message the mailbox does not have or one without HTML.
    async fn html_body(&self, id: &str, images: bool) -> Result<String, AppError>;
    /// A part of a message (an attachment or an inline image) by its blob id; `NotFound`
    /// unless the message is the mailbox's and has that part.
    async fn part(&self, id: &str, blob_id: &str) -> Result<MailPart, AppError>;
    /// The whole message as it arrived, as an `.eml` file.
    async fn source(&self, id: &str) -> Result<MailPart, AppError>;
    /// Applies `action` (`read`, `unread`, `flag`, `unflag`, `delete`, `spam`, `not-spam`,
    /// `move` into `to`) to messages listed in `folder`; how many changed. `delete` moves to
    /// the Trash, and from the Trash or Junk deletes for good.
    async fn act(
        &self,
        ids: &[String],
        folder: &str,
        action: &str,
        to: &str,
    ) -> Result<u32, AppError>;
    /// Deletes everything in the Trash for good; how many went.
    async fn empty_trash(&self) -> Result<u32, AppError>;
    /// Creates a folder at the top (empty `parent`) or under another; its id.
    async fn create_folder(&self, name: &str, parent: &str) -> Result<String, AppError>;
    /// Renames a folder of the mailbox's own (not a special one).
    async fn rename_folder(&self, id: &str, name: &str) -> Result<(), AppError>;
    /// Deletes an empty folder of the mailbox's own.
    async fn delete_folder(&self, id: &str) -> Result<(), AppError>;
    /// A message to write: `new`, or `reply`, `reply-all`, `forward`, `forward-attached` of
    /// the message `id`, or
    /// the draft `id` taken up again; `NotFound` for a message the mailbox does not have.
    async fn start_compose(&self, mode: &str, id: &str) -> Result<ComposeStart, AppError>;
    /// Keeps a message being written as a draft (replacing its earlier version); its id.
    async fn save_draft(&self, form: &ComposeForm) -> Result<String, AppError>;
    /// Sends a message: kept as a draft first, so a refusal loses nothing.
    async fn send(&self, form: &ComposeForm) -> Result<SendOutcome, AppError>;
    /// Throws a draft away for good.
    async fn discard_draft(&self, id: &str) -> Result<(), AppError>;
    /// Keeps a file for a message being written (an attachment); what the form then holds.
    async fn upload(
        &self,
        name: &str,
        media_type: &str,
        data: &[u8],
    ) -> Result<AttachedFile, AppError>;
    /// How much of its quota the mailbox uses.
    async fn quota(&self) -> Result<MailQuota, AppError>;
    /// The mailbox's vacation reply and filters.
    async fn rules(&self) -> Result<MailRulesView, AppError>;
    /// Replaces the vacation reply.
    async fn save_vacation(&self, vacation: &VacationForm) -> Result<(), AppError>;
    /// Adds a filter after the others.
    async fn add_filter(&self, filter: &FilterForm) -> Result<(), AppError>;
    /// Removes the filter at `index` (from 0, as listed).
    async fn remove_filter(&self, index: u32) -> Result<(), AppError>;
    /// The webmail's settings: sender names and signatures, how the list reads, the senders
    /// whose images are always shown.
    async fn settings(&self) -> Result<MailSettingsView, AppError>;
    /// Changes the name and signature of one of the mailbox's sender addresses.
    async fn save_identity(&self, identity: &IdentityForm) -> Result<(), AppError>;
    /// Changes how the list reads.
    async fn save_reading(&self, reading: &ReadingForm) -> Result<(), AppError>;
    /// Always shows the remote images of mail from `address`.
    async fn trust_images(&self, address: &str) -> Result<(), AppError>;
    /// Stops always showing the remote images of mail from `address`.
    async fn forget_images(&self, address: &str) -> Result<(), AppError>;
    /// Recipients to suggest for what was typed in a recipient field.
    async fn suggestions(&self, typed: &str) -> Result<Vec<String>, AppError>;
}
