// SPDX-License-Identifier: AGPL-3.0-only
//! Delegates (seed 002: "Delegati, utenti a cui è consentito l'accesso agli Archivi"): people,
//! not mailboxes, whom a manager lets read some archives of its domains — until a day, and
//! only messages inside a window of dates. A delegate is a web-only account like a manager's:
//! its generated password is e-mailed and must be changed at first sign-in, and the staff's
//! two-factor rule applies to it. What it reads is logged by its reach
//! (`archive_view::ArchiveReach`); the manager sees its delegates' log here.

use app::i18n::Text;
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

use super::{
    Actor, AuditEntry, Caller, ServiceError, Services, hash_password,
    names::{self, clean_text},
    passwords,
};
use crate::db::{
    archive, archive_read, delegate, delegate_archive, domain, intent, manager, new_session_key,
};

/// Reads one page of the log shows.
pub const READS_PAGE: u64 = 50;

/// What a manager gives a delegate. Dates are `YYYY-MM-DD`; an empty window bound is open.
#[derive(Debug, Clone, Default)]
pub struct DelegateInput {
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub expires_on: String,
    pub window_from: String,
    pub window_to: String,
    /// The archives it may read (their ids).
    pub archives: Vec<i32>,
}

/// A delegate with the archives it may read (by mailbox address).
#[derive(Debug, Clone)]
pub struct DelegateRow {
    pub delegate: delegate::Model,
    pub archives: Vec<archive::Model>,
}

/// The checked form of a [`DelegateInput`] (all but the login).
struct Checked {
    display_name: String,
    email: String,
    expires_on: NaiveDate,
    window_from: Option<NaiveDate>,
    window_to: Option<NaiveDate>,
    archives: Vec<archive::Model>,
}

/// A manager's delegates: what only a manager may do with them.
pub struct DelegatesScope<'a> {
    services: &'a Services,
    caller: Caller,
    manager: manager::Model,
}

impl Services {
    /// The caller's delegates, for managers only.
    pub fn delegates_scope(&self, caller: &Caller) -> Result<DelegatesScope<'_>, ServiceError> {
        super::ready(caller)?;
        match &caller.actor {
            Actor::Manager(manager) => Ok(DelegatesScope {
                services: self,
                caller: caller.clone(),
                manager: manager.clone(),
            }),
            _ => Err(ServiceError::Forbidden),
        }
    }
}

/// A day typed in a form: `YYYY-MM-DD`, between 2000 and 2200; `None` when empty.
fn day(field: &'static str, text: &str) -> Result<Option<NaiveDate>, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2200).contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| {
            ServiceError::invalid(
                field,
                Text::new(
                    "Enter a date as YYYY-MM-DD.",
                    "Inserisci una data come AAAA-MM-GG.",
                ),
            )
        })
}

