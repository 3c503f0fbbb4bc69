// SPDX-License-Identifier: AGPL-3.0-only
//! Intents: what a creation or removal that spans the engine and the panel database is about
//! to do, written before its engine step and deleted with the panel rows that complete it.
//! They are the start-up reconcile's only licence to undo or finish anything (see
//! [`crate::reconcile`]); a pending mailbox creation also holds one of its customer's slots.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, entity::prelude::*};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// [`Kind`], as its code.
    pub kind: String,
    /// The engine object: an account's login, a domain's name, or an alias's or a group
    /// alias's address.
    pub subject: String,
    /// For an alias, the mailbox it delivers to; empty otherwise.
    pub detail: String,
    /// The customer whose slot a pending mailbox creation holds.
    pub customer_id: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What an intent is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Create an engine account (a mailbox, an operator, a manager or a delegate).
    CreateAccount,
    /// Register an engine domain.
    CreateDomain,
    /// Add an alias to a mailbox.
    CreateAlias,
    /// Remove an alias from a mailbox.
    RemoveAlias,
    /// Delete a mailbox or a delegate: disabled in the engine, then its panel rows, then its
    /// engine account.
    DeleteAccount,
    /// Create a group alias (an engine list).
    CreateGroup,
    /// Delete a group alias: its engine list, then its panel row.
    DeleteGroup,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::CreateAccount => "create-account",
            Kind::CreateDomain => "create-domain",
            Kind::CreateAlias => "create-alias",
            Kind::RemoveAlias => "remove-alias",
            Kind::DeleteAccount => "delete-account",
            Kind::CreateGroup => "create-group",
            Kind::DeleteGroup => "delete-group",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        [
            Kind::CreateAccount,
            Kind::CreateDomain,
            Kind::CreateAlias,
            Kind::RemoveAlias,
            Kind::DeleteAccount,
            Kind::CreateGroup,
            Kind::DeleteGroup,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

impl Model {
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_code(&self.kind)
    }
}

/// Records an intent; returns its id, to clear it with [`clear`].
pub async fn record<C: ConnectionTrait>(
    db: &C,
    kind: Kind,
    subject: &str,
    detail: &str,
    customer_id: Option<i32>,
) -> Result<i32, DbErr> {
    let row = ActiveModel {
        kind: Set(kind.code().to_string()),
        subject: Set(subject.to_string()),
        detail: Set(detail.to_string()),
        customer_id: Set(customer_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Deletes an intent whose work is complete (or undone).
pub async fn clear<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), DbErr> {
    Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Every intent, oldest first.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<Model>, DbErr> {
    Entity::find().order_by_asc(Column::Id).all(db).await
}

/// Mailbox creations under way for a customer: each holds a slot.
pub async fn pending_creations<C: ConnectionTrait>(db: &C, customer_id: i32) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::Kind.eq(Kind::CreateAccount.code()))
        .filter(Column::CustomerId.eq(customer_id))
        .count(db)
        .await
}

/// Whether any intent is recorded.
pub async fn any<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(Entity::find().count(db).await? > 0)
}
