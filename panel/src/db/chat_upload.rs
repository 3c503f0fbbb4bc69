// SPDX-License-Identifier: AGPL-3.0-only
//! A chat file's slot (XEP-0363): asked for, then holding the file once put (as a message in
//! the owner's mailbox).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_uploads")]
pub struct Model {
    /// 128 random bits, hex: the file's address is its only key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    /// The uploader's address.
    pub owner: String,
    pub name: String,
    pub size: i64,
    pub media_type: String,
    pub created_at: ChronoDateTimeUtc,
    /// The message holding the file: none while the slot waits, empty while it is stored.
    pub email_id: Option<String>,
    pub blob_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
