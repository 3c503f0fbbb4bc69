// SPDX-License-Identifier: AGPL-3.0-only
//! Delegates: people a manager lets read some archives of its domains, until a day and within
//! a window of dates. Their credentials are in the engine's directory, like a manager's.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delegates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub manager_id: i32,
    #[sea_orm(unique)]
    pub login: String,
    pub display_name: String,
    /// Where the delegate's credentials are sent.
    pub email: String,
    pub must_change_password: bool,
    pub created_at: ChronoDateTimeUtc,
    /// A web session is valid only while it carries this value; see [`super::new_session_key`].
    pub session_key: String,
    /// The last day it may sign in and read (UTC).
    pub expires_on: Date,
    /// It sees only messages received on or after / on or before these days.
    pub window_from: Option<Date>,
    pub window_to: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
