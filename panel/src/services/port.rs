// SPDX-License-Identifier: AGPL-3.0-only
//! The services as the pages' port: each call resolves the caller, takes the scope the caller
//! is allowed, and maps `ServiceError` onto the wire's `AppError`.

use std::net::IpAddr;

use app::{
    dto::{
        AuditPage, AuditRow, Branding, ClientSettings, CustomerRow, DomainOverview, DomainRow,
        MailboxDetail, MailboxPage, MailboxRow, ManagerRow, Me, MonitorRow, OneTimeCredentials,
        PlanRow, ProtocolSwitches, Role,
    },
    error::AppError,
    ports::{
        Caller as WireCaller, LogoUpload, NewMailboxForm, NewPlanForm, PanelPort, SessionActor,
    },
};
use engine_glue::{MailboxState, Protocols};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{
    Actor, Caller, CustomerInput, PlanInput, ServiceError, Services,
    audit::AUDIT_PAGE,
    domains::Handover,
    mailboxes::{MAILBOX_PAGE, MailboxInput, MailboxListRow},
    managed::Logo,
};
use crate::db::{self, domain};

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthorized => AppError::Unauthorized,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::PasswordChangeRequired => AppError::PasswordChangeRequired,
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

fn date_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn switches(p: Protocols) -> ProtocolSwitches {
    ProtocolSwitches {
        imap: p.imap,
        pop3: p.pop3,
        smtp: p.smtp,
    }
}

fn mailbox_row(m: db::mailbox::Model, state: &MailboxState, external_24h: u64) -> MailboxRow {
    MailboxRow {
        address: m.address,
        first_name: m.first_name,
        last_name: m.last_name,
        is_postmaster: m.is_postmaster,
        quota_bytes: u64::try_from(m.quota_bytes).unwrap_or_default(),
        used_bytes: state.used_bytes,
        last_login: m.last_login_at.map(date_time),
        external_24h,
        protocols: switches(state.protocols),
        chat: state.chat,
        two_factor: state.two_factor,
        send_tier: u32::try_from(m.send_tier).unwrap_or_default(),
    }
}

/// The domain part of a mailbox address.
fn domain_of(address: &str) -> Result<&str, AppError> {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .ok_or(AppError::NotFound)
}

impl Services {
    async fn caller(&self, caller: &WireCaller) -> Result<Caller, ServiceError> {
        Ok(Caller {
            actor: self.resolve(&caller.login).await?,
            ip: caller.ip,
        })
    }
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

    async fn me(&self, caller: &WireCaller) -> Result<Me, AppError> {
        let caller = self.caller(caller).await?;
        let must_change_password = caller.actor.must_change_password();
        let domains = match &caller.actor {
            Actor::Manager(_) | Actor::Postmaster { .. } => self.managed_domains(&caller).await?,
            _ => Vec::new(),
        };
        Ok(match caller.actor {
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
        caller: &WireCaller,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .change_own_password(&caller, current, new, repeat)
            .await?)
    }

    async fn list_domains(&self, caller: &WireCaller) -> Result<Vec<DomainRow>, AppError> {
        let caller = self.caller(caller).await?;
        let rows = self.operator_scope(&caller)?.list_domains().await?;
        Ok(rows
            .into_iter()
            .map(|row| DomainRow {
                name: row.domain.name,
                customer: row.customer,
                manager: row.manager,
                mailboxes: row.mailboxes,
                created_at: date(row.domain.created_at),
            })
            .collect())
    }

    async fn register_domain(
        &self,
        caller: &WireCaller,
        domain: &str,
        customer_id: i32,
    ) -> Result<String, AppError> {
        let caller = self.caller(caller).await?;
        let scope = self.operator_scope(&caller)?;
        scope
            .register_domain(domain, customer_id, Handover::Email)
            .await?;
        let sent_to = db::customer::Entity::find_by_id(customer_id)
            .one(&self.db)
            .await
            .map_err(ServiceError::from)?
            .map(|c| c.legal_email)
            .unwrap_or_default();
        Ok(sent_to)
    }

    async fn list_plans(&self, caller: &WireCaller) -> Result<Vec<PlanRow>, AppError> {
        let caller = self.caller(caller).await?;
        let plans = self.operator_scope(&caller)?.list_plans().await?;
        Ok(plans
            .into_iter()
            .map(|p| PlanRow {
                id: p.id,
                name: p.name,
                mailbox_type: p.mailbox_type,
                included_mailboxes: p.included_mailboxes,
                price_extra_mailbox: p.price_extra_mailbox,
                price_quota: [p.price_quota25, p.price_quota50, p.price_quota100],
                price_send: [p.price_send1000, p.price_send2000, p.price_send5000],
                price_archive: p.price_archive,
            })
            .collect())
    }

    async fn create_plan(&self, caller: &WireCaller, form: NewPlanForm) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        self.operator_scope(&caller)?
            .create_plan(PlanInput {
                name: form.name,
                mailbox_type: form.mailbox_type,
                included_mailboxes: form.included_mailboxes,
                price_extra_mailbox: form.price_extra_mailbox,
                price_quota: form.price_quota,
                price_send: form.price_send,
                price_archive: form.price_archive,
            })
            .await?;
        Ok(())
    }

