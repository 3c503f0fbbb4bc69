// SPDX-License-Identifier: AGPL-3.0-only
//! A folder of a mailbox as it stood from one snapshot day to another (Mail Time Machine).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tm_folders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: i32,
    /// The engine's id of the folder.
    pub folder_id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// `inbox`, `sent`, `trash`…; none for the user's own folders.
    pub role: Option<String>,
    pub sort_order: i32,
    pub subscribed: bool,
    /// The first day it stood so.
    pub valid_from: Date,
    /// The first day it no longer did; `None` while it still does.
    pub valid_to: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
