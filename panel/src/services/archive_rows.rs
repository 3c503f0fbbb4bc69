// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's rows: a message kept once per archive and direction, its content-store object
//! recorded, its search key, its folder's count and its text-index entry, written together
//! in a few statements whatever the number of rows.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait,
    sea_query::{self, Expr, ExprTrait, OnConflict},
};

use super::{
    archive::{Direction, retain_until},
    archive_index::{Fields, folder_prefix, index_messages},
    kept_mail,
};
use crate::{
    content_store::ObjectHash,
    db::{archive, archive_message, stored_object},
};

/// Rows inserted per statement.
const ROWS_AT_ONCE: usize = 100;

/// Records objects of the content store (each once), in one statement.
pub(crate) async fn keep_objects<C: ConnectionTrait>(
    db: &C,
    objects: impl IntoIterator<Item = (ObjectHash, i64)>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let rows: Vec<_> = objects
        .into_iter()
        .map(|(hash, size)| stored_object::ActiveModel {
            hash: Set(hash.to_string()),
            size: Set(size),
            stored_at: Set(now),
        })
        .collect();
    stored_object::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(stored_object::Column::Hash)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// One message for one archive.
pub(crate) struct NewRow<'a> {
    pub archive: &'a archive::Model,
    pub direction: Direction,
    pub hash: ObjectHash,
    pub size: i64,
    pub received_at: DateTime<Utc>,
    /// Envelope recipients, space-separated (or the headers' when there is no envelope).
    pub recipients: &'a str,
    pub summary: &'a kept_mail::Summary,
    /// `journal`, `changes` or `import`.
    pub source: &'static str,
    pub token: Option<&'a str>,
}

impl NewRow<'_> {
    /// What makes a row one: an archive has a message once per direction.
    fn identity(&self) -> (i32, Direction, ObjectHash) {
        (self.archive.id, self.direction, self.hash)
    }
}

/// An archive's messages with this Message-ID, found by their index (not by reading the
/// archive's every message).
pub(super) fn with_message_id(
    archive_id: i32,
    message_id: &str,
) -> sea_orm::Select<archive_message::Entity> {
    archive_message::Entity::find()
        .filter(archive_message::Column::ArchiveId.eq(archive_id))
        .filter(archive_message::Column::MessageId.eq(message_id))
}

/// Writes an archive row and its search entry, unless the archive has this message for
/// this direction already. Whether it was new.
pub(crate) async fn insert_row<C: ConnectionTrait>(
    db: &C,
    row: &NewRow<'_>,
) -> Result<bool, DbErr> {
    Ok(insert_rows(db, std::slice::from_ref(row)).await? == [true])
}

/// Writes archive rows and their search entries, each unless its archive has its message for
/// its direction already (or an earlier row of `rows` is the same); whether each was new.
/// A few statements whatever the number of rows (SQLite's writer is one connection: each
/// statement is a round trip to it, and under load the statements, not the work they do,
/// bound a journal copy).
pub(crate) async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    rows: &[NewRow<'_>],
) -> Result<Vec<bool>, DbErr> {
    let mut added = vec![false; rows.len()];
    for (chunk, start) in rows
        .chunks(ROWS_AT_ONCE / 4)
        .zip((0..).step_by(ROWS_AT_ONCE / 4))
    {
        let ids = insert_chunk(db, chunk).await?;
        // The first row of each identity the database took is new; a row like it is not.
        let mut seen = std::collections::HashSet::new();
        let mut keys = Vec::new();
        let mut counts: HashMap<(i32, Direction), i64> = HashMap::new();
        for (i, row) in chunk.iter().enumerate() {
            let Some(&id) = ids.get(&row.identity()) else {
                continue;
            };
            if !seen.insert(row.identity()) {
                continue;
            }
            added[start + i] = true;
            keys.push((id, search_key(row.received_at, id), row));
            *counts.entry((row.archive.id, row.direction)).or_default() += 1;
        }
        if keys.is_empty() {
            continue;
        }
        let mut key_of = sea_query::CaseStatement::new();
        for (id, key, _) in &keys {
            key_of = key_of.case(archive_message::Column::Id.eq(*id), *key);
        }
        archive_message::Entity::update_many()
            .col_expr(archive_message::Column::SearchKey, key_of.into())
            .filter(archive_message::Column::Id.is_in(keys.iter().map(|(id, _, _)| *id)))
            .exec(db)
            .await?;
        for ((archive_id, direction), n) in counts {
            count_in(db, archive_id, direction, n).await?;
        }
        let entries: Vec<_> = keys
            .iter()
            .map(|(_, key, row)| {
                let fields = Fields {
                    sender: &row.summary.sender,
                    recipients: row.recipients,
                    subject: &row.summary.subject,
                    text: &row.summary.text,
                };
                (*key, folder_prefix(row.archive.id, row.direction), fields)
            })
            .collect();
        index_messages(db, &entries).await?;
    }
    Ok(added)
}

