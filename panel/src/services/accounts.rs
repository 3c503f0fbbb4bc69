// SPDX-License-Identifier: AGPL-3.0-only
//! Signing in, resolving a session, and the operator accounts.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{Actor, ServiceError, Services, hash_password, passwords};
use crate::db::{domain, mailbox, operator};

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
                "Wrong e-mail address or password.",
            ));
        }
        // An engine account without a panel row is not a panel identity.
        self.resolve(&login).await.map(|_| login)
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
