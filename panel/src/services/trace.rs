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
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
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
        for step in outcomes {
            self.record_outcome(&txn, state, &hosted, &step).await?;
        }
        for (queue, message_id) in identified {
            let queue = queue_key(queue);
            let updated = message_trace::Entity::update_many()
                .col_expr(
                    message_trace::Column::MessageId,
                    Expr::value(message_id.clone()),
                )
                .filter(message_trace::Column::QueueId.eq(queue))
                .filter(message_trace::Column::MessageId.is_null())
                .exec(&txn)
                .await?
                .rows_affected;
            if updated == 0 {
                state.remember(queue, message_id);
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Moves a queued recipient to a later status, in every domain that sees it; a row that
    /// is not there yet is made.
    async fn record_outcome<C: ConnectionTrait>(
        &self,
        db: &C,
        state: &TraceState,
        hosted: &HashSet<String>,
        step: &MessageStep,
    ) -> Result<(), ServiceError> {
        let Some(queue) = step.queue_id.map(queue_key) else {
            return Ok(());
        };
        let at = time_of(step.at);
        let updated = message_trace::Entity::update_many()
            .col_expr(
                message_trace::Column::Status,
                Expr::value(status_code(step.status)),
            )
            .col_expr(
                message_trace::Column::Detail,
                Expr::value(step.detail.clone()),
            )
            .col_expr(
                message_trace::Column::RemoteHost,
                Expr::value(step.remote_host.clone()),
            )
            .col_expr(message_trace::Column::UpdatedAt, Expr::value(at))
            .filter(message_trace::Column::QueueId.eq(queue))
            .filter(message_trace::Column::Recipient.eq(step.recipient.as_str()))
            .filter(message_trace::Column::Status.is_in(["accepted", "deferred"]))
            .exec(db)
            .await?
            .rows_affected;
        if updated > 0 {
            return Ok(());
        }
        let exists = message_trace::Entity::find()
            .select_only()
            .column(message_trace::Column::Id)
            .filter(message_trace::Column::QueueId.eq(queue))
            .filter(message_trace::Column::Recipient.eq(step.recipient.as_str()))
            .into_tuple::<i64>()
            .one(db)
            .await?
            .is_some();
        if exists {
            // Already further on (a late deferral of a delivered recipient).
            return Ok(());
        }
        let message_id = state.identified.get(&queue).map(|(_, id)| id.clone());
        let rows = viewpoints(step, hosted)
            .into_iter()
            .map(|(domain, direction)| row(step, domain, direction, message_id.clone()))
            .collect();
        insert_rows(db, rows).await
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
    use std::collections::HashSet;

    use engine_glue::{MessageSource, MessageStatus, MessageStep};

    use super::{queue_key, queue_label, viewpoints};

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

    #[test]
    fn queue_ids_keep_all_their_bits() {
        for id in [0, 1, u64::MAX, 1 << 63, 0xdead_beef] {
            let key = queue_key(id);
            assert_eq!(queue_label(key), format!("{id:x}"));
        }
    }
}
