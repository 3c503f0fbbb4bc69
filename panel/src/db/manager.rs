// SPDX-License-Identifier: AGPL-3.0-only
//! Managers: one login for several domains. Their credentials are in the engine's directory.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "managers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub login: String,
    pub display_name: String,
    /// Where the manager's credentials are sent.
    pub email: String,
    pub must_change_password: bool,
    pub created_at: ChronoDateTimeUtc,
    /// A web session is valid only while it carries this value; see [`super::new_session_key`].
    pub session_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::domain::Entity")]
    Domain,
}

impl Related<super::domain::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Domain.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
