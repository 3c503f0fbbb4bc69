// SPDX-License-Identifier: AGPL-3.0-only
//! Mail domains, as the panel knows them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::mailbox::Entity")]
    Mailbox,
}

impl Related<super::mailbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mailbox.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
