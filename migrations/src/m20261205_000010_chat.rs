// SPDX-License-Identifier: AGPL-3.0-only
//! Chat history and the messages waiting for someone who was offline. History is always kept
//! (it cannot be switched off); one row per message, whichever client sent it, read per
//! conversation (a pair of contacts) or per account, newest first by id.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatMessages::Table)
                    .col(big_pk_auto(ChatMessages::Id))
                    .col(timestamp_with_time_zone(ChatMessages::At))
                    .col(string(ChatMessages::Domain))
                    .col(string(ChatMessages::Conversation))
                    .col(string(ChatMessages::Sender))
                    .col(string(ChatMessages::Recipient))
                    .col(text(ChatMessages::Body))
                    .col(string_null(ChatMessages::OriginId))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            (
                "idx_chat_messages_conversation_id",
                ChatMessages::Conversation,
            ),
            ("idx_chat_messages_sender_id", ChatMessages::Sender),
            ("idx_chat_messages_recipient_id", ChatMessages::Recipient),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ChatMessages::Table)
                        .col(col)
                        .col(ChatMessages::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ChatOffline::Table)
                    .col(big_pk_auto(ChatOffline::Id))
                    .col(string(ChatOffline::Recipient))
                    .col(big_integer(ChatOffline::MessageId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatOffline::Table, ChatOffline::MessageId)
                            .to(ChatMessages::Table, ChatMessages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_offline_recipient_id")
                    .table(ChatOffline::Table)
                    .col(ChatOffline::Recipient)
                    .col(ChatOffline::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChatOffline::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ChatMessages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ChatMessages {
    Table,
    Id,
    At,
    Domain,
    Conversation,
    Sender,
    Recipient,
    Body,
    OriginId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChatOffline {
    Table,
    Id,
    Recipient,
    MessageId,
}
