// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's second pass: what reaches an archived mailbox without passing the engine's
//! DATA hook (bounces, Sieve redirects from another mailbox, copies between accounts, a
//! client's IMAP APPEND) is found in the engine's own change log. For each archived account a
//! cursor (its JMAP state) is kept; every pass reads the messages created or changed since,
//! and keeps those that arrived after the archive began and that no journal copy brought:
//! none in the archive with their Message-ID, and no envelope with it on its way. Messages
//! in Sent count as sent, Drafts are left out.

use std::collections::HashMap;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{ServiceError, Services, archive::Direction};
use crate::db::{archive, archive_cursor, archive_envelope, mailbox};

/// Changes read at once: the cursor moves by pages of this many.
const PASS_PAGE: u64 = 200;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub archives: u32,
    /// Messages kept that no journal copy brought.
    pub added: u32,
}

impl Services {
    /// Runs the pass over every active archive whose mailbox exists. A message younger than
    /// `grace` is left for the next pass: its journal copy may still be on its way (the
    /// engine sends it at once, and again after 30 s and 1 min when refused).
    pub async fn archive_pass(&self, grace: Duration) -> Result<PassReport, ServiceError> {
        let archives: Vec<(archive::Model, Option<mailbox::Model>)> = archive::Entity::find()
            .filter(archive::Column::Active.eq(true))
            .find_also_related(mailbox::Entity)
            .all(&self.db)
            .await?;
        let mut report = PassReport::default();
        for (kept, owner) in archives {
            let Some(owner) = owner else { continue };
            report.archives += 1;
            match self.archive_pass_one(&kept, &owner.address, grace).await {
                Ok(added) => report.added += added,
                Err(err) => {
                    tracing::warn!(%err, archive = kept.id, "archive pass over engine changes failed");
                }
            }
        }
        Ok(report)
    }

    async fn archive_pass_one(
        &self,
        kept: &archive::Model,
        address: &str,
        grace: Duration,
    ) -> Result<u32, ServiceError> {
        let access = self.engine.mail_of(address).await?;
        let cursor = archive_cursor::Entity::find_by_id(kept.id)
            .one(&self.db)
            .await?;
        let Some(cursor) = cursor else {
            // The first pass starts from now: what came before is the import's.
            let state = access.message_state().await?;
            self.save_cursor(kept.id, state, true).await?;
            return Ok(0);
        };
        // Page by page, oldest first, the cursor following each page whose every message
        // was settled: a mailbox that never rests (a message always younger than the grace)
        // still moves its cursor, and a pass reads again only its last few pages.
        let mut state = cursor.state;
        let mut roles: Option<HashMap<String, Option<String>>> = None;
        let mut added = 0;
        loop {
            let Some(page) = access.message_changes_page(&state, PASS_PAGE).await? else {
                // The engine's log no longer reaches back: start again from now.
                tracing::warn!(
                    archive = kept.id,
                    "engine change log too short for the archive pass"
                );
                let state = access.message_state().await?;
                self.save_cursor(kept.id, state, false).await?;
                return Ok(added);
            };
            let mut destroyed = page.changes.destroyed;
            destroyed.sort_unstable();
            let mut changed = page.changes.changed;
            changed.sort_unstable();
            changed.dedup();
            changed.retain(|id| destroyed.binary_search(id).is_err());
            if !changed.is_empty() {
                let roles = match &roles {
                    Some(roles) => roles,
                    None => roles.insert(
                        access
                            .folders()
                            .await?
                            .into_iter()
                            .map(|f| (f.id, f.role))
                            .collect(),
                    ),
                };
                let (kept_now, settled) = self
                    .keep_changed(kept, &access, roles, &changed, grace)
                    .await?;
                added += kept_now;
                // A message left for later keeps the cursor where it was: the next pass
                // reads this page again (and what was kept now is found there, not kept
                // twice); the pages after it are later still.
                if !settled {
                    return Ok(added);
                }
            }
            self.save_cursor(kept.id, page.changes.state.clone(), false)
                .await?;
            state = page.changes.state;
            if !page.more {
                return Ok(added);
            }
        }
    }

