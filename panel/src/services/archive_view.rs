// SPDX-License-Identifier: AGPL-3.0-only
//! Reading an archive: [`ArchiveReach`] is what a reader may reach (a set of archives and,
//! for a delegate, a window of dates), carried into every query, so no page can ask past
//! it. The owner reaches its own mailbox's archive, whole.

use chrono::{NaiveDate, NaiveTime};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};

use super::{
    Actor, Caller, ServiceError, Services,
    archive::{Direction, first_key_of, owner_word},
    audit::AuditEntry,
};
use crate::{
    content_store::{ObjectHash, ReadError},
    db::{archive, archive_message},
};

/// The most matches a search counts (it says "more" beyond).
pub const COUNT_CAP: u64 = 1000;

/// What one reader may reach of the archives: only through it are archived messages read.
pub struct ArchiveReach<'a> {
    services: &'a Services,
    archives: Vec<archive::Model>,
    /// Only messages received inside it (a delegate's window), both days included.
    window: Option<(NaiveDate, NaiveDate)>,
    /// May put messages back into the mailbox (the owner).
    owner: bool,
    caller: Caller,
}

/// A search of one folder ("Posta in arrivo" or "Posta inviata") of the reach's archives.
#[derive(Debug, Clone, Default)]
pub struct ArchiveSearch {
    pub direction: Option<Direction>,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// Words anywhere: sender, recipients, subject, text and attachment names.
    pub text: String,
    /// Received on or after / on or before these days.
    pub after: Option<NaiveDate>,
    pub before: Option<NaiveDate>,
    pub offset: u64,
    pub limit: u64,
}

impl ArchiveSearch {
    fn has_words(&self) -> bool {
        [&self.from, &self.to, &self.subject, &self.text]
            .iter()
            .any(|f| f.split_whitespace().next().is_some())
    }
}

/// A page of a search: its rows, how many matched (up to [`COUNT_CAP`]), and whether more did.
#[derive(Debug, Clone, Default)]
pub struct ArchivePage {
    pub rows: Vec<archive_message::Model>,
    pub total: u64,
    pub more: bool,
}

impl Services {
    /// The caller's own mailbox's archive (switched on now, or holding what it kept);
    /// staff without a mailbox have none.
    pub async fn own_archive(&self, caller: &Caller) -> Result<ArchiveReach<'_>, ServiceError> {
        super::ready(caller)?;
        let mailbox = match &caller.actor {
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => mailbox,
            Actor::Operator(_) | Actor::Manager(_) => return Err(ServiceError::Forbidden),
        };
        let archives = archive::Entity::find()
            .filter(archive::Column::MailboxId.eq(mailbox.id))
            .all(&self.db)
            .await?;
        Ok(ArchiveReach {
            services: self,
            archives,
            window: None,
            owner: true,
            caller: caller.clone(),
        })
    }
}

