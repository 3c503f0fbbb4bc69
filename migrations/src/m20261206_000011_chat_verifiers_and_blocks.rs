// SPDX-License-Identifier: AGPL-3.0-only
//! SCRAM-SHA-256 verifiers for chat clients (RFC 5802, RFC 7677): one per password of an
//! account (its main password and each app password), all with the account's one salt, so the
//! server can name the salt before it knows which password the client holds. Each records the
//! fingerprint of the engine secret it was derived with, and counts only while the engine
//! still holds that secret.
//!
//! And each user's block list (XEP-0191): addresses whose messages, typing and presence it
//! does not want, and who do not see its own; and the slots of files shared in chat
//! (XEP-0363), each file kept as a message in the uploader's mailbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatVerifiers::Table)
                    .col(pk_auto(ChatVerifiers::Id))
                    .col(string(ChatVerifiers::Address))
                    .col(string(ChatVerifiers::Credential))
                    .col(string(ChatVerifiers::Salt))
                    .col(integer(ChatVerifiers::Iterations))
                    .col(string(ChatVerifiers::StoredKey))
                    .col(string(ChatVerifiers::ServerKey))
                    .col(string(ChatVerifiers::Secret))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_verifiers_address_credential")
                    .table(ChatVerifiers::Table)
                    .col(ChatVerifiers::Address)
                    .col(ChatVerifiers::Credential)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatBlocks::Table)
                    .col(pk_auto(ChatBlocks::Id))
                    .col(string(ChatBlocks::Owner))
                    .col(string(ChatBlocks::Blocked))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_blocks_owner_blocked")
                    .table(ChatBlocks::Table)
                    .col(ChatBlocks::Owner)
                    .col(ChatBlocks::Blocked)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatUploads::Table)
                    .col(string(ChatUploads::Token).primary_key())
                    .col(string(ChatUploads::Owner))
                    .col(string(ChatUploads::Name))
                    .col(big_integer(ChatUploads::Size))
                    .col(string(ChatUploads::MediaType))
                    .col(timestamp_with_time_zone(ChatUploads::CreatedAt))
                    .col(string_null(ChatUploads::EmailId))
                    .col(string_null(ChatUploads::BlobId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_uploads_owner")
                    .table(ChatUploads::Table)
                    .col(ChatUploads::Owner)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChatUploads::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ChatBlocks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ChatVerifiers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChatVerifiers {
    Table,
    Id,
    Address,
    /// Empty for the main password, else the app password's name.
    Credential,
    /// Base64, shared by every row of the address.
    Salt,
    Iterations,
    /// Base64 of H(ClientKey).
    StoredKey,
    /// Base64 of HMAC(SaltedPassword, "Server Key").
    ServerKey,
    /// Hex fingerprint of the engine secret the verifier was derived with.
    Secret,
}

#[derive(DeriveIden)]
enum ChatBlocks {
    Table,
    Id,
    /// Who blocks (lowercase address).
    Owner,
    /// Whom (a bare address, lowercase).
    Blocked,
}

#[derive(DeriveIden)]
enum ChatUploads {
    Table,
    /// 128 random bits, hex: the file's address is its only key.
    Token,
    Owner,
    Name,
    Size,
    MediaType,
    CreatedAt,
    /// The message holding the file, once put.
    EmailId,
    BlobId,
}