impl DelegatesScope<'_> {
    /// The archives of the manager's domains (on now, or keeping what they hold), by address.
    pub async fn offered_archives(&self) -> Result<Vec<archive::Model>, ServiceError> {
        let domains: Vec<i32> = domain::Entity::find()
            .filter(domain::Column::ManagerId.eq(self.manager.id))
            .all(&self.services.db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        Ok(archive::Entity::find()
            .filter(archive::Column::DomainId.is_in(domains))
            .order_by_asc(archive::Column::Address)
            .order_by_asc(archive::Column::Id)
            .all(&self.services.db)
            .await?)
    }

    /// The manager's delegates, by login, each with its archives.
    pub async fn list(&self) -> Result<Vec<DelegateRow>, ServiceError> {
        let delegates = delegate::Entity::find()
            .filter(delegate::Column::ManagerId.eq(self.manager.id))
            .order_by_asc(delegate::Column::Login)
            .all(&self.services.db)
            .await?;
        let mut rows = Vec::with_capacity(delegates.len());
        for delegate in delegates {
            let archives = self.services.archives_of(&delegate).await?;
            rows.push(DelegateRow { delegate, archives });
        }
        Ok(rows)
    }

    /// One of the manager's delegates; any other login is "not found".
    pub async fn find(&self, login: &str) -> Result<DelegateRow, ServiceError> {
        let delegate = delegate::Entity::find()
            .filter(delegate::Column::Login.eq(login.trim().to_ascii_lowercase()))
            .filter(delegate::Column::ManagerId.eq(self.manager.id))
            .one(&self.services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let archives = self.services.archives_of(&delegate).await?;
        Ok(DelegateRow { delegate, archives })
    }

    /// Checks a form: a name, an e-mail address, an expiry from today on, a window whose
    /// start is not after its end, and at least one of the manager's archives.
    async fn check(&self, input: &DelegateInput) -> Result<Checked, ServiceError> {
        let display_name = clean_text(&input.display_name, "display_name", 100)?;
        if display_name.is_empty() {
            return Err(ServiceError::invalid(
                "display_name",
                Text::new(
                    "Enter the delegate's name.",
                    "Inserisci il nome del delegato.",
                ),
            ));
        }
        let email =
            names::email(&input.email).map_err(|msg| ServiceError::invalid("email", msg))?;
        let expires_on = day("expires_on", &input.expires_on)?.ok_or_else(|| {
            ServiceError::invalid(
                "expires_on",
                Text::new(
                    "Enter the last day of the access.",
                    "Inserisci l'ultimo giorno dell'accesso.",
                ),
            )
        })?;
        if expires_on < Utc::now().date_naive() {
            return Err(ServiceError::invalid(
                "expires_on",
                Text::new(
                    "The access must last at least until today.",
                    "L'accesso deve durare almeno fino a oggi.",
                ),
            ));
        }
        let window_from = day("window_from", &input.window_from)?;
        let window_to = day("window_to", &input.window_to)?;
        if let (Some(from), Some(to)) = (window_from, window_to)
            && from > to
        {
            return Err(ServiceError::invalid(
                "window_to",
                Text::new(
                    "The window ends before it starts.",
                    "Il periodo finisce prima di cominciare.",
                ),
            ));
        }
        let offered = self.offered_archives().await?;
        let archives: Vec<archive::Model> = offered
            .into_iter()
            .filter(|a| input.archives.contains(&a.id))
            .collect();
        if archives.is_empty() || archives.len() != dedup_len(&input.archives) {
            return Err(ServiceError::invalid(
                "archives",
                Text::new(
                    "Choose at least one archive of your domains.",
                    "Scegli almeno un archivio dei tuoi domini.",
                ),
            ));
        }
        Ok(Checked {
            display_name,
            email,
            expires_on,
            window_from,
            window_to,
            archives,
        })
    }

    /// Creates a delegate: a web-only account in the engine's directory whose generated
    /// password is e-mailed to the delegate, to be changed at first sign-in.
    pub async fn create(&self, input: &DelegateInput) -> Result<delegate::Model, ServiceError> {
        let login =
            names::staff_login(&input.login).map_err(|msg| ServiceError::invalid("login", msg))?;
        let checked = self.check(input).await?;
        let services = self.services;
        let taken = ServiceError::conflict(
            "login",
            Text::new(
                format!("The login {login} is taken."),
                format!("Il nome utente {login} è già in uso."),
            ),
        );
        if services.login_taken(&login).await? {
            return Err(taken);
        }
        let password = passwords::generate();
        let hash = hash_password(password.clone()).await?;
        // Intent, engine, panel rows, e-mail, end of intent; each failure undoes what came
        // before, and a crash leaves the intent for the start-up reconcile.
        let db = &services.db;
        let intent_id = intent::record(db, intent::Kind::CreateAccount, &login, "", None).await?;
        if let Err(err) = services
            .engine
            .create_staff_account(&login, &checked.display_name, &hash)
            .await
        {
            intent::clear(db, intent_id).await?;
            return Err(match err {
                engine_glue::GlueError::AlreadyExists { .. } => taken,
                err => err.into(),
            });
        }
        let row = delegate::ActiveModel {
            manager_id: Set(self.manager.id),
            login: Set(login.clone()),
            display_name: Set(checked.display_name.clone()),
            email: Set(checked.email.clone()),
            must_change_password: Set(true),
            created_at: Set(Utc::now()),
            session_key: Set(new_session_key()),
            expires_on: Set(checked.expires_on),
            window_from: Set(checked.window_from),
            window_to: Set(checked.window_to),
            ..Default::default()
        };
        let archive_ids: Vec<i32> = checked.archives.iter().map(|a| a.id).collect();
        let written = db
            .transaction::<_, delegate::Model, sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    let row = row.insert(txn).await?;
                    link_archives(txn, row.id, &archive_ids).await?;
                    Ok(row)
                })
            })
            .await;
        let row = match written {
            Ok(row) => row,
            Err(err) => {
                services.undo_account(&login, intent_id).await;
                return Err(ServiceError::Internal(err.to_string()));
            }
        };
        let sent = services
            .mailer
            .send_credentials(&checked.email, &login, &password, "delegate")
            .await;
        if let Err(reason) = sent {
            let _ = delegate::Entity::delete_by_id(row.id).exec(db).await;
            services.undo_account(&login, intent_id).await;
            let email = &checked.email;
            return Err(ServiceError::invalid(
                "email",
                Text::new(
                    format!("The credentials could not be e-mailed to {email}: {reason}"),
                    format!("Non è stato possibile inviare le credenziali a {email}: {reason}"),
                ),
            ));
        }
        intent::clear(db, intent_id).await?;
        self.audit("delegate.create", &login, None, Some(describe(&checked)))
            .await;
        Ok(row)
    }

    /// Changes a delegate's name, e-mail address, expiry, window and archives. Its sessions
    /// go on: every read checks the reach afresh.
    pub async fn update(
        &self,
        login: &str,
        input: &DelegateInput,
    ) -> Result<delegate::Model, ServiceError> {
        let found = self.find(login).await?;
        let checked = self.check(input).await?;
        let before = describe(&Checked {
            display_name: found.delegate.display_name.clone(),
            email: found.delegate.email.clone(),
            expires_on: found.delegate.expires_on,
            window_from: found.delegate.window_from,
            window_to: found.delegate.window_to,
            archives: found.archives.clone(),
        });
        let mut active: delegate::ActiveModel = found.delegate.clone().into();
        active.display_name = Set(checked.display_name.clone());
        active.email = Set(checked.email.clone());
        active.expires_on = Set(checked.expires_on);
        active.window_from = Set(checked.window_from);
        active.window_to = Set(checked.window_to);
        let archive_ids: Vec<i32> = checked.archives.iter().map(|a| a.id).collect();
        let id = found.delegate.id;
        let row = self
            .services
            .db
            .transaction::<_, delegate::Model, sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    let row = active.update(txn).await?;
                    delegate_archive::Entity::delete_many()
                        .filter(delegate_archive::Column::DelegateId.eq(id))
                        .exec(txn)
                        .await?;
                    link_archives(txn, id, &archive_ids).await?;
                    Ok(row)
                })
            })
            .await
            .map_err(|err| ServiceError::Internal(err.to_string()))?;
        self.audit(
            "delegate.update",
            &row.login,
            Some(before),
            Some(describe(&checked)),
        )
        .await;
        Ok(row)
    }

    /// Deletes a delegate: its account is disabled in the engine, its rows go (its reads stay
    /// in the log, under its login and name), then its engine account. A crash in between
    /// leaves an intent the start-up reconcile finishes.
    /// `confirm` must repeat the login.
    pub async fn delete(&self, login: &str, confirm: &str) -> Result<(), ServiceError> {
        let found = self.find(login).await?.delegate;
        if confirm.trim().to_ascii_lowercase() != found.login {
            return Err(ServiceError::invalid(
                "confirm",
                Text::new(
                    format!("Type {} to confirm.", found.login),
                    format!("Scrivi {} per confermare.", found.login),
                ),
            ));
        }
        let db = &self.services.db;
        let engine = &self.services.engine;
        let intent_id =
            intent::record(db, intent::Kind::DeleteAccount, &found.login, "", None).await?;
        match engine.disable_account(&found.login).await {
            Ok(()) | Err(engine_glue::GlueError::NotFound { .. }) => {}
            Err(err) => {
                intent::clear(db, intent_id).await?;
                return Err(err.into());
            }
        }
        delegate::Entity::delete_by_id(found.id).exec(db).await?;
        match engine.delete_account(&found.login).await {
            Ok(()) | Err(engine_glue::GlueError::NotFound { .. }) => {
                intent::clear(db, intent_id).await?;
            }
            Err(err) => {
                tracing::warn!(login = %found.login, %err, "delegate disabled but not yet removed from the engine");
            }
        }
        self.audit("delegate.delete", &found.login, Some(found.email), None)
            .await;
        Ok(())
    }

    /// Gives a delegate a new generated password, e-mailed to it and to be changed at the
    /// next sign-in; its sessions end. Returns where it was sent.
    pub async fn reset_password(&self, login: &str) -> Result<String, ServiceError> {
        let found = self.find(login).await?.delegate;
        let password = passwords::generate();
        let hash = hash_password(password.clone()).await?;
        self.services
            .engine
            .update_mailbox(
                &found.login,
                engine_glue::MailboxChanges {
                    password: Some(hash),
                    ..Default::default()
                },
            )
            .await?;
        let mut active: delegate::ActiveModel = found.clone().into();
        active.must_change_password = Set(true);
        active.session_key = Set(new_session_key());
        active.update(&self.services.db).await?;
        if let Err(reason) = self
            .services
            .mailer
            .send_credentials(&found.email, &found.login, &password, "delegate")
            .await
        {
            // The password is set and nobody knows it: the manager is told to try again.
            return Err(ServiceError::invalid(
                "login",
                Text::new(
                    format!(
                        "The new password could not be e-mailed to {}: {reason}",
                        found.email
                    ),
                    format!(
                        "Non è stato possibile inviare la nuova password a {}: {reason}",
                        found.email
                    ),
                ),
            ));
        }
        self.audit("delegate.password", &found.login, None, None)
            .await;
        Ok(found.email)
    }

    /// A page of what the manager's delegates read, newest first, perhaps of one delegate
    /// only, and how many there are.
    pub async fn reads(
        &self,
        delegate: Option<&str>,
        page: u64,
    ) -> Result<(Vec<archive_read::Model>, u64), ServiceError> {
        let mut find = archive_read::Entity::find()
            .filter(archive_read::Column::ManagerId.eq(self.manager.id));
        if let Some(login) = delegate {
            find = find.filter(archive_read::Column::Reader.eq(login.to_ascii_lowercase()));
        }
        let total = find.clone().count(&self.services.db).await?;
        let rows = find
            .order_by_desc(archive_read::Column::At)
            .order_by_desc(archive_read::Column::Id)
            .offset(super::page_offset(page, READS_PAGE))
            .limit(READS_PAGE)
            .all(&self.services.db)
            .await?;
        Ok((rows, total))
    }

    async fn audit(
        &self,
        action: &'static str,
        target: &str,
        before: Option<String>,
        after: Option<String>,
    ) {
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action,
                    domain: None,
                    target,
                    before,
                    after,
                },
            )
            .await;
    }
}

