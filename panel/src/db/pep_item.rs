// SPDX-License-Identifier: AGPL-3.0-only
//! What chat users publish about themselves (XEP-0163, personal eventing): the last item of
//! each of their nodes (their avatar, their nickname…), as the client sent it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pep_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The publisher's address, lowercase.
    pub owner: String,
    pub node: String,
    pub item_id: String,
    /// The item's payload, serialised XML.
    pub payload: String,
    /// Colleagues may read it and are told of it (access model `presence`); otherwise the
    /// owner alone (`whitelist`).
    pub open: bool,
    pub published_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
