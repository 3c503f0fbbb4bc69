// SPDX-License-Identifier: AGPL-3.0-only
//! What a webmail search asks of the engine, as a JMAP filter.

use serde_json::{Value, json};

/// Which messages a search wants; every condition set must hold. Text conditions match as
/// the engine's full-text index does (words, in any case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFilter {
    /// Only in this folder.
    pub folder: Option<String>,
    /// In none of these folders (a search of "everywhere" leaves out Trash and Junk).
    pub not_in: Vec<String>,
    /// Anywhere in the message: headers and text.
    pub text: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub has_attachment: bool,
    /// Received before / after these times (RFC 3339, UTC).
    pub before: Option<String>,
    pub after: Option<String>,
    pub unread: bool,
    pub flagged: bool,
}

impl MailFilter {
    /// The filter as a JMAP `FilterCondition` (or an `AND` of several).
    pub(super) fn to_jmap(&self) -> Value {
        let mut all: Vec<Value> = Vec::new();
        if let Some(folder) = &self.folder {
            all.push(json!({ "inMailbox": folder }));
        }
        if !self.not_in.is_empty() {
            all.push(json!({ "inMailboxOtherThan": self.not_in }));
        }
        for (key, value) in [
            ("text", &self.text),
            ("from", &self.from),
            ("to", &self.to),
            ("subject", &self.subject),
            ("body", &self.body),
            ("before", &self.before),
            ("after", &self.after),
        ] {
            if let Some(value) = value {
                all.push(json!({ key: value }));
            }
        }
        if self.has_attachment {
            all.push(json!({ "hasAttachment": true }));
        }
        if self.unread {
            all.push(json!({ "notKeyword": "$seen" }));
        }
        if self.flagged {
            all.push(json!({ "hasKeyword": "$flagged" }));
        }
        match all.len() {
            0 => json!({}),
            1 => all.remove(0),
            _ => json!({ "operator": "AND", "conditions": all }),
        }
    }
}
