// SPDX-License-Identifier: AGPL-3.0-only
//! The service port the server functions call. `panel` implements it and puts it in the
//! Leptos context; server functions stay thin: resolve the caller, call the port, map the error.

use std::{net::IpAddr, sync::Arc};

use crate::{
    dto::{
        AuditPage, Branding, ClientSettings, CustomerRow, DomainOverview, DomainRow, MailboxDetail,
        MailboxPage, ManagerRow, Me, MonitorRow, OneTimeCredentials, PlanRow, ProtocolSwitches,
    },
    error::AppError,
};

/// The session key under which a signed-in identity is kept.
pub const SESSION_ACTOR_KEY: &str = "actor";

/// A signed-in session's identity, as stored in the session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionActor {
    /// The login name (an operator's or manager's login, or a mailbox address).
    pub login: String,
}

/// Who makes a request and from where (every administrative action is audited with both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub login: String,
    pub ip: IpAddr,
}

/// A new mailbox, as typed into the form.
#[derive(Debug, Clone)]
pub struct NewMailboxForm {
    pub local_part: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty means "generate one".
    pub password: String,
}

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

/// An uploaded logo.
#[derive(Debug, Clone)]
pub struct LogoUpload {
    pub bytes: Vec<u8>,
    pub media_type: String,
}

/// Everything the panel's pages can ask of the services.
#[async_trait::async_trait]
pub trait PanelPort: Send + Sync {
    // --- signing in -------------------------------------------------------------------------
    /// Checks a web login; returns the identity to keep in the session.
    async fn login(
        &self,
        login: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, AppError>;
    /// Resolves a session's identity into what pages show.
    async fn me(&self, caller: &Caller) -> Result<Me, AppError>;
    /// Changes the caller's own password.
    async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<(), AppError>;

    // --- operator ---------------------------------------------------------------------------
    async fn list_domains(&self, caller: &Caller) -> Result<Vec<DomainRow>, AppError>;
    /// Registers a domain for a customer; returns where the postmaster's credentials went.
    async fn register_domain(
        &self,
        caller: &Caller,
        domain: &str,
        customer_id: i32,
    ) -> Result<String, AppError>;
    async fn list_plans(&self, caller: &Caller) -> Result<Vec<PlanRow>, AppError>;
    async fn create_plan(&self, caller: &Caller, form: NewPlanForm) -> Result<(), AppError>;
    async fn list_customers(&self, caller: &Caller) -> Result<Vec<CustomerRow>, AppError>;
    async fn create_customer(
        &self,
        caller: &Caller,
        company_name: &str,
        legal_email: &str,
        plan_id: i32,
    ) -> Result<(), AppError>;
    async fn list_managers(&self, caller: &Caller) -> Result<Vec<ManagerRow>, AppError>;
    /// Creates a manager; returns where its credentials went.
    async fn create_manager(
        &self,
        caller: &Caller,
        login: &str,
        display_name: &str,
        email: &str,
    ) -> Result<String, AppError>;
    /// Gives a domain to a manager, or takes it away (empty manager).
    async fn assign_manager(
        &self,
        caller: &Caller,
        domain: &str,
        manager: &str,
    ) -> Result<(), AppError>;
    async fn monitor(&self, caller: &Caller) -> Result<Vec<MonitorRow>, AppError>;

    // --- a domain (postmaster, manager) -----------------------------------------------------
    async fn domain_overview(
        &self,
        caller: &Caller,
        domain: &str,
    ) -> Result<DomainOverview, AppError>;
    async fn list_mailboxes(
        &self,
        caller: &Caller,
        domain: &str,
        page: u64,
        search: &str,
    ) -> Result<MailboxPage, AppError>;
    /// Creates a mailbox; returns its credentials when the password was generated.
    async fn create_mailbox(
        &self,
        caller: &Caller,
        domain: &str,
        form: NewMailboxForm,
    ) -> Result<Option<OneTimeCredentials>, AppError>;
    async fn set_domain_chat(
        &self,
        caller: &Caller,
        domain: &str,
        enabled: bool,
    ) -> Result<(), AppError>;
    async fn set_chat_for_all(
        &self,
        caller: &Caller,
        domain: &str,
        enabled: bool,
    ) -> Result<(), AppError>;

    // --- one mailbox (postmaster, manager) --------------------------------------------------
    async fn mailbox_detail(
        &self,
        caller: &Caller,
        address: &str,
    ) -> Result<MailboxDetail, AppError>;
    async fn update_personal(
        &self,
        caller: &Caller,
        address: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<(), AppError>;
    /// Sets a password; returns it when it was generated.
    async fn reset_password(
        &self,
        caller: &Caller,
        address: &str,
        password: &str,
        repeat: &str,
    ) -> Result<Option<OneTimeCredentials>, AppError>;
    /// Sets the quota tier, in bytes.
    async fn set_quota(&self, caller: &Caller, address: &str, bytes: u64) -> Result<(), AppError>;
    async fn set_protocols(
        &self,
        caller: &Caller,
        address: &str,
        protocols: ProtocolSwitches,
    ) -> Result<(), AppError>;
    async fn set_chat(&self, caller: &Caller, address: &str, enabled: bool)
    -> Result<(), AppError>;
    async fn add_alias(&self, caller: &Caller, address: &str, alias: &str) -> Result<(), AppError>;
    async fn remove_alias(
        &self,
        caller: &Caller,
        address: &str,
        alias: &str,
    ) -> Result<(), AppError>;
    async fn delete_mailbox(
        &self,
        caller: &Caller,
        address: &str,
        confirm: &str,
    ) -> Result<(), AppError>;

    // --- manager only -----------------------------------------------------------------------
    async fn set_send_tier(
        &self,
        caller: &Caller,
        address: &str,
        tier: u32,
    ) -> Result<(), AppError>;
    /// Sets the company name on a domain's webmail (empty removes it).
    async fn set_brand_name(
        &self,
        caller: &Caller,
        domain: &str,
        company_name: &str,
    ) -> Result<(), AppError>;
    /// Sets (or with `None` removes) the logo on a domain's webmail.
    async fn set_logo(
        &self,
        caller: &Caller,
        domain: &str,
        logo: Option<LogoUpload>,
    ) -> Result<(), AppError>;
    /// The logo of a domain's webmail: bytes and media type (public).
    async fn logo(&self, domain: &str) -> Result<Option<LogoUpload>, AppError>;
    /// Buys mailbox slots; returns the slots bought so far.
    async fn buy_slots(&self, caller: &Caller, domain: &str, count: i64) -> Result<i32, AppError>;

    // --- everyone who administers -----------------------------------------------------------
    async fn audit_log(&self, caller: &Caller, page: u64) -> Result<AuditPage, AppError>;

    // --- a mailbox's owner, and anyone -------------------------------------------------------
    /// How to configure a mail client.
    async fn client_settings(&self, caller: &Caller) -> Result<ClientSettings, AppError>;
    /// A domain's webmail branding (public).
    async fn branding(&self, domain: &str) -> Result<Branding, AppError>;
}

/// The port as it sits in the Leptos context.
pub type Port = Arc<dyn PanelPort>;
