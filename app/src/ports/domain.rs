// SPDX-License-Identifier: AGPL-3.0-only
//! One domain, for its postmaster and its manager.

use crate::{
    dto::{
        AccessPage, AccessQuery, DnsRow, DomainOverview, GroupAliasRow, MailboxPage,
        OneTimeCredentials, TracePage, TraceQuery,
    },
    error::AppError,
};

/// A new mailbox, as typed into the form.
#[derive(Debug, Clone)]
pub struct NewMailboxForm {
    pub local_part: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty means "generate one".
    pub password: String,
}

#[async_trait::async_trait]
pub trait DomainHandle: Send + Sync {
    async fn overview(&self) -> Result<DomainOverview, AppError>;
    async fn list_mailboxes(&self, page: u64, search: &str) -> Result<MailboxPage, AppError>;
    /// Creates a mailbox; returns its credentials when the password was generated.
    async fn create_mailbox(
        &self,
        form: NewMailboxForm,
    ) -> Result<Option<OneTimeCredentials>, AppError>;
    /// The domain's group aliases, by address.
    async fn groups(&self) -> Result<Vec<GroupAliasRow>, AppError>;
    /// Creates a group alias; `members` lists mailboxes (addresses or local parts)
    /// separated by commas or spaces.
    async fn create_group(
        &self,
        local_part: &str,
        name: &str,
        members: &str,
    ) -> Result<(), AppError>;
    async fn delete_group(&self, group: &str) -> Result<(), AppError>;
    async fn add_group_member(&self, group: &str, member: &str) -> Result<(), AppError>;
    async fn remove_group_member(&self, group: &str, member: &str) -> Result<(), AppError>;
    /// The domain's chat service (postmaster only).
    async fn set_domain_chat(&self, enabled: bool) -> Result<(), AppError>;
    async fn set_chat_for_all(&self, enabled: bool) -> Result<(), AppError>;
    /// Requires (or stops requiring) two-factor sign-in of every user of the domain: one
    /// without it is sent to enrolment at its next web sign-in.
    async fn set_two_factor_required(&self, required: bool) -> Result<(), AppError>;
    /// The DNS records the domain must publish; with `check`, each one resolved.
    async fn dns(&self, check: bool) -> Result<Vec<DnsRow>, AppError>;
    /// A page of the domain's access log.
    async fn access_log(&self, query: &AccessQuery) -> Result<AccessPage, AppError>;
    /// The domain's access log as CSV (the filters apply; at most 100 000 rows).
    async fn access_csv(&self, query: &AccessQuery) -> Result<String, AppError>;
    /// A page of the domain's message trace.
    async fn trace(&self, query: &TraceQuery) -> Result<TracePage, AppError>;
    /// The domain's message trace as CSV (the filters apply; at most 100 000 rows).
    async fn trace_csv(&self, query: &TraceQuery) -> Result<String, AppError>;
}
