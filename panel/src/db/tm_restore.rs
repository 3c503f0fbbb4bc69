// SPDX-License-Identifier: AGPL-3.0-only
//! A mailbox brought back to a day of its Mail Time Machine: asked for, running, or done.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tm_restores")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: i32,
    /// The day the mailbox is brought back to.
    pub day: Date,
    /// Exact rollback (newer mail moved aside) rather than a merge.
    pub exact: bool,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// Messages to look at, and looked at so far.
    pub total: i32,
    pub done: i32,
    /// Messages put back.
    pub restored: i32,
    /// Messages given back their folders and flags.
    pub changed: i32,
    /// Newer messages moved aside (exact rollback).
    pub moved: i32,
    /// What the operator charges for it, as shown when it was asked for.
    pub price_cents: i64,
    pub requested_by: String,
    pub created_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
