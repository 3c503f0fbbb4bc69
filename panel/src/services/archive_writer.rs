// SPDX-License-Identifier: AGPL-3.0-only
//! The journal's two writers: one commits the hook's envelopes (and marks them done once their
//! copy is kept), the other the journal copies' rows. Each takes as many jobs as are waiting
//! into one transaction (a group commit, as the engine's own queue does), writes them in a few
//! statements whatever their number (under load, SQLite's round trips rather than its work
//! bound a writer), and answers each only after that transaction is committed; a batch that
//! fails is tried again one job at a time, so one bad job never holds up the others.
//!
//! On SQLite the envelopes live in a database file of their own (`journal.sqlite3`, see
//! `db::connect_journal`), so they have their own write lock: the engine holds a sender's SMTP
//! transaction open while its envelope is written, and that write never waits behind a copy's
//! rows and text index on the panel database's one writer. A copy's rows (idempotent: one row
//! per archive, direction and content) and its envelope's mark (done: a copy came) are
//! written at the same time, each by its writer, and the engine is answered once both are
//! committed: a crash or a failure of either leaves the copy unanswered, the engine delivers
//! it again, and that adds no row.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::OnceLock,
    time::Instant,
};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
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

/// Jobs of each kind waiting for their writer before senders wait too.
const WAITING: usize = 1024;

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
    Insert(Box<archive_envelope::ActiveModel>),
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
            tokio::spawn(run(
                self.journal.clone(),
                envelopes_waiting,
                BATCH,
                "envelopes",
            ));
            tokio::spawn(run(self.db.clone(), copies_waiting, COPY_BATCH, "copies"));
            Queues { envelopes, copies }
        })
    }

    /// Commits an envelope row.
    pub(crate) async fn envelope(&self, row: archive_envelope::ActiveModel) -> Result<(), DbErr> {
        ask(&self.queues().envelopes, EnvelopeJob::Insert(Box::new(row))).await
    }

    /// Commits a copy's rows, one per archived party of each of its envelopes (none that are
    /// there already), and marks its envelopes done, both at once.
    pub(crate) async fn copy(&self, copy: Copy) -> Result<(), DbErr> {
        let tokens = copy.envelopes.iter().map(|e| e.token.clone()).collect();
        let queues = self.queues();
        let (rows, marked) = tokio::join!(
            ask(&queues.copies, copy),
            ask(&queues.envelopes, EnvelopeJob::Done(tokens))
        );
        rows.and(marked)
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
    fn write_all(
        batch: &[&Self],
        txn: &DatabaseTransaction,
    ) -> impl std::future::Future<Output = Result<(), DbErr>> + Send;
}

/// Takes what is waiting, up to `most` at a time, until the handle goes.
async fn run<W: Write>(
    db: DatabaseConnection,
    mut queue: mpsc::Receiver<Job<W>>,
    most: usize,
    writer: &'static str,
) {
    let mut batch = Vec::with_capacity(most);
    while queue.recv_many(&mut batch, most).await > 0 {
        write_and_answer(&db, &mut batch, writer).await;
    }
}

/// Writes a batch of jobs and answers each; the batch is left empty.
async fn write_and_answer<W: Write>(
    db: &DatabaseConnection,
    batch: &mut Vec<Job<W>>,
    writer: &'static str,
) {
    // A sender that stopped waiting (its connection ended) is told nothing: what it asked
    // for is committed or not, and the engine asks again if it needs to.
    let jobs = batch.len();
    let start = Instant::now();
    let writes: Vec<&W> = batch.iter().map(|job| &job.write).collect();
    let written = write_batch(db, &writes).await;
    drop(writes);
    if let Ok(stages) = &written {
        tracing::debug!(
            writer,
            jobs,
            locked_us = stages.locked_us,
            written_us = stages.written_us,
            committed_us = micros_since(start),
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
            tracing::warn!(%err, jobs = batch.len(), "archive batch failed; one job at a time");
            for job in batch.drain(..) {
                let outcome = write_batch(db, &[&job.write]).await.map(|_| ());
                let _ = job.done.send(outcome);
            }
        }
    }
}

/// Writes every job in one transaction; when it had the write lock and when its jobs were
/// written (the debug log's timings of the writers).
async fn write_batch<W: Write>(db: &DatabaseConnection, batch: &[&W]) -> Result<Stages, DbErr> {
    let start = Instant::now();
    let txn = crate::db::begin_write(db).await?;
    let locked_us = micros_since(start);
    W::write_all(batch, &txn).await?;
    let written_us = micros_since(start);
    txn.commit().await?;
    Ok(Stages {
        locked_us,
        written_us,
    })
}

struct Stages {
    locked_us: u64,
    written_us: u64,
}

fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl Write for EnvelopeJob {
    /// The new envelopes in one statement, then every copy's mark in one more.
    async fn write_all(batch: &[&Self], txn: &DatabaseTransaction) -> Result<(), DbErr> {
        let mut new = Vec::new();
        let mut done = Vec::new();
        for job in batch {
            match job {
                EnvelopeJob::Insert(row) => new.push(row.as_ref().clone()),
                EnvelopeJob::Done(tokens) => done.extend(tokens.iter().cloned()),
            }
        }
        if !new.is_empty() {
            archive_envelope::Entity::insert_many(new)
                .exec_without_returning(txn)
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
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

impl Write for Copy {
    /// One row per archived party of each envelope (a copy that arrives again finds its rows
    /// there and adds nothing), every copy of the batch in the same few statements.
    async fn write_all(batch: &[&Self], txn: &DatabaseTransaction) -> Result<(), DbErr> {
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
async fn kept_by_changes<'a>(
    txn: &DatabaseTransaction,
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
