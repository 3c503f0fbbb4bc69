// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's capture: a transport journal over the engine's own durable queue.
//!
//! For every message it is about to accept, the engine's DATA hook asks [`Services::journal_hook`]
//! which of its parties are archived: the signed-in sender (`out`) and every envelope recipient,
//! Bcc included (`in`). When one is, the engine is told to add a journal recipient whose
//! address carries the message's queue id and those parties, sealed (see `journal_address`);
//! nothing is written, so the SMTP client waits for no commit. The engine queues that copy
//! with the message (so it exists exactly when the message was accepted) and relays it to the
//! journal receiver, retrying until it is taken; [`Services::journal_copy`] reads the rest of
//! the envelope from the queued message, keeps the bytes in the content store and writes one
//! archive row per party before answering, once: a copy delivered again finds its rows there.
//!
//! A crash anywhere leaves either no accepted message (the client sends it again) or a queued
//! journal copy that arrives after the restart. Copies queued by an earlier version name an
//! envelope row instead; one whose copy never came is marked `not_accepted` by the daily job.

use std::collections::{HashMap, hash_map::Entry};

use chrono::{DateTime, Datelike, Duration, Local, NaiveDate, NaiveTime, Utc};
use engine_glue::{QueuedEnvelope, is_journal_address};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};

pub(super) use super::archive_rows::with_message_id;
pub(crate) use super::archive_rows::{NewRow, first_key_of, insert_row, insert_rows, keep_objects};
use super::archive_rows::{count_in, cut};
use super::{
    ServiceError, Services,
    archive_index::unindex_message,
    archive_writer::{Awaited, Copy, CopyEnvelope},
    journal_address::{JournalRecipient, journal_addresses},
    kept_mail,
};
use crate::{
    content_store::ObjectHash,
    db::{archive, archive_envelope, archive_message, mailbox, stored_object, tm_message},
};

/// An envelope row whose journal copy has not come after this long was refused by the engine
/// after the hook (the engine's journal queue itself gives up after 30 days).
const ENVELOPE_WAIT_DAYS: i64 = 31;

/// Rows deleted or objects collected per statement.
const ROWS_AT_ONCE: usize = 400;

/// A message the engine is about to accept, as its DATA hook shows it.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// Who is signed in to send it; none for mail from the MX.
    pub login: Option<String>,
    /// The engine's queue id (hex).
    pub queue_id: Option<String>,
    /// Every recipient, Bcc included.
    pub recipients: Vec<String>,
    /// Its Message-ID header, without brackets; empty when it has none.
    pub message_id: String,
}

/// What the hook answers the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookAnswer {
    /// Nobody in it is archived.
    Accept,
    /// Accept, and send a copy to these journal recipients (one, or a few for many parties).
    Journal(Vec<String>),
    /// A client named a journal recipient itself.
    Reject,
}

/// Why a journal copy is not taken for a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalRefusal {
    /// No envelope row has this token (the engine gives it up: nobody asked for it).
    UnknownToken,
    /// The engine's queue does not have this address to deliver (a copy already taken, sent
    /// again by someone else; the engine gives it up).
    NotDue,
    /// The address's seal is not the hook's, or the bytes are not the queued message's: only
    /// a lost key or a fault could do this to the engine's own copy, so it is asked for again
    /// (and logged as an error) rather than dropped.
    NotGenuine,
    /// The engine's queue does not hold the message the address names: the copy is asked
    /// for again (the engine delivers only what its queue holds).
    NotQueued,
}

/// Which way a message went for an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// The day a message kept today for `years` may go.
pub fn retain_until(kept: DateTime<Utc>, years: i32) -> NaiveDate {
    let day = kept.date_naive();
    let year = day.year() + years.clamp(1, 10);
    // 29 February kept for a year goes on 28 February.
    NaiveDate::from_ymd_opt(year, day.month(), day.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, day.month(), day.day() - 1))
        .unwrap_or(day)
}

