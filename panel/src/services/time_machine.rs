// SPDX-License-Identifier: AGPL-3.0-only
//! The Mail Time Machine: every mailbox as it stood at 00:00 of each of the last days
//! (15 unless configured), kept as intervals of days over the content store.
//!
//! A snapshot asks the engine first where the mailbox stands in its change log: the same
//! place as the night before means the same mail, and the mailbox costs that one read and
//! no row. A mailbox that changed is read as changes (what was created, changed or removed
//! since the last snapshot's state), each change closing the interval of the message as it
//! stood and opening one as it stands. A message's bytes are read from the engine once,
//! when it is first seen, and kept once by hash.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Local, NaiveDate, NaiveTime, Utc};
use engine_glue::{GlueError, KeptFolder, KeptMessage};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::{ServiceError, Services};
use crate::{
    content_store::{ContentStore, ObjectHash},
    db::{mailbox, stored_object, tm_cursor, tm_day, tm_folder, tm_message},
};

/// How long a snapshot that could not be taken waits before it is tried again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(600);
/// Days a snapshot is kept unless configured.
pub const DEFAULT_SNAPSHOT_DAYS: u32 = 15;
/// Rows read or written in one statement at most (SQLite's bound parameters allow more;
/// this keeps statements small).
const ROWS_AT_ONCE: usize = 400;

/// Where the Time Machine keeps its bytes and for how long.
#[derive(Clone, Debug)]
pub struct TimeMachineSettings {
    pub store: ContentStore,
    /// Days a snapshot is kept (at least one).
    pub days: u32,
    /// What the operator charges for bringing a mailbox back to a day (cents; 0 = free).
    pub restore_price_cents: i64,
}

/// What one mailbox's snapshot did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxSnapshot {
    /// The mailbox had changed since its last snapshot.
    pub changed: bool,
    /// Rows written (opened, closed or replaced).
    pub rows: u64,
    /// Messages read from the engine and kept for the first time.
    pub objects_added: u64,
    pub bytes_added: u64,
}

/// What a day's snapshot of every mailbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaySnapshot {
    pub mailboxes: u32,
    pub changed: u32,
    pub failed: u32,
    pub rows: u64,
    pub bytes_added: u64,
}

/// The Time Machine of a running Casella: its settings, and one snapshot at a time.
#[derive(Debug)]
pub struct TimeMachine {
    settings: TimeMachineSettings,
    running: tokio::sync::Mutex<()>,
}

impl Services {
    /// Keeps daily snapshots in this content store for these many days.
    pub fn with_time_machine(mut self, settings: TimeMachineSettings) -> Self {
        self.time_machine = Some(std::sync::Arc::new(TimeMachine {
            settings: TimeMachineSettings {
                days: settings.days.max(1),
                ..settings
            },
            running: tokio::sync::Mutex::new(()),
        }));
        self
    }

    pub(crate) fn time_machine_settings(&self) -> Result<&TimeMachineSettings, ServiceError> {
        self.time_machine
            .as_deref()
            .map(|tm| &tm.settings)
            .ok_or_else(|| ServiceError::Internal("the Time Machine has no content store".into()))
    }

