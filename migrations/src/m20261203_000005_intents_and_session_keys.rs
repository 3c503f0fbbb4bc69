// SPDX-License-Identifier: AGPL-3.0-only
//! What makes start-up safe and sessions revocable:
//!
//! - `intents`: a row written *before* each engine step of a creation or a removal, and deleted
//!   with the panel rows that complete it. The start-up reconcile undoes or finishes only what
//!   an intent records; an engine account without panel row and without intent is left alone.
//!   A pending mailbox creation also holds one of its customer's slots.
//! - `session_key` on every identity: a random value a web session must match. Changing it (a
//!   password change or reset, a deletion, disabling) ends every other session at once, and an
//!   address created again gets a new one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Intents::Table)
                    .col(pk_auto(Intents::Id))
                    .col(string(Intents::Kind))
                    .col(string(Intents::Subject))
                    .col(string(Intents::Detail).default(""))
                    .col(integer_null(Intents::CustomerId))
                    .col(timestamp_with_time_zone(Intents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_intents_customer")
                    .table(Intents::Table)
                    .col(Intents::CustomerId)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite alters one at a time.
        for table in [Identity::Operators, Identity::Managers, Identity::Mailboxes] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string(Identity::SessionKey).default(""))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Identity::Operators, Identity::Managers, Identity::Mailboxes] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Identity::SessionKey)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Intents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Intents {
    Table,
    Id,
    Kind,
    Subject,
    Detail,
    CustomerId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Identity {
    Operators,
    Managers,
    Mailboxes,
    SessionKey,
}
