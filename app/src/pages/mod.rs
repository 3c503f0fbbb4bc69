// SPDX-License-Identifier: AGPL-3.0-only
//! One module per page.

pub mod account;
pub mod home;
pub mod login;
pub mod not_found;
pub mod operator_domains;
pub mod postmaster_mailboxes;
