// SPDX-License-Identifier: AGPL-3.0-only
//! A message kept in an archive, once per archive and direction; its bytes are in the
//! content store under `object_hash`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub archive_id: i32,
    /// `in` or `out`.
    pub direction: String,
    pub object_hash: String,
    pub size: i64,
    pub received_at: ChronoDateTimeUtc,
    pub sender: String,
    pub recipients: String,
    pub subject: String,
    pub preview: String,
    pub message_id: String,
    pub has_attachment: bool,
    /// `journal`, `changes` or `import`.
    pub source: String,
    /// For a journal copy: the engine's queue id of the message (hex), or, for a copy an
    /// earlier version's journal named by an envelope row, that row's token (32 hex).
    pub token: Option<String>,
    pub retain_until: Date,
    /// Its key in the text index (arrival seconds << 20 | low 20 bits of its id).
    pub search_key: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
