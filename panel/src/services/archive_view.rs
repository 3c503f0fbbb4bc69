// SPDX-License-Identifier: AGPL-3.0-only
//! Reading an archive: [`ArchiveReach`] is what a reader may reach (a set of archives and,
//! for a delegate, a window of dates), carried into every query, so no page can ask past
//! it. The owner reaches its own mailbox's archive, whole; a delegate reaches the archives
//! its manager gave it, inside its window, until its expiry, and every message it opens is
//! written to the read log by the reach itself before the bytes are handed out.

use chrono::{NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::{
    Actor, Caller, ServiceError, Services,
    archive::{Direction, first_key_of},
    archive_index::{condition, folder_prefix},
    audit::AuditEntry,
};
use crate::{
    content_store::{ObjectHash, ReadError},
    db::{archive, archive_message, archive_read, delegate},
};

/// The most matches a search counts (it says "more" beyond).
pub const COUNT_CAP: u64 = 1000;

/// A read of the same message by the same delegate within this many seconds is logged once
/// (the reader's page and its frame load the message twice).
const SAME_READ_SECONDS: i64 = 600;

/// Who reads through a reach.
#[derive(Clone)]
enum Reader {
    /// The mailbox's own user: the whole archive, may put messages back.
    Owner,
    /// A delegate: only its window, every read logged.
    Delegate(delegate::Model),
}

/// What a message is opened for, as the read log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Shown in the reader (its page or its frame).
    Read,
    /// Downloaded as an `.eml` file.
    Download,
    /// One of its attachments downloaded.
    Attachment,
    /// Downloaded in a `.zip` with others.
    Zip,
    /// Put back into the owner's mailbox.
    PutBack,
}

impl Use {
    fn as_str(self) -> &'static str {
        match self {
            Use::Read => "read",
            Use::Download => "download",
            Use::Attachment => "attachment",
            Use::Zip => "zip",
            Use::PutBack => "put_back",
        }
    }
}

/// What one reader may reach of the archives: only through it are archived messages read.
#[derive(Clone)]
pub struct ArchiveReach<'a> {
    services: &'a Services,
    archives: Vec<archive::Model>,
    /// Only messages received on or after / on or before these days (a delegate's window).
    window: (Option<NaiveDate>, Option<NaiveDate>),
    reader: Reader,
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
    /// What the caller may read of the archives: a mailbox user its own mailbox's (switched
    /// on now, or holding what it kept), a delegate what its manager gave it; other staff
    /// none.
    pub async fn archive_reach(&self, caller: &Caller) -> Result<ArchiveReach<'_>, ServiceError> {
        super::ready(caller)?;
        match &caller.actor {
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => {
                let archives = archive::Entity::find()
                    .filter(archive::Column::MailboxId.eq(mailbox.id))
                    .all(&self.db)
                    .await?;
                Ok(ArchiveReach {
                    services: self,
                    archives,
                    window: (None, None),
                    reader: Reader::Owner,
                    caller: caller.clone(),
                })
            }
            Actor::Delegate(delegate) => {
                // Past its last day a delegate reaches nothing: every message is "not found".
                if Utc::now().date_naive() > delegate.expires_on {
                    return Err(ServiceError::NotFound);
                }
                Ok(ArchiveReach {
                    services: self,
                    archives: self.archives_of(delegate).await?,
                    window: (delegate.window_from, delegate.window_to),
                    reader: Reader::Delegate(delegate.clone()),
                    caller: caller.clone(),
                })
            }
            Actor::Operator(_) | Actor::Manager(_) => Err(ServiceError::Forbidden),
        }
    }
}