    async fn list_customers(&self, caller: &WireCaller) -> Result<Vec<CustomerRow>, AppError> {
        let caller = self.caller(caller).await?;
        let rows = self.operator_scope(&caller)?.list_customers().await?;
        Ok(rows
            .into_iter()
            .map(|(c, plan)| CustomerRow {
                id: c.id,
                company_name: c.company_name,
                legal_email: c.legal_email,
                plan: plan.map(|p| p.name).unwrap_or_default(),
                extra_slots: c.extra_slots,
            })
            .collect())
    }

    async fn create_customer(
        &self,
        caller: &WireCaller,
        company_name: &str,
        legal_email: &str,
        plan_id: i32,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        self.operator_scope(&caller)?
            .create_customer(CustomerInput {
                company_name: company_name.into(),
                legal_email: legal_email.into(),
                plan_id,
            })
            .await?;
        Ok(())
    }

    async fn list_managers(&self, caller: &WireCaller) -> Result<Vec<ManagerRow>, AppError> {
        let caller = self.caller(caller).await?;
        let rows = self.operator_scope(&caller)?.list_managers().await?;
        Ok(rows
            .into_iter()
            .map(|(m, domains)| ManagerRow {
                login: m.login,
                display_name: m.display_name,
                email: m.email,
                domains,
            })
            .collect())
    }

    async fn create_manager(
        &self,
        caller: &WireCaller,
        login: &str,
        display_name: &str,
        email: &str,
    ) -> Result<String, AppError> {
        let caller = self.caller(caller).await?;
        let created = self
            .operator_scope(&caller)?
            .create_manager(login, display_name, email)
            .await?;
        Ok(created.email)
    }

    async fn assign_manager(
        &self,
        caller: &WireCaller,
        domain: &str,
        manager: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        let manager = Some(manager).filter(|m| !m.trim().is_empty());
        Ok(self
            .operator_scope(&caller)?
            .assign_manager(domain, manager)
            .await?)
    }

    async fn monitor(&self, caller: &WireCaller) -> Result<Vec<MonitorRow>, AppError> {
        let caller = self.caller(caller).await?;
        let rows = self.operator_scope(&caller)?.monitor().await?;
        Ok(rows
            .into_iter()
            .map(|c| MonitorRow {
                company_name: c.customer.company_name,
                plan: c.plan.name,
                created: c.created,
                included: u64::try_from(c.plan.included_mailboxes).unwrap_or_default(),
                capacity: c.capacity,
                quota_upgrades: c.quota_upgrades,
                send_upgrades: c.send_upgrades,
                archives: c.archives,
                monthly_cents: c.monthly_cents,
            })
            .collect())
    }

