// SPDX-License-Identifier: AGPL-3.0-only
//! Delegates: people (not mailboxes) a manager lets into some of its domains' archives, until
//! a day and within a window of dates, and the log of what each of them read.
//!
//! A delegate is a web-only account in the engine's directory, like a manager. Its archives
//! are a set of links; the log keeps the reader's login and name and the message's subject,
//! so it still says who read what after the delegate, or the message, is gone.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Delegates::Table)
                    .col(pk_auto(Delegates::Id))
                    .col(integer(Delegates::ManagerId))
                    .col(string_uniq(Delegates::Login))
                    .col(string(Delegates::DisplayName))
                    .col(string(Delegates::Email))
                    .col(boolean(Delegates::MustChangePassword))
                    .col(timestamp_with_time_zone(Delegates::CreatedAt))
                    .col(string(Delegates::SessionKey))
                    .col(date(Delegates::ExpiresOn))
                    .col(date_null(Delegates::WindowFrom))
                    .col(date_null(Delegates::WindowTo))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delegates_manager")
                            .from(Delegates::Table, Delegates::ManagerId)
                            .to(Managers::Table, Managers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DelegateArchives::Table)
                    .col(integer(DelegateArchives::DelegateId))
                    .col(integer(DelegateArchives::ArchiveId))
                    .primary_key(
                        Index::create()
                            .col(DelegateArchives::DelegateId)
                            .col(DelegateArchives::ArchiveId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delegate_archives_delegate")
                            .from(DelegateArchives::Table, DelegateArchives::DelegateId)
                            .to(Delegates::Table, Delegates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delegate_archives_archive")
                            .from(DelegateArchives::Table, DelegateArchives::ArchiveId)
                            .to(Archives::Table, Archives::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArchiveReads::Table)
                    .col(pk_auto(ArchiveReads::Id))
                    .col(integer(ArchiveReads::ArchiveId))
                    .col(integer_null(ArchiveReads::DelegateId))
                    .col(integer_null(ArchiveReads::ManagerId))
                    .col(string(ArchiveReads::Reader))
                    .col(string(ArchiveReads::ReaderName))
                    .col(integer_null(ArchiveReads::MessageRow))
                    .col(string(ArchiveReads::Subject))
                    .col(string(ArchiveReads::MessageId))
                    .col(string(ArchiveReads::Action))
                    .col(string(ArchiveReads::Ip))
                    .col(timestamp_with_time_zone(ArchiveReads::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_reads_archive")
                            .from(ArchiveReads::Table, ArchiveReads::ArchiveId)
                            .to(Archives::Table, Archives::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_reads_delegate")
                            .from(ArchiveReads::Table, ArchiveReads::DelegateId)
                            .to(Delegates::Table, Delegates::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_reads_manager")
                            .from(ArchiveReads::Table, ArchiveReads::ManagerId)
                            .to(Managers::Table, Managers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_archive_reads_message")
                            .from(ArchiveReads::Table, ArchiveReads::MessageRow)
                            .to(ArchiveMessages::Table, ArchiveMessages::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_archive_reads_archive",
                [ArchiveReads::ArchiveId, ArchiveReads::At],
            ),
            (
                "idx_archive_reads_manager",
                [ArchiveReads::ManagerId, ArchiveReads::At],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ArchiveReads::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_delegate_archives_archive")
                    .table(DelegateArchives::Table)
                    .col(DelegateArchives::ArchiveId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ArchiveReads::Table.into_iden(),
            DelegateArchives::Table.into_iden(),
            Delegates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Delegates {
    Table,
    Id,
    /// The manager who made it; its archives must be in that manager's domains.
    ManagerId,
    Login,
    DisplayName,
    /// Where its credentials are sent.
    Email,
    MustChangePassword,
    CreatedAt,
    SessionKey,
    /// The last day it may sign in and read.
    ExpiresOn,
    /// The days of the messages it may see (received on or after, on or before).
    WindowFrom,
    WindowTo,
}

#[derive(DeriveIden)]
enum DelegateArchives {
    Table,
    DelegateId,
    ArchiveId,
}

/// One read of an archived message by someone other than its owner.
#[derive(DeriveIden)]
enum ArchiveReads {
    Table,
    Id,
    ArchiveId,
    DelegateId,
    /// The delegate's manager then, whose log it is.
    ManagerId,
    /// The reader's login and name when it read.
    Reader,
    ReaderName,
    /// The archived message, while it is kept.
    MessageRow,
    Subject,
    /// Its `Message-ID`.
    MessageId,
    /// `read`, `download`, `attachment` or `zip`.
    Action,
    Ip,
    At,
}

#[derive(DeriveIden)]
enum Managers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Archives {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ArchiveMessages {
    Table,
    Id,
}
