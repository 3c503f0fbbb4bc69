// SPDX-License-Identifier: AGPL-3.0-only
//! The hosting provider's staff. Their credentials are in the engine's directory.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub login: String,
    pub display_name: String,
    pub created_at: ChronoDateTimeUtc,
    /// A web session is valid only while it carries this value; see [`super::new_session_key`].
    pub session_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
