// SPDX-License-Identifier: AGPL-3.0-only
//! A mailbox's own mail, for the webmail: the engine's JMAP, called in the process with the
//! mailbox's own access token (never an administrator's), so the engine's permissions,
//! quotas and states apply exactly as for any mail client, and another mailbox's folder,
//! message or blob is simply not there. The engine does not serve JMAP over HTTP here; the
//! panel is its only caller.
//!
//! Requests are built as JMAP JSON and answers read back into the typed values below, so no
//! engine type leaves this module.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
};

use serde::Deserialize;
use serde_json::{Value, json};
use stalwart_lib::{
    Server,
    common::{
        auth::AccessToken,
        config::server::ServerProtocol,
        ipc::PushNotification,
        listener::{ServerInstance, TcpAcceptor, limiter::ConcurrencyLimiter},
    },
    http_proto::HttpSessionData,
    jmap::{api::request::RequestHandler, blob::download::BlobDownload},
    jmap_proto::request::Request,
    types::{blob::BlobId, type_state::DataType},
    utils::map::bitmap::Bitmap,
};

mod compose;
mod files;
mod listing;
mod orders;
mod search;
mod sieve;
mod snapshot;

pub use compose::{Draft, DraftPart, Sent};
pub use files::KeptFile;
pub(crate) use orders::Orders;
pub use search::MailFilter;
pub use sieve::SieveScript;
pub use snapshot::{ChangesPage, KeptFolder, KeptMessage, MessageChanges};

use crate::{
    directory::{account_id, engine_err},
    engine::Engine,
    error::GlueError,
};

/// Method calls in one request at most.
const MAX_CALLS: usize = 16;
/// The largest request built here, in bytes.
const MAX_REQUEST: usize = 4 * 1024 * 1024;
/// The most of one body part read for showing, in bytes; a longer part is cut and says so.
const MAX_BODY_VALUE: u64 = 2 * 1024 * 1024;
/// Messages listed in one page at most.
pub const MAX_PAGE: u64 = 500;

const USING: [&str; 2] = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];

const SUMMARY_PROPERTIES: [&str; 10] = [
    "threadId",
    "mailboxIds",
    "keywords",
    "size",
    "receivedAt",
    "from",
    "subject",
    "preview",
    "hasAttachment",
    "sentAt",
];

/// A folder of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    pub id: String,
    pub name: String,
    /// `inbox`, `drafts`, `sent`, `trash`, `junk`, `archive`; none for the user's own.
    pub role: Option<String>,
    pub parent_id: Option<String>,
    #[serde(default)]
    pub sort_order: u32,
    #[serde(rename = "totalEmails")]
    pub total: u64,
    #[serde(rename = "unreadEmails")]
    pub unread: u64,
}

/// A name and address, as in a From or To header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    #[serde(default)]
    pub email: String,
}

/// A message as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: String,
    pub thread_id: String,
    /// The folders the message is in.
    pub folders: Vec<String>,
    /// When the engine received it (RFC 3339, UTC).
    pub received_at: String,
    /// Its Date header, when it has one.
    pub sent_at: Option<String>,
    pub size: u64,
    pub from: Vec<Address>,
    pub subject: String,
    /// The start of its text.
    pub preview: String,
    pub has_attachment: bool,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub draft: bool,
    /// Messages in its conversation (in every folder), when the list asked for them; 0
    /// otherwise.
    pub thread_size: u32,
}

/// Which page of a list to read, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    /// Where the page starts.
    pub position: u64,
    /// Messages (or conversations) in it, at most [`MAX_PAGE`].
    pub limit: u64,
    /// One row per conversation rather than per message.
    pub conversations: bool,
}

/// A page of a folder, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    pub messages: Vec<MessageSummary>,
    /// Messages in the folder (or found), all pages together.
    pub total: u64,
    /// Where this page starts.
    pub position: u64,
}

