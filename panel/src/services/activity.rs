// SPDX-License-Identifier: AGPL-3.0-only
//! What the engine reports, kept by the panel: mail clients' sign-ins (the access log, and the
//! mailbox list's last sign-in), every message's steps (the message trace) and the messages
//! sent to recipients outside the hosted domains. Events are taken in batches, so a busy
//! engine costs one transaction per batch, not one per event.

use std::{collections::HashSet, time::Duration};

use chrono::Utc;
use engine_glue::{EngineEvent, MailProtocol, SignInOutcome};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::mpsc;

use super::{
    ServiceError, Services,
    access_log::{AccessEntry, AccessResult},
    trace::TraceState,
};
use crate::db::{alias, domain, mailbox, outbound};

/// How long sent-message records are kept (the list shows the last 24 hours).
const OUTBOUND_KEEP: chrono::Duration = chrono::Duration::hours(48);
/// Events taken in one batch at most.
const BATCH: usize = 512;
/// How long a batch gathers after its first event: a busy engine's events then cost a few
/// transactions a second, not one per message step; a quiet engine's events wait that long at most.
const GATHER: Duration = Duration::from_millis(100);
/// How long to wait before writing a batch's steps or sign-ins again, when the database
/// refused them (busy with a long write): each is written at once or not at all, so a retry
/// repeats nothing.
const RETRIES: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(5),
];

/// The tries left to write a part of a batch.
#[derive(Default)]
struct Retry {
    tried: usize,
}

impl Retry {
    /// Waits before the next try, or says what is lost and returns false when none is left.
    async fn wait(&mut self, err: &ServiceError, what: &'static str, count: usize) -> bool {
        let Some(pause) = RETRIES.get(self.tried) else {
            tracing::warn!(%err, count, "engine events lost: {what} not recorded");
            return false;
        };
        self.tried += 1;
        tracing::info!(%err, count, "{what} not recorded yet; trying again");
        tokio::time::sleep(*pause).await;
        true
    }
}

