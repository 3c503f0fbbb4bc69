// SPDX-License-Identifier: AGPL-3.0-only
//! Chat messages: the history of every conversation, kept for good.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_messages")]
pub struct Model {
    /// Also the message's archive id (XEP-0313): it only grows.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    /// The domain both contacts belong to.
    pub domain: String,
    /// The pair of contacts, see [`crate::chat::conversation_of`].
    pub conversation: String,
    /// The sender's address, lowercase.
    pub sender: String,
    /// The recipient's address, lowercase.
    pub recipient: String,
    pub body: String,
    /// The id the sending client gave the message, if any.
    pub origin_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
