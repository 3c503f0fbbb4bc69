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
        db.execute_unprepared("DROP TABLE IF EXISTS archive_search")
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                // Contentless: the words are indexed, the text is not kept twice.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE archive_search USING fts5(\
                     sender, recipients, subject, body, \
                     content='', contentless_delete=1, \
                     tokenize='unicode61 remove_diacritics 2')",
                )
                .await?;
            }
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TABLE archive_search (\
                     id bigint PRIMARY KEY, \
                     sender tsvector NOT NULL, recipients tsvector NOT NULL, \
                     subject tsvector NOT NULL, body tsvector NOT NULL)",
                )
                .await?;
                for field in ["sender", "recipients", "subject", "body"] {
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
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE IF EXISTS archive_search")
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE archive_search USING fts5(\
                     owner, sender, recipients, subject, body, \
                     content='', contentless_delete=1, \
                     tokenize='unicode61 remove_diacritics 2')",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TABLE archive_search (\
                     id bigint PRIMARY KEY, \
                     owner text NOT NULL, sender tsvector NOT NULL, recipients tsvector NOT NULL, \
                     subject tsvector NOT NULL, body tsvector NOT NULL)",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_archive_search_owner ON archive_search (owner, id)",
                )
                .await?;
                for field in ["sender", "recipients", "subject", "body"] {
                    db.execute_unprepared(&format!(
                        "CREATE INDEX idx_archive_search_{field} ON archive_search USING gin ({field})"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ArchiveReindex {
    Table,
    MessageId,
}
