// SPDX-License-Identifier: AGPL-3.0-only
//! Identities with TOTP on. The secret is in the engine; the panel keeps when it was turned on
//! and the last time step a code was accepted, so each code is good once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "second_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub login: String,
    pub enabled_at: ChronoDateTimeUtc,
    /// The 30-second step of the last accepted code; only later steps are accepted.
    pub last_step: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
