// SPDX-License-Identifier: AGPL-3.0-only
//! Plain data that crosses the wire between server functions and pages. Nothing here holds a
//! password hash or any other stored secret.

use serde::{Deserialize, Serialize};

/// What a signed-in person is in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Operator,
    Manager,
    Postmaster,
    User,
}

/// The signed-in person, as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The domain a postmaster or user belongs to.
    pub domain: Option<String>,
    /// The domains this person administers (a manager's, or a postmaster's own).
    pub domains: Vec<String>,
    /// The password given with the account must be changed before anything else.
    pub must_change_password: bool,
}

impl Me {
    /// The page this person lands on after signing in.
    pub fn home(&self) -> String {
        if self.must_change_password {
            return "/password".into();
        }
        match self.role {
            Role::Operator => "/operator/domains".into(),
            Role::Manager => match self.domains.first() {
                Some(domain) => format!("/domains/{domain}"),
                None => "/domains".into(),
            },
            Role::Postmaster => match &self.domain {
                Some(domain) => format!("/domains/{domain}/mailboxes"),
                None => "/".into(),
            },
            Role::User => "/account".into(),
        }
    }
}

/// A row of the operator's domain list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    pub name: String,
    pub customer: Option<String>,
    pub manager: Option<String>,
    pub mailboxes: u64,
    pub created_at: String,
}

/// A plan with its monthly prices in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRow {
    pub id: i32,
    pub name: String,
    pub mailbox_type: String,
    pub included_mailboxes: i32,
    pub price_extra_mailbox: i64,
    /// 25, 50 and 100 GB.
    pub price_quota: [i64; 3],
    /// The three paid send tiers.
    pub price_send: [i64; 3],
    pub price_archive: i64,
}

/// A customer, as the operator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i32,
    pub company_name: String,
    pub legal_email: String,
    pub plan: String,
    pub extra_slots: i32,
}

/// A manager with its domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerRow {
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub domains: Vec<String>,
}

/// One customer's line of the monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorRow {
    pub company_name: String,
    pub plan: String,
    pub created: u64,
    pub included: u64,
    pub capacity: u64,
    /// Mailboxes on 25, 50 and 100 GB.
    pub quota_upgrades: [u64; 3],
    /// Mailboxes on the three paid send tiers.
    pub send_upgrades: [u64; 3],
    pub archives: u64,
    /// Monthly cost in cents.
    pub monthly_cents: i64,
}

/// A domain's state (seed 004, "Gestione Posta Elettronica").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainOverview {
    pub name: String,
    pub service_active: bool,
    pub mailbox_type: Option<String>,
    pub created: u64,
    /// Mailboxes still available; `None` when the domain has no plan.
    pub available: Option<u64>,
    pub chat_enabled: bool,
    /// Whether the viewer is the domain's manager (and may use manager-only tools).
    pub managed: bool,
    pub brand_name: Option<String>,
    pub has_logo: bool,
    /// The send tiers a manager may choose from.
    pub send_tiers: Vec<u32>,
}

/// IMAP, POP3 and SMTP switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSwitches {
    pub imap: bool,
    pub pop3: bool,
    pub smtp: bool,
}

/// A row of a domain's mailbox list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub is_postmaster: bool,
    pub quota_bytes: u64,
    pub used_bytes: u64,
    pub last_login: Option<String>,
    pub external_24h: u64,
    pub protocols: ProtocolSwitches,
    pub chat: bool,
    pub two_factor: bool,
    pub send_tier: u32,
}

/// One page of a domain's mailbox list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxPage {
    pub rows: Vec<MailboxRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// A mailbox with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxDetail {
    pub row: MailboxRow,
    pub domain: String,
    pub aliases: Vec<String>,
    /// Whether the viewer is the domain's manager.
    pub managed: bool,
    pub send_tiers: Vec<u32>,
    /// The quota tiers in bytes.
    pub quota_tiers: Vec<u64>,
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub ip: String,
    pub action: String,
    pub domain: Option<String>,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One page of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// A login and its password, shown exactly once after it was generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeCredentials {
    pub login: String,
    pub password: String,
}

/// How a mail client reaches the server, for the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSettings {
    pub hostname: String,
    pub imaps_port: u16,
    pub imap_port: u16,
    pub pop3s_port: u16,
    pub pop3_port: u16,
    pub submissions_port: u16,
    pub submission_port: u16,
}

/// A domain's webmail branding, public (the login page shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    pub domain: String,
    pub company_name: Option<String>,
    /// Where the logo is served, if there is one.
    pub logo_url: Option<String>,
}
