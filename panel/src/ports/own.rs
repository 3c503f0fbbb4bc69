// SPDX-License-Identifier: AGPL-3.0-only
//! The signed-in identity's own things: who it is, its password, its mail client settings,
//! its view of the audit log.

use app::{
    dto::{
        AccessPage, AccessQuery, AppPasswordRow, AuditPage, AuditRow, ClientAccess, ClientSettings,
        Me, ProfileLink, ProtocolSwitches, RecoveryCodes, Role, TotpEnrolment, TwoFactorView,
    },
    error::AppError,
    ports::{OwnHandle, PublicHandle, SessionActor},
};
use engine_glue::Protocols;

use super::date_time;
use crate::services::{AUDIT_PAGE, Actor, Caller, ServiceError, Services, access_log::AccessScope};
use crate::{client_config::Incoming, http::client_setup::profile_token};

/// The handle of a signed-in identity on itself.
pub struct Own<'a> {
    pub services: &'a Services,
    pub caller: Caller,
    /// The session it came with, renewed on a password change.
    pub session: SessionActor,
    /// The session must enrol a second factor before it reaches anything but its own
    /// two-factor settings, its password and signing out.
    pub enrolling: bool,
}

impl Own<'_> {
    /// Refuses what an enrolling session may not reach yet.
    fn enrolled(&self) -> Result<(), AppError> {
        if self.enrolling {
            Err(ServiceError::TwoFactorRequired.into())
        } else {
            Ok(())
        }
    }

    /// This session, carried on under a new session key.
    fn renewed(&self, key: String, enrol: bool) -> SessionActor {
        SessionActor {
            key,
            enrol,
            ..self.session.clone()
        }
    }
}

