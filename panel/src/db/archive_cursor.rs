// SPDX-License-Identifier: AGPL-3.0-only
//! Where the pass over an archived account's engine changes left off.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_cursors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub archive_id: i32,
    /// The JMAP state of the account's messages then.
    pub state: String,
    pub checked_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
