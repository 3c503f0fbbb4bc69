// SPDX-License-Identifier: AGPL-3.0-only
//! Mail-client passwords ("password dedicate"): the name and creation time of each. The
//! argon2id hash lives in the engine only, which checks it at IMAP, POP3 and SMTP sign-in.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_passwords")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub login: String,
    pub name: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
