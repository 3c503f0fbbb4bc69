// SPDX-License-Identifier: AGPL-3.0-only
//! Tracemail: every message the engine takes, refuses or delivers, recipient by recipient,
//! as each hosted domain sees it (a message from one hosted domain to another is in both, as
//! *out* and as *in*). Written from the engine's events in batches: a row per recipient when
//! the message is taken or refused, then updated in place as it is delivered, deferred or
//! bounced. The engine reports a message's steps from several threads, so they may come in
//! any order; a step never goes back (a delivered row stays delivered), and an outcome whose
//! acceptance was not seen makes the row itself.
//!
//! Pages go newest first by (time, id) through an index for each filter (none, sender,
//! recipient, status), so a domain with a million rows pages as fast as one with a hundred.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use engine_glue::{MessageSource, MessageStatus, MessageStep};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::{ServiceError, Services, access_log::Days};
use crate::db::{domain, message_trace};

/// Rows per page.
pub const TRACE_PAGE: u64 = 50;
/// Rows a CSV export holds at most.
pub const TRACE_EXPORT_LIMIT: u64 = 100_000;
/// How long a Message-ID waits for the rows of its message.
const KEEP_IDENTIFIED: Duration = Duration::from_secs(600);
/// Message-IDs waiting at most.
const MAX_IDENTIFIED: usize = 50_000;
/// Rows in one INSERT at most (SQLite's bound on parameters).
const INSERT_CHUNK: usize = 1000;
/// Steps in one UPDATE at most (six parameters each).
const UPDATE_CHUNK: usize = 500;

/// The statuses, in the order a recipient goes through them.
pub const STATUSES: [&str; 5] = ["accepted", "deferred", "delivered", "bounced", "rejected"];

fn status_code(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Accepted => "accepted",
        MessageStatus::Deferred => "deferred",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Bounced => "bounced",
        MessageStatus::Rejected => "rejected",
    }
}

/// The engine's queue id as the database keeps it (the same 64 bits, signed).
fn queue_key(id: u64) -> i64 {
    i64::from_ne_bytes(id.to_ne_bytes())
}

/// The queue id as the engine shows it (hex).
pub fn queue_label(key: i64) -> String {
    format!("{:x}", u64::from_ne_bytes(key.to_ne_bytes()))
}

fn time_of(at: u64) -> DateTime<Utc> {
    i64::try_from(at)
        .ok()
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or_else(Utc::now)
}

fn domain_of(address: &str) -> Option<&str> {
    address.rsplit_once('@').map(|(_, d)| d)
}

/// Message-IDs learnt before any row of their message was written.
#[derive(Default)]
pub struct TraceState {
    identified: HashMap<i64, (Instant, String)>,
}

impl TraceState {
    fn remember(&mut self, queue: i64, message_id: String) {
        if self.identified.len() >= MAX_IDENTIFIED {
            let now = Instant::now();
            self.identified
                .retain(|_, (since, _)| now.duration_since(*since) < KEEP_IDENTIFIED);
            if self.identified.len() >= MAX_IDENTIFIED {
                self.identified.clear();
            }
        }
        self.identified.insert(queue, (Instant::now(), message_id));
    }
}

/// The hosted domains that see a step, and how each sees it.
fn viewpoints(step: &MessageStep, hosted: &HashSet<String>) -> Vec<(String, &'static str)> {
    let hosted_domain = |a: &str| {
        domain_of(a)
            .filter(|d| hosted.contains(*d))
            .map(str::to_string)
    };
    let from = hosted_domain(&step.sender);
    let to = hosted_domain(&step.recipient);
    let mut seen = Vec::new();
    // A message received from another server belongs to its recipient's domain only, whatever
    // sender it claims.
    if step.source != MessageSource::Received
        && let Some(from) = &from
    {
        let internal = to.as_ref() == Some(from);
        seen.push((from.clone(), if internal { "internal" } else { "out" }));
    }
    if let Some(to) = to
        && !seen.iter().any(|(d, _)| *d == to)
    {
        seen.push((to, "in"));
    }
    seen
}

