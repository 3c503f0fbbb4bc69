// SPDX-License-Identifier: AGPL-3.0-only
//! The Mail Time Machine: each mailbox as it stood at 00:00 of each of the last days.
//!
//! Messages and folders are kept as intervals of days (from the first snapshot that saw
//! them as they are to the first that did not), so a mailbox that did not change adds no
//! row, and a message that only changed its flags adds one. The messages' bytes are in the
//! content store (a folder of files named by their BLAKE3 hash), each stored once however
//! many snapshots (and, later, archives) hold it; `stored_objects` lists them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoredObjects::Table)
                    .col(string_len(StoredObjects::Hash, 64).primary_key())
                    .col(big_integer(StoredObjects::Size))
                    .col(timestamp_with_time_zone(StoredObjects::StoredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TmMessages::Table)
                    .col(pk_auto(TmMessages::Id))
                    .col(integer(TmMessages::MailboxId))
                    .col(string(TmMessages::EmailId))
                    .col(string(TmMessages::BlobId))
                    .col(string_len(TmMessages::ObjectHash, 64))
                    .col(timestamp_with_time_zone(TmMessages::ReceivedAt))
                    .col(big_integer(TmMessages::Size))
                    .col(string(TmMessages::Subject))
                    .col(string(TmMessages::Sender))
                    .col(string(TmMessages::Preview))
                    .col(string(TmMessages::MessageId))
                    .col(text(TmMessages::Folders))
                    .col(text(TmMessages::Keywords))
                    .col(date(TmMessages::ValidFrom))
                    .col(date_null(TmMessages::ValidTo))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tm_messages_mailbox")
                            .from(TmMessages::Table, TmMessages::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_tm_messages_open",
                [
                    TmMessages::MailboxId,
                    TmMessages::ValidTo,
                    TmMessages::EmailId,
                ],
            ),
            (
                "idx_tm_messages_from",
                [
                    TmMessages::MailboxId,
                    TmMessages::ValidFrom,
                    TmMessages::EmailId,
                ],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(TmMessages::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_tm_messages_object")
                    .table(TmMessages::Table)
                    .col(TmMessages::ObjectHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TmFolders::Table)
                    .col(pk_auto(TmFolders::Id))
                    .col(integer(TmFolders::MailboxId))
                    .col(string(TmFolders::FolderId))
                    .col(string(TmFolders::Name))
                    .col(string_null(TmFolders::ParentId))
                    .col(string_null(TmFolders::Role))
                    .col(integer(TmFolders::SortOrder))
                    .col(boolean(TmFolders::Subscribed))
                    .col(date(TmFolders::ValidFrom))
                    .col(date_null(TmFolders::ValidTo))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tm_folders_mailbox")
                            .from(TmFolders::Table, TmFolders::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tm_folders_mailbox")
                    .table(TmFolders::Table)
                    .col(TmFolders::MailboxId)
                    .col(TmFolders::ValidTo)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TmDays::Table)
                    .col(date(TmDays::Day).primary_key())
                    .col(timestamp_with_time_zone(TmDays::StartedAt))
                    .col(timestamp_with_time_zone_null(TmDays::FinishedAt))
                    .col(integer(TmDays::Mailboxes))
                    .col(integer(TmDays::Changed))
                    .col(integer(TmDays::Failed))
                    .col(big_integer(TmDays::BytesAdded))
                    .col(big_integer(TmDays::RowsWritten))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TmRestores::Table)
                    .col(pk_auto(TmRestores::Id))
                    .col(integer(TmRestores::MailboxId))
                    .col(date(TmRestores::Day))
                    .col(boolean(TmRestores::Exact))
                    .col(string(TmRestores::State))
                    .col(integer(TmRestores::Total))
                    .col(integer(TmRestores::Done))
                    .col(integer(TmRestores::Restored))
                    .col(integer(TmRestores::Changed))
                    .col(integer(TmRestores::Moved))
                    .col(big_integer(TmRestores::PriceCents))
                    .col(string(TmRestores::RequestedBy))
                    .col(timestamp_with_time_zone(TmRestores::CreatedAt))
                    .col(timestamp_with_time_zone_null(TmRestores::FinishedAt))
                    .col(text_null(TmRestores::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tm_restores_mailbox")
                            .from(TmRestores::Table, TmRestores::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tm_restores_mailbox")
                    .table(TmRestores::Table)
                    .col(TmRestores::MailboxId)
                    .col(TmRestores::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TmCursors::Table)
                    .col(integer(TmCursors::MailboxId).primary_key())
                    .col(big_integer(TmCursors::ChangeMark))
                    .col(string(TmCursors::State))
                    .col(date(TmCursors::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tm_cursors_mailbox")
                            .from(TmCursors::Table, TmCursors::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TmRestores::Table.into_iden(),
            TmCursors::Table.into_iden(),
            TmDays::Table.into_iden(),
            TmFolders::Table.into_iden(),
            TmMessages::Table.into_iden(),
            StoredObjects::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum StoredObjects {
    Table,
    /// BLAKE3 of the bytes, lowercase hex: also the file's name.
    Hash,
    Size,
    StoredAt,
}

#[derive(DeriveIden)]
enum TmMessages {
    Table,
    Id,
    MailboxId,
    /// The engine's id of the message (JMAP).
    EmailId,
    /// The engine's id of the message's source, to know it is stored without reading it.
    BlobId,
    ObjectHash,
    ReceivedAt,
    Size,
    Subject,
    /// The first From address, as "Name <address>" or the address alone.
    Sender,
    /// The start of its text.
    Preview,
    /// Its Message-ID, without brackets; empty when it has none. With the arrival time,
    /// it finds the message again once put back (under a new id).
    MessageId,
    /// The engine's ids of the folders it was in, space-separated, sorted.
    Folders,
    /// Its keywords, space-separated, sorted.
    Keywords,
    /// The first day it stood so.
    ValidFrom,
    /// The first day it no longer did; none while it still does.
    ValidTo,
}

#[derive(DeriveIden)]
enum TmFolders {
    Table,
    Id,
    MailboxId,
    FolderId,
    Name,
    ParentId,
    Role,
    SortOrder,
    Subscribed,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum TmDays {
    Table,
    /// A day a snapshot of every mailbox was taken, at its 00:00.
    Day,
    StartedAt,
    /// None while it runs (or if it was cut off: it is taken again).
    FinishedAt,
    /// Mailboxes looked at.
    Mailboxes,
    /// Of which changed since the day before.
    Changed,
    /// Of which could not be read (they show the day before's state).
    Failed,
    /// Bytes the content store took in for it.
    BytesAdded,
    /// Interval rows opened, closed or replaced for it.
    RowsWritten,
}

#[derive(DeriveIden)]
enum TmRestores {
    Table,
    Id,
    MailboxId,
    /// The day the mailbox is brought back to.
    Day,
    /// Exact rollback (newer mail moved aside) rather than a merge.
    Exact,
    /// `running`, `done` or `failed`.
    State,
    /// Messages to look at, and looked at so far.
    Total,
    Done,
    /// Messages put back, messages given back their folders and flags, newer ones moved aside.
    Restored,
    Changed,
    Moved,
    /// What the operator charges for it, as shown when it was asked for.
    PriceCents,
    RequestedBy,
    CreatedAt,
    FinishedAt,
    Error,
}

#[derive(DeriveIden)]
enum TmCursors {
    Table,
    /// One row per mailbox: where its last snapshot left off.
    MailboxId,
    /// The engine's change log position then (the same later: nothing changed).
    ChangeMark,
    /// The JMAP state of its messages then.
    State,
    /// The day of that snapshot.
    Day,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
}
