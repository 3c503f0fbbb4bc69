// SPDX-License-Identifier: AGPL-3.0-only
//! Web sessions kept in the panel database (SQLite or PostgreSQL through one code path), so a
//! restart signs nobody out and several nodes share them.

use std::time::Duration;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

use crate::db::web_session::{self, Entity as WebSession};

/// A `tower_sessions` store over the panel database.
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Deletes expired sessions every `period`, until the process ends.
    pub fn spawn_cleanup(&self, period: Duration) {
        let db = self.db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                if let Err(err) = WebSession::delete_many()
                    .filter(web_session::Column::ExpiresAt.lt(now))
                    .exec(&db)
                    .await
                {
                    tracing::warn!("expired session cleanup failed: {err}");
                }
            }
        });
    }
}

fn backend(err: impl std::fmt::Display) -> Error {
    Error::Backend(err.to_string())
}

fn row(record: &Record) -> Result<web_session::ActiveModel> {
    let data = serde_json::to_vec(record).map_err(|err| Error::Encode(err.to_string()))?;
    Ok(web_session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    /// A new session never takes over a stored one: on an id clash another id is drawn.
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            match WebSession::insert(row(record)?).exec(&self.db).await {
                Ok(_) => return Ok(()),
                Err(err)
                    if matches!(
                        err.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
                {
                    record.id = Id::default();
                }
                Err(err) => return Err(backend(err)),
            }
        }
    }

    /// Updates a stored session, and never brings back one that is gone: a request that
    /// loaded the session before a sign-out elsewhere finishes after it without undoing it.
    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_vec(record).map_err(|err| Error::Encode(err.to_string()))?;
        WebSession::update_many()
            .col_expr(web_session::Column::Data, Expr::value(data))
            .col_expr(
                web_session::Column::ExpiresAt,
                Expr::value(record.expiry_date.unix_timestamp()),
            )
            .filter(web_session::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let row = WebSession::find_by_id(id.to_string())
            .filter(web_session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(backend)?;
        row.map(|row| {
            serde_json::from_slice(&row.data).map_err(|err| Error::Decode(err.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        WebSession::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_session_never_takes_over_a_stored_one() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("s.sqlite3").display()
        );
        let db = crate::db::connect(&url).await.unwrap();
        let store = DbSessionStore::new(db);
        let expiry = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        let mut first = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: expiry,
        };
        first.data.insert("who".into(), serde_json::json!("first"));
        store.create(&mut first).await.unwrap();

        // A second session drawn with the same id gets another one.
        let mut second = first.clone();
        second
            .data
            .insert("who".into(), serde_json::json!("second"));
        store.create(&mut second).await.unwrap();
        assert_ne!(second.id, first.id);
        let kept = store.load(&first.id).await.unwrap().unwrap();
        assert_eq!(kept.data["who"], "first");
        let created = store.load(&second.id).await.unwrap().unwrap();
        assert_eq!(created.data["who"], "second");
    }

    #[tokio::test]
    async fn a_save_after_sign_out_does_not_bring_the_session_back() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("s.sqlite3").display()
        );
        let store = DbSessionStore::new(crate::db::connect(&url).await.unwrap());
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        // A request in flight loaded it; then the user signed out (the row is deleted).
        let in_flight = store.load(&record.id).await.unwrap().unwrap();
        store.delete(&record.id).await.unwrap();
        store.save(&in_flight).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
    }
}
