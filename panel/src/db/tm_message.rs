// SPDX-License-Identifier: AGPL-3.0-only
//! A message of a mailbox as it stood from one snapshot day to another (Mail Time Machine).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tm_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: i32,
    /// The engine's id of the message.
    pub email_id: String,
    /// The engine's id of its source.
    pub blob_id: String,
    /// Its bytes in the content store.
    pub object_hash: String,
    pub received_at: ChronoDateTimeUtc,
    pub size: i64,
    pub subject: String,
    /// The first From address, as "Name <address>" or the address alone.
    pub sender: String,
    /// The start of its text.
    pub preview: String,
    /// Its Message-ID, without brackets; empty when it has none.
    pub message_id: String,
    /// The engine's ids of its folders, space-separated, sorted.
    pub folders: String,
    /// Its keywords, space-separated, sorted.
    pub keywords: String,
    /// The first day it stood so.
    pub valid_from: Date,
    /// The first day it no longer did; `None` while it still does.
    pub valid_to: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
