// SPDX-License-Identifier: AGPL-3.0-only
//! Operators, domains and mailboxes: the panel's side of every identity. Credentials live in
//! the engine's directory; these rows hold what the panel alone knows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .col(pk_auto(Operators::Id))
                    .col(string_uniq(Operators::Login))
                    .col(string(Operators::DisplayName))
                    .col(timestamp_with_time_zone(Operators::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(pk_auto(Domains::Id))
                    .col(string_uniq(Domains::Name))
                    .col(timestamp_with_time_zone(Domains::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Mailboxes::Table)
                    .col(pk_auto(Mailboxes::Id))
                    .col(integer(Mailboxes::DomainId))
                    .col(string(Mailboxes::LocalPart))
                    .col(string_uniq(Mailboxes::Address))
                    .col(string(Mailboxes::FirstName))
                    .col(string(Mailboxes::LastName))
                    .col(boolean(Mailboxes::IsPostmaster))
                    .col(boolean(Mailboxes::MustChangePassword))
                    .col(big_integer(Mailboxes::QuotaBytes))
                    .col(timestamp_with_time_zone(Mailboxes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mailboxes_domain")
                            .from(Mailboxes::Table, Mailboxes::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mailboxes_domain_address")
                    .table(Mailboxes::Table)
                    .col(Mailboxes::DomainId)
                    .col(Mailboxes::Address)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Mailboxes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Domains::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Operators::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Operators {
    Table,
    Id,
    Login,
    DisplayName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
    DomainId,
    LocalPart,
    Address,
    FirstName,
    LastName,
    IsPostmaster,
    MustChangePassword,
    QuotaBytes,
    CreatedAt,
}