impl Services {
    /// Keeps the engine's events until the engine stops, and prunes old records hourly.
    pub fn spawn_activity(&self, mut events: mpsc::Receiver<EngineEvent>) {
        let services = self.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            let mut trace = TraceState::default();
            while events.recv_many(&mut batch, BATCH).await > 0 {
                if batch.len() < BATCH {
                    tokio::time::sleep(GATHER).await;
                }
                while batch.len() < BATCH
                    && let Ok(event) = events.try_recv()
                {
                    batch.push(event);
                }
                services
                    .record_events(&mut trace, std::mem::take(&mut batch))
                    .await;
            }
        });
        let services = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let cutoff = Utc::now() - OUTBOUND_KEEP;
                if let Err(err) = outbound::Entity::delete_many()
                    .filter(outbound::Column::At.lt(cutoff))
                    .exec(&services.db)
                    .await
                {
                    tracing::warn!(%err, "old sent-message records not pruned");
                }
            }
        });
    }

    /// Records a batch of events: the message steps together (tried again when the database
    /// is busy), the sign-ins together, then the submissions. A part that fails is reported
    /// and does not keep the others from being written.
    async fn record_events(&self, trace: &mut TraceState, events: Vec<EngineEvent>) {
        let mut submissions = Vec::new();
        let mut sign_ins = Vec::new();
        let mut steps = Vec::new();
        let mut identified = Vec::new();
        let mut signed_in = HashSet::new();
        let mut switches = std::collections::HashMap::new();
        for event in events {
            match event {
                EngineEvent::SignIn {
                    account,
                    protocol,
                    outcome,
                    remote_ip,
                    connection,
                    at,
                } => {
                    let login = account.unwrap_or_default();
                    let mut result = match outcome {
                        SignInOutcome::Ok => AccessResult::Ok,
                        SignInOutcome::WrongPassword => AccessResult::WrongPassword,
                        SignInOutcome::MissingCode => AccessResult::MissingCode,
                        SignInOutcome::Banned => AccessResult::Banned,
                    };
                    // The engine refuses a switched-off protocol right after accepting the
                    // credentials: such a sign-in did not get in.
                    if result == AccessResult::Ok && !login.is_empty() {
                        if !switches.contains_key(&login) {
                            match self.engine.protocols(&login).await {
                                Ok(protocols) => {
                                    switches.insert(login.clone(), protocols);
                                }
                                Err(err) => {
                                    tracing::warn!(%err, %login, "protocols of a sign-in not read")
                                }
                            }
                        }
                        let allowed = switches.get(&login).is_none_or(|p| match protocol {
                            MailProtocol::Imap => p.imap,
                            MailProtocol::Pop3 => p.pop3,
                            MailProtocol::Smtp => p.smtp,
                            MailProtocol::ManageSieve | MailProtocol::Unknown => true,
                        });
                        if allowed {
                            signed_in.insert(login.clone());
                        } else {
                            result = AccessResult::ProtocolDisabled;
                        }
                    }
                    sign_ins.push(AccessEntry {
                        at: i64::try_from(at)
                            .ok()
                            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                            .unwrap_or_else(Utc::now),
                        login,
                        protocol: match protocol {
                            MailProtocol::Imap => "imap",
                            MailProtocol::Pop3 => "pop3",
                            MailProtocol::Smtp => "smtp",
                            MailProtocol::ManageSieve => "sieve",
                            MailProtocol::Unknown => "unknown",
                        },
                        result,
                        ip: remote_ip.map(|ip| ip.to_string()).unwrap_or_default(),
                        connection: connection.and_then(|c| i64::try_from(c).ok()),
                    });
                }
                EngineEvent::Submitted { sender, recipients } => {
                    submissions.push((sender, recipients));
                }
                EngineEvent::Message(step) => steps.push(step),
                EngineEvent::Identified {
                    queue_id,
                    message_id,
                } => identified.push((queue_id, message_id)),
            }
        }
        let mut retry = Retry::default();
        while let Err(err) = self
            .record_trace(trace, steps.clone(), identified.clone())
            .await
        {
            if !retry.wait(&err, "message steps", steps.len()).await {
                break;
            }
        }
        let mut retry = Retry::default();
        while let Err(err) = self.log_access(sign_ins.clone()).await {
            if !retry.wait(&err, "sign-ins", sign_ins.len()).await {
                break;
            }
        }
        for (sender, recipients) in submissions {
            if let Err(err) = self.record_submission(sender, recipients).await {
                tracing::warn!(%err, "a sent message not counted");
            }
        }
        for login in signed_in {
            self.record_login(&login).await;
        }
    }

    async fn record_submission(
        &self,
        sender: String,
        recipients: Vec<String>,
    ) -> Result<(), ServiceError> {
        let Some(address) = self.mailbox_of(&sender).await? else {
            return Ok(());
        };
        let hosted: HashSet<String> = domain::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.name)
            .collect();
        let external = recipients
            .iter()
            .filter(|r| {
                r.rsplit_once('@')
                    .is_none_or(|(_, domain)| !hosted.contains(domain))
            })
            .count();
        if external > 0 {
            outbound::ActiveModel {
                address: Set(address),
                at: Set(Utc::now()),
                recipients: Set(i32::try_from(external).unwrap_or(i32::MAX)),
                ..Default::default()
            }
            .insert(&self.db)
            .await?;
        }
        Ok(())
    }

    /// The mailbox an address (its own or an alias) belongs to.
    async fn mailbox_of(&self, address: &str) -> Result<Option<String>, ServiceError> {
        if let Some(m) = mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(address))
            .one(&self.db)
            .await?
        {
            return Ok(Some(m.address));
        }
        Ok(alias::Entity::find()
            .filter(alias::Column::Address.eq(address))
            .find_also_related(mailbox::Entity)
            .one(&self.db)
            .await?
            .and_then(|(_, m)| m.map(|m| m.address)))
    }
}
