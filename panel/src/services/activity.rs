// SPDX-License-Identifier: AGPL-3.0-only
//! What the engine reports about mailboxes, kept for the mailbox list: the last sign-in of a
//! mail client and the messages sent to recipients outside the hosted domains.

use std::{collections::HashSet, time::Duration};

use chrono::Utc;
use engine_glue::EngineEvent;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::mpsc;

use super::{ServiceError, Services};
use crate::db::{alias, domain, mailbox, outbound};

/// How long sent-message records are kept (the list shows the last 24 hours).
const OUTBOUND_KEEP: chrono::Duration = chrono::Duration::hours(48);

impl Services {
    /// Keeps the engine's events until the engine stops, and prunes old records hourly.
    pub fn spawn_activity(&self, mut events: mpsc::Receiver<EngineEvent>) {
        let services = self.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let Err(err) = services.record_event(event).await {
                    tracing::warn!(%err, "engine event not recorded");
                }
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

    async fn record_event(&self, event: EngineEvent) -> Result<(), ServiceError> {
        match event {
            EngineEvent::SignedIn { account } => {
                self.record_login(&account).await;
                Ok(())
            }
            EngineEvent::Submitted { sender, recipients } => {
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
        }
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
