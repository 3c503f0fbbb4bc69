// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's capture: a transport journal over the engine's own durable queue.
//!
//! For every message it is about to accept, the engine's DATA hook asks [`Services::journal_hook`]
//! which of its parties are archived: the signed-in sender (`out`) and every envelope recipient,
//! Bcc included (`in`). When one is, an *envelope* row is committed first, and only then is the
//! engine told to add one recipient, `journal+<token>@archive.invalid`. The engine queues that
//! copy with the message (so it exists exactly when the message was accepted) and relays it to
//! the journal receiver, retrying until it is taken; [`Services::journal_copy`] keeps the bytes
//! in the content store and writes one archive row per party before answering, once: a copy
//! delivered again finds its rows there.
//!
//! A crash anywhere leaves either no accepted message (the client sends it again) or a queued
//! journal copy that arrives after the restart. An envelope whose copy never came (the engine
//! refused the message after the hook) is marked `not_accepted` by the daily job.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Local, NaiveDate, NaiveTime, Utc};
use engine_glue::JOURNAL_DOMAIN;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};

pub(super) use super::archive_rows::with_message_id;
pub(crate) use super::archive_rows::{NewRow, first_key_of, insert_row, insert_rows, keep_objects};
use super::archive_rows::{count_in, cut};
use super::{
    ServiceError, Services, archive_index::unindex_message, archive_writer::Copy, kept_mail,
};
use crate::{
    content_store::ObjectHash,
    db::{archive, archive_envelope, archive_message, mailbox, stored_object, tm_message},
};

/// The local part's prefix of a journal recipient: `journal+<token>@archive.invalid`.
pub const JOURNAL_PREFIX: &str = "journal+";

/// An envelope whose journal copy has not come after this long was refused by the engine
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
    pub mail_from: String,
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
    /// Accept, and send a copy to this journal recipient.
    Journal(String),
    /// A client named a journal recipient itself.
    Reject,
}

/// Why a journal copy is not taken for a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalRefusal {
    /// No envelope has this token (the engine gives it up: nobody asked for it).
    UnknownToken,
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

/// The token of a journal recipient's address; `None` for any other address.
pub fn journal_token(address: &str) -> Option<&str> {
    let (local, domain) = address.rsplit_once('@')?;
    let token = local.strip_prefix(JOURNAL_PREFIX)?;
    (domain.eq_ignore_ascii_case(JOURNAL_DOMAIN)
        && token.len() == 32
        && token.bytes().all(|b| b.is_ascii_hexdigit()))
    .then_some(token)
}

fn is_journal_address(address: &str) -> bool {
    address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(JOURNAL_DOMAIN))
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
    /// The DATA hook: which parties of this message are archived. When some are, their
    /// envelope is committed before the answer names the journal recipient.
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
        let mut parties: Vec<String> = Vec::new();
        for (account, direction) in &accounts {
            for (id, address) in &archived {
                let party = format!("{id}:{}", direction.as_str());
                if address == account && !parties.contains(&party) {
                    parties.push(party);
                }
            }
        }
        if parties.is_empty() {
            return Ok(HookAnswer::Accept);
        }
        let token = format!("{:032x}", rand::random::<u128>());
        self.journal_writer
            .envelope(archive_envelope::Model {
                token: token.clone(),
                queue_id: envelope.queue_id.unwrap_or_default(),
                login: envelope.login.unwrap_or_default(),
                mail_from: envelope.mail_from,
                recipients: envelope.recipients.join(" "),
                parties: parties.join(" "),
                created_at: Utc::now(),
                state: "pending".into(),
                copies: 0,
                message_id: cut(&envelope.message_id, 500),
            })
            .await?;
        Ok(HookAnswer::Journal(format!(
            "{JOURNAL_PREFIX}{token}@{JOURNAL_DOMAIN}"
        )))
    }

    /// A journal copy arrived for these tokens: keeps its bytes and writes each party's row
    /// (a copy that arrives again adds nothing). Returns, per token, whether it was taken;
    /// an error means nothing is taken and the engine must try again.
    pub async fn journal_copy(
        &self,
        tokens: &[String],
        bytes: Vec<u8>,
    ) -> Result<Vec<Result<(), JournalRefusal>>, ServiceError> {
        let started = std::time::Instant::now();
        // The envelopes this process wrote are known without a read; others (written before a
        // restart, or a copy sent again) are read.
        let (mut found, unknown) = self.journal_writer.known_envelopes(tokens);
        if !unknown.is_empty() {
            found.extend(
                archive_envelope::Entity::find()
                    .filter(archive_envelope::Column::Token.is_in(unknown))
                    .all(self.journal_writer.journal_db())
                    .await?,
            );
        }
        let outcomes: Vec<Result<(), JournalRefusal>> = tokens
            .iter()
            .map(|token| match found.iter().any(|e| &e.token == token) {
                true => Ok(()),
                false => Err(JournalRefusal::UnknownToken),
            })
            .collect();
        if found.is_empty() {
            return Ok(outcomes);
        }
        let envelopes_read = started.elapsed();
        let store = self.time_machine_settings()?.store.clone();
        let size = bytes.len() as i64;
        let _writing = store.writing().await;
        let (hash, summary) = store
            .put_reading(bytes, kept_mail::summary)
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
        };
        self.journal_writer.copy(copy).await?;
        tracing::debug!(
            envelopes_read_us = envelopes_read.as_micros() as u64,
            stored_us = stored.as_micros() as u64,
            committed_us = started.elapsed().as_micros() as u64,
            "journal copy kept"
        );
        Ok(outcomes)
    }

    /// Whether a journal copy is overdue: an envelope still waiting for its copy a few
    /// seconds after the engine was asked for it. Envelopes kept in memory for a copy that has
    /// not come within the hour are let go meanwhile (read from the database if it comes).
    pub async fn journal_copies_due(&self) -> Result<bool, ServiceError> {
        self.journal_writer
            .forget_known_before(Utc::now() - Duration::hours(1));
        Ok(archive_envelope::Entity::find()
            .filter(archive_envelope::Column::State.eq("pending"))
            .filter(archive_envelope::Column::CreatedAt.lt(Utc::now() - Duration::seconds(5)))
            .filter(archive_envelope::Column::CreatedAt.gt(Utc::now() - Duration::days(1)))
            .one(self.journal_writer.journal_db())
            .await?
            .is_some())
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
    fn only_a_journal_address_has_a_token() {
        let token = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            journal_token(&format!("journal+{token}@archive.invalid")),
            Some(token)
        );
        assert_eq!(journal_token(&format!("journal+{token}@demo.test")), None);
        assert_eq!(journal_token("journal+short@archive.invalid"), None);
        assert_eq!(
            journal_token(&format!("other+{token}@archive.invalid")),
            None
        );
        assert!(is_journal_address("x@ARCHIVE.invalid"));
    }

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