    /// Takes day `day`'s snapshot of every mailbox, then lets go of what is older than the
    /// days kept. Taking a day again (after a crash, say) brings it up to date.
    pub async fn snapshot_day(&self, day: NaiveDate) -> Result<DaySnapshot, ServiceError> {
        let settings = self.time_machine_settings()?.clone();
        // One at a time: the night's and one an operator asked for never interleave.
        let _running = match self.time_machine.as_deref() {
            Some(tm) => tm.running.lock().await,
            None => return Err(ServiceError::Internal("no Time Machine".into())),
        };
        tm_day::Entity::insert(tm_day::ActiveModel {
            day: Set(day),
            started_at: Set(Utc::now()),
            finished_at: Set(None),
            mailboxes: Set(0),
            changed: Set(0),
            failed: Set(0),
            bytes_added: Set(0),
            rows_written: Set(0),
        })
        .on_conflict(
            OnConflict::column(tm_day::Column::Day)
                .update_columns([tm_day::Column::StartedAt, tm_day::Column::FinishedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        let mailboxes = mailbox::Entity::find()
            .order_by_asc(mailbox::Column::Id)
            .all(&self.db)
            .await?;
        let mut report = DaySnapshot::default();
        for mailbox in &mailboxes {
            report.mailboxes += 1;
            match self.snapshot_mailbox(&settings.store, mailbox, day).await {
                Ok(done) => {
                    report.changed += u32::from(done.changed);
                    report.rows += done.rows;
                    report.bytes_added += done.bytes_added;
                }
                Err(err) => {
                    report.failed += 1;
                    tracing::warn!(mailbox = %mailbox.address, %err, %day, "mailbox snapshot failed");
                }
            }
        }
        // Here only: its `max` would shadow the integers' own elsewhere.
        use sea_orm::sea_query::ExprTrait;
        tm_day::Entity::update_many()
            .col_expr(tm_day::Column::FinishedAt, Expr::value(Some(Utc::now())))
            .col_expr(
                tm_day::Column::Mailboxes,
                Expr::value(to_i32(report.mailboxes)),
            )
            .col_expr(tm_day::Column::Changed, Expr::value(to_i32(report.changed)))
            .col_expr(tm_day::Column::Failed, Expr::value(to_i32(report.failed)))
            .col_expr(
                tm_day::Column::BytesAdded,
                Expr::col(tm_day::Column::BytesAdded).add(to_i64(report.bytes_added)),
            )
            .col_expr(
                tm_day::Column::RowsWritten,
                Expr::col(tm_day::Column::RowsWritten).add(to_i64(report.rows)),
            )
            .filter(tm_day::Column::Day.eq(day))
            .exec(&self.db)
            .await?;
        tracing::info!(?report, %day, "Time Machine snapshot taken");
        self.expire_snapshots(day, settings.days).await?;
        Ok(report)
    }

    /// Brings one mailbox's snapshot of `day` up to date with the engine.
    pub async fn snapshot_mailbox(
        &self,
        store: &ContentStore,
        mailbox: &mailbox::Model,
        day: NaiveDate,
    ) -> Result<MailboxSnapshot, ServiceError> {
        let access = self.engine.mail_of(&mailbox.address).await?;
        let cursor = tm_cursor::Entity::find_by_id(mailbox.id)
            .one(&self.db)
            .await?;
        if cursor.is_none() {
            // A mailbox never opened gets its special folders when first read: made now,
            // they are not taken for a change the next night.
            access.kept_folders().await?;
        }
        // Read before the mail itself: the mark kept is never ahead of what was read.
        let mark = i64::try_from(access.change_mark().await?).unwrap_or(i64::MAX);
        if cursor.as_ref().is_some_and(|c| c.change_mark == mark) {
            return Ok(MailboxSnapshot::default());
        }
        let folders = access.kept_folders().await?;
        let since = match &cursor {
            Some(cursor) => access.message_changes(&cursor.state).await?,
            None => None,
        };
        let (changed_ids, destroyed, state, whole) = match since {
            Some(changes) => (changes.changed, changes.destroyed, changes.state, false),
            None => {
                let (ids, state) = access.all_message_ids().await?;
                (ids, Vec::new(), state, true)
            }
        };
        let messages = access.kept_messages(&changed_ids).await?;

        // The intervals open now for the messages concerned (all of them, read whole).
        let open = if whole {
            open_messages(&self.db, mailbox.id, None).await?
        } else {
            let concerned: Vec<String> = changed_ids.iter().chain(&destroyed).cloned().collect();
            open_messages(&self.db, mailbox.id, Some(&concerned)).await?
        };
        let mut report = MailboxSnapshot {
            changed: true,
            ..MailboxSnapshot::default()
        };
        // Each message's bytes: known already by its blob, or read and kept now (no collection
        // of unreferenced objects runs until the rows that refer to them are written).
        let _writing = store.writing().await;
        let mut hashes = known_objects(&self.db, mailbox.id, &messages).await?;
        for message in &messages {
            if hashes.contains_key(&message.blob_id) {
                continue;
            }
            let Some(bytes) = access.blob(&message.blob_id).await? else {
                // Gone between the listing and now: the next snapshot sees it gone.
                continue;
            };
            let size = bytes.len() as u64;
            let hash = store
                .put(bytes)
                .await
                .map_err(|err| ServiceError::Internal(format!("content store: {err}")))?;
            let added = stored_object::Entity::insert(stored_object::ActiveModel {
                hash: Set(hash.to_string()),
                size: Set(to_i64(size)),
                stored_at: Set(Utc::now()),
            })
            .on_conflict(
                OnConflict::column(stored_object::Column::Hash)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
            if added > 0 {
                report.objects_added += 1;
                report.bytes_added += size;
            }
            hashes.insert(message.blob_id.clone(), hash);
        }

        let txn = crate::db::begin_write(&self.db).await?;
        report.rows += apply_folders(&txn, mailbox.id, day, &folders).await?;
        let mut seen = HashSet::with_capacity(messages.len());
        for message in &messages {
            let Some(hash) = hashes.get(&message.blob_id) else {
                continue;
            };
            seen.insert(message.id.as_str());
            let current = open.get(&message.id);
            if current.is_some_and(|row| same_message(row, message)) {
                continue;
            }
            if let Some(row) = current {
                report.rows += close(&txn, row.id, row.valid_from, day).await?;
            }
            insert_message(&txn, mailbox.id, day, message, *hash).await?;
            report.rows += 1;
        }
        // Gone: removed since, or (read whole) no longer listed.
        for (email_id, row) in &open {
            let gone = if whole {
                !seen.contains(email_id.as_str())
            } else {
                destroyed.contains(email_id)
                    || (!seen.contains(email_id.as_str()) && changed_ids.contains(email_id))
            };
            if gone {
                report.rows += close(&txn, row.id, row.valid_from, day).await?;
            }
        }
        tm_cursor::Entity::insert(tm_cursor::ActiveModel {
            mailbox_id: Set(mailbox.id),
            change_mark: Set(mark),
            state: Set(state),
            day: Set(day),
        })
        .on_conflict(
            OnConflict::column(tm_cursor::Column::MailboxId)
                .update_columns([
                    tm_cursor::Column::ChangeMark,
                    tm_cursor::Column::State,
                    tm_cursor::Column::Day,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(report)
    }

    /// Lets go of the days before the `days` kept up to `today`: intervals that ended
    /// before them, days' records, and the objects nothing keeps any more.
    pub async fn expire_snapshots(&self, today: NaiveDate, days: u32) -> Result<u64, ServiceError> {
        let oldest = today - Duration::days(i64::from(days.max(1)) - 1);
        let txn = crate::db::begin_write(&self.db).await?;
        tm_message::Entity::delete_many()
            .filter(tm_message::Column::ValidTo.lte(oldest))
            .exec(&txn)
            .await?;
        tm_folder::Entity::delete_many()
            .filter(tm_folder::Column::ValidTo.lte(oldest))
            .exec(&txn)
            .await?;
        tm_day::Entity::delete_many()
            .filter(tm_day::Column::Day.lt(oldest))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.collect_objects().await
    }

    /// Takes each day's snapshot at 00:00 local time (the engine purges Trash and Junk at
    /// 01:00, after it), and at start the day's when it was missed.
    pub fn spawn_snapshots(&self) {
        let services = self.clone();
        tokio::spawn(async move {
            loop {
                let today = Local::now().date_naive();
                let taken = tm_day::Entity::find_by_id(today)
                    .one(&services.db)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|d| d.finished_at.is_some());
                if !taken && let Err(err) = services.snapshot_day(today).await {
                    // The database or the engine could not be reached: again in a while,
                    // not at the next midnight.
                    tracing::warn!(%err, %today, "Time Machine snapshot failed; retrying");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
                let midnight = (today + Duration::days(1))
                    .and_time(NaiveTime::MIN)
                    .and_local_timezone(Local)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc));
                let wait = midnight
                    .and_then(|at| (at - Utc::now()).to_std().ok())
                    .unwrap_or(std::time::Duration::from_secs(60));
                tokio::time::sleep(wait).await;
            }
        });
    }
}

/// The open intervals of a mailbox's messages (of these only, when given), by message.
async fn open_messages(
    db: &impl ConnectionTrait,
    mailbox_id: i32,
    only: Option<&[String]>,
) -> Result<HashMap<String, tm_message::Model>, ServiceError> {
    let base = tm_message::Entity::find()
        .filter(tm_message::Column::MailboxId.eq(mailbox_id))
        .filter(tm_message::Column::ValidTo.is_null());
    let rows = match only {
        None => base.all(db).await?,
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(ROWS_AT_ONCE) {
                rows.extend(
                    base.clone()
                        .filter(tm_message::Column::EmailId.is_in(chunk.iter().cloned()))
                        .all(db)
                        .await?,
                );
            }
            rows
        }
    };
    Ok(rows.into_iter().map(|r| (r.email_id.clone(), r)).collect())
}

/// The kept objects of these messages' blobs that the mailbox's snapshots hold already.
async fn known_objects(
    db: &impl ConnectionTrait,
    mailbox_id: i32,
    messages: &[KeptMessage],
) -> Result<HashMap<String, ObjectHash>, ServiceError> {
    let blobs: Vec<String> = messages
        .iter()
        .map(|m| m.blob_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut known = HashMap::new();
    for chunk in blobs.chunks(ROWS_AT_ONCE) {
        let rows: Vec<(String, String)> = tm_message::Entity::find()
            .select_only()
            .column(tm_message::Column::BlobId)
            .column(tm_message::Column::ObjectHash)
            .filter(tm_message::Column::MailboxId.eq(mailbox_id))
            .filter(tm_message::Column::BlobId.is_in(chunk.iter().cloned()))
            .distinct()
            .into_tuple()
            .all(db)
            .await?;
        for (blob, hash) in rows {
            if let Ok(hash) = hash.parse() {
                known.insert(blob, hash);
            }
        }
    }
    Ok(known)
}

fn same_message(row: &tm_message::Model, message: &KeptMessage) -> bool {
    row.blob_id == message.blob_id
        && row.folders == message.folders.join(" ")
        && row.keywords == message.keywords.join(" ")
}

/// Ends an interval on `day`; one that began that same day (the day taken again) never
/// stood at a snapshot and goes.
async fn close(
    txn: &DatabaseTransaction,
    id: i32,
    valid_from: NaiveDate,
    day: NaiveDate,
) -> Result<u64, ServiceError> {
    if valid_from >= day {
        tm_message::Entity::delete_by_id(id).exec(txn).await?;
    } else {
        tm_message::Entity::update_many()
            .col_expr(tm_message::Column::ValidTo, Expr::value(Some(day)))
            .filter(tm_message::Column::Id.eq(id))
            .exec(txn)
            .await?;
    }
    Ok(1)
}

async fn insert_message(
    txn: &DatabaseTransaction,
    mailbox_id: i32,
    day: NaiveDate,
    message: &KeptMessage,
    hash: ObjectHash,
) -> Result<(), ServiceError> {
    let received_at = chrono::DateTime::parse_from_rfc3339(&message.received_at)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| {
            ServiceError::Engine(GlueError::Engine {
                reason: format!("receivedAt {:?}: {err}", message.received_at),
            })
        })?;
    let sender = message
        .from
        .as_deref()
        .and_then(<[_]>::first)
        .map(|a| match a.name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => format!("{name} <{}>", a.email),
            None => a.email.clone(),
        })
        .unwrap_or_default();
    tm_message::ActiveModel {
        mailbox_id: Set(mailbox_id),
        email_id: Set(message.id.clone()),
        blob_id: Set(message.blob_id.clone()),
        object_hash: Set(hash.to_string()),
        received_at: Set(received_at),
        size: Set(to_i64(message.size)),
        subject: Set(message.subject.clone().unwrap_or_default()),
        sender: Set(sender),
        preview: Set(message.preview.clone()),
        message_id: Set(message
            .message_id
            .as_deref()
            .and_then(<[_]>::first)
            .cloned()
            .unwrap_or_default()),
        folders: Set(message.folders.join(" ")),
        keywords: Set(message.keywords.join(" ")),
        valid_from: Set(day),
        valid_to: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Brings the folders' intervals in line with the folders now: rows written.
async fn apply_folders(
    txn: &DatabaseTransaction,
    mailbox_id: i32,
    day: NaiveDate,
    folders: &[KeptFolder],
) -> Result<u64, ServiceError> {
    let open: HashMap<String, tm_folder::Model> = tm_folder::Entity::find()
        .filter(tm_folder::Column::MailboxId.eq(mailbox_id))
        .filter(tm_folder::Column::ValidTo.is_null())
        .all(txn)
        .await?
        .into_iter()
        .map(|f| (f.folder_id.clone(), f))
        .collect();
    let mut rows = 0;
    let now: HashSet<&str> = folders.iter().map(|f| f.id.as_str()).collect();
    for folder in folders {
        let current = open.get(&folder.id);
        let same = current.is_some_and(|row| {
            row.name == folder.name
                && row.parent_id == folder.parent_id
                && row.role == folder.role
                && row.sort_order == i32::try_from(folder.sort_order).unwrap_or(i32::MAX)
                && row.subscribed == folder.is_subscribed
        });
        if same {
            continue;
        }
        if let Some(row) = current {
            end_folder(txn, row, day).await?;
            rows += 1;
        }
        tm_folder::ActiveModel {
            mailbox_id: Set(mailbox_id),
            folder_id: Set(folder.id.clone()),
            name: Set(folder.name.clone()),
            parent_id: Set(folder.parent_id.clone()),
            role: Set(folder.role.clone()),
            sort_order: Set(i32::try_from(folder.sort_order).unwrap_or(i32::MAX)),
            subscribed: Set(folder.is_subscribed),
            valid_from: Set(day),
            valid_to: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        rows += 1;
    }
    for row in open.values() {
        if !now.contains(row.folder_id.as_str()) {
            end_folder(txn, row, day).await?;
            rows += 1;
        }
    }
    Ok(rows)
}

async fn end_folder(
    txn: &DatabaseTransaction,
    row: &tm_folder::Model,
    day: NaiveDate,
) -> Result<(), ServiceError> {
    if row.valid_from >= day {
        tm_folder::Entity::delete_by_id(row.id).exec(txn).await?;
    } else {
        tm_folder::Entity::update_many()
            .col_expr(tm_folder::Column::ValidTo, Expr::value(Some(day)))
            .filter(tm_folder::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The rows of a mailbox that stood on `day`.
pub(crate) fn standing_on(day: NaiveDate) -> Condition {
    Condition::all()
        .add(tm_message::Column::ValidFrom.lte(day))
        .add(
            Condition::any()
                .add(tm_message::Column::ValidTo.is_null())
                .add(tm_message::Column::ValidTo.gt(day)),
        )
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub use super::time_machine_view::{DayFolder, DayMessage, TimeMachineView};

/// The snapshots as the operator's monitor shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStatus {
    /// The days kept, newest first.
    pub days: Vec<tm_day::Model>,
    pub kept_days: u32,
    /// Objects in the content store, and their bytes.
    pub objects: u64,
    pub bytes: u64,
    /// The latest restores, newest first, with their mailboxes' addresses.
    pub restores: Vec<(String, crate::db::tm_restore::Model)>,
}

impl super::OperatorScope<'_> {
    /// The snapshots kept, and what the content store holds.
    pub async fn snapshot_status(&self) -> Result<SnapshotStatus, ServiceError> {
        let db = &self.services.db;
        let days = tm_day::Entity::find()
            .order_by_desc(tm_day::Column::Day)
            .all(db)
            .await?;
        let (objects, bytes): (i64, Option<i64>) = stored_object::Entity::find()
            .select_only()
            .column_as(stored_object::Column::Hash.count(), "objects")
            .column_as(stored_object::Column::Size.sum(), "bytes")
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or((0, None));
        let restores = crate::db::tm_restore::Entity::find()
            .order_by_desc(crate::db::tm_restore::Column::Id)
            .limit(20)
            .all(db)
            .await?;
        let ids: Vec<i32> = restores.iter().map(|r| r.mailbox_id).collect();
        let addresses: HashMap<i32, String> = mailbox::Entity::find()
            .filter(mailbox::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.address))
            .collect();
        let restores = restores
            .into_iter()
            .map(|r| (addresses.get(&r.mailbox_id).cloned().unwrap_or_default(), r))
            .collect();
        Ok(SnapshotStatus {
            days,
            restores,
            kept_days: self.services.time_machine_settings()?.days,
            objects: u64::try_from(objects).unwrap_or(0),
            bytes: bytes.and_then(|b| u64::try_from(b).ok()).unwrap_or(0),
        })
    }

    /// Takes today's snapshot again now (today's day then shows every mailbox as it is
    /// now); audited.
    pub async fn take_snapshot_now(&self) -> Result<DaySnapshot, ServiceError> {
        let today = Local::now().date_naive();
        let report = self.services.snapshot_day(today).await?;
        self.services
            .audit(
                &self.caller,
                super::AuditEntry {
                    action: "time-machine.snapshot",
                    domain: None,
                    target: &today.to_string(),
                    before: None,
                    after: Some(format!(
                        "{} mailboxes, {} changed, {} failed",
                        report.mailboxes, report.changed, report.failed
                    )),
                },
            )
            .await;
        Ok(report)
    }
}
