// SPDX-License-Identifier: AGPL-3.0-only
//! Lists of messages: a folder's or a search's, a page at a time, newest first, by message
//! or by conversation; a conversation's messages; and the people the mailbox wrote to.

use serde::Deserialize;
use serde_json::json;

use super::{
    Address, Listing, MAX_PAGE, MailAccess, MailFilter, MessagePage, MessageSummary, RawEmail,
    SUMMARY_PROPERTIES, list,
};
use crate::error::GlueError;

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
    pub async fn search(
        &self,
        filter: &MailFilter,
        page: Listing,
    ) -> Result<MessagePage, GlueError> {
        let mut calls = vec![
            (
                "Email/query",
                json!({
                    "filter": filter.to_jmap(),
                    "sort": [{ "property": "receivedAt", "isAscending": false }],
                    "collapseThreads": page.conversations,
                    "position": page.position,
                    "limit": page.limit.clamp(1, MAX_PAGE),
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
        if page.conversations {
            calls.push((
                "Thread/get",
                json!({
                    "#ids": { "resultOf": "1", "name": "Email/get", "path": "/list/*/threadId" },
                }),
            ));
        }
        let answers = self.call(&calls).await?;
        let total = answers[0]["total"].as_u64().unwrap_or_default();
        let position = answers[0]["position"].as_u64().unwrap_or(page.position);
        let messages: Vec<RawEmail> = list(&answers[1])?;
        let mut messages: Vec<MessageSummary> = messages.iter().map(RawEmail::summary).collect();
        if page.conversations {
            let threads: Vec<RawThread> = list(&answers[2])?;
            for m in &mut messages {
                m.thread_size = threads
                    .iter()
                    .find(|t| t.id == m.thread_id)
                    .map_or(1, |t| u32::try_from(t.email_ids.len()).unwrap_or(u32::MAX));
            }
        }
        Ok(MessagePage {
            messages,
            total,
            position,
        })
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

/// A Thread object as JMAP gives it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawThread {
    id: String,
    #[serde(default)]
    email_ids: Vec<String>,
}
