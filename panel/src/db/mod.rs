// SPDX-License-Identifier: AGPL-3.0-only
//! The panel database: connection, migration, entities. All queries live in this module's
//! children and in the services; nothing else builds SQL.

pub mod alias;
pub mod audit;
pub mod customer;
pub mod domain;
pub mod mailbox;
pub mod mailbox_term;
pub mod manager;
pub mod operator;
pub mod outbound;
pub mod plan;
pub mod web_session;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens the panel database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is all SQLite allows; a small pool avoids lock contention.
        options.max_connections(4);
    }
    let db = Database::connect(options).await?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;")
            .await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
