// SPDX-License-Identifier: AGPL-3.0-only
//! Bringing a mailbox back to a day of its Mail Time Machine.
//!
//! The day's state is compared with the mailbox as it is, message by message, one at a time
//! (the engine's store is not asked for bulk writes): a message still there gets back the
//! folders and flags it had; one gone since is put back from its kept bytes, into its
//! folders, with its flags and its arrival time (as a new message: mail programs download
//! it again); a folder gone since is made again first. A merge (the default) keeps newer
//! mail as it is; an exact rollback moves it into a `Restored after <day>` folder instead
//! of deleting anything. Progress is kept in its row, so a page can follow it.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use engine_glue::{KeptFolder, KeptMessage, MailAccess};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{
    AuditEntry, ServiceError, Services,
    time_machine::{TimeMachineView, standing_on},
};
use crate::{
    content_store::ObjectHash,
    db::{mailbox, tm_folder, tm_message, tm_restore},
};

/// How a day is brought back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreMode {
    /// What was deleted or changed since comes back; newer mail stays as it is.
    Merge,
    /// As `Merge`, and newer mail is moved into a `Restored after <day>` folder.
    Exact,
}

/// Messages looked at between two progress updates.
const PROGRESS_EVERY: i32 = 20;

impl TimeMachineView<'_> {
    /// What the operator charges for a restore, in cents (0 = free).
    pub fn restore_price_cents(&self) -> i64 {
        self.services
            .time_machine_settings()
            .map_or(0, |s| s.restore_price_cents)
    }

    /// The mailbox's latest restores, newest first.
    pub async fn restores(&self) -> Result<Vec<tm_restore::Model>, ServiceError> {
        Ok(tm_restore::Entity::find()
            .filter(tm_restore::Column::MailboxId.eq(self.mailbox.id))
            .order_by_desc(tm_restore::Column::Id)
            .limit(5)
            .all(&self.services.db)
            .await?)
    }

    /// Starts bringing the mailbox back to `day` (one restore at a time per mailbox); it
    /// runs on its own and its row tells how far it got. Audited with its price.
    pub async fn restore(
        &self,
        day: NaiveDate,
        mode: RestoreMode,
    ) -> Result<tm_restore::Model, ServiceError> {
        self.check_day(day).await?;
        let db = &self.services.db;
        let running = tm_restore::Entity::find()
            .filter(tm_restore::Column::MailboxId.eq(self.mailbox.id))
            .filter(tm_restore::Column::State.eq("running"))
            .one(db)
            .await?;
        if running.is_some() {
            return Err(ServiceError::conflict(
                "day",
                app::i18n::Text::new(
                    "A restore of this mailbox is already running: wait for it to end.",
                    "Un ripristino di questa casella è già in corso: attendi che finisca.",
                ),
            ));
        }
        let price = self.restore_price_cents();
        let row = tm_restore::ActiveModel {
            mailbox_id: Set(self.mailbox.id),
            day: Set(day),
            exact: Set(mode == RestoreMode::Exact),
            state: Set("running".into()),
            total: Set(0),
            done: Set(0),
            restored: Set(0),
            changed: Set(0),
            moved: Set(0),
            price_cents: Set(price),
            requested_by: Set(self.caller.actor.login().to_string()),
            created_at: Set(Utc::now()),
            finished_at: Set(None),
            error: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "time-machine.restore",
                    domain: self.caller.actor.domain_name(),
                    target: &self.mailbox.address,
                    before: None,
                    after: Some(format!(
                        "{day}, {}, price {price} cents",
                        if mode == RestoreMode::Exact {
                            "exact rollback"
                        } else {
                            "merge"
                        }
                    )),
                },
            )
            .await;
        let services = self.services.clone();
        let mailbox = self.mailbox.clone();
        let id = row.id;
        tokio::spawn(async move {
            let outcome = services.run_restore(id, &mailbox, day, mode).await;
            let (state, error) = match outcome {
                Ok(()) => ("done", None),
                Err(err) => {
                    tracing::warn!(%err, mailbox = %mailbox.address, %day, "restore failed");
                    ("failed", Some(err.to_string()))
                }
            };
            let ended = tm_restore::Entity::update_many()
                .col_expr(tm_restore::Column::State, Expr::value(state))
                .col_expr(tm_restore::Column::Error, Expr::value(error))
                .col_expr(
                    tm_restore::Column::FinishedAt,
                    Expr::value(Some(Utc::now())),
                )
                .filter(tm_restore::Column::Id.eq(id))
                .exec(&services.db)
                .await;
            if let Err(err) = ended {
                tracing::warn!(%err, "the end of a restore was not recorded");
            }
        });
        Ok(row)
    }
}

