// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's handle: the signed-in mailbox's own mail, as the pages show it.

use std::collections::HashMap;

use app::{
    dto::{
        AttachedFile, ComposeForm, ComposeStart, FilterForm, FilterRow, IdentityForm,
        MailAttachment, MailFolder, MailMessage, MailPart, MailQuota, MailRulesView,
        MailSettingsView, MessageList, MessageRow, ReadingForm, RefusedRecipient, SendOutcome,
        SenderSignature, VacationForm,
    },
    error::AppError,
    ports::MailHandle,
};
use engine_glue::{Address, DraftPart, Folder, Message, MessageSummary};

use crate::{
    image_proxy,
    mail_html::{self, OWN_PREFIX, Policy, Remote},
    services::{
        ServiceError,
        compose::{Composed, Start},
        mail_rules::{Filter, FilterAction, FilterField, MailRules, Vacation},
        mail_settings::{PAGE_SIZES, Reading},
        webmail::{MailAction, MailScope, plain_id},
    },
};

fn composed(form: &ComposeForm) -> Composed {
    Composed {
        draft: form.draft.clone(),
        from: form.from.clone(),
        to: form.to.clone(),
        cc: form.cc.clone(),
        bcc: form.bcc.clone(),
        subject: form.subject.clone(),
        text: form.text.clone(),
        html: form.html.clone(),
        origin: form.origin.clone(),
        origin_kind: form.origin_kind.clone(),
        attachments: form
            .attachments
            .iter()
            .map(|a| DraftPart {
                blob_id: a.blob.clone(),
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                size: a.size,
            })
            .collect(),
    }
}

pub(crate) fn attached(part: DraftPart) -> AttachedFile {
    AttachedFile {
        blob: part.blob_id,
        name: part.name,
        media_type: part.media_type,
        size: part.size,
    }
}

fn form(c: Composed) -> ComposeForm {
    ComposeForm {
        draft: c.draft,
        from: c.from,
        to: c.to,
        cc: c.cc,
        bcc: c.bcc,
        subject: c.subject,
        text: c.text,
        html: c.html,
        origin: c.origin,
        origin_kind: c.origin_kind,
        attachments: c.attachments.into_iter().map(attached).collect(),
        files: String::new(),
    }
}

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

/// A list row's preview is one line: longer than the widest screen shows, the rest would
/// only be sent and hidden (the engine gives up to 256 characters).
pub(super) const PREVIEW_CHARS: usize = 160;

/// `text` cut to at most `max` characters, with an ellipsis when it was longer.
pub(super) fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
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
        preview: shortened(&m.preview, PREVIEW_CHARS),
        received_at: m.received_at.clone(),
        size: m.size,
        has_attachment: m.has_attachment,
        seen: m.seen,
        flagged: m.flagged,
        answered: m.answered,
        thread_size: m.thread_size,
    }
}

#[async_trait::async_trait]
impl MailHandle for Mail {
    async fn folders(&self) -> Result<Vec<MailFolder>, AppError> {
        Ok(self.0.folders().await?.into_iter().map(folder).collect())
    }

    async fn messages(&self, folder_id: &str, page: u64, q: &str) -> Result<MessageList, AppError> {
        let q = q.trim();
        let reading = self.0.reading().await?;
        let (found, list) = if q.is_empty() {
            self.0.messages(folder_id, page, reading).await?
        } else {
            self.0.search(folder_id, q, page, reading).await?
        };
        Ok(MessageList {
            folder: folder(found),
            rows: list.messages.iter().map(row).collect(),
            total: list.total,
            page,
            pages: list.total.div_ceil(reading.page_size.max(1)).max(1),
            query: q.to_string(),
        })
    }

