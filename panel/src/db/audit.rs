// SPDX-License-Identifier: AGPL-3.0-only
//! The audit log: every administrative action, who did it, from where, before and after.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    pub actor: String,
    pub actor_role: String,
    pub ip: String,
    pub action: String,
    /// The domain the action touched, when it touched one.
    pub domain: Option<String>,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
