// SPDX-License-Identifier: AGPL-3.0-only
//! The name and signature a mailbox sends with from one of its addresses; no row means the
//! mailbox's own name and no signature.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sender_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: i32,
    /// The sender address, lowercase: the mailbox's own or one of its aliases.
    pub address: String,
    /// The name recipients see; empty for the mailbox's own name.
    pub name: String,
    pub signature: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
