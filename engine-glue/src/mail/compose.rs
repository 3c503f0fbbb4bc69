// SPDX-License-Identifier: AGPL-3.0-only
//! Writing mail: drafts kept in the mailbox's Drafts folder through JMAP, and sending through
//! the engine's own SMTP session, as the mailbox, so the mailbox's sender addresses, the daily
//! limit on external recipients, the message size limit, DKIM signing and every hook apply
//! exactly as for a mail program that sends over SMTP.
//!
//! The engine's `EmailSubmission/set` is not used: it accepts only addresses under a public
//! suffix, so it would refuse mail between the hosted domains of a private installation (and
//! every test domain). Its steps are the ones below: the message as stored, without its `Bcc`
//! header, given to a local SMTP session authenticated as the mailbox.

use std::{
    borrow::Cow,
    collections::BTreeSet,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use smtp_proto::{MailFrom, RcptTo};
use stalwart_lib::{
    common::{config::smtp::queue::DEFAULT_QUEUE_NAME, listener::stream::NullIo},
    jmap::blob::{download::BlobDownload, upload::BlobUpload},
    smtp::{
        core::{Session, SessionData, State},
        queue::{Status, spool::SmtpSpool},
    },
    types::{blob::BlobId, id::Id},
};

use super::{Address, MailAccess, list, set_outcome};
use crate::{directory::engine_err, error::GlueError};

/// How long sending to oneself waits for the engine's own delivery to the mailbox (it takes
/// milliseconds unless the queue is far behind).
const OWN_DELIVERY_WAIT: Duration = Duration::from_secs(10);

/// A message as written: what a draft keeps and what is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// One of the mailbox's own addresses (see [`MailAccess::addresses`]).
    pub from: Address,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub subject: String,
    pub text: String,
    /// The same text formatted (already made safe), sent beside the plain text as
    /// `multipart/alternative`; none for a plain message.
    pub html: Option<String>,
    /// The Message-ID (without brackets) this answers, and the thread's earlier ones.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<DraftPart>,
}

/// A file attached to a draft: an uploaded blob, or a part of another message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftPart {
    pub blob_id: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// What the engine said to each recipient of a message sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The recipients the engine took.
    pub accepted: Vec<String>,
    /// The recipients it refused, each with its SMTP reply (such as `452 4.4.5 Rate limit
    /// exceeded`).
    pub refused: Vec<(String, String)>,
}

impl Sent {
    /// Whether the message went out to anyone (and so is now in Sent, not in Drafts).
    pub fn went(&self) -> bool {
        !self.accepted.is_empty()
    }
}

impl MailAccess {
    /// The addresses the mailbox may send from: its own, then its aliases, lowercase.
    pub fn addresses(&self) -> Vec<String> {
        let own = self.token.name.to_lowercase();
        let mut out = vec![own.clone()];
        out.extend(
            self.token
                .emails
                .iter()
                .map(|e| e.to_lowercase())
                .filter(|e| *e != own && !e.starts_with('@')),
        );
        out
    }

    /// The mailbox's display name, when it has one.
    pub fn display_name(&self) -> Option<String> {
        self.token
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
    }

    /// Keeps a message as a draft in the Drafts folder, replacing the draft `replaces` (an
    /// earlier version of it) in the same step; the new draft's id. Only a draft of this
    /// mailbox is replaced: any other message named there is left alone (so is a draft
    /// already replaced by a save that crossed this one).
    pub async fn save_draft(
        &self,
        draft: &Draft,
        replaces: Option<&str>,
    ) -> Result<String, GlueError> {
        let replaces = match replaces {
            Some(old) if self.known_draft(old).await.is_ok() => Some(old),
            _ => None,
        };
        let drafts = self.folder_with_role("drafts").await?;
        let mut email = email_object(draft, &new_message_id(&draft.from.email));
        email["mailboxIds"] = json!({ drafts: true });
        email["keywords"] = json!({ "$draft": true, "$seen": true });
        let mut set = json!({ "create": { "draft": email } });
        if let Some(old) = replaces {
            set["destroy"] = json!([old]);
        }
        let answers = self.call(&[("Email/set", set)]).await?;
        set_outcome(&answers[0], "notCreated")?;
        answers[0]["created"]["draft"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| GlueError::Engine {
                reason: "a draft created without an id".into(),
            })
    }

