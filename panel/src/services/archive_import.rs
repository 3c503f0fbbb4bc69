// SPDX-License-Identifier: AGPL-3.0-only
//! The guided import offered when an archive is switched on: copies some or all of the
//! mailbox's folders into it (as Qboxmail does), in the background with its progress in a
//! row. Only mail that arrived before the archive began is copied (what came after is the
//! journal's), Sent as sent and every other folder as received; asking again adds nothing
//! already there.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{DomainScope, ManagedDomain, ServiceError, Services, archive::Direction};
use crate::db::{archive, archive_import};
use app::{i18n::Text, ports::Address};

/// Messages read from the engine at once, and between two progress writes.
const BATCH: usize = 200;

/// A folder the import can copy.
#[derive(Debug, Clone)]
pub struct ImportFolder {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub messages: u64,
}

/// Whether a folder's mail counts as sent.
fn direction_of(role: Option<&str>) -> Direction {
    match role {
        Some("sent") => Direction::Out,
        _ => Direction::In,
    }
}

impl DomainScope<'_> {
    /// The folders of one of this domain's mailboxes an import can copy (not Drafts).
    pub async fn import_folders(&self, address: &str) -> Result<Vec<ImportFolder>, ServiceError> {
        let access = self.services.engine.mail_of(address).await?;
        Ok(access
            .folders()
            .await?
            .into_iter()
            .filter(|f| f.role.as_deref() != Some("drafts"))
            .map(|f| ImportFolder {
                id: f.id,
                name: f.name,
                role: f.role,
                messages: f.total,
            })
            .collect())
    }

    /// The latest import into a mailbox's archive (by the archive's mailbox row id).
    pub async fn latest_import(
        &self,
        mailbox_id: i32,
    ) -> Result<Option<archive_import::Model>, ServiceError> {
        let Some(kept) = archive::Entity::find()
            .filter(archive::Column::MailboxId.eq(mailbox_id))
            .one(&self.services.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(archive_import::Entity::find()
            .filter(archive_import::Column::ArchiveId.eq(kept.id))
            .order_by_desc(archive_import::Column::Id)
            .one(&self.services.db)
            .await?)
    }
}

impl ManagedDomain<'_> {
    /// Starts copying these folders (engine ids; empty for all but Drafts) of a mailbox into
    /// its archive, which must be on. One import per archive at a time.
    pub async fn start_archive_import(
        &self,
        address: &Address,
        folders: Vec<String>,
    ) -> Result<archive_import::Model, ServiceError> {
        let scope = self.scope();
        let services = scope.services;
        let mailbox = scope.find_mailbox(address).await?;
        let kept = archive::Entity::find()
            .filter(archive::Column::MailboxId.eq(mailbox.id))
            .filter(archive::Column::Active.eq(true))
            .one(&services.db)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    "folders",
                    Text::new("Switch the archive on first.", "Attiva prima l'archivio."),
                )
            })?;
        let offered = scope.import_folders(&mailbox.address).await?;
        let chosen: Vec<ImportFolder> = if folders.is_empty() {
            offered
        } else {
            let mut chosen = Vec::new();
            for id in &folders {
                match offered.iter().find(|f| &f.id == id) {
                    Some(folder) => chosen.push(folder.clone()),
                    None => {
                        return Err(ServiceError::invalid(
                            "folders",
                            Text::new(
                                "Choose among the mailbox's folders.",
                                "Scegli tra le cartelle della casella.",
                            ),
                        ));
                    }
                }
            }
            chosen
        };
        let txn = crate::db::begin_write(&services.db).await?;
        let running = archive_import::Entity::find()
            .filter(archive_import::Column::ArchiveId.eq(kept.id))
            .filter(archive_import::Column::State.eq("running"))
            .one(&txn)
            .await?;
        if running.is_some() {
            return Err(ServiceError::conflict(
                "folders",
                Text::new(
                    "An import is already running for this archive.",
                    "Un'importazione è già in corso per questo archivio.",
                ),
            ));
        }
        let row = archive_import::ActiveModel {
            archive_id: Set(kept.id),
            folders: Set(chosen
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(" ")),
            state: Set("running".into()),
            total: Set(0),
            done: Set(0),
            added: Set(0),
            requested_by: Set(scope.caller.actor.login().to_string()),
            created_at: Set(Utc::now()),
            finished_at: Set(None),
            error: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        scope
            .audit(
                "archive.import",
                &mailbox.address,
                None,
                Some(
                    chosen
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            )
            .await;
        let services = services.clone();
        let job = row.clone();
        let address = mailbox.address.clone();
        tokio::spawn(async move {
            let outcome = services.run_import(&job, &kept, &address, &chosen).await;
            let mut done: archive_import::ActiveModel =
                match archive_import::Entity::find_by_id(job.id)
                    .one(&services.db)
                    .await
                {
                    Ok(Some(row)) => row.into(),
                    _ => return,
                };
            done.finished_at = Set(Some(Utc::now()));
            match outcome {
                Ok(()) => done.state = Set("done".into()),
                Err(err) => {
                    tracing::warn!(%err, archive = kept.id, "archive import failed");
                    done.state = Set("failed".into());
                    done.error = Set(Some(err.to_string()));
                }
            }
            if let Err(err) = done.update(&services.db).await {
                tracing::error!(%err, "archive import's end not recorded");
            }
        });
        Ok(row)
    }
}

