// SPDX-License-Identifier: AGPL-3.0-only
//! The operator's handle: plans, customers, domains, managers, the monitor.

use app::{
    dto::{
        CustomerRow, DomainRow, ManagerRow, MonitorRestore, MonitorRow, PlanRow, SnapshotRow,
        SnapshotStatus,
    },
    error::AppError,
    ports::{NewPlanForm, OperatorHandle},
};

use super::date;
use crate::services::{CustomerInput, Handover, OperatorScope, PlanInput};

/// What an operator may do, as the pages ask it.
pub struct Operator<'a>(pub OperatorScope<'a>);

#[async_trait::async_trait]
impl OperatorHandle for Operator<'_> {
    async fn list_domains(&self) -> Result<Vec<DomainRow>, AppError> {
        let rows = self.0.list_domains().await?;
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

    async fn register_domain(&self, domain: &str, customer_id: i32) -> Result<String, AppError> {
        let registered = self
            .0
            .register_domain(domain, customer_id, Handover::Email)
            .await?;
        Ok(registered.sent_to)
    }

    async fn list_plans(&self) -> Result<Vec<PlanRow>, AppError> {
        let plans = self.0.list_plans().await?;
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

    async fn create_plan(&self, form: NewPlanForm) -> Result<(), AppError> {
        self.0
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

    async fn list_customers(&self) -> Result<Vec<CustomerRow>, AppError> {
        let rows = self.0.list_customers().await?;
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
        company_name: &str,
        legal_email: &str,
        plan_id: i32,
    ) -> Result<(), AppError> {
        self.0
            .create_customer(CustomerInput {
                company_name: company_name.into(),
                legal_email: legal_email.into(),
                plan_id,
            })
            .await?;
        Ok(())
    }

    async fn list_managers(&self) -> Result<Vec<ManagerRow>, AppError> {
        let rows = self.0.list_managers().await?;
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
        login: &str,
        display_name: &str,
        email: &str,
    ) -> Result<String, AppError> {
        let created = self.0.create_manager(login, display_name, email).await?;
        Ok(created.email)
    }

    async fn assign_manager(&self, domain: &str, manager: &str) -> Result<(), AppError> {
        let manager = Some(manager).filter(|m| !m.trim().is_empty());
        Ok(self.0.assign_manager(domain, manager).await?)
    }

    async fn monitor(&self) -> Result<Vec<MonitorRow>, AppError> {
        let rows = self.0.monitor().await?;
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

    async fn staff_two_factor(&self) -> Result<bool, AppError> {
        Ok(self.0.staff_two_factor().await?)
    }

    async fn set_staff_two_factor(&self, required: bool) -> Result<(), AppError> {
        Ok(self.0.set_staff_two_factor(required).await?)
    }

    async fn snapshots(&self) -> Result<SnapshotStatus, AppError> {
        let status = self.0.snapshot_status().await?;
        Ok(SnapshotStatus {
            days: status.days.into_iter().map(snapshot_row).collect(),
            kept_days: status.kept_days,
            objects: status.objects,
            bytes: status.bytes,
            restores: status
                .restores
                .into_iter()
                .map(|(mailbox, r)| MonitorRestore {
                    mailbox,
                    row: super::time_machine::restore_row(r),
                })
                .collect(),
        })
    }

    async fn take_snapshot(&self) -> Result<SnapshotRow, AppError> {
        let report = self.0.take_snapshot_now().await?;
        let today = chrono::Local::now().date_naive();
        Ok(SnapshotRow {
            day: today.format("%Y-%m-%d").to_string(),
            taken_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            finished: true,
            mailboxes: report.mailboxes,
            changed: report.changed,
            failed: report.failed,
            bytes_added: report.bytes_added,
            rows_written: report.rows,
        })
    }
}

fn snapshot_row(d: crate::db::tm_day::Model) -> SnapshotRow {
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    SnapshotRow {
        day: d.day.format("%Y-%m-%d").to_string(),
        taken_at: d
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        finished: d.finished_at.is_some(),
        mailboxes: count(d.mailboxes),
        changed: count(d.changed),
        failed: count(d.failed),
        bytes_added: u64::try_from(d.bytes_added).unwrap_or(0),
        rows_written: u64::try_from(d.rows_written).unwrap_or(0),
    }
}