    /// Keeps the changed messages no journal copy brought; how many, and whether every one
    /// was settled (none left for a later pass, being younger than `grace`).
    async fn keep_changed(
        &self,
        kept: &archive::Model,
        access: &engine_glue::MailAccess,
        roles: &HashMap<String, Option<String>>,
        changed: &[String],
        grace: Duration,
    ) -> Result<(u32, bool), ServiceError> {
        let now = Utc::now();
        let mut added = 0;
        let mut deferred = false;
        for message in access.kept_messages(changed).await? {
            let arrived = DateTime::parse_from_rfc3339(&message.received_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now);
            // The engine keeps arrival times to the second: a message of the archive's first
            // second counts (one the journal also brought is found by its Message-ID).
            if arrived < kept.started_at.trunc_subsecs(0) {
                continue;
            }
            let role = |r: &str| {
                message
                    .folders
                    .iter()
                    .any(|f| roles.get(f).and_then(|x| x.as_deref()) == Some(r))
            };
            if role("drafts") {
                continue;
            }
            if arrived > now - grace {
                deferred = true;
                continue;
            }
            let direction = if role("sent") {
                Direction::Out
            } else {
                Direction::In
            };
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
                .keep_engine_copy(kept, bytes, direction, arrived, "changes")
                .await?
            {
                added += 1;
            }
        }
        Ok((added, !deferred))
    }

    /// Whether the archive has, or is about to get, a journal copy of this Message-ID.
    pub(super) async fn journaled(
        &self,
        archive_id: i32,
        message_id: &str,
    ) -> Result<bool, ServiceError> {
        let kept = super::archive::with_message_id(archive_id, message_id)
            .one(&self.db)
            .await?
            .is_some();
        if kept {
            return Ok(true);
        }
        if self.journal_writer.awaits(archive_id, message_id) {
            return Ok(true);
        }
        // A copy queued by an earlier version, whose envelope row waits for it.
        let party = format!("{archive_id}:");
        Ok(archive_envelope::Entity::find()
            .filter(archive_envelope::Column::MessageId.eq(message_id))
            .filter(archive_envelope::Column::State.eq("pending"))
            .all(self.journal_writer.journal_db())
            .await?
            .iter()
            .any(|e| e.parties.split_whitespace().any(|p| p.starts_with(&party))))
    }

    async fn save_cursor(
        &self,
        archive_id: i32,
        state: String,
        new: bool,
    ) -> Result<(), ServiceError> {
        let row = archive_cursor::ActiveModel {
            archive_id: Set(archive_id),
            state: Set(state),
            checked_at: Set(Utc::now()),
        };
        if new {
            archive_cursor::Entity::insert(row)
                .exec_without_returning(&self.db)
                .await?;
        } else {
            archive_cursor::Entity::update(row).exec(&self.db).await?;
        }
        Ok(())
    }

    /// Runs the pass every `every`, the first time at once.
    pub fn spawn_archive_pass(&self, every: std::time::Duration, grace: std::time::Duration) {
        let services = self.clone();
        let grace = Duration::from_std(grace).unwrap_or(Duration::minutes(3));
        tokio::spawn(async move {
            // First, which journal copies are still on their way from before a restart.
            match services.await_queued_copies().await {
                Ok(0) => {}
                Ok(noted) => tracing::info!(noted, "journal copies queued before the start"),
                Err(err) => tracing::warn!(%err, "the engine's queue could not be read"),
            }
            loop {
                match services.archive_pass(grace).await {
                    Ok(report) if report.added > 0 => {
                        tracing::info!(
                            ?report,
                            "archive pass kept messages the journal did not bring"
                        );
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%err, "archive pass failed"),
                }
                tokio::time::sleep(every).await;
            }
        });
    }
}
