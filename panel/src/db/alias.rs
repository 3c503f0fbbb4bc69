// SPDX-License-Identifier: AGPL-3.0-only
//! Aliases: further addresses that deliver to a mailbox. The engine holds them too, as the
//! mailbox principal's extra e-mail addresses.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "aliases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: i32,
    #[sea_orm(unique)]
    pub address: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::mailbox::Entity",
        from = "Column::MailboxId",
        to = "super::mailbox::Column::Id"
    )]
    Mailbox,
}

impl Related<super::mailbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mailbox.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
