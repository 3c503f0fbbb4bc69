// SPDX-License-Identifier: AGPL-3.0-only
//! A message the engine was about to accept for an archived party, as the hook of an earlier
//! version wrote it before naming the journal copy (`journal+<token>@archive.invalid`). The
//! hook writes none now (the journal address carries the envelope); copies queued before may
//! still name one.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_envelopes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    pub queue_id: String,
    /// Who was signed in to send it; empty for mail from the MX.
    pub login: String,
    pub mail_from: String,
    /// Every envelope recipient, Bcc included, space-separated.
    pub recipients: String,
    /// `<archive id>:<in|out>`, space-separated.
    pub parties: String,
    pub created_at: ChronoDateTimeUtc,
    /// `pending`, `done` or `not_accepted`.
    pub state: String,
    /// Journal copies received (more than one when an answer was lost).
    pub copies: i32,
    /// Its Message-ID, when it has one.
    pub message_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
