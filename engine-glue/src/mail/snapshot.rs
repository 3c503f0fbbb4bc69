// SPDX-License-Identifier: AGPL-3.0-only
//! What a mailbox holds, read for keeping (the Mail Time Machine): every message with its
//! folders, keywords and blob, every folder subscribed or not, and what changed since a
//! state, so that a mailbox that did not change costs one key read and one that did costs
//! what changed.

use mail_parser::MessageParser;
use serde::Deserialize;
use serde_json::{Value, json};
use stalwart_lib::{
    email::message::ingest::{EmailIngest, IngestEmail, IngestSource},
    types::{collection::SyncCollection, id::Id, keyword::Keyword},
};

use super::{Address, MailAccess};
use crate::{directory::engine_err, error::GlueError};

/// Objects asked for in one `/get` or listed by one `/query` at most (the engine's
/// `jmap.protocol.get.max-objects` and `query.max-results` defaults allow this much).
const CHUNK: usize = 500;
/// Changes asked for in one `Email/changes` call.
const MAX_CHANGES: u64 = 2000;

/// A message as a snapshot keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptMessage {
    pub id: String,
    /// The whole message's blob (its source, as the engine keeps it).
    pub blob_id: String,
    /// The folders it is in, sorted.
    #[serde(rename = "mailboxIds", deserialize_with = "set_of_keys")]
    pub folders: Vec<String>,
    /// Its keywords (`$seen`, `$flagged`, …), sorted.
    #[serde(deserialize_with = "set_of_keys")]
    pub keywords: Vec<String>,
    /// When the engine received it (RFC 3339, UTC).
    pub received_at: String,
    pub size: u64,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub from: Option<Vec<Address>>,
    /// The start of its text.
    #[serde(default)]
    pub preview: String,
    /// Its Message-ID header(s), without brackets.
    #[serde(default)]
    pub message_id: Option<Vec<String>>,
}

/// A folder as a snapshot keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptFolder {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub sort_order: u32,
    #[serde(default)]
    pub is_subscribed: bool,
}

/// The messages that changed since a state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageChanges {
    /// Created or changed (folders, keywords) since: read them again.
    pub changed: Vec<String>,
    /// Gone since.
    pub destroyed: Vec<String>,
    /// The state these changes lead to.
    pub state: String,
}

/// One page of a mailbox's changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangesPage {
    pub changes: MessageChanges,
    /// More changes follow `changes.state`.
    pub more: bool,
}

/// A JMAP set (`{"id": true}`) as its keys, sorted.
fn set_of_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let map = Option::<serde_json::Map<String, Value>>::deserialize(d)?.unwrap_or_default();
    let mut keys: Vec<String> = map
        .into_iter()
        .filter(|(_, on)| on.as_bool().unwrap_or(false))
        .map(|(key, _)| key)
        .collect();
    keys.sort();
    Ok(keys)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl MailAccess {
    /// Where the mailbox stands in the engine's change log (messages, their folders and
    /// keywords, and the folders themselves share it): one key read, no JMAP. The same mark
    /// later means the same mail.
    pub async fn change_mark(&self) -> Result<u64, GlueError> {
        let last = self
            .server
            .store()
            .get_last_change_id(self.token.primary_id, SyncCollection::Email.into())
            .await
            .map_err(engine_err)?;
        Ok(last.unwrap_or_default())
    }

    /// Every message's id and the state they were read at.
    pub async fn all_message_ids(&self) -> Result<(Vec<String>, String), GlueError> {
        let state = self.message_state().await?;
        let mut ids = Vec::new();
        loop {
            let answers = self
                .call(&[(
                    "Email/query",
                    json!({
                        "sort": [{ "property": "receivedAt", "isAscending": true }],
                        "position": ids.len(),
                        "limit": CHUNK,
                    }),
                )])
                .await?;
            let page = strings(&answers[0]["ids"]);
            let done = page.len() < CHUNK;
            ids.extend(page);
            if done {
                break;
            }
        }
        Ok((ids, state))
    }

    /// The state of the mailbox's messages now.
    pub async fn message_state(&self) -> Result<String, GlueError> {
        let answers = self
            .call(&[("Email/get", json!({ "ids": [], "properties": ["id"] }))])
            .await?;
        answers[0]["state"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| GlueError::Engine {
                reason: "Email/get gave no state".into(),
            })
    }

    /// What changed since `state`; `None` when the engine no longer knows (its change log
    /// was trimmed past it): then read everything again.
    pub async fn message_changes(&self, state: &str) -> Result<Option<MessageChanges>, GlueError> {
        let mut changes = MessageChanges {
            state: state.to_string(),
            ..MessageChanges::default()
        };
        loop {
            let Some(page) = self
                .message_changes_page(&changes.state, MAX_CHANGES)
                .await?
            else {
                return Ok(None);
            };
            changes.changed.extend(page.changes.changed);
            changes.destroyed.extend(page.changes.destroyed);
            changes.state = page.changes.state;
            if !page.more {
                break;
            }
        }
        // A message created and changed (or gone) within the span is listed once, as it is
        // now.
        changes.changed.sort();
        changes.changed.dedup();
        changes.destroyed.sort();
        changes.destroyed.dedup();
        changes
            .changed
            .retain(|id| changes.destroyed.binary_search(id).is_err());
        Ok(Some(changes))
    }

    /// The first `max` changes since `state` (the engine's log is in order: a later page holds
    /// later changes), the state they lead to, and whether more follow; `None` when the engine
    /// no longer knows `state`. A message may be in several pages, and in one as changed and
    /// in a later one as destroyed.
    pub async fn message_changes_page(
        &self,
        state: &str,
        max: u64,
    ) -> Result<Option<ChangesPage>, GlueError> {
        let answer = match self
            .call(&[(
                "Email/changes",
                json!({ "sinceState": state, "maxChanges": max }),
            )])
            .await
        {
            Ok(mut answers) => answers.swap_remove(0),
            Err(GlueError::Invalid { reason }) if reason.starts_with("cannotCalculateChanges") => {
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let Some(next) = answer["newState"].as_str() else {
            return Err(GlueError::Engine {
                reason: "Email/changes gave no new state".into(),
            });
        };
        let mut changed = strings(&answer["created"]);
        changed.extend(strings(&answer["updated"]));
        Ok(Some(ChangesPage {
            // A page that leads nowhere has nothing after it either.
            more: answer["hasMoreChanges"].as_bool().unwrap_or(false) && next != state,
            changes: MessageChanges {
                changed,
                destroyed: strings(&answer["destroyed"]),
                state: next.to_string(),
            },
        }))
    }

    /// These messages as a snapshot keeps them; an id no longer there is left out.
    pub async fn kept_messages(&self, ids: &[String]) -> Result<Vec<KeptMessage>, GlueError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let answers = self
                .call(&[(
                    "Email/get",
                    json!({
                        "ids": chunk,
                        "properties": [
                            "blobId", "mailboxIds", "keywords", "receivedAt", "size", "subject",
                            "from", "preview", "messageId",
                        ],
                    }),
                )])
                .await?;
            let list = answers[0]["list"].as_array().cloned().unwrap_or_default();
            for item in list {
                let message: KeptMessage =
                    serde_json::from_value(item).map_err(|err| GlueError::Engine {
                        reason: format!("Email/get: {err}"),
                    })?;
                found.push(message);
            }
        }
        Ok(found)
    }

    /// Every folder, subscribed or not.
    pub async fn kept_folders(&self) -> Result<Vec<KeptFolder>, GlueError> {
        let answers = self
            .call(&[(
                "Mailbox/get",
                json!({
                    "properties": ["name", "role", "parentId", "sortOrder", "isSubscribed"]
                }),
            )])
            .await?;
        let list = answers[0]["list"].as_array().cloned().unwrap_or_default();
        list.into_iter()
            .map(|item| {
                serde_json::from_value(item).map_err(|err| GlueError::Engine {
                    reason: format!("Mailbox/get: {err}"),
                })
            })
            .collect()
    }
}

