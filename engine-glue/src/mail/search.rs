// SPDX-License-Identifier: AGPL-3.0-only
//! What a webmail search asks of the engine, as a JMAP filter.

use std::collections::BTreeMap;

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
    /// Whether the engine answers it from its cache of the messages (folders and flags),
    /// which changes with the mail's state, rather than from the search index, which the
    /// engine fills in the background.
    pub(super) fn answered_from_cache(&self) -> bool {
        // Every field named, so a new condition has to say which it is.
        let MailFilter {
            folder: _,
            not_in: _,
            unread: _,
            flagged: _,
            text,
            from,
            to,
            subject,
            body,
            has_attachment,
            before,
            after,
        } = self;
        [text, from, to, subject, body, before, after]
            .iter()
            .all(|v| v.is_none())
            && !has_attachment
    }

    /// Whether a message with these folders and keywords (as JMAP gives them) is one the
    /// filter takes, for a filter [answered from the cache](Self::answered_from_cache).
    pub(super) fn takes(
        &self,
        folders: &BTreeMap<String, bool>,
        keywords: &BTreeMap<String, bool>,
    ) -> bool {
        let has = |set: &BTreeMap<String, bool>, key: &str| set.get(key).copied() == Some(true);
        self.folder.as_deref().is_none_or(|f| has(folders, f))
            && !self.not_in.iter().any(|f| has(folders, f))
            && (!self.unread || !has(keywords, "$seen"))
            && (!self.flagged || has(keywords, "$flagged"))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&str]) -> BTreeMap<String, bool> {
        keys.iter().map(|k| (k.to_string(), true)).collect()
    }

    #[test]
    fn a_folder_and_flags_filter_is_told_apart_and_applied_like_the_engine() {
        let unread_inbox = MailFilter {
            folder: Some("in".into()),
            unread: true,
            ..MailFilter::default()
        };
        assert!(unread_inbox.answered_from_cache());
        assert!(unread_inbox.takes(&set(&["in"]), &set(&[])));
        assert!(unread_inbox.takes(&set(&["in", "work"]), &set(&["$flagged"])));
        assert!(!unread_inbox.takes(&set(&["in"]), &set(&["$seen"])));
        assert!(!unread_inbox.takes(&set(&["work"]), &set(&[])));

        let everywhere_but_trash = MailFilter {
            not_in: vec!["trash".into()],
            flagged: true,
            ..MailFilter::default()
        };
        assert!(everywhere_but_trash.takes(&set(&["in"]), &set(&["$flagged"])));
        assert!(!everywhere_but_trash.takes(&set(&["in", "trash"]), &set(&["$flagged"])));
        assert!(!everywhere_but_trash.takes(&set(&["in"]), &set(&["$seen"])));

        for text in [
            MailFilter {
                text: Some("figures".into()),
                ..unread_inbox.clone()
            },
            MailFilter {
                after: Some("2026-01-01T00:00:00Z".into()),
                ..unread_inbox.clone()
            },
            MailFilter {
                has_attachment: true,
                ..MailFilter::default()
            },
        ] {
            assert!(!text.answered_from_cache(), "{text:?}");
        }
    }
}
