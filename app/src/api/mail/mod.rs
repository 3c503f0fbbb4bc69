// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail: the signed-in mailbox's own mail.

mod folders;
mod message;
mod messages;

pub use folders::*;
pub use message::*;
pub use messages::*;
