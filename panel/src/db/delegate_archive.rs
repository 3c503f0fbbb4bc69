// SPDX-License-Identifier: AGPL-3.0-only
//! Which archives a delegate may read.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delegate_archives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub delegate_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub archive_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
