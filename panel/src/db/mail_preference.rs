// SPDX-License-Identifier: AGPL-3.0-only
//! A mailbox's webmail reading preferences; no row means the defaults.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub mailbox_id: i32,
    /// Messages a page of the list shows.
    pub page_size: i32,
    /// The list shows one row per conversation.
    pub conversations: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
