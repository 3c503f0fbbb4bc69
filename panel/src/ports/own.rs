// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in identity's own things: who it is, its password, its mail client settings,
//! its view of the audit log.

use app::{
    dto::{AuditPage, AuditRow, ClientSettings, Me, Role},
    error::AppError,
    ports::{OwnHandle, SessionActor},
};

use crate::services::{AUDIT_PAGE, Actor, Caller, Services};

/// The handle of a signed-in identity on itself.
pub struct Own<'a> {
    pub services: &'a Services,
    pub caller: Caller,
    /// The session it came with, renewed on a password change.
    pub session: SessionActor,
}

#[async_trait::async_trait]
impl OwnHandle for Own<'_> {
    async fn me(&self) -> Result<Me, AppError> {
        let actor = &self.caller.actor;
        let must_change_password = actor.must_change_password();
        let domains = match actor {
            Actor::Manager(_) | Actor::Postmaster { .. } => {
                self.services.managed_domains(&self.caller).await?
            }
            _ => Vec::new(),
        };
        Ok(match actor.clone() {
            Actor::Operator(op) => Me {
                login: op.login,
                display_name: op.display_name,
                role: Role::Operator,
                domain: None,
                domains,
                must_change_password,
            },
            Actor::Manager(m) => Me {
                login: m.login,
                display_name: m.display_name,
                role: Role::Manager,
                domain: None,
                domains,
                must_change_password,
            },
            Actor::Postmaster { mailbox, domain } => Me {
                login: mailbox.address,
                display_name: "Postmaster".into(),
                role: Role::Postmaster,
                domain: Some(domain.name),
                domains,
                must_change_password,
            },
            Actor::User { mailbox, domain } => Me {
                display_name: format!("{} {}", mailbox.first_name, mailbox.last_name)
                    .trim()
                    .to_string(),
                login: mailbox.address,
                role: Role::User,
                domain: Some(domain.name),
                domains,
                must_change_password,
            },
        })
    }

    async fn change_password(
        &self,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<SessionActor, AppError> {
        let key = self
            .services
            .change_own_password(&self.caller, current, new, repeat)
            .await?;
        Ok(SessionActor {
            key,
            ..self.session.clone()
        })
    }

    async fn client_settings(&self) -> Result<ClientSettings, AppError> {
        match self.caller.actor {
            Actor::Operator(_) | Actor::Manager(_) => Err(AppError::Forbidden),
            Actor::Postmaster { .. } | Actor::User { .. } => {
                let mail = self.services.mail_endpoints();
                let p = &mail.ports;
                Ok(ClientSettings {
                    hostname: mail.hostname.clone(),
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

    async fn audit_log(&self, page: u64) -> Result<AuditPage, AppError> {
        let (rows, total) = self.services.audit_log(&self.caller, page).await?;
        Ok(AuditPage {
            rows: rows
                .into_iter()
                .map(|r| AuditRow {
                    at: r.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    actor: r.actor,
                    actor_role: r.actor_role,
                    ip: r.ip,
                    action: r.action,
                    domain: r.domain,
                    target: r.target,
                    before: r.before,
                    after: r.after,
                })
                .collect(),
            total,
            page,
            page_size: AUDIT_PAGE,
        })
    }
}