    async fn message(&self, id: &str) -> Result<MailMessage, AppError> {
        let mut m = self.0.message(id).await?;
        // Opened is read, as in every mail program.
        if !m.summary.seen {
            self.0.mark_read(id).await?;
            m.summary.seen = true;
        }
        let people = |list: &[Address]| list.iter().map(person).collect();
        let sender = m.summary.from.first().map(|a| a.email.as_str());
        let images_always = match sender {
            Some(address) => self.0.shows_images_from(address).await?,
            None => false,
        };
        let conversation = self.0.conversation(&m).await?;
        let conversation = if conversation.len() > 1 {
            conversation.iter().map(row).collect()
        } else {
            Vec::new()
        };
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
            remote_images: m
                .html
                .as_deref()
                .map(|html| cleaned(&m, html, false).blocked_images)
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            truncated: m.truncated,
            attachments: m
                .attachments
                .iter()
                // An image the HTML shows in place is part of the message, not an attachment.
                .filter(|a| !shown_in_place(&m, a))
                .map(|a| MailAttachment {
                    blob_id: a.blob_id.clone(),
                    name: a.name.clone().unwrap_or_default(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                })
                .collect(),
            images_always,
            conversation,
        })
    }

    async fn html_body(&self, id: &str, images: bool) -> Result<String, AppError> {
        let m = self.0.message(id).await?;
        let html = m.html.as_deref().ok_or(AppError::NotFound)?;
        Ok(cleaned(&m, html, images).html)
    }

    async fn part(&self, id: &str, blob_id: &str) -> Result<MailPart, AppError> {
        let m = self.0.message(id).await?;
        let part = m
            .attachments
            .iter()
            .find(|a| a.blob_id == blob_id)
            .ok_or(AppError::NotFound)?;
        Ok(MailPart {
            name: file_name(part.name.as_deref().unwrap_or_default(), "attachment"),
            media_type: part.media_type.to_ascii_lowercase(),
            data: self.0.blob(&part.blob_id).await?,
        })
    }

    async fn source(&self, id: &str) -> Result<MailPart, AppError> {
        let m = self.0.message(id).await?;
        let name = file_name(&m.summary.subject, "message");
        Ok(MailPart {
            name: format!("{name}.eml"),
            media_type: "message/rfc822".into(),
            data: self.0.blob(&m.blob_id).await?,
        })
    }

    async fn act(
        &self,
        ids: &[String],
        folder: &str,
        action: &str,
        to: &str,
    ) -> Result<u32, AppError> {
        let action = match action {
            "read" => MailAction::Read,
            "unread" => MailAction::Unread,
            "flag" => MailAction::Flag,
            "unflag" => MailAction::Unflag,
            "delete" => MailAction::Delete,
            "spam" => MailAction::Spam,
            "not-spam" => MailAction::NotSpam,
            "move" => MailAction::MoveTo(to.to_string()),
            _ => {
                return Err(AppError::invalid(
                    "action",
                    app::i18n::Text::new("Choose an action.", "Scegli un'azione."),
                ));
            }
        };
        Ok(count(self.0.act(ids, folder, &action).await?))
    }

    async fn empty_trash(&self) -> Result<u32, AppError> {
        Ok(count(self.0.empty_trash().await?))
    }

    async fn create_folder(&self, name: &str, parent: &str) -> Result<String, AppError> {
        let parent = (!parent.is_empty()).then_some(parent);
        Ok(self.0.create_folder(name, parent).await?)
    }

    async fn rename_folder(&self, id: &str, name: &str) -> Result<(), AppError> {
        Ok(self.0.rename_folder(id, name).await?)
    }

    async fn delete_folder(&self, id: &str) -> Result<(), AppError> {
        Ok(self.0.delete_folder(id).await?)
    }

    async fn start_compose(&self, mode: &str, id: &str) -> Result<ComposeStart, AppError> {
        let start = match mode {
            "" | "new" => Start::New,
            "reply" => Start::Reply(id),
            "reply-all" => Start::ReplyAll(id),
            "forward" => Start::Forward(id),
            "forward-attached" => Start::ForwardAttached(id),
            "draft" => Start::Draft(id),
            _ => return Err(AppError::NotFound),
        };
        Ok(ComposeStart {
            form: form(self.0.start(start).await?),
            senders: self.0.sender_addresses(),
            signatures: self
                .0
                .identities()
                .await?
                .into_iter()
                .filter(|i| !i.signature.trim().is_empty())
                .map(|i| SenderSignature {
                    address: i.email,
                    signature: i.signature,
                })
                .collect(),
        })
    }

    async fn settings(&self) -> Result<MailSettingsView, AppError> {
        let reading = self.0.reading().await?;
        Ok(MailSettingsView {
            identities: self
                .0
                .identities()
                .await?
                .into_iter()
                .map(|i| IdentityForm {
                    email: i.email,
                    name: i.name,
                    signature: i.signature,
                })
                .collect(),
            reading: ReadingForm {
                page_size: reading.page_size,
                conversations: reading.conversations,
            },
            page_sizes: PAGE_SIZES.to_vec(),
            image_senders: self.0.image_senders().await?,
        })
    }

    async fn save_identity(&self, identity: &IdentityForm) -> Result<(), AppError> {
        Ok(self
            .0
            .change_identity(&identity.email, &identity.name, &identity.signature)
            .await?)
    }

    async fn save_reading(&self, reading: &ReadingForm) -> Result<(), AppError> {
        Ok(self
            .0
            .set_reading(Reading {
                page_size: reading.page_size,
                conversations: reading.conversations,
            })
            .await?)
    }

    async fn trust_images(&self, address: &str) -> Result<(), AppError> {
        Ok(self.0.trust_images_from(address).await?)
    }

    async fn forget_images(&self, address: &str) -> Result<(), AppError> {
        Ok(self.0.forget_images_from(address).await?)
    }

    async fn suggestions(&self, typed: &str) -> Result<Vec<String>, AppError> {
        Ok(self.0.suggestions(typed).await?)
    }

    async fn save_draft(&self, form: &ComposeForm) -> Result<String, AppError> {
        Ok(self.0.save_draft(&composed(form)).await?)
    }

    async fn send(&self, form: &ComposeForm) -> Result<SendOutcome, AppError> {
        let (id, sent) = self.0.send(&composed(form)).await?;
        Ok(match sent {
            Ok(sent) => SendOutcome {
                sent: sent.went(),
                id,
                accepted: count(sent.accepted.len()),
                refused: sent
                    .refused
                    .into_iter()
                    .map(|(address, reply)| RefusedRecipient { address, reply })
                    .collect(),
                problem: None,
            },
            Err(problem) => SendOutcome {
                sent: false,
                id,
                accepted: 0,
                refused: Vec::new(),
                problem: Some(problem),
            },
        })
    }

    async fn discard_draft(&self, id: &str) -> Result<(), AppError> {
        Ok(self.0.discard_draft(id).await?)
    }

    async fn upload(
        &self,
        name: &str,
        media_type: &str,
        data: &[u8],
    ) -> Result<AttachedFile, AppError> {
        Ok(attached(self.0.upload(name, media_type, data).await?))
    }

    async fn quota(&self) -> Result<MailQuota, AppError> {
        let (used, total) = self.0.quota().await?;
        Ok(MailQuota { used, total })
    }

    async fn rules(&self) -> Result<MailRulesView, AppError> {
        let in_use = self.0.rules().await?;
        let folders: Vec<MailFolder> = self.0.folders().await?.into_iter().map(folder).collect();
        let v = in_use.rules.vacation;
        Ok(MailRulesView {
            vacation: VacationForm {
                on: v.on,
                first_day: v.first_day,
                last_day: v.last_day,
                subject: v.subject,
                text: v.text,
            },
            filters: in_use
                .rules
                .filters
                .into_iter()
                .map(|f| filter_row(f, &folders))
                .collect(),
            folders,
            other_active: in_use.other_active,
            new_filter: FilterForm::default(),
        })
    }

    async fn save_vacation(&self, vacation: &VacationForm) -> Result<(), AppError> {
        let mut rules = self.0.rules().await?.rules;
        rules.vacation = Vacation {
            on: vacation.on,
            first_day: vacation.first_day.clone(),
            last_day: vacation.last_day.clone(),
            subject: vacation.subject.clone(),
            text: vacation.text.clone(),
        };
        Ok(self.0.set_rules(&rules).await?)
    }

    async fn add_filter(&self, form: &FilterForm) -> Result<(), AppError> {
        let field = match form.field.as_str() {
            "from" => FilterField::From,
            "to" => FilterField::To,
            "subject" => FilterField::Subject,
            _ => return Err(choose("field").into()),
        };
        let action = match form.action.as_str() {
            "move" => FilterAction::Move(form.folder.clone()),
            "read" => FilterAction::Read,
            "forward" => FilterAction::Forward(form.forward.clone()),
            "trash" => FilterAction::Trash,
            _ => return Err(choose("action").into()),
        };
        let mut rules: MailRules = self.0.rules().await?.rules;
        rules.filters.push(Filter {
            field,
            contains: form.contains.clone(),
            action,
        });
        Ok(self.0.set_rules(&rules).await?)
    }

    async fn remove_filter(&self, index: u32) -> Result<(), AppError> {
        let mut rules = self.0.rules().await?.rules;
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        if index >= rules.filters.len() {
            return Err(AppError::NotFound);
        }
        rules.filters.remove(index);
        Ok(self.0.set_rules(&rules).await?)
    }
}

