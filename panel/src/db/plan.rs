// SPDX-License-Identifier: AGPL-3.0-only
//! Plans: what a customer buys, and the monthly prices of everything beyond it (in cents).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub mailbox_type: String,
    pub included_mailboxes: i32,
    pub price_extra_mailbox: i64,
    pub price_quota25: i64,
    pub price_quota50: i64,
    pub price_quota100: i64,
    pub price_send1000: i64,
    pub price_send2000: i64,
    pub price_send5000: i64,
    pub price_archive: i64,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::customer::Entity")]
    Customer,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
