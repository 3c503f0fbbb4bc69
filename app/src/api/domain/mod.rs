// SPDX-License-Identifier: AGPL-3.0-only
//! A domain as its postmaster or manager sees it: overview, chat service, slots, branding;
//! the audit log, the access log and the message trace.

mod access_log;
mod audit_log;
mod buy_slots;
mod dns_records;
mod get_branding;
mod get_domain_overview;
mod group_aliases;
mod set_branding_name;
mod set_chat_for_all;
mod set_domain_chat;
mod set_two_factor_required;
mod trace;

pub use access_log::*;
pub use audit_log::*;
pub use buy_slots::*;
pub use dns_records::*;
pub use get_branding::*;
pub use get_domain_overview::*;
pub use group_aliases::*;
pub use set_branding_name::*;
pub use set_chat_for_all::*;
pub use set_domain_chat::*;
pub use set_two_factor_required::*;
pub use trace::*;
