// SPDX-License-Identifier: AGPL-3.0-only
//! Web sessions kept in the panel database (SQLite or PostgreSQL through one code path), so a
//! restart signs nobody out and several nodes share them.

use std::time::Duration;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
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

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_vec(record).map_err(|err| Error::Encode(err.to_string()))?;
        let row = web_session::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expires_at: Set(record.expiry_date.unix_timestamp()),
        };
        WebSession::insert(row)
            .on_conflict(
                OnConflict::column(web_session::Column::Id)
                    .update_columns([web_session::Column::Data, web_session::Column::ExpiresAt])
                    .to_owned(),
            )
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
