// SPDX-License-Identifier: AGPL-3.0-only
//! The panel database: connection, migration, entities. All queries live in this module's
//! children and in the services; nothing else builds SQL.

pub mod access_log;
pub mod alias;
pub mod app_password;
pub mod archive;
pub mod archive_cursor;
pub mod archive_envelope;
pub mod archive_import;
pub mod archive_message;
pub mod archive_read;
pub mod audit;
pub mod chat_block;
pub mod chat_message;
pub mod chat_offline;
pub mod chat_upload;
pub mod chat_verifier;
pub mod customer;
pub mod delegate;
pub mod delegate_archive;
pub mod domain;
pub mod group_alias;
pub mod image_sender;
pub mod intent;
pub mod mail_preference;
pub mod mailbox;
pub mod mailbox_term;
pub mod manager;
pub mod message_trace;
pub mod operator;
pub mod outbound;
pub mod panel_setting;
pub mod pep_item;
pub mod plan;
pub mod recovery_code;
pub mod second_factor;
pub mod sender_identity;
pub mod stored_object;
pub mod tm_cursor;
pub mod tm_day;
pub mod tm_folder;
pub mod tm_message;
pub mod tm_restore;
pub mod web_session;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Opens the panel database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is all SQLite allows; a small pool avoids lock contention.
        options.max_connections(4);
        // Every connection: write-ahead log, foreign keys, and a commit that waits for the
        // disk only at checkpoints. A commit survives a crash of the process; a power cut
        // may take the last moments back, as in the engine's own SQLite store, which runs
        // the same way.
        options.map_sqlx_sqlite_opts(|opts| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
        });
    }
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`, waiting for it within the busy timeout): a deferred transaction that reads
/// first fails with "database is locked" when another connection commits before its first
/// write, instead of waiting. PostgreSQL begins as usual.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// A fresh random session key for an identity: every web session of the identity carries the
/// key it was signed in with, so replacing the key ends every other session at once.
pub fn new_session_key() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
