// SPDX-License-Identifier: AGPL-3.0-only
//! The journal's one writer: the hook's envelopes and the journal copies' rows are written by
//! a single task, as many as are waiting in one transaction (a group commit, as the engine's
//! own queue does), and each is answered only after that transaction is committed.
//!
//! Every message with an archived party costs two writes — its envelope while the engine
//! waits in DATA, its copy's rows when the queue relays it — and SQLite has one writer. Taken
//! here, concurrent writes queue in memory instead of polling for SQLite's lock, and a busy
//! moment makes bigger batches (one text-index segment each) rather than more transactions.
//! A batch that fails is tried again one job at a time, so one bad job never holds up the
//! others. (Measured on a release build, this alone did not change the ingest ratio with the
//! archive on: see bench/README.)
//!
//! Envelopes go first: for each one the engine holds a sender's SMTP transaction open, while a
//! copy only holds one of the queue's deliveries. The writer takes every waiting envelope
//! before any copy, and copies in smaller transactions (each indexes its messages' text), so
//! an envelope waits for at most one of them.

use std::sync::OnceLock;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::{mpsc, oneshot};

use super::{
    archive::{Direction, JournalRefusal, NewRow, insert_row, keep_object},
    kept_mail::Summary,
};
use crate::{
    content_store::ObjectHash,
    db::{archive, archive_envelope, archive_message},
};

/// The most envelopes one transaction takes.
const BATCH: usize = 64;

/// The most copies one transaction takes.
const COPY_BATCH: usize = 8;

/// Jobs of each kind waiting for the writer before senders wait too.
const WAITING: usize = 1024;

/// A journal copy's bytes, kept in the content store, and what its rows need.
pub(crate) struct Copy {
    pub tokens: Vec<String>,
    pub hash: ObjectHash,
    pub size: i64,
    pub summary: Summary,
}

/// Per token of a copy: taken, or why not.
pub(crate) type CopyOutcome = Vec<Result<(), JournalRefusal>>;

enum Job {
    Envelope {
        row: archive_envelope::ActiveModel,
        done: oneshot::Sender<Result<(), DbErr>>,
    },
    Copy {
        copy: Copy,
        done: oneshot::Sender<Result<CopyOutcome, DbErr>>,
    },
}

/// The writer's two queues: envelopes, and copies.
struct Queues {
    envelopes: mpsc::Sender<Job>,
    copies: mpsc::Sender<Job>,
}

/// A handle on the writer; its task starts with the first job.
pub(crate) struct JournalWriter {
    db: DatabaseConnection,
    queues: OnceLock<Queues>,
}

impl JournalWriter {
    pub(crate) fn new(db: DatabaseConnection) -> JournalWriter {
        JournalWriter {
            db,
            queues: OnceLock::new(),
        }
    }

    fn queues(&self) -> &Queues {
        self.queues.get_or_init(|| {
            let (envelopes, envelopes_waiting) = mpsc::channel(WAITING);
            let (copies, copies_waiting) = mpsc::channel(WAITING);
            tokio::spawn(run(self.db.clone(), envelopes_waiting, copies_waiting));
            Queues { envelopes, copies }
        })
    }

    /// Commits an envelope row.
    pub(crate) async fn envelope(&self, row: archive_envelope::ActiveModel) -> Result<(), DbErr> {
        let (done, answer) = oneshot::channel();
        ask(
            &self.queues().envelopes,
            Job::Envelope { row, done },
            answer,
        )
        .await
    }

    /// Commits a copy's rows: per token, whether it was taken.
    pub(crate) async fn copy(&self, copy: Copy) -> Result<CopyOutcome, DbErr> {
        let (done, answer) = oneshot::channel();
        ask(&self.queues().copies, Job::Copy { copy, done }, answer).await
    }
}

