// SPDX-License-Identifier: AGPL-3.0-only
//! One domain's handle, for its postmaster and its manager: the overview, the mailbox list,
//! creating mailboxes, the domain's chat, its DNS records, its access log and message trace.

use app::{
    dto::{
        AccessPage, AccessQuery, DnsRow, DnsStatus, DomainOverview, GroupAliasRow, MailboxPage,
        OneTimeCredentials, TracePage, TraceQuery,
    },
    error::AppError,
    ports::{DomainHandle, NewMailboxForm},
};
use engine_glue::MailboxState;

use super::mailbox::mailbox_row;
use crate::services::{
    DomainScope, MAILBOX_PAGE, MailboxInput,
    dns::{Expected, Found, Purpose},
};

/// What may be done inside one domain, as the pages ask it.
pub struct Domain<'a>(pub DomainScope<'a>);

#[async_trait::async_trait]
impl DomainHandle for Domain<'_> {
    async fn overview(&self) -> Result<DomainOverview, AppError> {
        let overview = self.0.overview().await?;
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
            send_tiers: self.0.tiers().0.to_vec(),
            require_two_factor: overview.domain.require_two_factor,
        })
    }

    async fn list_mailboxes(&self, page: u64, search: &str) -> Result<MailboxPage, AppError> {
        let (rows, total) = self.0.list_mailboxes(page, search).await?;
        Ok(MailboxPage {
            rows: rows
                .into_iter()
                .map(|row| {
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
        form: NewMailboxForm,
    ) -> Result<Option<OneTimeCredentials>, AppError> {
        let (login, generated) = self
            .0
            .create_mailbox(MailboxInput {
                local_part: form.local_part,
                first_name: form.first_name,
                last_name: form.last_name,
                password: form.password,
            })
            .await?;
        Ok(generated.map(|password| OneTimeCredentials { login, password }))
    }

    async fn groups(&self) -> Result<Vec<GroupAliasRow>, AppError> {
        Ok(self
            .0
            .groups()
            .await?
            .into_iter()
            .map(|g| GroupAliasRow {
                address: g.row.address,
                name: g.row.name,
                members: g.members,
            })
            .collect())
    }

    async fn create_group(
        &self,
        local_part: &str,
        name: &str,
        members: &str,
    ) -> Result<(), AppError> {
        self.0.create_group(local_part, name, members).await?;
        Ok(())
    }

    async fn delete_group(&self, group: &str) -> Result<(), AppError> {
        Ok(self.0.delete_group(group).await?)
    }

    async fn add_group_member(&self, group: &str, member: &str) -> Result<(), AppError> {
        Ok(self.0.add_group_member(group, member).await?)
    }

    async fn remove_group_member(&self, group: &str, member: &str) -> Result<(), AppError> {
        Ok(self.0.remove_group_member(group, member).await?)
    }

    async fn set_domain_chat(&self, enabled: bool) -> Result<(), AppError> {
        Ok(self.0.set_domain_chat(enabled).await?)
    }

    async fn set_chat_for_all(&self, enabled: bool) -> Result<(), AppError> {
        self.0.set_chat_for_all(enabled).await?;
        Ok(())
    }

    async fn set_two_factor_required(&self, required: bool) -> Result<(), AppError> {
        Ok(self.0.set_two_factor_required(required).await?)
    }

    async fn access_log(&self, query: &AccessQuery) -> Result<AccessPage, AppError> {
        super::access::page(self.0.services(), self.0.access_scope(), query).await
    }

    async fn access_csv(&self, query: &AccessQuery) -> Result<String, AppError> {
        super::access::csv(self.0.services(), self.0.access_scope(), query).await
    }

    async fn trace(&self, query: &TraceQuery) -> Result<TracePage, AppError> {
        super::trace::page(self.0.services(), self.0.domain_name(), query).await
    }

    async fn trace_csv(&self, query: &TraceQuery) -> Result<String, AppError> {
        super::trace::csv(self.0.services(), self.0.domain_name(), query).await
    }

    async fn dns(&self, check: bool) -> Result<Vec<DnsRow>, AppError> {
        let rows: Vec<(Expected, Option<Found>)> = if check {
            self.0
                .check_dns()
                .await?
                .into_iter()
                .map(|(e, f)| (e, Some(f)))
                .collect()
        } else {
            self.0
                .dns_records()
                .await?
                .into_iter()
                .map(|e| (e, None))
                .collect()
        };
        Ok(rows
            .into_iter()
            .map(|(e, found)| DnsRow {
                kind: e.kind.name().to_string(),
                purpose: purpose_code(e.purpose).to_string(),
                name: e.name,
                value: e.value,
                status: found.map(|f| match f {
                    Found::Found => DnsStatus::Found,
                    Found::Missing => DnsStatus::Missing,
                    Found::Different(seen) => DnsStatus::Different(seen),
                    Found::Unknown(why) => DnsStatus::Unknown(why),
                }),
            })
            .collect())
    }
}

fn purpose_code(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Mx => "mx",
        Purpose::Spf => "spf",
        Purpose::Dkim => "dkim",
        Purpose::Dmarc => "dmarc",
        Purpose::Autoconfig => "autoconfig",
        Purpose::Autodiscover => "autodiscover",
        Purpose::Imap => "imap",
        Purpose::Pop3 => "pop3",
        Purpose::Submission => "submission",
        Purpose::Xmpp => "xmpp",
    }
}
