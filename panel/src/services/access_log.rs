// SPDX-License-Identifier: AGPL-3.0-only
//! The access log: every sign-in to the web panel (written here) and of every mail client
//! (from the engine's events), with its outcome. A postmaster or manager reads its domain's,
//! a user its own, an operator all of it; pages go newest first by id, so the thousandth page
//! costs what the first does. A mailbox that signs in from an address never seen before,
//! after failed attempts, is told by e-mail.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{ServiceError, Services};
use crate::db::{access_log, domain, mailbox};

/// Rows per page.
pub const ACCESS_PAGE: u64 = 50;
/// Rows a CSV export holds at most.
pub const EXPORT_LIMIT: u64 = 100_000;
/// How far back failures make a sign-in from a new address worth an e-mail.
const ALERT_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// How a sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessResult {
    Ok,
    WrongPassword,
    MissingCode,
    WrongCode,
    ProtocolDisabled,
    Banned,
}

impl AccessResult {
    pub fn code(self) -> &'static str {
        match self {
            AccessResult::Ok => "ok",
            AccessResult::WrongPassword => "wrong-password",
            AccessResult::MissingCode => "missing-code",
            AccessResult::WrongCode => "wrong-code",
            AccessResult::ProtocolDisabled => "protocol-disabled",
            AccessResult::Banned => "banned",
        }
    }

    pub const ALL: [AccessResult; 6] = [
        AccessResult::Ok,
        AccessResult::WrongPassword,
        AccessResult::MissingCode,
        AccessResult::WrongCode,
        AccessResult::ProtocolDisabled,
        AccessResult::Banned,
    ];

    fn failed(code: &str) -> bool {
        matches!(code, "wrong-password" | "missing-code" | "wrong-code")
    }
}

/// Protocols the log names.
pub const PROTOCOLS: [&str; 6] = ["web", "imap", "pop3", "smtp", "sieve", "xmpp"];

/// One sign-in to record.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    pub login: String,
    pub protocol: &'static str,
    pub result: AccessResult,
    pub ip: String,
    pub connection: Option<i64>,
}

/// Whose rows a reader sees.
#[derive(Debug, Clone)]
pub enum AccessScope {
    All,
    Domain(String),
    Login(String),
}

/// What a reader filters by; empty fields filter nothing.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    /// Part of the login.
    pub account: String,
    pub protocol: String,
    pub result: String,
    /// First day (UTC), `YYYY-MM-DD`.
    pub from: String,
    /// Last day (UTC), `YYYY-MM-DD`, included.
    pub to: String,
}

/// The times a search between two days covers: from the start of the first day to the
/// start of the day after the last; an empty day leaves its side open.
pub(super) struct Days {
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl Days {
    /// The days as typed (`YYYY-MM-DD`); a mistyped day, or a last day before the first, is
    /// the error of its form field.
    pub(super) fn parse(from: &str, to: &str) -> Result<Days, ServiceError> {
        let first = day("from", from)?;
        let last = day("to", to)?;
        if let (Some(first), Some(last)) = (first, last)
            && first > last
        {
            return Err(ServiceError::invalid(
                "to",
                app::i18n::Text::new(
                    "The last day comes before the first.",
                    "L'ultimo giorno viene prima del primo.",
                ),
            ));
        }
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        Ok(Days {
            start: first.and_then(start),
            end: last.and_then(|d| start(d.succ_opt().unwrap_or(d))),
        })
    }

    /// A condition narrowed to these days, on a time column.
    pub(super) fn narrow(&self, mut cond: Condition, column: impl ColumnTrait) -> Condition {
        if let Some(start) = self.start {
            cond = cond.add(column.gte(start));
        }
        if let Some(end) = self.end {
            cond = cond.add(column.lt(end));
        }
        cond
    }
}

/// A day typed as `YYYY-MM-DD` (empty: none), or the error for its form field.
fn day(field: &'static str, text: &str) -> Result<Option<NaiveDate>, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            ServiceError::invalid(
                field,
                app::i18n::Text::new(
                    "Enter a date as YYYY-MM-DD.",
                    "Inserisci una data come AAAA-MM-GG.",
                ),
            )
        })
}

