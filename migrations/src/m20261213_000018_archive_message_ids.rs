// SPDX-License-Identifier: AGPL-3.0-only
//! An archive's messages by Message-ID. A journal copy asks whether the pass over the
//! engine's changes kept its message already, and that pass whether a journal copy did: both
//! by archive and Message-ID, which without this index read every message of the archive's
//! folder (each new message cost more than the one before).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_archive_messages_message_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ArchiveMessages::Table)
                    .col(ArchiveMessages::ArchiveId)
                    .col(ArchiveMessages::MessageId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(ArchiveMessages::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ArchiveMessages {
    Table,
    ArchiveId,
    MessageId,
}
