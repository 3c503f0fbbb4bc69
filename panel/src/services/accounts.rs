// SPDX-License-Identifier: AGPL-3.0-only
//! Signing in, resolving a session, changing one's own password, and the operator accounts.

use app::i18n::Text;
use std::net::IpAddr;

use chrono::Utc;
use engine_glue::MailboxChanges;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{Actor, AuditEntry, Caller, ServiceError, Services, hash_password, passwords};
use crate::db::{alias, domain, mailbox, manager, operator};

impl Services {
    /// Checks a web login through the engine's directory (main password only) and returns
    /// the login name to keep in the session.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<String, ServiceError> {
        let login = login.trim().to_lowercase();
        let verified = self.engine.verify_web_login(&login, password, ip).await?;
        if verified.is_none() {
            return Err(ServiceError::invalid(
                "password",
                Text::new(
                    "Wrong e-mail address or password.",
                    "Indirizzo e-mail o password errati.",
                ),
            ));
        }
        // An engine account without a panel row is not a panel identity.
        let actor = self.resolve(&login).await?;
        if let Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } = actor {
            self.record_login(&mailbox.address).await;
        }
        Ok(login)
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
            || mailbox::Entity::find()
                .filter(mailbox::Column::Address.eq(&name))
                .count(&self.db)
                .await?
                > 0
            || alias::Entity::find()
                .filter(alias::Column::Address.eq(&name))
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
    ) -> Result<(), ServiceError> {
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
        if self
            .engine
            .verify_web_login(&login, current, caller.ip)
            .await?
            .is_none()
        {
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
                    password: Some(hash),
                    ..Default::default()
                },
            )
            .await?;
        match &caller.actor {
            Actor::Manager(m) => {
                let mut active: manager::ActiveModel = m.clone().into();
                active.must_change_password = Set(false);
                active.update(&self.db).await?;
            }
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => {
                let mut active: mailbox::ActiveModel = mailbox.clone().into();
                active.must_change_password = Set(false);
                active.update(&self.db).await?;
            }
            Actor::Operator(_) => {}
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
        Ok(())
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
        let password = passwords::generate();
        let hash = hash_password(password.clone()).await?;
        // Engine first, panel row last: a crash in between leaves an engine account that the
        // start-up reconcile removes, never a panel row without credentials.
        self.engine
            .create_staff_account(login, display_name, &hash)
            .await?;
        let row = operator::ActiveModel {
            login: Set(login.to_lowercase()),
            display_name: Set(display_name.to_string()),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Err(err) = row.insert(&self.db).await {
            let _ = self.engine.delete_account(login).await;
            return Err(err.into());
        }
        Ok(password)
    }
}
