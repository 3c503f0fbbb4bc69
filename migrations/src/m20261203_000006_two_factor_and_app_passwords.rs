// SPDX-License-Identifier: AGPL-3.0-only
//! Two-factor sign-in and mail-client passwords. The secrets themselves live in the engine
//! (the TOTP `otpauth://` secret, the app passwords' argon2id hashes), so IMAP, POP3 and SMTP
//! enforce them; the panel keeps what the engine has no place for:
//!
//! - `second_factors`: when an identity turned TOTP on, and the last time step a code was
//!   accepted for it (a code is good once).
//! - `recovery_codes`: ten one-time codes per identity, as SHA-256 digests (each code carries
//!   60 random bits, so a fast digest is enough).
//! - `app_passwords`: the name and creation time of each mail-client password.
//! - `panel_settings`: the provider's switches (whether staff must use 2FA).
//! - `domains.require_two_factor`: the domain's users must enrol before anything else.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecondFactors::Table)
                    .col(string(SecondFactors::Login).primary_key())
                    .col(timestamp_with_time_zone(SecondFactors::EnabledAt))
                    .col(big_integer(SecondFactors::LastStep).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(pk_auto(RecoveryCodes::Id))
                    .col(string(RecoveryCodes::Login))
                    .col(string(RecoveryCodes::CodeHash))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_login")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::Login)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppPasswords::Table)
                    .col(pk_auto(AppPasswords::Id))
                    .col(string(AppPasswords::Login))
                    .col(string(AppPasswords::Name))
                    .col(timestamp_with_time_zone(AppPasswords::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_app_passwords_login_name")
                    .table(AppPasswords::Table)
                    .col(AppPasswords::Login)
                    .col(AppPasswords::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PanelSettings::Table)
                    .col(string(PanelSettings::Name).primary_key())
                    .col(string(PanelSettings::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Domains::Table)
                    .add_column(boolean(Domains::RequireTwoFactor).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Domains::Table)
                    .drop_column(Domains::RequireTwoFactor)
                    .to_owned(),
            )
            .await?;
        for table in [
            PanelSettings::Table.into_iden(),
            AppPasswords::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            SecondFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SecondFactors {
    Table,
    Login,
    EnabledAt,
    LastStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    Login,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum AppPasswords {
    Table,
    Id,
    Login,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PanelSettings {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    RequireTwoFactor,
}