/// Inserts rows (none already there); the ids of those inserted, by identity.
async fn insert_chunk<C: ConnectionTrait>(
    db: &C,
    rows: &[NewRow<'_>],
) -> Result<HashMap<(i32, Direction, ObjectHash), i32>, DbErr> {
    let models = rows.iter().map(|row| archive_message::ActiveModel {
        archive_id: Set(row.archive.id),
        direction: Set(row.direction.as_str().into()),
        object_hash: Set(row.hash.to_string()),
        size: Set(row.size),
        received_at: Set(row.received_at),
        sender: Set(cut(&row.summary.sender, 500)),
        recipients: Set(row.recipients.to_string()),
        subject: Set(cut(&row.summary.subject, 1000)),
        preview: Set(row.summary.preview.clone()),
        message_id: Set(cut(&row.summary.message_id, 500)),
        has_attachment: Set(row.summary.has_attachment),
        source: Set(row.source.into()),
        token: Set(row.token.map(str::to_string)),
        retain_until: Set(retain_until(row.received_at, row.archive.retention_years)),
        ..Default::default()
    });
    let mut insert = archive_message::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([
                archive_message::Column::ArchiveId,
                archive_message::Column::Direction,
                archive_message::Column::ObjectHash,
            ])
            .do_nothing()
            .to_owned(),
        )
        .into_query();
    insert.returning(sea_query::Query::returning().columns([
        archive_message::Column::Id,
        archive_message::Column::ArchiveId,
        archive_message::Column::Direction,
        archive_message::Column::ObjectHash,
    ]));
    let mut ids = HashMap::new();
    for taken in db.query_all(&insert).await? {
        let id: i32 = taken.try_get("", "id")?;
        let archive_id: i32 = taken.try_get("", "archive_id")?;
        let direction: String = taken.try_get("", "direction")?;
        let hash: String = taken.try_get("", "object_hash")?;
        if let (Some(direction), Ok(hash)) = (Direction::parse(&direction), hash.parse()) {
            ids.insert((archive_id, direction, hash), id);
        }
    }
    Ok(ids)
}

/// A message's key in the text index: its arrival in Unix seconds shifted left 20 bits,
/// with the low 20 bits of its row id (two messages of one second are told apart by their
/// ids, and a million of them in one second would be needed to clash).
pub(crate) fn search_key(received_at: DateTime<Utc>, id: i32) -> i64 {
    (Ord::max(received_at.timestamp(), 0) << 20) | i64::from(id & 0xF_FFFF)
}

/// The first key of a day (UTC): a date bound as a bound on keys.
pub(crate) fn first_key_of(day: NaiveDate) -> i64 {
    Ord::max(day.and_time(NaiveTime::MIN).and_utc().timestamp(), 0) << 20
}

/// Adds `n` (negative: takes) to an archive's count of messages in one direction.
pub(super) async fn count_in<C: ConnectionTrait>(
    db: &C,
    archive_id: i32,
    direction: Direction,
    n: i64,
) -> Result<(), DbErr> {
    let column = match direction {
        Direction::In => archive::Column::Received,
        Direction::Out => archive::Column::Sent,
    };
    archive::Entity::update_many()
        .col_expr(column, Expr::col(column).add(n))
        .filter(archive::Column::Id.eq(archive_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// At most `max` bytes of `text`, cut on a character boundary.
pub(super) fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}