    /// Deletes a draft for good (a draft thrown away); not found unless it is one of this
    /// mailbox's drafts.
    pub async fn discard_draft(&self, id: &str) -> Result<(), GlueError> {
        self.known_draft(id).await?;
        let answers = self
            .call(&[("Email/set", json!({ "destroy": [id] }))])
            .await?;
        set_outcome(&answers[0], "notDestroyed")
    }

    /// Sends a saved draft to its To, Cc and Bcc recipients, from its From address (which
    /// the engine checks is the mailbox's own or an alias). The recipients get the message
    /// without its `Bcc` header. When the engine takes at least one recipient, the draft
    /// becomes the copy in Sent (and in the Inbox too when the mailbox wrote to itself);
    /// when it takes none, the draft stays as it is.
    pub async fn send_draft(&self, id: &str) -> Result<Sent, GlueError> {
        let answers = self
            .call(&[(
                "Email/get",
                json!({ "ids": [id], "properties": ["keywords", "from", "to", "cc", "bcc", "blobId"] }),
            )])
            .await
            .map_err(not_found_if_invalid)?;
        let found: Vec<StoredDraft> = list(&answers[0])?;
        let draft = found
            .into_iter()
            .find(|d| d.keywords.get("$draft").copied().unwrap_or(false))
            .ok_or_else(|| GlueError::NotFound {
                what: "draft".into(),
            })?;
        let from = draft
            .from
            .as_ref()
            .and_then(|f| f.first())
            .map(|a| a.email.clone())
            .filter(|e| !e.is_empty())
            .ok_or_else(|| GlueError::Refused {
                kind: "forbiddenFrom".into(),
                reason: "the draft has no sender".into(),
            })?;
        let mut recipients = Vec::new();
        let mut seen = BTreeSet::new();
        for list in [&draft.to, &draft.cc, &draft.bcc].into_iter().flatten() {
            for a in list {
                if !a.email.is_empty() && seen.insert(a.email.to_lowercase()) {
                    recipients.push(a.email.clone());
                }
            }
        }
        if recipients.is_empty() {
            return Err(GlueError::Refused {
                kind: "noRecipients".into(),
                reason: "the draft has no recipients".into(),
            });
        }
        let Ok(blob) = draft.blob_id.parse::<BlobId>() else {
            return Err(GlueError::Engine {
                reason: "a draft without a readable source".into(),
            });
        };
        let source = self
            .server
            .blob_download(&blob, &self.token)
            .await
            .map_err(engine_err)?
            .ok_or_else(|| GlueError::Engine {
                reason: "a draft's source is missing".into(),
            })?;
        let (sent, queued) = self.submit(from, recipients, without_bcc(&source)).await?;
        if sent.went() {
            let mut folders = serde_json::Map::new();
            folders.insert(self.folder_with_role("sent").await?, Value::Bool(true));
            // Mail to oneself is this copy, in the Inbox too. The engine's own delivery skips
            // a message whose Message-ID the mailbox holds outside its Inbox and Junk (this
            // draft), but delivers a second copy once it is in the Inbox: so it is filed there
            // only after the engine has decided that delivery.
            let own = self.addresses();
            if sent
                .accepted
                .iter()
                .any(|r| own.contains(&r.to_lowercase()))
            {
                if let Some(queue_id) = queued
                    && !self.own_delivery_settled(queue_id, &own).await
                {
                    tracing::warn!(
                        queue_id,
                        "mail to oneself still waits in the queue: filed in the Inbox now"
                    );
                }
                folders.insert(self.folder_with_role("inbox").await?, Value::Bool(true));
            }
            let answers = self
                .call(&[(
                    "Email/set",
                    json!({ "update": { id: {
                        "mailboxIds": folders,
                        "keywords/$draft": Value::Null,
                    } } }),
                )])
                .await?;
            set_outcome(&answers[0], "notUpdated")?;
        }
        Ok(sent)
    }