impl ArchiveReach<'_> {
    /// The archives reached (the owner's: none or one).
    pub fn archives(&self) -> &[archive::Model] {
        &self.archives
    }

    fn ids(&self) -> Vec<i32> {
        self.archives.iter().map(|a| a.id).collect()
    }

    /// The days a search covers, both included: its own, within the reach's window.
    fn days(&self, search: &ArchiveSearch) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let after = match (search.after, self.window.map(|w| w.0)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let before = match (search.before, self.window.map(|w| w.1)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (after, before)
    }

    /// Messages per folder: received, sent. The owner's are the archive's own counts; a
    /// window's are counted, up to [`COUNT_CAP`] (and one) each.
    pub async fn counts(&self) -> Result<(u64, u64), ServiceError> {
        if self.window.is_none() {
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            return Ok(self
                .archives
                .iter()
                .fold((0, 0), |(r, s), a| (r + n(a.received), s + n(a.sent))));
        }
        let mut counts = [0, 0];
        for (i, direction) in [Direction::In, Direction::Out].into_iter().enumerate() {
            let search = ArchiveSearch {
                direction: Some(direction),
                ..ArchiveSearch::default()
            };
            counts[i] = self
                .listed(&search)
                .limit(COUNT_CAP + 1)
                .count(&self.services.db)
                .await?;
        }
        Ok((counts[0], counts[1]))
    }

    /// The rows a search without words lists, by the (archive, direction, arrival) index.
    fn listed(&self, search: &ArchiveSearch) -> sea_orm::Select<archive_message::Entity> {
        let (after, before) = self.days(search);
        let mut find = archive_message::Entity::find()
            .filter(archive_message::Column::ArchiveId.is_in(self.ids()));
        if let Some(direction) = search.direction {
            find = find.filter(archive_message::Column::Direction.eq(direction.as_str()));
        }
        if let Some(after) = after {
            find = find.filter(
                archive_message::Column::ReceivedAt.gte(after.and_time(NaiveTime::MIN).and_utc()),
            );
        }
        if let Some(next) = before.and_then(|d| d.succ_opt()) {
            find = find.filter(
                archive_message::Column::ReceivedAt.lt(next.and_time(NaiveTime::MIN).and_utc()),
            );
        }
        find
    }

    /// A page of what the search finds, newest first.
    pub async fn search(&self, search: &ArchiveSearch) -> Result<ArchivePage, ServiceError> {
        if self.archives.is_empty() {
            return Ok(ArchivePage::default());
        }
        if search.has_words() {
            return self.search_words(search).await;
        }
        let find = self.listed(search);
        let counted = if search.after.is_none() && search.before.is_none() {
            let (received, sent) = self.counts().await?;
            match search.direction {
                Some(Direction::In) => received,
                Some(Direction::Out) => sent,
                None => received + sent,
            }
        } else {
            find.clone()
                .limit(COUNT_CAP + 1)
                .count(&self.services.db)
                .await?
        };
        // The owner's counts are exact; any other is capped.
        let capped = self.window.is_some() || search.after.is_some() || search.before.is_some();
        let rows = find
            .order_by_desc(archive_message::Column::ReceivedAt)
            .order_by_desc(archive_message::Column::Id)
            .offset(search.offset)
            .limit(search.limit)
            .all(&self.services.db)
            .await?;
        Ok(ArchivePage {
            rows,
            total: if capped {
                counted.min(COUNT_CAP)
            } else {
                counted
            },
            more: capped && counted > COUNT_CAP,
        })
    }

    /// A search with words, through the text index: matches come newest first (by search
    /// key) and stop at the page, and a date range is a range of keys, so its cost follows
    /// the page, not the archive's size.
    async fn search_words(&self, search: &ArchiveSearch) -> Result<ArchivePage, ServiceError> {
        let db = &self.services.db;
        let backend = db.get_database_backend();
        let directions: Vec<Direction> = match search.direction {
            Some(d) => vec![d],
            None => vec![Direction::In, Direction::Out],
        };
        let owners: Vec<String> = self
            .archives
            .iter()
            .flat_map(|a| directions.iter().map(|d| owner_word(a.id, *d)))
            .collect();
        let (sql_where, mut values) = match backend {
            DatabaseBackend::Sqlite => fts5_condition(search, &owners),
            _ => postgres_condition(search, &owners),
        };
        let key = match backend {
            DatabaseBackend::Sqlite => "s.rowid",
            _ => "s.id",
        };
        let mark = |n: usize| match backend {
            DatabaseBackend::Sqlite => "?".to_string(),
            _ => format!("${n}"),
        };
        let mut dated = String::new();
        let (after, before) = self.days(search);
        if let Some(after) = after {
            values.push(first_key_of(after).into());
            dated.push_str(&format!(" AND {key} >= {}", mark(values.len())));
        }
        if let Some(next) = before.and_then(|d| d.succ_opt()) {
            values.push(first_key_of(next).into());
            dated.push_str(&format!(" AND {key} < {}", mark(values.len())));
        }
        let matched = format!(
            "SELECT {key} AS k FROM archive_search s WHERE {sql_where}{dated} ORDER BY {key} DESC"
        );
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM ({matched} LIMIT {}) found",
            COUNT_CAP + 1
        );
        let counted = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                &count_sql,
                values.clone(),
            ))
            .await?
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        let page_sql = format!("{matched} LIMIT {} OFFSET {}", search.limit, search.offset);
        let keys: Vec<i64> = db
            .query_all_raw(Statement::from_sql_and_values(backend, &page_sql, values))
            .await?
            .into_iter()
            .filter_map(|row| row.try_get::<i64>("", "k").ok())
            .collect();
        let mut rows = archive_message::Entity::find()
            .filter(archive_message::Column::SearchKey.is_in(keys))
            .filter(archive_message::Column::ArchiveId.is_in(self.ids()))
            .all(db)
            .await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.search_key));
        let total = u64::try_from(counted).unwrap_or(0);
        Ok(ArchivePage {
            rows,
            total: total.min(COUNT_CAP),
            more: total > COUNT_CAP,
        })
    }

    /// An archived message in reach, with its bytes (checked against their hash: a changed
    /// file is reported and never served).
    pub async fn open(&self, id: i32) -> Result<(archive_message::Model, Vec<u8>), ServiceError> {
        let row = archive_message::Entity::find_by_id(id)
            .filter(archive_message::Column::ArchiveId.is_in(self.ids()))
            .one(&self.services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some((first, last)) = self.window {
            let day = row.received_at.date_naive();
            if day < first || day > last {
                return Err(ServiceError::NotFound);
            }
        }
        let hash: ObjectHash = row
            .object_hash
            .parse()
            .map_err(|_| ServiceError::Internal("an archived message has no valid hash".into()))?;
        let store = &self.services.time_machine_settings()?.store;
        let bytes = store.get(hash).await.map_err(|err| match err {
            ReadError::Missing => ServiceError::NotFound,
            other => {
                tracing::error!(%other, archive = row.archive_id, message = row.id, "an archived message could not be read");
                ServiceError::Internal(other.to_string())
            }
        })?;
        Ok((row, bytes))
    }

    /// Puts an archived message back into the owner's mailbox: a received one into the
    /// Inbox, a sent one into Sent, unread, with its arrival time. The owner only.
    pub async fn put_back(&self, id: i32) -> Result<archive_message::Model, ServiceError> {
        if !self.owner {
            return Err(ServiceError::Forbidden);
        }
        let (row, bytes) = self.open(id).await?;
        let login = self.caller.actor.login().to_string();
        let access = self.services.engine.mail_of(&login).await?;
        let role = match Direction::parse(&row.direction) {
            Some(Direction::Out) => "sent",
            _ => "inbox",
        };
        let folder = access
            .folders()
            .await?
            .into_iter()
            .find(|f| f.role.as_deref() == Some(role))
            .ok_or(ServiceError::NotFound)?;
        access
            .restore_message(
                &bytes,
                &[folder.id],
                &[],
                u64::try_from(row.received_at.timestamp()).unwrap_or(0),
            )
            .await?;
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "archive.put_back",
                    domain: self.caller.actor.domain_name(),
                    target: &login,
                    before: None,
                    after: Some(format!("{} <{}>", row.subject, row.message_id)),
                },
            )
            .await;
        Ok(row)
    }
}

