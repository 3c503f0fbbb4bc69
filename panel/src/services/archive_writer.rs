// SPDX-License-Identifier: AGPL-3.0-only
//! The journal's two writers: one commits the hook's envelopes (and marks them done once their
//! copy is kept), the other the journal copies' rows. Each takes as many jobs as are waiting
//! (a group commit, as the engine's own queue does), writes them in a few statements whatever
//! their number (under load, SQLite's round trips rather than its work bound a writer), and
//! answers each only after they are committed — the copies' in one transaction, the envelopes'
//! statements each on its own (each stands alone, and may run again); a batch that fails is
//! tried again one job at a time, so one bad job never holds up the others.
//!
//! On SQLite the envelopes live in a database file of their own (`journal.sqlite3`, see
//! `db::connect_journal`), so they have their own write lock: the engine holds a sender's SMTP
//! transaction open while its envelope is written, and that write never waits behind a copy's
//! rows and text index on the panel database's one writer. A batch of copies' rows
//! (idempotent: one row per archive, direction and content) is committed, then their envelopes
//! are marked (done: a copy came) in one statement by the envelopes' writer, and the engine is
//! answered once both are committed: a crash or a failure of either leaves the copy
//! unanswered, the engine delivers it again, and that adds no row.
//!
//! The copies' writer waits a moment after its first job for others ([`COPY_LINGER`]): a
//! batch costs a fixed number of statements, so a few copies more in it cost almost nothing,
//! and nobody waits on a copy's rows but the engine's queue. The envelopes' writer never waits
//! (an SMTP client waits on each of its envelopes). The envelopes this process wrote are kept
//! in memory until their copy comes, so a copy needs no read to find its parties.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::{Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::{mpsc, oneshot};

use super::{
    archive::{Direction, NewRow, insert_rows, keep_objects},
    kept_mail::Summary,
};
use crate::{
    content_store::ObjectHash,
    db::{archive, archive_envelope, archive_message},
};

/// The most envelope jobs one transaction takes.
const BATCH: usize = 64;

/// The most copies one transaction takes (their rows and text index are written in a few
/// statements whatever their number).
const COPY_BATCH: usize = 64;

/// How long the copies' writer waits, after a first copy, for others to join its batch. At a
/// few hundred copies a second a batch then holds ten or more instead of two or three; a
/// copy's rows are committed that much later, which only the engine's queue waits for.
const COPY_LINGER: Duration = Duration::from_millis(40);

/// Jobs of each kind waiting for their writer before senders wait too.
const WAITING: usize = 1024;

/// The most envelopes kept in memory for their copy; past it, a copy reads its envelope.
const KNOWN_MOST: usize = 10_000;

/// A journal copy's bytes, kept in the content store, and the envelopes it was sent for.
pub(crate) struct Copy {
    pub envelopes: Vec<archive_envelope::Model>,
    pub hash: ObjectHash,
    pub size: i64,
    pub summary: Summary,
}

/// A write the envelopes' writer does.
enum EnvelopeJob {
    /// A new envelope, before the engine is told to send its copy.
    Insert(Box<archive_envelope::Model>),
    /// These envelopes' copy is kept.
    Done(Vec<String>),
}

struct Job<W> {
    write: W,
    done: oneshot::Sender<Result<(), DbErr>>,
}

/// A handle on the writers; their tasks start with the first job.
pub(crate) struct JournalWriter {
    db: DatabaseConnection,
    journal: DatabaseConnection,
    queues: OnceLock<Queues>,
    /// The envelopes committed by this process whose copy has not come yet, by token.
    known: Mutex<HashMap<String, archive_envelope::Model>>,
}

struct Queues {
    envelopes: mpsc::Sender<Job<EnvelopeJob>>,
    copies: mpsc::Sender<Job<Copy>>,
}

impl JournalWriter {
    /// Copies' rows go to `db`; envelopes to `journal` (the same database on PostgreSQL).
    pub(crate) fn new(db: DatabaseConnection, journal: DatabaseConnection) -> JournalWriter {
        JournalWriter {
            db,
            journal,
            queues: OnceLock::new(),
            known: Mutex::default(),
        }
    }

    /// Where the envelopes are.
    pub(crate) fn journal_db(&self) -> &DatabaseConnection {
        &self.journal
    }

