// SPDX-License-Identifier: AGPL-3.0-only
//! Sign-ins to the web panel and of mail clients, with their outcome.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    /// The login given (empty when the engine did not name it).
    pub login: String,
    /// The login's domain, when it is a hosted mailbox's.
    pub domain: Option<String>,
    /// web, imap, pop3, smtp, sieve, xmpp.
    pub protocol: String,
    /// ok, wrong-password, missing-code, wrong-code, protocol-disabled, banned.
    pub result: String,
    pub remote_ip: String,
    /// The engine's connection (span) id, to tie a later refusal to this sign-in.
    pub connection: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