fn row(
    step: &MessageStep,
    domain: String,
    direction: &'static str,
    message_id: Option<String>,
) -> message_trace::ActiveModel {
    let at = time_of(step.at);
    message_trace::ActiveModel {
        at: Set(at),
        updated_at: Set(at),
        domain: Set(domain),
        direction: Set(direction.to_string()),
        queue_id: Set(step.queue_id.map(queue_key)),
        message_id: Set(message_id),
        sender: Set(step.sender.clone()),
        recipient: Set(step.recipient.clone()),
        size: Set(step.size.and_then(|s| i64::try_from(s).ok())),
        status: Set(status_code(step.status).to_string()),
        detail: Set(step.detail.clone()),
        remote_host: Set(step.remote_host.clone()),
        remote_ip: Set(step.remote_ip.map(|ip| ip.to_string())),
        ..Default::default()
    }
}

async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<message_trace::ActiveModel>,
) -> Result<(), ServiceError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        message_trace::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    message_trace::Column::QueueId,
                    message_trace::Column::Recipient,
                    message_trace::Column::Domain,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Whether a status is a recipient's last: nothing moves it on.
fn is_final(status: MessageStatus) -> bool {
    !matches!(status, MessageStatus::Accepted | MessageStatus::Deferred)
}

/// A batch's outcomes, one per queued recipient: its first final one (delivered, bounced)
/// when it has one, else its last (a later deferral); in the order they came.
fn settled(steps: Vec<MessageStep>) -> Vec<MessageStep> {
    let mut at: HashMap<(i64, String), usize> = HashMap::new();
    let mut kept: Vec<MessageStep> = Vec::with_capacity(steps.len());
    for step in steps {
        let Some(queue) = step.queue_id.map(queue_key) else {
            continue;
        };
        match at.get(&(queue, step.recipient.clone())) {
            Some(&i) if is_final(kept[i].status) => {}
            Some(&i) => kept[i] = step,
            None => {
                at.insert((queue, step.recipient.clone()), kept.len());
                kept.push(step);
            }
        }
    }
    kept
}

/// Moves queued recipients' rows, in every domain that sees them, to their outcome, unless
/// they are further on already (a late deferral of a delivered recipient); an outcome whose
/// row is not there (its acceptance was not seen) makes it. One statement for the rows that
/// move, whatever their number, and two more only for outcomes whose rows did not.
async fn record_outcomes<C: ConnectionTrait>(
    db: &C,
    state: &TraceState,
    hosted: &HashSet<String>,
    steps: Vec<MessageStep>,
) -> Result<(), ServiceError> {
    let moved = move_rows(db, &steps).await?;
    let rest: Vec<&MessageStep> = steps
        .iter()
        .filter(|step| {
            step.queue_id
                .is_some_and(|q| !moved.contains(&(queue_key(q), step.recipient.clone())))
        })
        .collect();
    if rest.is_empty() {
        return Ok(());
    }
    let present: HashSet<(Option<i64>, String)> = message_trace::Entity::find()
        .select_only()
        .column(message_trace::Column::QueueId)
        .column(message_trace::Column::Recipient)
        .filter(
            message_trace::Column::QueueId
                .is_in(rest.iter().filter_map(|step| step.queue_id.map(queue_key))),
        )
        .into_tuple::<(Option<i64>, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for step in rest {
        let queue = step.queue_id.map(queue_key);
        if present.contains(&(queue, step.recipient.clone())) {
            continue;
        }
        let message_id = queue
            .and_then(|q| state.identified.get(&q))
            .map(|(_, id)| id.clone());
        for (domain, direction) in viewpoints(step, hosted) {
            rows.push(row(step, domain, direction, message_id.clone()));
        }
    }
    insert_rows(db, rows).await
}

/// Sets each step's status on its recipient's rows that are still accepted or deferred;
/// returns the (queue, recipient) of those that moved.
async fn move_rows<C: ConnectionTrait>(
    db: &C,
    steps: &[MessageStep],
) -> Result<HashSet<(i64, String)>, DbErr> {
    let backend = db.get_database_backend();
    let mut moved = HashSet::new();
    for chunk in steps.chunks(UPDATE_CHUNK) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        for step in chunk {
            values.extend([
                step.queue_id.map(queue_key).into(),
                step.recipient.clone().into(),
                status_code(step.status).into(),
                step.detail.clone().into(),
                step.remote_host.clone().into(),
                time_of(step.at).into(),
            ]);
        }
        let sql = format!(
            "WITH v(q, r, s, d, h, t) AS (VALUES {}) \
             UPDATE message_trace SET status = v.s, detail = v.d, remote_host = v.h, \
             updated_at = v.t FROM v \
             WHERE message_trace.queue_id = v.q AND message_trace.recipient = v.r \
             AND message_trace.status IN ('accepted', 'deferred') \
             RETURNING queue_id, recipient",
            crate::db::value_tuples(backend, chunk.len(), 6)
        );
        for row in db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            moved.insert((row.try_get("", "queue_id")?, row.try_get("", "recipient")?));
        }
    }
    Ok(moved)
}

