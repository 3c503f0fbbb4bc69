// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's handle: the signed-in mailbox's own mail, as the pages show it.

use app::{
    dto::{MailAttachment, MailFolder, MailMessage, MessageList, MessageRow},
    error::AppError,
    ports::MailHandle,
};
use engine_glue::{Address, Folder, MessageSummary};

use crate::services::webmail::{MAIL_PAGE, MailScope};

pub(super) struct Mail(pub(super) MailScope);

fn folder((f, depth): (Folder, u32)) -> MailFolder {
    MailFolder {
        id: f.id,
        name: f.name,
        role: f.role.unwrap_or_default(),
        depth,
        total: f.total,
        unread: f.unread,
    }
}

/// `Name <address>`, or the bare address.
fn person(a: &Address) -> String {
    match a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("{name} <{}>", a.email),
        None => a.email.clone(),
    }
}

fn row(m: &MessageSummary) -> MessageRow {
    let sender = m.from.first();
    MessageRow {
        id: m.id.clone(),
        from: sender
            .map(|a| {
                a.name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .unwrap_or(&a.email)
                    .to_string()
            })
            .unwrap_or_default(),
        from_address: sender.map(|a| a.email.clone()).unwrap_or_default(),
        subject: m.subject.clone(),
        preview: m.preview.clone(),
        received_at: m.received_at.clone(),
        size: m.size,
        has_attachment: m.has_attachment,
        seen: m.seen,
        flagged: m.flagged,
        answered: m.answered,
    }
}

#[async_trait::async_trait]
impl MailHandle for Mail {
    async fn folders(&self) -> Result<Vec<MailFolder>, AppError> {
        Ok(self.0.folders().await?.into_iter().map(folder).collect())
    }

    async fn messages(&self, folder_id: &str, page: u64) -> Result<MessageList, AppError> {
        let (found, list) = self.0.messages(folder_id, page).await?;
        Ok(MessageList {
            folder: folder(found),
            rows: list.messages.iter().map(row).collect(),
            total: list.total,
            page,
            pages: list.total.div_ceil(MAIL_PAGE).max(1),
        })
    }

    async fn message(&self, id: &str) -> Result<MailMessage, AppError> {
        let m = self.0.message(id).await?;
        let people = |list: &[Address]| list.iter().map(person).collect();
        Ok(MailMessage {
            row: row(&m.summary),
            folders: m.summary.folders.clone(),
            to: people(&m.to),
            cc: people(&m.cc),
            reply_to: people(&m.reply_to),
            sent_at: m.summary.sent_at.clone().unwrap_or_default(),
            message_id: m.message_id.clone().unwrap_or_default(),
            text: m.text.clone(),
            has_html: m.html.is_some(),
            truncated: m.truncated,
            attachments: m
                .attachments
                .iter()
                .filter(|a| !a.inline)
                .map(|a| MailAttachment {
                    blob_id: a.blob_id.clone(),
                    name: a.name.clone().unwrap_or_default(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                })
                .collect(),
        })
    }
}