/// An attachment, or an inline part of an HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The engine's blob id of the part, for downloading it.
    pub blob_id: String,
    pub name: Option<String>,
    pub media_type: String,
    pub size: u64,
    /// The Content-ID an HTML body refers to it by (`cid:`), without brackets.
    pub content_id: Option<String>,
    /// Shown in the body rather than listed.
    pub inline: bool,
}

/// A message opened for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub summary: MessageSummary,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Blind copies: only a draft or a sent message of the mailbox's own has them.
    pub bcc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub message_id: Option<String>,
    /// The Message-IDs of the thread before it (its References header, oldest first).
    pub references: Vec<String>,
    /// The plain-text body, when the message has one.
    pub text: Option<String>,
    /// The HTML body as sent (not safe to show as it is), when the message has one.
    pub html: Option<String>,
    /// A body part was longer than what is read for showing.
    pub truncated: bool,
    pub attachments: Vec<Attachment>,
    /// The whole message's blob id (its source, for download as `.eml`).
    pub blob_id: String,
}

/// A mailbox's mail, with the mailbox's own rights.
pub struct MailAccess {
    server: Server,
    token: Arc<AccessToken>,
    session: HttpSessionData,
    orders: Arc<Orders>,
}

impl Engine {
    /// Opens a mailbox's mail with the mailbox's own rights; `NotFound` when no account has
    /// this login.
    pub async fn mail_of(&self, login: &str) -> Result<MailAccess, GlueError> {
        let server = self.server();
        let login = login.to_lowercase();
        let id = account_id(&server, &login).await?;
        let token = server.get_access_token(id).await.map_err(engine_err)?;
        let instance = ServerInstance {
            id: "webmail".into(),
            protocol: ServerProtocol::Http,
            acceptor: TcpAcceptor::Plain,
            limiter: ConcurrencyLimiter::new(64),
            proxy_networks: Vec::new(),
            shutdown_rx: self.shutdown_signal(),
            span_id_gen: Arc::new(server.inner.data.span_id_gen.clone()),
        };
        let session = HttpSessionData {
            instance: Arc::new(instance),
            local_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            local_port: 0,
            remote_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            remote_port: 0,
            is_tls: true,
            session_id: 0,
        };
        Ok(MailAccess {
            server,
            token,
            session,
            orders: self.orders.clone(),
        })
    }
}

impl MailAccess {
    /// Runs JMAP method calls (name, arguments) in one request; the answers' arguments in
    /// order. A call the engine refused is an error naming the method and the reason.
    async fn call(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>, GlueError> {
        self.call_using(&[], calls).await
    }

    /// [`MailAccess::call`] with more capabilities than mail's (such as Sieve's).
    async fn call_using(
        &self,
        more: &[&str],
        calls: &[(&str, Value)],
    ) -> Result<Vec<Value>, GlueError> {
        let using: Vec<&str> = USING.iter().chain(more).copied().collect();
        let method_calls: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (name, args))| json!([name, args, i.to_string()]))
            .collect();
        let body = serde_json::to_vec(&json!({ "using": using, "methodCalls": method_calls }))
            .map_err(|err| GlueError::Invalid {
                reason: err.to_string(),
            })?;
        let request =
            Request::parse(&body, MAX_CALLS, MAX_REQUEST).map_err(|err| GlueError::Invalid {
                reason: err.to_string(),
            })?;
        let response = self
            .server
            .handle_jmap_request(request, self.token.clone(), &self.session)
            .await;
        let response = serde_json::to_value(&response).map_err(|err| GlueError::Engine {
            reason: err.to_string(),
        })?;
        let answers = response
            .get("methodResponses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::with_capacity(calls.len());
        for answer in answers {
            let Some([name, args, _]) = answer.as_array().map(Vec::as_slice) else {
                continue;
            };
            if name == "error" {
                let kind = args["type"].as_str().unwrap_or("serverFail");
                let detail = args["description"].as_str().unwrap_or_default();
                return Err(match kind {
                    "forbidden" | "accountNotFound" => GlueError::NotFound {
                        what: "mail account".into(),
                    },
                    _ => GlueError::Invalid {
                        reason: format!("{kind}: {detail}"),
                    },
                });
            }
            out.push(args.clone());
        }
        if out.len() < calls.len() {
            return Err(GlueError::Engine {
                reason: format!("{} answers to {} calls", out.len(), calls.len()),
            });
        }
        Ok(out)
    }

