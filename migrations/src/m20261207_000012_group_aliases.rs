// SPDX-License-Identifier: AGPL-3.0-only
//! Group aliases: an address of a domain that delivers to several of its mailboxes and, in
//! chat, is a group conversation of those mailboxes. The engine holds the address and its
//! members (a list principal); the panel keeps which domain it belongs to and its name.
//!
//! And what chat users publish about themselves (XEP-0163): the last item of each of their
//! nodes (an avatar, a nickname), with who may read it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GroupAliases::Table)
                    .col(pk_auto(GroupAliases::Id))
                    .col(integer(GroupAliases::DomainId))
                    .col(string_uniq(GroupAliases::Address))
                    .col(string(GroupAliases::Name))
                    .col(timestamp_with_time_zone(GroupAliases::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_aliases_domain")
                            .from(GroupAliases::Table, GroupAliases::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_group_aliases_domain")
                    .table(GroupAliases::Table)
                    .col(GroupAliases::DomainId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PepItems::Table)
                    .col(pk_auto(PepItems::Id))
                    .col(string(PepItems::Owner))
                    .col(string(PepItems::Node))
                    .col(string(PepItems::ItemId))
                    .col(text(PepItems::Payload))
                    .col(boolean(PepItems::Open))
                    .col(timestamp_with_time_zone(PepItems::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pep_items_owner_node")
                    .table(PepItems::Table)
                    .col(PepItems::Owner)
                    .col(PepItems::Node)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PepItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(GroupAliases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum GroupAliases {
    Table,
    Id,
    DomainId,
    /// The whole address, lowercase.
    Address,
    /// What chat shows for the group ("Sales"); the local part when none was given.
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PepItems {
    Table,
    Id,
    /// The publisher's address, lowercase.
    Owner,
    Node,
    ItemId,
    /// Serialised XML.
    Payload,
    /// Colleagues may read it (otherwise the owner alone).
    Open,
    PublishedAt,
}
