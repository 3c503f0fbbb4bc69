// SPDX-License-Identifier: AGPL-3.0-only
//! The message trace (Tracemail): one row per message and recipient, seen from a hosted
//! domain (a message between two hosted domains has a row in each), with its latest status.
//! Read newest first per domain, alone or by sender, recipient or status, always through an
//! index that ends in (at, id), so the thousandth page of a million rows costs what the first
//! page of a hundred does.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageTrace::Table)
                    .col(big_pk_auto(MessageTrace::Id))
                    .col(timestamp_with_time_zone(MessageTrace::At))
                    .col(timestamp_with_time_zone(MessageTrace::UpdatedAt))
                    .col(string(MessageTrace::Domain))
                    .col(string(MessageTrace::Direction))
                    .col(big_integer_null(MessageTrace::QueueId))
                    .col(string_null(MessageTrace::MessageId))
                    .col(string(MessageTrace::Sender))
                    .col(string(MessageTrace::Recipient))
                    .col(big_integer_null(MessageTrace::Size))
                    .col(string(MessageTrace::Status))
                    .col(string_null(MessageTrace::Detail))
                    .col(string_null(MessageTrace::RemoteHost))
                    .col(string_null(MessageTrace::RemoteIp))
                    .to_owned(),
            )
            .await?;
        use MessageTrace as T;
        for (name, unique, cols) in [
            // A queued message's recipient has one row per domain; outcomes update it.
            (
                "idx_message_trace_queue",
                true,
                vec![T::QueueId, T::Recipient, T::Domain],
            ),
            (
                "idx_message_trace_domain_at",
                false,
                vec![T::Domain, T::At, T::Id],
            ),
            (
                "idx_message_trace_sender",
                false,
                vec![T::Domain, T::Sender, T::At, T::Id],
            ),
            (
                "idx_message_trace_recipient",
                false,
                vec![T::Domain, T::Recipient, T::At, T::Id],
            ),
            (
                "idx_message_trace_status",
                false,
                vec![T::Domain, T::Status, T::At, T::Id],
            ),
            ("idx_message_trace_at", false, vec![T::At]),
        ] {
            let mut index = Index::create();
            index.name(name).table(T::Table);
            if unique {
                index.unique();
            }
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MessageTrace::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum MessageTrace {
    Table,
    Id,
    At,
    UpdatedAt,
    Domain,
    Direction,
    QueueId,
    MessageId,
    Sender,
    Recipient,
    Size,
    Status,
    Detail,
    RemoteHost,
    RemoteIp,
}