    /// The mailbox's folders, in no particular order.
    pub async fn folders(&self) -> Result<Vec<Folder>, GlueError> {
        let answers = self
            .call(&[(
                "Mailbox/get",
                json!({
                    "properties": ["name", "role", "parentId", "sortOrder", "totalEmails", "unreadEmails"]
                }),
            )])
            .await?;
        list(&answers[0])
    }

    /// A message opened for reading; `None` when the mailbox has no such message.
    pub async fn message(&self, id: &str) -> Result<Option<Message>, GlueError> {
        let mut properties: Vec<&str> = SUMMARY_PROPERTIES.to_vec();
        properties.extend([
            "to",
            "cc",
            "bcc",
            "replyTo",
            "messageId",
            "references",
            "blobId",
            "textBody",
            "htmlBody",
            "attachments",
            "bodyValues",
        ]);
        let answers = self
            .call(&[(
                "Email/get",
                json!({
                    "ids": [id],
                    "properties": properties,
                    "fetchTextBodyValues": true,
                    "fetchHTMLBodyValues": true,
                    "maxBodyValueBytes": MAX_BODY_VALUE,
                }),
            )])
            .await?;
        let mut found: Vec<RawEmail> = list(&answers[0])?;
        Ok(found.pop().map(RawEmail::message))
    }
}

/// The changes to a mailbox's mail as the engine makes them (by SMTP delivery, an IMAP or POP3
/// client, or the webmail itself).
pub struct MailChanges(tokio::sync::mpsc::Receiver<PushNotification>);

impl MailChanges {
    /// Waits for the next change to the mailbox's messages or folders; `None` when the engine
    /// stops.
    pub async fn next(&mut self) -> Option<()> {
        loop {
            match self.0.recv().await? {
                PushNotification::StateChange(_) | PushNotification::EmailPush(_) => {
                    return Some(());
                }
                PushNotification::CalendarAlert(_) => {}
            }
        }
    }
}

impl MailAccess {
    /// Subscribes to the changes to the mailbox's messages and folders.
    pub async fn changes(&self) -> Result<MailChanges, GlueError> {
        let mut types = Bitmap::<DataType>::new();
        types.insert_many([DataType::Email, DataType::Mailbox, DataType::EmailDelivery]);
        self.server
            .subscribe_push_manager(&self.token, types)
            .await
            .map(MailChanges)
            .map_err(engine_err)
    }
}

/// A change to messages.
#[derive(Debug, Clone, Copy)]
pub enum MessageChange<'a> {
    /// A keyword (`$seen`, `$flagged`, `$junk`, …) set or cleared.
    Keyword { keyword: &'a str, on: bool },
    /// Into this folder, out of all others.
    MoveTo { folder_id: &'a str },
}

/// A change to a folder.
#[derive(Debug, Clone, Copy)]
pub enum FolderChange<'a> {
    Rename {
        name: &'a str,
    },
    /// Under another folder, or at the top (`None`).
    Move {
        parent_id: Option<&'a str>,
    },
}

