// SPDX-License-Identifier: AGPL-3.0-only
//! Signing in, resolving a session, changing one's own password, and the operator accounts.

use app::i18n::Text;
use std::net::IpAddr;

use chrono::Utc;
use engine_glue::MailboxChanges;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};

use app::ports::{PendingSignIn, SessionActor, SignIn};

use super::{
    Actor, AuditEntry, Caller, ServiceError, Services, access_log::AccessResult,
    chat_verifiers::Credential, hash_password, login_guard, passwords,
};
use crate::db::new_session_key;
use crate::db::{alias, delegate, domain, group_alias, intent, mailbox, manager, operator};

impl Services {
    /// Checks a web login's password through the engine's directory (main password only),
    /// throttled per account and address before any password is verified. An identity with
    /// TOTP on is asked for its code next; one that must have it and does not is signed in
    /// for enrolment only.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<SignIn, ServiceError> {
        let login = login.trim().to_lowercase();
        if let Err(err) = self.throttle.check(&login, ip) {
            self.log_web_access(&login, AccessResult::Banned, ip).await;
            return Err(err);
        }
        let verified = {
            let _permit = login_guard::argon_permit().await?;
            self.engine.verify_web_login(&login, password, ip).await?
        };
        let wrong = || {
            ServiceError::invalid(
                "password",
                Text::new(
                    "Wrong e-mail address or password.",
                    "Indirizzo e-mail o password errati.",
                ),
            )
        };
        if verified.is_none() {
            self.throttle.failed(&login, ip);
            self.log_web_access(&login, AccessResult::WrongPassword, ip)
                .await;
            return Err(wrong());
        }
        // An engine account without a panel row is not a panel identity.
        let actor = match self.resolve(&login).await {
            Ok(actor) => actor,
            Err(ServiceError::Unauthorized) => {
                self.throttle.failed(&login, ip);
                self.log_web_access(&login, AccessResult::WrongPassword, ip)
                    .await;
                return Err(wrong());
            }
            Err(err) => return Err(err),
        };
        self.throttle.succeeded(&login, ip);
        if let Actor::Delegate(delegate) = &actor
            && Utc::now().date_naive() > delegate.expires_on
        {
            return Err(ServiceError::invalid(
                "password",
                Text::new(
                    format!(
                        "Your access as a delegate ended on {}. Ask your manager to extend it.",
                        delegate.expires_on
                    ),
                    format!(
                        "Il tuo accesso come delegato è scaduto il {}. Chiedi al tuo manager di prolungarlo.",
                        delegate.expires_on
                    ),
                ),
            ));
        }
        if let Actor::Postmaster { .. } | Actor::User { .. } = &actor {
            // A main password set before chat verifiers existed gets one now, off the
            // sign-in's path.
            let services = self.clone();
            let (address, password) = (login.clone(), password.to_string());
            tokio::spawn(async move {
                services
                    .refresh_main_chat_verifier(&address, &password)
                    .await;
            });
        }
        let now = Utc::now().timestamp();
        if self.has_totp(&login).await? {
            return Ok(SignIn::SecondFactor(PendingSignIn {
                key: actor.session_key().to_string(),
                login,
                at: now,
            }));
        }
        if let Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } = &actor {
            self.record_login(&mailbox.address).await;
        }
        self.log_web_access(&login, AccessResult::Ok, ip).await;
        Ok(SignIn::Done(SessionActor {
            key: actor.session_key().to_string(),
            enrol: self.two_factor_required(&actor).await?,
            login,
            since: now,
        }))
    }

    /// The identity behind a session, if the session is still valid: the identity exists, its
    /// session key is the one the session signed in with (a password change or reset, or a
    /// deletion, replaces it), and the session is younger than the absolute lifetime.
    pub async fn resolve_session(&self, session: &SessionActor) -> Result<Actor, ServiceError> {
        let actor = self.resolve(&session.login).await?;
        let age = Utc::now().timestamp().saturating_sub(session.since);
        let lifetime = i64::try_from(self.session_lifetime.as_secs()).unwrap_or(i64::MAX);
        if session.key.is_empty()
            || actor.session_key() != session.key
            || !(-60..=lifetime).contains(&age)
        {
            return Err(ServiceError::Unauthorized);
        }
        Ok(actor)
    }

    /// Notes a mailbox's latest sign-in, from the web or a mail client.
    pub async fn record_login(&self, address: &str) {
        let result = mailbox::Entity::update_many()
            .col_expr(
                mailbox::Column::LastLoginAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(mailbox::Column::Address.eq(address))
            .exec(&self.db)
            .await;
        if let Err(err) = result {
            tracing::warn!(%err, %address, "last login not recorded");
        }
    }

    /// The identity behind a session's login name, as the panel database has it now.
    pub async fn resolve(&self, login: &str) -> Result<Actor, ServiceError> {
        if let Some(op) = operator::Entity::find()
            .filter(operator::Column::Login.eq(login))
            .one(&self.db)
            .await?
        {
            return Ok(Actor::Operator(op));
        }
        if let Some(manager) = manager::Entity::find()
            .filter(manager::Column::Login.eq(login))
            .one(&self.db)
            .await?
        {
            return Ok(Actor::Manager(manager));
        }
        if let Some(delegate) = delegate::Entity::find()
            .filter(delegate::Column::Login.eq(login))
            .one(&self.db)
            .await?
        {
            return Ok(Actor::Delegate(delegate));
        }
        let found = mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(login))
            .find_also_related(domain::Entity)
            .one(&self.db)
            .await?;
        match found {
            Some((mailbox, Some(domain))) if mailbox.is_postmaster => {
                Ok(Actor::Postmaster { mailbox, domain })
            }
            Some((mailbox, Some(domain))) => Ok(Actor::User { mailbox, domain }),
            _ => Err(ServiceError::Unauthorized),
        }
    }

    /// The domains a manager manages, by name.
    pub async fn managed_domains(&self, caller: &Caller) -> Result<Vec<String>, ServiceError> {
        match &caller.actor {
            Actor::Manager(manager) => {
                let mut names: Vec<String> = domain::Entity::find()
                    .filter(domain::Column::ManagerId.eq(manager.id))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|d| d.name)
                    .collect();
                names.sort();
                Ok(names)
            }
            Actor::Postmaster { domain, .. } => Ok(vec![domain.name.clone()]),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// Whether an address or login is used by any identity or alias.
    pub async fn login_taken(&self, name: &str) -> Result<bool, ServiceError> {
        let name = name.to_lowercase();
        Ok(operator::Entity::find()
            .filter(operator::Column::Login.eq(&name))
            .count(&self.db)
            .await?
            > 0
            || manager::Entity::find()
                .filter(manager::Column::Login.eq(&name))
                .count(&self.db)
                .await?
                > 0
            || delegate::Entity::find()
                .filter(delegate::Column::Login.eq(&name))
                .count(&self.db)
                .await?
                > 0
            || mailbox::Entity::find()
                .filter(mailbox::Column::Address.eq(&name))
                .count(&self.db)
                .await?
                > 0
            || alias::Entity::find()
                .filter(alias::Column::Address.eq(&name))
                .count(&self.db)
                .await?
                > 0
            || group_alias::Entity::find()
                .filter(group_alias::Column::Address.eq(&name))
                .count(&self.db)
                .await?
                > 0)
    }

    /// Changes the caller's own password: the current one must be right, the new one must
    /// meet the policy, differ from the current one, and be typed twice. Clears a required
    /// change.
    pub async fn change_own_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<String, ServiceError> {
        let login = caller.actor.login().to_string();
        if current.is_empty() {
            return Err(ServiceError::invalid(
                "current",
                Text::new(
                    "Enter your current password.",
                    "Inserisci la password attuale.",
                ),
            ));
        }
        let verified = {
            let _permit = login_guard::argon_permit().await?;
            self.engine
                .verify_web_login(&login, current, caller.ip)
                .await?
        };
        if verified.is_none() {
            return Err(ServiceError::invalid(
                "current",
                Text::new(
                    "The current password is not right.",
                    "La password attuale non è corretta.",
                ),
            ));
        }
        passwords::check_policy(new).map_err(|msg| ServiceError::invalid("new", msg))?;
        if new == current {
            return Err(ServiceError::invalid(
                "new",
                Text::new(
                    "Choose a password different from the current one.",
                    "Scegli una password diversa da quella attuale.",
                ),
            ));
        }
        if new != repeat {
            return Err(ServiceError::invalid(
                "repeat",
                Text::new(
                    "The two passwords are not the same.",
                    "Le due password non coincidono.",
                ),
            ));
        }
        let hash = hash_password(new.to_string()).await?;
        self.engine
            .update_mailbox(
                &login,
                MailboxChanges {
                    password: Some(hash.clone()),
                    ..Default::default()
                },
            )
            .await?;
        // A new session key ends every other session of this identity.
        let key = new_session_key();
        match &caller.actor {
            Actor::Manager(m) => {
                let mut active: manager::ActiveModel = m.clone().into();
                active.must_change_password = Set(false);
                active.session_key = Set(key.clone());
                active.update(&self.db).await?;
            }
            Actor::Delegate(d) => {
                let mut active: delegate::ActiveModel = d.clone().into();
                active.must_change_password = Set(false);
                active.session_key = Set(key.clone());
                active.update(&self.db).await?;
            }
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => {
                let mut active: mailbox::ActiveModel = mailbox.clone().into();
                active.must_change_password = Set(false);
                active.session_key = Set(key.clone());
                active.update(&self.db).await?;
                self.keep_chat_verifier(&login, Credential::Main, new, &hash)
                    .await;
            }
            Actor::Operator(op) => {
                let mut active: operator::ActiveModel = op.clone().into();
                active.session_key = Set(key.clone());
                active.update(&self.db).await?;
            }
        }
        let domain = match &caller.actor {
            Actor::Postmaster { domain, .. } | Actor::User { domain, .. } => {
                Some(domain.name.clone())
            }
            _ => None,
        };
        self.audit(
            caller,
            AuditEntry {
                action: "account.password",
                domain: domain.as_deref(),
                target: &login,
                before: None,
                after: None,
            },
        )
        .await;
        Ok(key)
    }

    /// Gives every identity stored before session keys existed a key of its own, so sessions
    /// from before cannot match it.
    pub async fn backfill_session_keys(&self) -> Result<u64, ServiceError> {
        let mut filled = 0;
        for op in operator::Entity::find()
            .filter(operator::Column::SessionKey.eq(""))
            .all(&self.db)
            .await?
        {
            let mut active: operator::ActiveModel = op.into();
            active.session_key = Set(new_session_key());
            active.update(&self.db).await?;
            filled += 1;
        }
        for m in manager::Entity::find()
            .filter(manager::Column::SessionKey.eq(""))
            .all(&self.db)
            .await?
        {
            let mut active: manager::ActiveModel = m.into();
            active.session_key = Set(new_session_key());
            active.update(&self.db).await?;
            filled += 1;
        }
        for d in delegate::Entity::find()
            .filter(delegate::Column::SessionKey.eq(""))
            .all(&self.db)
            .await?
        {
            let mut active: delegate::ActiveModel = d.into();
            active.session_key = Set(new_session_key());
            active.update(&self.db).await?;
            filled += 1;
        }
        for m in mailbox::Entity::find()
            .filter(mailbox::Column::SessionKey.eq(""))
            .all(&self.db)
            .await?
        {
            let mut active: mailbox::ActiveModel = m.into();
            active.session_key = Set(new_session_key());
            active.update(&self.db).await?;
            filled += 1;
        }
        Ok(filled)
    }

    /// Whether any operator exists.
    pub async fn has_operator(&self) -> Result<bool, ServiceError> {
        Ok(operator::Entity::find().count(&self.db).await? > 0)
    }

    /// Creates an operator with a generated password; returns the password.
    pub async fn create_operator(
        &self,
        login: &str,
        display_name: &str,
    ) -> Result<String, ServiceError> {
        let login = login.to_lowercase();
        let password = passwords::generate();
        let hash = hash_password(password.clone()).await?;
        // Intent, engine, then the row with the intent's end: a crash in between leaves an
        // intent, and the start-up reconcile removes the engine account it names.
        let intent_id =
            intent::record(&self.db, intent::Kind::CreateAccount, &login, "", None).await?;
        if let Err(err) = self
            .engine
            .create_staff_account(&login, display_name, &hash)
            .await
        {
            intent::clear(&self.db, intent_id).await?;
            return Err(err.into());
        }
        let row = operator::ActiveModel {
            login: Set(login.clone()),
            display_name: Set(display_name.to_string()),
            created_at: Set(Utc::now()),
            session_key: Set(new_session_key()),
            ..Default::default()
        };
        let written = self
            .db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    row.insert(txn).await?;
                    intent::clear(txn, intent_id).await
                })
            })
            .await;
        if let Err(err) = written {
            self.undo_account(&login, intent_id).await;
            return Err(err.into());
        }
        Ok(password)
    }
}
