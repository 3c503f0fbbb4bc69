// SPDX-License-Identifier: AGPL-3.0-only
//! A mailbox's own Mail Time Machine, for its owner: the days it can be seen as it stood,
//! every folder of a day, a folder's page and search, a message as it stood.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{
    Actor, Caller, ServiceError, Services,
    time_machine::{DEFAULT_SNAPSHOT_DAYS, standing_on},
};
use crate::{
    content_store::ObjectHash,
    db::{mailbox, tm_day, tm_folder, tm_message},
};

/// A mailbox's own Time Machine, for its owner: the days it can be seen as it stood, and
/// what it held each day.
pub struct TimeMachineView<'a> {
    pub(super) services: &'a Services,
    pub(super) mailbox: mailbox::Model,
    /// Who asks, for the audit log.
    pub(super) caller: Caller,
}

/// A folder as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFolder {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub role: Option<String>,
    pub sort_order: u32,
    pub subscribed: bool,
    /// Messages it held that day.
    pub messages: u64,
    /// Of which unread.
    pub unread: u64,
}

/// A message as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayMessage {
    /// The row's id: names this message as it stood, for opening and download.
    pub id: i32,
    pub received_at: chrono::DateTime<Utc>,
    pub size: u64,
    pub subject: String,
    pub sender: String,
    pub preview: String,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    /// The folders it was in (the engine's ids).
    pub folders: Vec<String>,
}

impl Services {
    /// The Time Machine of the caller's own mailbox; staff without a mailbox have none.
    pub fn time_machine_scope(&self, caller: &Caller) -> Result<TimeMachineView<'_>, ServiceError> {
        super::ready(caller)?;
        match &caller.actor {
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => {
                Ok(TimeMachineView {
                    services: self,
                    mailbox: mailbox.clone(),
                    caller: caller.clone(),
                })
            }
            Actor::Operator(_) | Actor::Manager(_) | Actor::Delegate(_) => {
                Err(ServiceError::Forbidden)
            }
        }
    }
}

