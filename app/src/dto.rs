// SPDX-License-Identifier: AGPL-3.0-only
//! Plain data that crosses the wire between server functions and pages. Nothing here holds a
//! password hash or any other stored secret.

use serde::{Deserialize, Serialize};

/// What a signed-in person is in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Operator,
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
}

impl Me {
    /// The page this person lands on after signing in.
    pub fn home(&self) -> &'static str {
        match self.role {
            Role::Operator => "/operator/domains",
            Role::Postmaster => "/postmaster/mailboxes",
            Role::User => "/account",
        }
    }
}

/// A row of the operator's domain list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    pub name: String,
    pub mailboxes: u64,
    pub created_at: String,
}

/// A row of a domain's mailbox list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub is_postmaster: bool,
    pub quota_bytes: u64,
    pub created_at: String,
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