impl MailAccess {
    /// Changes messages; how many changed. A message the mailbox does not have is not found
    /// (nothing else is changed then).
    pub async fn change_messages(
        &self,
        ids: &[String],
        change: MessageChange<'_>,
    ) -> Result<usize, GlueError> {
        let patch = match change {
            MessageChange::Keyword { keyword, on } => {
                json!({ format!("keywords/{keyword}"): if on { Value::Bool(true) } else { Value::Null } })
            }
            MessageChange::MoveTo { folder_id } => json!({ "mailboxIds": { folder_id: true } }),
        };
        self.known_messages(ids).await?;
        // The engine checks that nothing else wrote a message between reading and writing
        // it, and refuses the whole call if something did (a delivery merging threads, an
        // IMAP client, another tab). A change here sets a keyword or a folder, so asking
        // again for what was refused is safe; it is asked a few times, then reported.
        let mut pending = ids.to_vec();
        let mut changed = 0;
        for attempt in 1.. {
            let update: serde_json::Map<String, Value> = pending
                .iter()
                .map(|id| (id.clone(), patch.clone()))
                .collect();
            let answers = self
                .call(&[("Email/set", json!({ "update": update }))])
                .await?;
            changed += answers[0]["updated"].as_object().map_or(0, |m| m.len());
            match overtaken(&answers[0], "notUpdated") {
                Some(again) if attempt < CHANGE_ATTEMPTS => {
                    pending = again;
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                }
                _ => {
                    set_outcome(&answers[0], "notUpdated")?;
                    break;
                }
            }
        }
        Ok(changed)
    }

    /// Deletes messages for good; how many went.
    pub async fn destroy_messages(&self, ids: &[String]) -> Result<usize, GlueError> {
        self.known_messages(ids).await?;
        let answers = self
            .call(&[("Email/set", json!({ "destroy": ids }))])
            .await?;
        set_outcome(&answers[0], "notDestroyed")?;
        Ok(answers[0]["destroyed"].as_array().map_or(0, Vec::len))
    }

