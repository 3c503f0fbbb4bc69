// SPDX-License-Identifier: AGPL-3.0-only
//! The archive: every message an archived mailbox receives or sends, kept for its retention.
//!
//! An archive belongs to a mailbox while the mailbox exists and outlives it: deleting the
//! mailbox leaves the archive (and what it holds) until its retention ends. Capture is a
//! transport journal: the engine's DATA hook asks Casella which parties are archived, Casella
//! writes an *envelope* row and answers with one more recipient, and the engine's own durable
//! queue carries that copy to Casella's journal receiver, which writes the message rows. The
//! bytes are in the content store shared with the Time Machine.
//!
//! Text search has an index of its own: an FTS5 table on SQLite, `tsvector`s with GIN indexes
//! on PostgreSQL. Either is keyed by the message's *search key* (its arrival time, then its
//! id), with an *owner* word naming the archive and direction, so a search in one archive's
//! folder reads only its entries, newest first.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Archives::Table)
                    .col(pk_auto(Archives::Id))
                    .col(integer_null(Archives::MailboxId))
                    .col(integer(Archives::DomainId))
                    .col(string(Archives::Address))
                    .col(integer(Archives::RetentionYears))
                    .col(boolean(Archives::Active))
                    .col(timestamp_with_time_zone(Archives::StartedAt))
                    .col(timestamp_with_time_zone_null(Archives::StoppedAt))
                    .col(big_integer(Archives::Received).default(0))
                    .col(big_integer(Archives::Sent).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archives_mailbox")
                            .from(Archives::Table, Archives::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archives_domain")
                            .from(Archives::Table, Archives::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_archives_mailbox")
                    .table(Archives::Table)
                    .col(Archives::MailboxId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArchiveEnvelopes::Table)
                    .col(string_len(ArchiveEnvelopes::Token, 32).primary_key())
                    .col(string(ArchiveEnvelopes::QueueId))
                    .col(string(ArchiveEnvelopes::Login))
                    .col(string(ArchiveEnvelopes::MailFrom))
                    .col(text(ArchiveEnvelopes::Recipients))
                    .col(text(ArchiveEnvelopes::Parties))
                    .col(timestamp_with_time_zone(ArchiveEnvelopes::CreatedAt))
                    .col(string(ArchiveEnvelopes::State))
                    .col(integer(ArchiveEnvelopes::Copies).default(0))
                    .col(string(ArchiveEnvelopes::MessageId).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_archive_envelopes_state")
                    .table(ArchiveEnvelopes::Table)
                    .col(ArchiveEnvelopes::State)
                    .col(ArchiveEnvelopes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArchiveMessages::Table)
                    .col(pk_auto(ArchiveMessages::Id))
                    .col(integer(ArchiveMessages::ArchiveId))
                    .col(string_len(ArchiveMessages::Direction, 8))
                    .col(string_len(ArchiveMessages::ObjectHash, 64))
                    .col(big_integer(ArchiveMessages::Size))
                    .col(timestamp_with_time_zone(ArchiveMessages::ReceivedAt))
                    .col(string(ArchiveMessages::Sender))
                    .col(text(ArchiveMessages::Recipients))
                    .col(string(ArchiveMessages::Subject))
                    .col(string(ArchiveMessages::Preview))
                    .col(string(ArchiveMessages::MessageId))
                    .col(boolean(ArchiveMessages::HasAttachment))
                    .col(string_len(ArchiveMessages::Source, 16))
                    .col(string_len_null(ArchiveMessages::Token, 32))
                    .col(date(ArchiveMessages::RetainUntil))
                    .col(big_integer_null(ArchiveMessages::SearchKey))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_messages_archive")
                            .from(ArchiveMessages::Table, ArchiveMessages::ArchiveId)
                            .to(Archives::Table, Archives::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One copy of a message per archive and direction: a journal copy delivered twice, or
        // found again by the pass over the engine's changes, is not a second message.
        manager
            .create_index(
                Index::create()
                    .name("idx_archive_messages_once")
                    .table(ArchiveMessages::Table)
                    .col(ArchiveMessages::ArchiveId)
                    .col(ArchiveMessages::Direction)
                    .col(ArchiveMessages::ObjectHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_archive_messages_search_key")
                    .table(ArchiveMessages::Table)
                    .col(ArchiveMessages::SearchKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_archive_messages_list",
                vec![
                    ArchiveMessages::ArchiveId,
                    ArchiveMessages::Direction,
                    ArchiveMessages::ReceivedAt,
                ],
            ),
            (
                "idx_archive_messages_retention",
                vec![ArchiveMessages::RetainUntil],
            ),
            (
                "idx_archive_messages_object",
                vec![ArchiveMessages::ObjectHash],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ArchiveMessages::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                // Contentless: the words are indexed, the text is not kept twice.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE archive_search USING fts5(\
                     owner, sender, recipients, subject, body, \
                     content='', contentless_delete=1, \
                     tokenize='unicode61 remove_diacritics 2')",
                )
                .await?;
            }
            DatabaseBackend::Postgres => {
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
            other => {
                return Err(DbErr::Migration(format!(
                    "the archive's text index needs SQLite or PostgreSQL, not {other:?}"
                )));
            }
        }
        manager
            .create_table(
                Table::create()
                    .table(ArchiveCursors::Table)
                    .col(integer(ArchiveCursors::ArchiveId).primary_key())
                    .col(string(ArchiveCursors::State))
                    .col(timestamp_with_time_zone(ArchiveCursors::CheckedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_cursors_archive")
                            .from(ArchiveCursors::Table, ArchiveCursors::ArchiveId)
                            .to(Archives::Table, Archives::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArchiveImports::Table)
                    .col(pk_auto(ArchiveImports::Id))
                    .col(integer(ArchiveImports::ArchiveId))
                    .col(text(ArchiveImports::Folders))
                    .col(string(ArchiveImports::State))
                    .col(integer(ArchiveImports::Total))
                    .col(integer(ArchiveImports::Done))
                    .col(integer(ArchiveImports::Added))
                    .col(string(ArchiveImports::RequestedBy))
                    .col(timestamp_with_time_zone(ArchiveImports::CreatedAt))
                    .col(timestamp_with_time_zone_null(ArchiveImports::FinishedAt))
                    .col(string_null(ArchiveImports::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_imports_archive")
                            .from(ArchiveImports::Table, ArchiveImports::ArchiveId)
                            .to(Archives::Table, Archives::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS archive_search")
            .await?;
        for table in [
            ArchiveImports::Table.into_iden(),
            ArchiveCursors::Table.into_iden(),
            ArchiveMessages::Table.into_iden(),
            ArchiveEnvelopes::Table.into_iden(),
            Archives::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Archives {
    Table,
    Id,
    /// The mailbox it keeps; none once the mailbox is deleted (the archive stays).
    MailboxId,
    DomainId,
    /// The mailbox's address, kept for when the mailbox is gone.
    Address,
    /// How long each message is kept from its arrival: 1 to 10 years.
    RetentionYears,
    /// Capturing now; an archive switched off keeps what it holds until retention ends.
    Active,
    StartedAt,
    StoppedAt,
    /// Messages it holds, received and sent (kept with the rows, so a folder's size is
    /// known without counting a million rows).
    Received,
    Sent,
}

#[derive(DeriveIden)]
enum ArchiveEnvelopes {
    Table,
    /// The journal copy's recipient is `journal+<token>@archive.invalid`.
    Token,
    /// The engine's queue id (hex), for the trace.
    QueueId,
    /// Who was signed in to send it; empty for mail that came in over the MX.
    Login,
    MailFrom,
    /// Every envelope recipient, Bcc included, space-separated.
    Recipients,
    /// The archives it goes to: `<archive id>:<in|out>`, space-separated.
    Parties,
    CreatedAt,
    /// `pending` until the journal copy arrives (`done`); `not_accepted` when no copy came
    /// (the engine refused the message after asking).
    State,
    /// Journal copies received: more than one when an answer was lost and the engine sent
    /// it again (each after the first adds nothing).
    Copies,
    /// The message's Message-ID, so the pass over the engine's changes knows a message whose
    /// journal copy is still on its way.
    MessageId,
}

#[derive(DeriveIden)]
enum ArchiveMessages {
    Table,
    Id,
    ArchiveId,
    /// `in` (received) or `out` (sent).
    Direction,
    /// BLAKE3 of the bytes in the content store.
    ObjectHash,
    Size,
    ReceivedAt,
    Sender,
    Recipients,
    Subject,
    Preview,
    MessageId,
    HasAttachment,
    /// `journal`, `changes` (the second pass) or `import`.
    Source,
    /// The journal envelope it came with.
    Token,
    RetainUntil,
    /// Its key in the text index: its arrival (Unix seconds) shifted left 20 bits, with
    /// the low 20 bits of its id. The index walks it newest first, and a date range is a
    /// range of keys, so a search reads about one page of the index, however big the
    /// archive.
    SearchKey,
}

/// Where the pass over an archived account's engine changes left off.
#[derive(DeriveIden)]
enum ArchiveCursors {
    Table,
    ArchiveId,
    /// The JMAP state of the account's messages then.
    State,
    CheckedAt,
}

#[derive(DeriveIden)]
enum ArchiveImports {
    Table,
    Id,
    ArchiveId,
    /// The folders asked for (JMAP ids, space-separated); empty for all.
    Folders,
    /// `running`, `done` or `failed`.
    State,
    Total,
    Done,
    /// Messages that were not in the archive yet.
    Added,
    RequestedBy,
    CreatedAt,
    FinishedAt,
    Error,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
}