impl MailAccess {
    /// Puts a kept message back into these folders with these keywords and its first
    /// arrival time (Unix seconds), as the engine's own undelete does: a new message (new
    /// id, new IMAP UIDs) with the same bytes, counted in the quota. Its new id.
    pub async fn restore_message(
        &self,
        raw: &[u8],
        folder_ids: &[String],
        keywords: &[String],
        received_at: u64,
    ) -> Result<String, GlueError> {
        let mailbox_ids: Vec<u32> = folder_ids
            .iter()
            .filter_map(|id| id.parse::<Id>().ok())
            .map(|id| id.document_id())
            .collect();
        if mailbox_ids.is_empty() {
            return Err(GlueError::Invalid {
                reason: "a message is put back into at least one folder".into(),
            });
        }
        let ingested = self
            .server
            .email_ingest(IngestEmail {
                raw_message: raw,
                blob_hash: None,
                message: MessageParser::new().parse(raw),
                access_token: &self.token,
                mailbox_ids,
                keywords: keywords.iter().map(|k| Keyword::parse(k)).collect(),
                received_at: Some(received_at),
                source: IngestSource::Restore,
                session_id: 0,
            })
            .await
            .map_err(|err| GlueError::Refused {
                kind: "restore".into(),
                reason: err.to_string(),
            })?;
        Ok(Id::from_parts(ingested.thread_id, ingested.document_id).to_string())
    }

    /// Sets a message's folders (when given) and keywords (when given) to exactly these.
    /// Only what differs should be given: the engine gives every folder of a `mailboxIds`
    /// it is sent new IMAP UIDs, and an unchanged one none.
    pub async fn set_message_state(
        &self,
        id: &str,
        folder_ids: Option<&[String]>,
        keywords: Option<&[String]>,
    ) -> Result<(), GlueError> {
        let set = |items: &[String]| -> serde_json::Map<String, Value> {
            items
                .iter()
                .map(|k| (k.clone(), Value::Bool(true)))
                .collect()
        };
        let mut patch = serde_json::Map::new();
        if let Some(folders) = folder_ids {
            patch.insert("mailboxIds".into(), Value::Object(set(folders)));
        }
        if let Some(keywords) = keywords {
            patch.insert("keywords".into(), Value::Object(set(keywords)));
        }
        if patch.is_empty() {
            return Ok(());
        }
        let answers = self
            .call(&[("Email/set", json!({ "update": { id: patch } }))])
            .await?;
        super::set_outcome(&answers[0], "notUpdated")
    }
}
