// SPDX-License-Identifier: AGPL-3.0-only
//! Mailboxes: personal data and panel attributes. Credentials and mail are in the engine.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailboxes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    pub local_part: String,
    #[sea_orm(unique)]
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub is_postmaster: bool,
    pub must_change_password: bool,
    pub quota_bytes: i64,
    pub created_at: ChronoDateTimeUtc,
    /// Daily limit of recipients outside the company's domains (the engine enforces it).
    pub send_tier: i32,
    pub archive: bool,
    pub last_login_at: Option<ChronoDateTimeUtc>,
    /// A web session is valid only while it carries this value; see [`super::new_session_key`].
    pub session_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::domain::Entity",
        from = "Column::DomainId",
        to = "super::domain::Column::Id"
    )]
    Domain,
    #[sea_orm(has_many = "super::alias::Entity")]
    Alias,
}

impl Related<super::alias::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Alias.def()
    }
}

impl Related<super::domain::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Domain.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// Deletes a mailbox's panel rows (its aliases, outbound log, search words and the mailbox
/// itself) in one transaction; a mailbox that has none is a no-op.
pub async fn delete_rows(db: &DatabaseConnection, address: &str) -> Result<(), DbErr> {
    use super::{
        alias, chat_block, chat_offline, chat_verifier, image_sender, mail_preference,
        mailbox_term, outbound, sender_identity,
    };
    let address = address.to_string();
    // It reads before it writes: the write lock is taken first (see `begin_write`).
    let txn = super::begin_write(db).await?;
    let Some(found) = Entity::find()
        .filter(Column::Address.eq(&address))
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    alias::Entity::delete_many()
        .filter(alias::Column::MailboxId.eq(found.id))
        .exec(&txn)
        .await?;
    outbound::Entity::delete_many()
        .filter(outbound::Column::Address.eq(&address))
        .exec(&txn)
        .await?;
    mailbox_term::Entity::delete_many()
        .filter(mailbox_term::Column::MailboxId.eq(found.id))
        .exec(&txn)
        .await?;
    image_sender::Entity::delete_many()
        .filter(image_sender::Column::MailboxId.eq(found.id))
        .exec(&txn)
        .await?;
    sender_identity::Entity::delete_many()
        .filter(sender_identity::Column::MailboxId.eq(found.id))
        .exec(&txn)
        .await?;
    // The chat messages waiting for it go; the history stays (it is never deleted).
    chat_offline::Entity::delete_many()
        .filter(chat_offline::Column::Recipient.eq(&address))
        .exec(&txn)
        .await?;
    chat_verifier::Entity::delete_many()
        .filter(chat_verifier::Column::Address.eq(&address))
        .exec(&txn)
        .await?;
    chat_block::Entity::delete_many()
        .filter(chat_block::Column::Owner.eq(&address))
        .exec(&txn)
        .await?;
    mail_preference::Entity::delete_by_id(found.id)
        .exec(&txn)
        .await?;
    Entity::delete_by_id(found.id).exec(&txn).await?;
    txn.commit().await
}
