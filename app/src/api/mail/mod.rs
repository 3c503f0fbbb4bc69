// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail: the signed-in mailbox's own mail.

mod act;
mod folders;
mod manage_folders;
mod message;
mod messages;

pub use act::*;
pub use folders::*;
pub use manage_folders::*;
pub use message::*;
pub use messages::*;
