// SPDX-License-Identifier: AGPL-3.0-only
//! One read of an archived message by a delegate: the owner sees who read what and when, the
//! delegate's manager sees its delegates' reads. Written by the reader's reach before the
//! bytes are handed out.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_reads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub archive_id: i32,
    pub delegate_id: Option<i32>,
    /// The delegate's manager when it read.
    pub manager_id: Option<i32>,
    /// The reader's login and name when it read.
    pub reader: String,
    pub reader_name: String,
    /// The message's row while the archive keeps it.
    pub message_row: Option<i32>,
    pub subject: String,
    pub message_id: String,
    /// `read`, `download`, `attachment` or `zip`.
    pub action: String,
    pub ip: String,
    pub at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