impl TimeMachineView<'_> {
    /// How many days snapshots are kept.
    pub fn kept_days(&self) -> u32 {
        self.services
            .time_machine_settings()
            .map_or(DEFAULT_SNAPSHOT_DAYS, |s| s.days)
    }

    /// When the snapshot of `day` was taken (its start).
    pub async fn taken_at(&self, day: NaiveDate) -> Result<chrono::DateTime<Utc>, ServiceError> {
        tm_day::Entity::find_by_id(day)
            .one(&self.services.db)
            .await?
            .map(|d| d.started_at)
            .ok_or(ServiceError::NotFound)
    }

    /// The mailbox's address, for the audit log and file names.
    pub fn address(&self) -> &str {
        &self.mailbox.address
    }

    /// The days the mailbox can be seen as it stood, newest first.
    pub async fn days(&self) -> Result<Vec<NaiveDate>, ServiceError> {
        let db = &self.services.db;
        let first: Option<NaiveDate> = tm_folder::Entity::find()
            .select_only()
            .column_as(tm_folder::Column::ValidFrom.min(), "first")
            .filter(tm_folder::Column::MailboxId.eq(self.mailbox.id))
            .into_tuple::<Option<NaiveDate>>()
            .one(db)
            .await?
            .flatten();
        let Some(first) = first else {
            return Ok(Vec::new());
        };
        let days: Vec<NaiveDate> = tm_day::Entity::find()
            .select_only()
            .column(tm_day::Column::Day)
            .filter(tm_day::Column::Day.gte(first))
            .filter(tm_day::Column::FinishedAt.is_not_null())
            .order_by_desc(tm_day::Column::Day)
            .into_tuple()
            .all(db)
            .await?;
        Ok(days)
    }

    /// `NotFound` unless the mailbox can be seen as it stood on `day`.
    pub(super) async fn check_day(&self, day: NaiveDate) -> Result<(), ServiceError> {
        if self.days().await?.contains(&day) {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Every folder as it stood on `day`, subscribed or not, with its message count.
    pub async fn folders(&self, day: NaiveDate) -> Result<Vec<DayFolder>, ServiceError> {
        self.check_day(day).await?;
        let db = &self.services.db;
        let folders = tm_folder::Entity::find()
            .filter(tm_folder::Column::MailboxId.eq(self.mailbox.id))
            .filter(tm_folder::Column::ValidFrom.lte(day))
            .filter(
                Condition::any()
                    .add(tm_folder::Column::ValidTo.is_null())
                    .add(tm_folder::Column::ValidTo.gt(day)),
            )
            .all(db)
            .await?;
        let held: Vec<(String, String)> = tm_message::Entity::find()
            .select_only()
            .column(tm_message::Column::Folders)
            .column(tm_message::Column::Keywords)
            .filter(tm_message::Column::MailboxId.eq(self.mailbox.id))
            .filter(standing_on(day))
            .into_tuple()
            .all(db)
            .await?;
        // Messages, and unread ones, by folder.
        let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
        for (list, keywords) in &held {
            let unread = u64::from(!keywords.split(' ').any(|k| k == "$seen"));
            for folder in list.split(' ').filter(|f| !f.is_empty()) {
                let count = counts.entry(folder).or_default();
                count.0 += 1;
                count.1 += unread;
            }
        }
        Ok(folders
            .into_iter()
            .map(|f| DayFolder {
                messages: counts.get(f.folder_id.as_str()).map_or(0, |c| c.0),
                unread: counts.get(f.folder_id.as_str()).map_or(0, |c| c.1),
                id: f.folder_id,
                name: f.name,
                parent_id: f.parent_id,
                role: f.role,
                sort_order: u32::try_from(f.sort_order).unwrap_or(0),
                subscribed: f.subscribed,
            })
            .collect())
    }

    /// A page of a folder as it stood on `day`, newest first; with `words`, only the
    /// messages whose subject, sender or start of text holds them. The page and the total.
    pub async fn messages(
        &self,
        day: NaiveDate,
        folder_id: &str,
        words: Option<&str>,
        position: u64,
        limit: u64,
    ) -> Result<(Vec<DayMessage>, u64), ServiceError> {
        self.check_day(day).await?;
        let mut query = tm_message::Entity::find()
            .filter(tm_message::Column::MailboxId.eq(self.mailbox.id))
            .filter(standing_on(day))
            .filter(Expr::cust_with_values(
                "(' ' || folders || ' ') LIKE ? ESCAPE '\\'",
                [format!("% {} %", like_escaped(folder_id))],
            ));
        if let Some(words) = words.map(str::trim).filter(|w| !w.is_empty()) {
            for word in words.split_whitespace().take(8) {
                let pattern = format!("%{}%", like_escaped(&word.to_lowercase()));
                query = query.filter(
                    Condition::any()
                        .add(Expr::cust_with_values(
                            "LOWER(subject) LIKE ? ESCAPE '\\'",
                            [pattern.clone()],
                        ))
                        .add(Expr::cust_with_values(
                            "LOWER(sender) LIKE ? ESCAPE '\\'",
                            [pattern.clone()],
                        ))
                        .add(Expr::cust_with_values(
                            "LOWER(preview) LIKE ? ESCAPE '\\'",
                            [pattern],
                        )),
                );
            }
        }
        let db = &self.services.db;
        let total = sea_orm::PaginatorTrait::count(query.clone(), db).await?;
        let rows = query
            .order_by_desc(tm_message::Column::ReceivedAt)
            .order_by_desc(tm_message::Column::Id)
            .offset(position)
            .limit(limit.clamp(1, engine_glue::MAX_PAGE))
            .all(db)
            .await?;
        Ok((rows.into_iter().map(day_message).collect(), total))
    }

    /// A message as it stood on `day`, with its source; `NotFound` unless the mailbox held
    /// it then. A kept file that no longer matches its hash is reported and not served.
    pub async fn open(
        &self,
        day: NaiveDate,
        id: i32,
    ) -> Result<(DayMessage, Vec<u8>), ServiceError> {
        self.check_day(day).await?;
        let row = tm_message::Entity::find_by_id(id)
            .filter(tm_message::Column::MailboxId.eq(self.mailbox.id))
            .filter(standing_on(day))
            .one(&self.services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let hash: ObjectHash = row
            .object_hash
            .parse()
            .map_err(|_| ServiceError::Internal("a kept message has no valid hash".into()))?;
        let store = &self.services.time_machine_settings()?.store;
        let bytes = store.get(hash).await.map_err(|err| match err {
            crate::content_store::ReadError::Missing => ServiceError::NotFound,
            other => {
                tracing::error!(%other, mailbox = %self.mailbox.address, "a kept message could not be read");
                ServiceError::Internal(other.to_string())
            }
        })?;
        Ok((day_message(row), bytes))
    }

    /// A message's source as it stood on `day`: see [`TimeMachineView::open`].
    pub async fn source(&self, day: NaiveDate, id: i32) -> Result<Vec<u8>, ServiceError> {
        Ok(self.open(day, id).await?.1)
    }
}

fn day_message(row: tm_message::Model) -> DayMessage {
    let has = |k: &str| row.keywords.split(' ').any(|w| w == k);
    DayMessage {
        seen: has("$seen"),
        flagged: has("$flagged"),
        answered: has("$answered"),
        id: row.id,
        folders: row
            .folders
            .split(' ')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
        received_at: row.received_at,
        size: u64::try_from(row.size).unwrap_or(0),
        subject: row.subject,
        sender: row.sender,
        preview: row.preview,
    }
}

/// Text for a LIKE pattern, its wildcards taken literally (with `\` as the escape).
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
