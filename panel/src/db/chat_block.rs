// SPDX-License-Identifier: AGPL-3.0-only
//! One entry of a chat user's block list (XEP-0191).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_blocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Who blocks, lowercase.
    pub owner: String,
    /// The blocked bare address, lowercase.
    pub blocked: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
