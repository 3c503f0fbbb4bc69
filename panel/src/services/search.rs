// SPDX-License-Identifier: AGPL-3.0-only
//! Finding mailboxes in a domain's list by the start of their words: the local part, whole and
//! in its pieces, and each word of the first and last names ("ros" finds Rossi and
//! mario.rossi; "mario ros" needs both). A word with an @ matches the start of the address.
//!
//! Each mailbox's words are rows of `mailbox_terms`, written with the mailbox and rewritten
//! with its names, so a search reads an index range: it costs what it finds, not the size of
//! the domain.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Query,
};

use super::{ServiceError, Services};
use crate::db::{mailbox, mailbox_term};

/// Words of a search beyond these are ignored.
const MAX_WORDS: usize = 4;

/// The words a mailbox is found by, in lower case.
pub fn terms(local_part: &str, first_name: &str, last_name: &str) -> BTreeSet<String> {
    let local = local_part.to_lowercase();
    let pieces = local.split(['.', '-', '_', '+']);
    let names = [first_name, last_name]
        .into_iter()
        .flat_map(|name| name.split(|c: char| c.is_whitespace() || c == '-' || c == '\''))
        .map(str::to_lowercase);
    pieces
        .map(str::to_string)
        .chain(names)
        .chain(std::iter::once(local.clone()))
        .filter(|word| !word.is_empty())
        .collect()
}

/// Writes a mailbox's words anew.
pub(super) async fn index(
    conn: &impl ConnectionTrait,
    mailbox: &mailbox::Model,
) -> Result<(), DbErr> {
    mailbox_term::Entity::delete_many()
        .filter(mailbox_term::Column::MailboxId.eq(mailbox.id))
        .exec(conn)
        .await?;
    let rows: Vec<mailbox_term::ActiveModel> =
        terms(&mailbox.local_part, &mailbox.first_name, &mailbox.last_name)
            .into_iter()
            .map(|term| mailbox_term::ActiveModel {
                domain_id: Set(mailbox.domain_id),
                term: Set(term),
                mailbox_id: Set(mailbox.id),
            })
            .collect();
    if !rows.is_empty() {
        mailbox_term::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// What a search asks of the domain's mailboxes: every word must match.
pub(super) fn condition(domain_id: i32, search: &str) -> Condition {
    let mut all = Condition::all();
    for word in search.split_whitespace().take(MAX_WORDS) {
        let word = word.to_lowercase();
        if word.contains('@') {
            all = all.add(starts_with(mailbox::Column::Address, &word));
        } else {
            let found = Query::select()
                .column(mailbox_term::Column::MailboxId)
                .from(mailbox_term::Entity)
                .and_where(mailbox_term::Column::DomainId.eq(domain_id))
                .cond_where(starts_with(mailbox_term::Column::Term, &word))
                .to_owned();
            all = all.add(mailbox::Column::Id.in_subquery(found));
        }
    }
    all
}

/// `column` starts with `prefix`, as a range an index answers (`LIKE` would not use one
/// without a case-insensitive collation).
fn starts_with(column: impl ColumnTrait, prefix: &str) -> Condition {
    let from = Condition::all().add(column.gte(prefix));
    match past_prefix(prefix) {
        Some(to) => from.add(column.lt(to)),
        None => from,
    }
}

/// The smallest string after every string that starts with `prefix`.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            _ => char::from_u32(u32::from(last) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

impl Services {
    /// Indexes the mailboxes that have no words yet (those created before search existed, or
    /// by an interrupted write); run at start-up.
    pub async fn index_unsearchable_mailboxes(&self) -> Result<usize, ServiceError> {
        let indexed = Query::select()
            .column(mailbox_term::Column::MailboxId)
            .from(mailbox_term::Entity)
            .to_owned();
        let missing = mailbox::Entity::find()
            .filter(mailbox::Column::Id.not_in_subquery(indexed))
            .all(&self.db)
            .await?;
        for mailbox in &missing {
            index(&self.db, mailbox).await?;
        }
        Ok(missing.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_a_mailbox() {
        let words: Vec<String> = terms("Mario.Rossi-2", "Mario", "De Luca")
            .into_iter()
            .collect();
        assert_eq!(
            words,
            ["2", "de", "luca", "mario", "mario.rossi-2", "rossi"]
        );
        assert_eq!(terms("info", "", "").len(), 1);
        assert!(terms("a", "Anna-Maria", "D'Angelo").contains("angelo"));
    }

    #[test]
    fn the_end_of_a_prefix_range() {
        assert_eq!(past_prefix("ros").as_deref(), Some("rot"));
        assert_eq!(past_prefix("ab\u{10FFFF}").as_deref(), Some("ac"));
        assert_eq!(past_prefix("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(past_prefix(""), None);
        for word in ["rossi", "rosa", "ros"] {
            assert!(("ros".."rot").contains(&word), "{word} starts with ros");
        }
        for word in ["roo", "rot", "rotto"] {
            assert!(!("ros".."rot").contains(&word), "{word} does not");
        }
    }
}
