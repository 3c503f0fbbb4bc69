// SPDX-License-Identifier: AGPL-3.0-only
//! Lists of messages: a folder's or a search's, a page at a time, newest first, by message
//! or by conversation; a conversation's messages; and the people the mailbox wrote to.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::orders::{AHEAD, Changes, DEPTH, Order, OrderKey};
use super::{
    Address, Listing, MAX_PAGE, MailAccess, MailFilter, MessagePage, MessageSummary, RawEmail,
    SUMMARY_PROPERTIES, list,
};
use crate::error::GlueError;

/// Changes followed at most: past them a folder is sorted again.
const CHANGES: u64 = 256;

impl MailAccess {
    /// A page of a folder, newest first: see [`MailAccess::search`].
    pub async fn messages(&self, folder_id: &str, page: Listing) -> Result<MessagePage, GlueError> {
        let filter = MailFilter {
            folder: Some(folder_id.to_string()),
            ..MailFilter::default()
        };
        self.search(&filter, page).await
    }

    /// A page of the messages that match a filter, newest first. By conversation, each
    /// conversation is listed once, by its newest message that matches, with the number of
    /// messages it holds.
    ///
    /// A folder's order is kept between pages (`orders.rs`): while the mail does not change,
    /// a page costs reading its own messages, however big the folder.
    pub async fn search(
        &self,
        filter: &MailFilter,
        page: Listing,
    ) -> Result<MessagePage, GlueError> {
        let limit = page.limit.clamp(1, MAX_PAGE);
        let end = page.position.saturating_add(limit);
        if !filter.answered_from_cache() || end > DEPTH {
            return self
                .search_once(filter, page.position, limit, page.conversations)
                .await;
        }
        let key = OrderKey {
            account: self.token.primary_id,
            filter: filter.to_jmap().to_string(),
            conversations: page.conversations,
        };
        if let Some(kept) = self.orders.get(&key) {
            // Still at its state: the page is read from it. Changed since: the changes are
            // followed when they can be placed (not by conversation: a conversation's row
            // moves with its newest message).
            let mut order = kept;
            for followed in [false, true] {
                let Some(ids) = order.page(page.position, end) else {
                    break;
                };
                if let Some(found) = self
                    .summaries(ids, page.conversations, Some(&order.state))
                    .await?
                {
                    return Ok(MessagePage {
                        messages: found,
                        total: order.total,
                        position: page.position,
                    });
                }
                if followed || page.conversations {
                    break;
                }
                let Some(next) = self.advance(filter, &order).await else {
                    break;
                };
                order = Arc::new(next);
                self.orders.put(key.clone(), order.clone());
            }
        }
        let asked = end.saturating_add(AHEAD).min(DEPTH);
        let answers = self
            .call(&[(
                "Email/query",
                json!({
                    "filter": filter.to_jmap(),
                    "sort": [{ "property": "receivedAt", "isAscending": false }],
                    "collapseThreads": page.conversations,
                    "limit": asked,
                    "calculateTotal": true,
                }),
            )])
            .await?;
        let ids: Vec<String> =
            serde_json::from_value(answers[0]["ids"].clone()).map_err(|err| GlueError::Engine {
                reason: format!("Email/query: {err}"),
            })?;
        let order = Order {
            state: answers[0]["queryState"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            // Fewer than asked: the engine had no more.
            complete: (ids.len() as u64) < asked,
            ids,
            total: answers[0]["total"].as_u64().unwrap_or_default(),
        };
        let ids = order.page(page.position, end).unwrap_or_default();
        let messages = self
            .summaries(ids, page.conversations, None)
            .await?
            .unwrap_or_default();
        let total = order.total;
        if !order.state.is_empty() {
            self.orders.put(key, Arc::new(order));
        }
        Ok(MessagePage {
            messages,
            total,
            position: page.position,
        })
    }

    /// The order at the mail's present state, from the engine's changes since its own, when
    /// they can be placed without sorting again (see [`Order::advanced`]).
    async fn advance(&self, filter: &MailFilter, order: &Order) -> Option<Order> {
        let changed = |path: &str| {
            json!({
                "#ids": { "resultOf": "0", "name": "Email/changes", "path": path },
                "properties": ["mailboxIds", "keywords", "receivedAt"],
            })
        };
        let top: Vec<&String> = order.ids.first().into_iter().collect();
        let answers = self
            .call(&[
                (
                    "Email/changes",
                    json!({ "sinceState": order.state, "maxChanges": CHANGES }),
                ),
                ("Email/get", changed("/created")),
                ("Email/get", changed("/updated")),
                (
                    "Email/get",
                    json!({ "ids": top, "properties": ["receivedAt"] }),
                ),
            ])
            .await
            // Too old a state for the engine to say what changed: sorted again.
            .ok()?;
        let state = answers[0]["newState"].as_str()?;
        if answers[0]["hasMoreChanges"].as_bool() != Some(false)
            || answers[1..]
                .iter()
                .any(|a| a["state"].as_str() != Some(state))
        {
            return None;
        }
        let created: Vec<RawEmail> = list(&answers[1]).ok()?;
        let updated: Vec<RawEmail> = list(&answers[2]).ok()?;
        let top: Vec<RawEmail> = list(&answers[3]).ok()?;
        let changes = Changes {
            state: state.to_string(),
            destroyed: serde_json::from_value(answers[0]["destroyed"].clone()).ok()?,
            updated: updated
                .iter()
                .map(|m| (m.id.clone(), filter.takes(&m.mailbox_ids, &m.keywords)))
                .collect(),
            created: created
                .iter()
                .filter(|m| filter.takes(&m.mailbox_ids, &m.keywords))
                .map(|m| (m.id.clone(), m.received_at.clone()))
                .collect(),
            top_received: top.first().map(|m| m.received_at.clone()),
        };
        order.advanced(&changes)
    }

    /// A page asked of the engine as it is, sorted again: a search of the text, or a page
    /// deeper than the kept orders go.
    async fn search_once(
        &self,
        filter: &MailFilter,
        position: u64,
        limit: u64,
        conversations: bool,
    ) -> Result<MessagePage, GlueError> {
        let mut calls = vec![
            (
                "Email/query",
                json!({
                    "filter": filter.to_jmap(),
                    "sort": [{ "property": "receivedAt", "isAscending": false }],
                    "collapseThreads": conversations,
                    "position": position,
                    "limit": limit,
                    "calculateTotal": true,
                }),
            ),
            (
                "Email/get",
                json!({
                    "#ids": { "resultOf": "0", "name": "Email/query", "path": "/ids" },
                    "properties": SUMMARY_PROPERTIES,
                }),
            ),
        ];
        if conversations {
            calls.push(thread_sizes("1"));
        }
        let answers = self.call(&calls).await?;
        let total = answers[0]["total"].as_u64().unwrap_or_default();
        let position = answers[0]["position"].as_u64().unwrap_or(position);
        let messages = summaries_of(&answers[1], answers.get(2))?;
        Ok(MessagePage {
            messages,
            total,
            position,
        })
    }

    /// The rows of these messages, in this order (a message gone since is left out); none
    /// when `state` is given and the mail is no longer at that state.
    async fn summaries(
        &self,
        ids: &[String],
        conversations: bool,
        state: Option<&str>,
    ) -> Result<Option<Vec<MessageSummary>>, GlueError> {
        let mut calls = vec![(
            "Email/get",
            json!({ "ids": ids, "properties": SUMMARY_PROPERTIES }),
        )];
        if conversations {
            calls.push(thread_sizes("0"));
        }
        let answers = self.call(&calls).await?;
        if state.is_some_and(|state| answers[0]["state"].as_str() != Some(state)) {
            return Ok(None);
        }
        summaries_of(&answers[0], answers.get(1)).map(Some)
    }

    /// The messages of a conversation, oldest first (at most [`MAX_PAGE`]), in every folder.
    pub async fn conversation(&self, thread_id: &str) -> Result<Vec<MessageSummary>, GlueError> {
        let answers = self
            .call(&[
                ("Thread/get", json!({ "ids": [thread_id] })),
                (
                    "Email/get",
                    json!({
                        "#ids": { "resultOf": "0", "name": "Thread/get", "path": "/list/*/emailIds" },
                        "properties": SUMMARY_PROPERTIES,
                    }),
                ),
            ])
            .await?;
        let messages: Vec<RawEmail> = list(&answers[1])?;
        let mut out: Vec<MessageSummary> = messages.iter().map(RawEmail::summary).collect();
        out.sort_by(|a, b| a.received_at.cmp(&b.received_at));
        out.truncate(usize::try_from(MAX_PAGE).unwrap_or(usize::MAX));
        Ok(out)
    }

    /// The people the mailbox wrote to lately (the To and Cc of its newest `limit` sent
    /// messages), most often first, each once.
    pub async fn correspondents(&self, limit: u64) -> Result<Vec<Address>, GlueError> {
        let Some(sent) = self
            .folders()
            .await?
            .into_iter()
            .find(|f| f.role.as_deref() == Some("sent"))
        else {
            return Ok(Vec::new());
        };
        let answers = self
            .call(&[
                (
                    "Email/query",
                    json!({
                        "filter": { "inMailbox": sent.id },
                        "sort": [{ "property": "receivedAt", "isAscending": false }],
                        "limit": limit.clamp(1, MAX_PAGE),
                    }),
                ),
                (
                    "Email/get",
                    json!({
                        "#ids": { "resultOf": "0", "name": "Email/query", "path": "/ids" },
                        "properties": ["to", "cc"],
                    }),
                ),
            ])
            .await?;
        let messages: Vec<RawEmail> = list(&answers[1])?;
        // (address, name, times); the sort below is stable, so the newest breaks ties.
        let mut seen: Vec<(String, Option<String>, u32)> = Vec::new();
        for m in &messages {
            for a in m.to.iter().chain(&m.cc).flatten() {
                let email = a.email.trim().to_lowercase();
                if email.is_empty() {
                    continue;
                }
                match seen.iter_mut().find(|(e, _, _)| *e == email) {
                    Some((_, name, times)) => {
                        *times += 1;
                        if name.is_none() {
                            name.clone_from(&a.name);
                        }
                    }
                    None => seen.push((email, a.name.clone(), 1)),
                }
            }
        }
        seen.sort_by_key(|s| std::cmp::Reverse(s.2));
        Ok(seen
            .into_iter()
            .map(|(email, name, _)| Address { name, email })
            .collect())
    }
}

/// The call that asks for the conversations of the messages an earlier call (`of`) got.
fn thread_sizes(of: &str) -> (&'static str, Value) {
    (
        "Thread/get",
        json!({
            "#ids": { "resultOf": of, "name": "Email/get", "path": "/list/*/threadId" },
        }),
    )
}

/// Rows from an `Email/get` answer (in its order) and, by conversation, the `Thread/get`
/// answer that sizes them.
fn summaries_of(emails: &Value, threads: Option<&Value>) -> Result<Vec<MessageSummary>, GlueError> {
    let messages: Vec<RawEmail> = list(emails)?;
    let mut messages: Vec<MessageSummary> = messages.iter().map(RawEmail::summary).collect();
    if let Some(threads) = threads {
        let threads: Vec<RawThread> = list(threads)?;
        for m in &mut messages {
            m.thread_size = threads
                .iter()
                .find(|t| t.id == m.thread_id)
                .map_or(1, |t| u32::try_from(t.email_ids.len()).unwrap_or(u32::MAX));
        }
    }
    Ok(messages)
}

/// A Thread object as JMAP gives it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawThread {
    id: String,
    #[serde(default)]
    email_ids: Vec<String>,
}
