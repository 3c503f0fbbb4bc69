// SPDX-License-Identifier: AGPL-3.0-only
//! The services as the pages' port: each call resolves the session's actor, takes the scope
//! the actor is allowed, and maps `ServiceError` onto the wire's `AppError`.

use std::net::IpAddr;

use app::{
    dto::{ClientSettings, DomainRow, MailboxRow, Me, OneTimeCredentials, Role},
    error::AppError,
    ports::{NewMailboxForm, PanelPort, SessionActor},
};

use super::{Actor, ServiceError, Services, mailboxes::MailboxInput};

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthorized => AppError::Unauthorized,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Invalid { field, message } => AppError::Invalid {
                field: field.to_string(),
                message,
            },
            ServiceError::Conflict { field, message } => AppError::Conflict {
                field: field.to_string(),
                message,
            },
            ServiceError::Internal(cause) => {
                let op_id = format!("{:016x}", rand::random::<u64>());
                tracing::error!(op_id, %cause, "internal error");
                AppError::Internal { op_id }
            }
        }
    }
}

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

#[async_trait::async_trait]
impl PanelPort for Services {
    async fn login(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, AppError> {
        let login = Services::login(self, login, password, ip).await?;
        Ok(SessionActor { login })
    }

    async fn me(&self, actor: &SessionActor) -> Result<Me, AppError> {
        Ok(match self.resolve(&actor.login).await? {
            Actor::Operator(op) => Me {
                login: op.login,
                display_name: op.display_name,
                role: Role::Operator,
                domain: None,
            },
            Actor::Postmaster { mailbox, domain } => Me {
                login: mailbox.address,
                display_name: "Postmaster".into(),
                role: Role::Postmaster,
                domain: Some(domain.name),
            },
            Actor::User { mailbox, domain } => Me {
                display_name: format!("{} {}", mailbox.first_name, mailbox.last_name)
                    .trim()
                    .to_string(),
                login: mailbox.address,
                role: Role::User,
                domain: Some(domain.name),
            },
        })
    }

    async fn list_domains(&self, actor: &SessionActor) -> Result<Vec<DomainRow>, AppError> {
        let actor = self.resolve(&actor.login).await?;
        let rows = self.operator_scope(&actor)?.list_domains().await?;
        Ok(rows
            .into_iter()
            .map(|row| DomainRow {
                name: row.domain.name,
                mailboxes: row.mailboxes,
                created_at: date(row.domain.created_at),
            })
            .collect())
    }

    async fn register_domain(
        &self,
        actor: &SessionActor,
        domain: &str,
    ) -> Result<OneTimeCredentials, AppError> {
        let actor = self.resolve(&actor.login).await?;
        let (login, password) = self.operator_scope(&actor)?.register_domain(domain).await?;
        Ok(OneTimeCredentials { login, password })
    }

    async fn list_mailboxes(&self, actor: &SessionActor) -> Result<Vec<MailboxRow>, AppError> {
        let actor = self.resolve(&actor.login).await?;
        let rows = self.own_domain_scope(&actor)?.list_mailboxes().await?;
        Ok(rows
            .into_iter()
            .map(|m| MailboxRow {
                address: m.address,
                first_name: m.first_name,
                last_name: m.last_name,
                is_postmaster: m.is_postmaster,
                quota_bytes: u64::try_from(m.quota_bytes).unwrap_or_default(),
                created_at: date(m.created_at),
            })
            .collect())
    }

    async fn create_mailbox(
        &self,
        actor: &SessionActor,
        form: NewMailboxForm,
    ) -> Result<Option<OneTimeCredentials>, AppError> {
        let actor = self.resolve(&actor.login).await?;
        let (login, generated) = self
            .own_domain_scope(&actor)?
            .create_mailbox(MailboxInput {
                local_part: form.local_part,
                first_name: form.first_name,
                last_name: form.last_name,
                password: form.password,
            })
            .await?;
        Ok(generated.map(|password| OneTimeCredentials { login, password }))
    }

    async fn client_settings(&self, actor: &SessionActor) -> Result<ClientSettings, AppError> {
        match self.resolve(&actor.login).await? {
            Actor::Operator(_) => Err(AppError::Forbidden),
            Actor::Postmaster { .. } | Actor::User { .. } => {
                let p = &self.mail.ports;
                Ok(ClientSettings {
                    hostname: self.mail.hostname.clone(),
                    imaps_port: p.imaps,
                    imap_port: p.imap,
                    pop3s_port: p.pop3s,
                    pop3_port: p.pop3,
                    submissions_port: p.submissions,
                    submission_port: p.submission,
                })
            }
        }
    }
}