    /// The ids of a folder's messages, newest first, up to `limit`.
    pub async fn message_ids(&self, folder_id: &str, limit: u64) -> Result<Vec<String>, GlueError> {
        let answers = self
            .call(&[(
                "Email/query",
                json!({
                    "filter": { "inMailbox": folder_id },
                    "sort": [{ "property": "receivedAt", "isAscending": false }],
                    "limit": limit,
                }),
            )])
            .await?;
        Ok(answers[0]["ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `NotFound` unless the mailbox has every one of these messages.
    async fn known_messages(&self, ids: &[String]) -> Result<(), GlueError> {
        // A malformed id names no message either.
        let answers = self
            .call(&[("Email/get", json!({ "ids": ids, "properties": ["id"] }))])
            .await
            .map_err(|err| match err {
                GlueError::Invalid { .. } => GlueError::NotFound {
                    what: "message".into(),
                },
                other => other,
            })?;
        if answers[0]["notFound"]
            .as_array()
            .is_some_and(|n| !n.is_empty())
        {
            return Err(GlueError::NotFound {
                what: "message".into(),
            });
        }
        Ok(())
    }

    /// Creates a folder (under `parent_id`, or at the top); its id.
    pub async fn create_folder(
        &self,
        name: &str,
        parent_id: Option<&str>,
    ) -> Result<String, GlueError> {
        let answers = self
            .call(&[(
                "Mailbox/set",
                json!({ "create": { "new": { "name": name, "parentId": parent_id } } }),
            )])
            .await?;
        set_outcome(&answers[0], "notCreated")?;
        answers[0]["created"]["new"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| GlueError::Engine {
                reason: "a folder created without an id".into(),
            })
    }

    /// Renames or moves a folder.
    pub async fn change_folder(&self, id: &str, change: FolderChange<'_>) -> Result<(), GlueError> {
        let patch = match change {
            FolderChange::Rename { name } => json!({ "name": name }),
            FolderChange::Move { parent_id } => json!({ "parentId": parent_id }),
        };
        let answers = self
            .call(&[("Mailbox/set", json!({ "update": { id: patch } }))])
            .await?;
        set_outcome(&answers[0], "notUpdated")
    }

    /// Deletes an empty folder; one with messages or subfolders is refused.
    pub async fn delete_folder(&self, id: &str) -> Result<(), GlueError> {
        let answers = self
            .call(&[(
                "Mailbox/set",
                json!({ "destroy": [id], "onDestroyRemoveEmails": false }),
            )])
            .await?;
        set_outcome(&answers[0], "notDestroyed")
    }

    /// The space the mailbox uses and the most it may use, in bytes (0: no limit).
    pub async fn quota(&self) -> Result<(u64, u64), GlueError> {
        let used = self
            .server
            .get_used_quota(self.token.primary_id)
            .await
            .map_err(engine_err)?;
        Ok((u64::try_from(used).unwrap_or_default(), self.token.quota))
    }

    /// A blob's bytes (a part of a message, decoded, or a whole message as it arrived);
    /// `None` when the id is malformed or names nothing this mailbox may read.
    pub async fn blob(&self, blob_id: &str) -> Result<Option<Vec<u8>>, GlueError> {
        let Ok(id) = blob_id.parse::<BlobId>() else {
            return Ok(None);
        };
        self.server
            .blob_download(&id, &self.token)
            .await
            .map_err(engine_err)
    }
}

/// A `/set` answer's refusals (under `key`) as an error: not found when the engine did not
/// find one, the engine's reason otherwise.
/// How many times a change overtaken by another writer is asked for.
const CHANGE_ATTEMPTS: u64 = 6;

/// The ids a `/set` call refused only because another writer changed them meanwhile (the
/// engine's optimistic check), when that is the only reason anything was refused.
fn overtaken(answer: &Value, key: &str) -> Option<Vec<String>> {
    let refused = answer.get(key).and_then(Value::as_object)?;
    let raced = |why: &Value| {
        why["type"] == "forbidden"
            && why["description"]
                .as_str()
                .is_some_and(|d| d.contains("modified"))
    };
    (!refused.is_empty() && refused.values().all(raced)).then(|| refused.keys().cloned().collect())
}

fn set_outcome(answer: &Value, key: &str) -> Result<(), GlueError> {
    let Some((_, refused)) = answer
        .get(key)
        .and_then(Value::as_object)
        .and_then(|m| m.iter().next())
    else {
        return Ok(());
    };
    let kind = refused["type"].as_str().unwrap_or("serverFail");
    let detail = refused["description"].as_str().unwrap_or_default();
    Err(match kind {
        "notFound" => GlueError::NotFound {
            what: "mail item".into(),
        },
        _ => GlueError::Refused {
            kind: kind.to_string(),
            reason: detail.to_string(),
        },
    })
}

/// The `list` of a `/get` answer.
fn list<T: for<'de> Deserialize<'de>>(answer: &Value) -> Result<Vec<T>, GlueError> {
    serde_json::from_value(
        answer
            .get("list")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    )
    .map_err(|err| GlueError::Engine {
        reason: format!("unexpected JMAP answer: {err}"),
    })
}

/// An Email object as JMAP gives it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEmail {
    id: String,
    #[serde(default)]
    thread_id: String,
    #[serde(default)]
    mailbox_ids: std::collections::BTreeMap<String, bool>,
    #[serde(default)]
    keywords: std::collections::BTreeMap<String, bool>,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    received_at: String,
    sent_at: Option<String>,
    from: Option<Vec<Address>>,
    subject: Option<String>,
    #[serde(default)]
    preview: String,
    #[serde(default)]
    has_attachment: bool,
    to: Option<Vec<Address>>,
    cc: Option<Vec<Address>>,
    bcc: Option<Vec<Address>>,
    reply_to: Option<Vec<Address>>,
    message_id: Option<Vec<String>>,
    references: Option<Vec<String>>,
    #[serde(default)]
    blob_id: String,
    #[serde(default)]
    text_body: Vec<RawPart>,
    #[serde(default)]
    html_body: Vec<RawPart>,
    #[serde(default)]
    attachments: Vec<RawPart>,
    #[serde(default)]
    body_values: std::collections::HashMap<String, RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPart {
    part_id: Option<String>,
    blob_id: Option<String>,
    #[serde(default)]
    size: u64,
    name: Option<String>,
    #[serde(rename = "type", default)]
    media_type: String,
    cid: Option<String>,
    disposition: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawValue {
    value: String,
    #[serde(default)]
    is_truncated: bool,
}

impl RawEmail {
    fn summary(&self) -> MessageSummary {
        let keyword = |k: &str| self.keywords.get(k).copied().unwrap_or(false);
        MessageSummary {
            id: self.id.clone(),
            thread_id: self.thread_id.clone(),
            folders: self
                .mailbox_ids
                .iter()
                .filter(|(_, on)| **on)
                .map(|(id, _)| id.clone())
                .collect(),
            received_at: self.received_at.clone(),
            sent_at: self.sent_at.clone(),
            size: self.size,
            from: self.from.clone().unwrap_or_default(),
            subject: self.subject.clone().unwrap_or_default(),
            preview: self.preview.clone(),
            has_attachment: self.has_attachment,
            seen: keyword("$seen"),
            flagged: keyword("$flagged"),
            answered: keyword("$answered"),
            draft: keyword("$draft"),
            thread_size: 0,
        }
    }

    fn message(self) -> Message {
        let summary = self.summary();
        let mut truncated = false;
        // A body is the text of its parts of the wanted kind, in order.
        let mut body = |parts: &[RawPart], kind: &str| -> Option<String> {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|p| p.media_type.eq_ignore_ascii_case(kind))
                .filter_map(|p| p.part_id.as_ref())
                .filter_map(|id| self.body_values.get(id))
                .map(|v| {
                    truncated |= v.is_truncated;
                    v.value.as_str()
                })
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        };
        let text = body(&self.text_body, "text/plain");
        let html = body(&self.html_body, "text/html");
        let attachments = self
            .attachments
            .iter()
            .filter_map(|p| {
                Some(Attachment {
                    blob_id: p.blob_id.clone()?,
                    name: p.name.clone(),
                    media_type: p.media_type.clone(),
                    size: p.size,
                    content_id: p
                        .cid
                        .as_deref()
                        .map(|c| c.trim_matches(['<', '>']).to_string()),
                    inline: p.disposition.as_deref() == Some("inline") && p.cid.is_some(),
                })
            })
            .collect();
        Message {
            summary,
            to: self.to.unwrap_or_default(),
            cc: self.cc.unwrap_or_default(),
            bcc: self.bcc.unwrap_or_default(),
            reply_to: self.reply_to.unwrap_or_default(),
            message_id: self.message_id.and_then(|ids| ids.into_iter().next()),
            references: self.references.unwrap_or_default(),
            text,
            html,
            truncated,
            attachments,
            blob_id: self.blob_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::overtaken;

    #[test]
    fn only_a_change_overtaken_by_another_writer_is_asked_again() {
        let raced = json!({ "type": "forbidden",
            "description": "Another process modified this message, please try again." });
        let denied = json!({ "type": "forbidden", "description": "No write access." });
        let answer = json!({ "updated": { "a": null }, "notUpdated": { "b": raced, "c": raced } });
        let mut again = overtaken(&answer, "notUpdated").unwrap_or_default();
        again.sort();
        assert_eq!(again, ["b", "c"]);
        // Any other refusal is reported as it is, not hidden behind attempts.
        let mixed = json!({ "notUpdated": { "b": raced, "c": denied } });
        assert_eq!(overtaken(&mixed, "notUpdated"), None);
        assert_eq!(
            overtaken(&json!({ "updated": { "a": null } }), "notUpdated"),
            None
        );
    }
}