impl Services {
    /// The DATA hook: which parties of this message are archived. When some are, the answer
    /// names the journal recipients that carry them (nothing is written).
    pub async fn journal_hook(&self, envelope: Envelope) -> Result<HookAnswer, ServiceError> {
        if envelope.recipients.iter().any(|r| is_journal_address(r)) {
            return Ok(HookAnswer::Reject);
        }
        let mut accounts: Vec<(String, Direction)> = Vec::new();
        if let Some(login) = &envelope.login {
            accounts.push((login.to_lowercase(), Direction::Out));
        }
        for recipient in &envelope.recipients {
            if let Some(account) = self.engine.recipient_account(recipient).await? {
                accounts.push((account, Direction::In));
            }
        }
        if accounts.is_empty() {
            return Ok(HookAnswer::Accept);
        }
        let addresses: Vec<&str> = accounts.iter().map(|(a, _)| a.as_str()).collect();
        let archived: Vec<(i32, String)> = archive::Entity::find()
            .select_only()
            .column(archive::Column::Id)
            .column(mailbox::Column::Address)
            .inner_join(mailbox::Entity)
            .filter(archive::Column::Active.eq(true))
            .filter(mailbox::Column::Address.is_in(addresses))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut parties: Vec<(i32, Direction)> = Vec::new();
        for (account, direction) in &accounts {
            for (id, address) in &archived {
                if address == account && !parties.contains(&(*id, *direction)) {
                    parties.push((*id, *direction));
                }
            }
        }
        if parties.is_empty() {
            return Ok(HookAnswer::Accept);
        }
        // The engine names the queue id at the DATA stage (it is the id the message is
        // queued under); without it no address could name the message.
        let queue_id = envelope
            .queue_id
            .as_deref()
            .and_then(|id| u64::from_str_radix(id, 16).ok())
            .ok_or_else(|| ServiceError::Internal("the engine's hook named no queue id".into()))?;
        let key = self.journal_writer.key().await?;
        let addresses = journal_addresses(key, queue_id, &parties);
        self.journal_writer.await_copy(
            queue_id,
            Awaited {
                asked_at: Utc::now(),
                message_id: cut(&envelope.message_id, 500),
                archives: parties.iter().map(|(id, _)| *id).collect(),
            },
        );
        Ok(HookAnswer::Journal(addresses))
    }

