// SPDX-License-Identifier: AGPL-3.0-only
//! The Mail Time Machine's handle: the signed-in mailbox as it stood on a day, as the
//! webmail-like, read-only pages show it.

use std::collections::HashMap;

use app::{
    dto::{
        MailAttachment, MailFolder, MailMessage, MailPart, MessageList, MessageRow, RestoreRow,
        TimeMachineQuery, TimeMachineView,
    },
    error::AppError,
    i18n::Text,
    ports::TimeMachineHandle,
};
use chrono::NaiveDate;
use engine_glue::Folder;

use super::mail::{PREVIEW_CHARS, file_name, shortened};
use crate::{
    mail_html::{self, OWN_PREFIX, Policy, Remote},
    services::{
        kept_mail::{self, ReadCopy},
        restore::RestoreMode,
        time_machine::{DayFolder, DayMessage, TimeMachineView as Scope},
        webmail::ordered,
    },
};

/// Messages a page lists.
const PAGE: u64 = 50;

pub(super) struct TimeMachine<'a>(pub(super) Scope<'a>);

fn day_of(text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            "day",
            Text::new(
                "Choose one of the days listed.",
                "Scegli uno dei giorni elencati.",
            ),
        )
    })
}

fn id_of(text: &str) -> Result<i32, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// `Name` of `Name <address>`, or the address.
pub(super) fn sender_name(sender: &str) -> (String, String) {
    match sender.rsplit_once(" <") {
        Some((name, address)) => (name.to_string(), address.trim_end_matches('>').to_string()),
        None => (sender.to_string(), sender.to_string()),
    }
}

fn row(m: &DayMessage, has_attachment: bool) -> MessageRow {
    let (from, from_address) = sender_name(&m.sender);
    MessageRow {
        id: m.id.to_string(),
        from,
        from_address,
        subject: m.subject.clone(),
        preview: shortened(&m.preview, PREVIEW_CHARS),
        received_at: m
            .received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        size: m.size,
        has_attachment,
        seen: m.seen,
        flagged: m.flagged,
        answered: m.answered,
        thread_size: 0,
    }
}

/// The folders in the webmail's order, with their depths.
fn folders(list: Vec<DayFolder>) -> Vec<MailFolder> {
    let list = list
        .into_iter()
        .map(|f| Folder {
            id: f.id,
            name: f.name,
            role: f.role,
            parent_id: f.parent_id,
            sort_order: f.sort_order,
            total: f.messages,
            unread: f.unread,
        })
        .collect();
    ordered(list)
        .into_iter()
        .map(|(f, depth)| MailFolder {
            id: f.id,
            name: f.name,
            role: f.role.unwrap_or_default(),
            depth,
            total: f.total,
            unread: f.unread,
        })
        .collect()
}

/// A kept message's HTML cleaned for its frame: its own images from the day's part
/// addresses, remote ones always held back.
fn cleaned(day: &str, id: i32, copy: &ReadCopy, html: &str) -> mail_html::Clean {
    kept_html(&format!("time-machine/{day}/{id}"), copy, html)
}

/// A kept message's HTML cleaned for its frame, its own images from `<base>/parts/<n>`
/// under the webmail's own prefix, remote ones always held back.
pub(super) fn kept_html(base: &str, copy: &ReadCopy, html: &str) -> mail_html::Clean {
    let parts: HashMap<String, String> = copy
        .attachments
        .iter()
        .filter_map(|a| {
            Some((
                a.content_id.clone()?,
                format!("{OWN_PREFIX}{base}/parts/{}", a.index),
            ))
        })
        .collect();
    mail_html::clean(
        html,
        Policy {
            parts,
            remote: Remote::Blocked,
        },
    )
}

/// A part the HTML shows by its content id.
pub(super) fn shown_in_place(copy: &ReadCopy, part: &kept_mail::KeptPart) -> bool {
    match (&copy.html, &part.content_id) {
        (Some(html), Some(cid)) => html
            .to_ascii_lowercase()
            .contains(&format!("cid:{}", cid.to_ascii_lowercase())),
        _ => false,
    }
}

impl TimeMachine<'_> {
    async fn read(&self, day: &str, id: &str) -> Result<(DayMessage, Vec<u8>, ReadCopy), AppError> {
        let (message, bytes) = self.0.open(day_of(day)?, id_of(id)?).await?;
        let copy = kept_mail::read(&bytes).unwrap_or_default();
        Ok((message, bytes, copy))
    }
}

