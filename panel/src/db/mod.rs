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
use std::path::Path;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Opens the panel database and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is all SQLite allows; a small pool avoids lock contention.
        // A connection is a file in this process, not a socket that may have died: it is not
        // pinged each time it is taken from the pool (each ping a round trip to the
        // connection's thread, as many as the statements of a one-statement read).
        options.max_connections(4).test_before_acquire(false);
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

/// The archive journal's envelope rows, which earlier versions wrote while the engine held a
/// sender's SMTP transaction open (the journal address now carries the envelope, and the
/// engine's queue the rest); they are read and marked while their copies may still come, and
/// let go by the daily job. On SQLite they are in a database file of their own, `path`, with a
/// write lock of their own; on PostgreSQL they stay in the panel database. Envelopes an even
/// earlier version wrote in the panel database are moved.
pub async fn connect_journal(
    db: &DatabaseConnection,
    path: &Path,
) -> Result<DatabaseConnection, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(db.clone());
    }
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    // One connection writes (the marks' writer); the others read, each journal copy of an
    // earlier version its envelope, while a write is under way.
    options
        .sqlx_logging(false)
        .max_connections(4)
        .test_before_acquire(false);
    options.map_sqlx_sqlite_opts(|opts| {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    });
    let journal = Database::connect(options).await?;
    for statement in JOURNAL_SCHEMA {
        journal.execute_unprepared(statement).await?;
    }
    move_envelopes(db, &journal).await?;
    Ok(journal)
}

/// The journal file's one table, as the panel database's migrations made it there.
const JOURNAL_SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS archive_envelopes (\
     token TEXT NOT NULL PRIMARY KEY, queue_id TEXT NOT NULL, login TEXT NOT NULL, \
     mail_from TEXT NOT NULL, recipients TEXT NOT NULL, parties TEXT NOT NULL, \
     created_at TEXT NOT NULL, state TEXT NOT NULL, copies INTEGER NOT NULL DEFAULT 0, \
     message_id TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS idx_archive_envelopes_state \
     ON archive_envelopes (state, created_at)",
    "CREATE INDEX IF NOT EXISTS idx_archive_envelopes_message_id \
     ON archive_envelopes (message_id)",
];

/// Moves the panel database's envelopes into the journal file, a few hundred at a time; a
/// crash midway leaves some in both, and moving them again adds none twice.
async fn move_envelopes(
    db: &DatabaseConnection,
    journal: &DatabaseConnection,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect};
    loop {
        let rows = archive_envelope::Entity::find().limit(400).all(db).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let tokens: Vec<String> = rows.iter().map(|row| row.token.clone()).collect();
        archive_envelope::Entity::insert_many(rows.into_iter().map(|row| row.into_active_model()))
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(archive_envelope::Column::Token)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(journal)
            .await?;
        archive_envelope::Entity::delete_many()
            .filter(archive_envelope::Column::Token.is_in(tokens))
            .exec(db)
            .await?;
    }
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

