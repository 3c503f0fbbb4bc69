// SPDX-License-Identifier: AGPL-3.0-only
//! One module per page.

pub mod access_log;
pub mod account;
pub mod audit;
pub mod compose;
pub mod domain_dns;
pub mod domain_mailboxes;
pub mod domain_overview;
pub mod domains;
pub mod home;
pub mod login;
pub mod login_code;
pub mod mail;
pub mod mail_folders;
pub mod mail_keys;
pub mod mail_rules;
pub mod mail_text;
pub mod mailbox_page;
pub mod not_found;
pub mod operator_customers;
pub mod operator_domains;
pub mod operator_managers;
pub mod operator_monitor;
pub mod password;
pub mod security;
pub mod trace;