    async fn domain_overview(
        &self,
        caller: &WireCaller,
        domain: &str,
    ) -> Result<DomainOverview, AppError> {
        let caller = self.caller(caller).await?;
        let overview = self.domain_scope(&caller, domain).await?.overview().await?;
        Ok(DomainOverview {
            name: overview.domain.name,
            service_active: overview.service_active,
            mailbox_type: overview.mailbox_type,
            created: overview.created,
            available: overview.available,
            chat_enabled: overview.domain.chat_enabled,
            managed: overview.managed,
            brand_name: overview.domain.brand_name,
            has_logo: overview.domain.brand_logo.is_some(),
            send_tiers: self.send_tiers.to_vec(),
        })
    }

    async fn list_mailboxes(
        &self,
        caller: &WireCaller,
        domain: &str,
        page: u64,
        search: &str,
    ) -> Result<MailboxPage, AppError> {
        let caller = self.caller(caller).await?;
        let (rows, total) = self
            .domain_scope(&caller, domain)
            .await?
            .list_mailboxes(page, search)
            .await?;
        Ok(MailboxPage {
            rows: rows
                .into_iter()
                .map(|row: MailboxListRow| {
                    let state = MailboxState {
                        quota_bytes: u64::try_from(row.mailbox.quota_bytes).unwrap_or_default(),
                        used_bytes: row.used_bytes,
                        protocols: row.protocols,
                        chat: row.chat,
                        two_factor: row.two_factor,
                        send_tier: None,
                    };
                    mailbox_row(row.mailbox, &state, row.external_24h)
                })
                .collect(),
            total,
            page,
            page_size: MAILBOX_PAGE,
        })
    }

    async fn create_mailbox(
        &self,
        caller: &WireCaller,
        domain: &str,
        form: NewMailboxForm,
    ) -> Result<Option<OneTimeCredentials>, AppError> {
        let caller = self.caller(caller).await?;
        let (login, generated) = self
            .domain_scope(&caller, domain)
            .await?
            .create_mailbox(MailboxInput {
                local_part: form.local_part,
                first_name: form.first_name,
                last_name: form.last_name,
                password: form.password,
            })
            .await?;
        Ok(generated.map(|password| OneTimeCredentials { login, password }))
    }

