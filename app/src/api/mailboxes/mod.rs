// SPDX-License-Identifier: AGPL-3.0-only
//! A domain's mailboxes, for its postmaster and manager; a mailbox's own settings.

mod add_alias;
mod create_mailbox;
mod delete_mailbox;
mod get_mailbox;
mod import_into_archive;
mod list_mailboxes;
mod remove_alias;
mod reset_password;
mod reset_two_factor;
mod set_archive;
mod set_chat;
mod set_protocols;
mod set_quota;
mod set_send_tier;
mod update_personal;

pub use add_alias::*;
pub use create_mailbox::*;
pub use delete_mailbox::*;
pub use get_mailbox::*;
pub use import_into_archive::*;
pub use list_mailboxes::*;
pub use remove_alias::*;
pub use reset_password::*;
pub use reset_two_factor::*;
pub use set_archive::*;
pub use set_chat::*;
pub use set_protocols::*;
pub use set_quota::*;
pub use set_send_tier::*;
pub use update_personal::*;