    fn queues(&self) -> &Queues {
        self.queues.get_or_init(|| {
            let (envelopes, envelopes_waiting) = mpsc::channel(WAITING);
            let (copies, copies_waiting) = mpsc::channel(WAITING);
            tokio::spawn(
                Writer {
                    db: self.journal.clone(),
                    most: BATCH,
                    linger: Duration::ZERO,
                    marks: None,
                    name: "envelopes",
                }
                .run(envelopes_waiting),
            );
            tokio::spawn(
                Writer {
                    db: self.db.clone(),
                    most: COPY_BATCH,
                    linger: COPY_LINGER,
                    marks: Some(envelopes.clone()),
                    name: "copies",
                }
                .run(copies_waiting),
            );
            Queues { envelopes, copies }
        })
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, archive_envelope::Model>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Commits an envelope row.
    pub(crate) async fn envelope(&self, row: archive_envelope::Model) -> Result<(), DbErr> {
        let token = row.token.clone();
        let kept = row.clone();
        ask(&self.queues().envelopes, EnvelopeJob::Insert(Box::new(row))).await?;
        let mut known = self.known();
        if known.len() < KNOWN_MOST {
            known.insert(token, kept);
        }
        Ok(())
    }

    /// The envelopes of these tokens that this process committed and still keeps (each let
    /// go: a copy that comes again reads its envelope), and the tokens it does not know.
    pub(crate) fn known_envelopes(
        &self,
        tokens: &[String],
    ) -> (Vec<archive_envelope::Model>, Vec<String>) {
        let mut known = self.known();
        let mut found = Vec::with_capacity(tokens.len());
        let mut unknown = Vec::new();
        for token in tokens {
            match known.remove(token) {
                Some(envelope) => found.push(envelope),
                None => unknown.push(token.clone()),
            }
        }
        (found, unknown)
    }

    /// Lets go of the envelopes kept in memory that were written before `cutoff`.
    pub(crate) fn forget_known_before(&self, cutoff: DateTime<Utc>) {
        self.known()
            .retain(|_, envelope| envelope.created_at >= cutoff);
    }

    /// Commits a copy's rows, one per archived party of each of its envelopes (none that are
    /// there already), then marks its envelopes done.
    pub(crate) async fn copy(&self, copy: Copy) -> Result<(), DbErr> {
        ask(&self.queues().copies, copy).await
    }
}

/// Queues a write and waits for its answer.
async fn ask<W>(queue: &mpsc::Sender<Job<W>>, write: W) -> Result<(), DbErr> {
    let (done, answer) = oneshot::channel();
    queue
        .send(Job { write, done })
        .await
        .map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

fn stopped() -> DbErr {
    DbErr::Custom("the archive's writer has stopped".into())
}

/// Writes one of the writers does inside its transaction: a batch of them at once.
trait Write: Send + Sync + Sized + 'static {
    /// Whether a batch's statements must be committed together, in one transaction. On SQLite
    /// a writer whose every statement stands alone runs them without one: a batch then costs
    /// two round trips to the database fewer (its `BEGIN` and its `COMMIT`).
    const TOGETHER: bool = true;

    fn write_all<C: ConnectionTrait>(
        batch: &[&Self],
        db: &C,
    ) -> impl std::future::Future<Output = Result<(), DbErr>> + Send;

    /// The envelopes to mark done once this write is committed.
    fn done_tokens(&self) -> impl Iterator<Item = &str> {
        std::iter::empty()
    }
}

/// One of the two writers.
struct Writer {
    db: DatabaseConnection,
    /// The most jobs a transaction takes.
    most: usize,
    /// How long it waits after a first job for others.
    linger: Duration,
    /// Where the envelopes of what it commits are marked done.
    marks: Option<mpsc::Sender<Job<EnvelopeJob>>>,
    name: &'static str,
}

impl Writer {
    /// Takes what is waiting, up to `most` at a time, until the handles go.
    async fn run<W: Write>(self, mut queue: mpsc::Receiver<Job<W>>) {
        let mut batch = Vec::with_capacity(self.most);
        while queue.recv_many(&mut batch, self.most).await > 0 {
            if !self.linger.is_zero() && batch.len() < self.most {
                tokio::time::sleep(self.linger).await;
                while batch.len() < self.most {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
            }
            self.write_and_answer(&mut batch).await;
        }
    }

    /// Writes a batch of jobs and answers each; the batch is left empty.
    async fn write_and_answer<W: Write>(&self, batch: &mut Vec<Job<W>>) {
        // A sender that stopped waiting (its connection ended) is told nothing: what it asked
        // for is committed or not, and the engine asks again if it needs to.
        let jobs = batch.len();
        let start = Instant::now();
        let writes: Vec<&W> = batch.iter().map(|job| &job.write).collect();
        let written = self.write(&writes).await;
        drop(writes);
        if let Ok(stages) = &written {
            tracing::debug!(
                writer = self.name,
                jobs,
                locked_us = stages.locked_us,
                written_us = stages.written_us,
                committed_us = stages.committed_us,
                marked_us = micros_since(start),
                "journal batch"
            );
        }
        match written {
            Ok(_) => {
                for job in batch.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
            }
            Err(err) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(err));
                }
            }
            Err(err) => {
                tracing::warn!(%err, jobs = batch.len(), writer = self.name, "archive batch failed; one job at a time");
                for job in batch.drain(..) {
                    let outcome = self.write(&[&job.write]).await.map(|_| ());
                    let _ = job.done.send(outcome);
                }
            }
        }
    }

    /// Writes every job in one transaction, then has their envelopes marked; when it had the
    /// write lock, when its jobs were written and when they were committed (the debug log's
    /// timings of the writers).
    async fn write<W: Write>(&self, batch: &[&W]) -> Result<Stages, DbErr> {
        let stages = write_batch(&self.db, batch).await?;
        let Some(marks) = &self.marks else {
            return Ok(stages);
        };
        let tokens: Vec<String> = batch
            .iter()
            .flat_map(|write| write.done_tokens())
            .map(str::to_string)
            .collect();
        if !tokens.is_empty() {
            ask(marks, EnvelopeJob::Done(tokens)).await?;
        }
        Ok(stages)
    }
}