#[async_trait::async_trait]
impl TimeMachineHandle for TimeMachine<'_> {
    async fn view(&self, query: &TimeMachineQuery) -> Result<TimeMachineView, AppError> {
        let days = self.0.days().await?;
        let mut view = TimeMachineView {
            days: days
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect(),
            kept_days: self.0.kept_days(),
            day: String::new(),
            taken_at: String::new(),
            folders: Vec::new(),
            list: None,
            message: None,
            restore_price_cents: self.0.restore_price_cents(),
            restores: self
                .0
                .restores()
                .await?
                .into_iter()
                .map(restore_row)
                .collect(),
        };
        let day = match query.day.trim() {
            "" => match days.first() {
                Some(newest) => *newest,
                None => return Ok(view),
            },
            text => day_of(text)?,
        };
        view.day = day.format("%Y-%m-%d").to_string();
        view.folders = folders(self.0.folders(day).await?);
        view.taken_at = self
            .0
            .taken_at(day)
            .await?
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let shown = view
            .folders
            .iter()
            .find(|f| match query.folder.as_str() {
                "" => f.role == "inbox",
                id => f.id == id,
            })
            .or(view.folders.first())
            .cloned()
            .ok_or(AppError::NotFound)?;
        if !query.folder.is_empty() && shown.id != query.folder {
            return Err(AppError::NotFound);
        }
        let q = query.q.trim();
        let words = (!q.is_empty()).then_some(q);
        let (messages, total) = self
            .0
            .messages(day, &shown.id, words, query.page.saturating_mul(PAGE), PAGE)
            .await?;
        view.list = Some(MessageList {
            folder: shown,
            rows: messages.iter().map(|m| row(m, false)).collect(),
            total,
            page: query.page,
            pages: total.div_ceil(PAGE).max(1),
            query: q.to_string(),
        });
        if !query.open.is_empty() {
            let (message, _, copy) = self.read(&view.day, &query.open).await?;
            let remote_images = copy
                .html
                .as_deref()
                .map(|html| cleaned(&view.day, message.id, &copy, html).blocked_images)
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
            let attachments: Vec<MailAttachment> = copy
                .attachments
                .iter()
                .filter(|a| !shown_in_place(&copy, a))
                .map(|a| MailAttachment {
                    blob_id: a.index.to_string(),
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                })
                .collect();
            view.message = Some(MailMessage {
                row: row(&message, !attachments.is_empty()),
                folders: message.folders.clone(),
                to: copy.to.clone(),
                cc: copy.cc.clone(),
                reply_to: copy.reply_to.clone(),
                sent_at: copy.sent_at.clone().unwrap_or_default(),
                message_id: copy.message_id.clone().unwrap_or_default(),
                text: copy.text.clone(),
                has_html: copy.html.is_some(),
                remote_images,
                truncated: copy.truncated,
                attachments,
                images_always: false,
                conversation: Vec::new(),
            });
        }
        Ok(view)
    }

    async fn html_body(&self, day: &str, id: &str) -> Result<String, AppError> {
        let (message, _, copy) = self.read(day, id).await?;
        let html = copy.html.as_deref().ok_or(AppError::NotFound)?;
        Ok(cleaned(day, message.id, &copy, html).html)
    }

    async fn source(&self, day: &str, id: &str) -> Result<MailPart, AppError> {
        let (message, bytes, _) = self.read(day, id).await?;
        Ok(MailPart {
            name: format!("{}.eml", file_name(&message.subject, "message")),
            media_type: "message/rfc822".into(),
            data: bytes,
        })
    }

    async fn restore(&self, day: &str, exact: bool) -> Result<RestoreRow, AppError> {
        let mode = if exact {
            RestoreMode::Exact
        } else {
            RestoreMode::Merge
        };
        Ok(restore_row(self.0.restore(day_of(day)?, mode).await?))
    }

    async fn part(&self, day: &str, id: &str, index: u32) -> Result<MailPart, AppError> {
        let (_, bytes, _) = self.read(day, id).await?;
        let (name, media_type, data) = kept_mail::part(&bytes, index).ok_or(AppError::NotFound)?;
        Ok(MailPart {
            name: file_name(&name, "attachment"),
            media_type,
            data,
        })
    }
}

pub(super) fn restore_row(r: crate::db::tm_restore::Model) -> RestoreRow {
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    RestoreRow {
        id: r.id,
        day: r.day.format("%Y-%m-%d").to_string(),
        exact: r.exact,
        state: r.state,
        total: count(r.total),
        done: count(r.done),
        restored: count(r.restored),
        changed: count(r.changed),
        moved: count(r.moved),
        price_cents: r.price_cents,
        created_at: r
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        error: r.error.unwrap_or_default(),
    }
}
