// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail: the signed-in mailbox's own mail.

mod act;
mod archive;
mod compose;
mod folders;
mod manage_folders;
mod message;
mod messages;
mod rules;
mod settings;
mod time_machine;

pub use act::*;
pub use archive::*;
pub use compose::*;
pub use folders::*;
pub use manage_folders::*;
pub use message::*;
pub use messages::*;
pub use rules::*;
pub use settings::*;
pub use time_machine::*;
