// SPDX-License-Identifier: AGPL-3.0-only
//! Where a mailbox's last Time Machine snapshot left off.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tm_cursors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub mailbox_id: i32,
    /// The engine's change log position then: the same now means nothing changed.
    pub change_mark: i64,
    /// The JMAP state of its messages then, to ask what changed since.
    pub state: String,
    /// The day of that snapshot.
    pub day: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