    /// A journal copy arrived for these recipients: keeps its bytes and writes each party's
    /// row (a copy that arrives again adds nothing). Returns, per recipient, whether it was
    /// taken; an error means nothing is taken and the engine must try again.
    pub async fn journal_copy(
        &self,
        recipients: &[JournalRecipient],
        bytes: Vec<u8>,
    ) -> Result<Vec<Result<(), JournalRefusal>>, ServiceError> {
        let started = std::time::Instant::now();
        let mut outcomes = vec![Ok(()); recipients.len()];
        let mut found: Vec<CopyEnvelope> = Vec::new();
        // Addresses naming a queued message: its envelope is read from the engine's queue
        // (once per message; a message with many parties has a few journal recipients).
        let key = self.journal_writer.key().await?;
        let content = recipients
            .iter()
            .any(|r| matches!(r, JournalRecipient::Queued(_)))
            .then(|| *blake3::hash(&bytes).as_bytes());
        let mut tokens: Vec<(usize, &str)> = Vec::new();
        // Each message's queued envelope, read once.
        let mut queued: HashMap<u64, Option<QueuedEnvelope>> = HashMap::new();
        for (i, recipient) in recipients.iter().enumerate() {
            let copy = match recipient {
                JournalRecipient::Envelope(token) => {
                    tokens.push((i, token.as_str()));
                    continue;
                }
                JournalRecipient::Queued(copy) => copy,
            };
            if !copy.is_genuine(key) {
                tracing::error!(
                    queue_id = copy.queue_id,
                    "journal copy not taken: its address is not sealed with this installation's \
                     key (`journal_address_key` in panel_settings); the engine keeps it queued"
                );
                outcomes[i] = Err(JournalRefusal::NotGenuine);
                continue;
            }
            let envelope = match queued.entry(copy.queue_id) {
                Entry::Occupied(read) => read.into_mut(),
                Entry::Vacant(unread) => {
                    unread.insert(self.engine.queued_envelope(copy.queue_id).await)
                }
            };
            let Some(envelope) = envelope else {
                tracing::warn!(
                    queue_id = copy.queue_id,
                    "journal copy not taken: the engine's queue does not hold its message"
                );
                outcomes[i] = Err(JournalRefusal::NotQueued);
                continue;
            };
            if !envelope.journal_due.contains(&copy.address()) {
                tracing::warn!(
                    queue_id = copy.queue_id,
                    "journal copy refused: the engine's queue has delivered it already"
                );
                outcomes[i] = Err(JournalRefusal::NotDue);
                continue;
            }
            if Some(envelope.blob_hash) != content {
                tracing::error!(
                    queue_id = copy.queue_id,
                    "journal copy not taken: its bytes are not the queued message's"
                );
                outcomes[i] = Err(JournalRefusal::NotGenuine);
                continue;
            }
            let token = format!("{:x}", copy.queue_id);
            match found.iter_mut().find(|e| e.token == token) {
                Some(kept) => kept.parties.extend(copy.parties.iter().copied()),
                None => found.push(CopyEnvelope {
                    token,
                    accepted_at: DateTime::from_timestamp(envelope.accepted_at as i64, 0)
                        .unwrap_or_else(Utc::now),
                    recipients: envelope.recipients.join(" "),
                    parties: copy.parties.clone(),
                    has_row: false,
                }),
            }
        }
        // Addresses of an earlier version name an envelope row.
        if !tokens.is_empty() {
            let rows = archive_envelope::Entity::find()
                .filter(archive_envelope::Column::Token.is_in(tokens.iter().map(|(_, t)| *t)))
                .all(self.journal_writer.journal_db())
                .await?;
            for (i, token) in &tokens {
                if !rows.iter().any(|row| row.token == *token) {
                    outcomes[*i] = Err(JournalRefusal::UnknownToken);
                }
            }
            found.extend(rows.into_iter().map(CopyEnvelope::from));
        }
        if found.is_empty() {
            return Ok(outcomes);
        }
        let queue_ids: Vec<u64> = recipients
            .iter()
            .zip(&outcomes)
            .filter_map(|(recipient, outcome)| match (recipient, outcome) {
                (JournalRecipient::Queued(copy), Ok(())) => Some(copy.queue_id),
                _ => None,
            })
            .collect();
        let envelopes_read = started.elapsed();
        let store = self.time_machine_settings()?.store.clone();
        let size = bytes.len() as i64;
        let _writing = store.writing().await;
        // Its bytes reach the disk with its batch's, before the batch's rows are written.
        let (hash, summary, unsettled) = store
            .put_unsettled(bytes, kept_mail::summary)
            .await
            .map_err(|err| ServiceError::Internal(format!("content store: {err}")))?;
        let stored = started.elapsed();
        // The writing guard is held until the rows are committed (the copies' writer may wait
        // for others first): the object cannot be collected before a row keeps it, and a
        // collection waits for the copies under way.
        let copy = Copy {
            envelopes: found,
            hash,
            size,
            summary,
            store: store.clone(),
            unsettled,
        };
        self.journal_writer.copy(copy).await?;
        self.journal_writer.forget_awaited(queue_ids);
        tracing::debug!(
            envelopes_read_us = envelopes_read.as_micros() as u64,
            stored_us = stored.as_micros() as u64,
            committed_us = started.elapsed().as_micros() as u64,
            "journal copy kept"
        );
        Ok(outcomes)
    }

    /// Notes the journal copies the engine's queue still has to deliver (read at start: what
    /// the hook asked for before a restart), so the pass over the engine's changes waits for
    /// them rather than keeping those messages itself. How many were found.
    pub async fn await_queued_copies(&self) -> Result<usize, ServiceError> {
        let key = self.journal_writer.key().await?;
        let mut noted = 0;
        for due in self.engine.due_journal_copies().await? {
            let archives: Vec<i32> = due
                .addresses
                .iter()
                .filter_map(|address| match JournalRecipient::parse(address) {
                    Some(JournalRecipient::Queued(copy)) if copy.is_genuine(key) => {
                        Some(copy.parties)
                    }
                    // An earlier version's copy: its envelope row says the same.
                    _ => None,
                })
                .flatten()
                .map(|(id, _)| id)
                .collect();
            if archives.is_empty() {
                continue;
            }
            self.journal_writer.await_copy(
                due.queue_id,
                Awaited {
                    asked_at: Utc::now(),
                    message_id: due.message_id.unwrap_or_default(),
                    archives,
                },
            );
            noted += 1;
        }
        Ok(noted)
    }

