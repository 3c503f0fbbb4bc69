// SPDX-License-Identifier: AGPL-3.0-only
//! Customers: the companies whose domains are hosted, with their plan and bought slots.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub company_name: String,
    /// Where credentials and cost notifications go.
    pub legal_email: String,
    pub plan_id: i32,
    /// Mailbox slots bought beyond the plan's included ones.
    pub extra_slots: i32,
    /// The monthly cost (cents) last notified to the legal representative.
    pub notified_cost: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::plan::Entity",
        from = "Column::PlanId",
        to = "super::plan::Column::Id"
    )]
    Plan,
    #[sea_orm(has_many = "super::domain::Entity")]
    Domain,
}

impl Related<super::plan::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl Related<super::domain::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Domain.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
