// SPDX-License-Identifier: AGPL-3.0-only
//! The message trace: a message's recipient as a hosted domain sees it, with its latest status.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_trace")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the engine took the message (or first reported it).
    pub at: ChronoDateTimeUtc,
    /// When the status last changed.
    pub updated_at: ChronoDateTimeUtc,
    /// The hosted domain this row belongs to.
    pub domain: String,
    /// in, out or internal, as `domain` sees it.
    pub direction: String,
    /// The engine's queue id (its bits as a signed number); none for a refusal.
    pub queue_id: Option<i64>,
    /// The Message-ID header, without brackets, when known.
    pub message_id: Option<String>,
    /// The envelope sender; empty for a bounce.
    pub sender: String,
    pub recipient: String,
    pub size: Option<i64>,
    /// accepted, deferred, delivered, bounced, rejected.
    pub status: String,
    /// The reason or the receiving server's reply.
    pub detail: Option<String>,
    /// The server that answered last (`localhost` for a local delivery).
    pub remote_host: Option<String>,
    /// The sending client's address, for a message taken over SMTP.
    pub remote_ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
