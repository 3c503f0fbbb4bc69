// SPDX-License-Identifier: AGPL-3.0-only
//! Mail domains, as the panel knows them: customer, manager, chat service and branding.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub created_at: ChronoDateTimeUtc,
    pub customer_id: Option<i32>,
    pub manager_id: Option<i32>,
    /// The domain's chat service (ATTIVO / NON ATTIVO); only the postmaster switches it.
    pub chat_enabled: bool,
    /// Company name on the domain's webmail.
    pub brand_name: Option<String>,
    /// Logo on the domain's webmail, and its media type.
    pub brand_logo: Option<Vec<u8>>,
    pub brand_logo_type: Option<String>,
    /// Every user of the domain must sign in to the web with a second factor.
    pub require_two_factor: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::mailbox::Entity")]
    Mailbox,
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::manager::Entity",
        from = "Column::ManagerId",
        to = "super::manager::Column::Id"
    )]
    Manager,
}

impl Related<super::mailbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mailbox.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::manager::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Manager.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
