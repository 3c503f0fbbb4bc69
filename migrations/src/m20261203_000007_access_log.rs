// SPDX-License-Identifier: AGPL-3.0-only
//! The access log: every sign-in to the web panel and of every mail client (IMAP, POP3,
//! SMTP), with its outcome, protocol and address; kept for the configured retention and
//! read newest first per domain or per account.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessLog::Table)
                    .col(big_pk_auto(AccessLog::Id))
                    .col(timestamp_with_time_zone(AccessLog::At))
                    .col(string(AccessLog::Login))
                    .col(string_null(AccessLog::Domain))
                    .col(string(AccessLog::Protocol))
                    .col(string(AccessLog::Result))
                    .col(string(AccessLog::RemoteIp))
                    .col(big_integer_null(AccessLog::Connection))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // Pages are read newest first by id, within a domain or an account.
            (
                "idx_access_log_domain_id",
                vec![AccessLog::Domain, AccessLog::Id],
            ),
            (
                "idx_access_log_login_id",
                vec![AccessLog::Login, AccessLog::Id],
            ),
            ("idx_access_log_at", vec![AccessLog::At]),
            ("idx_access_log_connection", vec![AccessLog::Connection]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AccessLog::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessLog {
    Table,
    Id,
    At,
    Login,
    Domain,
    Protocol,
    Result,
    RemoteIp,
    Connection,
}