/// Queues a job and waits for its answer.
async fn ask<T>(
    queue: &mpsc::Sender<Job>,
    job: Job,
    answer: oneshot::Receiver<Result<T, DbErr>>,
) -> Result<T, DbErr> {
    queue.send(job).await.map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

fn stopped() -> DbErr {
    DbErr::Custom("the archive's writer has stopped".into())
}

async fn run(
    db: DatabaseConnection,
    mut envelopes: mpsc::Receiver<Job>,
    mut copies: mpsc::Receiver<Job>,
) {
    let mut envelope_batch = Vec::with_capacity(BATCH);
    let mut copy_batch = Vec::with_capacity(COPY_BATCH);
    loop {
        // Both queues close together, when the handle goes.
        let taken = tokio::select! {
            biased;
            taken = envelopes.recv_many(&mut envelope_batch, BATCH) => taken,
            taken = copies.recv_many(&mut copy_batch, COPY_BATCH) => taken,
        };
        if taken == 0 {
            break;
        }
        for batch in [&mut envelope_batch, &mut copy_batch] {
            if !batch.is_empty() {
                write_and_answer(&db, batch).await;
            }
        }
    }
}

/// Writes a batch of jobs and answers each; the batch is left empty.
async fn write_and_answer(db: &DatabaseConnection, batch: &mut Vec<Job>) {
    match write_batch(db, batch).await {
        Ok(outcomes) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                answer(job, Ok(outcome));
            }
        }
        Err(err) if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                answer(job, Err(err));
            }
        }
        Err(err) => {
            tracing::warn!(%err, jobs = batch.len(), "archive batch failed; one job at a time");
            for job in batch.drain(..) {
                let outcome = write_batch(db, std::slice::from_ref(&job))
                    .await
                    .map(|mut outcomes| outcomes.pop().unwrap_or_default());
                answer(job, outcome);
            }
        }
    }
}

/// Writes every job in one transaction; per job, a copy's outcomes (empty for an envelope).
async fn write_batch(db: &DatabaseConnection, batch: &[Job]) -> Result<Vec<CopyOutcome>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        outcomes.push(match job {
            Job::Envelope { row, .. } => {
                archive_envelope::Entity::insert(row.clone())
                    .exec_without_returning(&txn)
                    .await?;
                Vec::new()
            }
            Job::Copy { copy, .. } => {
                let mut taken = Vec::with_capacity(copy.tokens.len());
                for token in &copy.tokens {
                    taken.push(take_copy(&txn, token, copy).await?);
                }
                taken
            }
        });
    }
    txn.commit().await?;
    Ok(outcomes)
}

fn answer(job: Job, outcome: Result<CopyOutcome, DbErr>) {
    // A sender that stopped waiting (its connection ended) is told nothing: what it asked
    // for is committed or not, and the engine asks again if it needs to.
    match job {
        Job::Envelope { done, .. } => {
            let _ = done.send(outcome.map(|_| ()));
        }
        Job::Copy { done, .. } => {
            let _ = done.send(outcome);
        }
    }
}

/// Writes one party's row per archived party of the envelope `token` names (a copy that
/// arrives again finds its envelope marked and its rows there, and adds nothing).
async fn take_copy(
    txn: &DatabaseTransaction,
    token: &str,
    copy: &Copy,
) -> Result<Result<(), JournalRefusal>, DbErr> {
    let marked = archive_envelope::Entity::update_many()
        .col_expr(archive_envelope::Column::State, Expr::value("done"))
        .col_expr(
            archive_envelope::Column::Copies,
            Expr::col(archive_envelope::Column::Copies).add(1),
        )
        .filter(archive_envelope::Column::Token.eq(token))
        .exec(txn)
        .await?
        .rows_affected;
    let envelope = match marked {
        0 => None,
        _ => archive_envelope::Entity::find_by_id(token).one(txn).await?,
    };
    let Some(envelope) = envelope else {
        return Ok(Err(JournalRefusal::UnknownToken));
    };
    keep_object(txn, copy.hash, copy.size).await?;
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
        if kept_by_changes(txn, kept.id, direction, &copy.summary.message_id).await? {
            continue;
        }
        let row = NewRow {
            archive: &kept,
            direction,
            hash: copy.hash,
            size: copy.size,
            received_at: envelope.created_at,
            recipients: &envelope.recipients,
            summary: &copy.summary,
            source: "journal",
            token: Some(token),
        };
        insert_row(txn, &row).await?;
    }
    Ok(Ok(()))
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
    Ok(archive_message::Entity::find()
        .filter(archive_message::Column::ArchiveId.eq(archive_id))
        .filter(archive_message::Column::Direction.eq(direction.as_str()))
        .filter(archive_message::Column::MessageId.eq(message_id))
        .filter(archive_message::Column::Source.eq("changes"))
        .one(txn)
        .await?
        .is_some())
}
