// SPDX-License-Identifier: AGPL-3.0-only
//! Reading the kept messages: pages of a user's history (a conversation with a contact or a
//! group, or everything), and the messages kept for a user while it had no session.

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{ChatError, ChatMessage, conversation_of};
use crate::db::{chat_message, chat_offline};

/// Messages a history page holds at most.
pub const HISTORY_PAGE: u64 = 100;

/// Which part of a user's history to read.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Only the conversation with this contact.
    pub with: Option<String>,
    /// Sent at or after this time.
    pub start: Option<chrono::DateTime<Utc>>,
    /// Sent at or before this time.
    pub end: Option<chrono::DateTime<Utc>>,
    /// Only messages after this id (the next page forwards).
    pub after: Option<i64>,
    /// Only messages before this id; with `last`, the page just before it.
    pub before: Option<i64>,
    /// The newest page (of what `before` leaves) instead of the oldest.
    pub last: bool,
    /// How many at most (capped at [`HISTORY_PAGE`]).
    pub max: u64,
    /// Only messages whose text holds this, ignoring case.
    pub text: Option<String>,
}

/// A page of history, oldest first.
#[derive(Debug, Clone, Default)]
pub struct HistoryPage {
    pub messages: Vec<ChatMessage>,
    /// Nothing more lies in the page's direction.
    pub complete: bool,
}

/// A page of `address`'s history; with `group`, `query.with` is a group the caller checked
/// `address` is in. Every query is on an index (conversation or participant, then id), so a
/// deep page costs what the first does.
pub(super) async fn read(
    db: &DatabaseConnection,
    address: &str,
    query: &History,
    group: bool,
) -> Result<HistoryPage, ChatError> {
    use sea_orm::{Condition, QuerySelect};
    let max = query.max.clamp(1, HISTORY_PAGE);
    let mut condition = match &query.with {
        Some(with) if group => {
            Condition::all().add(chat_message::Column::Conversation.eq(with.to_lowercase()))
        }
        Some(with) => Condition::all().add(
            chat_message::Column::Conversation.eq(conversation_of(address, &with.to_lowercase())),
        ),
        // The user's own archive: its conversations with contacts. A group's messages are
        // in the group's archive (a pair's conversation names two addresses, a group's one).
        None => Condition::all()
            .add(
                Condition::any()
                    .add(chat_message::Column::Sender.eq(address))
                    .add(chat_message::Column::Recipient.eq(address)),
            )
            .add(chat_message::Column::Conversation.contains(" ")),
    };
    condition = Condition::all().add(condition);
    if let Some(start) = query.start {
        condition = condition.add(chat_message::Column::At.gte(start));
    }
    if let Some(end) = query.end {
        condition = condition.add(chat_message::Column::At.lte(end));
    }
    if let Some(after) = query.after {
        condition = condition.add(chat_message::Column::Id.gt(after));
    }
    if let Some(before) = query.before {
        condition = condition.add(chat_message::Column::Id.lt(before));
    }
    if let Some(text) = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
        // The words as typed: `%`, `_` and `\` match themselves.
        let escaped: String = text
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        condition = condition.add(
            Expr::expr(Func::lower(Expr::col(chat_message::Column::Body)))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    let newest_first = query.last || (query.before.is_some() && query.after.is_none());
    let select = chat_message::Entity::find().filter(condition);
    let select = if newest_first {
        select.order_by_desc(chat_message::Column::Id)
    } else {
        select.order_by_asc(chat_message::Column::Id)
    };
    let mut rows = select.limit(max + 1).all(db).await?;
    let complete = rows.len() as u64 <= max;
    rows.truncate(max as usize);
    if newest_first {
        rows.reverse();
    }
    Ok(HistoryPage {
        messages: rows.into_iter().map(from_row).collect(),
        complete,
    })
}

/// The messages kept for an address while it had no session, oldest first, and no longer
/// kept as waiting.
pub(super) async fn take_waiting(
    db: &DatabaseConnection,
    address: &str,
) -> Result<Vec<ChatMessage>, ChatError> {
    let waiting = chat_offline::Entity::find()
        .filter(chat_offline::Column::Recipient.eq(address))
        .order_by_asc(chat_offline::Column::Id)
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = waiting.iter().map(|w| w.message_id).collect();
    let messages = chat_message::Entity::find()
        .filter(chat_message::Column::Id.is_in(ids))
        .order_by_asc(chat_message::Column::Id)
        .all(db)
        .await?;
    let last = waiting.iter().map(|w| w.id).max().unwrap_or_default();
    chat_offline::Entity::delete_many()
        .filter(chat_offline::Column::Recipient.eq(address))
        .filter(chat_offline::Column::Id.lte(last))
        .exec(db)
        .await?;
    Ok(messages.into_iter().map(from_row).collect())
}

/// A kept message as the hub delivers it.
pub(crate) fn from_row(row: chat_message::Model) -> ChatMessage {
    ChatMessage {
        id: row.id,
        at: row.at,
        from: row.sender,
        from_resource: String::new(),
        to: row.recipient,
        body: row.body,
        origin_id: row.origin_id,
    }
}