impl AccessFilter {
    fn condition(&self, scope: &AccessScope) -> Result<Condition, ServiceError> {
        let mut cond = Condition::all();
        cond = match scope {
            AccessScope::All => cond,
            AccessScope::Domain(d) => cond.add(access_log::Column::Domain.eq(d.as_str())),
            AccessScope::Login(l) => cond.add(access_log::Column::Login.eq(l.as_str())),
        };
        let account = self.account.trim().to_lowercase();
        if !account.is_empty() {
            cond = cond.add(access_log::Column::Login.contains(&account));
        }
        if PROTOCOLS.contains(&self.protocol.as_str()) {
            cond = cond.add(access_log::Column::Protocol.eq(self.protocol.as_str()));
        }
        if AccessResult::ALL.iter().any(|r| r.code() == self.result) {
            cond = cond.add(access_log::Column::Result.eq(self.result.as_str()));
        }
        let days = Days::parse(&self.from, &self.to)?;
        Ok(days.narrow(cond, access_log::Column::At))
    }
}

impl Services {
    /// Records sign-ins, each under its mailbox's domain when it is a hosted one's, and
    /// e-mails a mailbox whose sign-in from a new address follows failed attempts.
    pub async fn log_access(&self, entries: Vec<AccessEntry>) -> Result<(), ServiceError> {
        if entries.is_empty() {
            return Ok(());
        }
        let hosted: HashSet<String> = domain::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.name)
            .collect();
        let domain_of = |login: &str| {
            login
                .rsplit_once('@')
                .map(|(_, d)| d.to_string())
                .filter(|d| hosted.contains(d))
        };
        // Which of the successful sign-ins come from an address new to their mailbox, asked
        // before these rows are written, once for each account and address.
        let mut alerts = Vec::new();
        {
            let mut asked = HashSet::new();
            for entry in &entries {
                if entry.result == AccessResult::Ok
                    && domain_of(&entry.login).is_some()
                    && asked.insert((entry.login.as_str(), entry.ip.as_str()))
                    && self.new_address_after_failures(entry).await?
                {
                    alerts.push(entry.clone());
                }
            }
        }
        let rows: Vec<access_log::ActiveModel> = entries
            .into_iter()
            .map(|e| access_log::ActiveModel {
                at: Set(e.at),
                domain: Set(domain_of(&e.login)),
                login: Set(e.login),
                protocol: Set(e.protocol.to_string()),
                result: Set(e.result.code().to_string()),
                remote_ip: Set(e.ip),
                connection: Set(e.connection),
                ..Default::default()
            })
            .collect();
        access_log::Entity::insert_many(rows).exec(&self.db).await?;
        for alert in alerts {
            let services = self.clone();
            tokio::spawn(async move { services.send_new_address_alert(&alert).await });
        }
        Ok(())
    }

    /// Whether `entry` signs in from an address its login never signed in from, while the
    /// login had failed attempts in the last day.
    async fn new_address_after_failures(&self, entry: &AccessEntry) -> Result<bool, ServiceError> {
        // Failures first: most sign-ins follow none, and then the address is not asked about.
        // Each question stops at its first row, found by its own index.
        let failed = access_log::Entity::find()
            .select_only()
            .column(access_log::Column::Id)
            .filter(access_log::Column::Login.eq(&entry.login))
            .filter(
                access_log::Column::Result
                    .is_in(["wrong-password", "missing-code", "wrong-code"].map(String::from)),
            )
            .filter(access_log::Column::At.gte(entry.at - ALERT_WINDOW))
            .into_tuple::<i64>()
            .one(&self.db)
            .await?
            .is_some();
        if !failed {
            return Ok(false);
        }
        let seen = access_log::Entity::find()
            .select_only()
            .column(access_log::Column::Id)
            .filter(access_log::Column::Login.eq(&entry.login))
            .filter(access_log::Column::RemoteIp.eq(&entry.ip))
            .filter(access_log::Column::Result.eq("ok"))
            .into_tuple::<i64>()
            .one(&self.db)
            .await?
            .is_some();
        Ok(!seen)
    }

    async fn send_new_address_alert(&self, entry: &AccessEntry) {
        let exists = mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(&entry.login))
            .count(&self.db)
            .await
            .is_ok_and(|n| n > 0);
        if !exists {
            return;
        }
        let when = entry.at.format("%Y-%m-%d %H:%M UTC");
        let protocol = entry.protocol.to_uppercase();
        let url = &self.mail.public_url;
        let body = format!(
            "Il tuo account {login} ha effettuato l'accesso ({protocol}) da un indirizzo mai visto \
             prima, {ip}, il {when}, dopo tentativi di accesso non riusciti.\n\
             Se non sei stato tu, cambia subito la password e attiva l'autenticazione a due \
             fattori: {url}/account/security\n\n---\n\n\
             Your account {login} signed in ({protocol}) from an address never seen before, {ip}, \
             on {when}, after failed sign-in attempts.\n\
             If this was not you, change your password now and turn on two-factor \
             authentication: {url}/account/security\n",
            login = entry.login,
            ip = entry.ip,
        );
        if let Err(err) = self
            .mailer
            .send(
                &entry.login,
                "Nuovo accesso al tuo account / New sign-in to your account",
                body,
            )
            .await
        {
            tracing::warn!(login = %entry.login, %err, "new-address alert not sent");
        }
    }

    /// A page of the access log, newest first: rows older than `before` (a row id), and
    /// whether there are more after them.
    pub async fn access_page(
        &self,
        scope: &AccessScope,
        filter: &AccessFilter,
        before: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<access_log::Model>, bool), ServiceError> {
        let mut query = access_log::Entity::find().filter(filter.condition(scope)?);
        if let Some(before) = before {
            query = query.filter(access_log::Column::Id.lt(before));
        }
        let mut rows = query
            .order_by_desc(access_log::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((rows, more))
    }

    /// Deletes access-log rows older than `days` days.
    pub async fn purge_access_log(&self, days: u32) -> Result<u64, ServiceError> {
        let cutoff = Utc::now() - chrono::Duration::days(i64::from(days));
        Ok(access_log::Entity::delete_many()
            .filter(access_log::Column::At.lt(cutoff))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Purges the access log and the message trace past their retention, and chat upload
    /// slots that got no file, once at start and then every hour.
    pub fn spawn_log_purge(&self) {
        let services = self.clone();
        let days = self.log_days;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                match services.purge_access_log(days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(rows = n, days, "old access-log rows purged"),
                    Err(err) => tracing::warn!(%err, "access log not purged"),
                }
                match services.purge_trace(days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(rows = n, days, "old message-trace rows purged"),
                    Err(err) => tracing::warn!(%err, "message trace not purged"),
                }
                match services.purge_chat_slots().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(slots = n, "unused chat upload slots forgotten"),
                    Err(err) => tracing::warn!(%err, "chat upload slots not purged"),
                }
            }
        });
    }
}

/// Whether a failed outcome code (for the filters' wording and the alert).
pub fn is_failure(code: &str) -> bool {
    AccessResult::failed(code)
}

#[cfg(test)]
mod tests {
    use super::Days;
    use crate::services::ServiceError;

    fn refused_field(from: &str, to: &str) -> Option<&'static str> {
        match Days::parse(from, to) {
            Err(ServiceError::Invalid { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn days_are_named_on_their_field_when_wrong() {
        assert_eq!(refused_field("", ""), None);
        assert_eq!(refused_field("2026-12-01", "2026-12-01"), None);
        assert_eq!(refused_field("1 December", ""), Some("from"));
        assert_eq!(refused_field("", "2026-13-01"), Some("to"));
        assert_eq!(refused_field("2026-12-05", "2026-12-01"), Some("to"));
    }

    #[test]
    fn the_last_day_is_included_whole() {
        let days = Days::parse("2026-12-01", "2026-12-01").unwrap();
        assert_eq!(
            days.start.unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(days.end.unwrap().to_rfc3339(), "2026-12-02T00:00:00+00:00");
    }
}
