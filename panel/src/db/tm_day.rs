// SPDX-License-Identifier: AGPL-3.0-only
//! A day the Mail Time Machine took its snapshot of every mailbox.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tm_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub started_at: ChronoDateTimeUtc,
    /// None while it runs, or when it was cut off (it is taken again).
    pub finished_at: Option<ChronoDateTimeUtc>,
    /// Mailboxes looked at.
    pub mailboxes: i32,
    /// Of which changed since the day before.
    pub changed: i32,
    /// Of which could not be read (they show the day before's state).
    pub failed: i32,
    /// Bytes the content store took in for it.
    pub bytes_added: i64,
    /// Interval rows opened, closed or replaced for it.
    pub rows_written: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
