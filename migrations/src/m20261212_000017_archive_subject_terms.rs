// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's text index on SQLite: a subject's words are indexed a second time, in the
//! subject alone, with terms of their own (`s12infattura`), so a search in the subject reads
//! only the subject's matches. Every archived message is queued in `archive_reindex` for
//! Casella to index again from its stored bytes (at start, in the background). PostgreSQL
//! keeps a text index per field already: nothing changes there.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT OR IGNORE INTO archive_reindex (message_id) SELECT id FROM archive_messages",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The extra terms do no harm to the earlier format's searches.
        Ok(())
    }
}
