// SPDX-License-Identifier: AGPL-3.0-only
//! Senders whose remote images a mailbox's reader always loads (through the image proxy).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "image_senders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: i32,
    /// The sender's address, lowercase.
    pub address: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
