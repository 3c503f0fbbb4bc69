// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's handle: the signed-in mailbox's archive, or a delegate's archives, as the
//! webmail-like, read-only pages show them. Every read goes through the reach
//! (`services::archive_view`), which keeps a delegate inside its window and logs its reads.

use app::{
    dto::{
        ArchiveChoice, ArchiveQuery, ArchiveReadRow, ArchiveView, MailAttachment, MailFolder,
        MailMessage, MailPart, MessageList, MessageRow, ReadsPage,
    },
    error::AppError,
    i18n::Text,
    ports::{ArchiveHandle, MAX_ZIP},
};
use chrono::NaiveDate;

use super::{
    mail::{PREVIEW_CHARS, file_name, shortened},
    time_machine::{kept_html, sender_name, shown_in_place},
};
use crate::{
    db::{archive, archive_message, archive_read},
    services::{
        ServiceError,
        archive::Direction,
        archive_view::{ArchiveReach, ArchiveSearch, Use},
        delegates::READS_PAGE,
        kept_mail::{self, ReadCopy},
    },
};

/// Messages a page lists.
const PAGE: u64 = 50;

pub(super) fn choice(a: &archive::Model) -> ArchiveChoice {
    ArchiveChoice {
        id: a.id.to_string(),
        address: a.address.clone(),
        active: a.active,
    }
}

/// A read of the log, with the archived mailbox's address.
pub(super) fn read_row(r: archive_read::Model, address: &str) -> ArchiveReadRow {
    ArchiveReadRow {
        at: super::date_time(r.at),
        reader: r.reader,
        reader_name: r.reader_name,
        action: r.action,
        subject: r.subject,
        message_id: r.message_id,
        address: address.to_string(),
        ip: r.ip,
    }
}

fn day_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

pub(super) struct Archive<'a>(pub(super) ArchiveReach<'a>);

fn id_of(text: &str) -> Result<i32, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

fn date_of(field: &'static str, text: &str) -> Result<Option<NaiveDate>, AppError> {
    match text.trim() {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::invalid(
                    field,
                    Text::new(
                        "Enter a date as YYYY-MM-DD.",
                        "Inserisci una data come AAAA-MM-GG.",
                    ),
                )
            }),
    }
}

fn row(m: &archive_message::Model) -> MessageRow {
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
        size: u64::try_from(m.size).unwrap_or(0),
        has_attachment: m.has_attachment,
        seen: true,
        flagged: false,
        answered: false,
        thread_size: 0,
    }
}

fn folder(direction: Direction, total: u64) -> MailFolder {
    let (id, role) = match direction {
        Direction::In => ("in", "inbox"),
        Direction::Out => ("out", "sent"),
    };
    MailFolder {
        id: id.into(),
        name: String::new(),
        role: role.into(),
        depth: 0,
        total,
        unread: 0,
    }
}

impl Archive<'_> {
    async fn read(
        &self,
        id: &str,
        purpose: Use,
    ) -> Result<(archive_message::Model, Vec<u8>, ReadCopy), AppError> {
        let (message, bytes) = self.0.open(id_of(id)?, purpose).await?;
        let copy = kept_mail::read(&bytes).unwrap_or_default();
        Ok((message, bytes, copy))
    }
}

