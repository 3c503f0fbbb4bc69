// SPDX-License-Identifier: AGPL-3.0-only
//! Messages a mailbox submitted with recipients outside its domain, fed from the engine's
//! events; the mailbox list shows the last 24 hours.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub address: String,
    pub at: ChronoDateTimeUtc,
    /// Recipients outside the sender's domain.
    pub recipients: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