impl Services {
    /// The archives a delegate is linked to that are still in its manager's domains (a domain
    /// given to another manager takes its archives out of reach), by address.
    pub(crate) async fn archives_of(
        &self,
        delegate: &delegate::Model,
    ) -> Result<Vec<archive::Model>, ServiceError> {
        let linked: Vec<i32> = delegate_archive::Entity::find()
            .filter(delegate_archive::Column::DelegateId.eq(delegate.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|l| l.archive_id)
            .collect();
        let domains: Vec<i32> = domain::Entity::find()
            .filter(domain::Column::ManagerId.eq(delegate.manager_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        Ok(archive::Entity::find()
            .filter(archive::Column::Id.is_in(linked))
            .filter(archive::Column::DomainId.is_in(domains))
            .order_by_asc(archive::Column::Address)
            .order_by_asc(archive::Column::Id)
            .all(&self.db)
            .await?)
    }
}

async fn link_archives<C: sea_orm::ConnectionTrait>(
    db: &C,
    delegate_id: i32,
    archive_ids: &[i32],
) -> Result<(), sea_orm::DbErr> {
    for &archive_id in archive_ids {
        delegate_archive::ActiveModel {
            delegate_id: Set(delegate_id),
            archive_id: Set(archive_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn dedup_len(ids: &[i32]) -> usize {
    ids.iter().collect::<std::collections::BTreeSet<_>>().len()
}

/// A delegate's reach in one line, for the audit log.
fn describe(c: &Checked) -> String {
    let bound = |d: Option<NaiveDate>| d.map_or_else(|| "…".to_string(), |d| d.to_string());
    let archives: Vec<&str> = c.archives.iter().map(|a| a.address.as_str()).collect();
    format!(
        "{} <{}>; until {}; messages {} – {}; {}",
        c.display_name,
        c.email,
        c.expires_on,
        bound(c.window_from),
        bound(c.window_to),
        archives.join(", ")
    )
}