/// Gives the rows of these messages that have none their Message-ID; returns the queues
/// some row of which took it.
async fn identify_rows<C: ConnectionTrait>(
    db: &C,
    identified: &HashMap<i64, String>,
) -> Result<HashSet<i64>, DbErr> {
    let backend = db.get_database_backend();
    let identified: Vec<(&i64, &String)> = identified.iter().collect();
    let mut named = HashSet::new();
    for chunk in identified.chunks(UPDATE_CHUNK) {
        let values: Vec<Value> = chunk
            .iter()
            .flat_map(|(queue, message_id)| [(**queue).into(), (*message_id).clone().into()])
            .collect();
        let sql = format!(
            "WITH v(q, m) AS (VALUES {}) \
             UPDATE message_trace SET message_id = v.m FROM v \
             WHERE message_trace.queue_id = v.q AND message_trace.message_id IS NULL \
             RETURNING queue_id",
            crate::db::value_tuples(backend, chunk.len(), 2)
        );
        for row in db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            named.insert(row.try_get("", "queue_id")?);
        }
    }
    Ok(named)
}

impl Services {
    /// Writes a batch of message steps and Message-IDs, in one transaction.
    pub(super) async fn record_trace(
        &self,
        state: &mut TraceState,
        steps: Vec<MessageStep>,
        identified: Vec<(u64, String)>,
    ) -> Result<(), ServiceError> {
        if steps.is_empty() && identified.is_empty() {
            return Ok(());
        }
        let hosted: HashSet<String> = domain::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.name)
            .collect();
        let txn = crate::db::begin_write(&self.db).await?;
        // Taken and refused recipients first, as new rows; then the outcomes, in order.
        let mut new_rows = Vec::new();
        let mut outcomes = Vec::new();
        for step in steps {
            match (step.status, step.queue_id) {
                (MessageStatus::Accepted | MessageStatus::Rejected, _) | (_, None) => {
                    let message_id = step
                        .queue_id
                        .and_then(|q| state.identified.get(&queue_key(q)))
                        .map(|(_, id)| id.clone());
                    for (domain, direction) in viewpoints(&step, &hosted) {
                        new_rows.push(row(&step, domain, direction, message_id.clone()));
                    }
                }
                (_, Some(_)) => outcomes.push(step),
            }
        }
        insert_rows(&txn, new_rows).await?;
        record_outcomes(&txn, state, &hosted, settled(outcomes)).await?;
        let identified: HashMap<i64, String> = identified
            .into_iter()
            .map(|(queue, message_id)| (queue_key(queue), message_id))
            .collect();
        let named = identify_rows(&txn, &identified).await?;
        for (queue, message_id) in identified {
            if !named.contains(&queue) {
                state.remember(queue, message_id);
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// A page of a domain's trace, newest first: rows older than the row `before`, and
    /// whether there are more after them.
    pub async fn trace_page(
        &self,
        domain: &str,
        filter: &TraceFilter,
        before: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<message_trace::Model>, bool), ServiceError> {
        let base = filter.condition(domain)?;
        let base = match before {
            Some(id) => {
                let Some(at) = message_trace::Entity::find_by_id(id)
                    .filter(message_trace::Column::Domain.eq(domain))
                    .select_only()
                    .column(message_trace::Column::At)
                    .into_tuple::<DateTime<Utc>>()
                    .one(&self.db)
                    .await?
                else {
                    return Ok((Vec::new(), false));
                };
                base.add(
                    Expr::tuple([
                        Expr::col(message_trace::Column::At),
                        Expr::col(message_trace::Column::Id),
                    ])
                    .lt(Expr::tuple([Expr::value(at), Expr::value(id)])),
                )
            }
            None => base,
        };
        let address = filter.address.trim().to_lowercase();
        let fetch = |cond: Condition| {
            message_trace::Entity::find()
                .filter(cond)
                .order_by_desc(message_trace::Column::At)
                .order_by_desc(message_trace::Column::Id)
                .limit(limit + 1)
                .all(&self.db)
        };
        let mut rows = if address.is_empty() {
            fetch(base).await?
        } else {
            // Sender or recipient: each through its own index, then merged.
            let mut rows = fetch(
                base.clone()
                    .add(message_trace::Column::Sender.eq(address.as_str())),
            )
            .await?;
            for r in fetch(base.add(message_trace::Column::Recipient.eq(address.as_str()))).await? {
                if !rows.iter().any(|x| x.id == r.id) {
                    rows.push(r);
                }
            }
            rows.sort_by_key(|r| std::cmp::Reverse((r.at, r.id)));
            rows
        };
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((rows, more))
    }

    /// Deletes trace rows older than `days` days.
    pub async fn purge_trace(&self, days: u32) -> Result<u64, ServiceError> {
        let cutoff = Utc::now() - chrono::Duration::days(i64::from(days));
        Ok(message_trace::Entity::delete_many()
            .filter(message_trace::Column::At.lt(cutoff))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

/// What a reader filters by; empty fields filter nothing.
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    /// A sender's or a recipient's whole address.
    pub address: String,
    pub status: String,
    /// First day (UTC), `YYYY-MM-DD`.
    pub from: String,
    /// Last day (UTC), `YYYY-MM-DD`, included.
    pub to: String,
}

impl TraceFilter {
    fn condition(&self, domain: &str) -> Result<Condition, ServiceError> {
        let mut cond = Condition::all().add(message_trace::Column::Domain.eq(domain));
        let address = self.address.trim();
        if !address.is_empty() && (address.len() > 320 || !address.contains('@')) {
            return Err(ServiceError::invalid(
                "address",
                app::i18n::Text::new(
                    "Enter a whole e-mail address, such as mario@example.com.",
                    "Inserisci un indirizzo e-mail completo, come mario@example.com.",
                ),
            ));
        }
        if STATUSES.contains(&self.status.as_str()) {
            cond = cond.add(message_trace::Column::Status.eq(self.status.as_str()));
        }
        let days = Days::parse(&self.from, &self.to)?;
        Ok(days.narrow(cond, message_trace::Column::At))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use engine_glue::{MessageSource, MessageStatus, MessageStep};
    use sea_orm::{EntityTrait, QueryOrder};

    use super::{
        TraceState, identify_rows, insert_rows, message_trace, queue_key, queue_label,
        record_outcomes, row, settled, viewpoints,
    };

    fn step(source: MessageSource, sender: &str, recipient: &str) -> MessageStep {
        MessageStep {
            at: 0,
            queue_id: Some(1),
            source,
            sender: sender.into(),
            recipient: recipient.into(),
            size: None,
            status: MessageStatus::Accepted,
            detail: None,
            remote_host: None,
            remote_ip: None,
        }
    }

    #[test]
    fn each_hosted_domain_sees_a_message_from_its_own_side() {
        let hosted: HashSet<String> = ["a.test", "b.test"].map(String::from).into();
        let seen = |s, f, t| viewpoints(&step(s, f, t), &hosted);
        use MessageSource::*;
        assert_eq!(
            seen(Submitted, "x@a.test", "y@a.test"),
            [("a.test".into(), "internal")]
        );
        assert_eq!(
            seen(Submitted, "x@a.test", "y@b.test"),
            [("a.test".into(), "out"), ("b.test".into(), "in")]
        );
        assert_eq!(
            seen(Submitted, "x@a.test", "y@gmail.test"),
            [("a.test".into(), "out")]
        );
        // A received message claiming a hosted sender is the recipient's only.
        assert_eq!(
            seen(Received, "x@a.test", "y@b.test"),
            [("b.test".into(), "in")]
        );
        assert_eq!(seen(Received, "x@gmail.test", "y@c.test"), []);
        // A bounce to a hosted sender.
        assert_eq!(seen(Generated, "", "x@a.test"), [("a.test".into(), "in")]);
    }

    #[tokio::test]
    async fn a_batchs_outcomes_and_message_ids_move_their_rows_at_once() {
        use MessageStatus::*;

        let dir = tempfile::tempdir().expect("dir");
        let databases = crate::db::testing::databases(dir.path()).await;
        let hosted: HashSet<String> = ["a.test".to_string()].into();
        let accepted = |queue: u64, recipient: &str| MessageStep {
            at: 1_790_000_000,
            queue_id: Some(queue),
            size: Some(10),
            ..step(MessageSource::Received, "x@ext.test", recipient)
        };
        // Each outcome says which it is in its detail.
        let outcome = |queue, recipient: &str, status: MessageStatus| MessageStep {
            status,
            detail: Some(format!("{status:?}")),
            remote_host: Some("mx.ext.test".into()),
            ..accepted(queue, recipient)
        };
        for db in &databases.connections {
            let taken = [
                accepted(1, "y@a.test"),
                accepted(1, "z@a.test"),
                accepted(2, "w@a.test"),
                accepted(2, "y@a.test"),
            ];
            let rows = taken
                .iter()
                .flat_map(|s| {
                    viewpoints(s, &hosted)
                        .into_iter()
                        .map(move |(domain, direction)| row(s, domain, direction, None))
                })
                .collect();
            insert_rows(db, rows).await.expect("rows");
            let steps = settled(vec![
                outcome(1, "y@a.test", Deferred),
                outcome(1, "y@a.test", Delivered),
                outcome(1, "z@a.test", Delivered),
                // A late deferral of a delivered recipient changes nothing.
                outcome(1, "z@a.test", Deferred),
                // The first final outcome stays.
                outcome(2, "w@a.test", Delivered),
                outcome(2, "w@a.test", Bounced),
                outcome(2, "y@a.test", Bounced),
                // Its acceptance was not seen: the outcome makes the row.
                outcome(3, "y@a.test", Delivered),
            ]);
            assert_eq!(steps.len(), 5);
            let state = TraceState::default();
            record_outcomes(db, &state, &hosted, steps)
                .await
                .expect("outcomes");
            let again = settled(vec![outcome(2, "y@a.test", Deferred)]);
            record_outcomes(db, &state, &hosted, again)
                .await
                .expect("late deferral");
            let named = identify_rows(
                db,
                &HashMap::from([(queue_key(1), "m1".into()), (queue_key(9), "m9".into())]),
            )
            .await
            .expect("message ids");
            assert_eq!(named, HashSet::from([queue_key(1)]));

            let rows: Vec<String> = message_trace::Entity::find()
                .order_by_asc(message_trace::Column::QueueId)
                .order_by_asc(message_trace::Column::Recipient)
                .all(db)
                .await
                .expect("trace")
                .into_iter()
                .map(|r| {
                    let queue = r.queue_id.map(queue_label).unwrap_or_default();
                    let id = r.message_id.unwrap_or_default();
                    let detail = r.detail.unwrap_or_default();
                    let host = r.remote_host.unwrap_or_default();
                    format!("{queue} {} {} {id} {detail} {host}", r.recipient, r.status)
                })
                .collect();
            assert_eq!(
                rows,
                [
                    "1 y@a.test delivered m1 Delivered mx.ext.test",
                    "1 z@a.test delivered m1 Delivered mx.ext.test",
                    "2 w@a.test delivered  Delivered mx.ext.test",
                    "2 y@a.test bounced  Bounced mx.ext.test",
                    "3 y@a.test delivered  Delivered mx.ext.test",
                ]
            );
        }
        databases.drop().await;
    }

    #[test]
    fn queue_ids_keep_all_their_bits() {
        for id in [0, 1, u64::MAX, 1 << 63, 0xdead_beef] {
            let key = queue_key(id);
            assert_eq!(queue_label(key), format!("{id:x}"));
        }
    }
}
