// SPDX-License-Identifier: AGPL-3.0-only
//! Customers, plans, managers, aliases and the audit log; the panel attributes of domains
//! (customer, manager, chat, branding) and of mailboxes (send tier, archive, last login); the
//! log of messages sent to external recipients, fed from the engine's events.
//!
//! SQLite alters one column per statement, so every added column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(pk_auto(Plans::Id))
                    .col(string_uniq(Plans::Name))
                    .col(string(Plans::MailboxType))
                    .col(integer(Plans::IncludedMailboxes))
                    .col(big_integer(Plans::PriceExtraMailbox))
                    .col(big_integer(Plans::PriceQuota25))
                    .col(big_integer(Plans::PriceQuota50))
                    .col(big_integer(Plans::PriceQuota100))
                    .col(big_integer(Plans::PriceSend1000))
                    .col(big_integer(Plans::PriceSend2000))
                    .col(big_integer(Plans::PriceSend5000))
                    .col(big_integer(Plans::PriceArchive))
                    .col(timestamp_with_time_zone(Plans::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(pk_auto(Customers::Id))
                    .col(string_uniq(Customers::CompanyName))
                    .col(string(Customers::LegalEmail))
                    .col(integer(Customers::PlanId))
                    .col(integer(Customers::ExtraSlots).default(0))
                    .col(big_integer_null(Customers::NotifiedCost))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customers_plan")
                            .from(Customers::Table, Customers::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Managers::Table)
                    .col(pk_auto(Managers::Id))
                    .col(string_uniq(Managers::Login))
                    .col(string(Managers::DisplayName))
                    .col(string(Managers::Email))
                    .col(boolean(Managers::MustChangePassword))
                    .col(timestamp_with_time_zone(Managers::CreatedAt))
                    .to_owned(),
            )
            .await?;

        for column in [
            ColumnDef::new(Domains::CustomerId)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Domains::ManagerId)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Domains::ChatEnabled)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Domains::BrandName)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Domains::BrandLogo).blob().null().to_owned(),
            ColumnDef::new(Domains::BrandLogoType)
                .string()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Domains::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            ("idx_domains_customer", Domains::CustomerId),
            ("idx_domains_manager", Domains::ManagerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Domains::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            ColumnDef::new(Mailboxes::SendTier)
                .integer()
                .not_null()
                .default(250)
                .to_owned(),
            ColumnDef::new(Mailboxes::Archive)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Mailboxes::LastLoginAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Mailboxes::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Aliases::Table)
                    .col(pk_auto(Aliases::Id))
                    .col(integer(Aliases::MailboxId))
                    .col(string_uniq(Aliases::Address))
                    .col(timestamp_with_time_zone(Aliases::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_aliases_mailbox")
                            .from(Aliases::Table, Aliases::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_aliases_mailbox")
                    .table(Aliases::Table)
                    .col(Aliases::MailboxId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboundLog::Table)
                    .col(big_pk_auto(OutboundLog::Id))
                    .col(string(OutboundLog::Address))
                    .col(timestamp_with_time_zone(OutboundLog::At))
                    .col(integer(OutboundLog::Recipients))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbound_address_at")
                    .table(OutboundLog::Table)
                    .col(OutboundLog::Address)
                    .col(OutboundLog::At)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string(AuditLog::Actor))
                    .col(string(AuditLog::ActorRole))
                    .col(string(AuditLog::Ip))
                    .col(string(AuditLog::Action))
                    .col(string_null(AuditLog::Domain))
                    .col(string(AuditLog::Target))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_audit_at", vec![AuditLog::At]),
            ("idx_audit_domain_at", vec![AuditLog::Domain, AuditLog::At]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OutboundLog::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Aliases::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Managers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Customers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Plans::Table).to_owned())
            .await?;
        for column in [
            Domains::CustomerId,
            Domains::ManagerId,
            Domains::ChatEnabled,
            Domains::BrandName,
            Domains::BrandLogo,
            Domains::BrandLogoType,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Domains::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Mailboxes::SendTier,
            Mailboxes::Archive,
            Mailboxes::LastLoginAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Mailboxes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Name,
    MailboxType,
    IncludedMailboxes,
    PriceExtraMailbox,
    PriceQuota25,
    PriceQuota50,
    PriceQuota100,
    PriceSend1000,
    PriceSend2000,
    PriceSend5000,
    PriceArchive,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    CompanyName,
    LegalEmail,
    PlanId,
    ExtraSlots,
    NotifiedCost,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Managers {
    Table,
    Id,
    Login,
    DisplayName,
    Email,
    MustChangePassword,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    CustomerId,
    ManagerId,
    ChatEnabled,
    BrandName,
    BrandLogo,
    BrandLogoType,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
    SendTier,
    Archive,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Aliases {
    Table,
    Id,
    MailboxId,
    Address,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutboundLog {
    Table,
    Id,
    Address,
    At,
    Recipients,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorRole,
    Ip,
    Action,
    Domain,
    Target,
    Before,
    After,
}