/// Writes every job in one transaction; when it had the write lock and when its jobs were
/// written (the debug log's timings of the writers).
async fn write_batch<W: Write>(db: &DatabaseConnection, batch: &[&W]) -> Result<Stages, DbErr> {
    let start = Instant::now();
    // On PostgreSQL each commit waits for its log to reach the disk: one commit there.
    if !W::TOGETHER && db.get_database_backend() == DbBackend::Sqlite {
        W::write_all(batch, db).await?;
        let done = micros_since(start);
        return Ok(Stages {
            locked_us: 0,
            written_us: done,
            committed_us: done,
        });
    }
    let txn = crate::db::begin_write(db).await?;
    let locked_us = micros_since(start);
    W::write_all(batch, &txn).await?;
    let written_us = micros_since(start);
    txn.commit().await?;
    Ok(Stages {
        locked_us,
        written_us,
        committed_us: micros_since(start),
    })
}

struct Stages {
    locked_us: u64,
    written_us: u64,
    committed_us: u64,
}

fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl Write for EnvelopeJob {
    /// Each statement commits on its own, and may run again (a batch that fails is written
    /// again one job at a time): an envelope is there or not, a copy marked or not.
    const TOGETHER: bool = false;

    /// The new envelopes in one statement, then every copy's mark in one more.
    async fn write_all<C: ConnectionTrait>(batch: &[&Self], db: &C) -> Result<(), DbErr> {
        let mut new = Vec::new();
        let mut done = Vec::new();
        for job in batch {
            match job {
                EnvelopeJob::Insert(row) => new.push(new_envelope(row)),
                EnvelopeJob::Done(tokens) => done.extend(tokens.iter().cloned()),
            }
        }
        if !new.is_empty() {
            archive_envelope::Entity::insert_many(new)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
        }
        if !done.is_empty() {
            archive_envelope::Entity::update_many()
                .col_expr(archive_envelope::Column::State, Expr::value("done"))
                .col_expr(
                    archive_envelope::Column::Copies,
                    Expr::col(archive_envelope::Column::Copies).add(1),
                )
                .filter(archive_envelope::Column::Token.is_in(done))
                .exec(db)
                .await?;
        }
        Ok(())
    }
}

