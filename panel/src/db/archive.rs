// SPDX-License-Identifier: AGPL-3.0-only
//! A mailbox's archive: switched on by its manager with a retention, and kept after the
//! mailbox is gone until that retention ends.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archives")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// None once the mailbox is deleted.
    pub mailbox_id: Option<i32>,
    pub domain_id: i32,
    pub address: String,
    /// Each message is kept this many years from its arrival (1 to 10).
    pub retention_years: i32,
    /// Capturing now.
    pub active: bool,
    pub started_at: ChronoDateTimeUtc,
    pub stopped_at: Option<ChronoDateTimeUtc>,
    /// Messages it holds, received and sent.
    pub received: i64,
    pub sent: i64,
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