    /// Whether a journal copy is overdue: one the hook asked for a few seconds ago or more
    /// that the engine's queue still has to deliver. One it has not to (the engine refused the
    /// message after the hook, or another node took the copy) is let go, as is one not come
    /// within the day.
    pub async fn journal_copies_due(&self) -> bool {
        let now = Utc::now();
        self.journal_writer
            .forget_awaited(self.journal_writer.awaited_since(now - Duration::days(1)));
        let mut due = false;
        for queue_id in self
            .journal_writer
            .awaited_since(now - Duration::seconds(5))
        {
            let queued = self.engine.queued_envelope(queue_id).await;
            if queued.is_some_and(|queued| !queued.journal_due.is_empty()) {
                // One is enough to wake the queue; the rest are looked at next time.
                due = true;
                break;
            } else {
                self.journal_writer.forget_awaited([queue_id]);
            }
        }
        due
    }

    /// Lets go of archived messages past their retention and marks envelopes whose copy
    /// never came; then collects the objects nothing keeps. Returns the messages let go.
    pub async fn expire_archives(&self, today: NaiveDate) -> Result<u64, ServiceError> {
        let mut removed = 0;
        loop {
            let rows: Vec<(i32, i32, String, Option<i64>)> = archive_message::Entity::find()
                .select_only()
                .column(archive_message::Column::Id)
                .column(archive_message::Column::ArchiveId)
                .column(archive_message::Column::Direction)
                .column(archive_message::Column::SearchKey)
                .filter(archive_message::Column::RetainUntil.lte(today))
                .limit(ROWS_AT_ONCE as u64)
                .into_tuple()
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                break;
            }
            let txn = crate::db::begin_write(&self.db).await?;
            let mut counts: HashMap<(i32, Direction), i64> = HashMap::new();
            for (_, archive_id, direction, key) in &rows {
                if let Some(direction) = Direction::parse(direction) {
                    *counts.entry((*archive_id, direction)).or_default() += 1;
                }
                if let Some(key) = key {
                    unindex_message(&txn, *key).await?;
                }
            }
            for ((archive_id, direction), n) in counts {
                count_in(&txn, archive_id, direction, -n).await?;
            }
            removed += archive_message::Entity::delete_many()
                .filter(archive_message::Column::Id.is_in(rows.iter().map(|r| r.0)))
                .exec(&txn)
                .await?
                .rows_affected;
            txn.commit().await?;
        }
        let journal = self.journal_writer.journal_db();
        let waited = Utc::now() - Duration::days(ENVELOPE_WAIT_DAYS);
        archive_envelope::Entity::update_many()
            .col_expr(archive_envelope::Column::State, Expr::value("not_accepted"))
            .filter(archive_envelope::Column::State.eq("pending"))
            .filter(archive_envelope::Column::CreatedAt.lt(waited))
            .exec(journal)
            .await?;
        // Past that wait the engine sends no copy again: a kept envelope has done its work.
        archive_envelope::Entity::delete_many()
            .filter(archive_envelope::Column::State.eq("done"))
            .filter(archive_envelope::Column::CreatedAt.lt(waited))
            .exec(journal)
            .await?;
        // An archive switched off, or whose mailbox is gone, goes once it holds nothing.
        archive::Entity::delete_many()
            .filter(archive::Column::Active.eq(false))
            .filter(
                archive::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(archive_message::Column::ArchiveId)
                        .from(archive_message::Entity)
                        .to_owned(),
                ),
            )
            .exec(&self.db)
            .await?;
        self.collect_objects().await?;
        Ok(removed)
    }

    /// Removes the content store's objects no Time Machine day and no archive keeps: from
    /// the store first, then its row, so a crash between the two leaves a row the next pass
    /// clears, never a row without its bytes served; then packs mostly let go are rewritten.
    /// Returns the objects removed.
    pub(crate) async fn collect_objects(&self) -> Result<u64, ServiceError> {
        let store = self.time_machine_settings()?.store.clone();
        let _collecting = store.collecting().await;
        let orphans: Vec<String> = stored_object::Entity::find()
            .select_only()
            .column(stored_object::Column::Hash)
            .filter(
                stored_object::Column::Hash.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(tm_message::Column::ObjectHash)
                        .from(tm_message::Entity)
                        .to_owned(),
                ),
            )
            .filter(
                stored_object::Column::Hash.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(archive_message::Column::ObjectHash)
                        .from(archive_message::Entity)
                        .to_owned(),
                ),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut freed = 0;
        for chunk in orphans.chunks(ROWS_AT_ONCE) {
            for hash in chunk {
                if let Ok(parsed) = hash.parse::<ObjectHash>() {
                    store
                        .remove(parsed)
                        .await
                        .map_err(|err| ServiceError::Internal(format!("content store: {err}")))?;
                }
            }
            freed += stored_object::Entity::delete_many()
                .filter(stored_object::Column::Hash.is_in(chunk.iter().cloned()))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        // The packs mostly made of what was just let go give their space back.
        let returned = store
            .compact()
            .await
            .map_err(|err| ServiceError::Internal(format!("content store: {err}")))?;
        if returned > 0 {
            tracing::info!(bytes = returned, "content store: packs compacted");
        }
        Ok(freed)
    }

    /// Runs the archive's retention each night at 02:00 local time (after the Time
    /// Machine's snapshot and the engine's purge), and once at start.
    pub fn spawn_archive_retention(&self) {
        let services = self.clone();
        tokio::spawn(async move {
            loop {
                let today = Local::now().date_naive();
                match services.expire_archives(today).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "archived messages past retention"),
                    Err(err) => tracing::warn!(%err, "archive retention failed"),
                }
                let next = (today + Duration::days(1))
                    .and_time(NaiveTime::from_hms_opt(2, 0, 0).unwrap_or(NaiveTime::MIN))
                    .and_local_timezone(Local)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc));
                let wait = next
                    .and_then(|at| (at - Utc::now()).to_std().ok())
                    .unwrap_or(std::time::Duration::from_secs(3600));
                tokio::time::sleep(wait).await;
            }
        });
    }
}

