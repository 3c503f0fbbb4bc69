// SPDX-License-Identifier: AGPL-3.0-only
//! The journal's two writers: one commits the hook's envelopes (and marks them done once their
//! copy is kept), the other the journal copies' rows. Each takes as many jobs as are waiting
//! into one transaction (a group commit, as the engine's own queue does) and answers each only
//! after that transaction is committed; a batch that fails is tried again one job at a time,
//! so one bad job never holds up the others.
//!
//! On SQLite the envelopes live in a database file of their own (`journal.sqlite3`, see
//! `db::connect_journal`), so they have their own write lock: the engine holds a sender's SMTP
//! transaction open while its envelope is written, and that write never waits behind a copy's
//! rows and text index on the panel database's one writer. A copy's rows (idempotent: one row
//! per archive, direction and content) and its envelope's mark (done: a copy came) are
//! written at the same time, each by its writer, and the engine is answered once both are
//! committed: a crash or a failure of either leaves the copy unanswered, the engine delivers
//! it again, and that adds no row.

use std::sync::OnceLock;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::{mpsc, oneshot};

use super::{
    archive::{Direction, NewRow, insert_row, keep_object, with_message_id},
    kept_mail::Summary,
};
use crate::{
    content_store::ObjectHash,
    db::{archive, archive_envelope},
};

/// The most envelope jobs one transaction takes.
const BATCH: usize = 64;

/// The most copies one transaction takes (each indexes its message's text).
const COPY_BATCH: usize = 8;

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
            tokio::spawn(run(self.journal.clone(), envelopes_waiting, BATCH));
            tokio::spawn(run(self.db.clone(), copies_waiting, COPY_BATCH));
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

/// A write one of the writers does inside its transaction.
trait Write: Send + Sync + 'static {
    fn write(
        &self,
        txn: &DatabaseTransaction,
    ) -> impl std::future::Future<Output = Result<(), DbErr>> + Send;
}

/// Takes what is waiting, up to `most` at a time, until the handle goes.
async fn run<W: Write>(db: DatabaseConnection, mut queue: mpsc::Receiver<Job<W>>, most: usize) {
    let mut batch = Vec::with_capacity(most);
    while queue.recv_many(&mut batch, most).await > 0 {
        write_and_answer(&db, &mut batch).await;
    }
}

/// Writes a batch of jobs and answers each; the batch is left empty.
async fn write_and_answer<W: Write>(db: &DatabaseConnection, batch: &mut Vec<Job<W>>) {
    // A sender that stopped waiting (its connection ended) is told nothing: what it asked
    // for is committed or not, and the engine asks again if it needs to.
    match write_batch(db, batch.iter().map(|job| &job.write)).await {
        Ok(()) => {
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
                let outcome = write_batch(db, std::iter::once(&job.write)).await;
                let _ = job.done.send(outcome);
            }
        }
    }
}

/// Writes every job in one transaction.
async fn write_batch<'a, W: Write>(
    db: &DatabaseConnection,
    batch: impl Iterator<Item = &'a W>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    for write in batch {
        write.write(&txn).await?;
    }
    txn.commit().await
}

impl Write for EnvelopeJob {
    async fn write(&self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        match self {
            EnvelopeJob::Insert(row) => {
                archive_envelope::Entity::insert(row.as_ref().clone())
                    .exec_without_returning(txn)
                    .await?;
            }
            EnvelopeJob::Done(tokens) => {
                archive_envelope::Entity::update_many()
                    .col_expr(archive_envelope::Column::State, Expr::value("done"))
                    .col_expr(
                        archive_envelope::Column::Copies,
                        Expr::col(archive_envelope::Column::Copies).add(1),
                    )
                    .filter(archive_envelope::Column::Token.is_in(tokens.iter().cloned()))
                    .exec(txn)
                    .await?;
            }
        }
        Ok(())
    }
}

impl Write for Copy {
    /// One row per archived party of each envelope (a copy that arrives again finds its rows
    /// there and adds nothing).
    async fn write(&self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        keep_object(txn, self.hash, self.size).await?;
        for envelope in &self.envelopes {
            for party in envelope.parties.split_whitespace() {
                let Some((id, direction)) = party
                    .split_once(':')
                    .and_then(|(id, d)| Some((id.parse::<i32>().ok()?, Direction::parse(d)?)))
                else {
                    continue;
                };
                let Some(kept) = archive::Entity::find_by_id(id).one(txn).await? else {
                    // The archive was deleted with its domain since.
                    continue;
                };
                if kept_by_changes(txn, kept.id, direction, &self.summary.message_id).await? {
                    continue;
                }
                let row = NewRow {
                    archive: &kept,
                    direction,
                    hash: self.hash,
                    size: self.size,
                    received_at: envelope.created_at,
                    recipients: &envelope.recipients,
                    summary: &self.summary,
                    source: "journal",
                    token: Some(&envelope.token),
                };
                insert_row(txn, &row).await?;
            }
        }
        Ok(())
    }
}

/// Whether the pass over the engine's changes kept this message already (its journal copy
/// came too late for it): the message is there once.
async fn kept_by_changes(
    txn: &DatabaseTransaction,
    archive_id: i32,
    direction: Direction,
    message_id: &str,
) -> Result<bool, DbErr> {
    if message_id.is_empty() {
        return Ok(false);
    }
    // The archive's few messages with this Message-ID, by their index; the folder and the
    // source are checked here (asked of SQLite, they lead it to the folder's own index).
    Ok(with_message_id(archive_id, message_id)
        .all(txn)
        .await?
        .iter()
        .any(|kept| kept.direction == direction.as_str() && kept.source == "changes"))
}