impl ArchiveReach<'_> {
    /// The archives reached (the owner's: none or one), by address.
    pub fn archives(&self) -> &[archive::Model] {
        &self.archives
    }

    /// The same reach narrowed to one of its archives; any other is "not found".
    pub fn only(&self, archive_id: i32) -> Result<Self, ServiceError> {
        let kept = self
            .archives
            .iter()
            .find(|a| a.id == archive_id)
            .cloned()
            .ok_or(ServiceError::NotFound)?;
        Ok(ArchiveReach {
            archives: vec![kept],
            ..self.clone()
        })
    }

    /// Whether the reader is the archive's own mailbox (not a delegate).
    pub fn is_owner(&self) -> bool {
        matches!(self.reader, Reader::Owner)
    }

    /// The days the reader may see, both included (a delegate's window; open ends `None`).
    pub fn window(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        self.window
    }

    /// A delegate's last day of access.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        match &self.reader {
            Reader::Delegate(d) => Some(d.expires_on),
            Reader::Owner => None,
        }
    }

    fn windowed(&self) -> bool {
        self.window.0.is_some() || self.window.1.is_some()
    }

    fn ids(&self) -> Vec<i32> {
        self.archives.iter().map(|a| a.id).collect()
    }

    /// The days a search covers, both included: its own, within the reach's window.
    fn days(&self, search: &ArchiveSearch) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let after = match (search.after, self.window.0) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let before = match (search.before, self.window.1) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (after, before)
    }

    /// Messages per folder: received, sent. Without a window they are the archives' own
    /// counts; a window's are counted, up to [`COUNT_CAP`] (and one) each.
    pub async fn counts(&self) -> Result<(u64, u64), ServiceError> {
        if !self.windowed() {
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
        self.list(search).await
    }

    /// A page of the folder, newest first, within the dates asked.
    async fn list(&self, search: &ArchiveSearch) -> Result<ArchivePage, ServiceError> {
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
        let capped = self.windowed() || search.after.is_some() || search.before.is_some();
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
        let prefixes: Vec<String> = self
            .archives
            .iter()
            .flat_map(|a| directions.iter().map(|d| folder_prefix(a.id, *d)))
            .collect();
        let Some((sql_where, mut values)) = condition(backend, search, &prefixes) else {
            // Only punctuation: nothing to look for in the text, the folder as it is.
            return self.list(search).await;
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
        // By search key alone (its unique index): a condition on the archive too leads
        // SQLite's planner to walk the whole archive by its listing index instead. The
        // reach is kept all the same, on the rows found.
        let ids = self.ids();
        let mut rows = archive_message::Entity::find()
            .filter(archive_message::Column::SearchKey.is_in(keys))
            .all(db)
            .await?;
        rows.retain(|row| ids.contains(&row.archive_id));
        rows.sort_by_key(|r| std::cmp::Reverse(r.search_key));
        let total = u64::try_from(counted).unwrap_or(0);
        Ok(ArchivePage {
            rows,
            total: total.min(COUNT_CAP),
            more: total > COUNT_CAP,
        })
    }

    /// An archived message in reach, with its bytes (checked against their hash: a changed
    /// file is reported and never served). A delegate's read is logged first: a read the log
    /// could not record is refused.
    pub async fn open(
        &self,
        id: i32,
        purpose: Use,
    ) -> Result<(archive_message::Model, Vec<u8>), ServiceError> {
        let row = archive_message::Entity::find_by_id(id)
            .filter(archive_message::Column::ArchiveId.is_in(self.ids()))
            .one(&self.services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let day = row.received_at.date_naive();
        if self.window.0.is_some_and(|first| day < first)
            || self.window.1.is_some_and(|last| day > last)
        {
            return Err(ServiceError::NotFound);
        }
        if let Reader::Delegate(delegate) = &self.reader {
            self.log_read(delegate, &row, purpose).await?;
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

    /// Writes one delegate read to the log (a read of a message it read in the last minutes
    /// is already there).
    async fn log_read(
        &self,
        delegate: &delegate::Model,
        row: &archive_message::Model,
        purpose: Use,
    ) -> Result<(), ServiceError> {
        let db = &self.services.db;
        let now = Utc::now();
        if purpose == Use::Read {
            let recent = archive_read::Entity::find()
                .filter(archive_read::Column::DelegateId.eq(delegate.id))
                .filter(archive_read::Column::MessageRow.eq(row.id))
                .filter(archive_read::Column::Action.eq(Use::Read.as_str()))
                .filter(
                    archive_read::Column::At.gt(now - chrono::Duration::seconds(SAME_READ_SECONDS)),
                )
                .count(db)
                .await?;
            if recent > 0 {
                return Ok(());
            }
        }
        archive_read::ActiveModel {
            archive_id: Set(row.archive_id),
            delegate_id: Set(Some(delegate.id)),
            manager_id: Set(Some(delegate.manager_id)),
            reader: Set(delegate.login.clone()),
            reader_name: Set(delegate.display_name.clone()),
            message_row: Set(Some(row.id)),
            subject: Set(row.subject.clone()),
            message_id: Set(row.message_id.clone()),
            action: Set(purpose.as_str().to_string()),
            ip: Set(self.caller.ip.to_string()),
            at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// How many delegate reads the reach's archives have (the owner's only).
    pub async fn reads_count(&self) -> Result<u64, ServiceError> {
        if !self.is_owner() {
            return Err(ServiceError::Forbidden);
        }
        Ok(archive_read::Entity::find()
            .filter(archive_read::Column::ArchiveId.is_in(self.ids()))
            .count(&self.services.db)
            .await?)
    }

    /// Who read what of the reach's archives, newest first: the owner's view of its
    /// delegates' reads. A page of `limit`, and how many there are.
    pub async fn reads(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<archive_read::Model>, u64), ServiceError> {
        if !self.is_owner() {
            return Err(ServiceError::Forbidden);
        }
        let find =
            archive_read::Entity::find().filter(archive_read::Column::ArchiveId.is_in(self.ids()));
        let total = find.clone().count(&self.services.db).await?;
        let rows = find
            .order_by_desc(archive_read::Column::At)
            .order_by_desc(archive_read::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.services.db)
            .await?;
        Ok((rows, total))
    }

    /// Puts an archived message back into the owner's mailbox: a received one into the
    /// Inbox, a sent one into Sent, unread, with its arrival time. The owner only.
    pub async fn put_back(&self, id: i32) -> Result<archive_message::Model, ServiceError> {
        if !self.is_owner() {
            return Err(ServiceError::Forbidden);
        }
        let (row, bytes) = self.open(id, Use::PutBack).await?;
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
