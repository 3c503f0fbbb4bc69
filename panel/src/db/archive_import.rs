// SPDX-License-Identifier: AGPL-3.0-only
//! The copy of a mailbox's existing folders into its archive, offered when it is switched on.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub archive_id: i32,
    /// JMAP folder ids, space-separated; empty for every folder.
    pub folders: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub total: i32,
    pub done: i32,
    pub added: i32,
    pub requested_by: String,
    pub created_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
