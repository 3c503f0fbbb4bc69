// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's text index, one set of terms per archive folder: every word is indexed with
//! its archive and direction in front (`a12infattura`), so a search reads only the folders it
//! reaches instead of intersecting a word with a whole archive. The index before held plain
//! words and an owner word; it is made again, empty, and every archived message is queued
//! in `archive_reindex` for Casella to index again from its stored bytes (at start, in the
//! background).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        create_index(manager, &[]).await?;
        manager
            .create_table(
                Table::create()
                    .table(ArchiveReindex::Table)
                    .col(
                        ColumnDef::new(ArchiveReindex::MessageId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO archive_reindex (message_id) SELECT id FROM archive_messages",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ArchiveReindex::Table).to_owned())
            .await?;
        // The earlier format, empty: its words came from the messages, which the later
        // format no longer reads back.
        create_index(manager, &["owner"]).await
    }
}

/// Makes the text index again, empty: `leading` plain columns (the earlier format's `owner`),
/// then the four fields. Contentless on SQLite (the words are indexed, the text is not kept
/// twice); `tsvector`s with GIN indexes on PostgreSQL.
async fn create_index(manager: &SchemaManager<'_>, leading: &[&str]) -> Result<(), DbErr> {
    const FIELDS: [&str; 4] = ["sender", "recipients", "subject", "body"];
    let db = manager.get_connection();
    db.execute_unprepared("DROP TABLE IF EXISTS archive_search")
        .await?;
    match manager.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let columns = [leading, &FIELDS[..]].concat().join(", ");
            db.execute_unprepared(&format!(
                "CREATE VIRTUAL TABLE archive_search USING fts5({columns}, \
                 content='', contentless_delete=1, \
                 tokenize='unicode61 remove_diacritics 2')"
            ))
            .await?;
        }
        DatabaseBackend::Postgres => {
            let mut columns = vec!["id bigint PRIMARY KEY".to_string()];
            columns.extend(leading.iter().map(|c| format!("{c} text NOT NULL")));
            columns.extend(FIELDS.iter().map(|f| format!("{f} tsvector NOT NULL")));
            db.execute_unprepared(&format!(
                "CREATE TABLE archive_search ({})",
                columns.join(", ")
            ))
            .await?;
            for column in leading {
                db.execute_unprepared(&format!(
                    "CREATE INDEX idx_archive_search_{column} ON archive_search ({column}, id)"
                ))
                .await?;
            }
            for field in FIELDS {
                db.execute_unprepared(&format!(
                    "CREATE INDEX idx_archive_search_{field} ON archive_search USING gin ({field})"
                ))
                .await?;
            }
        }
        other => {
            return Err(DbErr::Migration(format!(
                "the archive's text index needs SQLite or PostgreSQL, not {other:?}"
            )));
        }
    }
    Ok(())
}

#[derive(DeriveIden)]
enum ArchiveReindex {
    Table,
    MessageId,
}
