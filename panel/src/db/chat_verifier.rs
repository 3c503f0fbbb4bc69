// SPDX-License-Identifier: AGPL-3.0-only
//! A chat client's SCRAM-SHA-256 verifier for one password of an account (see the
//! `chat_verifiers` migration): never the password, and valid only while the engine holds the
//! secret whose fingerprint it records.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_verifiers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub address: String,
    /// Empty for the main password, else the app password's name.
    pub credential: String,
    pub salt: String,
    pub iterations: i32,
    pub stored_key: String,
    pub server_key: String,
    pub secret: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