impl Services {
    async fn run_import(
        &self,
        job: &archive_import::Model,
        kept: &archive::Model,
        address: &str,
        folders: &[ImportFolder],
    ) -> Result<(), ServiceError> {
        let access = self.engine.mail_of(address).await?;
        let (ids, _) = access.all_message_ids().await?;
        // What to copy: messages in a chosen folder that arrived before the archive began.
        let mut wanted = Vec::new();
        for chunk in ids.chunks(BATCH) {
            for message in access.kept_messages(chunk).await? {
                let arrived = DateTime::parse_from_rfc3339(&message.received_at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(kept.started_at);
                let folder = folders
                    .iter()
                    .find(|f| message.folders.iter().any(|id| id == &f.id));
                // Arrival times are to the second: the archive's first second is copied
                // too (what the journal also brought is found by its Message-ID below).
                if let Some(folder) = folder
                    && arrived.trunc_subsecs(0) <= kept.started_at.trunc_subsecs(0)
                {
                    wanted.push((message, arrived, direction_of(folder.role.as_deref())));
                }
            }
        }
        let total = i32::try_from(wanted.len()).unwrap_or(i32::MAX);
        self.import_progress(job.id, total, 0, 0).await?;
        let (mut done, mut added) = (0i32, 0i32);
        for batch in wanted.chunks(BATCH) {
            for (message, arrived, direction) in batch {
                done += 1;
                let message_id = message
                    .message_id
                    .as_ref()
                    .and_then(|ids| ids.first().cloned())
                    .unwrap_or_default();
                if !message_id.is_empty() && self.journaled(kept.id, &message_id).await? {
                    continue;
                }
                let Some(bytes) = access.blob(&message.blob_id).await? else {
                    continue;
                };
                if self
                    .keep_engine_copy(kept, bytes, *direction, *arrived, "import")
                    .await?
                {
                    added += 1;
                }
            }
            self.import_progress(job.id, total, done, added).await?;
        }
        Ok(())
    }

    async fn import_progress(
        &self,
        id: i32,
        total: i32,
        done: i32,
        added: i32,
    ) -> Result<(), ServiceError> {
        archive_import::Entity::update_many()
            .col_expr(archive_import::Column::Total, total.into())
            .col_expr(archive_import::Column::Done, done.into())
            .col_expr(archive_import::Column::Added, added.into())
            .filter(archive_import::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Marks imports a stop cut off as failed (they are asked for again, adding nothing
    /// twice). Returns how many.
    pub async fn end_cut_off_imports(&self) -> Result<u64, ServiceError> {
        Ok(archive_import::Entity::update_many()
            .col_expr(archive_import::Column::State, "failed".into())
            .col_expr(
                archive_import::Column::Error,
                Some("cut off by a restart: start it again".to_string()).into(),
            )
            .col_expr(archive_import::Column::FinishedAt, Some(Utc::now()).into())
            .filter(archive_import::Column::State.eq("running"))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