impl Services {
    /// Keeps a message read from the engine (not brought by the journal: imported, or found
    /// by the pass over the engine's changes) in an archive: its bytes in the content store,
    /// its row and search entry, once. Whether it was new.
    pub(super) async fn keep_engine_copy(
        &self,
        kept: &archive::Model,
        bytes: Vec<u8>,
        direction: Direction,
        received_at: DateTime<Utc>,
        source: &'static str,
    ) -> Result<bool, ServiceError> {
        let store = self.time_machine_settings()?.store.clone();
        let size = bytes.len() as i64;
        let summary = {
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || kept_mail::summary(&bytes))
                .await
                .map_err(|err| ServiceError::Internal(err.to_string()))?
        };
        let _writing = store.writing().await;
        let hash = store
            .put(bytes)
            .await
            .map_err(|err| ServiceError::Internal(format!("content store: {err}")))?;
        // An engine copy has no envelope: its recipients are its headers'.
        let recipients = summary.recipients.join(" ");
        let txn = crate::db::begin_write(&self.db).await?;
        keep_objects(&txn, [(hash, size)]).await?;
        let row = NewRow {
            archive: kept,
            direction,
            hash,
            size,
            received_at,
            recipients: &recipients,
            summary: &summary,
            source,
            token: None,
        };
        let added = insert_row(&txn, &row).await?;
        txn.commit().await?;
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnectionTrait;

    use crate::services::{archive_index::folder_prefix, archive_rows::search_key};