    async fn set_domain_chat(
        &self,
        caller: &WireCaller,
        domain: &str,
        enabled: bool,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain)
            .await?
            .set_domain_chat(enabled)
            .await?)
    }

    async fn set_chat_for_all(
        &self,
        caller: &WireCaller,
        domain: &str,
        enabled: bool,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        self.domain_scope(&caller, domain)
            .await?
            .set_chat_for_all(enabled)
            .await?;
        Ok(())
    }

    async fn mailbox_detail(
        &self,
        caller: &WireCaller,
        address: &str,
    ) -> Result<MailboxDetail, AppError> {
        let caller = self.caller(caller).await?;
        let scope = self.domain_scope(&caller, domain_of(address)?).await?;
        let detail = scope.mailbox_detail(address).await?;
        let since = chrono::Utc::now() - chrono::Duration::hours(24);
        // Messages, not recipients: the daily limit counts recipients, the list messages.
        let sent = db::outbound::Entity::find()
            .filter(db::outbound::Column::Address.eq(detail.mailbox.address.clone()))
            .filter(db::outbound::Column::At.gte(since))
            .count(&self.db)
            .await
            .map_err(ServiceError::from)?;
        Ok(MailboxDetail {
            domain: scope.domain().name.clone(),
            managed: scope.managed,
            send_tiers: self.send_tiers.to_vec(),
            quota_tiers: self.quota_tiers.to_vec(),
            aliases: detail.aliases.into_iter().map(|a| a.address).collect(),
            row: mailbox_row(detail.mailbox, &detail.state, sent),
        })
    }

    async fn update_personal(
        &self,
        caller: &WireCaller,
        address: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .update_personal(address, first_name, last_name)
            .await?)
    }

    async fn reset_password(
        &self,
        caller: &WireCaller,
        address: &str,
        password: &str,
        repeat: &str,
    ) -> Result<Option<OneTimeCredentials>, AppError> {
        let caller = self.caller(caller).await?;
        let generated = self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .reset_password(address, password, repeat)
            .await?;
        Ok(generated.map(|password| OneTimeCredentials {
            login: address.trim().to_lowercase(),
            password,
        }))
    }

    async fn set_quota(
        &self,
        caller: &WireCaller,
        address: &str,
        bytes: u64,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .set_quota(address, bytes)
            .await?)
    }

    async fn set_protocols(
        &self,
        caller: &WireCaller,
        address: &str,
        protocols: ProtocolSwitches,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .set_protocols(
                address,
                Protocols {
                    imap: protocols.imap,
                    pop3: protocols.pop3,
                    smtp: protocols.smtp,
                },
            )
            .await?)
    }

    async fn set_chat(
        &self,
        caller: &WireCaller,
        address: &str,
        enabled: bool,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .set_chat(address, enabled)
            .await?)
    }

    async fn add_alias(
        &self,
        caller: &WireCaller,
        address: &str,
        alias: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        self.domain_scope(&caller, domain_of(address)?)
            .await?
            .add_alias(address, alias)
            .await?;
        Ok(())
    }

    async fn remove_alias(
        &self,
        caller: &WireCaller,
        address: &str,
        alias: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .remove_alias(address, alias)
            .await?)
    }

    async fn delete_mailbox(
        &self,
        caller: &WireCaller,
        address: &str,
        confirm: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .domain_scope(&caller, domain_of(address)?)
            .await?
            .delete_mailbox(address, confirm)
            .await?)
    }

    async fn set_send_tier(
        &self,
        caller: &WireCaller,
        address: &str,
        tier: u32,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .managed_domain(&caller, domain_of(address)?)
            .await?
            .set_send_tier(address, tier)
            .await?)
    }

    async fn set_brand_name(
        &self,
        caller: &WireCaller,
        domain: &str,
        company_name: &str,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .managed_domain(&caller, domain)
            .await?
            .set_brand_name(company_name)
            .await?)
    }

    async fn set_logo(
        &self,
        caller: &WireCaller,
        domain: &str,
        logo: Option<LogoUpload>,
    ) -> Result<(), AppError> {
        let caller = self.caller(caller).await?;
        let logo = logo.map(|l| Logo {
            bytes: l.bytes,
            media_type: l.media_type,
        });
        Ok(self
            .managed_domain(&caller, domain)
            .await?
            .set_logo(logo)
            .await?)
    }

    async fn logo(&self, domain_name: &str) -> Result<Option<LogoUpload>, AppError> {
        let found = domain::Entity::find()
            .filter(domain::Column::Name.eq(domain_name.trim().to_ascii_lowercase()))
            .one(&self.db)
            .await
            .map_err(ServiceError::from)?
            .ok_or(AppError::NotFound)?;
        Ok(match (found.brand_logo, found.brand_logo_type) {
            (Some(bytes), Some(media_type)) => Some(LogoUpload { bytes, media_type }),
            _ => None,
        })
    }

    async fn buy_slots(
        &self,
        caller: &WireCaller,
        domain: &str,
        count: i64,
    ) -> Result<i32, AppError> {
        let caller = self.caller(caller).await?;
        Ok(self
            .managed_domain(&caller, domain)
            .await?
            .buy_slots(count)
            .await?)
    }

    async fn audit_log(&self, caller: &WireCaller, page: u64) -> Result<AuditPage, AppError> {
        let caller = self.caller(caller).await?;
        let (rows, total) = Services::audit_log(self, &caller, page).await?;
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

    async fn client_settings(&self, caller: &WireCaller) -> Result<ClientSettings, AppError> {
        match self.caller(caller).await?.actor {
            Actor::Operator(_) | Actor::Manager(_) => Err(AppError::Forbidden),
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

    async fn branding(&self, domain_name: &str) -> Result<Branding, AppError> {
        let name = domain_name.trim().to_ascii_lowercase();
        let found = domain::Entity::find()
            .filter(domain::Column::Name.eq(&name))
            .one(&self.db)
            .await
            .map_err(ServiceError::from)?
            .ok_or(AppError::NotFound)?;
        Ok(Branding {
            logo_url: found
                .brand_logo
                .as_ref()
                .map(|_| format!("/branding/{}/logo", found.name)),
            company_name: found.brand_name,
            domain: found.name,
        })
    }
}