/// An envelope as a row to insert.
fn new_envelope(row: &archive_envelope::Model) -> archive_envelope::ActiveModel {
    let row = row.clone();
    archive_envelope::ActiveModel {
        token: Set(row.token),
        queue_id: Set(row.queue_id),
        login: Set(row.login),
        mail_from: Set(row.mail_from),
        recipients: Set(row.recipients),
        parties: Set(row.parties),
        created_at: Set(row.created_at),
        state: Set(row.state),
        copies: Set(row.copies),
        message_id: Set(row.message_id),
    }
}

impl Write for Copy {
    fn done_tokens(&self) -> impl Iterator<Item = &str> {
        self.envelopes
            .iter()
            .map(|envelope| envelope.token.as_str())
    }

    /// One row per archived party of each envelope (a copy that arrives again finds its rows
    /// there and adds nothing), every copy of the batch in the same few statements.
    async fn write_all<C: ConnectionTrait>(batch: &[&Self], txn: &C) -> Result<(), DbErr> {
        keep_objects(txn, batch.iter().map(|copy| (copy.hash, copy.size))).await?;
        let parties: Vec<Vec<(i32, Direction)>> = batch
            .iter()
            .flat_map(|copy| &copy.envelopes)
            .map(|envelope| parties_of(&envelope.parties))
            .collect();
        let ids: BTreeSet<i32> = parties.iter().flatten().map(|(id, _)| *id).collect();
        // An archive deleted with its domain since is not there.
        let archives: HashMap<i32, archive::Model> = archive::Entity::find()
            .filter(archive::Column::Id.is_in(ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|kept| (kept.id, kept))
            .collect();
        let kept = kept_by_changes(txn, batch, &archives).await?;
        let mut rows = Vec::new();
        let mut parties = parties.iter();
        for copy in batch {
            for (envelope, parties) in copy.envelopes.iter().zip(parties.by_ref()) {
                for (id, direction) in parties {
                    let Some(archive) = archives.get(id) else {
                        continue;
                    };
                    if kept.contains(&(*id, *direction, copy.summary.message_id.as_str())) {
                        continue;
                    }
                    rows.push(NewRow {
                        archive,
                        direction: *direction,
                        hash: copy.hash,
                        size: copy.size,
                        received_at: envelope.created_at,
                        recipients: &envelope.recipients,
                        summary: &copy.summary,
                        source: "journal",
                        token: Some(&envelope.token),
                    });
                }
            }
        }
        insert_rows(txn, &rows).await.map(|_| ())
    }
}

/// An envelope's archived parties (`12:in 14:out`).
fn parties_of(text: &str) -> Vec<(i32, Direction)> {
    text.split_whitespace()
        .filter_map(|party| {
            let (id, direction) = party.split_once(':')?;
            Some((id.parse().ok()?, Direction::parse(direction)?))
        })
        .collect()
}

/// Which of these copies the pass over the engine's changes kept already (their journal
/// copy came too late for it), by archive, direction and Message-ID: the message is there
/// once.
async fn kept_by_changes<'a, C: ConnectionTrait>(
    txn: &C,
    batch: &[&'a Copy],
    archives: &HashMap<i32, archive::Model>,
) -> Result<HashSet<(i32, Direction, &'a str)>, DbErr> {
    let asked: HashSet<&str> = batch
        .iter()
        .map(|copy| copy.summary.message_id.as_str())
        .filter(|id| !id.is_empty())
        .collect();
    let mut kept = HashSet::new();
    if asked.is_empty() {
        return Ok(kept);
    }
    // Each archive's few messages with these Message-IDs, by their index; the folder and the
    // source are checked here (asked of SQLite, they lead it to the folder's own index).
    for archive_id in archives.keys() {
        let found = archive_message::Entity::find()
            .filter(archive_message::Column::ArchiveId.eq(*archive_id))
            .filter(archive_message::Column::MessageId.is_in(asked.iter().copied()))
            .all(txn)
            .await?;
        for row in found {
            let (Some(direction), Some(message_id)) = (
                Direction::parse(&row.direction),
                asked.get(row.message_id.as_str()),
            ) else {
                continue;
            };
            if row.source == "changes" {
                kept.insert((*archive_id, direction, *message_id));
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use chrono::Duration as Span;

    use super::*;
    use crate::services::kept_mail;

    fn envelope(
        token: &str,
        parties: String,
        created_at: DateTime<Utc>,
    ) -> archive_envelope::Model {
        archive_envelope::Model {
            token: token.into(),
            queue_id: "1f".into(),
            login: String::new(),
            mail_from: "anna@example.test".into(),
            recipients: "bob@demo.test".into(),
            parties,
            created_at,
            state: "pending".into(),
            copies: 0,
            message_id: "m1@example.test".into(),
        }
    }

    async fn envelope_row(db: &DatabaseConnection, token: &str) -> archive_envelope::Model {
        archive_envelope::Entity::find_by_id(token)
            .one(db)
            .await
            .expect("read")
            .expect("envelope")
    }

    #[tokio::test]
    async fn a_copy_finds_its_envelope_in_memory_and_marks_it_done_after_its_rows() {
        let dir = tempfile::tempdir().expect("dir");
        let databases = crate::db::testing::databases(dir.path()).await;
        for db in &databases.connections {
            let kept = crate::db::testing::archive_of(db, "bob@demo.test").await;
            let writer = JournalWriter::new(db.clone(), db.clone());
            let (token, other, old) = ("a".repeat(32), "b".repeat(32), "c".repeat(32));
            let party = format!("{}:in", kept.id);
            writer
                .envelope(envelope(&token, party.clone(), Utc::now()))
                .await
                .expect("envelope");
            // Committed, and known in memory until its copy asks for it, once.
            assert_eq!(envelope_row(db, &token).await.state, "pending");
            let (found, unknown) = writer.known_envelopes(&[token.clone(), other.clone()]);
            assert_eq!(found.len(), 1);
            assert_eq!(unknown, [other]);
            let (again, unknown) = writer.known_envelopes(std::slice::from_ref(&token));
            assert!(again.is_empty());
            assert_eq!(unknown, std::slice::from_ref(&token));
            // One whose copy never came is let go of after the hour.
            writer
                .envelope(envelope(&old, party, Utc::now() - Span::hours(2)))
                .await
                .expect("old envelope");
            writer.forget_known_before(Utc::now() - Span::hours(1));
            let (_, unknown) = writer.known_envelopes(std::slice::from_ref(&old));
            assert_eq!(unknown, [old]);

            // The copy: its row, then its envelope done; the same copy again adds no row.
            let bytes: &[u8] =
                b"Message-ID: <m1@example.test>\r\nSubject: offerta\r\n\r\ntesto\r\n";
            let copy = |envelopes| Copy {
                envelopes,
                hash: ObjectHash::of(bytes),
                size: bytes.len() as i64,
                summary: kept_mail::summary(bytes),
            };
            writer.copy(copy(found)).await.expect("copy");
            let row = envelope_row(db, &token).await;
            assert_eq!((row.state.as_str(), row.copies), ("done", 1));
            let rows = || {
                archive_message::Entity::find()
                    .filter(archive_message::Column::ArchiveId.eq(kept.id))
                    .all(db)
            };
            let written = rows().await.expect("rows");
            assert_eq!(written.len(), 1);
            assert_eq!(written[0].token.as_deref(), Some(token.as_str()));
            writer.copy(copy(vec![row])).await.expect("copy again");
            assert_eq!(rows().await.expect("rows").len(), 1);
            assert_eq!(envelope_row(db, &token).await.copies, 2);

            // Rows that cannot be written (a database without the archive's tables): the copy
            // is not taken, and its envelope is not marked.
            let broken = sea_orm::Database::connect("sqlite::memory:")
                .await
                .expect("a database without tables");
            let failing = JournalWriter::new(broken, db.clone());
            let lost = "d".repeat(32);
            failing
                .envelope(envelope(&lost, format!("{}:in", kept.id), Utc::now()))
                .await
                .expect("envelope");
            let (found, _) = failing.known_envelopes(std::slice::from_ref(&lost));
            assert!(failing.copy(copy(found)).await.is_err());
            let row = envelope_row(db, &lost).await;
            assert_eq!((row.state.as_str(), row.copies), ("pending", 0));
        }
        databases.drop().await;
    }
}