/// `rows` tuples of `width` placeholders each, for a statement's `VALUES`: `(?, ?), (?, ?)` on
/// SQLite, `($1, $2), ($3, $4)` on PostgreSQL.
pub(crate) fn value_tuples(backend: DbBackend, rows: usize, width: usize) -> String {
    let mut n = 0;
    let mut next = || {
        n += 1;
        match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        }
    };
    (0..rows)
        .map(|_| {
            let tuple: Vec<String> = (0..width).map(|_| next()).collect();
            format!("({})", tuple.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fresh random session key for an identity: every web session of the identity carries the
/// key it was signed in with, so replacing the key ends every other session at once.
pub fn new_session_key() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The panel databases a unit test runs on.
#[cfg(test)]
pub(crate) mod testing {
    use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection};

    use super::archive_envelope;

    /// A pending envelope row, as the hook of an earlier version wrote it.
    pub(crate) fn envelope_row(token: &str, parties: &str) -> archive_envelope::ActiveModel {
        archive_envelope::ActiveModel {
            token: Set(token.into()),
            queue_id: Set("1f".into()),
            login: Set(String::new()),
            mail_from: Set("anna@example.test".into()),
            recipients: Set("bob@demo.test".into()),
            parties: Set(parties.into()),
            created_at: Set(chrono::Utc::now()),
            state: Set("pending".into()),
            copies: Set(0),
            message_id: Set("m1@example.test".into()),
        }
    }

    /// SQLite always (its file in the test's folder), and a new PostgreSQL database when
    /// `TEST_CASELLA_POSTGRES` names a server (`postgres://postgres@127.0.0.1:5432`), as
    /// `scripts/test` does when one answers there: the scale path's SQL is tested too.
    pub(crate) struct Databases {
        pub connections: Vec<DatabaseConnection>,
        server: Option<(String, String)>,
    }

    pub(crate) async fn databases(dir: &std::path::Path) -> Databases {
        let sqlite = format!("sqlite://{}?mode=rwc", dir.join("p.sqlite3").display());
        let mut connections = vec![super::connect(&sqlite).await.expect("sqlite")];
        let mut server = None;
        if let Ok(url) = std::env::var("TEST_CASELLA_POSTGRES") {
            let url = url.trim_end_matches('/').to_string();
            let name = format!("casella_unit_{:016x}", rand::random::<u64>());
            on_server(&url, &format!("CREATE DATABASE {name}")).await;
            let db = super::connect(&format!("{url}/{name}"))
                .await
                .expect("postgres database");
            connections.push(db);
            server = Some((url, name));
        }
        Databases {
            connections,
            server,
        }
    }

    impl Databases {
        /// Closes them, and drops the PostgreSQL database.
        pub(crate) async fn drop(self) {
            for db in self.connections {
                let _ = db.close().await;
            }
            if let Some((url, name)) = self.server {
                on_server(&url, &format!("DROP DATABASE IF EXISTS {name}")).await;
            }
        }
    }

    /// A domain `demo.test` and an active archive (ten years) for `address` in it, with no
    /// mailbox behind it.
    pub(crate) async fn archive_of(
        db: &DatabaseConnection,
        address: &str,
    ) -> super::archive::Model {
        use chrono::Utc;
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};

        let domain = super::domain::ActiveModel {
            name: Set("demo.test".into()),
            created_at: Set(Utc::now()),
            customer_id: Set(None),
            manager_id: Set(None),
            chat_enabled: Set(false),
            brand_name: Set(None),
            brand_logo: Set(None),
            brand_logo_type: Set(None),
            require_two_factor: Set(false),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("domain");
        super::archive::ActiveModel {
            mailbox_id: Set(None),
            domain_id: Set(domain.id),
            address: Set(address.into()),
            retention_years: Set(10),
            active: Set(true),
            started_at: Set(Utc::now()),
            stopped_at: Set(None),
            received: Set(0),
            sent: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("archive")
    }

    /// Runs a statement on the PostgreSQL server's own database.
    async fn on_server(url: &str, statement: &str) {
        Database::connect(format!("{url}/postgres"))
            .await
            .expect("postgres")
            .execute_unprepared(statement)
            .await
            .unwrap_or_else(|err| panic!("{statement}: {err}"));
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, PaginatorTrait};

    use super::*;

    fn envelope(token: &str) -> archive_envelope::ActiveModel {
        testing::envelope_row(token, "3:in")
    }

    /// Envelopes in the panel database and in the journal file.
    async fn held(db: &DatabaseConnection, journal: &DatabaseConnection) -> (u64, u64) {
        let count = |db| archive_envelope::Entity::find().count(db);
        (
            count(db).await.expect("count"),
            count(journal).await.expect("count"),
        )
    }

    #[tokio::test]
    async fn the_panel_databases_envelopes_move_to_the_journal_file_once() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("p.sqlite3").display()
        );
        let db = connect(&url).await.expect("db");
        let tokens: Vec<String> = (0..450).map(|i| format!("{i:032x}")).collect();
        for token in &tokens {
            archive_envelope::Entity::insert(envelope(token))
                .exec_without_returning(&db)
                .await
                .expect("insert");
        }
        let path = dir.path().join("journal.sqlite3");
        let journal = connect_journal(&db, &path).await.expect("journal");
        assert_eq!(held(&db, &journal).await, (0, 450));
        let moved = archive_envelope::Entity::find_by_id(tokens[7].clone())
            .one(&journal)
            .await
            .expect("read")
            .expect("moved");
        assert_eq!(moved.recipients, "bob@demo.test");
        assert_eq!(moved.parties, "3:in");

        // As after a crash midway: one left in the panel database, already in the journal.
        archive_envelope::Entity::insert(envelope(&tokens[7]))
            .exec_without_returning(&db)
            .await
            .expect("insert");
        drop(journal);
        let journal = connect_journal(&db, &path).await.expect("journal again");
        assert_eq!(held(&db, &journal).await, (0, 450));
    }
}