/// Counts kept as a restore runs.
#[derive(Default)]
struct Progress {
    total: i32,
    done: i32,
    restored: i32,
    changed: i32,
    moved: i32,
}

impl Services {
    /// Marks restores cut off by a stop as failed (at start): nothing half-done is shown
    /// as running for ever; what they did stays done, and the day can be restored again.
    pub async fn end_cut_off_restores(&self) -> Result<u64, ServiceError> {
        Ok(tm_restore::Entity::update_many()
            .col_expr(tm_restore::Column::State, Expr::value("failed"))
            .col_expr(
                tm_restore::Column::Error,
                Expr::value(Some("Casella stopped while it ran: ask for it again.")),
            )
            .col_expr(
                tm_restore::Column::FinishedAt,
                Expr::value(Some(Utc::now())),
            )
            .filter(tm_restore::Column::State.eq("running"))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    async fn save_progress(&self, id: i32, p: &Progress) -> Result<(), ServiceError> {
        tm_restore::Entity::update_many()
            .col_expr(tm_restore::Column::Total, Expr::value(p.total))
            .col_expr(tm_restore::Column::Done, Expr::value(p.done))
            .col_expr(tm_restore::Column::Restored, Expr::value(p.restored))
            .col_expr(tm_restore::Column::Changed, Expr::value(p.changed))
            .col_expr(tm_restore::Column::Moved, Expr::value(p.moved))
            .filter(tm_restore::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn run_restore(
        &self,
        id: i32,
        mailbox: &mailbox::Model,
        day: NaiveDate,
        mode: RestoreMode,
    ) -> Result<(), ServiceError> {
        let store = self.time_machine_settings()?.store.clone();
        let access = self.engine.mail_of(&mailbox.address).await?;
        let then_folders = tm_folder::Entity::find()
            .filter(tm_folder::Column::MailboxId.eq(mailbox.id))
            .filter(tm_folder::Column::ValidFrom.lte(day))
            .filter(
                Condition::any()
                    .add(tm_folder::Column::ValidTo.is_null())
                    .add(tm_folder::Column::ValidTo.gt(day)),
            )
            .all(&self.db)
            .await?;
        let then_messages = tm_message::Entity::find()
            .filter(tm_message::Column::MailboxId.eq(mailbox.id))
            .filter(standing_on(day))
            .order_by_asc(tm_message::Column::ReceivedAt)
            .all(&self.db)
            .await?;
        let folders = map_folders(&access, &then_folders).await?;
        let (ids, _) = access.all_message_ids().await?;
        let now = access.kept_messages(&ids).await?;
        let by_id: HashMap<&str, &KeptMessage> = now.iter().map(|m| (m.id.as_str(), m)).collect();
        let by_blob: HashMap<&str, &KeptMessage> =
            now.iter().map(|m| (m.blob_id.as_str(), m)).collect();
        // A message put back earlier has a new id and blob: its Message-ID and arrival
        // time find it.
        let by_key: HashMap<(&str, i64), &KeptMessage> = now
            .iter()
            .filter_map(|m| {
                let id = m.message_id.as_deref()?.first()?;
                let at = chrono::DateTime::parse_from_rfc3339(&m.received_at).ok()?;
                Some(((id.as_str(), at.timestamp()), m))
            })
            .collect();

        let mut p = Progress {
            total: i32::try_from(then_messages.len()).unwrap_or(i32::MAX),
            ..Progress::default()
        };
        self.save_progress(id, &p).await?;
        let mut kept: HashSet<&str> = HashSet::new();
        for then in &then_messages {
            let mut target: Vec<String> = then
                .folders
                .split(' ')
                .filter_map(|f| folders.get(f).cloned())
                .collect();
            target.sort();
            target.dedup();
            let keywords: Vec<String> = then
                .keywords
                .split(' ')
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect();
            let live = by_id
                .get(then.email_id.as_str())
                .or_else(|| by_blob.get(then.blob_id.as_str()))
                .or_else(|| {
                    (!then.message_id.is_empty())
                        .then(|| {
                            by_key.get(&(then.message_id.as_str(), then.received_at.timestamp()))
                        })
                        .flatten()
                });
            match live {
                Some(live) => {
                    kept.insert(live.id.as_str());
                    let folders_differ = !target.is_empty() && live.folders != target;
                    let keywords_differ = live.keywords != keywords;
                    if folders_differ || keywords_differ {
                        access
                            .set_message_state(
                                &live.id,
                                folders_differ.then_some(target.as_slice()),
                                keywords_differ.then_some(keywords.as_slice()),
                            )
                            .await?;
                        p.changed += 1;
                    }
                }
                None if !target.is_empty() => {
                    let hash: ObjectHash = then.object_hash.parse().map_err(|_| {
                        ServiceError::Internal("a kept message has no valid hash".into())
                    })?;
                    let bytes = store
                        .get(hash)
                        .await
                        .map_err(|err| ServiceError::Internal(err.to_string()))?;
                    let received = u64::try_from(then.received_at.timestamp()).unwrap_or(0);
                    access
                        .restore_message(&bytes, &target, &keywords, received)
                        .await?;
                    p.restored += 1;
                }
                None => {}
            }
            p.done += 1;
            if p.done % PROGRESS_EVERY == 0 {
                self.save_progress(id, &p).await?;
            }
        }
        if mode == RestoreMode::Exact {
            let newer: Vec<String> = now
                .iter()
                .filter(|m| !kept.contains(m.id.as_str()))
                .map(|m| m.id.clone())
                .collect();
            p.total = p
                .total
                .saturating_add(i32::try_from(newer.len()).unwrap_or(0));
            if !newer.is_empty() {
                let aside = access
                    .create_folder(&format!("Restored after {day}"), None)
                    .await?;
                for id_now in &newer {
                    access
                        .change_messages(
                            std::slice::from_ref(id_now),
                            engine_glue::MessageChange::MoveTo { folder_id: &aside },
                        )
                        .await?;
                    p.moved += 1;
                    p.done += 1;
                }
            }
        }
        self.save_progress(id, &p).await
    }
}

/// The day's folders mapped onto the mailbox's folders now: the same folder when it is
/// still there, the special folder of the same role, one of the same name under the same
/// parent, or one made again.
async fn map_folders(
    access: &MailAccess,
    then: &[tm_folder::Model],
) -> Result<HashMap<String, String>, ServiceError> {
    let now: Vec<KeptFolder> = access.kept_folders().await?;
    let ids: HashSet<&str> = now.iter().map(|f| f.id.as_str()).collect();
    let mut map: HashMap<String, String> = HashMap::new();
    let mut made: Vec<(Option<String>, String, String)> = Vec::new();
    // Parents before their children: a pass maps every folder whose parent is mapped.
    let mut left: Vec<&tm_folder::Model> = then.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        let mut next = Vec::new();
        for folder in left {
            if ids.contains(folder.folder_id.as_str()) {
                map.insert(folder.folder_id.clone(), folder.folder_id.clone());
                continue;
            }
            if let Some(role) = &folder.role
                && let Some(same) = now.iter().find(|f| f.role.as_ref() == Some(role))
            {
                map.insert(folder.folder_id.clone(), same.id.clone());
                continue;
            }
            let parent = match &folder.parent_id {
                None => None,
                Some(p) => match map.get(p) {
                    Some(mapped) => Some(mapped.clone()),
                    // Its parent is not placed yet (or no longer in the day): later.
                    None if then.iter().any(|f| &f.folder_id == p) => {
                        next.push(folder);
                        continue;
                    }
                    None => None,
                },
            };
            let lower = folder.name.to_lowercase();
            let existing = now
                .iter()
                .find(|f| f.parent_id == parent && f.name.to_lowercase() == lower)
                .map(|f| f.id.clone())
                .or_else(|| {
                    made.iter()
                        .find(|(p, name, _)| *p == parent && name.to_lowercase() == lower)
                        .map(|(_, _, id)| id.clone())
                });
            let id = match existing {
                Some(id) => id,
                None => {
                    let id = access
                        .create_folder(&folder.name, parent.as_deref())
                        .await?;
                    made.push((parent, folder.name.clone(), id.clone()));
                    id
                }
            };
            map.insert(folder.folder_id.clone(), id);
        }
        if next.len() == before {
            // Parents in a cycle: none can be placed; leave them out.
            break;
        }
        left = next;
    }
    Ok(map)
}
