// SPDX-License-Identifier: AGPL-3.0-only
//! The services as the pages' port. [`PanelPort`] resolves the caller once — the session
//! must still be valid (see [`Services::resolve_session`]) — and hands out the handle its role
//! allows; each handle lives in its own file with its model → DTO conversions beside it. No
//! handle queries the database itself: it calls the services.

mod access;
mod archive;
mod delegates;
mod domain;
mod mail;
mod mailbox;
mod managed;
mod operator;
mod own;
mod public;
mod time_machine;
mod trace;

use app::{
    error::AppError,
    ports::{
        Address, ArchiveHandle, Caller as WireCaller, DelegatesHandle, DomainHandle, DomainName,
        MailHandle, MailboxHandle, ManagedHandle, OperatorHandle, OwnHandle, PanelPort,
        PublicHandle, TimeMachineHandle,
    },
};

use crate::services::{Caller, OpId, ServiceError, Services};

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthorized => AppError::Unauthorized,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::PasswordChangeRequired => AppError::PasswordChangeRequired,
            ServiceError::TwoFactorRequired => AppError::TwoFactorRequired,
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Invalid { field, message } => AppError::Invalid {
                field: field.to_string(),
                message,
            },
            ServiceError::Conflict { field, message } => AppError::Conflict {
                field: field.to_string(),
                message,
            },
            err @ (ServiceError::Db(_) | ServiceError::Engine(_) | ServiceError::Internal(_)) => {
                // The cause stays in the log under the request's operation id; the user gets
                // the id only.
                let op_id = OpId::current().to_string();
                let cause = std::error::Error::source(&err)
                    .map(|source| format!("{err}: {source:?}"))
                    .unwrap_or_else(|| err.to_string());
                tracing::error!(op_id, %cause, "internal error");
                AppError::Internal { op_id }
            }
        }
    }
}

pub(crate) fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub(crate) fn date_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl Services {
    /// The caller behind a wire caller, if its session is still valid and not waiting for
    /// a required two-factor enrolment.
    async fn caller(&self, caller: &WireCaller) -> Result<Caller, ServiceError> {
        let resolved = self.own_caller(caller).await?;
        if self.must_enrol(caller, &resolved).await? {
            return Err(ServiceError::TwoFactorRequired);
        }
        Ok(resolved)
    }

    /// The caller behind a wire caller, if its session is still valid, enrolment or not.
    async fn own_caller(&self, caller: &WireCaller) -> Result<Caller, ServiceError> {
        Ok(Caller {
            actor: self.resolve_session(&caller.session).await?,
            ip: caller.ip,
        })
    }

    /// Whether a session signed in for enrolment must still enrol: the requirement stands
    /// and the identity has no second factor yet.
    async fn must_enrol(&self, wire: &WireCaller, caller: &Caller) -> Result<bool, ServiceError> {
        Ok(wire.session.enrol
            && self.two_factor_required(&caller.actor).await?
            && !self.has_totp(caller.actor.login()).await?)
    }
}

impl Services {
    /// The chat user behind a web session: its mailbox (a user's or a postmaster's), if chat
    /// is active for it (`None` otherwise).
    pub async fn chat_caller(
        &self,
        caller: &WireCaller,
    ) -> Result<Option<crate::services::chat::ChatUser>, app::error::AppError> {
        let caller = self.caller(caller).await?;
        if caller.actor.must_change_password() {
            return Err(ServiceError::PasswordChangeRequired.into());
        }
        let address = match &caller.actor {
            crate::services::Actor::Postmaster { mailbox, .. }
            | crate::services::Actor::User { mailbox, .. } => mailbox.address.clone(),
            _ => return Err(ServiceError::Forbidden.into()),
        };
        Ok(self.chat_user(&address).await?)
    }

    /// The changes to the caller's own mail as they happen, for the webmail's live updates,
    /// and the mail itself, to tell what the changes made of it.
    pub async fn mail_changes(
        &self,
        caller: &WireCaller,
    ) -> Result<
        (
            engine_glue::MailChanges,
            crate::services::webmail::MailScope,
        ),
        app::error::AppError,
    > {
        let caller = self.caller(caller).await?;
        let scope = self.mail_scope(&caller).await?;
        Ok((scope.changes().await?, scope))
    }
}

#[async_trait::async_trait]
impl PanelPort for Services {
    fn public(&self) -> &dyn PublicHandle {
        self
    }

    async fn own<'a>(&'a self, caller: &WireCaller) -> Result<Box<dyn OwnHandle + 'a>, AppError> {
        let session = caller.session.clone();
        let resolved = self.own_caller(caller).await?;
        let enrolling = self.must_enrol(caller, &resolved).await?;
        Ok(Box::new(own::Own {
            services: self,
            caller: resolved,
            session,
            enrolling,
        }))
    }

    async fn operator<'a>(
        &'a self,
        caller: &WireCaller,
    ) -> Result<Box<dyn OperatorHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(operator::Operator(self.operator_scope(&caller)?)))
    }

    async fn domain<'a>(
        &'a self,
        caller: &WireCaller,
        domain: &DomainName,
    ) -> Result<Box<dyn DomainHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(domain::Domain(
            self.domain_scope(&caller, domain).await?,
        )))
    }

    async fn mailbox<'a>(
        &'a self,
        caller: &WireCaller,
        address: &Address,
    ) -> Result<Box<dyn MailboxHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        let scope = self.domain_scope(&caller, &address.domain()).await?;
        scope.find_mailbox(address).await?;
        Ok(Box::new(mailbox::Mailbox {
            scope,
            address: address.clone(),
        }))
    }

    async fn managed<'a>(
        &'a self,
        caller: &WireCaller,
        domain: &DomainName,
    ) -> Result<Box<dyn ManagedHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(managed::Managed(
            self.managed_domain(&caller, domain).await?,
        )))
    }

    async fn mail<'a>(&'a self, caller: &WireCaller) -> Result<Box<dyn MailHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(mail::Mail(self.mail_scope(&caller).await?)))
    }

    async fn archive<'a>(
        &'a self,
        caller: &WireCaller,
    ) -> Result<Box<dyn ArchiveHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(archive::Archive(
            self.archive_reach(&caller).await?,
        )))
    }

    async fn delegates<'a>(
        &'a self,
        caller: &WireCaller,
    ) -> Result<Box<dyn DelegatesHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(delegates::Delegates(
            self.delegates_scope(&caller)?,
        )))
    }

    async fn time_machine<'a>(
        &'a self,
        caller: &WireCaller,
    ) -> Result<Box<dyn TimeMachineHandle + 'a>, AppError> {
        let caller = self.caller(caller).await?;
        Ok(Box::new(time_machine::TimeMachine(
            self.time_machine_scope(&caller)?,
        )))
    }
}
