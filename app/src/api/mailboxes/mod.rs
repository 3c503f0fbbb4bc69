// SPDX-License-Identifier: AGPL-3.0-only
//! A domain's mailboxes, for its postmaster; a mailbox's own settings.

mod client_settings;
mod create_mailbox;
mod list_mailboxes;

pub use client_settings::*;
pub use create_mailbox::*;
pub use list_mailboxes::*;
