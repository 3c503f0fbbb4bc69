// SPDX-License-Identifier: AGPL-3.0-only
//! Chat messages waiting for a recipient who had no session open when they were sent.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_offline")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The recipient's address, lowercase.
    pub recipient: String,
    pub message_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