    #[test]
    fn search_keys_follow_arrival_then_id() {
        let at = "2026-03-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let later = at + Duration::seconds(1);
        assert!(search_key(at, 900_000) < search_key(later, 1));
        assert!(search_key(at, 1) < search_key(at, 2));
        let day = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        assert!(first_key_of(day) <= search_key(at, 0));
        assert!(search_key(at, 0) < first_key_of(day.succ_opt().unwrap()));
    }

    #[tokio::test]
    async fn rows_are_written_once_with_their_keys_counts_and_index() {
        use sea_orm::Statement;

        let dir = tempfile::tempdir().expect("dir");
        let databases = crate::db::testing::databases(dir.path()).await;
        for db in &databases.connections {
            let db = db.clone();
            let backend = db.get_database_backend();
            let kept = crate::db::testing::archive_of(&db, "bob@demo.test").await;
            let summary = |subject: &str| kept_mail::Summary {
                sender: "Anna <anna@example.test>".into(),
                subject: subject.into(),
                message_id: format!("{subject}@example.test"),
                text: format!("{subject} testo"),
                ..kept_mail::Summary::default()
            };
            let (march, april) = (summary("marzo"), summary("aprile"));
            let at = "2026-03-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
            let row = |direction, bytes: &[u8], summary| NewRow {
                archive: &kept,
                direction,
                hash: ObjectHash::of(bytes),
                size: bytes.len() as i64,
                received_at: at,
                recipients: "bob@demo.test",
                summary,
                source: "journal",
                token: None,
            };
            let rows = [
                row(Direction::In, b"one", &march),
                // The same message again in one batch (a copy delivered twice at once).
                row(Direction::In, b"one", &march),
                row(Direction::Out, b"one", &march),
                row(Direction::In, b"two", &april),
            ];
            keep_objects(&db, rows.iter().map(|r| (r.hash, r.size)))
                .await
                .expect("objects");
            assert_eq!(
                insert_rows(&db, &rows).await.expect("rows"),
                [true, false, true, true]
            );
            // A copy that arrives again adds nothing.
            assert!(!insert_row(&db, &rows[3]).await.expect("again"));
            assert_eq!(
                stored_object::Entity::find()
                    .all(&db)
                    .await
                    .expect("objects")
                    .len(),
                2
            );
            let counted = archive::Entity::find_by_id(kept.id)
                .one(&db)
                .await
                .expect("read")
                .expect("archive");
            assert_eq!((counted.received, counted.sent), (2, 1));
            let written = archive_message::Entity::find()
                .all(&db)
                .await
                .expect("rows");
            assert_eq!(written.len(), 3);
            for message in &written {
                assert_eq!(message.search_key, Some(search_key(at, message.id)));
            }
            // Each row's words are in the index under its own key, in its own folder.
            let inbox = folder_prefix(kept.id, Direction::In);
            let (sql, value): (&str, String) = match backend {
                sea_orm::DatabaseBackend::Sqlite => (
                    "SELECT rowid AS k FROM archive_search WHERE archive_search MATCH ? \
                     ORDER BY rowid",
                    format!("body:{inbox}testo"),
                ),
                _ => (
                    "SELECT id AS k FROM archive_search WHERE body @@ $1::tsquery ORDER BY id",
                    format!("{inbox}testo"),
                ),
            };
            let keys: Vec<i64> = db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, [value.into()]))
                .await
                .expect("search")
                .iter()
                .map(|r| r.try_get("", "k").expect("key"))
                .collect();
            let mut expected: Vec<i64> = written
                .iter()
                .filter(|m| m.direction == "in")
                .filter_map(|m| m.search_key)
                .collect();
            expected.sort_unstable();
            assert_eq!(keys, expected, "{backend:?}");
        }
        databases.drop().await;
    }

    #[test]
    fn retention_counts_whole_years_from_the_day_kept() {
        let kept = "2028-02-29T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            retain_until(kept, 1),
            NaiveDate::from_ymd_opt(2029, 2, 28).unwrap()
        );
        assert_eq!(
            retain_until(kept, 99),
            NaiveDate::from_ymd_opt(2038, 2, 28).unwrap()
        );
    }
}
