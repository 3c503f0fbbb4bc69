// SPDX-License-Identifier: AGPL-3.0-only
//! The journal's two writers: one commits the journal copies' rows, the other marks the
//! envelope rows of an earlier version done once their copy is kept. Each takes as many jobs
//! as are waiting (a group commit, as the engine's own queue does), writes them in a few
//! statements whatever their number (under load, SQLite's round trips rather than its work
//! bound a writer), and answers each only after they are committed — the copies' in one
//! transaction, the marks each on its own (each stands alone, and may run again); a batch
//! that fails is tried again one job at a time, so one bad job never holds up the others.
//!
//! A batch of copies' rows (idempotent: one row per archive, direction and content) is
//! committed, then any envelope rows among them are marked, and the engine is answered once
//! both are committed: a crash or a failure of either leaves the copy unanswered, the engine
//! delivers it again, and that adds no row.
//!
//! The copies' writer waits a moment after its first job for others ([`COPY_LINGER`]): a
//! batch costs a fixed number of statements, so a few copies more in it cost almost nothing,
//! and nobody waits on a copy's rows but the engine's queue.
//!
//! The handle also keeps what the journal knows without a write: the key that seals journal
//! addresses (see `journal_address`), and the copies the hook asked for that have not come
//! yet (in memory; at start, read from the engine's queue).

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::{Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::{OnceCell, mpsc, oneshot};

use super::{
    archive::{Direction, NewRow, insert_rows, keep_objects},
    journal_address::KEY_SETTING,
    kept_mail::Summary,
};
use crate::{
    content_store::{ContentStore, ObjectHash, Unsettled},
    db::{archive, archive_envelope, archive_message, panel_setting},
};

/// The most marks one statement takes.
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

/// The most copies awaited in memory; past it, the hook asks for more without noting them
/// (their copy comes all the same; only the queue's wake-up and the pass's check miss them).
const AWAITED_MOST: usize = 10_000;

/// A journal copy's bytes, kept in the content store, and the envelopes it was sent for.
pub(crate) struct Copy {
    pub envelopes: Vec<CopyEnvelope>,
    pub hash: ObjectHash,
    pub size: i64,
    pub summary: Summary,
    /// Where its bytes are, and whether they may not be on disk yet: a batch's bytes are
    /// synced together, before its rows are written.
    pub store: ContentStore,
    pub unsettled: Unsettled,
}

/// One message's envelope, as its queued message (or an earlier version's envelope row)
/// gives it, with the archived parties its journal recipients named.
#[derive(Debug, Clone)]
pub(crate) struct CopyEnvelope {
    /// What its archive rows keep as their token: the queue id in hex, or the envelope
    /// row's token.
    pub token: String,
    pub accepted_at: DateTime<Utc>,
    /// Every envelope recipient, Bcc included, separated by spaces.
    pub recipients: String,
    pub parties: Vec<(i32, Direction)>,
    /// Whether an envelope row is marked done once the copy is kept.
    pub has_row: bool,
}

impl From<archive_envelope::Model> for CopyEnvelope {
    fn from(row: archive_envelope::Model) -> CopyEnvelope {
        CopyEnvelope {
            parties: parties_of(&row.parties),
            token: row.token,
            accepted_at: row.created_at,
            recipients: row.recipients,
            has_row: true,
        }
    }
}

/// A copy the hook asked the engine for.
#[derive(Debug, Clone)]
pub(crate) struct Awaited {
    pub asked_at: DateTime<Utc>,
    /// Its Message-ID header, without brackets; empty when it has none.
    pub message_id: String,
    pub archives: Vec<i32>,
}

/// Envelope rows whose copy is kept, to mark done.
struct Marks(Vec<String>);

struct Job<W> {
    write: W,
    done: oneshot::Sender<Result<(), DbErr>>,
}

/// A handle on the writers; their tasks start with the first job.
pub(crate) struct JournalWriter {
    db: DatabaseConnection,
    journal: DatabaseConnection,
    /// The copies' queue (the marks' queue is the copies' writer's own).
    copies: OnceLock<mpsc::Sender<Job<Copy>>>,
    key: OnceCell<Vec<u8>>,
    /// The copies asked for and not come yet, by queue id.
    awaited: Mutex<HashMap<u64, Awaited>>,
}

impl JournalWriter {
    /// Copies' rows go to `db`; envelope marks to `journal` (the same database on
    /// PostgreSQL).
    pub(crate) fn new(db: DatabaseConnection, journal: DatabaseConnection) -> JournalWriter {
        JournalWriter {
            db,
            journal,
            copies: OnceLock::new(),
            key: OnceCell::new(),
            awaited: Mutex::default(),
        }
    }

    /// Where the envelope rows are.
    pub(crate) fn journal_db(&self) -> &DatabaseConnection {
        &self.journal
    }

    /// The key journal addresses are sealed with: made once, kept in the panel database.
    pub(crate) async fn key(&self) -> Result<&[u8], DbErr> {
        self.key
            .get_or_try_init(|| async {
                panel_setting::kept_key(&self.db, KEY_SETTING)
                    .await?
                    .ok_or_else(|| DbErr::Custom("the journal's key is unreadable".into()))
            })
            .await
            .map(Vec::as_slice)
    }

    fn copies(&self) -> &mpsc::Sender<Job<Copy>> {
        self.copies.get_or_init(|| {
            let (marks, marks_waiting) = mpsc::channel(WAITING);
            let (copies, copies_waiting) = mpsc::channel(WAITING);
            tokio::spawn(
                Writer {
                    db: self.journal.clone(),
                    most: BATCH,
                    linger: Duration::ZERO,
                    marks: None,
                    name: "envelope marks",
                }
                .run(marks_waiting),
            );
            tokio::spawn(
                Writer {
                    db: self.db.clone(),
                    most: COPY_BATCH,
                    linger: COPY_LINGER,
                    marks: Some(marks),
                    name: "copies",
                }
                .run(copies_waiting),
            );
            copies
        })
    }

    fn awaited(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Awaited>> {
        self.awaited.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a copy the hook asked for.
    pub(crate) fn await_copy(&self, queue_id: u64, awaited: Awaited) {
        let mut all = self.awaited();
        if all.len() < AWAITED_MOST {
            all.insert(queue_id, awaited);
        }
    }

    /// The copies of these messages came (or will never come).
    pub(crate) fn forget_awaited(&self, queue_ids: impl IntoIterator<Item = u64>) {
        let mut all = self.awaited();
        for id in queue_ids {
            all.remove(&id);
        }
    }

    /// The copies asked for before `asked_before`, by queue id.
    pub(crate) fn awaited_since(&self, asked_before: DateTime<Utc>) -> Vec<u64> {
        self.awaited()
            .iter()
            .filter(|(_, awaited)| awaited.asked_at < asked_before)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether a copy of this Message-ID is awaited for this archive.
    pub(crate) fn awaits(&self, archive_id: i32, message_id: &str) -> bool {
        self.awaited()
            .values()
            .any(|a| a.message_id == message_id && a.archives.contains(&archive_id))
    }

    /// Commits a copy's rows, one per archived party of each of its envelopes (none that are
    /// there already), then marks its envelope rows done.
    pub(crate) async fn copy(&self, copy: Copy) -> Result<(), DbErr> {
        ask(self.copies(), copy).await
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

    /// What must be done before a batch of these is written (once for the whole batch).
    fn prepare(batch: &[&Self]) -> impl std::future::Future<Output = Result<(), DbErr>> + Send {
        let _ = batch;
        async { Ok(()) }
    }

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
    marks: Option<mpsc::Sender<Job<Marks>>>,
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
        W::prepare(batch).await?;
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
            ask(marks, Marks(tokens)).await?;
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

impl Write for Marks {
    /// Each statement commits on its own, and may run again (a batch that fails is written
    /// again one job at a time): a copy marked or not.
    const TOGETHER: bool = false;

    /// Every copy's mark in one statement.
    async fn write_all<C: ConnectionTrait>(batch: &[&Self], db: &C) -> Result<(), DbErr> {
        let done: Vec<&String> = batch.iter().flat_map(|marks| &marks.0).collect();
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

impl Write for Copy {
    /// The batch's bytes on disk, in one sync, before any row refers to them.
    async fn prepare(batch: &[&Self]) -> Result<(), DbErr> {
        let Some(first) = batch.first() else {
            return Ok(());
        };
        first
            .store
            .settle_all(batch.iter().map(|copy| copy.unsettled))
            .await
            .map_err(|err| DbErr::Custom(format!("content store: {err}")))
    }

    fn done_tokens(&self) -> impl Iterator<Item = &str> {
        self.envelopes
            .iter()
            .filter(|envelope| envelope.has_row)
            .map(|envelope| envelope.token.as_str())
    }

    /// One row per archived party of each envelope (a copy that arrives again finds its rows
    /// there and adds nothing), every copy of the batch in the same few statements.
    async fn write_all<C: ConnectionTrait>(batch: &[&Self], txn: &C) -> Result<(), DbErr> {
        keep_objects(txn, batch.iter().map(|copy| (copy.hash, copy.size))).await?;
        let ids: BTreeSet<i32> = batch
            .iter()
            .flat_map(|copy| &copy.envelopes)
            .flat_map(|envelope| &envelope.parties)
            .map(|(id, _)| *id)
            .collect();
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
        for copy in batch {
            for envelope in &copy.envelopes {
                for (id, direction) in &envelope.parties {
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
                        received_at: envelope.accepted_at,
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
    use crate::{db::testing::envelope_row, services::kept_mail};

    async fn marked(db: &DatabaseConnection, token: &str) -> (String, i32) {
        let row = archive_envelope::Entity::find_by_id(token)
            .one(db)
            .await
            .expect("read")
            .expect("envelope");
        (row.state, row.copies)
    }

    #[tokio::test]
    async fn a_copy_writes_each_partys_row_once_and_marks_only_envelope_rows() {
        let dir = tempfile::tempdir().expect("dir");
        let databases = crate::db::testing::databases(dir.path()).await;
        for db in &databases.connections {
            let kept = crate::db::testing::archive_of(db, "bob@demo.test").await;
            let writer = JournalWriter::new(db.clone(), db.clone());
            // The key is made once: another handle (a restart) reads the same.
            let key = writer.key().await.expect("key").to_vec();
            assert_eq!(key.len(), 32);
            let again = JournalWriter::new(db.clone(), db.clone());
            assert_eq!(again.key().await.expect("key"), key.as_slice());

            // One copy for a message named by its queue id (no row), one for an envelope row.
            let old = "a".repeat(32);
            archive_envelope::Entity::insert(envelope_row(&old, &format!("{}:out", kept.id)))
                .exec_without_returning(db)
                .await
                .expect("envelope row");
            let queued = CopyEnvelope {
                token: "1f9a".into(),
                accepted_at: Utc::now(),
                recipients: "bob@demo.test hidden@demo.test".into(),
                parties: vec![(kept.id, Direction::In)],
                has_row: false,
            };
            let row = archive_envelope::Entity::find_by_id(old.clone())
                .one(db)
                .await
                .expect("read")
                .expect("row");
            let bytes: &[u8] =
                b"Message-ID: <m1@example.test>\r\nSubject: offerta\r\n\r\ntesto\r\n";
            // The bytes are put unsettled, as the receiver puts them: the writer syncs them.
            let store = ContentStore::open(&dir.path().join("store")).expect("store");
            let (hash, _, unsettled) = store
                .put_unsettled(bytes.to_vec(), |_| ())
                .await
                .expect("put");
            assert_eq!(hash, ObjectHash::of(bytes));
            let copy = |envelopes| Copy {
                envelopes,
                hash,
                size: bytes.len() as i64,
                summary: kept_mail::summary(bytes),
                store: store.clone(),
                unsettled,
            };
            writer
                .copy(copy(vec![queued.clone(), row.clone().into()]))
                .await
                .expect("copy");
            assert_eq!(marked(db, &old).await, ("done".into(), 1));
            let rows = || {
                archive_message::Entity::find()
                    .filter(archive_message::Column::ArchiveId.eq(kept.id))
                    .all(db)
            };
            let mut written = rows().await.expect("rows");
            written.sort_by(|a, b| a.direction.cmp(&b.direction));
            assert_eq!(written.len(), 2);
            assert_eq!(
                (written[0].direction.as_str(), written[0].token.as_deref()),
                ("in", Some("1f9a"))
            );
            assert_eq!(written[0].recipients, "bob@demo.test hidden@demo.test");
            assert_eq!(written[1].token.as_deref(), Some(old.as_str()));
            // The same copy again adds no row.
            writer
                .copy(copy(vec![queued.clone(), row.clone().into()]))
                .await
                .expect("copy again");
            assert_eq!(rows().await.expect("rows").len(), 2);
            assert_eq!(marked(db, &old).await, ("done".into(), 2));

            // Rows that cannot be written (a database without the archive's tables): the copy
            // is not taken, and its envelope row is not marked.
            let lost = "d".repeat(32);
            archive_envelope::Entity::insert(envelope_row(&lost, &format!("{}:in", kept.id)))
                .exec_without_returning(db)
                .await
                .expect("envelope row");
            let broken = sea_orm::Database::connect("sqlite::memory:")
                .await
                .expect("a database without tables");
            let failing = JournalWriter::new(broken, db.clone());
            let row = archive_envelope::Entity::find_by_id(lost.clone())
                .one(db)
                .await
                .expect("read")
                .expect("row");
            assert!(failing.copy(copy(vec![row.into()])).await.is_err());
            assert_eq!(marked(db, &lost).await, ("pending".into(), 0));
        }
        databases.drop().await;
    }

    #[test]
    fn awaited_copies_are_found_by_age_and_by_message_id_until_they_come() {
        let (db, journal) = (
            sea_orm::DatabaseConnection::default(),
            sea_orm::DatabaseConnection::default(),
        );
        let writer = JournalWriter::new(db, journal);
        let now = Utc::now();
        let awaited = |seconds, archives| Awaited {
            asked_at: now - Span::seconds(seconds),
            message_id: "m1@example.test".into(),
            archives,
        };
        writer.await_copy(1, awaited(60, vec![7]));
        writer.await_copy(2, awaited(1, vec![8, 9]));
        assert_eq!(writer.awaited_since(now - Span::seconds(5)), [1]);
        assert!(writer.awaits(7, "m1@example.test"));
        assert!(writer.awaits(9, "m1@example.test"));
        assert!(!writer.awaits(7, "m2@example.test"));
        writer.forget_awaited([1]);
        assert!(!writer.awaits(7, "m1@example.test"));
        assert!(writer.awaited_since(now - Span::seconds(5)).is_empty());
    }
}
