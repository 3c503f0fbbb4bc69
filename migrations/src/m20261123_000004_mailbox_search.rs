// SPDX-License-Identifier: AGPL-3.0-only
//! What keeps the mailbox list's cost the same in a domain of any size: an index in the list's
//! own order (postmaster first, then by address), and the words each mailbox is found by
//! (`mailbox_terms`), so a search reads an index range instead of every mailbox of the domain.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_mailboxes_domain_order")
                    .table(Mailboxes::Table)
                    .col(Mailboxes::DomainId)
                    .col((Mailboxes::IsPostmaster, IndexOrder::Desc))
                    .col(Mailboxes::Address)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailboxTerms::Table)
                    .col(integer(MailboxTerms::DomainId))
                    .col(string(MailboxTerms::Term))
                    .col(integer(MailboxTerms::MailboxId))
                    .primary_key(
                        Index::create()
                            .col(MailboxTerms::DomainId)
                            .col(MailboxTerms::Term)
                            .col(MailboxTerms::MailboxId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mailbox_terms_mailbox")
                            .from(MailboxTerms::Table, MailboxTerms::MailboxId)
                            .to(Mailboxes::Table, Mailboxes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mailbox_terms_mailbox")
                    .table(MailboxTerms::Table)
                    .col(MailboxTerms::MailboxId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailboxTerms::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_mailboxes_domain_order")
                    .table(Mailboxes::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
    DomainId,
    IsPostmaster,
    Address,
}

#[derive(DeriveIden)]
enum MailboxTerms {
    Table,
    DomainId,
    Term,
    MailboxId,
}
