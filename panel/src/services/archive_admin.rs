// SPDX-License-Identifier: AGPL-3.0-only
//! The manager's archive switch (seed 002: "associare/eliminare Archivi"): on with a
//! retention of 1 to 10 years, or off. Off stops the capture and keeps what is stored until
//! each message's retention ends.

use app::{i18n::Text, ports::Address};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{DomainScope, ManagedDomain, ServiceError, Services};
use crate::db::{archive, archive_cursor, archive_message, mailbox};

/// The retentions a manager may choose, in years.
pub const RETENTION_YEARS: std::ops::RangeInclusive<i32> = 1..=10;

/// A mailbox's archive as its page shows it.
#[derive(Debug, Clone)]
pub struct ArchiveState {
    pub active: bool,
    pub retention_years: i32,
    pub started_at: DateTime<Utc>,
    pub messages: u64,
}

impl Services {
    /// The archive of a mailbox (by its row id), if it ever had one.
    pub(crate) async fn archive_state(
        &self,
        mailbox_id: i32,
    ) -> Result<Option<ArchiveState>, ServiceError> {
        let Some(kept) = archive::Entity::find()
            .filter(archive::Column::MailboxId.eq(mailbox_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let messages = archive_message::Entity::find()
            .filter(archive_message::Column::ArchiveId.eq(kept.id))
            .count(&self.db)
            .await?;
        Ok(Some(ArchiveState {
            active: kept.active,
            retention_years: kept.retention_years,
            started_at: kept.started_at,
            messages,
        }))
    }
}

impl DomainScope<'_> {
    /// The archive of one of this domain's mailboxes (by its row id), if it ever had one.
    pub async fn mailbox_archive(
        &self,
        mailbox_id: i32,
    ) -> Result<Option<ArchiveState>, ServiceError> {
        self.services.archive_state(mailbox_id).await
    }
}

impl ManagedDomain<'_> {
    /// Switches a mailbox's archive on with this retention (years), or off with `None`.
    pub async fn set_archive(
        &self,
        address: &Address,
        retention_years: Option<i32>,
    ) -> Result<(), ServiceError> {
        if let Some(years) = retention_years
            && !RETENTION_YEARS.contains(&years)
        {
            return Err(ServiceError::invalid(
                "retention_years",
                Text::new(
                    "Keep messages from 1 to 10 years.",
                    "Conserva i messaggi da 1 a 10 anni.",
                ),
            ));
        }
        let scope = self.scope();
        let services = scope.services;
        let found = scope.find_mailbox(address).await?;
        // Where the engine's change log stands before the archive begins: the pass over it
        // starts there, so whatever arrives from the start on (a bounce too) is seen.
        let mark = match retention_years {
            Some(_) => Some(
                services
                    .engine
                    .mail_of(&found.address)
                    .await?
                    .message_state()
                    .await?,
            ),
            None => None,
        };
        let txn = crate::db::begin_write(&services.db).await?;
        let existing = archive::Entity::find()
            .filter(archive::Column::MailboxId.eq(found.id))
            .one(&txn)
            .await?;
        let before = existing
            .as_ref()
            .filter(|a| a.active)
            .map(|a| format!("{} years", a.retention_years));
        let mut begun = None;
        match (existing, retention_years) {
            (Some(kept), Some(years)) => {
                let was_active = kept.active;
                let id = kept.id;
                let mut active: archive::ActiveModel = kept.into();
                active.active = Set(true);
                active.retention_years = Set(years);
                active.stopped_at = Set(None);
                if !was_active {
                    // Capturing again from now: what came while it was off is the import's.
                    active.started_at = Set(Utc::now());
                    begun = Some(id);
                }
                active.update(&txn).await?;
            }
            (None, Some(years)) => {
                let created = archive::ActiveModel {
                    mailbox_id: Set(Some(found.id)),
                    domain_id: Set(found.domain_id),
                    address: Set(found.address.clone()),
                    retention_years: Set(years),
                    active: Set(true),
                    started_at: Set(Utc::now()),
                    stopped_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                begun = Some(created.id);
            }
            (Some(kept), None) if kept.active => {
                let mut active: archive::ActiveModel = kept.into();
                active.active = Set(false);
                active.stopped_at = Set(Some(Utc::now()));
                active.update(&txn).await?;
            }
            (_, None) => {}
        }
        if let (Some(archive_id), Some(state)) = (begun, mark) {
            archive_cursor::Entity::delete_by_id(archive_id)
                .exec(&txn)
                .await?;
            archive_cursor::ActiveModel {
                archive_id: Set(archive_id),
                state: Set(state),
                checked_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?;
        }
        let mut row: mailbox::ActiveModel = found.clone().into();
        row.archive = Set(retention_years.is_some());
        row.update(&txn).await?;
        txn.commit().await?;
        scope
            .audit(
                "mailbox.archive",
                &found.address,
                before,
                retention_years.map(|y| format!("{y} years")),
            )
            .await;
        Ok(())
    }
}
