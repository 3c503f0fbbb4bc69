// SPDX-License-Identifier: AGPL-3.0-only
//! A manager's delegates.

mod create_delegate;
mod delegate_reads;
mod delete_delegate;
mod list_delegates;
mod reset_delegate_password;
mod update_delegate;

pub use create_delegate::*;
pub use delegate_reads::*;
pub use delete_delegate::*;
pub use list_delegates::*;
pub use reset_delegate_password::*;
pub use update_delegate::*;
