// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's preferences, per mailbox: the name and signature of each address it sends
//! from, how many messages a page lists, whether the list groups conversations, and the
//! senders whose remote images are always shown.
//!
//! The names and signatures are not the engine's JMAP identities: the engine refuses an
//! identity whose domain is not under a public suffix, which would leave the mailboxes of a
//! private installation's domains without signatures.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailPreferences::Table)
                    .col(integer(MailPreferences::MailboxId).primary_key())
                    .col(integer(MailPreferences::PageSize))
                    .col(boolean(MailPreferences::Conversations))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_preferences_mailbox")
                            .from(MailPreferences::Table, MailPreferences::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImageSenders::Table)
                    .col(pk_auto(ImageSenders::Id))
                    .col(integer(ImageSenders::MailboxId))
                    .col(string(ImageSenders::Address))
                    .col(timestamp_with_time_zone(ImageSenders::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_image_senders_mailbox")
                            .from(ImageSenders::Table, ImageSenders::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SenderIdentities::Table)
                    .col(pk_auto(SenderIdentities::Id))
                    .col(integer(SenderIdentities::MailboxId))
                    .col(string(SenderIdentities::Address))
                    .col(string(SenderIdentities::Name))
                    .col(text(SenderIdentities::Signature))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sender_identities_mailbox")
                            .from(SenderIdentities::Table, SenderIdentities::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sender_identities_mailbox_address")
                    .table(SenderIdentities::Table)
                    .col(SenderIdentities::MailboxId)
                    .col(SenderIdentities::Address)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_image_senders_mailbox_address")
                    .table(ImageSenders::Table)
                    .col(ImageSenders::MailboxId)
                    .col(ImageSenders::Address)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SenderIdentities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImageSenders::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MailPreferences::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MailPreferences {
    Table,
    MailboxId,
    PageSize,
    Conversations,
}

#[derive(DeriveIden)]
enum ImageSenders {
    Table,
    Id,
    MailboxId,
    Address,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SenderIdentities {
    Table,
    Id,
    MailboxId,
    Address,
    Name,
    Signature,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
}