#[async_trait::async_trait]
impl OwnHandle for Own<'_> {
    async fn me(&self) -> Result<Me, AppError> {
        let actor = &self.caller.actor;
        let must_change_password = actor.must_change_password();
        let must_enrol_two_factor = self.enrolling;
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
                must_enrol_two_factor,
            },
            Actor::Manager(m) => Me {
                login: m.login,
                display_name: m.display_name,
                role: Role::Manager,
                domain: None,
                domains,
                must_change_password,
                must_enrol_two_factor,
            },
            Actor::Delegate(d) => Me {
                login: d.login,
                display_name: d.display_name,
                role: Role::Delegate,
                domain: None,
                domains,
                must_change_password,
                must_enrol_two_factor,
            },
            Actor::Postmaster { mailbox, domain } => Me {
                login: mailbox.address,
                display_name: "Postmaster".into(),
                role: Role::Postmaster,
                domain: Some(domain.name),
                domains,
                must_change_password,
                must_enrol_two_factor,
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
                must_enrol_two_factor,
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
        self.enrolled()?;
        match &self.caller.actor {
            Actor::Operator(_) | Actor::Manager(_) | Actor::Delegate(_) => Err(AppError::Forbidden),
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => {
                let address = mailbox.address.clone();
                let display = format!("{} {}", mailbox.first_name, mailbox.last_name)
                    .trim()
                    .to_string();
                let public_url = &self.services.mail_endpoints().public_url;
                let profiles = [Incoming::Imap, Incoming::Pop3]
                    .into_iter()
                    .map(|incoming| {
                        let token = profile_token(&address, &display, incoming);
                        let phone_url =
                            format!("{}/mobileconfig/{token}", public_url.trim_end_matches('/'));
                        ProfileLink {
                            protocol: incoming.code().to_string(),
                            download: format!("/account/mobileconfig?protocol={}", incoming.code()),
                            qr: crate::qr::svg_data_url(&phone_url).unwrap_or_default(),
                            phone_url,
                        }
                    })
                    .collect();
                Ok(ClientSettings {
                    server: PublicHandle::mail_server(self.services),
                    address,
                    profiles,
                })
            }
        }
    }

    async fn audit_log(&self, page: u64) -> Result<AuditPage, AppError> {
        self.enrolled()?;
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

    async fn two_factor(&self, draft: Option<&str>) -> Result<TwoFactorView, AppError> {
        let state = self.services.two_factor_state(&self.caller).await?;
        let enrolment = match draft {
            Some(draft) if !state.enabled => {
                let enrolment = self.services.enrolment(self.caller.actor.login(), draft)?;
                Some(TotpEnrolment {
                    qr: crate::qr::svg_data_url(&enrolment.url).unwrap_or_default(),
                    secret: enrolment.secret_base32,
                    label: enrolment.label,
                })
            }
            _ => None,
        };
        Ok(TwoFactorView {
            enabled: state.enabled,
            enabled_at: state.enabled_at.map(date_time),
            required: state.required,
            recovery_left: u32::try_from(state.recovery_left).unwrap_or(u32::MAX),
            enrolment,
            mailbox: matches!(
                self.caller.actor,
                Actor::Postmaster { .. } | Actor::User { .. }
            ),
        })
    }

    async fn begin_two_factor(&self) -> Result<String, AppError> {
        Ok(self.services.draft_totp(self.caller.actor.login())?)
    }

    async fn confirm_two_factor(
        &self,
        draft: &str,
        code: &str,
    ) -> Result<(RecoveryCodes, SessionActor), AppError> {
        let (codes, key) = self
            .services
            .confirm_totp(&self.caller, draft, code)
            .await?;
        Ok((RecoveryCodes { codes }, self.renewed(key, false)))
    }

    async fn disable_two_factor(&self, code: &str) -> Result<SessionActor, AppError> {
        let key = self.services.disable_totp(&self.caller, code).await?;
        // Where 2FA is required, turning it off sends this session straight to enrolment.
        let enrol = self
            .services
            .two_factor_required(&self.caller.actor)
            .await?;
        Ok(self.renewed(key, enrol))
    }

    async fn new_recovery_codes(&self, code: &str) -> Result<RecoveryCodes, AppError> {
        let codes = self
            .services
            .replace_recovery_codes(&self.caller, code)
            .await?;
        Ok(RecoveryCodes { codes })
    }

    async fn sign_out_everywhere(&self) -> Result<(), AppError> {
        Ok(self.services.sign_out_everywhere(&self.caller).await?)
    }

    async fn client_access(&self) -> Result<ClientAccess, AppError> {
        self.enrolled()?;
        let protocols = self.services.own_protocols(&self.caller).await?;
        let app_passwords = self
            .services
            .app_passwords(&self.caller)
            .await?
            .into_iter()
            .map(|p| AppPasswordRow {
                name: p.name,
                created_at: p.created_at.map(date_time),
            })
            .collect();
        Ok(ClientAccess {
            protocols: ProtocolSwitches {
                imap: protocols.imap,
                pop3: protocols.pop3,
                smtp: protocols.smtp,
            },
            app_passwords,
            two_factor: self.services.has_totp(self.caller.actor.login()).await?,
        })
    }

    async fn set_protocols(&self, protocols: ProtocolSwitches) -> Result<(), AppError> {
        self.enrolled()?;
        Ok(self
            .services
            .set_own_protocols(
                &self.caller,
                Protocols {
                    imap: protocols.imap,
                    pop3: protocols.pop3,
                    smtp: protocols.smtp,
                },
            )
            .await?)
    }

    async fn create_app_password(&self, name: &str) -> Result<String, AppError> {
        self.enrolled()?;
        Ok(self
            .services
            .create_app_password(&self.caller, name)
            .await?)
    }

    async fn revoke_app_password(&self, name: &str) -> Result<(), AppError> {
        self.enrolled()?;
        Ok(self
            .services
            .revoke_app_password(&self.caller, name)
            .await?)
    }

    async fn access_log(&self, query: &AccessQuery) -> Result<AccessPage, AppError> {
        self.enrolled()?;
        let scope = AccessScope::Login(self.caller.actor.login().to_string());
        super::access::page(self.services, scope, query).await
    }

    async fn access_csv(&self, query: &AccessQuery) -> Result<String, AppError> {
        self.enrolled()?;
        let scope = AccessScope::Login(self.caller.actor.login().to_string());
        super::access::csv(self.services, scope, query).await
    }
}