/// A choice missing from a filter's form.
fn choose(field: &'static str) -> ServiceError {
    ServiceError::invalid(
        field,
        app::i18n::Text::new("Choose one of the options.", "Scegli una delle opzioni."),
    )
}

fn filter_row(f: Filter, folders: &[MailFolder]) -> FilterRow {
    let field = match f.field {
        FilterField::From => "from",
        FilterField::To => "to",
        FilterField::Subject => "subject",
    };
    let (action, target) = match f.action {
        FilterAction::Move(id) => (
            "move",
            folders
                .iter()
                .find(|x| x.id == id)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
        ),
        FilterAction::Read => ("read", String::new()),
        FilterAction::Forward(to) => ("forward", to),
        FilterAction::Trash => ("trash", String::new()),
    };
    FilterRow {
        field: field.into(),
        contains: f.contains,
        action: action.into(),
        target,
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A part the message's HTML shows by its content id (`cid:`).
fn shown_in_place(m: &Message, part: &engine_glue::Attachment) -> bool {
    match (&m.html, &part.content_id) {
        (Some(html), Some(cid)) => {
            let html = html.to_ascii_lowercase();
            let cid = cid.to_ascii_lowercase();
            html.contains(&format!("cid:{cid}"))
                || html.contains(&format!("cid:{}", cid.replace('@', "%40")))
        }
        _ => part.inline,
    }
}

/// A message's HTML cleaned for its frame: its own images by content id from Casella's part
/// address, remote ones held back or through the image proxy.
fn cleaned(m: &Message, html: &str, images: bool) -> mail_html::Clean {
    let id = &m.summary.id;
    let parts: HashMap<String, String> = m
        .attachments
        .iter()
        .filter(|a| plain_id(id) && plain_id(&a.blob_id))
        .filter_map(|a| {
            let cid = a.content_id.clone()?;
            Some((
                cid,
                format!("{OWN_PREFIX}messages/{id}/parts/{}", a.blob_id),
            ))
        })
        .collect();
    mail_html::clean(
        html,
        Policy {
            parts,
            remote: if images {
                Remote::Proxied(image_proxy::address)
            } else {
                Remote::Blocked
            },
        },
    )
}

/// A file name for a download: the given name without path separators, quotes or control
/// characters, cut to a sensible length; `fallback` when nothing is left.
pub(super) fn file_name(name: &str, fallback: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | '"' | ':' | '*' | '?' | '<' | '>' | '|' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let clean = clean.trim().trim_start_matches('.');
    let clean: String = clean.chars().take(120).collect();
    if clean.trim().is_empty() {
        fallback.to_string()
    } else {
        clean.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{PREVIEW_CHARS, file_name, plain_id, shortened};

    #[test]
    fn download_names_cannot_escape_or_break_the_header() {
        assert_eq!(file_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(
            file_name("a\"b\r\nSet-Cookie: x", "x"),
            "a_b  Set-Cookie_ x"
        );
        assert_eq!(file_name("  ", "attachment"), "attachment");
        assert_eq!(file_name("Fattura 12.pdf", "x"), "Fattura 12.pdf");
    }

    #[test]
    fn previews_are_cut_between_characters_with_an_ellipsis() {
        assert_eq!(shortened("short", 10), "short");
        assert_eq!(shortened("exactly10!", 10), "exactly10!");
        assert_eq!(shortened("perché no, così", 7), "perché…");
        assert_eq!(shortened("a word  and more", 7), "a word…");
        assert_eq!(
            shortened(&"è".repeat(300), PREVIEW_CHARS).chars().count(),
            PREVIEW_CHARS + 1
        );
    }

    #[test]
    fn only_plain_ids_go_into_addresses() {
        assert!(plain_id("Mab12_-"));
        assert!(!plain_id("a/b"));
        assert!(!plain_id("a?b"));
        assert!(!plain_id(""));
    }
}