    /// Whether the engine's queue has ended its delivery of message `queue_id` to the
    /// mailbox's own addresses (delivered, skipped or refused for good); false when it still
    /// waits after [`OWN_DELIVERY_WAIT`].
    async fn own_delivery_settled(&self, queue_id: u64, own: &[String]) -> bool {
        let deadline = Instant::now() + OWN_DELIVERY_WAIT;
        let mut pause = Duration::from_millis(5);
        loop {
            let pending = self
                .server
                .read_message(queue_id, DEFAULT_QUEUE_NAME)
                .await
                .is_some_and(|queued| {
                    queued.message.recipients.iter().any(|r| {
                        matches!(r.status, Status::Scheduled | Status::TemporaryFailure(_))
                            && own.contains(&r.address.to_lowercase())
                    })
                });
            if !pending {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Hands a message to the engine's SMTP session as the mailbox: MAIL FROM, one RCPT TO
    /// each, and the message when any recipient was taken; what was taken, and the message's
    /// id in the engine's queue when it was queued.
    async fn submit(
        &self,
        from: String,
        recipients: Vec<String>,
        message: Vec<u8>,
    ) -> Result<(Sent, Option<u64>), GlueError> {
        let mut session = Session::<NullIo>::local(
            self.server.clone(),
            self.session.instance.clone(),
            SessionData::local(
                self.token.clone(),
                None,
                Vec::new(),
                Vec::new(),
                // Span 0: a session with no connection, as the engine's own submissions.
                0,
            ),
        );
        // The SMTP steps run on a task of their own, as the engine runs its own submissions
        // (their futures are deep).
        let steps = tokio::spawn(async move {
            let _ = session
                .handle_mail_from(MailFrom {
                    address: Cow::Owned(from),
                    ..Default::default()
                })
                .await;
            if let Some(reply) = session.has_failed() {
                return Err(GlueError::Refused {
                    kind: "forbiddenFrom".into(),
                    reason: reply,
                });
            }
            session.params.rcpt_errors_wait = Duration::ZERO;
            let mut sent = Sent {
                accepted: Vec::new(),
                refused: Vec::new(),
            };
            for rcpt in recipients {
                let _ = session
                    .handle_rcpt_to(RcptTo {
                        address: Cow::Owned(rcpt.clone()),
                        ..Default::default()
                    })
                    .await;
                match session.has_failed() {
                    None => sent.accepted.push(rcpt),
                    Some(reply) => sent.refused.push((rcpt, reply)),
                }
            }
            if !sent.went() {
                return Ok((sent, None));
            }
            session.data.message = message;
            let reply = session.queue_message().await;
            if let State::Accepted(queue_id) = session.state {
                Ok((sent, Some(queue_id)))
            } else {
                Err(GlueError::Refused {
                    kind: "forbiddenToSend".into(),
                    reason: String::from_utf8_lossy(&reply).trim().to_string(),
                })
            }
        });
        steps.await.map_err(|err| GlueError::Engine {
            reason: format!("the sending task failed: {err}"),
        })?
    }

    /// Keeps a file for a draft (an attachment being uploaded); its blob id. The engine counts
    /// it against the mailbox's upload limits and drops it if no message uses it.
    pub async fn upload(&self, media_type: &str, data: &[u8]) -> Result<String, GlueError> {
        let account = Id::from(self.token.primary_id);
        let uploaded = self
            .server
            .blob_upload(account, media_type, data, self.token.clone())
            .await
            .map_err(|err| GlueError::Refused {
                kind: "upload".into(),
                reason: err.to_string(),
            })?;
        serde_json::to_value(&uploaded)
            .ok()
            .and_then(|v| v["blobId"].as_str().map(str::to_string))
            .ok_or_else(|| GlueError::Engine {
                reason: "an upload without a blob id".into(),
            })
    }

    /// The id of the folder with a special role (`drafts`, `sent`, …).
    async fn folder_with_role(&self, role: &str) -> Result<String, GlueError> {
        self.folders()
            .await?
            .into_iter()
            .find(|f| f.role.as_deref() == Some(role))
            .map(|f| f.id)
            .ok_or_else(|| GlueError::NotFound {
                what: format!("{role} folder"),
            })
    }

    /// `NotFound` unless the id names one of this mailbox's drafts.
    async fn known_draft(&self, id: &str) -> Result<(), GlueError> {
        let answers = self
            .call(&[(
                "Email/get",
                json!({ "ids": [id], "properties": ["keywords"] }),
            )])
            .await
            .map_err(not_found_if_invalid)?;
        let found: Vec<StoredDraft> = list(&answers[0])?;
        if found
            .iter()
            .any(|d| d.keywords.get("$draft").copied().unwrap_or(false))
        {
            Ok(())
        } else {
            Err(GlueError::NotFound {
                what: "draft".into(),
            })
        }
    }
}

/// A malformed id names nothing.
fn not_found_if_invalid(err: GlueError) -> GlueError {
    match err {
        GlueError::Invalid { .. } => GlueError::NotFound {
            what: "message".into(),
        },
        other => other,
    }
}

/// The parts of a stored draft that sending needs.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredDraft {
    #[serde(default)]
    keywords: std::collections::BTreeMap<String, bool>,
    from: Option<Vec<Address>>,
    to: Option<Vec<Address>>,
    cc: Option<Vec<Address>>,
    bcc: Option<Vec<Address>>,
    #[serde(default)]
    blob_id: String,
}

/// The JMAP Email object for a draft (without its folder and keywords).
pub(super) fn email_object(draft: &Draft, message_id: &str) -> Value {
    let people = |list: &[Address]| -> Value {
        list.iter()
            .map(|a| match &a.name {
                Some(name) => json!({ "name": name, "email": a.email }),
                None => json!({ "email": a.email }),
            })
            .collect()
    };
    let mut email = json!({
        "from": people(std::slice::from_ref(&draft.from)),
        "subject": draft.subject,
        "messageId": [message_id],
        "sentAt": now_rfc3339(),
        "bodyValues": { "text": { "value": draft.text } },
        "textBody": [{ "partId": "text", "type": "text/plain" }],
    });
    if let Some(html) = draft.html.as_deref().filter(|h| !h.trim().is_empty()) {
        email["bodyValues"]["html"] = json!({ "value": html });
        email["htmlBody"] = json!([{ "partId": "html", "type": "text/html" }]);
    }
    for (key, list) in [("to", &draft.to), ("cc", &draft.cc), ("bcc", &draft.bcc)] {
        if !list.is_empty() {
            email[key] = people(list);
        }
    }
    if let Some(parent) = &draft.in_reply_to {
        email["inReplyTo"] = json!([parent]);
    }
    if !draft.references.is_empty() {
        email["references"] = json!(draft.references);
    }
    if !draft.attachments.is_empty() {
        email["attachments"] = draft
            .attachments
            .iter()
            .map(|a| {
                json!({
                    "blobId": a.blob_id,
                    "type": a.media_type,
                    "name": a.name,
                    "disposition": "attachment",
                })
            })
            .collect();
    }
    email
}

/// A new Message-ID (without brackets) at the sender's domain.
pub(super) fn new_message_id(from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("casella.invalid");
    let mut random = [0u8; 16];
    rand::fill(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}@{domain}")
}

/// Now, as JMAP writes dates (UTC).
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The calendar date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A message's source without its `Bcc` header (and the header's folded lines): what the
/// recipients get. The body is left as it is.
pub(crate) fn without_bcc(source: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(source.len());
    let mut rest = source;
    let mut dropping = false;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        if line == b"\r\n" || line == b"\n" {
            out.extend_from_slice(rest);
            return out;
        }
        let folded = matches!(line.first(), Some(b' ' | b'\t'));
        if !folded {
            dropping = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:");
        }
        if !dropping {
            out.extend_from_slice(line);
        }
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, without_bcc};

    #[test]
    fn bcc_is_taken_out_of_the_header_only() {
        let source = b"From: a@x.test\r\nBcc: one@x.test,\r\n\ttwo@x.test\r\nSubject: hi\r\n\r\nBcc: stays in the body\r\n";
        assert_eq!(
            without_bcc(source),
            b"From: a@x.test\r\nSubject: hi\r\n\r\nBcc: stays in the body\r\n".to_vec()
        );
        let plain = b"From: a@x.test\r\nSubject: no bcc\r\n\r\nbody";
        assert_eq!(without_bcc(plain), plain.to_vec());
        let bcc_last = b"To: b@x.test\r\nBCC: c@x.test\r\n\r\n";
        assert_eq!(without_bcc(bcc_last), b"To: b@x.test\r\n\r\n".to_vec());
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_790), (2026, 12, 3));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