#[async_trait::async_trait]
impl ArchiveHandle for Archive<'_> {
    async fn view(&self, query: &ArchiveQuery) -> Result<ArchiveView, AppError> {
        let owner = self.0.is_owner();
        // A delegate sees one of its archives at a time: the one asked for, or the first.
        let shown = match query.archive.trim() {
            "" => self.0.archives().first().map(|a| a.id),
            id => Some(id_of(id)?),
        };
        let reach = match shown {
            Some(id) => self.0.only(id)?,
            None => self.0.clone(),
        };
        let kept = reach.archives().first().cloned();
        let (window_from, window_to) = reach.window();
        let mut view = ArchiveView {
            exists: kept.is_some(),
            active: kept.as_ref().is_some_and(|a| a.active),
            retention_years: kept
                .as_ref()
                .map_or(0, |a| u32::try_from(a.retention_years).unwrap_or(0)),
            received: 0,
            sent: 0,
            list: None,
            more: false,
            message: None,
            query: query.clone(),
            owner,
            archives: if owner {
                Vec::new()
            } else {
                self.0.archives().iter().map(choice).collect()
            },
            archive: kept.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
            expires_on: day_text(reach.expires_on()),
            window_from: day_text(window_from),
            window_to: day_text(window_to),
            reads: None,
            reads_total: 0,
        };
        let Some(kept) = kept else {
            return Ok(view);
        };
        if owner {
            let page = query.page;
            let (rows, total) = if query.folder == "reads" {
                reach
                    .reads(page.saturating_mul(READS_PAGE), READS_PAGE)
                    .await?
            } else {
                (Vec::new(), reach.reads_count().await?)
            };
            view.reads_total = total;
            if query.folder == "reads" {
                view.reads = Some(ReadsPage {
                    rows: rows
                        .into_iter()
                        .map(|r| read_row(r, &kept.address))
                        .collect(),
                    total,
                    page,
                    pages: total.div_ceil(READS_PAGE).max(1),
                });
                (view.received, view.sent) = reach.counts().await?;
                return Ok(view);
            }
        }
        (view.received, view.sent) = reach.counts().await?;
        let direction = match query.folder.as_str() {
            "" | "in" => Direction::In,
            "out" => Direction::Out,
            _ => return Err(AppError::NotFound),
        };
        let search = ArchiveSearch {
            direction: Some(direction),
            from: query.from.trim().to_string(),
            to: query.to.trim().to_string(),
            subject: query.subject.trim().to_string(),
            text: query.q.trim().to_string(),
            after: date_of("after", &query.after)?,
            before: date_of("before", &query.before)?,
            offset: query.page.saturating_mul(PAGE),
            limit: PAGE,
        };
        let page = reach.search(&search).await?;
        let total = if query.is_search() {
            page.total
        } else {
            match direction {
                Direction::In => view.received,
                Direction::Out => view.sent,
            }
        };
        view.more = page.more;
        view.list = Some(MessageList {
            folder: folder(direction, total),
            rows: page.rows.iter().map(row).collect(),
            total,
            page: query.page,
            pages: total.div_ceil(PAGE).max(1),
            query: query.q.trim().to_string(),
        });
        if !query.open.is_empty() {
            let (message, _, copy) = self.read(&query.open, Use::Read).await?;
            let base = format!("archive/{}", message.id);
            let remote_images = copy
                .html
                .as_deref()
                .map(|html| kept_html(&base, &copy, html).blocked_images)
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
                row: row(&message),
                folders: vec![message.direction.clone()],
                to: if copy.to.is_empty() {
                    message.recipients.split(' ').map(str::to_string).collect()
                } else {
                    copy.to.clone()
                },
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

    async fn html_body(&self, id: &str) -> Result<String, AppError> {
        let (message, _, copy) = self.read(id, Use::Read).await?;
        let html = copy.html.as_deref().ok_or(AppError::NotFound)?;
        Ok(kept_html(&format!("archive/{}", message.id), &copy, html).html)
    }

    async fn source(&self, id: &str) -> Result<MailPart, AppError> {
        let (message, bytes, _) = self.read(id, Use::Download).await?;
        Ok(MailPart {
            name: format!("{}.eml", file_name(&message.subject, "message")),
            media_type: "message/rfc822".into(),
            data: bytes,
        })
    }

    async fn part(&self, id: &str, index: u32) -> Result<MailPart, AppError> {
        let (_, bytes, _) = self.read(id, Use::Attachment).await?;
        let (name, media_type, data) = kept_mail::part(&bytes, index).ok_or(AppError::NotFound)?;
        Ok(MailPart {
            name: file_name(&name, "attachment"),
            media_type,
            data,
        })
    }

    async fn zip(&self, ids: &[String]) -> Result<MailPart, AppError> {
        if ids.is_empty() || ids.len() > MAX_ZIP {
            return Err(AppError::invalid(
                "ids",
                Text::new(
                    format!("Choose from 1 to {MAX_ZIP} messages."),
                    format!("Scegli da 1 a {MAX_ZIP} messaggi."),
                ),
            ));
        }
        let mut files = Vec::with_capacity(ids.len());
        for id in ids {
            let (message, bytes) = self.0.open(id_of(id)?, Use::Zip).await?;
            files.push((message, bytes));
        }
        let data = tokio::task::spawn_blocking(move || zipped(&files))
            .await
            .map_err(|err| ServiceError::Internal(err.to_string()))??;
        Ok(MailPart {
            name: "archive.zip".into(),
            media_type: "application/zip".into(),
            data,
        })
    }

    async fn put_back(&self, id: &str) -> Result<(), AppError> {
        self.0.put_back(id_of(id)?).await?;
        Ok(())
    }
}

/// The messages as `.eml` files in a zip, each named by its arrival and subject (made unique).
fn zipped(files: &[(archive_message::Model, Vec<u8>)]) -> Result<Vec<u8>, ServiceError> {
    use std::io::Write;
    let failed = |err: &dyn std::fmt::Display| ServiceError::Internal(format!("zip: {err}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut names = std::collections::HashSet::new();
    for (message, bytes) in files {
        let stem = format!(
            "{} {}",
            message.received_at.format("%Y-%m-%d %H%M"),
            file_name(&message.subject, "message")
        );
        let mut name = format!("{stem}.eml");
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{stem} ({n}).eml");
        }
        zip.start_file(name, options).map_err(|e| failed(&e))?;
        zip.write_all(bytes).map_err(|e| failed(&e))?;
    }
    Ok(zip.finish().map_err(|e| failed(&e))?.into_inner())
}
