// SPDX-License-Identifier: AGPL-3.0-only
//! The access log's two questions at each successful sign-in — did this account fail to sign
//! in within the day, and has it signed in from this address before — each answered by an
//! index. Without them both read every row the account ever logged (a phone that checks its
//! mail every minute logs 43,000 a month), once per sign-in.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, [AccessLog; 3]); 2] = [
    (
        "idx_access_log_login_result_at",
        [AccessLog::Login, AccessLog::Result, AccessLog::At],
    ),
    (
        "idx_access_log_login_ip",
        [AccessLog::Login, AccessLog::RemoteIp, AccessLog::Result],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in INDEXES {
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
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(AccessLog::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessLog {
    Table,
    Login,
    Result,
    At,
    RemoteIp,
}