/// An FTS5 phrase: the user's text as one quoted string (its words in order).
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The FTS5 condition: one owner word among the reach's, and every word given, each in
/// its field.
fn fts5_condition(search: &ArchiveSearch, owners: &[String]) -> (String, Vec<Value>) {
    let mut parts = vec![format!(
        "owner : ({})",
        owners
            .iter()
            .map(|o| phrase(o))
            .collect::<Vec<_>>()
            .join(" OR ")
    )];
    for (column, text) in [
        ("sender", &search.from),
        ("recipients", &search.to),
        ("subject", &search.subject),
        ("", &search.text),
    ] {
        for word in text.split_whitespace() {
            // Words with no letter or digit (a lone `@`) match nothing and are left out.
            if !word.chars().any(char::is_alphanumeric) {
                continue;
            }
            parts.push(if column.is_empty() {
                format!("{{sender recipients subject body}} : {}", phrase(word))
            } else {
                format!("{column} : {}", phrase(word))
            });
        }
    }
    (
        "archive_search MATCH ?".to_string(),
        vec![parts.join(" AND ").into()],
    )
}

/// The PostgreSQL condition: one owner among the reach's, every field's words as a phrase.
fn postgres_condition(search: &ArchiveSearch, owners: &[String]) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = vec![owners.to_vec().into()];
    let mut sql = "s.owner = ANY($1)".to_string();
    for (column, text) in [
        ("sender", &search.from),
        ("recipients", &search.to),
        ("subject", &search.subject),
    ] {
        for word in text.split_whitespace() {
            values.push(word.to_string().into());
            sql.push_str(&format!(
                " AND s.{column} @@ phraseto_tsquery('simple', ${})",
                values.len()
            ));
        }
    }
    for word in search.text.split_whitespace() {
        values.push(word.to_string().into());
        let n = values.len();
        sql.push_str(&format!(
            " AND (s.sender @@ phraseto_tsquery('simple', ${n}) OR s.recipients @@ phraseto_tsquery('simple', ${n}) \
             OR s.subject @@ phraseto_tsquery('simple', ${n}) OR s.body @@ phraseto_tsquery('simple', ${n}))"
        ));
    }
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_quoted_for_fts5_and_keeps_to_its_owners() {
        let search = ArchiveSearch {
            from: "anna@example.test".into(),
            text: "fattura \"marzo\" @".into(),
            ..ArchiveSearch::default()
        };
        let (sql, values) = fts5_condition(&search, &["a3in".into(), "a3out".into()]);
        assert_eq!(sql, "archive_search MATCH ?");
        let Value::String(Some(query)) = &values[0] else {
            panic!("{values:?}")
        };
        assert_eq!(
            query.as_str(),
            "owner : (\"a3in\" OR \"a3out\") AND sender : \"anna@example.test\" \
             AND {sender recipients subject body} : \"fattura\" \
             AND {sender recipients subject body} : \"\"\"marzo\"\"\""
        );
    }
}
