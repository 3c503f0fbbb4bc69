// SPDX-License-Identifier: AGPL-3.0-only
//! The provider's work: plans, customers, domains, managers, the monitor.

use crate::{
    dto::{CustomerRow, DomainRow, ManagerRow, MonitorRow, PlanRow, SnapshotRow, SnapshotStatus},
    error::AppError,
};

/// A new plan, as typed into the form; prices in cents.
#[derive(Debug, Clone)]
pub struct NewPlanForm {
    pub name: String,
    pub mailbox_type: String,
    pub included_mailboxes: i64,
    pub price_extra_mailbox: i64,
    pub price_quota: [i64; 3],
    pub price_send: [i64; 3],
    pub price_archive: i64,
}

#[async_trait::async_trait]
pub trait OperatorHandle: Send + Sync {
    async fn list_domains(&self) -> Result<Vec<DomainRow>, AppError>;
    /// Registers a domain for a customer; returns where the postmaster's credentials went.
    async fn register_domain(&self, domain: &str, customer_id: i32) -> Result<String, AppError>;
    async fn list_plans(&self) -> Result<Vec<PlanRow>, AppError>;
    async fn create_plan(&self, form: NewPlanForm) -> Result<(), AppError>;
    async fn list_customers(&self) -> Result<Vec<CustomerRow>, AppError>;
    async fn create_customer(
        &self,
        company_name: &str,
        legal_email: &str,
        plan_id: i32,
    ) -> Result<(), AppError>;
    async fn list_managers(&self) -> Result<Vec<ManagerRow>, AppError>;
    /// Creates a manager; returns where its credentials went.
    async fn create_manager(
        &self,
        login: &str,
        display_name: &str,
        email: &str,
    ) -> Result<String, AppError>;
    /// Gives a domain to a manager, or takes it away (empty manager).
    async fn assign_manager(&self, domain: &str, manager: &str) -> Result<(), AppError>;
    async fn monitor(&self) -> Result<Vec<MonitorRow>, AppError>;
    /// Whether operators and managers must sign in with a second factor.
    async fn staff_two_factor(&self) -> Result<bool, AppError>;
    /// Requires (or stops requiring) a second factor of operators and managers.
    async fn set_staff_two_factor(&self, required: bool) -> Result<(), AppError>;
    /// The Mail Time Machine's days and what they hold.
    async fn snapshots(&self) -> Result<SnapshotStatus, AppError>;
    /// Takes today's snapshot of every mailbox again, now.
    async fn take_snapshot(&self) -> Result<SnapshotRow, AppError>;
}
